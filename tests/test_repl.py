"""The interactive loop in process: the real PromptSession reading keys from a pipe.

Covers the prompt, Ctrl-C / Ctrl-D / empty lines, TAB in the real prompt, the history
file (0600, only known commands, never a password) and the first-run offer.
"""
from __future__ import annotations

import os
import stat
import time

import pytest
from conftest import PASSWORD
from prompt_helpers import CTRL_C, CTRL_D, ENTER, TAB, InteractiveShell, Shown

from epicshell.models import User
from epicshell.services import auth
from epicshell.services.session import Session
from epicshell.shell.repl import Repl, open_history, worth_recording
from epicshell.shell.toolbar import toolbar_text

UP = "\x1b[A"
LOGIN_BILL = "login bill@epic.test --password-env EPICSHELL_PASSWORD"


@pytest.fixture
def shell(db_url, monkeypatch):
    monkeypatch.setenv("EPICSHELL_PASSWORD", PASSWORD)
    monkeypatch.setenv("PAGER", "cat")
    return InteractiveShell(db_url)


@pytest.fixture
def history_file(tmp_path):
    return tmp_path / "data" / "epicshell" / "history"


def loop(shell, history_file, keys: str = "", script=None):
    """Run the whole REPL until Ctrl-D/exit; the outcome's `ok` is its exit status.

    The Repl is built inside the test terminal: a PromptSession keeps the input and
    output current when it is created.
    """
    return shell.drive(lambda: Repl(shell.app, open_history(history_file)).loop(), keys, script)


def settle():
    """Let the prompt catch up (it loads its history in a background thread); generous,
    since the suite shares the machine's cores with other test processes."""
    time.sleep(1.0)


def first_run(shell, history_file):
    Repl(shell.app, open_history(history_file)).offer_first_run_setup()


def lines(*commands: str) -> str:
    return "".join(command + ENTER for command in commands)


def test_ctrl_d_on_an_empty_line_exits_0(shell, staff, history_file):
    outcome = loop(shell, history_file, lines("status") + CTRL_D)
    assert outcome.ok == 0
    assert "user:       not logged in" in outcome.out
    assert "epic>" in outcome.screen


def test_exit_and_quit_leave_with_0(shell, staff, history_file):
    assert loop(shell, history_file, lines("exit", "status")).ok == 0
    outcome = loop(shell, history_file, lines("quit", "status"))
    assert outcome.ok == 0 and "user:" not in outcome.out  # nothing runs after quit


def test_ctrl_c_clears_the_line_and_an_empty_line_does_nothing(shell, staff, history_file):
    outcome = loop(shell, history_file, "client lis" + CTRL_C + ENTER + "   " + ENTER
                   + lines("whoami") + CTRL_D)
    assert outcome.ok == 0
    # the cleared line never ran; the blank ones did nothing; whoami ran (not logged in)
    assert outcome.err.strip() == "error: not logged in: use `login EMAIL` first"
    assert outcome.out == ""


def test_the_prompt_shows_who_is_logged_in(shell, staff, history_file):
    outcome = loop(shell, history_file, lines(LOGIN_BILL, "logout") + CTRL_D)
    assert "Welcome, Bill Boquet (commercial)" in outcome.out
    drawn = outcome.screen
    assert drawn.index("epic>") < drawn.index("epic (bill, commercial)>") < drawn.rindex("epic>")


def test_when_the_session_ends_the_prompt_goes_back_to_anonymous(shell, staff, history_file):
    class Clock:
        now = 1_700_000_000.0

        def __call__(self):
            return self.now

    clock = Clock()
    shell.app.session = Session("k" * 43, 3600, 60, clock)

    def idle_for_two_minutes():
        clock.now += 120

    script = [lines(LOGIN_BILL), Shown("epic (bill, commercial)>"), idle_for_two_minutes,
              lines("client list"), Shown("epic>"), CTRL_D]
    outcome = loop(shell, history_file, script=script)
    assert not outcome.missed
    assert outcome.err.strip() == "error: session expired after inactivity; log in again"


def test_a_wizard_cancelled_with_ctrl_c_leaves_the_shell_running(shell, staff, history_file):
    before = User.select().count()
    outcome = loop(shell, history_file, lines("login ana@epic.test --password-env "
                                              "EPICSHELL_PASSWORD", "user create")
                   + "zoe@epic.test" + ENTER + "Zo" + CTRL_C + lines("whoami") + CTRL_D)
    assert outcome.ok == 0
    assert "error: cancelled: nothing saved" in outcome.err
    assert "Ana Lopez <ana@epic.test>, management" in outcome.out  # whoami ran after
    assert User.select().count() == before


def test_tab_completes_commands_and_record_ids_in_the_prompt(shell, make, history_file):
    client = make.client("commercial", full_name="Kevin Casey", company="Cool Startup")
    # completion runs in the background of the prompt: wait for each, as eyes would
    script = [lines(LOGIN_BILL), Shown("epic (bill, commercial)>"), "cli" + TAB, Shown("client"),
              "vi" + TAB, Shown("view"), TAB, Shown(str(client.id)), ENTER, Shown("epic"), CTRL_D]
    outcome = loop(shell, history_file, script=script)
    assert not outcome.missed
    assert outcome.err == ""
    assert "Kevin Casey" in outcome.out and "Cool Startup" in outcome.out
    assert f"client view {client.id}" in history_file.read_text()


# -- history ----------------------------------------------------------------------------------


