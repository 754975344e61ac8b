"""Who may do what: the department table of commands.md §4 and the decorator enforcing it.

Each operation maps a department to a scope: ANY (every record), or a named
ownership predicate ("own client", "own contract", "assigned event"). A department
missing from an operation's row may not run it at all. `@requires` checks the table
inside the service's transaction, after loading (and locking) the target record, so
no front end can skip it and the check cannot race a concurrent reassignment.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

from ..errors import NotLoggedIn, PermissionDenied
from ..models import Client, Contract, Event, User
from .base import get_or_404, mutation

MANAGEMENT, COMMERCIAL, SUPPORT = "management", "commercial", "support"
ALL = (MANAGEMENT, COMMERCIAL, SUPPORT)
ANY = "any"


def _owner_of(record) -> int | None:
    """The commercial a client, contract or event belongs to."""
    if isinstance(record, Client):
        return record.commercial_id
    if isinstance(record, Contract):
        return record.commercial_id
    if isinstance(record, Event):
        return record.contract.commercial_id
    return None


def own_client(actor: User, record) -> bool:
    return _owner_of(record) == actor.id


def own_contract(actor: User, record) -> bool:
    return _owner_of(record) == actor.id


def assigned_event(actor: User, record: Event) -> bool:
    return record.support_id == actor.id


PREDICATES: dict[str, tuple[Callable, str]] = {
    "own client": (own_client, "this client is not yours"),
    "own contract": (own_contract, "this contract's client is not yours"),
    "assigned event": (assigned_event, "this event is not assigned to you"),
}

_READ_ALL = {MANAGEMENT: ANY, COMMERCIAL: ANY, SUPPORT: ANY}

POLICY: dict[str, dict[str, str]] = {
    "user.list": {MANAGEMENT: ANY},
    "user.view": {MANAGEMENT: ANY},
    "user.create": {MANAGEMENT: ANY},
    "user.update": {MANAGEMENT: ANY},
    "user.deactivate": {MANAGEMENT: ANY},
    "user.activate": {MANAGEMENT: ANY},
    "user.delete": {MANAGEMENT: ANY},
    "user.reset_password": {MANAGEMENT: ANY},
    "user.password": _READ_ALL,
    "client.read": _READ_ALL,
    "client.create": {MANAGEMENT: ANY, COMMERCIAL: ANY},
    "client.update": {MANAGEMENT: ANY, COMMERCIAL: "own client"},
    "client.assign": {MANAGEMENT: ANY},
    "contract.read": _READ_ALL,
    "contract.create": {MANAGEMENT: ANY, COMMERCIAL: "own client"},
    "contract.update": {MANAGEMENT: ANY, COMMERCIAL: "own contract"},
    "contract.sign": {MANAGEMENT: ANY, COMMERCIAL: "own contract"},
    "contract.pay": {MANAGEMENT: ANY, COMMERCIAL: "own contract"},
    "contract.cancel": {MANAGEMENT: ANY},
    "event.read": _READ_ALL,
    "event.create": {MANAGEMENT: ANY, COMMERCIAL: "own contract"},
    "event.update": {MANAGEMENT: ANY, SUPPORT: "assigned event"},
    "event.assign": {MANAGEMENT: ANY},
    "history.read": _READ_ALL,
    "client.import": {MANAGEMENT: ANY, COMMERCIAL: ANY},
    "contract.import": {MANAGEMENT: ANY},
    "event.import": {MANAGEMENT: ANY},
    "data.export": {MANAGEMENT: ANY},
    "data.import": {MANAGEMENT: ANY},
    "client.export_data": {MANAGEMENT: ANY, COMMERCIAL: "own client"},
    "client.forget": {MANAGEMENT: ANY},
    "audit.read": {MANAGEMENT: ANY},
    "agenda.read": _READ_ALL,  # each user's own agenda: what needs them now
    "report.read": _READ_ALL,
}

_DESCRIPTIONS = {
    "user": "manage staff accounts",
    "client.create": "create clients",
    "client.update": "update clients",
    "client.assign": "reassign clients",
    "contract.create": "create contracts",
    "contract.update": "update contracts",
    "contract.sign": "sign contracts",
    "contract.pay": "record payments",
    "contract.cancel": "cancel contracts",
    "event.create": "create events",
    "event.update": "update events",
    "event.assign": "assign support to events",
    "audit.read": "read the audit log",
    "client.import": "import clients",
    "contract.import": "import contracts",
    "event.import": "import events",
    "data.export": "export the whole database",
    "data.import": "import a whole database",
    "client.export_data": "export a client's personal data",
    "client.forget": "erase a client's personal data",
}


def _what(operation: str) -> str:
    return _DESCRIPTIONS.get(operation) or _DESCRIPTIONS.get(operation.split(".")[0], operation)


def may(actor: User | None, operation: str) -> bool:
    """May ACTOR run OPERATION on at least some records? (for help and completion)"""
    return actor is not None and actor.department in POLICY[operation]


def scope(actor: User, operation: str) -> str | None:
    return POLICY[operation].get(actor.department)


def check(actor: User | None, operation: str, record=None) -> None:
    """Raise PermissionDenied unless ACTOR may run OPERATION (on RECORD, if given)."""
    if actor is None:
        raise NotLoggedIn()
    rule = POLICY[operation].get(actor.department)
    if rule is None:
        raise PermissionDenied(f"the {actor.department} department cannot {_what(operation)}")
    if rule == ANY or record is None:
        return
    predicate, reason = PREDICATES[rule]
    if not predicate(actor, record):
        raise PermissionDenied(reason)


def requires(operation: str, target=None, *, write: bool = True):
    """Decorate a service function `fn(actor, [record], ...)` with the policy check.

    With TARGET (a model), the wrapped function is called with a record id in second
    position; the decorator loads that record (locked for writes), checks the policy
    against it and hands the record itself to FN. Writes run in one `mutation()`.
    """
    if operation not in POLICY:
        raise KeyError(f"unknown operation {operation!r}")

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(actor, *args, **kwargs):
            check(actor, operation)  # refuse early, before touching the database
            context = mutation() if write else contextlib.nullcontext()
            with context:
                if target is not None:
                    record_id, *rest = args
                    record = get_or_404(target, record_id, lock=write)
                    check(actor, operation, record)
                    return fn(actor, record, *rest, **kwargs)
                return fn(actor, *args, **kwargs)

        wrapper.operation = operation
        return wrapper

    return decorate

