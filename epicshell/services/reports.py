"""Reports: the pipeline, revenue, unpaid amounts and support workload, summed by the database.

Every figure is an aggregate over integer cents (COUNT, SUM, GROUP BY, or one range sum per
commercial or month) over the covering indexes of migrations 0007 and 0010, or over the
sums per hour and per day that the triggers of 0011 and 0012 keep (revenue_hours,
contract_days); Python only turns the few resulting rows into records and adds them up
into the total row, so the total is the sum of the rows by construction. Periods and month
boundaries come from `periods.py`, in the user's local time, handed to the queries as UTC
instants: SQLite and PostgreSQL bucket by the very same ranges, and a month is the user's
calendar month, not a UTC one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import SQL, fn

from ..errors import ValidationError
from ..models import Client, Contract, Event, Payment, User, database, utcnow
from ..validation import MAX_AMOUNT_CENTS, format_cents
from . import contract_days, revenue_hours
from .periods import in_period, month_boundaries, parse_days, parse_period, revenue_period
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
PARTS_PER_QUERY = 120  # UNION ALL terms per statement (SQLite allows 500)
WORKLOAD_DAYS = 30
TOTAL = "total"
NO_SUPPORT = "(no support)"
END_OF_TIME = datetime(9999, 12, 31)


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


def _distinct_ids(column) -> list[int]:
    """The distinct values of COLUMN, which leads an index, one index seek each (a loose
    index scan): SELECT DISTINCT would read every entry of a million-row index."""
    table, name = column.model._meta.table_name, column.column_name
    sql = (f'WITH RECURSIVE seen(id) AS (SELECT MIN("{name}") FROM "{table}" UNION ALL '
           f'SELECT (SELECT MIN("{name}") FROM "{table}" WHERE "{name}" > seen.id) FROM seen '
           "WHERE seen.id IS NOT NULL) SELECT id FROM seen WHERE id IS NOT NULL")
    return [row[0] for row in database.execute_sql(sql).fetchall()]


def _union_all(parts) -> list[tuple]:
    """The rows of PARTS (queries whose first column labels them), PARTS_PER_QUERY per
    statement glued with UNION ALL: a few round trips however many parts."""
    rows = []
    for first in range(0, len(parts), PARTS_PER_QUERY):
        query, *rest = parts[first:first + PARTS_PER_QUERY]
        for part in rest:
            query = query + part  # UNION ALL
        rows.extend(query.tuples())
    return rows


# --- report pipeline ----------------------------------------------------------------------------


def _clients_per_commercial() -> dict[int, int]:
    """{commercial id: clients}, one COUNT per commercial's range of the client index (a
    GROUP BY would compare every entry with the last to find where each group ends)."""
    ids = _distinct_ids(Client.commercial)
    parts = [Client.select(SQL(str(index)), fn.COUNT(SQL("*"))).where(Client.commercial == owner)
             for index, owner in enumerate(ids)]
    return {ids[int(index)]: count for index, count in _union_all(parts)}


def _contracts_by_status(begin, stop) -> dict[int, dict]:
    """{commercial id: {status: (count, total, due)}} of the contracts created in [BEGIN,
    STOP): the days of `contract_day` (kept by triggers) and the rows of any part day."""
    found: dict[int, dict] = {}
    for (commercial_id, status), figures in contract_days.by_status(begin, stop).items():
        found.setdefault(commercial_id, {})[status] = figures
    return found


@requires("report.read", write=False)
def pipeline(actor, *, start=None, end=None) -> Report:
    """Per commercial: clients (all), then contracts created in the period by status, and the
    amounts signed, paid (total − due) and due over the signed ones."""
    begin, stop = parse_period(start, end)
    clients = _clients_per_commercial()
    by_status = _contracts_by_status(begin, stop)
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
    return (Contract.status == "signed") & in_period(Contract.signed_at, begin, stop)


def _collected():
    """The payments that are money collected: not the adjustments that only explain a
    `due` set below the total by hand (commands.md §8), since no money came in."""
    return Payment.adjustment == False


def _collections(begin, stop):
    """Payments recorded in [BEGIN, STOP): the amounts collected."""
    return in_period(Payment.paid_at, begin, stop) & _collected()


def _sums_by_month(kind, months) -> dict[int, int]:
    """{month index: cents} of KIND (revenue_hours.SIGNED or COLLECTED) in each month: the
    sum of its whole UTC hours from `revenue_hour`, plus the rows of any part hour at its
    ends, all in one UNION ALL statement (per PARTS_PER_QUERY parts)."""
    sums: dict[int, int] = {}
    for index, total in _union_all(revenue_hours.parts(kind, months)):
        sums[int(index)] = sums.get(int(index), 0) + _cents(total)
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
    signed = _sums_by_month(revenue_hours.SIGNED, months)
    collected = _sums_by_month(revenue_hours.COLLECTED, months)
    rows = []
    for index, (label, _start, _end) in enumerate(months):
        cents = {"amount_signed": signed.get(index, 0), "amount_collected": collected.get(index, 0)}
        rows.append({"month": label, **{k: format_cents(v) for k, v in cents.items()},
                     "_cents": cents})
    return _finish(REVENUE_MONTH_KEYS, rows, {"month": TOTAL},
                   ("amount_signed", "amount_collected"), ())


def _collected_by_commercial(begin, stop) -> dict[int, int]:
    """{commercial id: cents collected in [BEGIN, STOP)}: payments carry their contract's
    commercial, so each commercial's is one range of the (commercial, adjustment, paid_at,
    amount) index; no payment's contract is looked up and no GROUP BY sorts."""
    ids = _distinct_ids(Payment.commercial)
    parts = [Payment.select(SQL(str(index)), fn.SUM(Payment.amount_cents))
             .where((Payment.commercial == commercial_id) & _collections(begin, stop))
             for index, commercial_id in enumerate(ids)]
    return {ids[int(index)]: _cents(total) for index, total in _union_all(parts)}


