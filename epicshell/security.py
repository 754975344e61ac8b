"""bcrypt password hashes and itsdangerous session tokens.

The session token is re-signed on every command: its itsdangerous timestamp is
therefore the time of last activity (checked against the idle timeout), and the
login time inside the payload is checked against the absolute lifetime.

Signing and verifying cost more than the rest of a short command's session check, so
`SessionTokens` remembers the one token it last signed or verified, with its payload
and signing time. That token's signature is known good: checking it again only redoes
the two expiry comparisons, exactly as itsdangerous would. Re-signing within the same
second would give the very same token (the timestamp has whole seconds), so it is
skipped. Any other token (tampered, or issued elsewhere) is verified in full.
"""
from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from functools import lru_cache

import bcrypt

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


def _clocked_serializer(secret: str, clock: Callable[[], float]):
    """A URLSafeTimedSerializer whose signer reads time from an injectable clock (for tests).

    itsdangerous is imported here, at the first login, not when the program starts: a
    `-c status` or the prompt's first appearance never needs it.
    """
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret, salt=SESSION_SALT, signer=ClockedSigner,
                                  signer_kwargs={"digest_method": hashlib.sha256})


IDLE_EXPIRED = "session expired after inactivity; log in again"


def _signed_at(token: str) -> int:
    """The timestamp (epoch seconds) itsdangerous wrote into TOKEN, which we just signed."""
    from itsdangerous.encoding import base64_decode, bytes_to_int

    return bytes_to_int(base64_decode(token.rsplit(".", 2)[1]))


class SessionTokens:
    """Issue and check session tokens for one shell process."""

    def __init__(self, secret: str, lifetime: int, idle: int, clock: Callable[[], float] = time.time):
        self.lifetime = lifetime
        self.idle = idle
        self.clock = clock
        self._secret = secret
        self._signer = None
        self._known: tuple[str, dict, int] | None = None  # (token, payload, signed at)

    @property
    def _serializer(self):
        if self._signer is None:
            self._signer = _clocked_serializer(self._secret, self.clock)
        return self._signer

    def issue(self, user_id: int, session_version: int, login_at: float | None = None) -> str:
        payload = {"uid": user_id, "sv": session_version, "login": int(login_at or self.clock())}
        return self._sign(payload)

    def _sign(self, payload: dict) -> str:
        token = self._serializer.dumps(payload)
        self._known = (token, payload, _signed_at(token))
        return token

    def check(self, token: str) -> dict:
        """Return the payload, or raise SessionEnded saying why the session is over."""
        known = self._known
        if known is not None and known[0] == token:
            payload, signed_at = known[1], known[2]
            age = int(self.clock()) - signed_at  # itsdangerous' own rule, on its whole seconds
            if age > self.idle or age < 0:
                raise SessionEnded(IDLE_EXPIRED)
        else:
            payload = self._verify(token)
        if self.clock() - payload["login"] > self.lifetime:
            raise SessionEnded("session expired; log in again")
        return payload

    def _verify(self, token: str) -> dict:
        """The payload of TOKEN after itsdangerous checked its signature and idle age."""
        from itsdangerous import BadSignature, SignatureExpired

        try:
            payload, signed = self._serializer.loads(token, max_age=self.idle,
                                                     return_timestamp=True)
        except SignatureExpired:
            raise SessionEnded(IDLE_EXPIRED) from None
        except BadSignature:
            raise SessionEnded("session is not valid; log in again") from None
        self._known = (token, payload, int(signed.timestamp()))
        return payload

    def refresh(self, token: str, checked: dict | None = None) -> str:
        """Record activity: the same payload signed now (CHECKED: its payload, just checked)."""
        payload = checked if checked is not None else self.check(token)
        known = self._known
        if known is not None and known[0] == token and known[1] == payload \
                and known[2] == int(self.clock()):
            return token  # signed this very second: signing again gives the same token
        return self._sign(payload)

    def read_unchecked(self, token: str) -> tuple[dict, float]:
        """Payload and last-activity time of a token this process issued, without expiry checks
        (for displaying how long is left; never for deciding access)."""
        payload, signed_at = self._serializer.loads(token, return_timestamp=True)
        return payload, signed_at.timestamp()

    def expires_at(self, payload: dict) -> float:
        return payload["login"] + self.lifetime
