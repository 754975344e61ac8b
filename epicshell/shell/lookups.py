"""Completion providers over the services' read API (services/lookups.py).

Each provider is `fn(app, prefix) -> [(value, meta)]`; the indexed queries behind them
live in the services, so completion and the wizards read the database the same way.
"""
from __future__ import annotations

from ..services import lookups as reads
from ..services.entities import NAMES


def records_of(entity: str):
    """The provider completing ids of ENTITY."""
    return lambda app, prefix: reads.record_ids(entity, prefix)


client_ids = records_of("client")
contract_ids = records_of("contract")
event_ids = records_of("event")


def _commercial_of(app) -> int | None:
    """The logged-in commercial's id (their own records are the choices), else None."""
    user = app.session.user if app is not None else None
    return user.id if user is not None and user.department == "commercial" else None


def own_client_ids(app, prefix: str):
    """Clients a new contract may be for: a commercial's own, everyone's for management."""
    return reads.record_ids("client", prefix, commercial=_commercial_of(app))


def draft_contract_ids(app, prefix: str):
    """Contracts `contract sign` accepts: drafts (a commercial's clients' only)."""
    return reads.contract_ids_in(prefix, ("draft",), commercial=_commercial_of(app))


def open_contract_ids(app, prefix: str):
    """Contracts that accept a change (pay, update, cancel): not cancelled, one's own."""
    return reads.contract_ids_in(prefix, ("draft", "signed"), commercial=_commercial_of(app))


def editable_event_ids(app, prefix: str):
    """Events `event update` accepts: a support user's assigned ones, every one otherwise."""
    user = app.session.user if app is not None else None
    if user is not None and user.department == "support":
        return reads.assigned_event_ids(prefix, user.id)
    return reads.record_ids("event", prefix)


def _self_of(app) -> int | None:
    user = app.session.user if app is not None else None
    return user.id if user is not None else None


def other_active_user_ids(app, prefix: str):
    """Accounts one may deactivate, delete or reset: active, and not one's own."""
    return reads.user_ids_for(prefix, active=True, exclude=_self_of(app))


def other_user_ids(app, prefix: str):
    """Accounts one may delete: any but one's own."""
    return reads.user_ids_for(prefix, active=None, exclude=_self_of(app))


def inactive_user_ids(app, prefix: str):
    """Accounts `user activate` changes: the deactivated ones."""
    return reads.user_ids_for(prefix, active=False)


def event_contract_ids(app, prefix: str):
    """Contracts a new event may be on: signed, and a commercial's own clients'."""
    return reads.signed_contract_ids(prefix, commercial=_commercial_of(app))


def _users(department: str | None):
    return lambda app, prefix: reads.staff_ids(prefix, department)


user_ids = _users(None)
commercial_ids = _users("commercial")
support_ids = _users("support")


def departments(app, prefix: str):
    from ..validation import DEPARTMENTS

    return [(d, "") for d in DEPARTMENTS if d.startswith(prefix.lower())]


def statuses(app, prefix: str):
    from ..validation import CONTRACT_STATUSES

    return [(s, "") for s in CONTRACT_STATUSES if s.startswith(prefix.lower())]


def entities(app, prefix: str):
    return [(e, "") for e in NAMES if e.startswith(prefix)]
