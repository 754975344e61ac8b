"""Reports: the pipeline, revenue, unpaid amounts and support workload, summed by the database.

Every figure is an aggregate over integer cents (COUNT, SUM, CASE buckets, GROUP BY over
the covering indexes of migration 0007); Python only turns the few resulting rows into
records and adds them up into the total row, so the total is the sum of the rows by
construction. Periods and month boundaries are computed here, in the user's local time,
and handed to the query as UTC instants: SQLite and PostgreSQL bucket by the very same
ranges, and a month is the user's calendar month, not a UTC one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import SQL, Case, fn

from .. import validation
from ..errors import ValidationError
from ..models import Client, Contract, Event, Payment, User, database, utcnow
from ..validation import MAX_AMOUNT_CENTS, format_cents, parse_datetime, utc_to_local
from .policy import COMMERCIAL, SUPPORT, requires

PIPELINE_KEYS = ("commercial_id", "commercial", "clients", "drafts", "signed", "cancelled",
                 "amount_signed", "amount_paid", "amount_due")
REVENUE_MONTH_KEYS = ("month", "amount_signed", "amount_collected")
REVENUE_COMMERCIAL_KEYS = ("commercial_id", "commercial", "amount_signed", "amount_collected")
UNPAID_KEYS = ("commercial_id", "commercial", "days_0_30", "days_31_60", "days_61_90",
               "days_over_90", "total_due")
WORKLOAD_KEYS = ("support_id", "support", "events", "attendees")
UNPAID_BUCKETS = ("days_0_30", "days_31_60", "days_61_90", "days_over_90")
UNPAID_BUCKET_STARTS = (31, 61, 91)  # a contract signed 31 days ago is in the second bucket
MONTHS_PER_QUERY = 120  # UNION ALL terms per statement (SQLite allows 500)
REVENUE_MONTHS = 12  # default period of `report revenue`: this month and the 11 before
WORKLOAD_DAYS = 30
TOTAL = "total"
NO_SUPPORT = "(no support)"
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


@dataclass
class Report:
    """Rows of one report and, when it has one, the total row (the sum of the rows)."""

    keys: tuple
    rows: list[dict]
    total: dict | None = None
    period: tuple = (None, None)  # UTC [start, end) the figures cover, None = unbounded

    @property
    def all_rows(self) -> list[dict]:
        return self.rows + ([self.total] if self.total else [])


# --- periods --------------------------------------------------------------------------------


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


def _in_period(column, begin, stop):
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


# --- shared pieces ---------------------------------------------------------------------------


def _cents(value) -> int:
    """A SUM from either database as int cents (PostgreSQL sums bigint into numeric)."""
    return int(value or 0)


def _people(department: str, ids_with_data) -> list[User]:
    """The active users of DEPARTMENT, plus whoever else holds records in the report."""
    wanted = (User.department == department) & (User.active == True)
    ids = [i for i in ids_with_data if i is not None]
    if ids:
        wanted |= User.id.in_(ids)
    return list(User.select(User.id, User.full_name, User.department)
                .where(wanted).order_by(User.full_name, User.id))


def _sum_rows(keys, rows, label: dict, amount_keys=(), count_keys=()) -> dict:
    """The total row: LABEL's values, then the sum of each amount and count column."""
    total = dict.fromkeys(keys)
    total.update(label)
    for key in count_keys:
        total[key] = sum(row[key] for row in rows)
    for key in amount_keys:
        total[key] = format_cents(sum(row["_cents"][key] for row in rows))
    return total


def _finish(keys, rows, label, amount_keys, count_keys) -> Report:
    total = _sum_rows(keys, rows, label, amount_keys, count_keys)
    for row in rows:
        row.pop("_cents")
    return Report(keys, rows, total)


def _person_row(keys, id_key, name_key, person, cents: dict, counts: dict) -> dict:
    row = dict.fromkeys(keys)
    row[id_key] = person.id
    row[name_key] = person.full_name
    row.update(counts)
    row.update({key: format_cents(value) for key, value in cents.items()})
    row["_cents"] = cents
    return row


# --- report pipeline ----------------------------------------------------------------------------


