"""`history ENTITY ID` and `audit`: the audit trail through the real shell (App.execute).

Records are changed through the real commands, so the entries read back are the ones
the services wrote; order, paging, the three formats and the permissions are checked.
"""
from __future__ import annotations

import subprocess

import pytest
from conftest import PASSWORD
from prompt_toolkit.document import Document
from sentry_server import child_env, console_script
from shell_helpers import open_shell

from epicshell.models import AuditEntry
from epicshell.services.records import AUDIT_KEYS
from epicshell.shell.commands.audit import history_targets
from epicshell.shell.completion import ShellCompleter
from epicshell.validation import format_local

AUDIT_HEADER = "at,actor,action,entity,entity_id,field,old,new"


@pytest.fixture
def shell(db_url, staff, monkeypatch):
    return open_shell(db_url, monkeypatch, "management")


def _client_with_story(shell) -> int:
    """A client created by bill, then renamed and re-phoned by ana: 4 + 2 entries."""
    shell.login("commercial")
    shell.ok("client create --full-name 'Kevin Casey' --email kevin@startup.io "
             "--phone '+33 6 12 34 56 78' --company 'Cool Startup'")
    client_id = AuditEntry.select().where(AuditEntry.entity == "client").first().entity_id
    shell.login("management")
    shell.ok(f"client update {client_id} --full-name 'Kevin Casey Jr'")
    shell.ok(f"client update {client_id} --phone '+33 6 00 00 00 00'")
    return client_id


def test_history_tells_a_records_story_oldest_first(shell):
    client_id = _client_with_story(shell)
    rows = shell.ok(f"history client {client_id} --format csv").csv()
    assert [(r["action"], r["field"]) for r in rows][-2:] == [("update", "full_name"),
                                                              ("update", "phone")]
    assert {r["action"] for r in rows[:-2]} == {"create"}
    assert {r["actor"] for r in rows[:-2]} == {"Bill Boquet"}
    assert rows[-2]["old"] == "Kevin Casey" and rows[-2]["new"] == "Kevin Casey Jr"
    assert rows[-1]["actor"] == "Ana Lopez"
    assert {r["entity"] for r in rows} == {"client"}
    assert {r["entity_id"] for r in rows} == {str(client_id)}


def test_history_table_shows_local_time_who_and_old_to_new(shell):
    client_id = _client_with_story(shell)
    out = shell.ok(f"history client {client_id}").out
    lines = out.splitlines()
    assert lines[0].split() == ["at", "actor", "action", "field", "change"]
    rename = next(line for line in lines if "full_name" in line and "update" in line)
    assert "Kevin Casey → Kevin Casey Jr" in rename and "Ana Lopez" in rename
    entry = AuditEntry.select().where(AuditEntry.field == "phone",
                                      AuditEntry.action == "update").get()
    assert format_local(entry.at) in out  # when, in the user's local time
    assert lines[-1].startswith("showing 1-")


def test_history_formats_use_the_audit_entry_keys(shell):
    client_id = _client_with_story(shell)
    assert shell.ok(f"history client {client_id} --format csv").out.splitlines()[0] == AUDIT_HEADER
    entries = shell.ok(f"history client {client_id} --format json").json()
    assert all(list(entry) == list(AUDIT_KEYS) for entry in entries)
    assert entries[-1]["old"] == "+33 6 12 34 56 78" and entries[-1]["new"] == "+33 6 00 00 00 00"
    assert entries[-1]["entity_id"] == client_id
    first = AuditEntry.select().where(AuditEntry.entity == "client").order_by(AuditEntry.id).first()
    assert entries[0]["at"].startswith(first.at.strftime("%Y-%m-%d"))  # ISO 8601
    assert "T" in entries[0]["at"]


def test_history_pages(shell):
    client_id = _client_with_story(shell)
    total = AuditEntry.select().where(AuditEntry.entity == "client").count()
    everything = shell.ok(f"history client {client_id} --format json").json()
    second = shell.ok(f"history client {client_id} --format json --limit 2 --page 2").json()
    assert second == everything[2:4]
    table = shell.ok(f"history client {client_id} --limit 2 --page 2").out
    assert f"showing 3-4 of {total}" in table
    assert shell.ok(f"history client {client_id} --format json --limit 2 --page 99").json() == []


def test_history_of_a_record_that_never_existed_is_an_error_as_in_view(shell, make):
    assert shell.fails("history contract 999") == "error: contract 999 not found"
    assert shell.fails("contract view 999") == "error: contract 999 not found"
    contract = make.contract()
    AuditEntry.delete().where((AuditEntry.entity == "contract")
                              & (AuditEntry.entity_id == contract.id)).execute()
    assert shell.ok(f"history contract {contract.id}").out == \
        f"no history for contract {contract.id}"  # exists, with no trail (written by hand)


def test_history_mistakes_are_one_line_errors(shell):
    assert "give an entity and an id" in shell.fails("history client")
    assert "give an entity and an id" in shell.fails("history")
    assert "is not one of user, client, contract, event" in shell.fails("history planet 1")
    assert "is not a record id" in shell.fails("history client twelve")
    assert "whole number" in shell.fails("history client 1 --limit many")


