"""Sentry monitoring, end to end: the real sentry-sdk sending to a real local endpoint.

The console script runs as a subprocess with SENTRY_DSN pointing at `SentryServer`
(tests/sentry_server.py); some cases run in process with the same client. Unexpected
errors are provoked by real database faults, never by a test-only command: another
connection drops the `client` table under the running shell, which makes the next
`client list` fail inside App.execute. (A killed server connection is a failure of the
world, named to the user and not reported: see tests/test_connection_loss.py.)
"""
from __future__ import annotations

import queue
import re
import sqlite3
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from sentry_server import (
    action_events,
    child_env,
    console_script,
    error_events,
    tags,
)
from shell_helpers import open_shell

from epicshell import monitoring
from epicshell.config import Settings
from epicshell.models import User
from epicshell.services import users
from epicshell.services.base import mutation, notify

NEW_PASSWORD = "a brand new passphrase"
OTHER_PASSWORD = "another fine passphrase"
ERROR_ID = re.compile(r"unexpected error \(id (\w+)\)")




@pytest.fixture
def monitored(db_url, staff, sentry, monkeypatch):
    """An in-process shell with monitoring attached, as cli.py does with SENTRY_DSN set."""
    monitoring.init(Settings(database_url=db_url, sentry_dsn=sentry.dsn,
                             sentry_environment="test"))
    shell = open_shell(db_url, monkeypatch)
    monitoring.attach(shell.app)
    yield shell
    monitoring.shutdown()


def run_epicshell(db_url, tmp_path, sentry, *commands, keep_going=False, **env):
    """The real console script with `-c` COMMANDS; returns the CompletedProcess."""
    args = [console_script(), "--database", db_url]
    if keep_going:
        args.append("--keep-going")
    for command in commands:
        args += ["-c", command]
    env = {"SENTRY_DSN": sentry.dsn, "SENTRY_ENVIRONMENT": "test", "EPICSHELL_PASSWORD": PASSWORD,
           **env}
    environment = child_env(tmp_path, **env)
    return subprocess.run(args, env=environment, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def break_database(db_url: str) -> None:
    """A real fault under a running shell (see the module docstring)."""
    drop_table_under(db_url, "client")


def drop_table_under(db_url: str, table: str) -> None:
    """Drop TABLE from another connection while the in-process shell keeps its own."""
    if db_url.startswith("sqlite"):
        connection = sqlite3.connect(urlsplit(db_url).path[1:], timeout=10)
        connection.execute(f"DROP TABLE {table}")
        connection.commit()
        connection.close()
        return
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '10s'")
        connection.execute(f'DROP TABLE "{table}" CASCADE')


class LineReader:
    """Read a child's stdout on a thread, so the test can wait for a line with a timeout."""

    def __init__(self, stream):
        self.lines: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def rest(self, timeout: float = 30.0) -> str:
        """Everything printed after the last line waited for, up to the end of the stream."""
        self.thread.join(timeout)
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get())
        return "".join(lines)

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"{text!r} never printed; got {seen}") from None
            seen.append(line)
            if text in line:
                return line


# -- unexpected errors -----------------------------------------------------------------------


