"""Failures of the world, not of the program: a full disk, a read-only database, a lost
connection, a closed output pipe. Each gets a one-line message naming what happened,
instead of "unexpected error": the user can act on it, and there is no bug to report.

The driver's own error codes decide (SQLite's result codes, PostgreSQL's SQLSTATE, errno),
never the wording of a message, which changes with versions and languages.
"""
from __future__ import annotations

import errno

# SQLite primary result codes (the low byte of an extended code).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8
SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 10, 13, 14

DISK_FULL = "the disk holding the database is full: nothing was saved; free some space and " \
            "run the command again"
READ_ONLY = "the database is read-only (file permissions, a read-only disk or a standby " \
            "server): nothing was saved"
BUSY = "the database is busy (another session holds a lock): nothing was saved; run the " \
       "command again"
IO_ERROR = "the database file could not be read or written (disk error): nothing was saved"
CONNECTION_LOST = "the database connection was lost and has been re-opened: check whether " \
                  "the command took effect, then run it again"
CONNECTION_DOWN = "the database connection was lost and the database cannot be reached " \
                  "now; try again later"

_SQLITE_MESSAGES = {SQLITE_FULL: DISK_FULL, SQLITE_READONLY: READ_ONLY, SQLITE_BUSY: BUSY,
                    SQLITE_LOCKED: BUSY, SQLITE_IOERR: IO_ERROR, SQLITE_CANTOPEN: IO_ERROR}
_SQLSTATE_MESSAGES = {"53100": DISK_FULL, "25006": READ_ONLY, "55P03": BUSY,
                      "40001": BUSY, "40P01": BUSY}
_ERRNO_MESSAGES = {errno.ENOSPC: DISK_FULL, errno.EROFS: READ_ONLY, errno.EDQUOT: DISK_FULL}


class OutputClosed(Exception):
    """Standard output was closed by its reader (`epicshell -c … | head -1`): stop quietly."""


def _causes(exc: BaseException):
    """EXC and what it wraps: peewee re-raises the driver's error as its first argument."""
    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        first = current.args[0] if getattr(current, "args", None) else None
        todo.extend([first if isinstance(first, BaseException) else None,
                     current.__cause__, current.__context__])


def world_failure(exc: BaseException) -> str | None:
    """The message for a failure of the disk, the file or the server; None for anything else."""
    for cause in _causes(exc):
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_MESSAGES:
            return _SQLITE_MESSAGES[code & 0xFF]
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state in _SQLSTATE_MESSAGES:
            return _SQLSTATE_MESSAGES[state]
        if isinstance(cause, OSError) and cause.errno in _ERRNO_MESSAGES:
            return _ERRNO_MESSAGES[cause.errno]
    return None


def connection_lost(exc: BaseException) -> bool:
    """Did EXC come from a database connection that is now dead (server restart, idle kill)?

    Only a connection-level error on a connection that really is closed or broken counts:
    a full disk or a constraint error leaves the connection usable, and is not "lost".
    """
    from peewee import InterfaceError, OperationalError

    from .models import database

    if not isinstance(exc, (InterfaceError, OperationalError)) or database.obj is None:
        return False
    state = getattr(database.obj, "_state", None)
    conn = getattr(state, "conn", None)
    if conn is None:
        return isinstance(exc, InterfaceError)
    return bool(getattr(conn, "closed", False) or getattr(conn, "broken", False))


def reopened(exc: BaseException) -> str | None:
    """After a lost connection, open a new one for the next command; the message to show.

    The failed command is not retried (it may have been a write whose fate is unknown).
    """
    if not connection_lost(exc):
        return None
    from .db import reopen_connection

    return CONNECTION_LOST if reopen_connection() else CONNECTION_DOWN
