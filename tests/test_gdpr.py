"""`client export-data` and `client forget` (commands.md §10)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from epicshell.models import AuditEntry, Client, Contract, Event, Payment, database
from epicshell.services import clients

EMAIL, NEW_EMAIL = "zebulon.quux@secret-startup.io", "zq@secret-startup.io"
NAME, PHONE, COMPANY, NOTES = "Zebulon Quux", "+33 6 99 88 77 66", "Quuxcorp", "Allergic to nuts"


@pytest.fixture
def person(make, staff):
    """A client whose personal data is spread over records and the audit trail."""
    client = make.client(full_name=NAME, email=EMAIL, phone=PHONE, company=COMPANY)
    clients.update_client(staff["commercial"], client.id, email=NEW_EMAIL)
    contract = make.contract(client, total="1000.00", due="600.00", signed=True)
    event = make.event(contract, name="Gala", notes=NOTES, location="Lyon")
    return {"client": client.id, "contract": contract.id, "event": event.id}


def test_export_data_holds_everything_about_the_client(shell, person, tmp_path):
    path = tmp_path / "zq.json"
    previous = os.umask(0)
    try:
        out = shell.ok(f"client export-data {person['client']} {path}").out
    finally:
        os.umask(previous)
    assert out == f"Wrote the data of client {person['client']} to {path}."
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == ["client", "contracts", "events", "audit"]
    assert data["client"]["email"] == NEW_EMAIL and data["client"]["phone"] == PHONE
    (contract,) = data["contracts"]
    assert contract["id"] == person["contract"]
    assert contract["payments"][0]["amount"] == "400.00" and contract["payments"][0]["adjustment"]
    assert [e["notes"] for e in data["events"]] == [NOTES]
    trail = {(a["entity"], a["field"], a["old"], a["new"]) for a in data["audit"]}
    assert ("client", "email", EMAIL, NEW_EMAIL) in trail
    assert ("contract", "client", None, NAME) in trail and ("event", "notes", None, NOTES) in trail
    assert "already exists" in shell.fails(f"client export-data {person['client']} {path}")


def test_export_data_is_for_management_and_the_clients_commercial(shell, person, tmp_path):
    shell.login("commercial")
    shell.ok(f"client export-data {person['client']} {tmp_path / 'own.json'}")
    shell.login("commercial2")
    assert shell.fails(f"client export-data {person['client']} {tmp_path / 'x.json'}") == \
        "error: permission denied: this client is not yours"
    shell.login("support")
    assert "permission denied" in shell.fails(f"client export-data {person['client']} x.json")
    assert not (tmp_path / "x.json").exists()


def test_forget_needs_management_and_a_confirmation(shell, person, db_snapshot):
    before = db_snapshot()
    assert shell.fails(f"client forget {person['client']}") == \
        "error: this command needs --yes when not run from a terminal"
    for who in ("commercial", "support"):
        shell.login(who)
        assert "permission denied" in shell.fails(f"client forget {person['client']} --yes")
    assert db_snapshot() == before


def _everything_shown(shell, person, tmp_path) -> str:
    """What every command that could show the client prints or writes."""
    c, k, e = person["client"], person["contract"], person["event"]
    lines = ["client list", "client list --format json", "client search zebulon",
             "client search secret", f"client view {c}", f"client view {c} --format json",
             "contract list --format csv", f"contract view {k}", "event list --format json",
             f"event view {e} --format json", "event search gala", "audit --format csv",
             "audit --limit 1000", f"history client {c} --format json",
             f"history contract {k} --format csv", f"history event {e} --format json"]
    shown = [shell.ok(line).out for line in lines]
    for line in (f"client export {tmp_path / 'c.csv'}", f"client export {tmp_path / 'c.json'}",
                 f"event export {tmp_path / 'e.csv'}", f"contract export {tmp_path / 'k.json'}",
                 f"client export-data {c} {tmp_path / 'mine.json'}",
                 f"event calendar {tmp_path / 'cal.ics'}", f"data export {tmp_path / 'all'}"):
        shown.append(shell.ok(line + " --force").out)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".ics"):
            shown.append(path.read_text(encoding="utf-8"))
    return "\n".join(shown)


def _file_bytes(db_url: str) -> bytes:
    """The SQLite database and its companions (-wal, -shm), byte for byte."""
    database = Path(db_url.removeprefix("sqlite:///"))
    return b"".join(file.read_bytes() for file in database.parent.glob(database.name + "*"))


def test_after_forget_the_personal_data_is_found_nowhere(shell, person, tmp_path, db_url):
    out = tmp_path / "out"
    out.mkdir()
    if db_url.startswith("sqlite"):
        assert EMAIL.encode() in _file_bytes(db_url) and NOTES.encode() in _file_bytes(db_url)
    seen_before = _everything_shown(shell, person, out)
    assert EMAIL in seen_before and NAME in seen_before and NOTES in seen_before
    message = shell.ok(f"client forget {person['client']} --yes").out
    assert message.startswith(f"Client {person['client']} is now forgotten client {person['client']}: "
                              "name, email, phone, company and 1 event note erased;")
    seen = _everything_shown(shell, person, out)
    for value in (EMAIL, NEW_EMAIL, NAME, PHONE, COMPANY, NOTES, "zebulon", "secret-startup"):
        assert value.lower() not in seen.lower(), value
    for entry in AuditEntry.select():
        for value in (entry.old or "", entry.new or ""):
            assert "zebulon" not in value.lower() and "secret-startup" not in value
            assert value not in (PHONE, COMPANY, NOTES, NAME)
    for table in ("search_word", "search_vocabulary"):  # the search indexes keep no word
        left = database.execute_sql(f"SELECT word FROM {table} WHERE word IN "
                                    "('zebulon', 'quux', 'quuxcorp', 'zq')").fetchall()
        assert left == [], table
    if db_url.startswith("sqlite"):
        raw = _file_bytes(db_url)
        for value in (EMAIL, NEW_EMAIL, NAME, NOTES, COMPANY, PHONE):
            assert value.encode() not in raw, value


def test_forget_keeps_the_business_records_and_audits_the_erasure(shell, person, staff):
    before = (Contract.select().count(), Payment.select().count(), Event.select().count())
    shell.ok(f"client forget {person['client']} --yes")
    assert (Contract.select().count(), Payment.select().count(), Event.select().count()) == before
    client = Client.get_by_id(person["client"])
    assert (client.full_name, client.phone, client.company) == (
        f"forgotten client {client.id}", None, None)
    assert client.email is None  # emptied, like phone and company (§10)
    (shown,) = shell.ok(f"client view {client.id} --format json").json()
    assert (shown["email"], shown["phone"], shown["company"]) == (None, None, None)
    assert Event.get_by_id(person["event"]).notes is None
    assert Contract.get_by_id(person["contract"]).total_cents == 100000
    erasure = {(e.entity, e.field, e.old, e.new, e.actor_name) for e in
               AuditEntry.select().where(AuditEntry.action == "forget")}
    assert erasure == {("client", f, None, None, "Ana Lopez")
                       for f in ("full_name", "email", "phone", "company")} | {
        ("event", "notes", None, None, "Ana Lopez")}
    redacted = AuditEntry.select().where((AuditEntry.entity == "client")
                                         & (AuditEntry.field == "email")
                                         & (AuditEntry.action == "update")).get()
    assert (redacted.old, redacted.new) == ("[erased]", "[erased]")
    # a second client may take the old email again; forgetting twice records nothing more
    shell.ok(f"client create --full-name New --email {EMAIL} --commercial {staff['commercial'].id}")
    new = Client.get(Client.email == EMAIL).id
    recorded = AuditEntry.select().where(AuditEntry.action == "forget").count()
    assert shell.ok(f"client forget {person['client']} --yes").out == (
        f"Client {person['client']} was already forgotten: nothing left to erase, nothing "
        "changed.")
    assert AuditEntry.select().where(AuditEntry.action == "forget").count() == recorded
    shell.ok(f"client forget {new} --yes")  # many clients without an email: no clash
    assert Client.select().where(Client.email.is_null()).count() == 2


def test_the_connections_secure_delete_setting_is_restored(shell, person, db_url):
    from epicshell.models import database

    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite setting")
    database.execute_sql("PRAGMA secure_delete = 0")
    shell.ok(f"client update {person['client']} --email late.change@secret-startup.io")
    shell.ok(f"client forget {person['client']} --yes")
    assert database.execute_sql("PRAGMA secure_delete").fetchone()[0] == 0
    assert b"late.change@secret-startup.io" not in _file_bytes(db_url)


def test_forget_says_so_when_another_shell_keeps_the_log(shell, person, db_url):
    import sqlite3

    if not db_url.startswith("sqlite"):
        pytest.skip("the SQLite write-ahead log")
    reader = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM client").fetchone()  # holds a snapshot open
        outcome = shell.run(f"client forget {person['client']} --yes")
    finally:
        reader.close()
    assert outcome.ok and outcome.out.startswith(f"Client {person['client']} is now forgotten")
    assert outcome.err == ("another shell was reading the database: the old values stay in "
                           "its write-ahead log file until the last shell closes the database")