@pytest.mark.parametrize("who", ["commercial", "support"])
def test_everyone_reads_the_history_of_clients_contracts_and_events(shell, make, who):
    event = make.event()
    shell.login(who)
    for entity, ident in (("client", event.contract.client_id), ("contract", event.contract_id),
                          ("event", event.id)):
        rows = shell.ok(f"history {entity} {ident} --format csv").csv()
        assert rows and {r["entity"] for r in rows} == {entity}


@pytest.mark.parametrize("who", ["commercial", "support"])
def test_a_staff_accounts_history_is_for_management_only(shell, staff, who):
    """It holds what `user view` shows (email, name, number): management only, like that."""
    shell.ok(f"user update {staff['support2'].id} --full-name 'Samuel Help'")
    assert shell.ok(f"history user {staff['support2'].id} --format csv").csv()
    shell.login(who)
    assert shell.fails(f"history user {staff['support2'].id}").startswith(
        "error: permission denied")


def test_audit_lists_the_latest_changes_newest_first(shell, staff):
    _client_with_story(shell)
    entries = shell.ok("audit --format json").json()
    ids = [e.id for e in AuditEntry.select().order_by(AuditEntry.at.desc(), AuditEntry.id.desc())]
    assert len(entries) == len(ids)
    newest = AuditEntry.get_by_id(ids[0])
    assert (entries[0]["field"], entries[0]["new"]) == (newest.field, newest.new) == (
        "phone", "+33 6 00 00 00 00")
    assert entries[-1]["entity"] == "user" and entries[-1]["entity_id"] == staff["management"].id
    out = shell.ok("audit --limit 3").out.splitlines()
    assert out[0].split() == ["at", "actor", "action", "entity", "entity_id", "field", "change"]
    assert out[-1] == f"showing 1-3 of {len(ids)} (next: --page 2)"


def test_audit_filters_by_user_entity_and_date(shell, staff):
    _client_with_story(shell)
    bills = shell.ok(f"audit --user {staff['commercial'].id} --format csv").csv()
    assert bills and {r["actor"] for r in bills} == {"Bill Boquet"}
    clients = shell.ok("audit --entity client --format csv").csv()
    assert len(clients) == AuditEntry.select().where(AuditEntry.entity == "client").count()
    assert {r["entity"] for r in clients} == {"client"}
    assert shell.ok("audit --since '2999-01-01'").out == "no changes match"
    assert len(shell.ok("audit --since 2000-01-01 --format json").json()) == AuditEntry.select().count()
    both = shell.ok(f"audit --entity client --user {staff['management'].id} --format json").json()
    assert [(e["action"], e["field"]) for e in both] == [("update", "phone"), ("update", "full_name")]


def test_audit_pages_and_formats(shell):
    _client_with_story(shell)
    assert shell.ok("audit --format csv --limit 1").out.splitlines()[0] == AUDIT_HEADER
    everything = shell.ok("audit --format json").json()
    assert shell.ok("audit --format json --limit 3 --page 2").json() == everything[3:6]
    assert all(list(e) == list(AUDIT_KEYS) for e in everything)


def test_audit_mistakes_are_one_line_errors(shell):
    assert "since" in shell.fails("audit --since yesterday")
    assert "is not one of" in shell.fails("audit --entity planet")
    assert "user" in shell.fails("audit --user bill")
    assert "page" in shell.fails("audit --page 0")


@pytest.mark.parametrize("who", ["commercial", "support"])
def test_audit_is_refused_to_commercial_and_support(shell, who):
    shell.login(who)
    error = shell.fails("audit")
    assert error.startswith("error: permission denied: the "), error
    assert "audit log" in error


def _completions(app, text: str) -> list[tuple[str, str]]:
    """What TAB offers after TEXT at the real prompt's completer."""
    completer = ShellCompleter(app)
    return [(c.text, c.display_meta_text) for c in completer.get_completions(Document(text), None)]


def test_completion_offers_entities_then_that_entitys_ids(shell, make):
    client = make.client(full_name="Zed Zebra")
    contract = make.contract(client)
    app = shell.app
    assert _completions(app, "history co") == [("contract", "")]
    assert [v for v, _ in _completions(app, "history ")] == ["user", "client", "contract", "event"]
    offered = _completions(app, f"history contract {contract.id}")
    assert (str(contract.id), "Zed Zebra — draft") in offered
    assert all(meta.endswith(("draft", "signed", "cancelled")) for _v, meta in offered)
    assert (str(client.id), "Zed Zebra — Company 1") in _completions(app, "history client ")
    assert _completions(app, "history planet 1") == []
    assert [v for v, _ in _completions(app, "audit --entity c")] == ["client", "contract"]
    shell.login("commercial")
    assert "user" not in [v for v, _ in history_targets(app, "")]


def test_the_console_script_runs_history_and_refuses_audit(db_url, staff, tmp_path):
    """The real program: `-c` commands; a refused `audit` fails the run with exit 1."""
    env = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD)
    base = [console_script(), "--database", db_url]
    ok = subprocess.run([*base, "-c", "login ana@epic.test", "-c", "audit --format csv",
                         "-c", f"history user {staff['support'].id} --format csv"],
                        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == AUDIT_HEADER  # the greeting went to stderr
    refused = subprocess.run([*base, "-c", "login bill@epic.test", "-c", "audit"],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith("-c:2: error: permission denied")
