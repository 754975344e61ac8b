"""Record lookups for completion: a few indexed rows, however large the tables are.

Digits complete ids through id *ranges* (typing `12` looks at 12, 120-129, 1200-1299, …:
each an index range scan), letters complete names through a range on the lower-cased
`name_key` index. Nothing here scans a table, so completion stays instant on a million
rows. Each provider is `fn(app, prefix) -> [(value, meta)]`.
"""
from __future__ import annotations

from peewee import fn

from ..models import Client, Contract, Event, User

LIMIT = 20
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


def _lookup(model, prefix: str, query, label):
    prefix = prefix.strip()
    if prefix.isdigit():
        rows = _by_id_prefix(model, prefix, query)
    elif prefix and hasattr(model, "name_key"):
        key = prefix.lower()
        rows = (query.where((model.name_key >= key) & (model.name_key < key + _TOP))
                .order_by(model.name_key).limit(LIMIT))
    else:
        rows = query.order_by(model.id.desc()).limit(LIMIT)
    return [(str(row.id), label(row)) for row in rows]


def client_ids(app, prefix: str):
    return _lookup(Client, prefix, Client.select(Client.id, Client.full_name, Client.company),
                   lambda c: f"{c.full_name} — {c.company}" if c.company else c.full_name)


def own_client_ids(app, prefix: str):
    """Clients a new contract may be for: a commercial's own, everyone's for management."""
    query = Client.select(Client.id, Client.full_name, Client.company)
    user = app.session.user if app is not None else None
    if user is not None and user.department == "commercial":
        query = query.where(Client.commercial == user.id)
    return _lookup(Client, prefix, query,
                   lambda c: f"{c.full_name} — {c.company}" if c.company else c.full_name)


def contract_ids(app, prefix: str):
    query = (Contract.select(Contract.id, Contract.status, Client.full_name)
             .join(Client, on=(Contract.client == Client.id)))
    return _lookup(Contract, prefix, query,
                   lambda c: f"{c.client.full_name} — {c.status}")


def event_ids(app, prefix: str):
    return _lookup(Event, prefix, Event.select(Event.id, Event.name, Event.start),
                   lambda e: f"{e.name} — {e.start:%Y-%m-%d}")


def _users(department: str | None):
    def provider(app, prefix: str):
        query = User.select(User.id, User.full_name, User.department)
        if department:
            query = query.where((User.department == department) & (User.active == True))
        return _lookup(User, prefix, query, lambda u: f"{u.full_name} ({u.department})")

    return provider


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
    return [(e, "") for e in ("user", "client", "contract", "event") if e.startswith(prefix)]
