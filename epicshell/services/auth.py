"""Login, lockout and first-run setup.

Every failure (unknown email, wrong password, locked or deactivated account) raises
the same AuthenticationError, and an unknown email still costs one bcrypt check, so
neither the message nor the timing tells which emails exist. Failures are counted in
the database: several shells on several machines share one lockout.
"""
from __future__ import annotations

from datetime import timedelta

from ..errors import AuthenticationError, EpicError
from ..models import User, database, utcnow
from ..security import bcrypt_rounds, dummy_hash, hash_password, hash_rounds, verify_password
from ..validation import check_password, parse_email, parse_employee_number, parse_name
from .base import audit, get_or_404, mutation, name_key, notify

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


def login(email: str, password: str) -> User:
    """Return the user for EMAIL and PASSWORD, or raise AuthenticationError."""
    key = (email or "").strip().lower()
    user = User.get_or_none(User.email == key) if key else None
    if user is None:
        verify_password(password or "", dummy_hash())
        notify("login.failed", reason="unknown")
        raise AuthenticationError()
    now = utcnow()
    password_ok = verify_password(password or "", user.password_hash)
    locked = user.locked_until is not None and user.locked_until > now
    if locked or not user.active or not password_ok:
        if not password_ok and not locked:
            _record_failure(user.id, now)
        notify("login.failed", user_id=user.id, reason="locked" if locked else "refused")
        raise AuthenticationError()
    _record_success(user, password)
    return user


def _record_failure(user_id: int, now) -> None:
    """Count a failure in the database; the fifth within the window locks the account."""
    with mutation():
        # Locked (FOR UPDATE on PostgreSQL): parallel attempts must each be counted.
        user = get_or_404(User, user_id, "user", lock=True)
        if user.first_failure_at is None or now - user.first_failure_at > FAILURE_WINDOW:
            failures, first = 1, now
        else:
            failures, first = user.failed_logins + 1, user.first_failure_at
        values = {User.failed_logins: failures, User.first_failure_at: first}
        if failures >= MAX_FAILURES:
            values.update({User.locked_until: now + LOCK_DURATION, User.failed_logins: 0,
                           User.first_failure_at: None})
            audit(None, "lock", "user", user_id, {"locked_until": (None, now + LOCK_DURATION)})
            notify("login.locked", user_id=user_id)
        User.update(values).where(User.id == user_id).execute()


def _record_success(user: User, password: str) -> None:
    values = {}
    if user.failed_logins or user.first_failure_at or user.locked_until:
        values.update({User.failed_logins: 0, User.first_failure_at: None, User.locked_until: None})
    if hash_rounds(user.password_hash) < bcrypt_rounds():
        # The configured cost went up since this hash was made: upgrade it now that we
        # hold the plain password. Not a password change, so sessions stay valid.
        values[User.password_hash] = hash_password(password)
    if values:
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
