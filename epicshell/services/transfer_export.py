"""Exports: every record the list filters select, read in pages by id (keyset), so memory
stays flat whatever the size and a page costs the same at row 1 as at row 1,000,000."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..models import Client, Contract, Event
from .clients import client_query
from .contracts import contract_query
from .events import event_query
from .policy import requires
from .records import client_record, contract_record, event_record

PAGE = 1000


@dataclass
class Export:
    """What an export will write: `count()` (for a progress bar) and `records()`."""

    query: object
    counted: object
    model: object
    to_record: Callable

    def count(self) -> int:
        return self.counted.order_by().count()

    def records(self) -> Iterator[dict]:
        """Every selected record, as a §2 dict plus the email columns, in id order."""
        last = 0
        while True:
            page = list(self.query.where(self.model.id > last).order_by(self.model.id).limit(PAGE))
            for row in page:
                yield self.to_record(row)
            if len(page) < PAGE:
                return
            last = page[-1].id


def client_row(client) -> dict:
    return {**client_record(client), "commercial_email": client.commercial.email}


def contract_row(contract) -> dict:
    return {**contract_record(contract), "client_email": contract.client.email}


def event_row(event) -> dict:
    return {**event_record(event),
            "support_email": event.support.email if event.support_id else None}


@requires("client.read", write=False)
def export_clients(actor, **filters) -> Export:
    return Export(*client_query(actor, **filters), Client, client_row)


@requires("contract.read", write=False)
def export_contracts(actor, **filters) -> Export:
    return Export(*contract_query(actor, **filters), Contract, contract_row)


@requires("event.read", write=False)
def export_events(actor, **filters) -> Export:
    return Export(*event_query(actor, **filters), Event, event_row)
