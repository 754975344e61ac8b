"""The authenticated session of one shell process, held in memory only.

It stores nothing but a signed token (user id, session version, login time). Before
every command `current_user()` checks the token's signature, idle and absolute expiry,
then reloads the user: a deactivated account or a bumped session version (password
changed or reset, department changed) ends the session there and then.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import NotLoggedIn, SessionEnded
from ..models import User
from ..security import SessionTokens
from . import auth
from .shapes import Shape

# Run before every command: composed once, then only executed.
_USER = Shape(lambda user_id: User.select().where(User.id == user_id).limit(1))


class Session:
    def __init__(self, secret: str, lifetime: int, idle: int, clock: Callable[[], float] = time.time):
        self.tokens = SessionTokens(secret, lifetime, idle, clock)
        self.clock = clock
        self._token: str | None = None
        self.user: User | None = None  # as of the last check; for the prompt and toolbar only

    @property
    def active(self) -> bool:
        return self._token is not None

    def login(self, email: str, password: str) -> User:
        user = auth.login(email, password)
        self.start(user)
        return user

    def start(self, user: User) -> None:
        self._token = self.tokens.issue(user.id, user.session_version)
        self.user = user

    def logout(self) -> None:
        self._token = None
        self.user = None

    def current_user(self, *, touch: bool = True) -> User:
        """The logged-in user, reloaded; raises NotLoggedIn or SessionEnded (and logs out).

        TOUCH records activity (the idle timer starts again): the shell passes False for
        what only looks at the session (`status`, `help`, completion, the toolbar).
        """
        if self._token is None:
            raise NotLoggedIn()
        try:
            payload = self.tokens.check(self._token)
            user = _USER.first(payload["uid"])
            if user is None or not user.active:
                raise SessionEnded("your account was deactivated or removed; session ended")
            if user.session_version != payload["sv"]:
                raise SessionEnded("your password or department changed; log in again")
        except SessionEnded:
            self.logout()
            raise
        if touch:
            self._token = self.tokens.refresh(self._token, payload)
        self.user = user
        return user

    def times(self) -> dict | None:
        """When the session ends absolutely and through inactivity (epoch seconds)."""
        if self._token is None:
            return None
        payload, last_activity = self.tokens.read_unchecked(self._token)
        return {"expires_at": self.tokens.expires_at(payload),
                "idle_expires_at": last_activity + self.tokens.idle,
                "idle": self.tokens.idle}

    @property
    def token(self) -> str | None:
        """The opaque signed token (tests check it never leaves the process)."""
        return self._token
