"""Session lifetimes with a frozen clock: idle and absolute expiry, tampering, revocation.

The clock is injected (services.session.Session and security.SessionTokens take one),
so hours pass in microseconds. Revocation is real: another actor deactivates the user,
changes their password or department through the services, and the session ends at its
next command, with the prompt back to `epic> `.
"""
from __future__ import annotations

import io

import pytest
from conftest import PASSWORD

from epicshell.config import Settings
from epicshell.errors import NotLoggedIn, SessionEnded
from epicshell.security import SessionTokens
from epicshell.services import users
from epicshell.services.session import Session
from epicshell.shell.app import App, Environment
from epicshell.shell.toolbar import minutes_left, toolbar_text

LIFETIME, IDLE = 8 * 3600, 30 * 60
SECRET = "s" * 43


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(db_url, staff, clock):
    app = App(Settings(database_url=db_url), Environment(stdout=io.StringIO(), stderr=io.StringIO()))
    app.session = Session(SECRET, LIFETIME, IDLE, clock)
    return app


def run(app, line: str) -> tuple[bool, str]:
    """Run LINE; return (success, what it wrote on stderr)."""
    at = app.env.stderr.tell()
    ok = app.execute(line)
    return ok, app.env.stderr.getvalue()[at:].strip()


def logged_in(app, email: str = "bill@epic.test") -> App:
    app.session.login(email, PASSWORD)
    assert app.prompt_text() == f"epic ({email.split('@')[0]}, {app.session.user.department})> "
    return app


# -- the token itself ------------------------------------------------------------------------


def test_a_token_lives_while_used_within_the_idle_timeout(clock):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    for _ in range(10):  # 10 x 29 minutes of work: longer than IDLE, shorter than LIFETIME
        clock.advance(IDLE - 60)
        token = tokens.refresh(token)
    assert tokens.check(token)["uid"] == 7


def test_idle_expiry(clock):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    clock.advance(IDLE)
    assert tokens.check(token)["uid"] == 7  # exactly at the limit: still valid
    clock.advance(1)
    with pytest.raises(SessionEnded, match="inactivity"):
        tokens.check(token)


def test_absolute_expiry_however_active(clock):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    while clock.now < 1_700_000_000 + LIFETIME - 600:
        clock.advance(600)
        token = tokens.refresh(token)
    clock.advance(601)
    with pytest.raises(SessionEnded, match="^session expired; log in again$"):
        tokens.check(token)


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: t.replace(t.split(".")[0], t.split(".")[0][:-1] + "x", 1),  # payload changed
    lambda t: SessionTokens("another secret key of the same length!!!!!!", LIFETIME, IDLE)
    .issue(7, 1),  # signed with another process's key
    lambda t: "garbage",
])
def test_a_tampered_token_is_refused(clock, tamper):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    with pytest.raises(SessionEnded, match="not valid"):
        tokens.check(tamper(tokens.issue(7, 1)))


def test_the_remembered_token_expires_exactly_as_a_fresh_verification_says(clock):
    """The token this process signed is checked without re-verifying its signature; its
    expiry must be the very one itsdangerous gives a process that never saw it."""
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    for step in (0, IDLE - 1, 1, 1, -2 * IDLE):  # within, at the limit, past it, backwards
        clock.advance(step)
        stranger = SessionTokens(SECRET, LIFETIME, IDLE, clock)
        outcomes = []
        for checker in (tokens, stranger):
            try:
                outcomes.append(checker.check(token))
            except SessionEnded as exc:
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1]


def test_refreshing_signs_again_only_when_the_second_changes(clock):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    clock.advance(0.4)
    assert tokens.refresh(token) == token  # the same second: the same token, not re-signed
    clock.advance(0.7)
    fresh = tokens.refresh(token)
    assert fresh != token
    assert SessionTokens(SECRET, LIFETIME, IDLE, clock).check(fresh)["uid"] == 7
    clock.advance(IDLE)
    assert tokens.check(fresh)["uid"] == 7  # the idle timer started again at the refresh
    clock.advance(1)
    with pytest.raises(SessionEnded, match="inactivity"):
        tokens.check(fresh)


