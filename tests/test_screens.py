"""Screens that fit and output that cannot be abused (commands.md §7), without a terminal.

Compact default columns, `--columns`, `set`, expanded display, terminal-safe text and
spreadsheet-safe CSV, through the real dispatch (App.execute) on both databases. The
layout at a given terminal width is checked here on the renderer and, in a real
pseudo-terminal, in test_terminal_screens.py.
"""
from __future__ import annotations

import json

import pytest
from shell_helpers import open_shell

from epicshell.models import Client, Event
from epicshell.services.records import AUDIT_KEYS, CLIENT_KEYS, CONTRACT_KEYS, EVENT_KEYS, USER_KEYS
from epicshell.shell.tables import Screen, expanded, rows_table, width_of

HOSTILE_NAME = "Mallory \x1b]0;pwned\x07 \x1b[31mRed\x9b"
HOSTILE_NOTES = "first line\n\x1b[2J second line\r\x08"


def header(out: str) -> list[str]:
    return out.splitlines()[0].split()


# -- compact columns and --columns -----------------------------------------------------------


@pytest.mark.parametrize("line, columns", [
    ("user list", ["id", "full_name", "email", "department", "active"]),
    ("client list", ["id", "full_name", "company", "commercial", "updated_at"]),
    ("client search Client", ["id", "full_name", "company", "commercial", "updated_at"]),
    ("contract list", ["id", "client", "commercial", "total", "due", "status"]),
    ("contract unpaid", ["id", "client", "commercial", "total", "due", "status"]),
    ("event list", ["id", "name", "client", "start", "support", "location"]),
    ("event upcoming --days 36500", ["id", "name", "client", "start", "support", "location"]),
    ("history client {client}", ["at", "actor", "action", "field", "change"]),
    ("audit", ["at", "actor", "action", "entity", "entity_id", "field", "change"]),
])
def test_every_list_shows_its_compact_columns(shell, ids, line, columns):
    assert header(shell.ok(line.format(**ids)).out) == columns


def test_view_sections_show_the_compact_columns(shell, ids):
    out = shell.ok(f"client view {ids['client']}").out.splitlines()
    contracts = out.index(next(line for line in out if line.startswith("contracts (")))
    events = out.index(next(line for line in out if line.startswith("events (")))
    assert out[contracts + 1].split() == ["id", "client", "commercial", "total", "due", "status"]
    assert out[events + 1].split() == ["id", "name", "client", "start", "support", "location"]
    out = shell.ok(f"event view {ids['event']}").out.splitlines()
    assert out[out.index("contract (1)") + 1].split() == ["id", "client", "commercial", "total",
                                                          "due", "status"]


@pytest.mark.parametrize("entity, keys", [("user", USER_KEYS), ("client", CLIENT_KEYS),
                                          ("contract", CONTRACT_KEYS), ("event", EVENT_KEYS)])
def test_columns_pick_any_key_or_all(shell, ids, entity, keys):
    assert header(shell.ok(f"{entity} list --columns {keys[-1]},id").out) == [keys[-1], "id"]
    assert header(shell.ok(f"{entity} list --columns all").out) == list(keys)
    # CSV and JSON keep every key, in order, whatever --columns says
    assert shell.ok(f"{entity} list --columns id --format csv").header == list(keys)
    assert list(shell.ok(f"{entity} list --columns id --format json").json()[0]) == list(keys)


def test_an_unknown_column_is_one_line_naming_it_and_the_valid_ones(shell, ids):
    error = shell.fails("event list --columns name,colour")
    assert error == ("error: --columns: unknown column `colour`; columns: "
                     + ", ".join(EVENT_KEYS) + " (or all)")
    assert "`change`" not in shell.fails("history client 1 --columns x")
    assert "change" in shell.fails("audit --columns x")
    assert shell.fails("client list --columns ,").startswith("error: --columns: give column")


def test_the_audit_change_column_and_its_keys(shell, ids):
    out = shell.ok(f"history contract {ids['signed']} --columns field,old,new,change").out
    assert header(out) == ["field", "old", "new", "change"]
    assert "draft → signed" in out
    rows = shell.ok(f"history contract {ids['signed']} --columns change --format json").json()
    assert list(rows[0]) == list(AUDIT_KEYS)


# -- set ---------------------------------------------------------------------------------------