@requires("report.read", write=False)
def pipeline(actor, *, start=None, end=None) -> Report:
    """Per commercial: clients (all), then contracts created in the period by status, and the
    amounts signed, paid (total − due) and due over the signed ones."""
    begin, stop = parse_period(start, end)
    clients = dict(Client.select(Client.commercial, fn.COUNT(Client.id))
                   .group_by(Client.commercial).tuples())
    by_status: dict[int, dict] = {}
    query = (Contract.select(Contract.commercial, Contract.status, fn.COUNT(Contract.id),
                             fn.SUM(Contract.total_cents), fn.SUM(Contract.due_cents))
             .where(_in_period(Contract.created_at, begin, stop))
             .group_by(Contract.commercial, Contract.status).tuples())
    for commercial_id, status, count, total, due in query:
        by_status.setdefault(commercial_id, {})[status] = (count, _cents(total), _cents(due))
    rows = []
    for person in _people(COMMERCIAL, set(clients) | set(by_status)):
        statuses = by_status.get(person.id, {})
        signed_count, signed_total, signed_due = statuses.get("signed", (0, 0, 0))
        counts = {"clients": clients.get(person.id, 0),
                  "drafts": statuses.get("draft", (0,))[0], "signed": signed_count,
                  "cancelled": statuses.get("cancelled", (0,))[0]}
        cents = {"amount_signed": signed_total, "amount_paid": signed_total - signed_due,
                 "amount_due": signed_due}
        rows.append(_person_row(PIPELINE_KEYS, "commercial_id", "commercial", person, cents,
                                counts))
    report = _finish(PIPELINE_KEYS, rows, {"commercial": TOTAL},
                     ("amount_signed", "amount_paid", "amount_due"),
                     ("clients", "drafts", "signed", "cancelled"))
    report.period = (begin, stop)
    return report


# --- report revenue -----------------------------------------------------------------------------


def _signed_in(begin, stop):
    """Contracts signed in [BEGIN, STOP) and still signed (a cancelled one brought nothing)."""
    return (Contract.status == "signed") & _in_period(Contract.signed_at, begin, stop)


def _collected():
    """The payments that are money collected: not the adjustments that only explain a
    `due` set below the total by hand (commands.md §8), since no money came in."""
    return Payment.adjustment == False


def _collections(begin, stop):
    """Payments recorded in [BEGIN, STOP): the amounts collected."""
    return _in_period(Payment.paid_at, begin, stop) & _collected()


def _sums_by_month(model, column, amount, months, condition=None) -> dict[int, int]:
    """{month index: SUM(AMOUNT)} of the rows (matching CONDITION) whose COLUMN is in each month.

    One indexed range sum per month, glued with UNION ALL: each row is read once, from the
    covering index, with no per-row bucketing (a CASE over many months costs a comparison
    per month and row), and both databases cut at the same instants. Each part has exactly
    one range on COLUMN, so the planner cannot pick a wider one.
    """
    sums: dict[int, int] = {}
    indexed = list(enumerate(months))
    for first in range(0, len(indexed), MONTHS_PER_QUERY):
        parts, params = [], []
        for index, (_label, month_start, month_end) in indexed[first:first + MONTHS_PER_QUERY]:
            where = (column >= month_start) & (column < month_end)
            if condition is not None:
                where &= condition
            sql, values = model.select(SQL(str(index)), fn.SUM(amount)).where(where).sql()
            parts.append(sql)
            params.extend(values)
        cursor = database.execute_sql(" UNION ALL ".join(parts), params)
        sums.update({int(index): _cents(total) for index, total in cursor.fetchall()})
    return sums


@requires("report.read", write=False)
def revenue(actor, *, by="month", start=None, end=None) -> Report:
    """Amount signed (totals of contracts signed) and collected (payments recorded), per local
    month or per commercial, over the period (default: this month and the 11 before)."""
    if by not in ("month", "commercial"):
        raise ValidationError("by", f"{by!r} is not month or commercial")
    begin, stop = revenue_period(start, end)
    report = _revenue_by_commercial(begin, stop) if by == "commercial" else \
        _revenue_by_month(begin, stop)
    report.period = (begin, stop)
    return report


def _revenue_by_month(begin, stop) -> Report:
    months = month_boundaries(begin, stop)
    signed = _sums_by_month(Contract, Contract.signed_at, Contract.total_cents, months,
                            Contract.status == "signed")
    collected = _sums_by_month(Payment, Payment.paid_at, Payment.amount_cents, months,
                               _collected())
    rows = []
    for index, (label, _start, _end) in enumerate(months):
        cents = {"amount_signed": signed.get(index, 0), "amount_collected": collected.get(index, 0)}
        rows.append({"month": label, **{k: format_cents(v) for k, v in cents.items()},
                     "_cents": cents})
    return _finish(REVENUE_MONTH_KEYS, rows, {"month": TOTAL},
                   ("amount_signed", "amount_collected"), ())


