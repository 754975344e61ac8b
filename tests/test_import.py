"""`client|contract|event import FILE` (commands.md §8): every row checked with create's
rules, all or nothing, each bad row named `FILE:LINE: field: reason`."""
from __future__ import annotations

import pytest
from conftest import snapshot_rows

from epicshell.models import AuditEntry, Client, Contract, Event, Payment

HEADER = "full_name,email,phone,company,commercial_email\n"


def _file(tmp_path, name: str, text: str, *, encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _errors(outcome) -> list[str]:
    return outcome.err.splitlines()


def test_a_file_with_bad_rows_changes_nothing_and_names_each_line(shell, tmp_path):
    path = _file(tmp_path, "clients.csv", HEADER
                 + "Kevin Casey,kevin@startup.io,+33 6 12 34 56 78,Cool,bill@epic.test\n"
                 + "No Mail,,,,bill@epic.test\n"
                 + "\n"
                 + "Bad Phone,bad@x.io,12,,bill@epic.test\n"
                 + "Wrong Dept,w@x.io,,,sue@epic.test\n"
                 + "Nobody,n@x.io,,,ghost@epic.test\n")
    before = snapshot_rows()
    outcome = shell.run(f"client import {path}")
    assert not outcome.ok and outcome.out == ""
    assert _errors(outcome) == [
        f"{path}:3: email: is required",
        f"{path}:5: phone: '12' is not valid: digits with optional +, spaces, dots, dashes, "
        "parentheses; 6 to 20 digits",
        f"{path}:6: commercial_email: user 4 is not in the commercial department",
        f"{path}:7: commercial_email: no staff account has the email 'ghost@epic.test'",
        "error: 4 bad rows: nothing was imported",
    ]
    assert snapshot_rows() == before


def test_a_cell_too_long_for_the_reader_is_a_bad_row_on_its_own_line(shell, tmp_path):
    """The CSV reader refuses a cell over 131,072 characters: that record is named on the
    line it starts on, and the rows after it are still checked."""
    path = _file(tmp_path, "big.csv", HEADER + "A,a@x.io,,,bill@epic.test\n"
                 + "Huge,h@x.io,,\"" + "x" * 140_000 + "\",bill@epic.test\n"
                 + "Bad,bad@,,,bill@epic.test\n" + "C,c@x.io,,,bill@epic.test\n")
    before = snapshot_rows()
    outcome = shell.run(f"client import {path}")
    assert sorted(_errors(outcome)[:-1]) == [
        f"{path}:3: row: a cell is longer than 131,072 characters",
        f"{path}:4: email: 'bad@' is not a valid address such as name@example.com"]
    assert _errors(outcome)[-1] == "error: 2 bad rows: nothing was imported"
    assert snapshot_rows() == before


def test_a_spreadsheet_file_semicolons_bom_and_protected_cells(shell, tmp_path):
    text = ("full_name;email;phone;company;commercial_email\r\n"
            "Chloé Müller;CHLOE@Example.fr;+33 6 12 34 56 78;'=SUM(A1);bill@epic.test\r\n"
            "\"Dupont; Fils\";d@example.fr;;'-Corp;bill@epic.test\r\n")
    path = _file(tmp_path, "export.csv", "\ufeff" + text)
    assert shell.ok(f"client import {path}").out == f"Imported 2 clients from {path}."
    chloe = Client.get(Client.email == "chloe@example.fr")
    assert (chloe.full_name, chloe.company) == ("Chloé Müller", "=SUM(A1)")
    assert Client.get(Client.email == "d@example.fr").full_name == "Dupont; Fils"


def test_duplicates_in_the_file_and_in_the_database_are_bad_rows(shell, tmp_path, make):
    make.client(email="taken@x.io")
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,bill@epic.test\n"
                 "B,TAKEN@x.io,,,bill@epic.test\n" "C,a@x.io,,,bill@epic.test\n")
    before = snapshot_rows()
    assert _errors(shell.run(f"client import {path}")) == [
        f"{path}:3: email: 'taken@x.io' is already used by another client",
        f"{path}:4: email: 'a@x.io' appears twice in the file (line 2)",
        "error: 2 bad rows: nothing was imported"]
    assert snapshot_rows() == before
    assert shell.ok(f"client import {path} --skip-existing").out == \
        f"Imported 1 client from {path} (2 clients skipped)."
    assert Client.select().where(Client.email == "a@x.io").count() == 1


