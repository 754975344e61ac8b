"""`data export DIR` / `data import DIR` (commands.md §8): the three files with their ids,
loaded in one transaction with the links rebuilt. SQLite → PostgreSQL → SQLite gives the
same records."""
from __future__ import annotations

import os
from datetime import datetime

import pytest
from conftest import PASSWORD, PG_ENV, Factory, reset_postgres, snapshot_rows
from shell_helpers import open_shell

from epicshell.db import close_database, open_database
from epicshell.models import database
from epicshell.services import auth, transfer_export, users
from epicshell.services.transfer_rows import COLUMNS

DATA_DB_SUFFIX = "_data"  # a second PostgreSQL database: <test database>_data


def _open(url: str):
    close_database()
    open_database(url)
    boss = auth.setup_first_user("ana@epic.test", "Ana Lopez", "M001", PASSWORD)
    staff = {"management": boss}
    for key, email, name, dept, number in (
            ("commercial", "bill@epic.test", "Bill Boquet", "commercial", "C001"),
            ("commercial2", "cara@epic.test", "Cara Dune", "commercial", "C002"),
            ("support", "sue@epic.test", "Sue Port", "support", "S001"),
            ("support2", "sam@epic.test", "Sam Help", "support", "S002")):
        staff[key] = users.create_user(boss, email=email, full_name=name, department=dept,
                                       employee_number=number, password=PASSWORD)
    return staff


def _records(boss) -> dict:
    """Every record, as the files would carry it, without ids and times of writing."""
    def strip(entity, row, drop):  # files carry times to the second
        return tuple((k, v.replace(microsecond=0) if isinstance(v, datetime) else v)
                     for k, v in zip(COLUMNS[entity], row, strict=True) if k not in drop)

    ids = {"id", "client_id", "commercial_id", "support_id", "contract_id", "created_at",
           "updated_at"}
    clients = sorted(strip("client", r, ids) for r in transfer_export.export_clients(boss).records())
    contracts = sorted(strip("contract", r, ids)
                       for r in transfer_export.export_contracts(boss).records())
    events = sorted(strip("event", r, ids) for r in transfer_export.export_events(boss).records())
    return {"clients": clients, "contracts": contracts, "events": events}


def _fill(staff) -> None:
    from epicshell.services import contracts

    make = Factory(staff)
    kevin = make.client(full_name="Kevin Casey", company="=cmd|' /C calc'!A0")
    other = make.client("commercial2", full_name="Chloé Müller", phone=None, company=None)
    make.contract(kevin, total="1000.00", due="250.50")
    signed = make.contract(kevin, total="500.00", signed=True)
    make.event(signed, notes="line one\nline two; \"quoted\"", support="support")
    make.event(signed, support=None, location=None, notes=None)
    ended = make.contract(other, total="10.00", signed=True)
    make.event(ended, support="support2")
    contracts.cancel_contract(staff["management"], ended.id)