def test_set_lists_and_changes_the_preferences_for_the_session(shell, ids, make):
    for _ in range(3):
        make.client()
    assert shell.ok("set").out == "expanded  auto\nformat    table\nlimit     50"
    assert shell.ok("set limit 2").out == "limit is 2"
    assert shell.ok("client list").out.endswith("showing 1-2 of 4 (next: --page 2)")
    assert shell.ok("client list --limit 3").out.endswith("showing 1-3 of 4 (next: --page 2)")
    assert shell.ok("set format json").out == "format is json"
    assert len(shell.ok("client list").json()) == 2
    assert shell.ok("client list --format csv").header == list(CLIENT_KEYS)  # the option wins
    assert shell.ok("set format").out == "format  json"
    shell.ok("set format table")
    assert shell.ok("set expanded on").out == "expanded is on"
    out = shell.ok("client list --columns id,full_name").out.splitlines()
    assert out[0].startswith("-[ RECORD 1 ]") and out[1].startswith("id        | ")
    assert out[2].startswith("full_name | ")
    assert shell.ok("set").out == "expanded  on\nformat    table\nlimit     2"


@pytest.mark.parametrize("line, error", [
    ("set limit 0", "error: limit: must be between 1 and 1000"),
    ("set limit 1001", "error: limit: must be between 1 and 1000"),
    ("set limit ten", "error: limit: 'ten' is not a whole number"),
    ("set limit ３", "error: limit: '３' is not a whole number"),
    ("set expanded wide", "error: set expanded: 'wide' is not one of auto, on, off"),
    ("set format xml", "error: set format: 'xml' is not one of table, csv, json"),
    ("set expand on", "error: set: unknown setting 'expand'; did you mean expanded?"),
    ("set limit 1 2", "error: set: give a name and one value, e.g. `set limit 20` "
                      "(usage: set [NAME VALUE])"),
])
def test_set_refuses_bad_names_and_values(shell, line, error):
    assert shell.fails(line) == error
    assert shell.ok("set").out == "expanded  auto\nformat    table\nlimit     50"


def test_set_is_for_anyone_and_in_help(db_url, staff, monkeypatch):
    shell = open_shell(db_url, monkeypatch)  # nobody logged in
    assert shell.ok("set limit 5").out == "limit is 5"
    assert "set" in shell.ok("help").out.split()
    assert shell.ok("help set").out.startswith("usage: set [NAME VALUE]")


