"""Unexpected errors are really recorded: a traceback in the error log, no secret in it.

The fault is a real one (a trigger in the database refusing to update a client, its
message carrying the client's email and phone, as a constraint or a stored procedure of
a real installation might); the thing under test is what the shell says and what the
log file holds, read back with the same eyes as `grep`.
"""
from __future__ import annotations

import re
import stat
import subprocess

from conftest import PASSWORD
from sentry_server import child_env, console_script
from shell_helpers import open_shell
from test_privacy import CLIENT, install_client_fault

from epicshell import monitoring
from epicshell.config import Settings
from epicshell.errorlog import ErrorLog, format_entry

ERROR_ID = re.compile(r"unexpected error \(id (\w+)\)")


def _log_of(tmp_path):
    return tmp_path / "state" / "epicshell" / "errors.log"


def _fail_a_client_update(db_url, make, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    client = make.client(**CLIENT)
    install_client_fault(db_url)
    shell = open_shell(db_url, monkeypatch, "management")
    outcome = shell.run(f"client update {client.id} --company 'Another Company'")
    assert not outcome.ok and outcome.out == ""
    return shell, outcome


def test_the_traceback_is_logged_under_the_error_id_without_secrets(db_url, make, monkeypatch,
                                                                    tmp_path):
    shell, outcome = _fail_a_client_update(db_url, make, monkeypatch, tmp_path)
    error_id = ERROR_ID.search(outcome.err).group(1)
    log = _log_of(tmp_path)
    assert outcome.err == (f"error: unexpected error (id {error_id}); logged in {log}")
    text = log.read_text()
    assert f"error {error_id} command=client update" in text
    assert "Traceback (most recent call last):" in text
    assert "in update_client" in text  # the frames of the service that failed
    for secret in (PASSWORD, CLIENT["email"], CLIENT["phone"], "$2b$", shell.app.session.token):
        assert secret not in text
    assert "[email]" in text and "[phone]" in text  # the message is kept, scrubbed
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert shell.ok("whoami").out.startswith("Ana Lopez")  # the shell goes on


def test_with_sentry_the_message_says_reported_and_logged(db_url, make, monkeypatch, tmp_path,
                                                          sentry):
    monitoring.init(Settings(database_url=db_url, sentry_dsn=sentry.dsn,
                             sentry_environment="test"))
    try:
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        client = make.client(**CLIENT)
        install_client_fault(db_url)
        shell = open_shell(db_url, monkeypatch)
        monitoring.attach(shell.app)
        shell.login("management")
        outcome = shell.run(f"client update {client.id} --company 'Another Company'")
    finally:
        monitoring.shutdown()
    error_id = ERROR_ID.search(outcome.err).group(1)
    assert outcome.err.endswith(f"(id {error_id}); reported, and logged in {_log_of(tmp_path)}")


def test_a_log_that_cannot_be_written_is_not_claimed(db_url, make, monkeypatch, tmp_path):
    (tmp_path / "state").write_text("a file where the folder should be")
    _shell, outcome = _fail_a_client_update(db_url, make, monkeypatch, tmp_path)
    assert "could not be logged" in outcome.err and "logged in" not in outcome.err


def test_the_console_script_logs_to_xdg_state_home(db_url, make, tmp_path):
    client = make.client(**CLIENT)
    install_client_fault(db_url)
    env = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD, XDG_STATE_HOME=str(tmp_path / "st"))
    result = subprocess.run([console_script(), "--database", db_url, "-c", "login ana@epic.test",
                             "-c", f"client update {client.id} --company Other"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    error_id = ERROR_ID.search(result.stderr).group(1)
    text = (tmp_path / "st" / "epicshell" / "errors.log").read_text()
    assert f"error {error_id} " in text and "Traceback" in text
    assert PASSWORD not in text and CLIENT["email"] not in text


def _fail_with(message: str) -> None:
    raise ValueError(message)


def test_entries_scrub_quoted_values_hashes_and_given_secrets():
    try:
        _fail_with("insert failed for 'Jane Doe' with $2b$12$abcdefghijklmnop and s3cr3t-pw")
    except ValueError as exc:
        entry = format_entry(exc, "abcd1234", command="client create", secrets=["s3cr3t-pw"])
    logged = entry.split("raise ValueError(message)", 1)[1]  # after the source lines
    assert "Jane Doe" not in logged and "$2b$" not in logged and "s3cr3t-pw" not in logged
    assert "builtins.ValueError: insert failed for '[value]'" in entry


def test_the_log_rotates_and_new_files_are_private(tmp_path, monkeypatch):
    monkeypatch.setattr("epicshell.errorlog.MAX_BYTES", 2000)
    log = ErrorLog(tmp_path / "logs" / "errors.log")
    for number in range(20):
        try:
            raise RuntimeError(f"failure number {number}")
        except RuntimeError as exc:
            assert log.record(exc, f"id{number:06d}")
    log.close()
    files = sorted((tmp_path / "logs").iterdir())
    assert [f.name for f in files] == ["errors.log", "errors.log.1", "errors.log.2",
                                       "errors.log.3"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
