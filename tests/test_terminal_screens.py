"""Screens that fit and text that is only shown, in a real pseudo-terminal (commands.md §7).

The installed console script runs in a pty of 60, 80 and 120 columns; the screen
emulator of pty_helpers records every line a real terminal would have wrapped. Every
list and view of the demo data must leave that record empty, expanded where a table
would not fit; stored text holding escape sequences must reach the terminal as
visible `\\xNN` escapes only, wherever it is shown.
"""
from __future__ import annotations

import re

import pytest
from pty_helpers import EPICSHELL, Terminal
from test_terminal import child_env, login, make_world, query

from epicshell.models import AuditEntry, Client, Event, User

pytestmark = pytest.mark.pty
if EPICSHELL is None:
    pytest.skip("the epicshell console script is not installed", allow_module_level=True)

DEMO_PASSWORD = "epic events training"
PAGED = "(end of pager)"
HOSTILE_NAME = "Mallory \x1b]0;pwned\x07 \x1b[31mRed"
HOSTILE_NOTES = "Line one\n\x1b[2JLine two"
SHOWN_NAME = r"Mallory \x1b]0;pwned\x07 \x1b[31mRed"
RAW_SEQUENCES = ("\x1b]0;", "\x07", "\x1b[31m", "\x1b[2J")


def prompt_of(email: str, department: str) -> str:
    return f"epic ({email.split('@')[0]}, {department})> "


def run(term: Terminal, prompt: str, line: str) -> list[str]:
    """Type LINE at PROMPT; return the screen lines it printed, up to the next prompt."""
    term.answer(line)
    term.expect(re.escape("> " + line))
    start = term.line
    term.expect(re.escape(prompt.rstrip()) + " *$")
    return term.screen.lines()[start + 1:term.line]


# -- every list and view fits, on the demo data ---------------------------------------------

DEMO_COMMANDS = (
    "help", "status", "set", "help event list", "user list", "user view 3",
    "user list --columns all", "client list", "client search casey", "client view 1",
    "client list --columns all", "contract list", "contract unsigned", "contract unpaid",
    "contract view 2", "contract list --columns all", "event list", "event unassigned",
    "event upcoming", "event search gala", "event view 2", "event list --columns all",
    "history contract 2", "audit", "event list --columns notes", "agenda",
    "report pipeline", "report revenue", "report unpaid", "report workload",
)


@pytest.mark.parametrize("cols", [60, 80, 120])
def test_every_list_and_view_fits_the_terminal(tmp_path, cols):
    term = Terminal(["--demo"], child_env(tmp_path, PAGER=f"cat; echo '{PAGED}'"), tmp_path,
                    rows=40, cols=cols)
    try:
        term.expect("epic>")
        term.answer("login ana@epic.test")
        term.expect("Password")
        term.answer(DEMO_PASSWORD)
        prompt = prompt_of("ana@epic.test", "management")
        term.expect(re.escape(prompt.rstrip()))
        shown = {line: run(term, prompt, line) for line in DEMO_COMMANDS}
        assert term.screen.wrapped == [], "\n".join(term.screen.wrapped)
        assert all(len(line) <= cols for line in term.screen.lines())
    finally:
        term.kill()

    def is_expanded(line: str) -> bool:
        return any(text.startswith("-[ RECORD 1 ]") for text in shown[line])

    # what does not fit is expanded; what fits stays a table
    expanded = {line for line in DEMO_COMMANDS if is_expanded(line)}
    every_key = {"user list --columns all", "client list --columns all",
                 "contract list --columns all", "event list --columns all"}
    assert every_key - {"user list --columns all"} <= expanded
    assert not expanded & {"help", "status", "set", "help event list", "user view 3",
                           "event list --columns notes"}  # a view's own fields are never
    if cols == 120:  # the compact columns of every list fit
        assert expanded == every_key - {"user list --columns all"}
    if cols == 80:
        assert not expanded & {"user list", "client list", "contract list", "contract unpaid"}
        assert "event list" in expanded
    # the compact columns of a view's related records, as a table or expanded
    view = "\n".join(shown["client view 1"])
    assert re.search(r"│ +id │ client +│ commercial +│ +total │", view) or re.search(
        r"\n +id +client +commercial +total +due +status\n", view) or (
        re.search(r"\nstatus +\| signed\n", view) and "signed_at" not in view)
    assert "│ Press area needed." in "\n".join(shown["event list --columns notes"])
    # tall output still goes through the pager
    assert any(PAGED in text for text in shown["audit"])


# -- stored escape sequences are shown, never run ----------------------------------------------


@pytest.fixture
def hostile(tmp_path):
    """World's client renamed and an event whose notes hold escapes, as raw data would arrive."""
    from epicshell.db import close_database, open_database
    from epicshell.models import database
    from epicshell.services import contracts, events, users

    world = make_world(tmp_path)
    open_database(world["url"])
    try:
        ana = User.get(User.email == "ana@epic.test")
        sue = users.create_user(ana, email="sue@epic.test", full_name="Sue Port",
                                department="support", employee_number="S001",
                                password=auth_password())
        contract = contracts.create_contract(ana, world["kevin"], total="1000")
        contracts.sign_contract(ana, contract.id)
        event = events.create_event(ana, contract.id, name="Gala", start="2030-06-01 18:00",
                                    end="2030-06-01 23:00", location="Paris " * 30,
                                    notes="plain")
        events.assign_event(ana, event.id, sue.id)
        Client.update(full_name=HOSTILE_NAME, company="\x1b[31mRed Corp").where(
            Client.id == world["kevin"]).execute()
        Event.update(notes=HOSTILE_NOTES).where(Event.id == event.id).execute()
        AuditEntry.update(new=HOSTILE_NAME).where(
            (AuditEntry.entity == "client") & (AuditEntry.field == "full_name")).execute()
    finally:
        close_database()
        database.initialize(None)
    return {**world, "event": event.id, "contract": contract.id}