def test_the_program_format_is_the_initial_preference(db_url, staff, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    shell.app.display.format = "csv"  # what `epicshell --format csv` sets
    shell.login("management")
    assert shell.ok("set format").out == "format  csv"
    assert shell.ok("user list").header == list(USER_KEYS)


def test_the_program_format_option_sets_the_preference(db_url, staff):
    from epicshell.config import Settings
    from epicshell.shell.app import App, Environment

    app = App(Settings(database_url=db_url), Environment(), output_format="json")
    assert app.display.format == "json" and app.output_format == "json"


# -- layout -----------------------------------------------------------------------------------

ROWS = [{"id": n, "name": f"Event number {n}", "client": "Kevin Casey", "location": "Paris",
         "notes": "x" * 300} for n in (1, 22)]


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("fancy", [False, True])
def test_a_table_never_exceeds_the_screen(width, fancy):
    for mode in ("auto", "on", "off"):
        text = rows_table(ROWS, ("id", "name", "client", "location", "notes"),
                          Screen(width=width, expanded=mode, fancy=fancy))
        assert width_of(text) <= width, (mode, text)
        assert "…" in text  # the 300-character note is cut


def test_auto_expands_only_when_too_wide():
    narrow = rows_table(ROWS, ("id", "name"), Screen(width=60))
    assert narrow.splitlines()[0].split() == ["id", "name"]
    wide = rows_table(ROWS, ("id", "name", "notes"), Screen(width=60)).splitlines()
    assert wide[0].startswith("-[ RECORD 1 ]") and wide[1] == "id    | 1"
    assert wide[3].startswith("notes | xxx") and wide[3].endswith("…") and len(wide[3]) == 60
    assert wide[4].startswith("-[ RECORD 2 ]")


def test_without_a_terminal_nothing_is_expanded_or_cut():
    text = rows_table(ROWS, ("id", "name", "notes"), Screen(width=None))
    assert "x" * 300 in text and "RECORD" not in text and "…" not in text
    text = expanded(ROWS, ("id", "notes"), Screen(width=None, expanded="on"), first=51)
    assert text.splitlines()[0].startswith("-[ RECORD 51 ]") and "x" * 300 in text


def test_wide_characters_count_two_columns():
    rows = [{"id": 1, "name": "東京" * 40}]
    text = rows_table(rows, ("id", "name"), Screen(width=60, expanded="off"))
    assert width_of(text) <= 60 and "…" in text


def test_notes_keep_their_line_breaks_in_expanded_blocks():
    rows = [{"id": 1, "notes": HOSTILE_NOTES}]
    lines = expanded(rows, ("id", "notes"), Screen(width=80, expanded="on")).splitlines()
    assert lines[2] == "notes | first line"
    assert lines[3] == "      | \\x1b[2J second line\\x0d\\x08"


# -- safe text and spreadsheet-safe CSV ------------------------------------------------------


@pytest.fixture
def hostile(make, staff):
    """A client and an event holding escape sequences, written as raw data would arrive."""
    client = make.client(full_name="Placeholder")
    event = make.event(make.contract(client, signed=True), notes="placeholder")
    Client.update(full_name=HOSTILE_NAME, company="=HYPERLINK(\"http://x\")").where(
        Client.id == client.id).execute()
    Event.update(notes=HOSTILE_NOTES).where(Event.id == event.id).execute()
    return {"client": client.id, "event": event.id}


def test_tables_views_and_messages_show_control_characters_escaped(shell, hostile):
    shown = r"Mallory \x1b]0;pwned\x07 \x1b[31mRed\x9b"
    for line in ("client list", f"client view {hostile['client']}", "event list --columns all",
                 f"event view {hostile['event']}", "contract list",
                 f"client view {hostile['client']} --format csv"):
        out = shell.ok(line).out
        if "csv" in line:  # not a terminal: CSV keeps the stored value exactly
            assert HOSTILE_NAME in out
            continue
        assert shown in out, line
        assert not any(c in out for c in "\x1b\x07\x9b\r\x08"), line
    notes = shell.ok(f"event view {hostile['event']}").out
    assert "first line\n" in notes and r"\x1b[2J second line\x0d\x08" in notes
    error = shell.fails(f"client update {hostile['client']} --email '\x1b[2Jbad'")
    assert "\x1b" not in error


def test_json_and_csv_keep_the_stored_values_exactly(shell, hostile):
    text = shell.ok(f"event view {hostile['event']} --format json").out
    assert "\x1b" not in text and "\\u001b[2J" in text
    assert json.loads(text)[0]["notes"] == HOSTILE_NOTES
    assert json.loads(text)[0]["client"] == HOSTILE_NAME
    assert "\x9b" not in text  # C1 controls are JSON-escaped too
    row = shell.ok(f"event view {hostile['event']} --format csv").csv()[0]
    assert row["notes"] == HOSTILE_NOTES and row["client"] == HOSTILE_NAME


def test_csv_cells_are_spreadsheet_safe(shell, make):
    for name, company, phone in (("@SUM(A1)", "-2+3", "+33 6 12 34 56 78"),
                                 ("\tTabbed", "\rReturn", "+1 (555) 010-2030"),
                                 ("Plain", "-42.5", "06 12 34 56 78")):
        make.client(full_name="Placeholder", company="Placeholder", phone=phone)
        Client.update(full_name=name, company=company).where(
            Client.full_name == "Placeholder").execute()
    rows = shell.ok("client list --format csv").csv()
    assert [(r["full_name"], r["company"], r["phone"]) for r in rows] == [
        ("'@SUM(A1)", "'-2+3", "+33 6 12 34 56 78"),
        ("'\tTabbed", "'\rReturn", "+1 (555) 010-2030"),
        ("Plain", "-42.5", "06 12 34 56 78"),
    ]
    make.client(company="=HYPERLINK(\"http://evil\")")
    assert shell.ok("client list --format csv").csv()[-1]["company"] == "'=HYPERLINK(\"http://evil\")"


# -- the shell's own lines fit 80 columns ---------------------------------------------------


def test_help_and_every_command_help_fit_80_columns(db_url, staff, monkeypatch):
    from epicshell.shell.registry import load_commands

    for name, cmd in load_commands().items():
        assert all(len(line) <= 80 for line in cmd.help_text().splitlines()), name
        narrow = cmd.help_text(60).split("\nexamples:")[0]  # examples are never broken
        assert all(len(line) <= 60 for line in narrow.splitlines()), name
    shell = open_shell(db_url, monkeypatch)
    for who in (None, "management", "commercial", "support"):
        if who:
            shell.login(who)
        assert all(len(line) <= 80 for line in shell.ok("help").out.splitlines()), who


def test_every_option_is_described_on_its_own_line_and_folded_under_itself():
    """An option's description starts beside it and its later lines line up under the
    description, at 80 columns and on a 60-column terminal: never a word per line."""
    from epicshell.shell.registry import _param_label, load_commands

    for name, cmd in load_commands().items():
        for width in (None, 60):
            lines = cmd.help_text(width).splitlines()
            for p in cmd.params:
                label = _param_label(p)
                at = next(i for i, line in enumerate(lines) if line.startswith(f"  {label} "))
                column = len(lines[at]) - len(lines[at][2 + len(label):].lstrip())
                described = [lines[at][column:]]
                for line in lines[at + 1:]:
                    if not line.startswith(" " * column) or line[column] == " ":
                        break
                    described.append(line[column:])
                assert " ".join(described) == p.help, (name, label, width)
                room = (width or 80) - column  # lines at least half full, or the last
                assert len(described) <= len(p.help) // (room // 2) + 1, (name, label, width)


def test_the_prompt_shows_the_name_escaped(db_url, staff, monkeypatch):
    shell = open_shell(db_url, monkeypatch, "commercial")
    shell.app.session.user.email = "bi\x1b[2Jll@epic.test"
    assert shell.app.prompt_text() == "epic (bi\\x1b[2Jll, commercial)> "


def test_csv_on_a_terminal_shows_control_characters_escaped():
    from epicshell.shell.render import Result, render

    result = Result(rows=[{"id": 1, "notes": HOSTILE_NOTES}], keys=("id", "notes"))
    on_screen = render(result, "csv", Screen(width=80))
    assert "\x1b" not in on_screen and "\\x1b[2J" in on_screen and "first line\n" in on_screen
    assert HOSTILE_NOTES in render(result, "csv", Screen(width=None))  # a pipe: exact
    assert "\\u001b[2J" in render(result, "json", Screen(width=80))


def test_the_error_printer_and_notices_show_control_characters_escaped(shell):
    shell.app.error("no client named 'x\x1b]0;t\x07'", "-c:2")
    shell.app.notice("note\x1b[2J\nnext line")
    err = shell.env.stderr.getvalue()
    assert "-c:2: error: no client named 'x\\x1b]0;t\\x07'" in err
    assert "note\\x1b[2J\nnext line" in err and "\x1b" not in err


def test_a_table_too_wide_for_its_boxes_is_drawn_plain_before_it_is_expanded():
    """The boxes cost about three columns a column: the compact columns of §7 fit 100
    columns as a plain grid, so a 100-column terminal gets that grid, not records."""
    from epicshell.shell.tables import Screen, rows_table

    rows = [{"id": 7, "name": "Haddad Tech Product Launch", "client": "Ali Haddad",
             "start": "2026-12-10 11:00", "support": "Sam Okafor",
             "location": "Lyon Convention Centre"}]
    columns = list(rows[0])
    boxed = rows_table(rows, columns, Screen(width=140, fancy=True))
    assert boxed.startswith("╭") and max(len(line) for line in boxed.splitlines()) > 100
    plain = rows_table(rows, columns, Screen(width=100, fancy=True))
    assert "╭" not in plain and "-[ RECORD" not in plain
    assert max(len(line) for line in plain.splitlines()) <= 100
    assert "-[ RECORD 1 ]" in rows_table(rows, columns, Screen(width=80, fancy=True))


@pytest.mark.parametrize("width", [40, 60, 80])
def test_expanded_off_narrows_every_line_to_the_screen_whole(width):
    """`set expanded off`: columns are narrowed until the table fits, borders included."""
    from epicshell.shell.tables import Screen, rows_table

    rows = [{"id": n, "name": "Haddad Tech Product Launch " * 2, "client": "Ali Haddad",
             "start": "2026-12-10 11:00", "support": "Sam Okafor",
             "location": "Lyon Convention Centre, Hall B"} for n in range(1, 4)]
    text = rows_table(rows, list(rows[0]), Screen(width=width, expanded="off", fancy=True))
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    assert "-[ RECORD" not in text
    if text.startswith("╭"):
        assert len({len(line) for line in lines}) == 1, text  # every row ends on its border
    assert width < 60 or text.startswith("╭")  # boxes kept while they can fit
