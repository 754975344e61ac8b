"""The plain grid laid out without tabulate (shell/grid.py) is tabulate's text, byte for byte.

Every table of a script goes through `grid.layout` first; whatever it lays out must be
exactly what tabulate prints for the same cells, and whatever it cannot (line breaks,
control characters) it must leave to tabulate. Compared over hand-picked tricky cells
and over cells hypothesis makes up.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from epicshell.shell import tables
from epicshell.shell.grid import layout
from epicshell.shell.tables import Screen, record_view, rows_table

TRICKY = ["", " ", "  padded  ", "Zoé", "Chloé Dupont", "東京", "東京 Events", "ｆｕｌｌ", "e\u0301",
          "a\u200bb", "👍", "👨‍👩‍👧", "12", "-3.50", "1e5", "0x10", "1,000", " 42 ", "nan", "inf",
          "True", "False", "None", "\u00a0nbsp\u00a0", "\u3000wide space", "tab\\x09", "\\x1b[31m",
          "line\u2028sep", "x" * 40, "–—‘’", "ß", "İ", "\u0600", "\U0001f1eb\U0001f1f7"]


def _tabulate_simple(cells, headers, right):
    return tabulate(cells, headers=list(headers), tablefmt="simple", disable_numparse=True,
                    colalign=["right" if r else "left" for r in right])


def _tabulate_plain(cells):
    return tabulate(cells, tablefmt="plain", disable_numparse=True)


def _same_as_tabulate(cells, headers, right):
    laid_out = layout(cells, headers, right)
    if laid_out is not None:
        assert laid_out == _tabulate_simple(cells, headers, right)
    plain = layout([row[:2] for row in cells])
    if plain is not None:
        assert plain == _tabulate_plain([row[:2] for row in cells])
    return laid_out


@pytest.mark.parametrize("right", [(False, False, False), (True, False, True), (True,) * 3])
def test_tricky_cells_are_laid_out_as_tabulate_does(right):
    rows = [[TRICKY[i], TRICKY[(i * 7 + 3) % len(TRICKY)], TRICKY[(i * 5 + 1) % len(TRICKY)]]
            for i in range(len(TRICKY))]
    assert _same_as_tabulate(rows, ("id", "full_name", "company"), right) is not None
    for row in rows:  # and each alone, so that no other cell hides a width mistake
        assert _same_as_tabulate([row], ("id", "a_much_longer_header", "c"), right) is not None


@pytest.mark.parametrize("cell", ["two\nlines", "cr\rhere", "\x1b[31mred", "\x01", "nul\x00",
                                  "del\x7f", "c1\x85", "tab\there"])
def test_cells_tabulate_treats_specially_are_left_to_it(cell):
    assert layout([["1", cell]], ("id", "notes"), (True, False)) is None
    assert layout([["notes", cell]]) is None


# Any character at all (most tables then go to tabulate), or only printable ones (letters,
# marks, digits, punctuation, symbols, spaces: laid out here, so compared).
cell_text = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                      st.text(st.characters(whitelist_categories=("L", "M", "N", "P", "S", "Zs")),
                              max_size=12))


@settings(max_examples=500, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(st.lists(cell_text, min_size=n, max_size=n), min_size=1, max_size=4),
    st.lists(st.sampled_from(["id", "name", "x", "a_long_header", "é"]), min_size=n, max_size=n),
    st.lists(st.booleans(), min_size=n, max_size=n))))
def test_any_cells_are_laid_out_as_tabulate_does_or_left_to_it(table):
    cells, headers, right = table
    _same_as_tabulate(cells, headers, right)


def test_the_shell_tables_print_as_tabulate_would():
    rows = [{"id": 7, "full_name": "Zoé 東京", "company": None, "commercial": " Bill ",
             "updated_at": None, "notes": "one\ntwo"},
            {"id": 12345, "full_name": "", "company": "1e5", "commercial": "True",
             "updated_at": None, "notes": ""}]
    columns = ("id", "full_name", "company", "commercial")
    cells = [[tables.cell_text(k, row.get(k)) for k in columns] for row in rows]
    assert rows_table(rows, columns, Screen()) == _tabulate_simple(
        cells, columns, [k == "id" for k in columns])
    with_notes = columns + ("notes",)  # a multi-line cell: tabulate lays it out
    cells = [[tables.cell_text(k, row.get(k)) for k in with_notes] for row in rows]
    assert rows_table(rows, with_notes, Screen()) == _tabulate_simple(
        cells, with_notes, [k == "id" for k in with_notes])
    for row in rows:
        pairs = [[k, tables.cell_text(k, row.get(k))] for k in with_notes]
        assert record_view(row, with_notes, Screen()) == _tabulate_plain(pairs)
