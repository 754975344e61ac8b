"""Table mode: rows and records laid out for a screen of a given width, never wider.

On a terminal (`Screen.width` set) a table that fits is printed as is; one that does not
is shown expanded, one block per record under a `-[ RECORD n ]-` rule (psql's `\\x
auto`); a value longer than the room it has is cut with `…`; the shell's own lines are
folded at word boundaries. Without a terminal (scripts, transcripts) there is no width:
nothing is expanded unless asked (`set expanded on`) and nothing is cut, so the output
does not depend on where it runs.

Every value goes through `safetext.visible()` here: tables are where stored text meets
the terminal. Only notes keep their line breaks.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime

from ..safetext import visible
from ..validation import format_local
from .grid import layout

CUT = "…"
MULTILINE_KEYS = {"notes"}
NUMERIC_KEYS = {"id", "total", "due", "amount", "attendees", "entity_id"}
# Counts and amounts of the reports (services/reports.py).
NUMERIC_KEYS |= {"clients", "drafts", "signed", "cancelled", "events", "amount_signed",
                 "amount_paid", "amount_due", "amount_collected", "days_0_30", "days_31_60",
                 "days_61_90", "days_over_90", "total_due"}
NARROWEST = 3  # `off` narrows a column down to this many characters (`ab…`), no further
EXPANDED_CHOICES = ("auto", "on", "off")
OWN_TEXT_WIDTH = 80  # every line the shell writes itself fits 80 columns (commands.md §7)


@dataclass(frozen=True)
class Screen:
    """Where a table goes: its width (None: not a terminal), the expanded mode, the style."""

    width: int | None = None
    expanded: str = "auto"  # auto: expanded when wider than the screen; on: always; off: never
    fancy: bool = False  # boxed tables (a terminal) rather than the plain style of scripts


def width_of(text: str) -> int:
    """Display width of TEXT's widest line: a wide (CJK) character counts two columns."""
    from prompt_toolkit.utils import get_cwidth

    return max((get_cwidth(line) for line in text.split("\n")), default=0)


def cut(text: str, width: int | None) -> str:
    """Each line of TEXT at most WIDTH columns wide, a cut line ending with `…`."""
    if width is None:
        return text
    return "\n".join(_cut_line(line, width) for line in text.split("\n"))


