"""Imports: every row checked with the rules of `create`, then written in bulk, or nothing.

An import is one `mutation()`: the policy is checked once for the whole file (by
`@requires`), every row is checked (`transfer_rows`), and only if no row is bad are the
records written in batches (`bulk_insert`: one prepared INSERT run over a batch of
rows), with one `import` audit entry per record.
Ids are reserved before the rows are written (SQLite: past the largest id, under the
write lock every transaction here takes; PostgreSQL: from the sequence), so the links
of `data import` (contracts → clients, events → contracts) are known without reading
anything back.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from peewee import DateTimeField, SqliteDatabase, chunked

from ..models import AuditEntry, Client, Contract, Event, Payment, database, utcnow
from ..validation import parse_id
from . import search
from .base import name_key
from .clients import email_taken_error, emails_taken, new_client_owner
from .contracts import adjustment_row
from .policy import requires
from .staff import StaffByEmail
from .transfer_rows import (
    Checker,
    ClientsByEmail,
    ContractsById,
    DataFile,
    Progress,
    client_row,
    contract_values,
    event_values,
)

BATCH = 500  # rows per INSERT: well under every backend's limit on bound parameters
TICK = 1000  # rows between two progress reports while checking


@dataclass
class ImportReport:
    """What an import created and skipped, per entity ("client", "contract", "event")."""

    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def _report(progress: Progress | None, what: str, count: int) -> None:
    if progress is not None and count:
        progress(what, count)


def _rows(data: DataFile, checker: Checker, progress: Progress | None):
    """DATA's rows, reporting progress every TICK rows; then the rows the reader refused."""
    done = 0
    for item in data.rows:
        yield item
        done += 1
        if done == TICK:
            _report(progress, f"checking {data.source}", done)
            done = 0
    _report(progress, f"checking {data.source}", done)
    checker.errors.extend(data.errors)


# --- checking -----------------------------------------------------------------------------

@dataclass
class Checked:
    """The good rows of one file, and what was skipped (by file id, for data import)."""

    rows: list = field(default_factory=list)
    skipped: int = 0
    skipped_ids: set = field(default_factory=set)
    file_ids: set = field(default_factory=set)


def _file_id(checker: Checker, data: DataFile, line: int, row: dict, seen: set):
    ident = checker.check(data.source, line, "id", parse_id, row.get("id"), "id")
    if ident is not None and ident in seen:
        checker.add(data.source, line, "id", f"{ident} appears twice in the file")
        return None
    if ident is not None:
        seen.add(ident)
    return ident


def check_clients(actor, data: DataFile, checker: Checker, *, commercial=None,
                  skip_existing=False, with_ids=False, progress=None) -> Checked:
    """Check every client row; a row is (line, full_name, email, phone, company, owner, file id)."""
    staff = StaffByEmail()
    default_owner = new_client_owner(actor, commercial) if commercial is not None else None
    result, first_line = Checked(), {}
    for line, row in _rows(data, checker, progress):
        ident = _file_id(checker, data, line, row, result.file_ids) if with_ids else None
        values = checker.check(data.source, line, "email", client_row, actor, row, staff,
                               default_owner, with_ids)
        if values is None:
            continue
        key = _identity(values)
        if key in first_line:
            if skip_existing:
                result.skipped += 1
                result.skipped_ids.add(ident)
            else:
                field_name, shown = ("email", key) if isinstance(key, str) else ("full_name", key[1])
                checker.add(data.source, line, field_name,
                            f"{shown!r} appears twice in the file (line {first_line[key]})")
            continue
        first_line[key] = line
        result.rows.append((line, *values, ident))
    taken = _already_there(first_line)
    if taken:
        kept = []
        for item in result.rows:
            key = _identity(item[1:])
            if key not in taken:
                kept.append(item)
            elif skip_existing:
                result.skipped += 1
                result.skipped_ids.add(item[-1])
            elif isinstance(key, str):
                error = email_taken_error(key)
                checker.add(data.source, item[0], error.field, error.message)
            else:
                checker.add(data.source, item[0], "full_name",
                            f"{key[1]!r} is already in the database (a forgotten client)")
        result.rows = kept
    return result


