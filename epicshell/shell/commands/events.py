"""`event …` commands: everyone reads; commercials create on their signed contracts,
management assigns support, and a support contact updates the events assigned to them.

Times are typed and shown in local time (`YYYY-MM-DD HH:MM`); the service stores UTC.
"""
from __future__ import annotations

from ...services import contracts, events, views
from ...services.records import EVENT_KEYS, contract_record, event_record
from ...validation import format_local, parse_days, parse_id, parse_search
from .. import lookups
from ..columns import CONTRACT, EVENT
from ..fields import EVENT_FIELDS, Field
from ..registry import FORMAT, PAGING, Arg, Flag, Opt, command
from ..render import Result, Section
from .common import (
    complete_values,
    given,
    nothing_changed,
    paging,
    refuse_early,
    run_update,
    whole_number,
)

EVENT_ID = Arg("id", "event id", complete=lookups.event_ids)
_FIELD_HELP = {"start": "start, local time YYYY-MM-DD HH:MM", "end": "end, after the start",
               "attendees": "expected number of attendees", "notes": "free text"}
FIELD_OPTS = tuple(Opt(f.flag, _FIELD_HELP.get(f.name, f.label.lower()), metavar=f.name.upper())
                   for f in EVENT_FIELDS)
DAYS = Opt("--days", "with --upcoming: how many days ahead (default 30)", metavar="N")
COLUMNS = EVENT.option()


def _list(ctx, args, **filters):
    columns = EVENT.pick(args.columns)
    page = events.list_events(ctx.actor, **filters, **paging(args))
    return Result.listing(page, event_record, EVENT_KEYS, empty="no events match",
                          columns=columns)


@command("event list", summary="List events, soonest first (everyone may read every event).",
         operation="event.read",
         params=(Flag("--mine", "only your events (assigned to you, or of your clients)"),
                 Flag("--unassigned", "only events without a support contact"),
                 Flag("--upcoming", "only events starting in the next 30 days (see --days)"),
                 DAYS,
                 Opt("--support", "only events of this support contact", metavar="ID",
                     complete=lookups.support_ids),
                 Opt("--contract", "only this contract's events", metavar="ID",
                     complete=lookups.contract_ids),
                 Opt("--client", "only this client's events", metavar="ID",
                     complete=lookups.client_ids),
                 Opt("--search", "text in the name, location or client name", metavar="TEXT"),
                 FORMAT, COLUMNS, *PAGING),
         examples=("event list --unassigned", "event list --upcoming --days 7 --format csv"))
def event_list(ctx, args):
    return _list(ctx, args, mine=args.mine, unassigned=args.unassigned, upcoming=args.upcoming,
                 days=whole_number(args, "days", parse_days), support=args.support, contract=args.contract,
                 client=args.client, search=parse_search(args.search))


@command("event mine", summary="Your events: assigned to you, or of your clients "
         "(same as `event list --mine`).", operation="event.read",
         params=(FORMAT, COLUMNS, *PAGING),
         examples=("event mine",))
def event_mine(ctx, args):
    return _list(ctx, args, mine=True)


@command("event unassigned", summary="Events without a support contact "
         "(same as `event list --unassigned`).", operation="event.read",
         params=(FORMAT, COLUMNS, *PAGING), examples=("event unassigned",))
def event_unassigned(ctx, args):
    return _list(ctx, args, unassigned=True)


@command("event upcoming", summary="Events starting in the next N days, 30 unless --days "
         "(same as `event list --upcoming`).", operation="event.read",
         params=(Opt("--days", "how many days ahead (default 30)", metavar="N"), FORMAT,
                 COLUMNS, *PAGING),
         examples=("event upcoming", "event upcoming --days 7"))
def event_upcoming(ctx, args):
    return _list(ctx, args, upcoming=True, days=whole_number(args, "days", parse_days))


