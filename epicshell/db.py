"""Open the database from a URL and bring its schema up to date.

SQLite is the embedded default (one person, one machine); PostgreSQL serves many
staff on many machines. Either way the schema is created and upgraded by the numbered
migrations in `epicshell/migrations`, recorded in the database itself, so upgrading
epicshell never needs a manual step.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from peewee import DatabaseError, SqliteDatabase

from .models import database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
    ("busy_timeout", 5000),
)


class DatabaseUnavailable(Exception):
    """The URL is malformed or the server cannot be reached (program exit status 2)."""


def mask_url(url: str) -> str:
    """The URL with any password (user:PASS@ or ?password=PASS) replaced by ***.

    A URL too malformed to parse (`postgresql://u:pw@[::1/db`) loses everything between
    `://` and its last `@`: nothing that might be a password is ever shown.
    """
    try:
        password = urlsplit(url).password
    except ValueError:
        url = re.sub(r"://[^/]*@", "://***@", url) if "@" in url else url
        password = None
    if password is not None:
        url = url.replace(f":{password}@", ":***@", 1)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def _prepare_sqlite_file(path: str) -> None:
    """Create the folder 0700 and the file 0600 before SQLite does (it would use the umask)."""
    if path in ("", ":memory:"):
        return
    from .config import data_dir, make_private_dirs, private_dir

    file = Path(path).expanduser()
    make_private_dirs(file.parent)
    if file.parent.resolve() == data_dir().resolve():
        private_dir(file.parent)  # epicshell's own folder: 0700 even if it existed before
    if not file.exists():
        fd = os.open(file, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_database(url: str):
    """Build (not connect) the peewee Database for URL; raise DatabaseUnavailable if bad."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port raises for a bad one (":54x2")
    except ValueError as exc:
        raise DatabaseUnavailable(f"bad database URL {mask_url(url)!r}: {exc}") from None
    if "\x00" in url:
        raise DatabaseUnavailable(f"bad database URL {mask_url(url)!r}: it holds a NUL byte")
    scheme = parts.scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise DatabaseUnavailable(
            f"unsupported database URL {mask_url(url)!r}: use sqlite:///path.db "
            "or postgresql://user:pass@host:5432/db"
        )
    try:
        if scheme == "sqlite":
            path = urlsplit(url).path[1:] if url.startswith("sqlite:///") else ""
            if not path:
                raise DatabaseUnavailable(f"no file in {url!r}: write sqlite:///path/to/file.db")
            _prepare_sqlite_file(path)
            # IMMEDIATE: a write transaction takes the lock when it begins, so the
            # read-check-write of a service cannot interleave with another shell's.
            if not urlsplit(url).query:
                # Built directly: importing playhouse.db_url costs every start several
                # milliseconds for SQLite extensions a plain file never uses.
                return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
            from playhouse import db_url

            return db_url.connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
        from playhouse import db_url

        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DatabaseUnavailable(
                "PostgreSQL needs a driver: pip install 'epicshell[postgres]'"
            ) from None
        return _without_parallel_workers(
            db_url.connect(url, unquote_password=True, unquote_user=True))
    except DatabaseUnavailable:
        raise
    except (ValueError, RuntimeError, OSError) as exc:
        raise DatabaseUnavailable(f"bad database URL {mask_url(url)!r}: {exc}") from None


# Set on every PostgreSQL connection of a shell, when it opens.
POSTGRES_SESSION = "SET max_parallel_workers_per_gather = 0"


def _without_parallel_workers(db):
    """DB, whose connections run each statement in their own server process.

    A shell's statements read an index range or a page: a parallel plan first starts
    worker processes, which costs more than the statement (a search's first page at a
    million events: 25 ms in a Gather instead of 1 ms), and with many staff at once the
    workers take the cores other shells are waiting for. Set per connection, not in the
    URL's `options`, which PgBouncer refuses.
    """
    initialize = db._initialize_connection

    def initialize_without_workers(conn):
        initialize(conn)
        conn.execute(POSTGRES_SESSION)

    db._initialize_connection = initialize_without_workers
    return db


MIGRATION_TABLE = "schema_migration"


