"""Command lines are cut into words exactly as shlex cuts them (shell/words.py)."""
from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicshell.shell.words import split_words

LINES = ["client list --limit 10", "  client   view 12  ", "", "   ", "client search Zoé",
         "client create --full-name 'Kevin Casey'", 'a "b c" d', r"a\ b", "a\tb", "a\nb",
         "a\u00a0b", "a\u3000b", "a\u2028b", "a\x1cb", "a\x85b", "# comment", "x=1 --sort -name",
         "東京 イベント", "a'b", "unclosed 'quote"]


def _outcome(split, line):
    try:
        return split(line)
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("line", LINES)
def test_lines_split_as_shlex_splits_them(line):
    assert _outcome(split_words, line) == _outcome(shlex.split, line)


@settings(max_examples=1000, deadline=None)
@given(st.text(st.one_of(st.sampled_from(" \t\n\r'\"\\#-=\u00a0\u2028\x0b\x1c\x85"),
                         st.characters(blacklist_categories=("Cs",))), max_size=30))
def test_any_line_splits_as_shlex_splits_it(line):
    assert _outcome(split_words, line) == _outcome(shlex.split, line)
