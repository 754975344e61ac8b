"""`client …` commands through the real shell dispatch (App.execute), without a terminal."""
from __future__ import annotations

import pytest
from conftest import snapshot_rows
from shell_helpers import check_refused_then_allowed, commands_of, open_shell

from epicshell.models import Client, Contract
from epicshell.services.records import CLIENT_KEYS

NEW_CLIENT = ("client create --full-name 'Kevin Casey' --email kevin@startup.io "
              "--phone '+33 6 12 34 56 78' --company 'Cool Startup LLC'")


# commands.md §4, Clients. {client} belongs to "commercial"; "commercial2" does not own it.
PERMISSIONS = [
    ("client list", "support", ()),
    ("client view {client}", "support", ()),
    ("client search Client", "support", ()),
    (NEW_CLIENT, "commercial", ("support",)),
    (NEW_CLIENT + " --commercial {commercial2}", "management", ()),
    ("client update {client} --company Renamed", "commercial", ("support", "commercial2")),
    ("client assign {client} {commercial2}", "management", ("commercial", "support")),
]


@pytest.mark.parametrize("line, allowed_as, refused_as", PERMISSIONS,
                         ids=[f"{row[0].split(' -')[0].split(' {')[0]}-{row[1]}"
                              for row in PERMISSIONS])
def test_each_client_command_allowed_and_refused(shell, ids, line, allowed_as, refused_as):
    check_refused_then_allowed(shell, line.format(**ids), allowed_as, refused_as)


