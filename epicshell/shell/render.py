"""Turn a command's `Result` into a table, CSV or JSON, and page it when it is tall.

Commands return data, never print; this module is the one place that knows output
formats. Tables (shell/tables.py) show a record's compact columns and fit the screen;
CSV and JSON always carry every key of the record, in the order of commands.md §2,
whatever the terminal and `--columns`. Every CSV cell is spreadsheet-safe.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime

from ..safetext import visible
from ..spreadsheet import protect
from ..validation import utc_to_local
from .tables import Screen, fold, record_view, rows_table


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

    @classmethod
    def of_related(cls, title, related, to_record, keys, more: str = ""):
        """From a view's `Related` (the first rows and how many there are in all)."""
        return cls(title, [to_record(r) for r in related.rows], keys, total=related.total,
                   more=more)

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
    columns: tuple | None = None  # what a table of the rows shows (None: every key)

    @classmethod
    def listing(cls, page, to_record, keys, empty="no matching records", columns=None):
        """A page of records: CSV and JSON carry KEYS, a table shows COLUMNS."""
        return cls(rows=[to_record(r) for r in page.rows], keys=keys, page=page, message=None
                   if page.rows else empty, columns=columns)

    @property
    def table_columns(self) -> tuple:
        return self.columns or self.keys

    @classmethod
    def view(cls, record: dict, keys, sections=(), message=None):
        return cls(rows=[record], keys=keys, record=True, sections=list(sections), message=message)


def data_value(value):
    """JSON/CSV value: ISO 8601 local time with offset, amounts already strings."""
    if isinstance(value, datetime):
        return utc_to_local(value).isoformat(timespec="seconds")
    return value


_JSON_UNESCAPED_CONTROLS = re.compile("[\x7f-\x9f]")


def to_json(result: Result) -> str:
    """Every key of the record, in order; control characters JSON-escaped, DEL and C1 too
    (json escapes only C0), so the stored value is exact and a terminal runs none of it."""
    rows = [{k: data_value(row.get(k)) for k in result.keys} for row in (result.rows or [])]
    return json_text(rows, indent=2)


def json_text(value, indent=None) -> str:
    """VALUE as JSON text, UTF-8 kept readable, every control character escaped: json
    escapes C0 only, so DEL and C1 (which a terminal would run) are escaped here."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _JSON_UNESCAPED_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_csv(result: Result) -> str:
    """Every key of the record, in order; each cell spreadsheet-safe (commands.md §7)."""
    import csv  # imported by the first CSV output, not at every start

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # csv quotes a field holding "\n" but not one holding a lone "\r", which readers would
    # take for a line end: such a row is written with every field quoted.
    quoting_all = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([protect(k) for k in result.keys])
    for row in result.rows or []:
        cells = [csv_cell(row.get(k)) for k in result.keys]
        has_cr = any(isinstance(cell, str) and "\r" in cell for cell in cells)
        (quoting_all if has_cr else writer).writerow(cells)
    return buffer.getvalue().rstrip("\n")


def csv_cell(value):
    """One CSV cell: empty for a missing value, true/false, ISO 8601 times, and the leading
    `'` of a cell a spreadsheet would run (commands.md §7). Exports write cells with it too."""
    return protect(_csv_text(value))


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return data_value(value)


def footer(page) -> str:
    """The line under a list: which rows of how many, and how to see the next ones."""
    return (f"showing {page.first:,}-{page.last:,} of {page.total_text}"
            + (f" (next: --page {page.page + 1})" if page.has_next else ""))


def to_table(result: Result, screen: Screen) -> str:
    """A list as a table (or expanded), a view as key/value lines with its sections."""
    parts = []
    if result.record and result.rows:
        parts.append(record_view(result.rows[0], result.keys, screen))
        for section in result.sections:
            parts.append("")
            parts.append(fold(visible(section.heading()), screen.width))
            if section.rows:
                parts.append(rows_table(section.rows, section.keys, screen))
    elif result.rows:
        first = result.page.first if result.page is not None else 1
        parts.append(rows_table(result.rows, result.table_columns, screen, first=first))
    if result.page is not None and result.rows:
        parts.append(fold(footer(result.page), screen.width))
    if result.message:
        parts.append(message_text(result.message, screen))
    return "\n".join(parts)


def message_text(message: str, screen: Screen) -> str:
    """A message for the screen: control characters visible, folded to its width."""
    return fold(visible(message, keep_newlines=True), screen.width)


def render(result: Result, fmt: str, screen: Screen | None = None) -> str:
    """The text to print for RESULT in format FMT (table, csv or json) on SCREEN.

    SCREEN.width is set only on a terminal: then CSV, which otherwise keeps stored values
    exactly, shows control characters as visible escapes too (nothing raw reaches a
    terminal; redirect the output to get the exact bytes).
    """
    screen = screen or Screen()
    if result.rows is None:
        return message_text(result.message, screen) if result.message else ""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        text = to_csv(result)
        return text if screen.width is None else visible(text, keep_newlines=True)
    return to_table(result, screen)


def page_output(text: str, stdout) -> None:
    """Print TEXT, through the user's pager when it is taller than the terminal."""

    size = shutil.get_terminal_size()
    if text.count("\n") + 2 < size.lines:
        print(text, file=stdout)
        return
    import subprocess  # only to page a tall output: not imported at every start

    pager = os.environ.get("PAGER") or "less"
    env = dict(os.environ)
    env.setdefault("LESS", "-SRXF")  # as pgcli: no wrap, keep colours, quit if one screen
    try:
        subprocess.run(pager, shell=True, input=(text + "\n").encode("utf-8"), env=env, check=False)
    except OSError:
        print(text, file=stdout)
