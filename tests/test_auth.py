"""Login, lockout stored in the database, hash upgrades, first-run setup and sessions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, TEST_ROUNDS

from epicshell import security
from epicshell.errors import AuthenticationError, EpicError, SessionEnded, ValidationError
from epicshell.models import User, utcnow
from epicshell.services import auth, users
from epicshell.services.session import Session

WRONG = "not the right password"


def _refusal(email: str, password: str) -> str:
    with pytest.raises(AuthenticationError) as err:
        auth.login(email, password)
    return str(err.value)


def _fail(email: str, times: int) -> None:
    for _ in range(times):
        _refusal(email, WRONG)


def _row(email: str) -> User:
    return User.get(User.email == email)


def test_login_with_the_right_password_ignores_email_case(staff):
    assert auth.login("bill@epic.test", PASSWORD).id == staff["commercial"].id
    assert auth.login("  BILL@Epic.Test ", PASSWORD).id == staff["commercial"].id


def test_every_refusal_says_the_same_thing(staff):
    users.deactivate_user(staff["management"], staff["support2"].id)
    _fail("cara@epic.test", auth.MAX_FAILURES)  # locks cara
    messages = {
        "unknown email": _refusal("nobody@epic.test", PASSWORD),
        "wrong password": _refusal("bill@epic.test", WRONG),
        "locked account": _refusal("cara@epic.test", PASSWORD),
        "deactivated account": _refusal("sam@epic.test", PASSWORD),
        "empty email": _refusal("", PASSWORD),
        "empty password": _refusal("bill@epic.test", ""),
    }
    assert set(messages.values()) == {"invalid email or password"}, messages


def test_five_failures_lock_the_account_in_the_database(staff):
    _fail("bill@epic.test", auth.MAX_FAILURES - 1)
    row = _row("bill@epic.test")
    assert row.failed_logins == auth.MAX_FAILURES - 1 and row.locked_until is None
    _fail("bill@epic.test", 1)
    row = _row("bill@epic.test")
    assert row.locked_until is not None
    assert row.locked_until - utcnow() > auth.LOCK_DURATION - timedelta(minutes=1)
    _refusal("bill@epic.test", PASSWORD)  # the right password is refused while locked
    assert _row("bill@epic.test").locked_until == row.locked_until
    assert auth.login("cara@epic.test", PASSWORD).id == staff["commercial2"].id  # others unaffected


def test_the_lock_ends_after_its_window(staff):
    _fail("bill@epic.test", auth.MAX_FAILURES)
    User.update(locked_until=utcnow() - timedelta(seconds=1)).where(
        User.email == "bill@epic.test").execute()
    assert auth.login("bill@epic.test", PASSWORD).id == staff["commercial"].id
    row = _row("bill@epic.test")
    assert (row.failed_logins, row.first_failure_at, row.locked_until) == (0, None, None)


def test_failures_spread_beyond_the_window_do_not_lock(staff):
    _fail("bill@epic.test", auth.MAX_FAILURES - 1)
    User.update(first_failure_at=utcnow() - auth.FAILURE_WINDOW - timedelta(minutes=1)).where(
        User.email == "bill@epic.test").execute()
    _fail("bill@epic.test", 1)
    row = _row("bill@epic.test")
    assert row.locked_until is None and row.failed_logins == 1
    assert auth.login("bill@epic.test", PASSWORD).id == staff["commercial"].id


def test_a_success_resets_the_failure_count(staff):
    _fail("bill@epic.test", auth.MAX_FAILURES - 1)
    auth.login("bill@epic.test", PASSWORD)
    assert _row("bill@epic.test").failed_logins == 0
    _fail("bill@epic.test", auth.MAX_FAILURES - 1)
    assert _row("bill@epic.test").locked_until is None


def test_deactivated_user_cannot_log_in_even_with_the_right_password(staff):
    users.deactivate_user(staff["management"], staff["commercial"].id)
    _refusal("bill@epic.test", PASSWORD)
    users.activate_user(staff["management"], staff["commercial"].id)
    assert auth.login("bill@epic.test", PASSWORD).id == staff["commercial"].id


def test_the_production_cost_hashes_and_verifies(monkeypatch, tmp_path):
    """The suite hashes at cost 4 for speed; the shipped default is checked here, once."""
    from epicshell.config import DEFAULT_BCRYPT_ROUNDS, load_settings

    monkeypatch.delenv("EPICSHELL_BCRYPT_ROUNDS", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file around
    assert load_settings(f"sqlite:///{tmp_path / 'unused.db'}").bcrypt_rounds == DEFAULT_BCRYPT_ROUNDS >= 12
    security.set_bcrypt_rounds(DEFAULT_BCRYPT_ROUNDS)
    try:
        hashed = security.hash_password(PASSWORD)
    finally:
        security.set_bcrypt_rounds(TEST_ROUNDS)
    assert security.hash_rounds(hashed) == DEFAULT_BCRYPT_ROUNDS
    assert security.verify_password(PASSWORD, hashed)
    assert not security.verify_password(WRONG, hashed)


@pytest.fixture
def higher_cost():
    security.set_bcrypt_rounds(TEST_ROUNDS + 1)
    yield TEST_ROUNDS + 1
    security.set_bcrypt_rounds(TEST_ROUNDS)


def test_login_upgrades_a_hash_made_with_a_lower_cost(staff, higher_cost):
    before = _row("bill@epic.test")
    assert security.hash_rounds(before.password_hash) == TEST_ROUNDS
    auth.login("bill@epic.test", PASSWORD)
    after = _row("bill@epic.test")
    assert security.hash_rounds(after.password_hash) == higher_cost
    assert security.verify_password(PASSWORD, after.password_hash)
    assert after.session_version == before.session_version  # not a password change
    assert auth.login("bill@epic.test", PASSWORD).id == before.id


def test_a_failed_login_does_not_upgrade_the_hash(staff, higher_cost):
    before = _row("bill@epic.test").password_hash
    _refusal("bill@epic.test", WRONG)
    assert _row("bill@epic.test").password_hash == before


def test_setup_only_while_no_user_exists(db):
    assert auth.needs_setup()
    with pytest.raises(ValidationError):
        auth.setup_first_user("ana@epic.test", "Ana Lopez", "M001", "password1234")
    assert auth.needs_setup()
    ana = auth.setup_first_user("Ana@Epic.Test", "Ana Lopez", "M001", PASSWORD)
    stored = User.get_by_id(ana.id)
    assert (stored.email, stored.department, stored.active) == ("ana@epic.test", "management", True)
    assert not auth.needs_setup()
    with pytest.raises(EpicError, match="no user"):
        auth.setup_first_user("eve@epic.test", "Eve Evil", "M666", "a fine long passphrase")
    assert User.select().count() == 1
    assert auth.login("ana@epic.test", PASSWORD).id == ana.id


def test_setup_is_refused_even_when_the_only_user_is_deactivated(staff):
    for key in ("commercial", "commercial2", "support", "support2"):
        users.delete_user(staff["management"], staff[key].id)
    User.update(active=False).execute()
    with pytest.raises(EpicError):
        auth.setup_first_user("eve@epic.test", "Eve Evil", "M666", "a fine long passphrase")
    assert User.select().count() == 1


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _session(clock=None) -> Session:
    return Session("test-secret", lifetime=8 * 3600, idle=30 * 60, clock=clock or Clock())


def test_session_ends_when_the_user_is_deactivated(staff):
    session = _session()
    session.login("bill@epic.test", PASSWORD)
    assert session.current_user().id == staff["commercial"].id
    users.deactivate_user(staff["management"], staff["commercial"].id)
    with pytest.raises(SessionEnded, match="deactivated"):
        session.current_user()
    assert not session.active


def test_session_ends_when_the_password_is_reset(staff):
    session = _session()
    session.login("sue@epic.test", PASSWORD)
    users.reset_password(staff["management"], staff["support"].id, new="violet-harbour-9107")
    with pytest.raises(SessionEnded):
        session.current_user()


def test_session_expires_when_idle_and_after_its_lifetime(staff):
    clock = Clock()
    session = _session(clock)
    session.login("sue@epic.test", PASSWORD)
    clock.now += 29 * 60
    assert session.current_user().id == staff["support"].id  # activity refreshes the idle timer
    clock.now += 29 * 60
    assert session.current_user().id == staff["support"].id
    clock.now += 31 * 60
    with pytest.raises(SessionEnded, match="inactivity"):
        session.current_user()
    session.login("sue@epic.test", PASSWORD)
    for _ in range(17):  # stay active, but for more than eight hours in all
        clock.now += 29 * 60
        try:
            session.current_user()
        except SessionEnded as ended:
            assert "expired" in str(ended)
            break
    else:
        pytest.fail("the session outlived its absolute lifetime")