def test_a_token_other_than_the_remembered_one_is_verified_in_full(clock):
    tokens = SessionTokens(SECRET, LIFETIME, IDLE, clock)
    token = tokens.issue(7, 1)
    tokens.check(token)
    with pytest.raises(SessionEnded, match="not valid"):
        tokens.check(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert tokens.check(token)["uid"] == 7  # the good one is still good


# -- the session of a shell ------------------------------------------------------------------


def test_commands_keep_the_session_alive_and_idling_ends_it(app, clock):
    logged_in(app)
    for _ in range(3):
        clock.advance(IDLE - 1)
        assert run(app, "whoami") == (True, "")
    clock.advance(IDLE + 1)
    ok, error = run(app, "whoami")
    assert not ok and error == "error: session expired after inactivity; log in again"
    assert app.prompt_text() == "epic> "
    assert run(app, "whoami")[1].startswith("error: not logged in")


def test_the_absolute_lifetime_ends_a_busy_session(app, clock):
    logged_in(app)
    for _ in range(LIFETIME // (IDLE - 60)):
        clock.advance(IDLE - 60)
        assert run(app, "whoami")[0]
    clock.advance(IDLE - 60)
    ok, error = run(app, "whoami")
    assert not ok and error == "error: session expired; log in again"
    assert app.prompt_text() == "epic> "


def test_a_tampered_session_token_ends_the_session(app):
    logged_in(app)
    app.session._token = app.session.token[:-3] + "abc"
    ok, error = run(app, "client list")
    assert not ok and error == "error: session is not valid; log in again"
    assert not app.session.active and app.prompt_text() == "epic> "


def test_times_shown_by_status_and_the_toolbar(app, clock):
    logged_in(app)
    times = app.session.times()
    assert times["expires_at"] == clock.now + LIFETIME
    assert times["idle_expires_at"] == clock.now + IDLE
    assert minutes_left(app) == IDLE // 60
    clock.advance(10 * 60 + 1)
    assert minutes_left(app) == 20  # rounded up: 19 min 59 s
    assert "20 min left" in toolbar_text(app)
    clock.advance(IDLE)
    assert "session over" in toolbar_text(app)
    assert app.session.active  # showing the time does not end anything


# -- revocation by another actor --------------------------------------------------------------


def test_a_deactivated_user_is_stopped_at_the_next_command(app, staff):
    logged_in(app)
    users.deactivate_user(staff["management"], staff["commercial"].id)
    ok, error = run(app, "client list")
    assert not ok and error == "error: your account was deactivated or removed; session ended"
    assert app.prompt_text() == "epic> "
    assert not app.session.active
    with pytest.raises(NotLoggedIn):
        app.session.current_user()


def test_a_password_reset_ends_the_session(app, staff):
    logged_in(app)
    users.reset_password(staff["management"], staff["commercial"].id, new="a brand new passphrase")
    ok, error = run(app, "whoami")
    assert not ok and error == "error: your password or department changed; log in again"
    assert app.prompt_text() == "epic> "


def test_a_password_changed_in_another_shell_ends_this_one(app, staff):
    logged_in(app)
    users.change_own_password(staff["commercial"], current=PASSWORD, new="a brand new passphrase")
    assert run(app, "whoami") == (False, "error: your password or department changed; "
                                         "log in again")


def test_a_department_change_ends_the_session(app, staff):
    logged_in(app, "sam@epic.test")
    users.update_user(staff["management"], staff["support2"].id, department="commercial")
    ok, error = run(app, "event list")
    assert not ok and "password or department changed" in error
    assert app.prompt_text() == "epic> "
    logged_in(app, "sam@epic.test")  # logging in again gives the new department's prompt
    assert app.prompt_text() == "epic (sam, commercial)> "


def test_other_changes_to_the_user_keep_the_session(app, staff):
    logged_in(app)
    users.update_user(staff["management"], staff["commercial"].id, full_name="Bill Boquet-Smith")
    ok, _ = run(app, "whoami")
    assert ok and "Bill Boquet-Smith" in app.env.stdout.getvalue()
    assert app.prompt_text() == "epic (bill, commercial)> "


def idle_deadline(app) -> float:
    return app.session.times()["idle_expires_at"]


def test_failed_commands_still_count_as_activity_but_status_does_not(app, clock):
    logged_in(app)
    clock.advance(IDLE - 10)
    assert not run(app, "client view 999")[0]  # not found, but the user was active
    assert idle_deadline(app) == clock.now + IDLE
    clock.advance(IDLE - 10)
    assert run(app, "whoami")[0]
    deadline = idle_deadline(app)
    assert deadline == clock.now + IDLE
    clock.advance(60)  # the clock moves: a refresh would move the deadline with it
    assert run(app, "status")[0]
    assert idle_deadline(app) == deadline


@pytest.mark.parametrize("line", ["client list", "whoami", "client view 999",
                                  "user list"])  # user list: refused to a commercial
def test_every_command_needing_a_login_is_activity(app, clock, line):
    logged_in(app)
    clock.advance(IDLE - 5)
    run(app, line)
    assert idle_deadline(app) == clock.now + IDLE
    clock.advance(IDLE - 5)  # past the first deadline, within the new one
    assert run(app, "whoami") == (True, "")


@pytest.mark.parametrize("line", ["status", "help", "help client list", "client list --help"])
def test_looking_at_the_session_or_the_help_is_not_activity(app, clock, line):
    logged_in(app)
    started = idle_deadline(app)
    clock.advance(IDLE - 5)
    assert run(app, line)[0]
    assert idle_deadline(app) == started
    clock.advance(10)  # IDLE + 5 since the last real command
    ok, error = run(app, "whoami")
    assert not ok and error == "error: session expired after inactivity; log in again"


def test_status_after_idle_expiry_says_why_the_session_ended(app, clock):
    logged_in(app)
    clock.advance(IDLE + 1)
    ok, err = run(app, "status")
    assert ok
    assert "session expired after inactivity" in err
    assert "user:       not logged in" in app.env.stdout.getvalue()
    assert "session:    a login lasts 8 h, or 30 min idle" in app.env.stdout.getvalue()
    assert app.prompt_text() == "epic> "
    ok, err = run(app, "client list")
    assert not ok and err == "error: not logged in: use `login EMAIL` first"
