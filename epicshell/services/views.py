"""What each `view` command shows, read in as few queries as the data allows.

A view is the most frequent command staff run, so each one is a fixed, small number of
statements whatever the record holds: the record with its owner and the first related
rows come back joined, and a window count (`COUNT(*) OVER ()`) gives the number of
related rows in the same statement as the rows themselves. With the session check
before every command, a client or contract view is three queries, an event view two.
The queries are `Shape`s: composed once per database, then only executed.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN, fn

from ..errors import NotFound
from ..models import Client, Contract, Event, Payment, User
from ..validation import parse_id
from .policy import requires
from .shapes import Shape

RELATED_LIMIT = 20  # a view shows the first related records; the list commands page them all

Commercial = User.alias("view_commercial")
ContractCommercial = User.alias("view_contract_commercial")
Support = User.alias("view_support")
Recorder = User.alias("view_recorder")


@dataclass
class Related:
    """The first related rows of a record, and how many there are in all."""

    rows: list
    total: int


@dataclass
class ClientView:
    client: Client
    contracts: Related
    events: Related


@dataclass
class ContractView:
    contract: Contract
    payments: list
    events: Related


def _shown(model) -> list:
    """The columns of MODEL a view shows: all but its search text."""
    return [field for field in model._meta.sorted_fields if field.name != "search_text"]


def _named(user) -> tuple:
    """Of a staff member a view shows only the name (never, say, a password hash)."""
    return user.id, user.full_name


def _counted(query, column):
    return query.select_extend(fn.COUNT(column).over().alias("related_total"))


# The client, its commercial and its first contracts (LEFT JOIN: a client may have none).
_CLIENT_AND_CONTRACTS = Shape(lambda client_id, limit: _counted(
    Client.select(*_shown(Client), *_named(Commercial), Contract, *_named(ContractCommercial))
    .join(Commercial, on=(Client.commercial == Commercial.id), attr="commercial")
    .switch(Client)
    .join(Contract, JOIN.LEFT_OUTER, on=(Contract.client == Client.id), attr="related_contract")
    .join(ContractCommercial, JOIN.LEFT_OUTER, on=(Contract.commercial == ContractCommercial.id),
          attr="commercial"), Contract.id)
    .where(Client.id == client_id).order_by(Contract.id).limit(limit), arity=2)

_EVENTS_OF_CLIENT = Shape(lambda client_id, limit: _counted(
    Event.select(*_shown(Event), Contract.id, *_named(Support))
    .join(Contract, on=(Event.contract == Contract.id), attr="contract")
    .switch(Event)
    .join(Support, JOIN.LEFT_OUTER, on=(Event.support == Support.id), attr="support"), Event.id)
                          .where(Contract.client == client_id)
                          .order_by(Event.start, Event.id).limit(limit), arity=2)

# The contract, its client and commercial, and every payment with who recorded it.
_CONTRACT_AND_PAYMENTS = Shape(lambda contract_id: (
    Contract.select(Contract, Client, Commercial, Payment, Recorder)
    .join(Client, on=(Contract.client == Client.id), attr="client")
    .switch(Contract)
    .join(Commercial, on=(Contract.commercial == Commercial.id), attr="commercial")
    .switch(Contract)
    .join(Payment, JOIN.LEFT_OUTER, on=(Payment.contract == Contract.id), attr="related_payment")
    .join(Recorder, JOIN.LEFT_OUTER, on=(Payment.recorded_by == Recorder.id), attr="recorded_by")
    .where(Contract.id == contract_id).order_by(Payment.id)))

_EVENTS_OF_CONTRACT = Shape(lambda contract_id, limit: _counted(
    Event.select(Event, Support)
    .join(Support, JOIN.LEFT_OUTER, on=(Event.support == Support.id), attr="support"), Event.id)
    .where(Event.contract == contract_id).order_by(Event.start, Event.id).limit(limit), arity=2)

# An event with everything its view shows: contract, client, commercial, support contact.
_EVENT = Shape(lambda event_id: (
    Event.select(Event, Contract, Client, Commercial, Support)
    .join(Contract, on=(Event.contract == Contract.id), attr="contract")
    .join(Client, on=(Contract.client == Client.id), attr="client")
    .switch(Contract)
    .join(Commercial, on=(Contract.commercial == Commercial.id), attr="commercial")
    .switch(Event)
    .join(Support, JOIN.LEFT_OUTER, on=(Event.support == Support.id), attr="support")
    .where(Event.id == event_id).limit(1)))


@requires("client.read", write=False)
def client_view(actor, client_id, limit: int = RELATED_LIMIT) -> ClientView:
    """A client with its commercial, first contracts and first events: two queries."""
    rows = _CLIENT_AND_CONTRACTS.rows(parse_id(client_id), limit)
    if not rows:
        raise NotFound("client", client_id)
    client = rows[0]
    contracts = [row.related_contract for row in rows if row.related_contract is not None]
    for contract in contracts:
        contract.client = client
    events = _EVENTS_OF_CLIENT.rows(client.id, limit)
    for event in events:
        event.contract.client = client
    return ClientView(client, Related(contracts, rows[0].related_total),
                      Related(events, events[0].related_total if events else 0))


@requires("contract.read", write=False)
def contract_view(actor, contract_id, limit: int = RELATED_LIMIT) -> ContractView:
    """A contract with its client, commercial, payments and first events: two queries."""
    rows = _CONTRACT_AND_PAYMENTS.rows(parse_id(contract_id))
    if not rows:
        raise NotFound("contract", contract_id)
    contract = rows[0]
    payments = [row.related_payment for row in rows if row.related_payment is not None]
    events = _EVENTS_OF_CONTRACT.rows(contract.id, limit)
    for event in events:
        event.contract = contract
    return ContractView(contract, payments,
                        Related(events, events[0].related_total if events else 0))


def load_event(event_id):
    """An event with its contract, client, commercial and support contact, in one query."""
    event = _EVENT.first(parse_id(event_id))
    if event is None:
        raise NotFound("event", event_id)
    return event


@requires("event.read", write=False)
def event_view(actor, event_id) -> Event:
    return load_event(event_id)