def test_dry_run_checks_and_writes_nothing(shell, tmp_path):
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,bill@epic.test\n")
    before = snapshot_rows()
    assert shell.ok(f"client import {path} --dry-run").out == \
        f"Dry run: 1 client would be imported from {path}; nothing was written."
    assert snapshot_rows() == before


def test_a_commercials_import_is_assigned_to_them(shell, tmp_path, staff):
    path = _file(tmp_path, "c.csv", "full_name,email\nA,a@x.io\nB,b@x.io\n")
    shell.login("commercial")
    shell.ok(f"client import {path}")
    assert {c.commercial_id for c in Client.select()} == {staff["commercial"].id}
    other = _file(tmp_path, "o.csv", HEADER + "C,c@x.io,,,cara@epic.test\n")
    assert _errors(shell.run(f"client import {other}"))[0] == \
        f"{other}:2: commercial_email: permission denied: a commercial's new clients are always " \
        "their own"


def test_management_names_the_commercial_by_email_or_option(shell, tmp_path, staff):
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,\nB,b@x.io,,,cara@epic.test\n")
    assert _errors(shell.run(f"client import {path}"))[0] == \
        f"{path}:2: commercial_email: is required (or give --commercial ID)"
    shell.ok(f"client import {path} --commercial {staff['commercial'].id}")
    owners = {c.email: c.commercial_id for c in Client.select()}
    assert owners == {"a@x.io": staff["commercial"].id, "b@x.io": staff["commercial2"].id}


def test_support_is_refused(shell, tmp_path):
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,\n")
    shell.login("support")
    assert shell.fails(f"client import {path}") == \
        "error: permission denied: the support department cannot import clients"
    shell.login("commercial")
    for entity in ("contract", "event"):
        assert "permission denied" in shell.fails(f"{entity} import {path}")


def test_one_import_audit_entry_per_record(shell, tmp_path):
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,bill@epic.test\nB,b@x.io,,,bill@epic.test\n")
    shell.ok(f"client import {path}")
    entries = list(AuditEntry.select().where(AuditEntry.action == "import"))
    ids = {c.id for c in Client.select()}
    assert sorted(e.entity_id for e in entries) == sorted(ids)
    assert {(e.entity, e.actor_name, e.field) for e in entries} == {("client", "Ana Lopez", None)}
    assert sorted(e.new for e in entries) == ["c.csv line 2", "c.csv line 3"]


def test_unknown_and_missing_columns_are_named(shell, tmp_path):
    path = _file(tmp_path, "c.csv", "full_name,mail,favourite_colour\nA,a@x.io,red\n")
    assert _errors(shell.run(f"client import {path}")) == [
        f"{path}:1: mail: unknown column", f"{path}:1: favourite_colour: unknown column",
        f"{path}:1: email: missing column", "error: 1 bad row: nothing was imported"]


def test_only_the_first_hundred_bad_rows_are_printed(shell, tmp_path):
    path = _file(tmp_path, "c.csv", HEADER + "".join(f"N{i},bad{i},,,\n" for i in range(130)))
    lines = _errors(shell.run(f"client import {path}"))
    assert len(lines) == 102 and lines[-2] == "and 30 more"
    assert lines[-1] == "error: 130 bad rows: nothing was imported"