def _identity(values) -> str | tuple[str, str]:
    """What makes a checked client the same as another: its email; for a forgotten client
    (no email, `data import` only), its name, which holds its id in the exporting database."""
    full_name, email = values[0], values[1]
    return email if email is not None else ("forgotten", full_name)


def _already_there(keys) -> set:
    """Which of KEYS (`_identity`) the database holds already: one query per batch."""
    emails = [key for key in keys if isinstance(key, str)]
    names = [key[1] for key in keys if not isinstance(key, str)]
    taken: set = set()
    for batch in chunked(emails, BATCH):
        taken |= emails_taken(batch)
    for batch in chunked(names, BATCH):
        taken |= {("forgotten", name) for (name,) in Client.select(Client.full_name).where(
            Client.email.is_null() & Client.full_name.in_(batch)).tuples()}
    return taken


def check_contracts(data: DataFile, checker: Checker, *, clients: Checked | None = None,
                    progress=None) -> Checked:
    """Check every contract row: (line, client ref, commercial id, total, due, status, signed_at,
    file id). The client is named by `client_email` (a client of the database) or, with
    CLIENTS (data import), by the `client_id` of the clients file."""
    by_email = ClientsByEmail()
    owners = {item[-1]: item[5] for item in clients.rows} if clients is not None else {}
    result = Checked()
    for line, row in _rows(data, checker, progress):
        ident = _file_id(checker, data, line, row, result.file_ids) if clients else None
        values = checker.check(data.source, line, "total", contract_values, row)
        if clients is not None:
            link = checker.check(data.source, line, "client_id",
                                 parse_id, row.get("client_id"), "client_id")
            if link in clients.skipped_ids:
                result.skipped += 1
                result.skipped_ids.add(ident)
                continue
            if link is not None and link not in clients.file_ids:
                checker.add(data.source, line, "client_id", f"no client {link} in the clients file")
                continue
            client = (link, owners.get(link)) if link is not None else None
        else:
            client = checker.check(data.source, line, "client_email",
                                   by_email.get, row.get("client_email"))
        if values is not None and client is not None:
            result.rows.append((line, client[0], client[1], *values, ident))
    return result


def check_events(data: DataFile, checker: Checker, *, contracts: Checked | None = None,
                 progress=None) -> Checked:
    """Check every event row: (line, contract ref, name, start, end, location, attendees,
    notes, support id). The contract is one of the database (`contract_id`) or, with
    CONTRACTS (data import), one of the contracts file."""
    staff, by_id = StaffByEmail(), ContractsById()
    status = {item[-1]: (item[5], item[6]) for item in contracts.rows} if contracts else {}
    result = Checked()
    for line, row in _rows(data, checker, progress):
        values = checker.check(data.source, line, "name", event_values, row, staff)
        if contracts is not None:
            link = checker.check(data.source, line, "contract_id",
                                 parse_id, row.get("contract_id"), "contract_id")
            if link in contracts.skipped_ids:
                result.skipped += 1
                continue
            if link is not None and _event_link_refused(checker, data, line, link, status):
                continue
        else:
            link = checker.check(data.source, line, "contract_id",
                                 by_id.get, row.get("contract_id"))
        if values is not None and link is not None:
            result.rows.append((line, link, *values))
    return result


def _event_link_refused(checker, data, line, link, status) -> bool:
    """In a whole-database import an event may belong to a contract signed then cancelled."""
    if link not in status:
        checker.add(data.source, line, "contract_id", f"no contract {link} in the contracts file")
        return True
    state, signed_at = status[link]
    if signed_at is None:
        checker.add(data.source, line, "contract_id",
                    f"contract {link} is {state}; events need a signed contract")
        return True
    return False


# --- writing ------------------------------------------------------------------------------

def _reserve_ids(model, count: int) -> list[int]:
    table = model._meta.table_name
    if isinstance(database.obj, SqliteDatabase):
        top = database.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
        return list(range(top + 1, top + 1 + count))
    cursor = database.execute_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count))
    return [row[0] for row in cursor.fetchall()]