def test_history_keeps_commands_never_a_password(shell, staff, history_file):
    outcome = loop(shell, history_file, lines(
        "status",
        PASSWORD,  # typed at the prompt by mistake
        f"login {PASSWORD}",  # a password where the email goes
        "client lst",  # a typo: not a command
        "whoami --bogus",  # not valid options
        'client search "unclosed',
        LOGIN_BILL,
        "client list --limit 5",
    ) + CTRL_D)
    assert outcome.ok == 0
    stored = history_file.read_text()
    assert PASSWORD not in stored
    assert "client lst" not in stored and "--bogus" not in stored and "unclosed" not in stored
    assert "status" in stored and LOGIN_BILL in stored and "client list --limit 5" in stored
    assert stat.S_IMODE(history_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(history_file.parent.stat().st_mode) == 0o700


def test_up_arrow_never_recalls_a_mistyped_password(shell, staff, history_file):
    # the prompt loads its history in the background: give it a moment before pressing Up
    outcome = loop(shell, history_file, script=[lines("status", PASSWORD), settle, UP + ENTER,
                                                settle, CTRL_D])
    assert outcome.out.count("user:       not logged in") == 2  # Up brought back `status`
    assert outcome.err.count("unknown command") == 1


def test_ctrl_r_searches_the_history(shell, staff, history_file):
    script = [lines("status", "help"), settle, "\x12" + "stat", settle, ENTER + ENTER, settle,
              CTRL_D]
    outcome = loop(shell, history_file, script=script)
    assert outcome.out.count("user:       not logged in") == 2  # found and ran `status` again
    assert "reverse-i-search" in outcome.screen or "I-search backward" in outcome.screen


def test_history_is_read_back_in_the_next_session(shell, staff, history_file):
    loop(shell, history_file, lines("status") + CTRL_D)
    second = loop(shell, history_file, script=[settle, UP + ENTER, settle, CTRL_D])
    assert "user:       not logged in" in second.out


def test_an_existing_history_file_is_made_private(tmp_path):
    path = tmp_path / "history"
    path.write_text("\n# 2024-01-01\n+status\n")
    os.chmod(path, 0o644)
    history = open_history(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(history.load_history_strings()) == ["status"]


def test_an_unwritable_data_directory_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    history = open_history(blocker / "history")
    history.record("status")
    assert list(history.get_strings()) == ["status"]


@pytest.mark.parametrize("line, stored", [
    ("client list", True),
    ("client view 3 --format json", True),
    ("help client create", True),
    ("client create --help", True),
    ("login ana@epic.test", True),
    ("login", True),
    ("login hunter2hunter2", False),
    ("hunter2hunter2", False),
    ("client lsit", False),
    ("", False),
    ("# a comment", False),
    ("client list --nope", False),
    ("'unclosed", False),
    ("user create --password-env NEW_PW", True),
    ("user create --password-env 'my secret pass'", False),
    ("user password --current-env Tr0ub4dor&3x", False),
    ("login ana@epic.test --password-env Pw23secret", False),  # no such variable: the password?
])
def test_worth_recording(db, line, stored, monkeypatch):
    monkeypatch.setenv("NEW_PW", "a long enough passphrase")
    monkeypatch.delenv("Pw23secret", raising=False)
    assert worth_recording(line) is stored


def test_a_failure_around_a_command_is_reported_and_the_shell_goes_on(shell, staff, history_file,
                                                                      monkeypatch):
    """Whatever fails outside a command (here, saving the line to the history) gets an
    error id like an unexpected error in a command, and the next prompt comes."""
    from epicshell.shell import repl

    def broken(_line):
        raise RuntimeError("the history is gone")

    monkeypatch.setattr(repl, "worth_recording", broken)
    outcome = loop(shell, history_file, lines(LOGIN_BILL, "whoami") + CTRL_D)
    assert outcome.ok == 0
    assert "unexpected error (id " in outcome.err and "Traceback" not in outcome.err
    assert "Bill Boquet <bill@epic.test>, commercial" in outcome.out


# -- first run and toolbar --------------------------------------------------------------------


def test_first_run_offers_to_create_the_management_account(shell, db, history_file):
    keys = ("y" + lines("ana@epic.test", "Ana Lopez", "M001")
            + lines("a brand new passphrase", "a brand new passphrase") + "y")
    outcome = shell.drive(lambda: first_run(shell, history_file), keys)
    assert "This database has no user yet." in outcome.err
    assert "Created management account ana@epic.test" in outcome.out
    assert "at least 12 characters" in outcome.screen  # the policy was shown
    user = auth.login("ana@epic.test", "a brand new passphrase")
    assert user.department == "management"
    assert shell.app.prompt_text() == "epic (ana, management)> "


def test_first_run_offer_declined(shell, db, history_file):
    outcome = shell.drive(lambda: first_run(shell, history_file), "n")
    assert "Type `setup` when you are ready." in outcome.err
    assert auth.needs_setup()


def test_no_offer_once_there_is_a_user(shell, staff, history_file):
    outcome = shell.drive(lambda: first_run(shell, history_file), "")
    assert outcome.err == "" and outcome.screen == ""


def test_toolbar_says_who_and_which_database(shell, staff):
    assert "not logged in" in toolbar_text(shell.app)
    assert "epicevents.db" in toolbar_text(shell.app) or "/" in toolbar_text(shell.app)
    shell.login("bill@epic.test")
    text = toolbar_text(shell.app)
    assert "Bill Boquet (commercial)" in text and "min left" in text
