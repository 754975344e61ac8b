"""`agenda` per department on the seeded world, and its short form after an interactive login.

Each department's agenda must list exactly the records commands.md §9 names (dates are
relative to now) and nothing belonging to another user. The short form is checked in a
real pseudo-terminal with the installed console script, and its absence in a `-c` run.
"""
from __future__ import annotations

import os
import subprocess
from decimal import Decimal

import pytest
from conftest import PASSWORD
from pty_helpers import EPICSHELL, Terminal
from report_world import build
from shell_helpers import open_shell


@pytest.fixture
def world(make, staff):
    return build(make, staff)


def sections(rows: list[dict]) -> dict[str, list]:
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(row["section"], []).append(row)
    return found


def agenda_of(db_url, monkeypatch, who, line="agenda --format json") -> dict[str, list]:
    return sections(open_shell(db_url, monkeypatch, who).ok(line).json())


def names(rows) -> list[str]:
    return [row["name"] for row in rows]


def ids(rows) -> list[int]:
    return [row["id"] for row in rows]


def test_support_sees_their_coming_week_soonest_first_with_the_clients_phone(
        db_url, world, monkeypatch):
    agenda = agenda_of(db_url, monkeypatch, "support")
    assert list(agenda) == ["events"]
    assert names(agenda["events"]) == ["Cara Party in 2 days (Sue)", "Bill Gala in 3 days (Sue)"]
    assert {row["client_phone"] for row in agenda["events"]} == {"+33 6 12 34 56 78"}
    assert all(row["client"].startswith("Client ") for row in agenda["events"])
    assert agenda_of(db_url, monkeypatch, "support2") == {}  # Sam's event is in 10 days


def test_commercial_sees_their_clients_events_old_drafts_and_amounts_due(
        db_url, world, monkeypatch):
    agenda = agenda_of(db_url, monkeypatch, "commercial")
    c = world.contracts
    assert names(agenda["events"]) == ["Bill Gala in 3 days (Sue)",
                                       "Bill Launch in 5 days (nobody)"]
    assert ids(agenda["old_drafts"]) == [c["bill_older_draft"].id, c["bill_old_draft"].id]
    assert [r["amount"] for r in agenda["old_drafts"]] == ["250.55", "1000.00"]
    assert ids(agenda["amounts_due"]) == [c["bill_due"].id]
    assert agenda["amounts_due"][0]["amount"] == "3765.44"
    everything = [row for rows in agenda.values() for row in rows]
    assert {row["commercial"] for row in everything if row["entity"] == "contract"} == {
        "Bill Boquet"}
    assert not any("Cara" in (row["name"] or "") for row in everything)
    wider = agenda_of(db_url, monkeypatch, "commercial", "agenda --days 15 --format json")
    assert "Bill Fair in 10 days (Sam)" in names(wider["events"])


def test_management_sees_unassigned_events_old_drafts_and_the_total_due(
        shell, db_url, world, monkeypatch):
    agenda = agenda_of(db_url, monkeypatch, "management")
    c = world.contracts
    assert names(agenda["unassigned_events"]) == ["Bill Launch in 5 days (nobody)",
                                                  "Bill Expo in 20 days (nobody)"]
    assert ids(agenda["old_drafts"]) == [c["bill_older_draft"].id, c["cara_old_draft"].id]
    signed_due = sum((Decimal(row["due"]) for row in shell.ok(
        "contract list --status signed --limit 1000 --format json").json()), Decimal(0))
    assert agenda["total_due"] == [{
        "section": "total_due", "entity": "contract", "id": None, "date": None, "name": None,
        "client": None, "client_phone": None, "commercial": None, "amount": str(signed_due)}]
    assert str(signed_due) == "14107.85"
    assert "events" not in agenda and "amounts_due" not in agenda


def test_agenda_table_has_a_titled_section_each(shell, world):
    out = shell.ok("agenda").out
    assert out.splitlines()[0] == "2 unassigned events in the next 30 days"
    assert "2 drafts older than 30 days" in out
    assert out.splitlines()[-1] == ("Total 14107.85 due on 4 signed contracts "
                                    "(by age: report unpaid)")


def test_agenda_csv_is_flat(shell, world):
    rows = shell.ok("agenda --format csv").csv()
    assert list(rows[0]) == ["section", "entity", "id", "date", "name", "client",
                             "client_phone", "commercial", "amount"]
    assert [r["section"] for r in rows] == ["unassigned_events"] * 2 + ["old_drafts"] * 2 + [
        "total_due"]


def test_a_long_section_names_the_command_listing_it_all(db_url, world, monkeypatch):
    from epicshell.services import agenda as service

    shell = open_shell(db_url, monkeypatch, "commercial")
    full = service.agenda(shell.app.session.current_user(), limit=1)
    assert full.sections[1].count == 2 and len(full.sections[1].page.rows) == 1
    from epicshell.shell.commands.agenda import _heading

    assert _heading(full.sections[1]) == ("2 drafts older than 14 days "
                                          "(first 1; all: contract list --mine --unsigned)")


# --- the short form at login ---------------------------------------------------------------


def child_env(home) -> dict:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
            "EPICSHELL_BCRYPT_ROUNDS": "4", "NO_COLOR": "1", "TERM": "xterm", "PAGER": "cat",
            "LANG": "C.UTF-8", "EPICSHELL_PASSWORD": PASSWORD}


@pytest.mark.pty
@pytest.mark.skipif(EPICSHELL is None, reason="the epicshell console script is not installed")
def test_an_interactive_login_shows_the_short_agenda(db_url, world, tmp_path):
    term = Terminal(["--database", db_url], child_env(tmp_path), tmp_path)
    try:
        term.expect("epic>")
        term.answer("login bill@epic.test")
        term.expect("Password")
        term.answer(PASSWORD)
        term.expect(r"^Welcome, Bill Boquet \(commercial\)$")
        term.expect(r"^  2 events in the next 7 days +event list --mine --days 7$")
        term.expect(r"^  2 drafts older than 14 days +contract list --mine --unsigned$")
        term.expect(r"^  1 signed contract still owing +"
                    r"contract list --mine --status signed --unpaid$")
        term.expect(r"^  \(details: agenda\)$")
        assert term.exit_status() == 0
    finally:
        term.kill()
    lines = term.screen.lines()
    welcome = next(i for i, line in enumerate(lines) if line.startswith("Welcome, "))
    short_form = lines[welcome:lines.index("  (details: agenda)") + 1]
    assert len(short_form) == 5 and all(len(line) <= 80 for line in short_form), short_form


def test_a_script_login_shows_no_agenda(db_url, world, tmp_path):
    ran = subprocess.run(["epicshell", "--database", db_url, "-c", "login ana@epic.test"],
                         env=child_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "" and ran.stderr == "Welcome, Ana Lopez (management)\n"
