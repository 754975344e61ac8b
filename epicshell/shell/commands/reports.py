"""`report pipeline|revenue|unpaid|workload`: business figures summed by the database.

The services return rows and a total row (amounts as two-decimal strings, counts as
integers); CSV and JSON carry exactly those. A table leaves out the id columns (the names
are there; it must fit the screen) and adds the period below; on a terminal, `report
revenue` also gets bar columns: the bars are drawing, not data, so scripts and the data
formats never get them.
"""
from __future__ import annotations

from decimal import Decimal

from ...services import periods, reports
from ...validation import format_local
from ..registry import FORMAT, Opt, command
from ..render import Result

FROM = Opt("--from", "from this local date (included), YYYY-MM-DD[ HH:MM]", metavar="DATE")
TO = Opt("--to", "to this local date (a date: that whole day included)", metavar="DATE")
BLOCKS = "▏▎▍▌▋▊▉█"  # one to eight eighths of a character cell
BAR_WIDTH = 16  # cells of the longest bar
BARS = {"amount_signed": "signed_bar", "amount_collected": "collected_bar"}


def bar(value: Decimal, largest: Decimal, width: int = BAR_WIDTH) -> str:
    """VALUE as a bar of block characters, LARGEST filling WIDTH cells (eighths of a cell)."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return BLOCKS[-1] * full + (BLOCKS[rest - 1] if rest else "")


def with_bars(rows: list[dict], keys: tuple) -> tuple[list[dict], tuple]:
    """ROWS with a bar column per amount, all scaled to the largest amount of the rows
    (the total row gets none: it would dwarf every month)."""
    body = rows[:-1]
    largest = max((Decimal(row[k]) for row in body for k in BARS), default=Decimal(0))
    drawn = [{**row, **{name: bar(Decimal(row[k]), largest) for k, name in BARS.items()}}
             for row in body]
    return drawn + rows[-1:], (*keys, *BARS.values())


def _period_line(what: str, report) -> str:
    begin, stop = report.period
    parts = ([f"from {format_local(begin)}"] if begin else []) + \
        ([f"before {format_local(stop)}"] if stop else [])
    return f"{what}: {' '.join(parts) or 'any time'}"


def _result(ctx, args, report, footer: str | None = None, bars: bool = False) -> Result:
    fmt = args.format or ctx.app.output_format
    rows, keys = report.all_rows, report.keys
    if fmt != "table":
        return Result(rows=rows, keys=keys)
    keys = tuple(k for k in keys if not k.endswith("_id"))  # names say it; ids are in CSV/JSON
    if bars and ctx.app.env.on_terminal:  # a person reads it: the trend at a glance
        rows, keys = with_bars(rows, keys)
    return Result(rows=rows, keys=keys, message=footer)


@command("report pipeline", summary="Per commercial: clients, contracts by status, amounts "
         "signed, paid and due.", operation="report.read", params=(FROM, TO, FORMAT),
         examples=("report pipeline", "report pipeline --from 2026-01-01 --to 2026-03-31",
                   "report pipeline --format csv"))
def report_pipeline(ctx, args):
    report = reports.pipeline(ctx.actor, start=getattr(args, "from"), end=args.to)
    return _result(ctx, args, report, _period_line("contracts created", report))


@command("report revenue", summary="Amounts signed and collected per month or per commercial.",
         operation="report.read",
         params=(Opt("--by", "month (default) or commercial", metavar="month|commercial",
                     choices=("month", "commercial")), FROM, TO, FORMAT),
         examples=("report revenue   (this month and the 11 before)",
                   "report revenue --by commercial --from 2026-01-01",
                   "report revenue --format json"))
def report_revenue(ctx, args):
    report = reports.revenue(ctx.actor, by=args.by or "month", start=getattr(args, "from"),
                             end=args.to)
    return _result(ctx, args, report, _period_line("signed and paid", report), bars=True)


@command("report unpaid", summary="Amount due on signed contracts by days since signature.",
         operation="report.read", params=(FORMAT,),
         examples=("report unpaid", "report unpaid --format csv"))
def report_unpaid(ctx, args):
    return _result(ctx, args, reports.unpaid(ctx.actor),
                   "days since signature; amounts still due on signed contracts")


@command("report workload", summary="Per support user: events and attendees in the next N days.",
         operation="report.read",
         params=(Opt("--days", f"how many days ahead (default {reports.WORKLOAD_DAYS})",
                     metavar="N"), FORMAT),
         examples=("report workload", "report workload --days 7 --format json"))
def report_workload(ctx, args):
    days = periods.parse_days(args.days, reports.WORKLOAD_DAYS)
    return _result(ctx, args, reports.workload(ctx.actor, days=days),
                   f"events starting in the next {days} days")
