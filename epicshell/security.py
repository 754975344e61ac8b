"""bcrypt password hashes and itsdangerous session tokens.

The session token is re-signed on every command: its itsdangerous timestamp is
therefore the time of last activity (checked against the idle timeout), and the
login time inside the payload is checked against the absolute lifetime.
"""
from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from functools import lru_cache

import bcrypt
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import SessionEnded, ValidationError

SESSION_SALT = "epicshell.session.v1"
_rounds = 12


def set_bcrypt_rounds(rounds: int) -> None:
    """Set the cost of new hashes (from EPICSHELL_BCRYPT_ROUNDS; tests use 4)."""
    global _rounds
    _rounds = rounds


def bcrypt_rounds() -> int:
    return _rounds


def hash_password(password: str) -> str:
    if _reused is not None and password in _reused:
        return _reused[password]
    try:
        hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(_rounds)).decode("ascii")
    except ValueError:  # bcrypt 5 refuses more than 72 bytes instead of truncating
        raise ValidationError("password", "must be at most 72 bytes in UTF-8") from None
    if _reused is not None:
        _reused[password] = hashed
    return hashed


_reused: dict[str, str] | None = None


@contextlib.contextmanager
def reusing_hashes():
    """Within the block, one hash per distinct password (and one bcrypt cost to pay).

    Only for loading demo data, whose passwords are public by design: a shared salt
    reveals nothing there, and demo start-up stays fast at the configured cost.
    """
    global _reused
    _reused = {}
    try:
        yield
    finally:
        _reused = None


def verify_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def hash_rounds(hashed: str) -> int:
    """The cost factor stored in a `$2b$12$...` hash (0 if unreadable)."""
    try:
        return int(hashed.split("$")[2])
    except (IndexError, ValueError):
        return 0


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A hash to check against when the email is unknown, so timing reveals nothing."""
    return bcrypt.hashpw(b"no such user, but take as long as a real check", bcrypt.gensalt(rounds)).decode()


def dummy_hash(rounds: int | None = None) -> str:
    """A hash of ROUNDS' cost (default: the configured one) that no password matches."""
    return _dummy_hash(rounds if rounds and 4 <= rounds <= 31 else _rounds)


class _ClockedSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer whose signer reads time from an injectable clock (for tests)."""

    def __init__(self, secret: str, clock: Callable[[], float]):
        clock_fn = clock

        from itsdangerous import TimestampSigner

        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock_fn())

        super().__init__(
            secret,
            salt=SESSION_SALT,
            signer=ClockedSigner,
            signer_kwargs={"digest_method": hashlib.sha256},
        )


class SessionTokens:
    """Issue and check session tokens for one shell process."""

    def __init__(self, secret: str, lifetime: int, idle: int, clock: Callable[[], float] = time.time):
        self.lifetime = lifetime
        self.idle = idle
        self.clock = clock
        self._serializer = _ClockedSerializer(secret, clock)

    def issue(self, user_id: int, session_version: int, login_at: float | None = None) -> str:
        payload = {"uid": user_id, "sv": session_version, "login": int(login_at or self.clock())}
        return self._serializer.dumps(payload)

    def check(self, token: str) -> dict:
        """Return the payload, or raise SessionEnded saying why the session is over."""
        try:
            payload = self._serializer.loads(token, max_age=self.idle)
        except SignatureExpired:
            raise SessionEnded("session expired after inactivity; log in again") from None
        except BadSignature:
            raise SessionEnded("session is not valid; log in again") from None
        if self.clock() - payload["login"] > self.lifetime:
            raise SessionEnded("session expired; log in again")
        return payload

    def refresh(self, token: str) -> str:
        """Record activity: the same payload signed now."""
        payload = self.check(token)
        return self._serializer.dumps(payload)

    def read_unchecked(self, token: str) -> tuple[dict, float]:
        """Payload and last-activity time of a token this process issued, without expiry checks
        (for displaying how long is left; never for deciding access)."""
        payload, signed_at = self._serializer.loads(token, return_timestamp=True)
        return payload, signed_at.timestamp()

    def expires_at(self, payload: dict) -> float:
        return payload["login"] + self.lifetime