def test_a_file_that_cannot_be_read_is_one_line(shell, tmp_path):
    assert shell.fails(f"client import {tmp_path / 'nope.csv'}").startswith("error: cannot read ")
    latin = _file(tmp_path, "latin.csv", HEADER + "Zoé,z@x.io,,,bill@epic.test\n", encoding="latin-1")
    assert "not UTF-8" in shell.run(f"client import {latin}").err


def test_contract_import_records_the_adjustment_and_checks_rows(shell, tmp_path, make):
    client = make.client(email="k@x.io")
    path = _file(tmp_path, "k.csv", "client_email,total,due,status,signed_at\n"
                 "k@x.io,1000,400,signed,2026-01-02 10:00\n"
                 "k@x.io,1000,,draft,\n"
                 "nobody@x.io,10,20,signed,\n")
    before = snapshot_rows()
    assert _errors(shell.run(f"contract import {path}")) == [
        f"{path}:4: due: 20.00 is more than the total 10.00",
        f"{path}:4: client_email: no client has the email 'nobody@x.io'",
        "error: 1 bad row: nothing was imported"]
    assert snapshot_rows() == before
    path = _file(tmp_path, "k2.csv", "client_email,total,due,status,signed_at\n"
                 "k@x.io,1000,400,signed,2026-01-02 10:00\nk@x.io,1000,,draft,\n")
    shell.ok(f"contract import {path}")
    signed = Contract.get(Contract.status == "signed", Contract.client == client.id)
    assert signed.commercial_id == client.commercial_id
    assert [(p.amount_cents, p.adjustment) for p in signed.payments] == [(60000, True)]


def test_event_import_needs_signed_contracts_and_support_staff(shell, tmp_path, make, staff):
    signed, draft = make.contract(signed=True), make.contract()
    header = "contract_id,name,start,end,location,attendees,notes,support_email\n"
    path = _file(tmp_path, "e.csv", header
                 + f"{signed.id},Launch,2030-01-01 10:00,2030-01-01 12:00,Paris,10,x,sue@epic.test\n"
                 + f"{draft.id},Draft,2030-01-01 10:00,2030-01-01 12:00,,,,\n"
                 + f"{signed.id},Back,2030-01-01 10:00,2029-01-01 12:00,,,,\n"
                 + f"{signed.id},Staff,2030-01-01 10:00,2030-01-01 12:00,,,,bill@epic.test\n")
    assert _errors(shell.run(f"event import {path}")) == [
        f"{path}:3: contract_id: contract {draft.id} is draft; events need a signed contract",
        f"{path}:4: end: must be after the start",
        f"{path}:5: support_email: user {staff['commercial'].id} is not in the support department",
        "error: 3 bad rows: nothing was imported"]
    good = _file(tmp_path, "g.csv", header
                 + f"{signed.id},Launch,2030-01-01 10:00,2030-01-01 12:00,Paris,10,x,sue@epic.test\n")
    shell.ok(f"event import {good}")
    event = Event.get(Event.name == "Launch")
    assert (event.support_id, event.attendees, event.location) == (staff["support"].id, 10, "Paris")


@pytest.mark.parametrize("who", ["management"])
def test_inactive_staff_cannot_be_named(shell, tmp_path, staff, who):
    shell.ok(f"user deactivate {staff['commercial2'].id}")
    path = _file(tmp_path, "c.csv", HEADER + "A,a@x.io,,,cara@epic.test\n")
    assert _errors(shell.run(f"client import {path}"))[0] == \
        f"{path}:2: commercial_email: user {staff['commercial2'].id} is deactivated"
    assert Payment.select().count() == 0


def test_an_escape_sequence_in_a_header_is_shown_not_run(shell, tmp_path):
    path = _file(tmp_path, "c.csv", "full_name,email,\x1b]0;pwned\x07\nA,a@x.io,x\n")
    assert _errors(shell.run(f"client import {path}"))[0] == \
        f"{path}:1: \\x1b]0;pwned\\x07: unknown column"
