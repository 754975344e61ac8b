"""`ENTITY export FILE [filters]` (commands.md §8): every matching record, streamed by id,
CSV in the import's columns (spreadsheet-safe) or JSON by extension, never over a file
without --force, created 0600."""
from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from epicshell.services import transfer_export
from epicshell.services.records import CLIENT_KEYS, EVENT_KEYS
from epicshell.services.transfer_rows import COLUMNS


def _csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_client_export_writes_every_matching_client_in_the_import_columns(shell, make, tmp_path):
    make.client(full_name="Kevin Casey", company="=HYPERLINK(\"x\")")
    make.client("commercial2", full_name="Other")
    path = tmp_path / "clients.csv"
    assert shell.ok(f"client export {path}").out == f"Exported 2 clients to {path}."
    with open(path, encoding="utf-8") as file:
        assert next(csv.reader(file)) == list(COLUMNS["client"])
    rows = _csv(path)
    assert [r["full_name"] for r in rows] == ["Kevin Casey", "Other"]
    assert rows[0]["company"] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, never runs it
    assert rows[0]["commercial_email"] == "bill@epic.test" and rows[1]["commercial_email"] == "cara@epic.test"
    assert rows[0]["phone"] == "+33 6 12 34 56 78"  # a valid phone stays usable


def test_export_takes_the_list_filters(shell, make, tmp_path, staff):
    make.client(full_name="Mine")
    make.client("commercial2", full_name="Theirs")
    shell.login("commercial")
    shell.ok(f"client export {tmp_path / 'mine.csv'} --mine")
    assert [r["full_name"] for r in _csv(tmp_path / "mine.csv")] == ["Mine"]
    shell.ok(f"client export {tmp_path / 'search.csv'} --search theirs")
    assert [r["full_name"] for r in _csv(tmp_path / "search.csv")] == ["Theirs"]
    signed, _draft = make.contract(signed=True), make.contract()
    shell.ok(f"contract export {tmp_path / 'k.csv'} --unsigned")
    assert [r["status"] for r in _csv(tmp_path / "k.csv")] == ["draft"]
    make.event(signed, support="support")
    shell.ok(f"event export {tmp_path / 'e.csv'} --support {staff['support'].id}")
    assert [r["support_email"] for r in _csv(tmp_path / "e.csv")] == ["sue@epic.test"]
    assert "unknown option --limit" in shell.fails(f"client export {tmp_path / 'x.csv'} --limit 5")


def test_a_json_name_gets_a_json_array_of_records(shell, make, tmp_path):
    make.event(notes="line one\nline two")
    shell.ok(f"event export {tmp_path / 'events.json'}")
    records = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))
    assert len(records) == 1 and list(records[0]) == list(EVENT_KEYS)
    assert records[0]["notes"] == "line one\nline two" and records[0]["start"].endswith(":00")
    shell.ok(f"client export {tmp_path / 'none.json'} --search nobody")
    assert json.loads((tmp_path / "none.json").read_text()) == []
    shell.ok(f"client export {tmp_path / 'c.json'}")
    assert list(json.loads((tmp_path / "c.json").read_text())[0]) == list(CLIENT_KEYS)


def test_no_overwrite_without_force_and_files_are_private(shell, make, tmp_path):
    make.client()
    path = tmp_path / "clients.csv"
    path.write_text("precious")
    previous = os.umask(0)
    try:
        assert shell.fails(f"client export {path}") == \
            f"error: {path} already exists: give --force to overwrite"
        assert path.read_text() == "precious"
        shell.ok(f"client export {path} --force")
        fresh = tmp_path / "fresh.csv"
        shell.ok(f"client export {fresh}")
    finally:
        os.umask(previous)
    assert len(_csv(path)) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]  # no leftovers
    assert shell.fails(f"client export {tmp_path}").endswith("is a folder, not a file")
    assert "no folder" in shell.fails(f"client export {tmp_path / 'no' / 'such.csv'}")


def test_export_reads_page_after_page_by_id(shell, make, tmp_path, monkeypatch):
    monkeypatch.setattr(transfer_export, "PAGE", 3)
    made = [make.client().id for _ in range(7)]
    shell.ok(f"client export {tmp_path / 'all.csv'}")
    assert [int(r["id"]) for r in _csv(tmp_path / "all.csv")] == made


@pytest.mark.parametrize("entity", ["client", "contract", "event"])
def test_every_department_may_export(shell, make, tmp_path, entity):
    make.event()
    for who in ("commercial", "support"):
        shell.login(who)
        shell.ok(f"{entity} export {tmp_path / f'{who}.csv'}")
        assert len(_csv(tmp_path / f"{who}.csv")) == 1
