"""`event calendar FILE`: an iCalendar file (RFC 5545, written by the icalendar library)
that calendar applications import; one VEVENT per event, written one at a time."""
from __future__ import annotations

from datetime import timezone

from ...safetext import visible
from ...services.calendar import calendar_events, database_identity
from .. import lookups
from ..files import write_file
from ..progress import progress_bar
from ..registry import Arg, Flag, Opt, command
from ..render import Result

PRODID = "-//Epic Events//epicshell//EN"


def _utc(moment):
    return moment.replace(tzinfo=timezone.utc)


def _text(value: str) -> str:
    """Stored text as calendar TEXT: RFC 5545 allows no control character but the line
    breaks (which icalendar escapes), so the others are written as visible `\\xNN`,
    as a terminal shows them; nothing in the file can act on the application reading it."""
    return visible(value, keep_newlines=True)


def _description(event) -> str:
    client = event.contract.client
    lines = [f"Client: {client.full_name}", f"Email: {client.email or '-'}",
             f"Phone: {client.phone or '-'}", f"Contract: {event.contract_id}",
             f"Attendees: {event.attendees}"]
    if event.support_id:
        lines.append(f"Support: {event.support.full_name}")
    if event.notes:
        lines.append(f"Notes: {event.notes}")
    return _text("\n".join(lines))


def vevent(event, identity: str):
    """One event as a VEVENT: UID stable per database, times in UTC."""
    from icalendar import Event as VEvent

    item = VEvent()
    item.add("uid", f"event-{event.id}@{identity}")
    item.add("dtstamp", _utc(event.updated_at))
    item.add("last-modified", _utc(event.updated_at))
    item.add("sequence", event.version)
    item.add("dtstart", _utc(event.start))
    item.add("dtend", _utc(event.end))
    item.add("summary", _text(event.name))
    if event.location:
        item.add("location", _text(event.location))
    item.add("description", _description(event))
    return item


def _write(file, events, identity: str, progress) -> int:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Epic Events")
    head, tail = calendar.to_ical().decode("utf-8").split("END:VCALENDAR")
    file.write(head)
    count = 0
    for event in events:
        file.write(vevent(event, identity).to_ical().decode("utf-8"))
        count += 1
        if progress is not None and count % 1000 == 0:
            progress("writing", 1000)
    file.write("END:VCALENDAR" + tail)
    return count


@command("event calendar", summary="Write the events to FILE as an iCalendar file (.ics) "
         "for calendar applications.", operation="event.read",
         params=(Arg("file", "the .ics file to write", metavar="FILE"),
                 Flag("--mine", "only your events (assigned to you, or of your clients)"),
                 Opt("--support", "only events of this support contact", metavar="ID",
                     complete=lookups.support_ids),
                 Opt("--from", "only events starting on or after DATE", metavar="DATE"),
                 Opt("--to", "only events starting on or before DATE", metavar="DATE"),
                 Flag("--force", "overwrite FILE if it exists")),
         examples=("event calendar events.ics --mine",
                   "event calendar june.ics --from 2030-06-01 --to 2030-06-30"))
def event_calendar(ctx, args):
    selected = calendar_events(ctx.actor, mine=args.mine, support=args.support,
                               since=getattr(args, "from"), until=args.to)
    identity = database_identity()
    total = selected.count() if ctx.interactive else None
    with progress_bar(ctx, total, "Writing the calendar") as progress:
        count = write_file(ctx, args.file,
                           lambda file: _write(file, selected.records(), identity, progress),
                           force=args.force)
    return Result(message=f"Wrote {count:,} event{'s' if count != 1 else ''} to {args.file}.")