def test_help_of_every_client_command(db_url, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    names = commands_of("client")
    assert names == ["client assign", "client create", "client export", "client export-data",
                     "client forget", "client import", "client list", "client search",
                     "client update", "client view"]
    for name in names:
        out = shell.ok(f"{name} --help").out
        assert out.startswith(f"usage: {name}") and "examples:" in out


def test_empty_lists_do_not_crash(shell):
    assert shell.ok("client list").out == "no clients match"
    assert shell.ok("client search nobody --format json").json() == []
    assert shell.ok("client list --mine --format csv").out == ",".join(CLIENT_KEYS)


def test_commercial_creates_for_themselves_and_json_keys_are_in_order(shell, staff):
    shell.login("commercial")
    assert shell.ok(NEW_CLIENT).out == "Created client 1: Kevin Casey (commercial: Bill Boquet)."
    rows = shell.ok("client list --format json").json()
    assert [list(row) for row in rows] == [list(CLIENT_KEYS)]
    assert {k: rows[0][k] for k in ("full_name", "email", "phone", "company", "commercial_id",
                                     "commercial")} == {
        "full_name": "Kevin Casey", "email": "kevin@startup.io", "phone": "+33 6 12 34 56 78",
        "company": "Cool Startup LLC", "commercial_id": staff["commercial"].id,
        "commercial": "Bill Boquet"}
    assert rows[0]["created_at"] and rows[0]["updated_at"]
    csv_out = shell.ok("client list --format csv")
    assert csv_out.header == list(CLIENT_KEYS)
    assert csv_out.csv()[0]["commercial"] == "Bill Boquet"


def test_management_must_name_the_commercial(shell, staff):
    before = snapshot_rows()
    assert shell.fails(NEW_CLIENT) == "error: missing required option: --commercial"
    assert "not in the commercial department" in shell.fails(
        NEW_CLIENT + f" --commercial {staff['support'].id}")
    assert shell.fails("client create --phone 123456") == (
        "error: missing required options: --full-name, --email, --commercial")
    assert snapshot_rows() == before
    shell.ok(NEW_CLIENT + f" --commercial {staff['commercial2'].id}")
    assert Client.get(Client.email == "kevin@startup.io").commercial_id == staff["commercial2"].id


def test_list_filters_search_and_sort(shell, make, staff):
    make.client("commercial", full_name="Bruno Alpha", company="Zeta")
    make.client("commercial2", full_name="Alice Beta", company="Acme")
    make.client("commercial", full_name="Chloe Gamma", company="Midway")
    names = lambda line: [r["full_name"] for r in shell.ok(line + " --format json").json()]  # noqa: E731
    assert names("client list --sort name") == ["Alice Beta", "Bruno Alpha", "Chloe Gamma"]
    assert names("client list --sort -company") == ["Bruno Alpha", "Chloe Gamma", "Alice Beta"]
    assert names(f"client list --commercial {staff['commercial2'].id}") == ["Alice Beta"]
    assert names("client search ALPHA") == ["Bruno Alpha"]
    assert names("client list --search acme") == ["Alice Beta"]
    shell.login("commercial")
    assert names("client list --mine") == ["Bruno Alpha", "Chloe Gamma"]
    assert "sort: 'phone' is not one of" in shell.fails("client list --sort phone")


def test_view_has_contracts_and_events_sections(shell, make):
    client = make.client(full_name="Kevin Casey")
    contract = make.contract(client, total="1500", signed=True)
    make.contract(client, total="20")
    make.event(contract, name="Launch")
    table = shell.ok(f"client view {client.id}").out
    assert "Kevin Casey" in table
    assert "contracts (2)" in table and "1500.00" in table and "20.00" in table
    assert "events (1)" in table and "Launch" in table and "Sue Port" in table
    record = shell.ok(f"client view {client.id} --format json").json()
    assert len(record) == 1 and list(record[0]) == list(CLIENT_KEYS)
    assert shell.fails("client view 99") == "error: client 99 not found"


def test_view_shows_the_first_related_records_and_how_to_list_them_all(shell, make):
    client = make.client(full_name="Busy Client")
    contract = make.contract(client, total="10", signed=True)
    for n in range(22):
        make.contract(client, total="1")
        make.event(contract, name=f"Event {n}")
    table = shell.ok(f"client view {client.id}").out
    assert f"contracts (first 20 of 23; all: contract list --client {client.id})" in table
    assert f"events (first 20 of 22; all: event list --client {client.id})" in table
    listed = shell.ok(f"event list --client {client.id} --format json --limit 100").json()
    assert len(listed) == 22


def test_update_changes_only_given_fields(shell, make):
    client = make.client("commercial", full_name="Old Name", company="Old Co")
    shell.login("commercial")
    assert shell.ok(f"client update {client.id} --full-name 'New Name'").out == (
        f"Updated client {client.id}.")
    record = shell.ok(f"client view {client.id} --format json").json()[0]
    assert (record["full_name"], record["company"]) == ("New Name", "Old Co")
    assert "nothing to change" in shell.fails(f"client update {client.id}")
    assert "is not valid" in shell.fails(f"client update {client.id} --phone abc")


def test_assign_moves_the_client_and_its_contracts(shell, make, staff):
    client = make.client("commercial")
    contract = make.contract(client)
    cara = staff["commercial2"].id
    assert shell.ok(f"client assign {client.id} {cara}").out == (
        f"Client {client.id} is now handled by Cara Dune.")
    assert Contract.get_by_id(contract.id).commercial_id == cara
    assert "not in the commercial department" in shell.fails(
        f"client assign {client.id} {staff['support'].id}")


def test_paging_footer(shell, make):
    for _ in range(55):
        make.client()
    assert shell.ok("client list").out.splitlines()[-1] == "showing 1-50 of 55 (next: --page 2)"
    assert shell.ok("client list --page 2").out.splitlines()[-1] == "showing 51-55 of 55"
    assert len(shell.ok("client list --limit 5 --format json").json()) == 5


def test_misspelled_verbs_and_options_get_a_suggestion(shell):
    assert shell.fails("client serch x") == (
        "error: unknown command `client serch`; did you mean `client search`?")
    assert shell.fails("client list --mien") == (
        "error: client list: unknown option --mien; did you mean --mine?")
    assert shell.fails("CLIENT LIST --limit 1") == ("error: unknown command `CLIENT LIST`; "
                                                    "did you mean `client list`? (commands are "
                                                    "lower-case)")
    assert shell.fails("Whoami") == (
        "error: unknown command `Whoami`; did you mean `whoami`? (commands are lower-case)")
    assert shell.fails("client --help").startswith(
        "error: client: give a verb, one of: assign, create,")
