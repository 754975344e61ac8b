"""Login, lockout and first-run setup.

Every failure (unknown email, wrong password, locked or deactivated account) raises
the same AuthenticationError, and an unknown email still costs one bcrypt check, so
neither the message nor the timing tells which emails exist. Failures are counted in
the database: several shells on several machines share one lockout.
"""
from __future__ import annotations

from datetime import timedelta

from peewee import Case

from ..errors import AuthenticationError, EpicError
from ..models import User, database, utcnow
from ..safetext import has_control
from ..security import bcrypt_rounds, dummy_hash, hash_password, hash_rounds, verify_password
from ..validation import check_password, parse_email, parse_employee_number, parse_name
from .base import audit, mutation, name_key, notify

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


def login(email: str, password: str) -> User:
    """Return the user for EMAIL and PASSWORD, or raise AuthenticationError.

    The attempt is counted before the password is checked, by one conditional UPDATE
    that only succeeds while the account has attempts left: parallel tries (several
    shells, several machines) can never check more than MAX_FAILURES passwords per
    window. A refused attempt still costs one bcrypt check at the stored hash's cost.
    """
    key = (email or "").strip().lower()
    user = User.get_or_none(User.email == key) if key and not has_control(key) else None
    if user is None:
        verify_password(password or "", dummy_hash())
        notify("login.failed", reason="unknown")
        raise AuthenticationError()
    now = utcnow()
    if not _claim_attempt(user.id, now):
        verify_password(password or "", dummy_hash(hash_rounds(user.password_hash)))
        notify("login.failed", user_id=user.id, reason="locked")
        raise AuthenticationError()
    if not verify_password(password or "", user.password_hash) or not user.active:
        _lock_if_exhausted(user.id, now)
        notify("login.failed", user_id=user.id, reason="refused")
        raise AuthenticationError()
    _record_success(user, password)
    return user


def _claim_attempt(user_id: int, now) -> bool:
    """Count one attempt, atomically; False when the account is locked or out of attempts."""
    cutoff = now - FAILURE_WINDOW
    window_over = User.first_failure_at.is_null() | (User.first_failure_at < cutoff)
    with database.atomic():
        claimed = (User.update({
            User.failed_logins: Case(None, [(window_over, 1)], User.failed_logins + 1),
            User.first_failure_at: Case(None, [(window_over, now)], User.first_failure_at),
        }).where((User.id == user_id)
                 & (User.locked_until.is_null() | (User.locked_until <= now))
                 & (window_over | (User.failed_logins < MAX_FAILURES)))
            .execute())
    return claimed == 1


def _lock_if_exhausted(user_id: int, now) -> None:
    """After a failed check: the attempt that used the last one locks the account."""
    with mutation():
        locked = (User.update({User.locked_until: now + LOCK_DURATION, User.failed_logins: 0,
                               User.first_failure_at: None})
                  .where((User.id == user_id) & (User.failed_logins >= MAX_FAILURES))
                  .execute())
        if locked:
            audit(None, "lock", "user", user_id, {"locked_until": (None, now + LOCK_DURATION)})
            notify("login.locked", user_id=user_id)


def _record_success(user: User, password: str) -> None:
    values = {User.failed_logins: 0, User.first_failure_at: None, User.locked_until: None}
    if hash_rounds(user.password_hash) != bcrypt_rounds():
        # The configured cost changed since this hash was made: re-hash now that we hold
        # the plain password, so every account costs the same to check (and an unknown
        # email, checked against a hash of the configured cost, takes as long). Not a
        # password change: sessions stay valid.
        values[User.password_hash] = hash_password(password)
    with database.atomic():
        User.update(values).where(User.id == user.id).execute()


def needs_setup() -> bool:
    """True while the database has no user at all (first run)."""
    return not User.select().exists()


def setup_first_user(email: str, full_name: str, employee_number: str, password: str) -> User:
    """Create the first management account; refused once any user exists."""
    email = parse_email(email)
    full_name = parse_name(full_name)
    employee_number = parse_employee_number(employee_number)
    check_password(password, email)
    with mutation():
        if getattr(database.obj, "for_update", False):
            # PostgreSQL: two first runs at once must not both see an empty table.
            database.execute_sql('LOCK TABLE "user" IN EXCLUSIVE MODE')
        if User.select().exists():
            raise EpicError("setup is only possible while the database has no user; log in instead")
        user = User.create(
            email=email,
            full_name=full_name,
            name_key=name_key(full_name),
            search_text=_search_text(full_name, email),
            employee_number=employee_number,
            department="management",
            password_hash=hash_password(password),
        )
        audit(user, "create", "user", user.id, {
            "email": (None, email), "full_name": (None, full_name),
            "department": (None, "management"), "employee_number": (None, employee_number),
        })
        notify("user.created", user_id=user.id, department="management", actor_id=user.id)
    return user


def _search_text(full_name: str, email: str) -> str:
    """The first user's search text; search is imported here, off the start-up path of
    every command that logs in."""
    from .search import user_text

    return user_text(full_name, email)