def bulk_insert(model, fields, rows) -> None:
    """INSERT ROWS (tuples of FIELDS' values) into MODEL's table with one prepared statement.

    peewee's `insert_many` builds the SQL text value by value, which is three quarters of
    an import's time; the driver's `executemany` binds the same statement to every row.
    """
    if not rows:
        return
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    marks = ", ".join([database.param] * len(fields))
    times = [i for i, field in enumerate(fields) if isinstance(field, DateTimeField)]
    if times and isinstance(database.obj, SqliteDatabase):  # as peewee stores them: text
        rows = [_times_as_text(row, times) for row in rows]
    database.cursor().executemany(
        f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})', rows)


def _times_as_text(row, positions) -> list:
    row = list(row)
    for i in positions:
        if row[i] is not None:
            row[i] = str(row[i])
    return row


def _audit_imports(actor, entity: str, pairs, source: str, now) -> None:
    """One `import` audit entry per record, naming the file (not its folder) and line."""
    name = os.path.basename(source)
    rows = [(now, actor.id, actor.full_name, "import", entity, ident, None, None,
             f"{name} line {line}") for ident, line in pairs]
    bulk_insert(AuditEntry, [
        AuditEntry.at, AuditEntry.actor, AuditEntry.actor_name, AuditEntry.action,
        AuditEntry.entity, AuditEntry.entity_id, AuditEntry.field, AuditEntry.old,
        AuditEntry.new], rows)


def write_clients(actor, checked: Checked, source: str, *, progress=None) -> dict:
    """Insert the checked clients; returns {file id: new id} (data import links by it).

    This is the one place imported clients are written, their search text included.
    """
    links, now = {}, utcnow()
    with search.bulk_index(Client) as created:
        for batch in chunked(checked.rows, BATCH):
            ids = _reserve_ids(Client, len(batch))
            created(ids)
            bulk_insert(Client, [Client.id, Client.full_name, Client.name_key, Client.email,
                                 Client.phone, Client.company, Client.commercial, Client.created_at,
                                 Client.updated_at, Client.version, Client.search_text],
                        [(ident, name, name_key(name), email, phone, company, owner, now, now, 1,
                          search.client_text(name, email, company))
                         for ident, (_line, name, email, phone, company, owner, _f)
                         in zip(ids, batch, strict=True)])
            _audit_imports(actor, "client", zip(ids, (item[0] for item in batch), strict=True),
                           source, now)
            links.update((item[-1], ident) for ident, item in zip(ids, batch, strict=True))
            _report(progress, "writing clients", len(batch))
    return links


def write_contracts(actor, checked: Checked, source: str, client_link=None, progress=None) -> dict:
    """Insert the checked contracts, and the adjustment payment of each one whose due is
    below its total; returns {file id: new id}."""
    links, now = {}, utcnow()
    for batch in chunked(checked.rows, BATCH):
        ids = _reserve_ids(Contract, len(batch))
        rows, payments = [], []
        for ident, (_line, client, owner, total, due, status, signed_at, _f) in zip(ids, batch, strict=True):
            client_id = client_link[client] if client_link is not None else client
            rows.append((ident, client_id, owner, total, due, status, signed_at, now, now, 1))
            if total != due:
                payments.append(adjustment_row(actor, ident, owner, total - due))
        bulk_insert(Contract, [
            Contract.id, Contract.client, Contract.commercial, Contract.total_cents,
            Contract.due_cents, Contract.status, Contract.signed_at, Contract.created_at,
            Contract.updated_at, Contract.version], rows)
        fields = [Payment.contract, Payment.commercial, Payment.amount_cents,
                  Payment.adjustment, Payment.paid_at, Payment.recorded_by]
        bulk_insert(Payment, fields, [tuple(p[f.name] for f in fields) for p in payments])
        _audit_imports(actor, "contract", zip(ids, (item[0] for item in batch), strict=True), source, now)
        links.update((item[-1], ident) for ident, item in zip(ids, batch, strict=True))
        _report(progress, "writing contracts", len(batch))
    return links


