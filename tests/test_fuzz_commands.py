"""Fuzzing the shell: no command line ends in an "unexpected error", a refused one changes nothing.

hypothesis builds command lines from the command registry itself (every command, its
positionals, options and flags), with hostile values: numbers beyond 64 bits, negative,
in non-ASCII digits; control characters; quotes; dates at the ends of the calendar and in
daylight-saving gaps; amounts with too many decimals. Each line runs through the one
dispatch path of every mode (App.execute) on SQLite and PostgreSQL.

CI runs the `ci` profile (150 examples per backend, no deadline). For a longer local run:

    HYPOTHESIS_PROFILE=long EPICSHELL_TEST_DATABASE_URL=postgresql://… \\
        python -m pytest tests/test_fuzz_commands.py
"""
from __future__ import annotations

import os
import shlex

import pytest
from conftest import snapshot_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epicshell.shell.registry import Arg, Flag, Opt, load_commands

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

NUMBERS = ["0", "-1", "1", "2", "3", "9223372036854775807", "9223372036854775808",
           "99999999999999999999", "-99999999999999999999", "1e3", "1_000", "３", "٣", "１２",
           "+5", " 7 ", "0x10", "36500", "36501", "1000", "1001", "9" * 400]
DATES = ["0001-01-01", "9999-12-31 23:59", "1900-01-01", "2999-12-31 23:59", "1899-12-31 23:59",
         "2030-03-31 02:30", "2030-10-27 02:30", "2030-02-30", "２０３０-01-01", "2030-01-01T10:00",
         "2030-06-01 10:00", "2030-06-01", "2030-13-01", "2030-06-01 24:00"]
AMOUNTS = ["1.005", "-1", "0", "0.01", "999999999.99", "1000000000", "NaN", "Infinity", "1,0,0",
           "1,500.00", "1e3", "٣", "12.5"]
QUOTES = ["'", '"', "\\", "'x", '"unterminated', "a'b", "--", "-", "--help"]
WORDS = ["management", "gestion", "support", "commercial", "draft", "signed", "cancelled",
         "client", "contract", "event", "user", "-updated", "name", "csv", "json", "table",
         "ana@epic.test", "bill@epic.test", "EPICSHELL_PASSWORD", "ALL", "Kevin Casey"]
# Files and folders are named relative to the test's own folder, never anywhere else.
PATHS = ["out.csv", "out.json", "out.ics", "missing.csv", "folder", "no/such/folder/x.csv",
         "", " ", "-", "a\x00b.csv", "x'y.csv", "１.csv"]
PATH_ARGS = ("file", "dir")
CONTROL = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=4)
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)


def hostile_values(ids: dict):
    known = [str(value) for value in ids.values()]
    return st.one_of(
        st.sampled_from(NUMBERS + known), st.sampled_from(DATES), st.sampled_from(AMOUNTS),
        st.sampled_from(QUOTES), st.sampled_from(WORDS), TEXT,
        st.builds(lambda a, b, c: a + b + c, TEXT, CONTROL, TEXT),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )


def _commands() -> list:
    return sorted({cmd.name: cmd for cmd in load_commands().values()}.values(),
                  key=lambda cmd: cmd.name)


@st.composite
def command_lines(draw, ids: dict) -> str:
    cmd = draw(st.sampled_from(_commands()))
    values = hostile_values(ids)
    words = cmd.name.split()
    for param in cmd.params:
        if isinstance(param, Arg):
            if param.optional and draw(st.booleans()):
                continue
            words.append(draw(st.sampled_from(PATHS)) if param.name in PATH_ARGS
                         else draw(values))
    options = [p for p in cmd.params if isinstance(p, (Opt, Flag))]
    for param in draw(st.lists(st.sampled_from(options), max_size=4, unique_by=id)
                      if options else st.just([])):
        words.append(param.flag)
        if isinstance(param, Opt):
            words.append(draw(st.sampled_from(param.choices)) if param.choices and
                         draw(st.booleans()) else draw(values))
    if draw(st.integers(0, 9)) == 0:  # now and then, a line that shlex must refuse or re-read
        return " ".join(words)
    return " ".join(shlex.quote(word) for word in words)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_command_line_is_an_unexpected_error_and_refusals_change_nothing(shell, ids,
                                                                          tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # export, calendar and data export write relative files here
    lines = command_lines(ids)

    @settings(settings.get_profile(PROFILE))
    @given(lines)
    def run(line):
        if not shell.app.session.active:
            shell.login("management")
        before = snapshot_rows()
        outcome = shell.run(line)
        assert "unexpected error" not in outcome.err, (line, outcome.err)
        assert "Traceback" not in outcome.err + outcome.out, line
        if not outcome.ok:
            assert "error: " in outcome.err, (line, outcome.err)
            assert snapshot_rows() == before, f"refused {line!r} changed the database"

    run()
