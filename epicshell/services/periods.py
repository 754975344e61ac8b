"""Periods of the reports and the agenda: `--from`/`--to`, local calendar months, `--days`.

Users think in their own calendar, the database stores naive UTC. Every boundary is
computed here, in local time, and handed to the queries as a UTC instant, so SQLite and
PostgreSQL cut at exactly the same moments (no per-database date truncation) and a month
is the user's calendar month, daylight-saving changes included.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from peewee import SQL

from .. import validation
from ..errors import ValidationError
from ..models import utcnow
from ..validation import parse_datetime, utc_to_local

REVENUE_MONTHS = 12  # default period of `report revenue`: this month and the 11 before
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def parse_period(start=None, end=None) -> tuple[datetime | None, datetime | None]:
    """`--from`/`--to` (local time) as a half-open UTC range [start, end).

    `--to 2026-03-31` includes that whole day; `--to '2026-03-31 12:00'` stops at noon.
    """
    begin = parse_datetime(start, "from") if start not in (None, "") else None
    stop = None
    if end not in (None, ""):
        stop = parse_datetime(end, "to")
        if isinstance(end, str) and _DATE_ONLY.match(end):
            local_day = datetime.strptime(end.strip(), "%Y-%m-%d")
            stop = parse_datetime(local_day + timedelta(days=1), "to")
    if begin is not None and stop is not None and stop <= begin:
        raise ValidationError("to", "must be after --from")
    return begin, stop


def in_period(column, begin, stop):
    condition = SQL("1 = 1")
    if begin is not None:
        condition &= column >= begin
    if stop is not None:
        condition &= column < stop
    return condition


def _local_month_start(moment: datetime) -> datetime:
    """The local calendar month containing MOMENT (naive UTC), as a naive local datetime."""
    local = utc_to_local(moment).replace(tzinfo=None)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(local: datetime) -> datetime:
    return local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)


def month_boundaries(begin: datetime, stop: datetime) -> list[tuple[str, datetime, datetime]]:
    """(label `YYYY-MM`, UTC start, UTC end) of each local month meeting [BEGIN, STOP).

    The first and last months are cut to the period, so the months tile it exactly.
    """
    month = _local_month_start(begin)
    months = []
    while True:
        month_start = max(parse_datetime(month), begin)
        if month_start >= stop:
            return months
        following = _next_month(month)
        months.append((month.strftime("%Y-%m"), month_start, min(parse_datetime(following), stop)))
        month = following


def _months_back(month: datetime, count: int) -> datetime:
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def revenue_period(start=None, end=None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The period of `report revenue`, as UTC [start, end).

    Default: the current local month and the eleven before it. Only `--from`: from there to
    the end of the current month (or of that month, if later). Only `--to`: the twelve local
    months ending with the one `--to` falls in.
    """
    begin, stop = parse_period(start, end)
    if stop is None:
        current = _local_month_start(now or utcnow())
        latest = current if begin is None else max(current, _local_month_start(begin))
        stop = parse_datetime(_next_month(latest))
    if begin is None:
        last_month = _local_month_start(stop - timedelta(microseconds=1))
        begin = parse_datetime(_months_back(last_month, REVENUE_MONTHS - 1))
    return begin, stop


def parse_days(value, default: int) -> int:
    """`--days N` of the agenda and the workload: the same rule as every other day count
    (validation.parse_days), DEFAULT when absent."""
    return default if value is None else validation.parse_days(value)
