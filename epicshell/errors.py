"""The errors a user may meet: each one prints as a single line, never a traceback.

Anything that is not an `EpicError` is unexpected: it gets an error id and goes to
monitoring.
"""
from __future__ import annotations


class EpicError(Exception):
    """An expected failure whose message is safe and useful to show as it is."""

    prefix = "error"

    def __str__(self) -> str:
        return self.args[0] if self.args else self.prefix


class ValidationError(EpicError):
    """A value breaks a rule of commands.md §4/§5; `field` names the option at fault."""

    prefix = "invalid value"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PermissionDenied(EpicError):
    prefix = "permission denied"

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(f"permission denied: {reason}")
        self.reason = reason
        self.field = field  # the option or column at fault, when one is (an import row's)


class NotFound(EpicError):
    prefix = "not found"

    def __init__(self, entity: str, ident):
        super().__init__(f"{entity} {ident} not found")
        self.entity = entity
        self.ident = ident


class ConflictError(EpicError):
    prefix = "conflict"

    def __init__(self, entity: str, ident):
        super().__init__(
            f"{entity} {ident} was changed by someone else since you loaded it; "
            "view it again and retry"
        )


class AuthenticationError(EpicError):
    """One message for every login failure, so nobody can tell which emails exist."""

    def __init__(self):
        super().__init__("invalid email or password")


class NotLoggedIn(EpicError):
    def __init__(self, message: str = "not logged in: use `login EMAIL` first"):
        super().__init__(message)


class SessionEnded(EpicError):
    """The session expired or was revoked; the shell returns to the anonymous prompt."""


class UsageError(EpicError):
    """A command line that does not parse: unknown command, option or missing argument."""