@command("event search", summary="Find events by name, location or client name.",
         operation="event.read",
         params=(Arg("text", "what to look for"), FORMAT, COLUMNS, *PAGING),
         examples=("event search gala",))
def event_search(ctx, args):
    return _list(ctx, args, search=parse_search(args.text))


@command("event view", summary="One event with its client's contact, contract and support.",
         operation="event.read", params=(EVENT_ID, FORMAT),
         examples=("event view 3", "event view 3 --format json"))
def event_view(ctx, args):
    event = views.event_view(ctx.actor, args.id)
    return Result.view(event_record(event), EVENT_KEYS, sections=[
        Section("contract", [contract_record(event.contract)], CONTRACT.default),
    ])


def _contract_field(ctx) -> Field:
    """The wizard's Contract question: an answer is checked as typed against the rules the
    service applies when saving (it exists, the user may plan on it, it is signed)."""
    def plannable(value) -> int:
        contract = contracts.get_contract(ctx.actor, parse_id(value, "contract"))
        refuse_early(ctx, "event.create", contract)
        events.check_event_contract(contract)
        return contract.id

    return Field("contract", "Contract", "the id of a signed contract (of your client, for a "
                 "commercial)", plannable, lookup=lookups.event_contract_ids)


@command("event create", summary="Create an event on a signed contract.",
         operation="event.create",
         params=(Arg("contract_id", "a signed contract (of your client, for a commercial; "
                     "asked with a choice list when left out at a terminal)", optional=True,
                     complete=lookups.event_contract_ids, metavar="CONTRACT_ID"),
                 *FIELD_OPTS),
         examples=("event create 7 --name Gala --start '2030-06-01 18:00' --end 2030-06-02",
                   "event create 7 --name Gala --start 2030-06-01 --end 2030-06-02 --location Lyon",
                   "event create   (opens the wizard)"))
def event_create(ctx, args):
    contract_field = _contract_field(ctx)
    if args.contract_id is not None:  # a contract that would fail fails before any question
        contract_field.parse(args.contract_id)
    values = complete_values(ctx, (contract_field, *EVENT_FIELDS),
                             {"contract": args.contract_id, **given(args, EVENT_FIELDS)},
                             title="New event", labels={"contract": "CONTRACT_ID"})
    event = events.create_event(ctx.actor, values.pop("contract"), **values)
    return Result(message=f"Created event {event.id} ({event.name}) on contract "
                  f"{event.contract_id}, {format_local(event.start)} to {format_local(event.end)}; "
                  "no support contact yet.")


def _current_values(event) -> dict:
    """The event's fields as a wizard shows them: times in local `YYYY-MM-DD HH:MM`."""
    return {"name": event.name, "start": format_local(event.start), "end": format_local(event.end),
            "location": event.location or "", "attendees": str(event.attendees),
            "notes": event.notes or ""}


@command("event update", summary="Change an event (support: the events assigned to you).",
         operation="event.update",
         params=(Arg("id", "event id", complete=lookups.editable_event_ids), *FIELD_OPTS),
         examples=("event update 3 --attendees 150 --notes 'Vegetarian menu'",
                   "event update 3   (opens the wizard with the current values)"))
def event_update(ctx, args):
    event = run_update(ctx, args, EVENT_FIELDS, entity="event", load=events.get_event,
                       save=events.update_event, current_of=_current_values)
    if event is None:
        return nothing_changed(ctx)
    return Result(message=f"Updated event {event.id}.")


@command("event assign", summary="Make a support user the event's contact.",
         operation="event.assign",
         params=(EVENT_ID, Arg("support_id", "a user of the support department",
                               complete=lookups.support_ids, metavar="SUPPORT_ID")),
         examples=("event assign 3 9",))
def event_assign(ctx, args):
    event = events.assign_event(ctx.actor, args.id, args.support_id)
    return Result(message=f"Event {event.id} assigned to {event.support.full_name}.")
