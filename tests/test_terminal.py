"""The installed `epicshell` console script in a real pseudo-terminal (pexpect).

What only a terminal shows: the password is not echoed, TAB completes, a wizard runs
and Ctrl-C cancels it, Ctrl-D exits 0, an idle session expires, another process's
deactivation stops this shell, and the history file stays private and password-free.
The child gets a throw-away HOME/XDG_DATA_HOME and runs in a temporary directory, so
neither the developer's files nor a `.env` are ever read.
"""
from __future__ import annotations

import math
import os
import stat
import subprocess
import time

import pytest
from conftest import PASSWORD
from pty_helpers import EPICSHELL, TIMEOUT, Terminal

pytestmark = pytest.mark.pty
if EPICSHELL is None:
    pytest.skip("the epicshell console script is not installed", allow_module_level=True)


@pytest.fixture
def world(tmp_path):
    """A SQLite file with Ana (management), Bill (commercial) and Bill's client Kevin Casey."""
    return make_world(tmp_path)


def make_world(tmp_path) -> dict:
    """The `world` fixture's database, for other terminal test modules too."""
    from epicshell.db import close_database, open_database
    from epicshell.models import database
    from epicshell.services import auth, clients, users

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    open_database(url)
    try:
        ana = auth.setup_first_user("ana@epic.test", "Ana Lopez", "M001", PASSWORD)
        bill = users.create_user(ana, email="bill@epic.test", full_name="Bill Boquet",
                                 department="commercial", employee_number="C001",
                                 password=PASSWORD)
        kevin = clients.create_client(bill, full_name="Kevin Casey", email="kevin@startup.io",
                                      company="Cool Startup")
    finally:
        close_database()
        database.initialize(None)
    return {"url": url, "bill": bill.id, "kevin": kevin.id, "home": tmp_path}


def child_env(home, **extra) -> dict:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "EPICSHELL_BCRYPT_ROUNDS": "4", "TZ": "UTC", "NO_COLOR": "1", "TERM": "xterm",
           "PAGER": "cat", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


@pytest.fixture
def spawn(world):
    started = []

    def start(url: str | None = None, **extra) -> Terminal:
        term = Terminal(["--database", url or world["url"]], child_env(world["home"], **extra),
                        world["home"])
        started.append(term)
        return term

    yield start
    for term in started:
        term.kill()


def query(url: str, sql: str, *params):
    """Read the child's database directly (a separate connection, like another process)."""
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, params).fetchall()


def login(term: Terminal, email: str) -> str:
    """Log in through the hidden prompt; return what the terminal showed meanwhile."""
    term.answer(f"login {email}")
    term.expect("Password")
    start = len(term.raw)
    term.answer(PASSWORD)
    term.expect("Welcome, ")
    term.expect(rf"epic \({email.split('@')[0]}, \w+\)>")
    return term.raw[start:]


def test_login_completion_and_a_private_history(spawn, world):
    term = spawn()
    term.expect("epic>")
    term.shows("not logged in · db crm.db")  # the toolbar
    term.answer(PASSWORD)  # a password typed at the prompt by mistake
    term.expect("unknown command")
    shown = login(term, "ana@epic.test")
    assert PASSWORD not in shown and "*" in shown  # typed hidden
    term.shows(r"Ana Lopez \(management\) · 30 min left · db crm\.db")
    term.type("cli\t")
    term.expect(" client$")
    term.type("vi\t")
    term.expect(" view$")
    term.type("\t")
    term.expect(rf"view {world['kevin']}$")
    term.answer()
    term.expect("Kevin Casey")
    term.expect("Cool Startup")
    assert term.exit_status() == 0

    history = world["home"] / "data" / "epicshell" / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700
    stored = history.read_text()
    assert PASSWORD not in stored
    assert "login ana@epic.test" in stored and f"client view {world['kevin']}" in stored


def test_a_client_wizard_completed_then_one_cancelled(spawn, world):
    term = spawn()
    term.expect("epic>")
    login(term, "bill@epic.test")
    term.answer("client create")
    for question, answer in (("Full name", "Nina Simone"), ("Email", "nina@jazz.io"),
                             ("Phone", "+33 1 23 45 67 89"), ("Company", "")):
        term.expect(question)
        term.answer(answer)
    term.expect(r"Save\?")
    term.type("y")
    term.expect(r"Created client \d+: Nina Simone \(commercial: Bill Boquet\)")

    term.answer("client create")
    term.expect("Full name")
    term.answer("Half Done")
    term.expect("Email")
    term.child.sendcontrol("c")
    term.expect("cancelled: nothing saved")
    term.expect(r"epic \(bill, commercial\)>")  # the shell is still alive
    term.answer("whoami")  # the shell and the session go on
    term.expect("Bill Boquet <bill@epic.test>")
    assert term.exit_status() == 0
    names = {row[0] for row in query(world["url"], "select full_name from client")}
    assert names == {"Kevin Casey", "Nina Simone"}


def test_an_idle_session_expires(spawn):
    term = spawn(EPICSHELL_SESSION_IDLE="3")
    term.expect("epic>")
    login(term, "bill@epic.test")
    # Token times are whole seconds and the session was signed before "Welcome" showed:
    # once the clock's whole second is 4 past the one seen then, 3 s have surely passed.
    time.sleep(math.floor(time.time()) + 4 - time.time() + 0.05)
    term.answer("whoami")
    term.expect("session expired after inactivity; log in again")
    term.expect("epic>")  # the anonymous prompt again
    term.answer("whoami")
    term.expect("error: not logged in")
    assert term.exit_status() == 0


def test_deactivation_by_another_process_stops_the_next_command(spawn, world):
    term = spawn()
    term.expect("epic>")
    login(term, "bill@epic.test")
    other = subprocess.run(
        [EPICSHELL, "--database", world["url"], "-c", "login ana@epic.test",
         "-c", f"user deactivate {world['bill']}"],
        env=child_env(world["home"], EPICSHELL_PASSWORD=PASSWORD), cwd=world["home"],
        capture_output=True, text=True, timeout=TIMEOUT)
    assert other.returncode == 0, other.stderr
    term.answer("client list")
    term.expect("your account was deactivated or removed; session ended")
    assert not any("Kevin Casey" in line for line in term.screen.lines()[term.line:])
    assert term.exit_status(prompt="^epic> *$") == 0  # back to the anonymous prompt


def test_first_run_creates_the_management_account(spawn, tmp_path):
    term = spawn(url=f"sqlite:///{tmp_path / 'empty.db'}")
    term.expect("This database has no user yet.")
    term.expect(r"Create the first management account now\?")
    term.type("y")
    for question, answer in (("Email", "ana@epic.test"), ("Full name", "Ana Lopez"),
                             ("Employee number", "M001")):
        term.expect(question)
        term.answer(answer)
    term.expect("at least 12 characters")  # the password policy is shown
    start = len(term.raw)
    term.answer(PASSWORD)
    term.expect(r"again")
    term.answer(PASSWORD)
    term.expect(r"Password: +\(typed twice, not shown\)")  # the summary comes last
    term.expect(r"Save\?")
    term.type("y")
    term.expect("Created management account ana@epic.test")
    assert PASSWORD not in term.raw[start:]
    assert term.exit_status(prompt=r"epic \(ana, management\)>") == 0
