"""Events: created on signed contracts, staffed by a support contact."""
from __future__ import annotations

from datetime import timedelta

from peewee import JOIN

from ..errors import EpicError, NotFound, ValidationError
from ..models import Client, Contract, Event, User, utcnow
from ..validation import (
    parse_attendees,
    parse_datetime,
    parse_days,
    parse_id,
    parse_name,
    parse_notes,
    parse_text,
)
from .base import audit, get_or_404, notify, paginate, versioned_update
from .policy import COMMERCIAL, SUPPORT, requires
from .search import event_text, matches, ranked_page
from .search import parse as parse_search
from .staff import check_staff

SupportUser = User.alias("support_user")


def _with_names():
    return (Event.select(Event, Contract, Client, SupportUser)
            .join(Contract, on=(Event.contract == Contract.id))
            .join(Client, on=(Contract.client == Client.id))
            .switch(Event)
            .join(SupportUser, join_type=JOIN.LEFT_OUTER, on=(Event.support == SupportUser.id)))


@requires("event.read", write=False)
def list_events(actor, *, mine=False, unassigned=False, upcoming=False, days=None, support=None,
                contract=None, client=None, search=None, page=1, limit=50, count=False):
    """Events, soonest first; with SEARCH, ranked as search ranks."""
    query, counted = event_query(actor, mine=mine, unassigned=unassigned, upcoming=upcoming,
                                 days=days, support=support, contract=contract, client=client)
    searched = parse_search(search)
    if searched:
        return ranked_page(Event, searched, query, counted, page, limit, exact=count)
    return paginate(query.order_by(Event.start, Event.id), page, limit, count_query=counted,
                    exact=count)


def event_query(actor, *, mine=False, unassigned=False, upcoming=False, days=None, support=None,
                contract=None, client=None, search=None, since=None, until=None):
    """(rows with their names, the same rows' ids) of the events the filters select,
    unordered (SEARCH filters, the list ranks); SINCE and UNTIL (naive UTC) bound the
    start, for calendars."""
    conditions = []
    needs_contract = False
    if mine:
        # "Mine" is the events a user works on: a support's assigned events, a commercial's
        # clients' events. Asking only the side that can match keeps the index usable
        # ((support_id, start) or (commercial_id, start): no sort of the user's events).
        if actor.department == SUPPORT:
            conditions.append(Event.support == actor.id)
        elif actor.department == COMMERCIAL:
            conditions.append(Event.commercial == actor.id)
        else:  # either side: two index ranges, never a walk of every event in start order
            either = (Event.select(Event.id).where(Event.support == actor.id)
                      | Event.select(Event.id).where(Event.commercial == actor.id))
            conditions.append(Event.id.in_(either))
    if unassigned:
        conditions.append(Event.support.is_null())
    if upcoming or days is not None:
        span = 30 if days is None else parse_days(days)
        now = utcnow()
        conditions.append((Event.start >= now) & (Event.start <= now + timedelta(days=span)))
    if support is not None:
        conditions.append(Event.support == parse_id(support, "support"))
    if contract is not None:
        conditions.append(Event.contract == parse_id(contract, "contract"))
    if client is not None:
        conditions.append(Contract.client == parse_id(client, "client"))
        needs_contract = True
    searched = parse_search(search)
    if searched:
        conditions.append(matches(Event, searched))
    if since is not None:
        conditions.append(Event.start >= since)
    if until is not None:
        conditions.append(Event.start < until)
    query = _with_names()
    counted = Event.select(Event.id)
    if needs_contract:
        counted = counted.join(Contract, on=(Event.contract == Contract.id))
    for condition in conditions:
        query = query.where(condition)
        counted = counted.where(condition)
    return query, counted


@requires("event.read", write=False)
def get_event(actor, event_id):
    event = _with_names().where(Event.id == parse_id(event_id)).first()
    if event is None:
        raise NotFound("event", event_id)
    return event