def test_a_database_failure_mid_session_arrives_with_its_error_id(db_url, staff, sentry, tmp_path):
    """A shell reading commands from a pipe; the database fails between two commands."""
    env = child_env(tmp_path, SENTRY_DSN=sentry.dsn, EPICSHELL_PASSWORD=PASSWORD)
    child = subprocess.Popen([console_script(), "--database", db_url], env=env, cwd=tmp_path,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        notices = LineReader(child.stderr)  # scripts print the greeting on stderr
        child.stdin.write("login ana@epic.test\n")
        child.stdin.flush()
        notices.wait_for("Welcome, Ana Lopez")
        break_database(db_url)
        child.stdin.write("client list\n")
        child.stdin.close()
        status = child.wait(timeout=60)
        stderr = notices.rest()
    finally:
        child.kill()
        child.wait()
    assert status == 1
    assert "Traceback" not in stderr
    error_id = ERROR_ID.search(stderr).group(1)
    # The child flushed before exiting: the event is already here, no waiting needed.
    reported = [e for e in error_events(sentry.events()) if tags(e).get("error_id") == error_id]
    assert len(reported) == 1, sentry.events()
    event = reported[0]
    assert event["level"] == "error"
    assert tags(event)["command"] == "client list"
    assert event["user"] == {"id": str(staff["management"].id), "department": "management"}
    assert event["release"] == "epicshell@0.1.0"
    assert event["exception"]["values"][-1]["type"]  # e.g. OperationalError
    assert event["exception"]["values"][-1]["stacktrace"]["frames"]


def test_an_unexpected_error_in_process_is_reported_and_the_shell_goes_on(monitored, sentry,
                                                                          db_url, staff):
    shell = monitored.login("commercial")
    drop_table_under(db_url, "event")
    outcome = shell.run("event list")
    assert not outcome.ok and outcome.out == ""
    error_id = ERROR_ID.search(outcome.err).group(1)
    assert shell.ok("whoami").out.startswith("Bill Boquet")  # the shell keeps running
    monitoring.flush()
    events = sentry.wait_for(lambda evs: any(tags(e).get("error_id") == error_id for e in evs))
    event = next(e for e in events if tags(e).get("error_id") == error_id)
    assert tags(event)["command"] == "event list"
    assert event["user"] == {"id": str(staff["commercial"].id), "department": "commercial"}
    assert event["environment"] == "test"


# -- committed actions -----------------------------------------------------------------------


def _only(events, action) -> dict:
    found = action_events(events, action)
    assert len(found) == 1, (action, found)
    return found[0]


def test_user_lifecycle_and_contract_signature_arrive_as_events(db_url, staff, make, sentry,
                                                                tmp_path):
    boss = staff["management"]
    contract = make.contract()
    created = run_epicshell(
        db_url, tmp_path, sentry, "login ana@epic.test",
        "user create --email zoe@epic.test --full-name 'Zoe Zed' --department support "
        "--employee-number S009 --password-env NEW_PW", f"contract sign {contract.id}",
        NEW_PW=NEW_PASSWORD)
    assert created.returncode == 0, created.stderr
    zoe = int(re.search(r"Created user (\d+)", created.stdout).group(1))
    events = sentry.events()  # flushed at exit
    event = _only(events, "user.created")
    assert tags(event)["user_id"] == str(zoe)
    assert tags(event)["department"] == "support" and tags(event)["actor_id"] == str(boss.id)
    assert event["user"] == {"id": str(boss.id), "department": "management"}
    assert event["level"] == "info" and event["message"] == "user.created"
    signed = _only(events, "contract.signed")
    assert tags(signed)["contract_id"] == str(contract.id)
    assert tags(signed)["client_id"] == str(contract.client_id)

    changed = run_epicshell(
        db_url, tmp_path, sentry, "login ana@epic.test",
        f"user update {zoe} --full-name 'Zoe Zedd' --department commercial",
        f"user deactivate {zoe}", f"user activate {zoe}",
        f"user reset-password {zoe} --password-env OTHER_PW", f"user delete {zoe} --yes",
        OTHER_PW=OTHER_PASSWORD)
    assert changed.returncode == 0, changed.stderr
    events = sentry.events()
    updated = _only(events, "user.updated")
    assert tags(updated)["user_id"] == str(zoe)
    assert updated["extra"] == {"fields": ["department", "full_name"]}  # names, never values
    assert tags(_only(events, "user.department_changed"))["department"] == "commercial"
    for action in ("user.deactivated", "user.activated", "user.password_reset", "user.deleted"):
        assert tags(_only(events, action))["user_id"] == str(zoe), action
    assert len(action_events(events, "user.created")) == 1


def test_own_password_change_is_an_event(db_url, staff, sentry, tmp_path):
    result = run_epicshell(db_url, tmp_path, sentry, "login sue@epic.test",
                           "user password --password-env NEW_PW", NEW_PW=NEW_PASSWORD)
    assert result.returncode == 0, result.stderr
    event = _only(sentry.events(), "user.password_change")
    assert tags(event)["user_id"] == str(staff["support"].id)
    assert event["user"] == {"id": str(staff["support"].id), "department": "support"}


def test_login_failures_and_lockout_are_warnings(db_url, staff, sentry, tmp_path):
    attempts = ["login nobody@epic.test"] + ["login bill@epic.test"] * 5
    result = run_epicshell(db_url, tmp_path, sentry, *attempts, keep_going=True,
                           EPICSHELL_PASSWORD="not the right password")
    assert result.returncode == 1
    events = sentry.events()
    failed = action_events(events, "login.failed")
    assert [tags(e)["reason"] for e in failed] == ["unknown"] + ["refused"] * 5
    assert {tags(e).get("user_id") for e in failed[1:]} == {str(staff["commercial"].id)}
    locked = _only(events, "login.locked")
    assert tags(locked)["user_id"] == str(staff["commercial"].id)
    assert {e["level"] for e in [*failed, locked]} == {"warning"}


# -- nothing claims what did not happen ------------------------------------------------------


def test_refused_actions_send_no_success_event(db_url, staff, make, sentry, tmp_path):
    """Permission refusals and invalid values: breadcrumbs on the next event, no success."""
    others = make.contract(make.client("commercial2"))
    signed = make.contract(signed=True)
    commands = (
        "login bill@epic.test",
        "user create --email eve@epic.test --full-name 'Eve Ill' --department support "
        "--employee-number S666 --password-env NEW_PW",
        f"contract sign {others.id}",
        "login ana@epic.test",
        "user create --email bill@epic.test --full-name 'Bill Again' --department support "
        "--employee-number S667 --password-env NEW_PW",
        f"contract sign {signed.id}",
        f"user update {staff['support2'].id} --full-name 'Samuel Help'",
    )
    result = run_epicshell(db_url, tmp_path, sentry, *commands, keep_going=True,
                           NEW_PW=NEW_PASSWORD)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Welcome, ")]
    assert len(errors) == 4, result.stderr
    events = sentry.events()
    assert action_events(events, "user.created") == []
    assert action_events(events, "contract.signed") == []
    assert User.select().where(User.email == "eve@epic.test").count() == 0
    marker = _only(events, "user.updated")  # the one success carries the refusals' trail
    refusals = [c for c in marker["breadcrumbs"]["values"] if c["category"] == "refused"]
    assert [(c["data"].get("command"), c["data"]["kind"], c["data"].get("field"))
            for c in refusals] == [("user create", "PermissionDenied", None),
                                   ("contract sign", "PermissionDenied", None),
                                   ("user create", "ValidationError", "email"),
                                   ("contract sign", "EpicError", None)]
    assert "bill@epic.test" not in str(marker)


def test_a_rolled_back_action_sends_nothing(monitored, sentry, staff):
    """Notices wait for the commit: a transaction rolled back after the change says nothing."""
    boss = staff["management"]
    with pytest.raises(RuntimeError):
        with mutation():
            users.create_user(boss, email="ghost@epic.test", full_name="Ghost Writer",
                              department="support", employee_number="S404", password=PASSWORD)
            raise RuntimeError("a later step of the same transaction failed")
    assert User.select().where(User.email == "ghost@epic.test").count() == 0
    real = users.create_user(boss, email="real@epic.test", full_name="Real Person",
                             department="support", employee_number="S200", password=PASSWORD)
    monitoring.flush()
    events = sentry.wait_for(lambda evs: action_events(evs, "user.created"))
    assert [tags(e)["user_id"] for e in action_events(events, "user.created")] == [str(real.id)]


def test_notice_data_is_reduced_to_ids_and_labels(monitored, sentry):
    """Whatever a service might add to a notice one day, only ids and labels leave."""
    notify("user.updated", user_id=7, actor_id=1, fields=["email", "full_name"],
           email="leak@example.com", full_name="Leaky Name", department="support",
           password="hunter2 hunter2")
    monitoring.flush()
    event = _only(sentry.wait_for(lambda evs: action_events(evs, "user.updated")),
                  "user.updated")
    assert tags(event) == {"action": "user.updated", "user_id": "7", "actor_id": "1",
                           "department": "support", "database": tags(event)["database"]}
    assert event["extra"] == {"fields": ["email", "full_name"]}
    raw = sentry.raw_bytes()
    for secret in (b"leak@example.com", b"Leaky Name", b"hunter2"):
        assert secret not in raw


# -- settings ----------------------------------------------------------------------------------


def test_events_carry_release_and_environment(db_url, staff, sentry, tmp_path):
    result = run_epicshell(db_url, tmp_path, sentry, "login ana@epic.test",
                           f"user deactivate {staff['support2'].id}")
    assert result.returncode == 0, result.stderr
    event = _only(sentry.events(), "user.deactivated")
    assert event["release"] == "epicshell@0.1.0"
    assert event["environment"] == "test"
    assert event["server_name"] == "epicshell"


def test_without_sentry_dsn_sentry_sdk_is_never_imported(db_url, staff, tmp_path):
    code = ("import sys\n"
            "from epicshell.__main__ import main\n"
            f"status = main(['--database', {db_url!r}, '-c', 'login ana@epic.test', "
            "'-c', 'client list', '-c', 'audit --limit 1', '-c', 'status'])\n"
            "print('sentry_sdk' in sys.modules, status)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60,
                            env=child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False 0"


def test_with_sentry_dsn_the_sdk_is_loaded_and_silent(db_url, staff, sentry, tmp_path):
    """The counterpart of the test above (so that one cannot pass by accident); the SDK's
    own debug output and Spotlight stay off whatever the environment says."""
    code = ("import sys\n"
            "from epicshell.__main__ import main\n"
            f"status = main(['--database', {db_url!r}, '-c', 'login ana@epic.test'])\n"
            "print('sentry_sdk' in sys.modules, status)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60,
                            env=child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD,
                                          SENTRY_DSN=sentry.dsn, SENTRY_DEBUG="1",
                                          SENTRY_SPOTLIGHT="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True 0"
    assert result.stderr == "Welcome, Ana Lopez (management)\n"  # no SDK chatter


@pytest.mark.parametrize("dsn", ["not-a-dsn", "http://127.0.0.1/1", "http://key@127.0.0.1/"])
def test_an_unusable_dsn_is_a_one_line_usage_error(dsn, tmp_path):
    result = subprocess.run([console_script(), "-c", "status"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env=child_env(tmp_path, SENTRY_DSN=dsn))
    assert result.returncode == 2
    assert result.stderr.startswith("epicshell: SENTRY_DSN is not a usable Sentry DSN")
    assert len(result.stderr.splitlines()) == 1
