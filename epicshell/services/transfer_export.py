"""Exports: every record the list filters select, read in pages by id (keyset), so memory
stays flat whatever the size and a page costs the same at row 1 as at row 1,000,000.

Entity exports read plain tuples in the files' column order (`COLUMNS`), not model
objects: building a million peewee models (with their joined users) would cost more
than the whole rest of an export.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter, itemgetter

from peewee import DateTimeField, SqliteDatabase

from ..models import Client, Contract, Event, User, database
from ..validation import format_cents
from .clients import client_query
from .contracts import ClientUser, contract_query
from .events import SupportUser, event_query
from .policy import requires

PAGE = 1000


@dataclass
class Export:
    """What an export will write: `count()` (for a progress bar) and `records()`."""

    query: object
    counted: object
    model: object
    to_record: Callable = lambda row: row
    id_of: Callable = attrgetter("id")

    def count(self) -> int:
        return self.counted.order_by().count()

    def _page(self, after: int) -> list:
        return list(self.query.where(self.model.id > after).order_by(self.model.id).limit(PAGE))

    def records(self) -> Iterator:
        """Every selected record, in id order, one page of PAGE rows at a time."""
        last = 0
        while True:
            page = self._page(last)
            for row in page:
                yield self.to_record(row)
            if len(page) < PAGE:
                return
            last = self.id_of(page[-1])


@dataclass
class TupleExport(Export):
    """Rows straight from the driver: only the time columns (TIMES, positions) need
    converting, and only on SQLite, which returns them as text."""

    times: tuple = ()

    def _page(self, after: int) -> list:
        query = self.query.where(self.model.id > after).order_by(self.model.id).limit(PAGE)
        rows = database.execute(query).fetchall()
        if self.times and isinstance(database.obj, SqliteDatabase):
            rows = [_parse_times(row, self.times) for row in rows]
        return rows


def _parse_times(row, positions) -> list:
    row = list(row)
    for i in positions:
        if row[i] is not None:
            row[i] = datetime.fromisoformat(row[i])
    return row


def _tuples(query, counted, model, *columns, to_record=None) -> Export:
    """An Export of COLUMNS (in the files' column order) as tuples."""
    times = tuple(i for i, column in enumerate(columns) if isinstance(column, DateTimeField))
    return TupleExport(query.select(*columns), counted, model, to_record or (lambda row: row),
                       itemgetter(0), times)


def _money(row) -> list:  # total and due are the 6th and 7th columns of a contract
    row = list(row)
    row[5], row[6] = format_cents(row[5]), format_cents(row[6])
    return row


@requires("client.read", write=False)
def export_clients(actor, **filters) -> Export:
    """Client rows: the §2 keys, then commercial_email."""
    return _tuples(*client_query(actor, **filters), Client,
                   Client.id, Client.full_name, Client.email, Client.phone, Client.company,
                   Client.commercial, User.full_name, Client.created_at, Client.updated_at,
                   User.email)


@requires("contract.read", write=False)
def export_contracts(actor, **filters) -> Export:
    """Contract rows: the §2 keys, then client_email."""
    return _tuples(*contract_query(actor, **filters), Contract,
                   Contract.id, Contract.client, Client.full_name, Contract.commercial,
                   ClientUser.full_name, Contract.total_cents, Contract.due_cents, Contract.status,
                   Contract.signed_at, Contract.created_at, Contract.updated_at, Client.email,
                   to_record=_money)


@requires("event.read", write=False)
def export_events(actor, **filters) -> Export:
    """Event rows: the §2 keys, then support_email."""
    return _tuples(*event_query(actor, **filters), Event,
                   Event.id, Event.name, Event.contract, Client.full_name, Client.email,
                   Client.phone, Event.support, SupportUser.full_name, Event.start, Event.end,
                   Event.location, Event.attendees, Event.notes, SupportUser.email)


@requires("data.export", write=False)
def export_database(actor) -> dict:
    """Every client, contract and event, by entity: the whole database (management only)."""
    return {"client": export_clients(actor), "contract": export_contracts(actor),
            "event": export_events(actor)}
