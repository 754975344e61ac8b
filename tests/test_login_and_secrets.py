"""Login hardening, secrets, notices on stderr and messages that tell the truth."""
from __future__ import annotations

import os
import stat
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PASSWORD, TEST_ROUNDS, snapshot_rows
from sentry_server import child_env, console_script

from epicshell import security
from epicshell.errors import AuthenticationError
from epicshell.models import AuditEntry, Event, User, database
from epicshell.services import auth, contracts
from epicshell.shell.repl import worth_recording

WRONG = "not the right password"


def test_parallel_attempts_never_check_more_passwords_than_the_lockout_allows(staff,
                                                                           monkeypatch):
    """8 attempts at once, each on its own connection: at most MAX_FAILURES real checks."""
    stored = User.get(User.email == "bill@epic.test").password_hash
    real_checks = []
    verify = security.verify_password

    def counting_verify(password, hashed):  # observes which hash each attempt was checked on
        if hashed == stored:
            real_checks.append(password)
        return verify(password, hashed)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    start = threading.Barrier(8)

    def attempt():
        start.wait(10)
        try:
            auth.login("bill@epic.test", WRONG)
            return "in"
        except AuthenticationError:
            return "refused"
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [f.result() for f in [pool.submit(attempt) for _ in range(8)]]
    assert results == ["refused"] * 8
    assert len(real_checks) == auth.MAX_FAILURES
    row = User.get(User.email == "bill@epic.test")
    assert row.locked_until is not None
    with pytest.raises(AuthenticationError):
        auth.login("bill@epic.test", PASSWORD)  # locked: even the right password


def test_a_refused_attempt_on_a_locked_account_costs_a_check_at_the_stored_cost(staff,
                                                                                 monkeypatch):
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.login("bill@epic.test", WRONG)
    costs = []
    verify = security.verify_password
    monkeypatch.setattr(auth, "verify_password",
                        lambda password, hashed: costs.append(security.hash_rounds(hashed))
                        or verify(password, hashed))
    with pytest.raises(AuthenticationError):
        auth.login("bill@epic.test", PASSWORD)
    assert costs == [TEST_ROUNDS]


@pytest.mark.parametrize("stored_cost", [TEST_ROUNDS + 1, TEST_ROUNDS + 2])
def test_login_rehashes_when_the_stored_cost_differs_from_the_configured_one(staff, stored_cost):
    security.set_bcrypt_rounds(stored_cost)
    try:
        other = security.hash_password(PASSWORD)
    finally:
        security.set_bcrypt_rounds(TEST_ROUNDS)
    User.update(password_hash=other).where(User.email == "sue@epic.test").execute()
    auth.login("sue@epic.test", PASSWORD)
    new_hash = User.get(User.email == "sue@epic.test").password_hash
    assert security.hash_rounds(new_hash) == TEST_ROUNDS  # down as well as up: same timing
    assert security.verify_password(PASSWORD, new_hash)


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "login --help hunter2-secret-pw", "login -h hunter2-secret-pw", "help hunter2-secret-pw",
    "help client hunter2", "client list --help --password-env 'not a name'",
])
def test_lines_that_may_hold_a_password_are_not_stored(db, line):
    assert worth_recording(line) is False


def test_a_line_holding_the_value_of_a_password_variable_is_not_stored(db, monkeypatch):
    monkeypatch.setenv("EPICSHELL_PASSWORD", "the typed secret 123")
    monkeypatch.setenv("NEW_PW", "another secret 456")
    assert worth_recording("client search 'the typed secret 123'") is False
    assert worth_recording("user list --search 'another secret 456' --format csv") is True
    assert worth_recording("user password --password-env NEW_PW") is True
    assert worth_recording("login --help") is True and worth_recording("help client list")


def test_resetting_ones_own_password_is_refused(shell, staff):
    before = snapshot_rows()
    error = shell.fails(f"user reset-password {staff['management'].id} "
                        "--password-env TEST_NEW_PASSWORD")
    assert error == ("error: permission denied: use `user password` to change your own "
                     "password (it asks for the current one)")
    assert snapshot_rows() == before


def test_a_password_of_spaces_is_refused(shell, staff, monkeypatch):
    monkeypatch.setenv("SPACES", " " * 16)
    error = shell.fails(f"user reset-password {staff['support'].id} --password-env SPACES")
    assert error == "error: password: must not be only spaces"


def test_the_demo_password_cannot_be_given_to_a_real_account(shell, staff, monkeypatch):
    monkeypatch.setenv("DEMO_PW", "epic events training")
    error = shell.fails(f"user reset-password {staff['support'].id} --password-env DEMO_PW")
    assert error == "error: password: is too common; choose another"


# -- notices on stderr, results on stdout --------------------------------------------------------


def test_the_readme_example_prints_only_csv_on_stdout(db_url, make, tmp_path):
    make.contract(total="100.00", signed=True)
    env = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD)
    result = subprocess.run([console_script(), "--database", db_url, "-c", "login ana@epic.test",
                             "-c", "contract unpaid --format csv"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("id,client_id,client,")
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == "Welcome, Ana Lopez (management)\n"


def test_nothing_changed_is_a_notice_and_writes_no_audit(shell, ids):
    shell.ok(f"client update {ids['client']} --company 'Same Company'")
    entries = AuditEntry.select().count()
    outcome = shell.run(f"client update {ids['client']} --company 'Same Company'")
    assert outcome.ok and outcome.out == "" and outcome.err == "Nothing changed."
    assert AuditEntry.select().count() == entries


# -- messages that tell the truth ----------------------------------------------------------------


def test_reassigning_to_a_user_that_does_not_exist_is_refused(shell, staff):
    lonely = staff["support2"].id  # owns nothing
    before = snapshot_rows()
    error = shell.fails(f"user delete {lonely} --reassign-to 999 --yes")
    assert error == "error: reassign_to: there is no user 999"
    assert snapshot_rows() == before
    outcome = shell.ok(f"user delete {lonely} --yes")
    assert "belongs to" not in outcome.out  # nothing was handed over: nothing said


def test_a_commercial_naming_a_commercial_is_refused_not_ignored(shell, staff):
    shell.login("commercial")
    before = snapshot_rows()
    error = shell.fails(f"client create --full-name 'X Y' --email xy@example.com "
                        f"--commercial {staff['commercial2'].id}")
    assert error == "error: permission denied: a commercial's new clients are always their own"
    assert snapshot_rows() == before
    shell.ok(f"client create --full-name 'X Y' --email xy@example.com "
             f"--commercial {staff['commercial'].id}")  # naming oneself is what happens anyway


def test_events_of_a_cancelled_contract_are_frozen(shell, ids, staff):
    contracts.cancel_contract(staff["management"], ids["signed"])
    before = snapshot_rows()
    for line in (f"event update {ids['event']} --attendees 3",
                 f"event assign {ids['event']} {staff['support2'].id}"):
        error = shell.fails(line)
        assert error == (f"error: event {ids['event']} belongs to contract {ids['signed']}, "
                         "which is cancelled: it accepts no change")
    assert snapshot_rows() == before
    assert shell.ok(f"event view {ids['event']}").out  # reading still works
    assert Event.get_by_id(ids["event"]).attendees == 50


def test_an_existing_data_folder_is_tightened_to_0700(tmp_path):
    folder = tmp_path / "xdg" / "epicshell"
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    env = child_env(tmp_path / "xdg")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    result = subprocess.run([console_script(), "-c", "status"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
