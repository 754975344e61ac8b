"""Spreadsheet-safe CSV cells (commands.md §7) and their inverse for import (§8).

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` as a formula, and
TAB or CR at the start can smuggle one in. On export such a cell gets one leading `'`
(the spreadsheet convention for "this is text"), unless it is a plain number or a valid
phone number, which are safe and must stay usable. A value that itself starts with `'`
gets one more, so that import, which removes exactly one leading `'`, gives back the
stored value for every cell: export → import round-trips.
"""
from __future__ import annotations

import re

_FORMULA_START = ("=", "@", "\t", "\r")
_SIGN_START = ("+", "-")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _is_phone(text: str) -> bool:
    from .errors import ValidationError
    from .validation import parse_phone

    try:
        return parse_phone(text) == text
    except ValidationError:
        return False


def protect(value: str) -> str:
    """The CSV text of one cell, with a leading `'` where a spreadsheet would run it."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA_START) or value.startswith("'"):
        return "'" + value
    if value.startswith(_SIGN_START) and not (_NUMBER.match(value) or _is_phone(value)):
        return "'" + value
    return value


def unprotect(cell: str) -> str:
    """The stored value of one imported cell: exactly one leading `'` removed."""
    if isinstance(cell, str) and cell.startswith("'"):
        return cell[1:]
    return cell
