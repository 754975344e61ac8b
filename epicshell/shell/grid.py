"""tabulate's "simple" and "plain" tables, laid out directly for the cells tables show.

Tables are drawn by tabulate (shell/tables.py). For every table it guesses each cell's
type (numbers, booleans, colour codes), which costs more than the rest of a short
`client list`; our cells are already text, right- or left-aligned by column. For the
cells whose layout follows tabulate's plain rules (one line, no control character, a
known display width) this module lays the table out itself, as tabulate does:

- each cell is stripped of surrounding white space;
- a column is as wide as its widest cell, and a header's width plus two;
- cells and headers are padded to it (right- or left-aligned), columns joined by two
  spaces, every line stripped at its end; "simple" adds a rule of dashes under the
  header.

Anything else (a multi-line note, a character of unknown width, tabulate set to keep
white space or to ignore wide characters) returns None, and the caller asks tabulate:
the text is the same either way (tests/test_grid.py compares both over tricky cells).
"""
from __future__ import annotations

SEPARATOR = "  "
HEADER_PADDING = 2  # tabulate's MIN_PADDING: a header is never flush with its column


def _width_function():
    """tabulate's width of a one-line cell (wcwidth's, wide characters counting two), or
    None when tabulate is set to lay out cells otherwise than this module does."""
    import tabulate

    try:
        from wcwidth import wcswidth
    except ImportError:
        return None
    if not tabulate.WIDE_CHARS_MODE or tabulate.PRESERVE_WHITESPACE or tabulate.wcwidth is None:
        return None
    return wcswidth


def _width(text: str, wcswidth) -> int:
    """Display width of TEXT; -1 for a character tabulate would treat specially."""
    if text.isascii():
        return len(text) if text.isprintable() else -1  # printable ASCII: one column each
    return wcswidth(text)


def _cells_of(rows, headers, wcswidth):
    """(stripped rows, column widths), or None when a cell needs tabulate's own rules."""
    widths = [_width(h, wcswidth) + HEADER_PADDING for h in headers] if headers else \
        [0] * (len(rows[0]) if rows else 0)
    if headers and min(widths, default=HEADER_PADDING) < HEADER_PADDING:
        return None
    stripped_rows = []
    for row in rows:
        if len(row) != len(widths):
            return None
        stripped = []
        for column, cell in enumerate(row):
            if not isinstance(cell, str) or _width(cell, wcswidth) < 0:
                return None  # a control character (line break, escape) or not text
            cell = cell.strip()
            width = _width(cell, wcswidth)
            if width > widths[column]:
                widths[column] = width
            stripped.append((cell, width))
        stripped_rows.append(stripped)
    return stripped_rows, widths


def _line(cells, widths, right) -> str:
    parts = []
    for (cell, width), column_width, flush_right in zip(cells, widths, right, strict=True):
        padding = " " * (column_width - width)
        parts.append(padding + cell if flush_right else cell + padding)
    return SEPARATOR.join(parts).rstrip()


def layout(rows: list[list[str]], headers=(), right=None) -> str | None:
    """ROWS under HEADERS as tabulate's "simple" table (with headers) or "plain" (without),
    RIGHT[i] saying whether column i is right-aligned; None when tabulate must do it."""
    wcswidth = _width_function()
    if wcswidth is None or not rows:
        return None
    found = _cells_of(rows, list(headers), wcswidth)
    if found is None:
        return None
    stripped_rows, widths = found
    right = list(right) if right is not None else [False] * len(widths)
    lines = []
    if headers:
        lines.append(_line([(h, _width(h, wcswidth)) for h in headers], widths, right))
        lines.append(SEPARATOR.join("-" * width for width in widths).rstrip())
    lines.extend(_line(cells, widths, right) for cells in stripped_rows)
    return "\n".join(lines)
