"""The error log: the traceback of every unexpected error, under the id the user was shown.

With or without Sentry, an "unexpected error (id 1a2b3c4d)" is written to
`$XDG_STATE_HOME/epicshell/errors.log` (default `~/.local/state/epicshell/errors.log`),
as pgcli keeps its log: folder 0700, file 0600, rotated at 1 MB with 3 old files kept
(logging.handlers.RotatingFileHandler). What is written is built, not copied: the
exception types, the stack frames (file, line, function, source line; never the local
variables) and each exception's message scrubbed by the same rules as monitoring
(emails, phone numbers, bcrypt hashes, URL credentials, the database password, the
session token, the login password from the environment, and every quoted SQL value).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import traceback
from datetime import datetime, timezone
from pathlib import Path

from . import __version__

LOG_FILE = "errors.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
_QUOTED_VALUE = re.compile(r"'(?:[^']|'')*'")  # SQL literals may hold any stored value


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "epicshell"


def log_path() -> Path:
    return state_dir() / LOG_FILE


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (the live one and each new one) are created 0600."""

    failed = False

    def handleError(self, record) -> None:
        """Remember the failure instead of printing logging's own traceback on stderr."""
        self.failed = True

    def _open(self):
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.chmod(self.baseFilename, 0o600)  # tighten a file made by hand or another version
        return open(fd, self.mode, encoding=self.encoding, errors="backslashreplace")


def _handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    handler = _PrivateRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT,
                                      encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def _chain(exc: BaseException) -> list[BaseException]:
    """EXC and the exceptions it was raised from or during, oldest first (as Python prints)."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain[::-1]


def scrub_message(text: str, secrets=()) -> str:
    """TEXT without secrets, contact details or quoted values."""
    from .monitoring import scrub_text

    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[secret]")
    return scrub_text(_QUOTED_VALUE.sub("'[value]'", text))


def format_entry(exc: BaseException, error_id: str, *, command: str | None = None,
                 secrets=()) -> str:
    """The log entry of EXC: a header line, then each traceback with scrubbed messages."""
    at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"=== {at} error {error_id} command={command or '-'} epicshell {__version__}"]
    for number, current in enumerate(_chain(exc)):
        if number:
            lines.append("During the handling of the above, another error occurred:")
        lines.append("Traceback (most recent call last):")
        frames = traceback.extract_tb(current.__traceback__)
        lines.extend(line.rstrip("\n") for line in traceback.format_list(frames))
        kind = type(current)
        message = scrub_message(str(current), secrets)
        lines.append(f"{kind.__module__}.{kind.__qualname__}: {message}".rstrip(": "))
    return "\n".join(lines)


class ErrorLog:
    """Write unexpected errors to PATH (default: the state directory)."""

    def __init__(self, path: Path | None = None):
        self.path = path or log_path()
        self._logger: logging.Logger | None = None

    def _get_logger(self) -> logging.Logger:
        if self._logger is None:
            logger = logging.getLogger(f"epicshell.errors.{id(self)}")
            logger.propagate = False
            logger.setLevel(logging.ERROR)
            logger.addHandler(_handler(self.path))
            self._logger = logger
        return self._logger

    def record(self, exc: BaseException, error_id: str, *, command: str | None = None,
               secrets=()) -> bool:
        """Log EXC under ERROR_ID; False when the log cannot be written (full or read-only disk)."""
        try:
            entry = format_entry(exc, error_id, command=command, secrets=secrets)
            logger = self._get_logger()
            handler = logger.handlers[0]
            handler.failed = False
            handler.emit(logging.makeLogRecord({"msg": entry, "levelno": logging.ERROR,
                                                "levelname": "ERROR"}))
            handler.flush()
            return not handler.failed
        except Exception:  # the log must never turn one error into two
            return False

    def close(self) -> None:
        if self._logger is not None:
            for handler in list(self._logger.handlers):
                handler.close()
                self._logger.removeHandler(handler)
            self._logger = None

    def shown_path(self) -> str:
        """The log's path as the user would type it (~ for the home folder)."""
        home = str(Path.home())
        text = str(self.path)
        return "~" + text[len(home):] if text.startswith(home + os.sep) else text