def _pg_url() -> str:
    """The second PostgreSQL database, created beside the test database when missing."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    import psycopg

    name = url.rsplit("/", 1)[1] + DATA_DB_SUFFIX
    with psycopg.connect(url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return url + DATA_DB_SUFFIX


@pytest.fixture
def cleanup():
    yield
    close_database()
    database.initialize(None)


def _export(url, monkeypatch, folder):
    shell = open_shell(url, monkeypatch, "management")
    out = shell.ok(f"data export {folder}").out
    assert out == f"Exported 2 clients, 3 contracts, 3 events to {folder}."


def test_sqlite_to_postgresql_and_back_gives_the_same_records(tmp_path, monkeypatch, cleanup):
    pg_url = _pg_url()
    first = f"sqlite:///{tmp_path / 'first.db'}"
    staff = _open(first)
    _fill(staff)
    expected = _records(staff["management"])
    _export(first, monkeypatch, tmp_path / "dump1")
    assert sorted(os.listdir(tmp_path / "dump1")) == ["clients.csv", "contracts.csv", "events.csv"]
    assert oct(os.stat(tmp_path / "dump1").st_mode & 0o777) == "0o700"

    reset_postgres(pg_url)
    staff = _open(pg_url)
    shell = open_shell(pg_url, monkeypatch, "management")
    assert shell.ok(f"data import {tmp_path / 'dump1'}").out == \
        f"Imported 2 clients, 3 contracts, 3 events from {tmp_path / 'dump1'}."
    assert _records(staff["management"]) == expected
    _export(pg_url, monkeypatch, tmp_path / "dump2")

    staff = _open(f"sqlite:///{tmp_path / 'third.db'}")
    shell = open_shell(f"sqlite:///{tmp_path / 'third.db'}", monkeypatch, "management")
    shell.ok(f"data import {tmp_path / 'dump2'}")
    assert _records(staff["management"]) == expected


def test_data_import_dry_run_skip_existing_and_bad_links(tmp_path, monkeypatch, cleanup):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    staff = _open(url)
    _fill(staff)
    _export(url, monkeypatch, tmp_path / "dump")
    staff = _open(f"sqlite:///{tmp_path / 'two.db'}")
    shell = open_shell(f"sqlite:///{tmp_path / 'two.db'}", monkeypatch, "management")
    before = snapshot_rows()
    dump = tmp_path / "dump"
    assert shell.ok(f"data import {dump} --dry-run").out.startswith("Dry run: 2 clients, 3 contracts")
    assert snapshot_rows() == before
    shell.ok(f"data import {dump}")
    assert shell.run(f"data import {dump}").err.splitlines()[0] == \
        f"{dump}/clients.csv:2: email: 'client1@example.com' is already used by another client"
    after = snapshot_rows()
    assert shell.ok(f"data import {dump} --skip-existing").out == (
        f"Imported 0 clients, 0 contracts, 0 events from {dump} "
        "(2 clients, 3 contracts, 3 events skipped).")
    assert snapshot_rows() == after
    lines = (dump / "events.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[-1].split(",")
    cells[header.index("contract_id")] = "999"
    (dump / "events.csv").write_text("\n".join([*lines[:-1], ",".join(cells)]) + "\n",
                                     encoding="utf-8")
    errors = shell.run(f"data import {dump} --skip-existing").err.splitlines()
    assert errors[0].endswith(": contract_id: no contract 999 in the contracts file")
    assert snapshot_rows() == after


def test_data_commands_are_for_management(tmp_path, monkeypatch, cleanup):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    _open(url)
    for who in ("commercial", "support"):
        shell = open_shell(url, monkeypatch, who)
        assert "permission denied" in shell.fails(f"data export {tmp_path / 'd'}")
        assert "permission denied" in shell.fails(f"data import {tmp_path / 'd'}")
    assert not (tmp_path / "d").exists()


def test_a_forgotten_client_moves_with_its_contracts_and_stays_forgotten(tmp_path, monkeypatch,
                                                                      cleanup):
    """`data import` carries a client `client forget` erased (no email, phone or company)
    with its contracts; `client import`, which makes clients as `create` does, refuses it."""
    first = f"sqlite:///{tmp_path / 'first.db'}"
    staff = _open(first)
    _fill(staff)
    shell = open_shell(first, monkeypatch, "management")
    kevin = shell.ok("client search kevin --format json").json()[0]["id"]
    shell.ok(f"client forget {kevin} --yes")
    expected = _records(staff["management"])
    shell.ok(f"data export {tmp_path / 'dump'}")

    second = f"sqlite:///{tmp_path / 'second.db'}"
    staff = _open(second)
    shell = open_shell(second, monkeypatch, "management")
    assert shell.ok(f"data import {tmp_path / 'dump'}").out.startswith("Imported 2 clients, 3 ")
    assert _records(staff["management"]) == expected
    (forgotten,) = [r for r in shell.ok("client list --format json").json() if not r["email"]]
    assert forgotten["full_name"] == f"forgotten client {kevin}"
    assert len(shell.ok(f"contract list --client {forgotten['id']} --format json").json()) == 2
    again = shell.run(f"data import {tmp_path / 'dump'}")  # nothing is imported twice
    assert not again.ok and f"full_name: 'forgotten client {kevin}' is already in the database" \
        in again.err
    shell.ok(f"data import {tmp_path / 'dump'} --skip-existing")
    assert _records(staff["management"]) == expected
    refused = shell.run(f"client import {tmp_path / 'dump' / 'clients.csv'} --commercial "
                        f"{staff['commercial'].id} --skip-existing")
    assert not refused.ok
    assert refused.err.splitlines()[0].endswith("clients.csv:2: email: is required")


def test_data_export_makes_every_missing_folder_private_whatever_the_umask(tmp_path, monkeypatch,
                                                                         cleanup):
    """`data export a/b/c` creates a, b and c 0700 (Path.mkdir would give a and b the
    umask's mode); a folder that existed keeps its own."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    _fill(_open(url))
    shell = open_shell(url, monkeypatch, "management")
    (tmp_path / "shared").mkdir(mode=0o755)
    target = tmp_path / "shared" / "a" / "b" / "c"
    previous = os.umask(0o022)
    try:
        shell.ok(f"data export {target}")
    finally:
        os.umask(previous)
    for folder in (target.parent.parent, target.parent, target):
        assert oct(os.stat(folder).st_mode & 0o777) == "0o700", folder
    assert oct(os.stat(tmp_path / "shared").st_mode & 0o777) == "0o755"
    assert all(oct(os.stat(f).st_mode & 0o777) == "0o600" for f in target.iterdir())