def _pending(db) -> list[str] | None:
    """The migrations not yet recorded as applied, in order; None for a database without
    a migration record (new, or another program's).

    Asked at every start, so it is one small query and a directory listing; the
    migration runner (and the import of its machinery) is only needed when some are.
    """
    names = sorted(entry.name[:-3] for entry in os.scandir(MIGRATIONS_DIR)
                   if entry.name[:1].isdigit() and entry.name.endswith(".py"))
    if not db.table_exists(MIGRATION_TABLE):
        return None
    applied = {name for (name,) in db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}"')}
    return [name for name in names if name not in applied]


def migrate(db, announce: Callable[[list[str]], None] | None = None) -> list[str]:
    """Apply every pending migration; returns the names applied.

    ANNOUNCE is told the pending names before an existing database is upgraded, since a
    migration that rewrites a column of a million rows takes minutes (a new database is
    created in a moment and says nothing).
    """
    pending = _pending(db)
    if pending == []:
        return []
    _refuse_another_programs(db)
    if pending and announce is not None:
        announce(pending)
    from playhouse.migrations import Runner

    return Runner(db, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up()


class ForeignDatabase(DatabaseUnavailable):
    """The database holds another program's tables."""


def _refuse_another_programs(db) -> None:
    """A database with tables but no migration record was not made by epicshell: adding
    ours beside them (a `user` or `client` table may even be there already) would mix two
    programs' data. Only an empty database, or one epicshell made, is opened."""
    if db.table_exists(MIGRATION_TABLE):
        return
    tables = sorted(db.get_tables())
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise ForeignDatabase(f"it is not an epicshell database: it holds other tables "
                              f"({shown}); give an empty database or one epicshell made")


def open_database(url: str, *, upgrade: bool = True,
                  announce: Callable[[list[str]], None] | None = None):
    """Connect to URL, bind the models to it and upgrade the schema (see `migrate`)."""
    db = make_database(url)
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # driver errors differ per backend; all mean "cannot open"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot open database {mask_url(url)}: {first_line}"
        ) from None
    database.initialize(db)
    if upgrade:
        try:
            migrate(db, announce)
        except ForeignDatabase as exc:
            db.close()
            raise DatabaseUnavailable(f"cannot open database {mask_url(url)}: {exc}") from None
        except DatabaseError as exc:  # not a database at all ("file is not a database")
            db.close()
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DatabaseUnavailable(
                f"cannot open database {mask_url(url)}: {first_line}") from None
        if isinstance(db, SqliteDatabase):
            _ensure_sqlite_statistics(db)
    return db


def _ensure_sqlite_statistics(db) -> None:
    """Give SQLite's planner table statistics, if it has none yet.

    Without them SQLite guesses, and on large tables it guesses badly (a filtered list
    sorted in a temporary B-tree instead of read in id order: 700 ms instead of 1 ms on a
    million contracts). PostgreSQL keeps its own statistics (autovacuum).
    """
    has_table = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").fetchone()
    # Empty tables leave no rows: a new database is analysed again (instantly) until it has data.
    if not has_table or not db.execute_sql("SELECT 1 FROM sqlite_stat1 LIMIT 1").fetchone():
        db.execute_sql("ANALYZE")


def reopen_connection() -> bool:
    """Replace a broken connection with a new one; True if the new one answers."""
    db = database.obj
    if db is None:
        return False
    try:
        db.close()
    except Exception:  # the old connection is already dead; closing it may fail too
        if hasattr(db, "_state"):
            db._state.reset()
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
        return True
    except Exception:
        return False


def close_database() -> None:
    if database.obj is not None and not database.is_closed():
        if isinstance(database.obj, SqliteDatabase):
            # Refresh the planner's statistics for tables that grew a lot (SQLite's advice:
            # run before closing a long-lived connection; cheap when nothing changed). Only
            # a refinement: a read-only or full database is still closed cleanly.
            from peewee import DatabaseError

            try:
                database.execute_sql("PRAGMA optimize")
            except DatabaseError:
                pass
        database.close()


def database_label(url: str) -> str:
    """A short name for the toolbar and `status`: the file name or host/dbname."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return Path(parts.path).name or "sqlite"
    return f"{parts.hostname or 'localhost'}/{parts.path.lstrip('/')}"