def auth_password() -> str:
    from conftest import PASSWORD

    return PASSWORD


@pytest.mark.parametrize("cols", [60, 120])
def test_escape_sequences_in_stored_text_are_shown_escaped(hostile, cols):
    home = hostile["home"]
    term = Terminal(["--database", hostile["url"]], child_env(home), home, rows=40, cols=cols)
    try:
        term.expect("epic>")
        login(term, "bill@epic.test")
        prompt = prompt_of("bill@epic.test", "commercial")
        kevin, event = hostile["kevin"], hostile["event"]
        seen = "\n".join(
            "\n".join(run(term, prompt, line)) for line in (
                "client list", f"client view {kevin}", f"event view {event}",
                "event list --columns client,notes", f"history client {kevin}",
                f"contract create {kevin} --total 10"))
        assert seen.count(SHOWN_NAME) >= 5 or cols == 60  # 60 columns: names may be cut
        assert r"\x1b[31mRed Corp" in seen
        assert r"\x1b[2JLine two" in seen  # notes keep their line break, nothing else
        assert "Created contract" in seen
        assert re.search(r"│ location +│ Paris Paris .*…", seen)  # cut to the screen

        # a wizard shows the current values escaped, and keeping them changes nothing
        term.answer(f"client update {kevin}")
        for question in ("Full name", "Email", "Phone", "Company"):
            term.expect(question)
            term.answer()
        term.expect(r"Save\?")
        summary = "\n".join(term.screen.lines()[-12:])
        assert r"\x1b]0;pwned\x07" in summary
        term.type("y")
        term.expect("Nothing changed.")
        assert term.exit_status() == 0
    finally:
        term.kill()
    for sequence in RAW_SEQUENCES:
        assert sequence not in term.raw, repr(sequence)
    assert term.screen.wrapped == []
    assert query(hostile["url"], "select full_name from client where id = ?", kevin) == [
        (HOSTILE_NAME,)]


def test_the_toolbar_and_errors_show_escapes(hostile):
    import sqlite3

    home = hostile["home"]

    with sqlite3.connect(hostile["url"].removeprefix("sqlite:///")) as connection:
        connection.execute("update user set full_name = ? where email = ?",
                           ("Bill \x1b[31mBoquet", "bill@epic.test"))
    line = "client search 'x\x1b]0;t\x07'"
    # Input holding control characters is refused; an error quoting what was typed (an
    # unknown command) shows it escaped.
    term = Terminal(["--database", hostile["url"], "--keep-going", "-c", "login bill@epic.test",
                     "-c", line, "-c", "nine\x1b[2J view 1"],
                    child_env(home, EPICSHELL_PASSWORD=auth_password()), home, cols=80)
    try:
        term.expect(r"error: .*control characters")
        term.expect(r"error: .*nine\\x1b\[2J")
        term.child.expect(pytest.importorskip("pexpect").EOF)
    finally:
        term.kill()
    for sequence in RAW_SEQUENCES:
        assert sequence not in term.raw, repr(sequence)

    term = Terminal(["--database", hostile["url"]], child_env(home), home, cols=120)
    try:
        term.expect("epic>")
        login(term, "bill@epic.test")
        term.shows(r"Bill \\x1b\[31mBoquet \(commercial\)")
        term.answer("whoami")
        term.expect(r"Bill \\x1b\[31mBoquet <bill@epic.test>")
        assert term.exit_status() == 0
    finally:
        term.kill()
    for sequence in RAW_SEQUENCES:
        assert sequence not in term.raw, repr(sequence)


# -- `-c` typed at a terminal: the output lands on a terminal too ------------------------------


def test_commands_given_with_c_fit_the_terminal_they_print_on(hostile):
    """`-c` asks nothing, but what it prints is read on a terminal: tables fit it (expanded
    when too wide), CSV shows stored escapes as `\\xNN`, `report revenue` draws its bars,
    and errors are folded to 80 columns however wide the terminal."""
    home, kevin = hostile["home"], hostile["kevin"]
    steps = ["login ana@epic.test", "event list --columns all", f"client view {kevin} --format csv",
             "report revenue", "client list --columns id,nope", "client list --sort nope"]
    for cols in (80, 150):
        args = ["--database", hostile["url"], "--keep-going"]
        for step in steps:
            args += ["-c", step]
        term = Terminal(args, child_env(home, EPICSHELL_PASSWORD=auth_password()), home,
                        rows=60, cols=cols)
        try:
            term.expect("descending")
            term.child.expect(pytest.importorskip("pexpect").EOF)
        finally:
            term.kill()
        screen = "\n".join(term.screen.lines())
        tables = [line for line in term.screen.wrapped if not line.startswith(f"{kevin},")]
        assert tables == [], "\n".join(tables)  # only the CSV row may wrap: it is no table
        assert "-[ RECORD 1 ]" in screen  # every column of an event cannot fit: expanded
        assert SHOWN_NAME in screen  # the CSV cell, escaped
        assert "signed_bar" in screen
        errors = [line for line in term.screen.lines() if "error:" in line]
        assert len(errors) == 2 and all(len(line) <= 80 for line in term.screen.lines()
                                        if "column" in line or "sort" in line)
        for sequence in RAW_SEQUENCES:
            assert sequence not in term.raw, repr(sequence)