def _revenue_by_commercial(begin, stop) -> Report:
    signed = dict(Contract.select(Contract.commercial, fn.SUM(Contract.total_cents))
                  .where(_signed_in(begin, stop)).group_by(Contract.commercial).tuples())
    collected = _collected_by_commercial(begin, stop)
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


def _unpaid_parts(cuts):
    """One statement (one snapshot, so the parts agree): per commercial, part 0 is the whole
    amount due on signed contracts; parts 1-3 the amounts due of contracts signed 0-30,
    31-60 and 61-90 days ago. Each part reads one index range; over 90 is the rest."""
    due, signed_at = Contract.due_cents, Contract.signed_at
    signed = Contract.status == "signed"
    # Two-sided ranges let SQLite's planner see how narrow they are (one-sided, it may
    # rather read a wider index in commercial order to spare the GROUP BY a sort).
    ranges = [(due > 0) & (due < MAX_AMOUNT_CENTS), (signed_at > cuts[0]) & (signed_at < END_OF_TIME),
              (signed_at > cuts[1]) & (signed_at <= cuts[0]),
              (signed_at > cuts[2]) & (signed_at <= cuts[1])]
    parts = [Contract.select(SQL(str(index)), Contract.commercial, fn.SUM(due))
             .where(signed & condition).group_by(Contract.commercial)
             for index, condition in enumerate(ranges)]
    query = parts[0]
    for part in parts[1:]:
        query = query + part  # UNION ALL
    return query.tuples()


@requires("report.read", write=False)
def unpaid(actor) -> Report:
    """Amount due on signed contracts, per commercial, by days since signature: 0-30, 31-60,
    61-90, over 90 (a signed contract without a signature date counts as over 90)."""
    sums: dict[int, list[int]] = {}
    for part, commercial_id, total in _unpaid_parts(unpaid_bucket_cuts(utcnow())):
        sums.setdefault(commercial_id, [0, 0, 0, 0])[int(part)] = _cents(total)
    rows = []
    for person in _people(COMMERCIAL, set(sums)):
        total_due, *recent = sums.get(person.id, [0, 0, 0, 0])
        cents = dict(zip(UNPAID_BUCKETS, [*recent, total_due - sum(recent)], strict=True))
        cents["total_due"] = total_due
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
