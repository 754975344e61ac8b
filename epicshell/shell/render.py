"""Turn a command's `Result` into a table, CSV or JSON, and page it when it is tall.

Commands return data, never print; this module is the one place that knows output
formats. Tables use tabulate (a boxed style on a terminal, a fixed plain style
otherwise, so transcripts do not depend on the terminal); CSV and JSON never depend
on the terminal width; JSON keys and order are the record's, as commands.md §2 says.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime

from ..validation import format_local, utc_to_local


@dataclass
class Section:
    """A titled group of related rows shown under a record (a client's contracts…)."""

    title: str
    rows: list[dict]
    keys: tuple
    total: int | None = None  # when only the first rows are shown
    more: str = ""  # the command that lists them all

    @classmethod
    def of_page(cls, title, page, to_record, keys, more: str = ""):
        return cls(title, [to_record(r) for r in page.rows], keys, total=page.total, more=more)

    def heading(self) -> str:
        if self.total is None or self.total <= len(self.rows):
            return f"{self.title} ({len(self.rows)})"
        return f"{self.title} (first {len(self.rows)} of {self.total:,}; all: {self.more})"


@dataclass
class Result:
    """What a command hands back. `rows` + `keys` make a list or a record view."""

    message: str | None = None
    rows: list[dict] | None = None
    keys: tuple = ()
    page: object = None  # services.base.Page, for the "showing 1-50 of N" line
    record: bool = False  # a single record: shown vertically as a table
    sections: list[Section] = field(default_factory=list)

    @classmethod
    def listing(cls, page, to_record, keys, empty="no matching records"):
        return cls(rows=[to_record(r) for r in page.rows], keys=keys, page=page, message=None
                   if page.rows else empty)

    @classmethod
    def view(cls, record: dict, keys, sections=(), message=None):
        return cls(rows=[record], keys=keys, record=True, sections=list(sections), message=message)


def _table_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_local(value)
    return value


def _data_value(value):
    """JSON/CSV value: ISO 8601 local time with offset, amounts already strings."""
    if isinstance(value, datetime):
        return utc_to_local(value).isoformat(timespec="seconds")
    return value


def to_json(result: Result) -> str:
    rows = [{k: _data_value(row.get(k)) for k in result.keys} for row in (result.rows or [])]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def to_csv(result: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.keys)
    for row in result.rows or []:
        writer.writerow(["" if row.get(k) is None else _csv_cell(_data_value(row.get(k)))
                         for k in result.keys])
    return buffer.getvalue().rstrip("\n")


def _csv_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def to_table(result: Result, *, fancy: bool) -> str:
    from tabulate import tabulate

    style = "rounded_outline" if fancy else "simple"
    parts = []
    if result.record and result.rows:
        row = result.rows[0]
        pairs = [(k, _table_value(row.get(k))) for k in result.keys]
        parts.append(tabulate(pairs, tablefmt="plain" if not fancy else "rounded_outline",
                              disable_numparse=True))
        for section in result.sections:
            parts.append("")
            parts.append(section.heading())
            if section.rows:
                parts.append(_rows_table(section.rows, section.keys, style))
    elif result.rows:
        parts.append(_rows_table(result.rows, result.keys, style))
    if result.page is not None and result.rows:
        page = result.page
        parts.append(f"showing {page.first:,}-{page.last:,} of {page.total:,}"
                     + (f" (next: --page {page.page + 1})" if page.last < page.total else ""))
    if result.message:
        parts.append(result.message)
    return "\n".join(parts)


NUMERIC_KEYS = {"id", "total", "due", "amount", "attendees", "entity_id"}
# Counts and amounts of the reports (services/reports.py).
NUMERIC_KEYS |= {"clients", "drafts", "signed", "cancelled", "events", "amount_signed",
                 "amount_paid", "amount_due", "amount_collected", "days_0_30", "days_31_60",
                 "days_61_90", "days_over_90", "total_due"}


def _is_numeric(key: str) -> bool:
    """Ids, amounts and counts are right-aligned, as psql does, so digits line up."""
    return key in NUMERIC_KEYS or key.endswith("_id")


def _rows_table(rows, keys, style) -> str:
    from tabulate import tabulate

    return tabulate([[_table_value(row.get(k)) for k in keys] for row in rows], headers=list(keys),
                    tablefmt=style, disable_numparse=True,
                    colalign=["right" if _is_numeric(k) else "left" for k in keys])


def render(result: Result, fmt: str, *, fancy: bool = False) -> str:
    """The text to print for RESULT in format FMT (table, csv or json)."""
    if result.rows is None:
        return result.message or ""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    return to_table(result, fancy=fancy)


def page_output(text: str, stdout) -> None:
    """Print TEXT, through the user's pager when it is taller than the terminal."""
    size = shutil.get_terminal_size()
    if text.count("\n") + 2 < size.lines:
        print(text, file=stdout)
        return
    pager = os.environ.get("PAGER") or "less"
    env = dict(os.environ)
    env.setdefault("LESS", "-SRXF")  # as pgcli: no wrap, keep colours, quit if one screen
    try:
        subprocess.run(pager, shell=True, input=text.encode("utf-8"), env=env, check=False)
    except OSError:
        print(text, file=stdout)