def write_events(actor, checked: Checked, source: str, contract_link=None, progress=None) -> None:
    """Insert the checked events.

    This is the one place imported events are written; their search text (which holds
    their client's name) and their commercial are filled batch by batch.
    """
    now = utcnow()
    with search.bulk_index(Event) as created:
        for batch in chunked(checked.rows, BATCH):
            ids = _reserve_ids(Event, len(batch))
            created(ids)
            rows = []
            contract_ids = [contract_link[item[1]] if contract_link is not None else item[1]
                            for item in batch]
            commercial_of = dict(Contract.select(Contract.id, Contract.commercial)
                                 .where(Contract.id.in_(set(contract_ids))).tuples())
            for ident, contract_id, (_l, _c, name, start, end, location, attendees, notes, support) in zip(
                    ids, contract_ids, batch, strict=True):
                rows.append((ident, contract_id, commercial_of[contract_id], name, name_key(name), support,
                             start, end, location, attendees, notes, now, now, 1, ""))
            bulk_insert(Event, [
                Event.id, Event.contract, Event.commercial, Event.name, Event.name_key, Event.support,
                Event.start, Event.end, Event.location, Event.attendees, Event.notes, Event.created_at,
                Event.updated_at, Event.version, Event.search_text], rows)
            search.refresh(Event, ids)  # the search text holds the client's name: read it back
            _audit_imports(actor, "event", zip(ids, (item[0] for item in batch), strict=True),
                           source, now)
            _report(progress, "writing events", len(batch))


# --- the commands' services ---------------------------------------------------------------

def _import_one(actor, entity: str, data: DataFile, check, write, *, dry_run: bool,
                progress: Progress | None) -> ImportReport:
    """CHECK(checker) every row of DATA, then WRITE them unless DRY_RUN, or refuse them all."""
    checker = Checker()
    checked = check(checker)
    checker.refuse_if_any()
    if not dry_run:
        write(actor, checked, data.source, progress=progress)
    return ImportReport({entity: len(checked.rows)}, {entity: checked.skipped}, dry_run)


@requires("client.import")
def import_clients(actor, data: DataFile, *, commercial=None, dry_run=False, skip_existing=False,
                   progress: Progress | None = None) -> ImportReport:
    """Import DATA's clients: management's go to `commercial_email` or COMMERCIAL, a
    commercial's are their own."""
    return _import_one(actor, "client", data, lambda checker: check_clients(
        actor, data, checker, commercial=commercial, skip_existing=skip_existing,
        progress=progress), write_clients, dry_run=dry_run, progress=progress)


@requires("contract.import")
def import_contracts(actor, data: DataFile, *, dry_run=False,
                     progress: Progress | None = None) -> ImportReport:
    return _import_one(actor, "contract", data, lambda checker: check_contracts(
        data, checker, progress=progress), write_contracts, dry_run=dry_run, progress=progress)


@requires("event.import")
def import_events(actor, data: DataFile, *, dry_run=False,
                  progress: Progress | None = None) -> ImportReport:
    return _import_one(actor, "event", data, lambda checker: check_events(
        data, checker, progress=progress), write_events, dry_run=dry_run, progress=progress)


@requires("data.import")
def import_data(actor, clients: DataFile, contracts: DataFile, events: DataFile, *,
                dry_run=False, skip_existing=False,
                progress: Progress | None = None) -> ImportReport:
    """Load a `data export`: the three files in one transaction, linked through their ids.

    With SKIP_EXISTING a client whose email exists is skipped with its contracts and
    their events (so running the same import twice adds nothing).
    """
    checker = Checker()
    good_clients = check_clients(actor, clients, checker, skip_existing=skip_existing,
                                 with_ids=True, progress=progress)
    good_contracts = check_contracts(contracts, checker, clients=good_clients, progress=progress)
    good_events = check_events(events, checker, contracts=good_contracts, progress=progress)
    checker.refuse_if_any()
    if not dry_run:
        client_ids = write_clients(actor, good_clients, clients.source, progress=progress)
        contract_ids = write_contracts(actor, good_contracts, contracts.source, client_ids,
                                       progress=progress)
        write_events(actor, good_events, events.source, contract_ids, progress=progress)
    checked = {"client": good_clients, "contract": good_contracts, "event": good_events}
    return ImportReport({k: len(v.rows) for k, v in checked.items()},
                        {k: v.skipped for k, v in checked.items()}, dry_run)
