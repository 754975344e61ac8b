"""What `event calendar` exports: the selected events, and the database's identity.

The identity (written once, by migration 0006) makes each event's calendar UID
`event-<id>@<identity>` the same in every export of this database, and different from
another database's event with the same id: a calendar re-importing the file updates
its events instead of duplicating them.
"""
from __future__ import annotations

from datetime import timedelta

from ..models import Event, Setting
from ..validation import parse_datetime
from .events import event_query
from .policy import requires
from .transfer_export import Export


def database_identity() -> str:
    return Setting.get_by_id("database_id").value


def _bound(text, field: str, *, end: bool):
    """A --from/--to value as naive UTC; a bare date as --to means the end of that day."""
    if text is None:
        return None
    moment = parse_datetime(text, field)
    return moment + timedelta(days=1) if end and len(text.strip()) == 10 else moment


@requires("event.read", write=False)
def calendar_events(actor, *, mine=False, support=None, since=None, until=None) -> Export:
    """The events starting from SINCE up to UNTIL (local dates or times), as Event rows."""
    query, counted = event_query(actor, mine=mine, support=support,
                                 since=_bound(since, "from", end=False),
                                 until=_bound(until, "to", end=True))
    return Export(query, counted, Event, lambda event: event)