def _revenue_by_commercial(begin, stop) -> Report:
    signed = dict(Contract.select(Contract.commercial, fn.SUM(Contract.total_cents))
                  .where(_signed_in(begin, stop)).group_by(Contract.commercial).tuples())
    collected = dict(Payment.select(Contract.commercial, fn.SUM(Payment.amount_cents))
                     .join(Contract, on=(Payment.contract == Contract.id))
                     .where(_collections(begin, stop)).group_by(Contract.commercial).tuples())
    rows = []
    for person in _people(COMMERCIAL, set(signed) | set(collected)):
        cents = {"amount_signed": _cents(signed.get(person.id)),
                 "amount_collected": _cents(collected.get(person.id))}
        rows.append(_person_row(REVENUE_COMMERCIAL_KEYS, "commercial_id", "commercial", person,
                                cents, {}))
    return _finish(REVENUE_COMMERCIAL_KEYS, rows, {"commercial": TOTAL},
                   ("amount_signed", "amount_collected"), ())


# --- report unpaid ------------------------------------------------------------------------------


def unpaid_bucket_cuts(now: datetime) -> list[datetime]:
    """Signature times separating the buckets: signed after cuts[0] is 0-30 days old, …"""
    return [now - timedelta(days=days) for days in UNPAID_BUCKET_STARTS]


@requires("report.read", write=False)
def unpaid(actor) -> Report:
    """Amount due on signed contracts, per commercial, by days since signature: 0-30, 31-60,
    61-90, over 90 (a signed contract without a signature date counts as over 90)."""
    cuts = unpaid_bucket_cuts(utcnow())
    due = Contract.due_cents
    recent, month, quarter = (Contract.signed_at > cut for cut in cuts)
    buckets = (
        fn.SUM(Case(None, [(recent, due)], 0)),
        fn.SUM(Case(None, [(month & ~recent, due)], 0)),
        fn.SUM(Case(None, [(quarter & ~month, due)], 0)),
        fn.SUM(Case(None, [(quarter, 0)], due)),
    )
    # A two-sided range on due_cents lets SQLite's planner see how narrow it is.
    query = (Contract.select(Contract.commercial, *buckets)
             .where((Contract.status == "signed") & (due > 0) & (due < MAX_AMOUNT_CENTS))
             .group_by(Contract.commercial).tuples())
    sums = {commercial_id: [_cents(v) for v in values] for commercial_id, *values in query}
    rows = []
    for person in _people(COMMERCIAL, set(sums)):
        values = sums.get(person.id, [0, 0, 0, 0])
        cents = dict(zip(UNPAID_BUCKETS, values, strict=True))
        cents["total_due"] = sum(values)
        rows.append(_person_row(UNPAID_KEYS, "commercial_id", "commercial", person, cents, {}))
    return _finish(UNPAID_KEYS, rows, {"commercial": TOTAL}, (*UNPAID_BUCKETS, "total_due"), ())


# --- report workload ----------------------------------------------------------------------------


@requires("report.read", write=False)
def workload(actor, *, days=None) -> Report:
    """Per active support user: events and attendees in the next N days (30 by default); a
    last row for the events without support. No total row: the last row is that one."""
    span = parse_days(days, WORKLOAD_DAYS)
    now = utcnow()
    window = (Event.start >= now) & (Event.start <= now + timedelta(days=span))
    sums = {support_id: (count, _cents(attendees)) for support_id, count, attendees in
            Event.select(Event.support, fn.COUNT(Event.id), fn.SUM(Event.attendees))
            .where(window).group_by(Event.support).tuples()}
    rows = []
    for person in _people(SUPPORT, set(sums)):
        count, attendees = sums.get(person.id, (0, 0))
        rows.append({"support_id": person.id, "support": person.full_name, "events": count,
                     "attendees": attendees})
    count, attendees = sums.get(None, (0, 0))
    rows.append({"support_id": None, "support": NO_SUPPORT, "events": count,
                 "attendees": attendees})
    return Report(WORKLOAD_KEYS, rows)
