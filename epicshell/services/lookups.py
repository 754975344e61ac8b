"""Small reads for completion and wizards: a few indexed rows, however large the tables.

Digits find ids through id *ranges* (typing `12` looks at 12, 120-129, 1200-1299, …:
each an index range scan), letters find names through a range on the `name_key` index.
Nothing here scans a table, so completion stays instant on a million rows. Every
function returns `[(value, label)]`, the value being the text to insert.
"""
from __future__ import annotations

from peewee import fn

from ..models import Client, Contract, Event, User
from .base import name_key, refuse_if_used
from .entities import ENTITIES

LIMIT = 20
STAFF_LIST_LIMIT = 500
_TOP = "\U0010ffff"


def _id_ranges(prefix: str, max_id: int) -> list[tuple[int, int]]:
    """The id ranges [low, high) holding every id whose decimal form starts with PREFIX."""
    start = int(prefix)
    ranges, width = [], 1
    while start and start * width <= max_id:
        ranges.append((start * width, (start + 1) * width))
        width *= 10
    return ranges


def _by_id_prefix(model, prefix: str, query) -> list:
    """Up to LIMIT rows whose id starts with PREFIX: one small index range scan per digit
    count (an OR of the ranges would make the database walk the ids in between)."""
    max_id = model.select(fn.MAX(model.id)).scalar() or 0
    rows: list = []
    for low, high in _id_ranges(prefix, max_id):
        wanted = LIMIT - len(rows)
        if wanted <= 0:
            break
        rows.extend(query.where((model.id >= low) & (model.id < high))
                    .order_by(model.id).limit(wanted))
    return rows


def _lookup(model, prefix: str, query, label) -> list[tuple[str, str]]:
    prefix = prefix.strip()
    if prefix.isdigit():
        rows = _by_id_prefix(model, prefix, query)
    elif prefix and hasattr(model, "name_key"):
        key = name_key(prefix)
        rows = (query.where((model.name_key >= key) & (model.name_key < key + _TOP))
                .order_by(model.name_key).limit(LIMIT))
    else:
        rows = query.order_by(model.id.desc()).limit(LIMIT)
    return [(str(row.id), label(row)) for row in rows]


def record_ids(entity: str, prefix: str, *, commercial: int | None = None, where=None):
    """Records of ENTITY whose id or name starts with PREFIX (a commercial's own clients
    or their contracts only, with COMMERCIAL; those passing WHERE, if given)."""
    kind = ENTITIES[entity]
    query = kind.choices()
    if commercial is not None:
        query = query.where(Client.commercial == commercial)
    if where is not None:
        query = query.where(where)
    return _lookup(kind.model, prefix, query, kind.label)


def contract_ids_in(prefix: str, statuses: tuple[str, ...], *, commercial: int | None = None):
    """Contracts in one of STATUSES: what `sign` (drafts) or a change (not cancelled) accepts."""
    return record_ids("contract", prefix, commercial=commercial,
                      where=Contract.status.in_(statuses))


def assigned_event_ids(prefix: str, support: int):
    """The events a support user may update: those assigned to them."""
    return record_ids("event", prefix, where=Event.support == support)


def user_ids_for(prefix: str, *, active: bool | None, exclude: int | None = None):
    """Staff accounts that are ACTIVE (or not; either when None), leaving out EXCLUDE (the
    user themself, who may not deactivate, delete or reset their own account)."""
    condition = User.id != exclude if exclude is not None else None
    if active is not None:
        condition = (User.active == active) if condition is None else \
            condition & (User.active == active)
    return record_ids("user", prefix, where=condition)


def signed_contract_ids(prefix: str, *, commercial: int | None = None):
    """Signed contracts whose id starts with PREFIX: what a new event may be planned on (a
    commercial's clients' only, with COMMERCIAL)."""
    kind = ENTITIES["contract"]
    query = kind.choices().where(Contract.status == "signed")
    if commercial is not None:
        query = query.where(Client.commercial == commercial)
    return _lookup(Contract, prefix, query, kind.label)


def _active_in(query, department: str | None):
    if department is None:
        return query
    return query.where((User.department == department) & (User.active == True))


def staff_ids(prefix: str, department: str | None = None):
    """Staff whose id or name starts with PREFIX; only active members of DEPARTMENT, if given."""
    kind = ENTITIES["user"]
    return _lookup(User, prefix, _active_in(kind.choices(), department), kind.label)


def active_staff(department: str) -> list[tuple[str, str]]:
    """The active members of DEPARTMENT, by name, for a wizard's list of choices."""
    query = _active_in(User.select(User.id, User.full_name, User.email), department)
    return [(str(u.id), f"{u.full_name} <{u.email}>")
            for u in query.order_by(User.name_key).limit(STAFF_LIST_LIMIT)]


def refuse_taken(entity: str, field: str, value, exclude_id: int | None = None) -> None:
    """Refuse VALUE when another ENTITY record holds it in the unique FIELD (a wizard asks
    as the value is typed; the service checks again when saving)."""
    refuse_if_used(ENTITIES[entity].model, field, value, entity, exclude_id)