def _clean_fields(values: dict) -> dict:
    clean = {}
    if values.get("name") is not None:
        clean["name"] = parse_name(values["name"], "name")
    if values.get("start") is not None:
        clean["start"] = parse_datetime(values["start"], "start")
    if values.get("end") is not None:
        clean["end"] = parse_datetime(values["end"], "end")
    if values.get("location") is not None:
        clean["location"] = parse_text("location", values["location"], max_length=200,
                                       required=False)
    if values.get("attendees") is not None:
        clean["attendees"] = parse_attendees(values["attendees"])
    if values.get("notes") is not None:
        clean["notes"] = parse_notes(values["notes"])
    return clean


def _refuse_if_frozen(event: Event) -> None:
    """A cancelled contract's events are frozen with it: read, never changed or staffed."""
    if event.contract.status == "cancelled":
        raise EpicError(f"event {event.id} belongs to contract {event.contract_id}, which is "
                        "cancelled: it accepts no change")


def _check_span(start, end) -> None:
    if end <= start:
        raise ValidationError("end", "must be after the start")


def check_event_contract(contract: Contract) -> None:
    """An event needs a signed contract (§4): the rule of create and of every imported row."""
    if contract.status != "signed":
        raise EpicError(f"contract {contract.id} is {contract.status}; events need a signed contract")


def clean_new_event(*, name, start, end, location=None, attendees=None, notes=None) -> dict:
    """The values of a new event, checked (§4, §5): name, start, end required, end > start."""
    fields = _clean_fields({"name": name, "start": start, "end": end, "location": location,
                            "attendees": attendees if attendees is not None else 0, "notes": notes})
    for required in ("name", "start", "end"):
        if required not in fields:
            raise ValidationError(required, "is required")
    _check_span(fields["start"], fields["end"])
    return fields


@requires("event.create", Contract)
def create_event(actor, contract, *, name, start, end, location=None, attendees=None, notes=None):
    check_event_contract(contract)
    fields = clean_new_event(name=name, start=start, end=end, location=location,
                             attendees=attendees, notes=notes)
    client_name = Client.select(Client.full_name).where(Client.id == contract.client_id).scalar()
    event = Event.create(contract=contract.id, commercial=contract.commercial_id,
                         name_key=fields["name"].lower(),
                         search_text=event_text(fields["name"], fields.get("location"), client_name),
                         **fields)
    audit(actor, "create", "event", event.id, {k: (None, v) for k, v in fields.items()})
    notify("event.created", event_id=event.id, contract_id=contract.id, actor_id=actor.id)
    return event


@requires("event.update", Event)
def update_event(actor, event, *, expected_version=None, **values):
    unknown = set(values) - {"name", "start", "end", "location", "attendees", "notes"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "cannot be changed here")
    _refuse_if_frozen(event)
    clean = _clean_fields(values)
    _check_span(clean.get("start", event.start), clean.get("end", event.end))
    changes = {k: (getattr(event, k), v) for k, v in clean.items() if getattr(event, k) != v}
    if changes:
        update = {k: new for k, (_old, new) in changes.items()}
        if "name" in update:
            update["name_key"] = update["name"].lower()
        if changes.keys() & {"name", "location"}:
            client_name = (Client.select(Client.full_name)
                           .join(Contract, on=(Contract.client == Client.id))
                           .where(Contract.id == event.contract_id).scalar())
            update["search_text"] = event_text(update.get("name", event.name),
                                               update.get("location", event.location), client_name)
        versioned_update(event, update, "event", expected_version)
        audit(actor, "update", "event", event.id, changes)
    return event


@requires("event.assign", Event)
def assign_event(actor, event, support_id):
    _refuse_if_frozen(event)
    support = check_staff(get_or_404(User, support_id, "user", lock=True), SUPPORT, "support_id")
    if event.support_id == support.id:
        return event
    previous = event.support.full_name if event.support_id else None
    versioned_update(event, {"support": support.id}, "event")
    audit(actor, "assign", "event", event.id, {"support": (previous, support.full_name)})
    notify("event.assigned", event_id=event.id, support_id=support.id, actor_id=actor.id)
    return event
