"""The two output-safety primitives: terminal-visible text and spreadsheet-safe cells."""
from __future__ import annotations

import pytest

from epicshell.safetext import has_control, visible
from epicshell.spreadsheet import protect, unprotect


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("a\x08b", "a\\x08b"),
    ("line\rover", "line\\x0dover"),
    ("csi\x9b2J", "csi\\x9b2J"),
    ("del\x7f", "del\\x7f"),
    ("tab\there", "tab\\x09here"),
    ("Chloé Müller", "Chloé Müller"),
])
def test_visible_escapes_every_control_character(raw, shown):
    assert visible(raw) == shown


def test_visible_keeps_line_breaks_only_when_asked():
    assert visible("one\ntwo") == "one\\x0atwo"
    assert visible("one\ntwo\r\n", keep_newlines=True) == "one\ntwo\\x0d\n"
    assert visible(42) == 42 and visible(None) is None


def test_has_control():
    assert has_control("a\x1bb") and not has_control("plain")
    assert not has_control("a\nb\tc", allow="\n\t") and has_control("a\rb", allow="\n\t")


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("'quoted", "''quoted"),
    ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
    ("-12.50", "-12.50"),
    ("+5", "+5"),
    ("Cool Startup LLC", "Cool Startup LLC"),
    ("", ""),
])
def test_protect_and_round_trip(value, cell):
    assert protect(value) == cell
    assert unprotect(protect(value)) == value