def _cut_line(line: str, width: int) -> str:
    from prompt_toolkit.utils import get_cwidth

    if get_cwidth(line) <= width:
        return line
    kept, used = [], 0
    for char in line:
        used += get_cwidth(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + CUT


def fold(text: str, width: int | None) -> str:
    """The shell's own text (messages, headings, footers) folded at spaces to fit a
    terminal of WIDTH columns, and never past OWN_TEXT_WIDTH however wide it is; without
    a terminal (WIDTH None) a message stays one line, for scripts to read.

    A word longer than that (a file's path) gets a line of its own, whole, so it can be
    copied; only one wider than the terminal itself is cut, as a table's cell is.
    """
    if width is None:
        return text
    room = min(width, OWN_TEXT_WIDTH)
    lines = []
    for line in text.split("\n"):
        if width_of(line) <= room:
            lines.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(line, room, subsequent_indent=indent + "  ",
                                break_on_hyphens=False, break_long_words=False) or [line]
        lines.extend(_cut_line(part, width) for part in wrapped)
    return "\n".join(lines)


def cell_text(key: str, value, room: int | None = None) -> str:
    """VALUE as a table shows it: terminal-safe, dates local, booleans yes/no, cut to ROOM."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = format_local(value)
    else:
        text = str(value)
    return cut(visible(text, keep_newlines=key in MULTILINE_KEYS), room)


def _is_numeric(key: str) -> bool:
    """Ids, amounts and counts are right-aligned, as psql does, so digits line up."""
    return key in NUMERIC_KEYS or key.endswith("_id")


def _tabulate(cells, headers, fancy: bool) -> str:
    right = [_is_numeric(k) for k in headers]
    if not fancy:  # the plain grid of scripts, laid out directly when it can be (grid.py)
        text = layout(cells, headers, right)
        if text is not None:
            return text
    from tabulate import tabulate

    return tabulate(cells, headers=list(headers), tablefmt="rounded_outline" if fancy else "simple",
                    disable_numparse=True,
                    colalign=["right" if flush_right else "left" for flush_right in right])


def rows_table(rows: list[dict], columns, screen: Screen, *, first: int = 1) -> str:
    """ROWS under COLUMNS: a table when it fits the screen, else expanded (per the mode)."""
    if screen.expanded == "on":
        return expanded(rows, columns, screen, first=first)
    cells = [[cell_text(k, row.get(k), screen.width) for k in columns] for row in rows]
    text = _tabulate(cells, columns, screen.fancy)
    if screen.width is None or width_of(text) <= screen.width:
        return text
    if screen.fancy:  # the boxes cost a dozen columns: the plain grid may still fit
        plain = _tabulate(cells, columns, False)
        if width_of(plain) <= screen.width:
            return plain
    if screen.expanded == "auto":
        return expanded(rows, columns, screen, first=first)
    return _narrowed(cells, columns, screen)


def _narrowed(cells, columns, screen: Screen) -> str:
    """`set expanded off`: the widest columns are cut until the table fits the screen, in
    the plain grid when even the narrowest boxed one would not."""
    widths = [max([len(k)] + [width_of(row[i]) for row in cells]) for i, k in enumerate(columns)]
    text = ""
    for fancy in dict.fromkeys((screen.fancy, False)):
        for _attempt in range(8):  # tabulate pads a header by 2: it may take a few rounds
            text = _tabulate([[cut(value, widths[i]) for i, value in enumerate(row)]
                              for row in cells],
                             [cut(k, widths[i]) for i, k in enumerate(columns)], fancy)
            excess = width_of(text) - screen.width
            if excess <= 0:
                return text
            if not _narrow(widths, sum(widths) - excess):
                break
    return cut(text, screen.width)  # too many columns even at their narrowest: cut the lines


def _narrow(widths: list[int], room: int) -> bool:
    """Take one character at a time from the widest column until WIDTHS add up to ROOM;
    False when every column is down to NARROWEST already."""
    narrowed = False
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= NARROWEST:
            break
        widths[widest] -= 1
        narrowed = True
    return narrowed


def expanded(rows: list[dict], columns, screen: Screen, *, first: int = 1) -> str:
    """One block per record, `key | value` lines under a `-[ RECORD n ]-` rule, as psql's \\x."""
    key_width = max(len(k) for k in columns)
    room = None if screen.width is None else max(screen.width - key_width - 3, NARROWEST)
    blocks = [_block(row, columns, key_width, room) for row in rows]
    rule_width = max((width_of("\n".join(lines)) for lines in blocks), default=key_width + 3)
    out = []
    for number, lines in enumerate(blocks, start=first):
        out.append(_rule(number, key_width, rule_width))
        out.extend(lines)
    return "\n".join(out)


def _block(row: dict, columns, key_width: int, room: int | None) -> list[str]:
    lines = []
    for key in columns:
        label = key
        for line in cell_text(key, row.get(key), room).split("\n"):
            lines.append(f"{label.ljust(key_width)} | {line}".rstrip())
            label = ""
    return lines


def _rule(number: int, key_width: int, rule_width: int) -> str:
    label = f"-[ RECORD {number} ]"
    if len(label) <= key_width:
        return label.ljust(key_width + 1, "-") + "+" + "-" * max(1, rule_width - key_width - 2)
    return label + "-" * max(1, rule_width - len(label))


def record_view(row: dict, keys, screen: Screen) -> str:
    """One record, a key and its value per line (boxed on a terminal), values cut to fit."""
    key_width = max(len(k) for k in keys)
    border = 7 if screen.fancy else 2  # `│ key │ value │` or `key  value`
    room = None if screen.width is None else max(screen.width - key_width - border, NARROWEST)
    pairs = [[key, cell_text(key, row.get(key), room)] for key in keys]
    if not screen.fancy:
        text = layout(pairs)
        if text is not None:
            return text
    from tabulate import tabulate

    return tabulate(pairs, tablefmt="rounded_outline" if screen.fancy else "plain",
                    disable_numparse=True)
