"""A client's rights over their personal data (commands.md §10): a copy, and erasure.

`forget` keeps what accounting must keep (contracts, payments, events) and erases the
person: name, email, phone, company and the notes of their events, in the records and
everywhere the audit trail copied them (old and new values, creation entries, the
client's name in contract entries). The erasure itself is audited: who, when, which
fields, never a value. The database file is then scrubbed as far as the engine allows:
SQLite overwrites freed space while the erasure runs (`secure_delete`) and the WAL is
checkpointed and truncated afterwards; PostgreSQL vacuums the touched tables.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

from peewee import SqliteDatabase

from ..models import AuditEntry, Client, Contract, Event, Payment, database, utcnow
from ..validation import format_cents
from . import search
from .base import audit, name_key, notify, versioned_update
from .policy import requires
from .records import audit_record, client_record, contract_record, event_record

ERASED = "[erased]"
CLIENT_FIELDS = ("full_name", "email", "phone", "company")
TOUCHED_TABLES = ("client", "event", "contract", "audit_entry")


def forgotten_name(client_id: int) -> str:
    return f"forgotten client {client_id}"


def _contract_ids(client_id: int) -> list[int]:
    return [c for (c,) in Contract.select(Contract.id).where(Contract.client == client_id).tuples()]


def _events_of(contract_ids: list[int]):
    return Event.select().where(Event.contract.in_(contract_ids)).order_by(Event.id)


def _about(client_id: int, contract_ids, event_ids):
    """The audit entries about the client, its contracts and its events."""
    condition = (AuditEntry.entity == "client") & (AuditEntry.entity_id == client_id)
    if contract_ids:
        condition |= (AuditEntry.entity == "contract") & AuditEntry.entity_id.in_(contract_ids)
    if event_ids:
        condition |= (AuditEntry.entity == "event") & AuditEntry.entity_id.in_(event_ids)
    return condition


# --- a copy ------------------------------------------------------------------------------

def _payment(payment: Payment) -> dict:
    return {"id": payment.id, "amount": format_cents(payment.amount_cents),
            "paid_at": payment.paid_at, "adjustment": bool(payment.adjustment)}


@requires("client.export_data", Client, write=False)
def client_data(actor, client) -> dict:
    """Everything stored about CLIENT: the record, contracts with payments, events, audit."""
    contracts = list(Contract.select().where(Contract.client == client.id).order_by(Contract.id))
    contract_ids = [c.id for c in contracts]
    events = list(_events_of(contract_ids)) if contract_ids else []
    entries = (AuditEntry.select()
               .where(_about(client.id, contract_ids, [e.id for e in events]))
               .order_by(AuditEntry.at, AuditEntry.id))
    return {
        "client": client_record(client),
        "contracts": [{**contract_record(c), "payments": [_payment(p) for p in
                       c.payments.order_by(Payment.id)]} for c in contracts],
        "events": [event_record(e) for e in events],
        "audit": [audit_record(e) for e in entries],
    }


# --- erasure -----------------------------------------------------------------------------

@dataclass
class Erasure:
    client: Client
    notes: int  # event notes emptied
    redacted: int  # audit entries whose values were replaced by [erased]
    scrubbed: bool  # the database file no longer holds the old values (as far as known)
    already: bool = False  # nothing was left to erase: nothing written, nothing recorded


def _redact(condition, values: list[str]) -> int:
    """Replace old/new of the audit entries matching CONDITION by [erased]; count them."""
    changed = 0
    for column in (AuditEntry.old, AuditEntry.new):
        where = condition & column.is_null(False) & (column != ERASED)
        if values is not None:
            where &= column.in_(values)
        changed += AuditEntry.update({column: ERASED}).where(where).execute()
    return changed


def _redact_trail(client_id: int, contract_ids, event_ids, personal: list[str], email: str) -> int:
    entity_of = AuditEntry.entity
    mine = (entity_of == "client") & (AuditEntry.entity_id == client_id)
    changed = _redact(mine & AuditEntry.field.in_(CLIENT_FIELDS), None)
    if contract_ids:
        changed += _redact((entity_of == "contract") & AuditEntry.entity_id.in_(contract_ids)
                           & (AuditEntry.field == "client"), None)
    if event_ids:
        changed += _redact((entity_of == "event") & AuditEntry.entity_id.in_(event_ids)
                           & (AuditEntry.field == "notes"), None)
    # The same values copied anywhere else about this client (e.g. an event entry quoting
    # the client's name), and the email wherever the trail holds it.
    changed += _redact(_about(client_id, contract_ids, event_ids), personal)
    for column in (AuditEntry.old, AuditEntry.new):  # (a LIKE wildcard may only erase more)
        changed += AuditEntry.update({column: ERASED}).where(column ** f"%{email}%").execute()
    return changed


@requires("client.forget", Client)
def _forget(actor, client) -> Erasure:
    personal = [v for v in (client.full_name, client.email, client.phone, client.company) if v]
    email = client.email
    contract_ids = _contract_ids(client.id)
    events = list(_events_of(contract_ids)) if contract_ids else []
    event_ids = [e.id for e in events]
    personal += [e.notes for e in events if e.notes]
    name = forgotten_name(client.id)
    if personal == [name]:  # forgotten before, and nothing entered since: once is the record
        return Erasure(client, 0, 0, scrubbed=True, already=True)
    versioned_update(client, {"full_name": name, "name_key": name_key(name),
                              "email": None, "phone": None, "company": None},
                     "client")
    with_notes = [e.id for e in events if e.notes is not None]
    if with_notes:
        Event.update({Event.notes: None, Event.version: Event.version + 1,
                      Event.updated_at: utcnow()}).where(Event.id.in_(with_notes)).execute()
    # The search text of the client and of its events (which holds the client's name).
    search.refresh(Client, [client.id])
    search.refresh(Event, event_ids)
    redacted = _redact_trail(client.id, contract_ids, event_ids, personal, email)
    audit(actor, "forget", "client", client.id, {field: (None, None) for field in CLIENT_FIELDS})
    for ident in with_notes:
        audit(actor, "forget", "event", ident, {"notes": (None, None)})
    notify("client.forgotten", client_id=client.id, actor_id=actor.id)
    return Erasure(client, len(with_notes), redacted, scrubbed=False)


@contextlib.contextmanager
def _secure_delete():
    """SQLite: overwrite what is deleted or shrunk with zeros while the erasure runs."""
    if not isinstance(database.obj, SqliteDatabase):
        yield
        return
    previous = database.execute_sql("PRAGMA secure_delete").fetchone()[0]
    database.execute_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:  # back to the connection's setting (some builds have it on by default)
        database.execute_sql(f"PRAGMA secure_delete = {int(previous)}")


def _scrub_files() -> bool:
    """After commit: SQLite copies the WAL into the database and truncates it; PostgreSQL
    vacuums the touched tables. False when another connection kept the WAL busy."""
    if isinstance(database.obj, SqliteDatabase):
        busy, _log, _done = database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    for table in TOUCHED_TABLES:
        database.execute_sql(f'VACUUM "{table}"')
    return True


def forget_client(actor, client_id) -> Erasure:
    """Erase a client's personal data (commands.md §10); cannot be undone."""
    with _secure_delete():
        erasure = _forget(actor, client_id)
    if not erasure.already:
        erasure.scrubbed = _scrub_files()
    return erasure
