"""`event …` commands through the real shell dispatch (App.execute), without a terminal.

Times are typed in local time; tests build them from datetime.now() in local time too,
so they hold in any TZ.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import snapshot_rows
from shell_helpers import check_refused_then_allowed, commands_of, open_shell

from epicshell.models import Event
from epicshell.services.records import EVENT_KEYS

CREATE = ("event create {signed} --name 'Launch party' --start '2030-06-01 18:00' "
          "--end '2030-06-01 23:00' --location Paris --attendees 120 --notes 'DJ at 21:00'")


def local(days: float) -> str:
    return (datetime.now() + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


# commands.md §4, Events. {event} is on a contract of "commercial" and assigned to "support".
PERMISSIONS = [
    ("event list", "support", ()),
    ("event mine", "support", ()),
    ("event unassigned", "commercial", ()),
    ("event upcoming", "support", ()),
    ("event view {event}", "commercial", ()),
    ("event search Event", "support", ()),
    (CREATE, "commercial", ("support", "commercial2")),
    (CREATE, "management", ()),
    ("event update {event} --attendees 10", "support", ("commercial", "support2")),
    ("event update {event} --attendees 10", "management", ()),
    ("event assign {event} {support2}", "management", ("commercial", "support")),
]


@pytest.mark.parametrize("line, allowed_as, refused_as", PERMISSIONS,
                         ids=[f"{row[0].split(' {')[0]}-{row[1]}" for row in PERMISSIONS])
def test_each_event_command_allowed_and_refused(shell, ids, line, allowed_as, refused_as):
    check_refused_then_allowed(shell, line.format(**ids), allowed_as, refused_as)


def test_help_of_every_event_command(db_url, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    names = commands_of("event")
    assert names == ["event assign", "event calendar", "event create", "event export", "event import",
                     "event list", "event mine", "event search",
                     "event unassigned", "event upcoming", "event update", "event view"]
    for name in names:
        out = shell.ok(f"{name} --help").out
        assert out.startswith(f"usage: {name}") and "examples:" in out


def test_empty_lists_do_not_crash(shell):
    for line in ("event list", "event mine", "event unassigned", "event upcoming",
                 "event search nothing", "event list --upcoming --days 0"):
        assert shell.ok(line).out == "no events match"
        assert shell.ok(line + " --format json").json() == []
        assert shell.ok(line + " --format csv").out == ",".join(EVENT_KEYS)


def test_create_list_and_unassigned(shell, make):
    contract = make.contract(signed=True)
    out = shell.ok(CREATE.format(signed=contract.id)).out
    assert out == (f"Created event 1 (Launch party) on contract {contract.id}, 2030-06-01 18:00 "
                   "to 2030-06-01 23:00; no support contact yet.")
    rows = shell.ok("event list --format json").json()
    assert [list(row) for row in rows] == [list(EVENT_KEYS)]
    event = rows[0]
    assert (event["name"], event["location"], event["attendees"], event["notes"]) == (
        "Launch party", "Paris", 120, "DJ at 21:00")
    assert event["start"].startswith("2030-06-01T18:00:00") and event["support"] is None
    assert event["client_email"] == contract.client.email
    assert [e["id"] for e in shell.ok("event unassigned --format json").json()] == [1]
    assert [e["id"] for e in shell.ok("event list --unassigned --format json").json()] == [1]
    table = shell.ok("event list").out
    assert "Launch party" in table and "2030-06-01 18:00" in table
    assert table.splitlines()[-1] == "showing 1-1 of 1"


def test_create_without_a_terminal_names_every_missing_flag(shell, make):
    contract = make.contract(signed=True)
    before = snapshot_rows()
    assert shell.fails(f"event create {contract.id} --location Paris") == (
        "error: missing required options: --name, --start, --end")
    assert shell.fails("event create") == (
        "error: missing required options: CONTRACT_ID, --name, --start, --end")
    assert shell.fails(f"event create {contract.id} --name X --start '2030-01-02 10:00' "
                       "--end '2030-01-01 10:00'") == "error: end: must be after the start"
    assert "is not YYYY-MM-DD HH:MM" in shell.fails(
        f"event create {contract.id} --name X --start tomorrow --end '2030-01-01 10:00'")
    assert shell.fails(f"event create {contract.id} --name X --start 2030-01-01 --end 2030-01-02 "
                       "--attendees -4") == "error: attendees: must be 0 or more"
    assert snapshot_rows() == before


def test_create_needs_a_signed_contract(shell, make):
    draft = make.contract()
    assert shell.fails(f"event create {draft.id} --name X --start 2030-01-01 --end 2030-01-02") == (
        f"error: contract {draft.id} is draft; events need a signed contract")


def test_a_commercial_hears_about_ownership_before_missing_options(shell, make):
    contract = make.contract(signed=True)
    shell.login("commercial2")
    assert shell.fails(f"event create {contract.id}") == (
        "error: permission denied: this contract's client is not yours")


def test_assign_then_mine_for_support_and_commercial(shell, make, staff):
    event = make.event(support=None)
    other = make.event(make.contract(make.client("commercial2"), signed=True), support=None)
    sue = staff["support"].id
    assert shell.ok(f"event assign {event.id} {sue}").out == f"Event {event.id} assigned to Sue Port."
    assert [e["id"] for e in shell.ok("event unassigned --format json").json()] == [other.id]
    assert shell.fails(f"event assign {event.id} {staff['commercial'].id}") == (
        f"error: support_id: user {staff['commercial'].id} is not in the support department")
    shell.login("support")
    assert [e["id"] for e in shell.ok("event mine --format json").json()] == [event.id]
    assert [e["id"] for e in shell.ok(f"event list --support {sue} --format json").json()] == [
        event.id]
    shell.login("commercial2")
    assert [e["id"] for e in shell.ok("event list --mine --format json").json()] == [other.id]


def test_update_takes_and_shows_local_time(shell, make):
    event = make.event()
    assert shell.ok(f"event update {event.id} --start '2031-01-01 10:00' --end '2031-01-01 12:30' "
                    "--attendees 80").out == f"Updated event {event.id}."
    record = shell.ok(f"event view {event.id} --format json").json()[0]
    assert record["start"].startswith("2031-01-01T10:00:00")
    assert record["end"].startswith("2031-01-01T12:30:00") and record["attendees"] == 80
    assert "2031-01-01 10:00" in shell.ok(f"event view {event.id}").out
    assert shell.fails(f"event update {event.id} --end '2030-12-31 09:00'") == (
        "error: end: must be after the start")
    assert "nothing to change" in shell.fails(f"event update {event.id}")
    shell.ok(f"event update {event.id} --notes -vegetarian")  # a value may start with a dash
    assert Event.get_by_id(event.id).notes == "-vegetarian"
    assert Event.get_by_id(event.id).attendees == 80


def test_view_shows_client_contact_contract_and_support(shell, make):
    client = make.client(full_name="Kevin Casey", email="kevin@startup.io", phone="+33 6 12 34 56 78")
    event = make.event(make.contract(client, total="1500", signed=True), name="Gala")
    table = shell.ok(f"event view {event.id}").out
    for text in ("Gala", "Kevin Casey", "kevin@startup.io", "+33 6 12 34 56 78", "Sue Port",
                 "contract (1)", "1500.00", "signed", "Bill Boquet"):
        assert text in table
    record = shell.ok(f"event view {event.id} --format json").json()
    assert len(record) == 1 and list(record[0]) == list(EVENT_KEYS)
    assert (record[0]["client"], record[0]["client_phone"], record[0]["support"]) == (
        "Kevin Casey", "+33 6 12 34 56 78", "Sue Port")
    assert shell.fails("event view 77") == "error: event 77 not found"


def test_upcoming_days_and_search(shell, make):
    soon = make.event(name="Soon", start=local(5), end=local(5.2))
    later = make.event(name="Later gala", start=local(40), end=local(40.2))
    make.event(name="Past", start=local(-3), end=local(-2.9))
    assert [e["id"] for e in shell.ok("event upcoming --format json").json()] == [soon.id]
    assert [e["id"] for e in shell.ok("event upcoming --days 60 --format json").json()] == [
        soon.id, later.id]
    assert [e["id"] for e in shell.ok("event list --upcoming --days 2 --format json").json()] == []
    assert shell.fails("event upcoming --days soon") == "error: days: 'soon' is not a whole number"
    assert [e["id"] for e in shell.ok("event search gala --format json").json()] == [later.id]
    assert [e["id"] for e in shell.ok("event list --search GALA --format json").json()] == [later.id]
    contract_id = soon.contract_id
    assert [e["id"] for e in shell.ok(f"event list --contract {contract_id} --format json"
                                      ).json()] == [soon.id]


def test_misspelled_verbs_and_options_get_a_suggestion(shell):
    assert shell.fails("event lsit") == "error: unknown command `event lsit`; did you mean `event list`?"
    assert shell.fails("event list --unasigned") == (
        "error: event list: unknown option --unasigned; did you mean --unassigned?")


def test_at_a_terminal_another_supports_event_is_refused_before_the_wizard(db_url, make,
                                                                           monkeypatch):
    from prompt_helpers import InteractiveShell

    open_shell(db_url, monkeypatch)  # sets the password variable login reads
    event = make.event(support="support")
    terminal = InteractiveShell(db_url).login("sam@epic.test")
    outcome = terminal.run(f"event update {event.id}")
    assert outcome.err.strip() == "error: permission denied: this event is not assigned to you"
    assert outcome.screen == ""
