"""Failures of the world are named, not "unexpected": a full disk, a read-only database, a
closed output pipe; and scripts are cut at line feeds only.

The faults are real: SQLite really runs out of pages (`max_page_count`), the database
really refuses writes (`query_only` on SQLite, a read-only transaction on PostgreSQL), the
reader of stdout really goes away (`| head -1` in a real shell).
"""
from __future__ import annotations

import subprocess

import pytest
from conftest import PASSWORD, snapshot_rows
from sentry_server import child_env, console_script
from shell_helpers import open_shell

from epicshell.models import Client, Contract, database


def _read_only(db_url: str, on: bool = True) -> None:
    if db_url.startswith("sqlite"):
        database.execute_sql(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
    else:
        database.execute_sql("SET SESSION CHARACTERISTICS AS TRANSACTION "
                             + ("READ ONLY" if on else "READ WRITE"))


def test_a_read_only_database_is_named(db_url, staff, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    shell = open_shell(db_url, monkeypatch, "commercial")
    _read_only(db_url)
    before = snapshot_rows()
    try:
        error = shell.fails("client create --full-name 'New One' --email new@example.com")
    finally:
        _read_only(db_url, on=False)  # the fixture's clean-up writes
    assert error == ("error: the database is read-only (file permissions, a read-only disk or a "
                     "standby server): nothing was saved")
    assert snapshot_rows() == before
    assert not (tmp_path / "state").exists()  # nothing unexpected, nothing logged
    assert shell.ok("whoami").out.startswith("Bill Boquet")  # the connection still works


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_full_disk_is_named_and_nothing_is_half_saved(db_url, staff, monkeypatch):
    shell = open_shell(db_url, monkeypatch, "commercial")
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")  # not one page more
    before = Client.select().count()
    notes = "x" * 4000
    for number in range(200):  # fill the last free pages, then one more
        outcome = shell.run(f"client create --full-name 'Filler {number}' "
                            f"--email filler{number}@example.com --company '{notes[:100]}'")
        if not outcome.ok:
            break
    assert not outcome.ok
    assert outcome.err == ("error: the disk holding the database is full: nothing was saved; "
                           "free some space and run the command again")
    assert "re-opened" not in outcome.err  # the connection was never lost
    assert Client.select().count() == before + number  # the failed one left nothing behind


def test_broken_pipe_ends_quietly_like_other_unix_tools(db_url, make, tmp_path):
    for _ in range(30):
        make.client()
    env = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD)
    commands = " ".join(["-c 'client list --format csv'"] * 40)
    result = subprocess.run(
        f"'{console_script()}' --database '{db_url}' -c 'login ana@epic.test' {commands} "
        "| head -1; echo \"status=${PIPESTATUS[0]}\"",
        shell=True, executable="/bin/bash", env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=120)
    assert result.stdout.splitlines() == ["id,full_name,email,phone,company,commercial_id,"
                                          "commercial,created_at,updated_at", "status=141"]
    assert result.stderr == "Welcome, Ana Lopez (management)\n"  # no traceback, no error


# -- scripts are cut at line feeds only ----------------------------------------------------------

SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r"]


def _script(separator: str, cancel_id: int) -> str:
    return ("\ufefflogin ana@epic.test\r\n"
            f"client list --search 'Acme{separator}contract cancel {cancel_id} --yes'\r\n"
            "whoami\n")


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_separator_inside_a_quoted_value_never_starts_a_command(db_url, make, tmp_path,
                                                                    separator, source):
    contract = make.contract()
    text = _script(separator, contract.id)
    env = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD)
    args = [console_script(), "--database", db_url, "--keep-going"]
    if source == "file":
        path = tmp_path / "script.epic"
        path.write_bytes(text.encode("utf-8"))
        args += ["--script", str(path)]
        name = str(path)
    else:
        args += ["--script", "-"]
        name = "<stdin>"
    result = subprocess.run(args, input=text.encode("utf-8"), env=env, cwd=tmp_path,
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode()
    assert Contract.get_by_id(contract.id).status == "draft"  # `contract cancel` never ran
    lines = stderr.splitlines()
    assert lines[0] == "Welcome, Ana Lopez (management)"  # BOM and CRLF read as nothing
    if separator in ("\u2028", "\u2029"):  # not control characters: a search finding nothing
        assert lines[1:] == []
    else:
        assert lines[1:] == [f"{name}:2: error: search: control characters (such as NUL, ESC "
                             "or a line break) are not allowed"]  # FILE:LINE exact
    assert result.stdout.decode().splitlines()[-1].startswith("Ana Lopez <ana@epic.test>")
