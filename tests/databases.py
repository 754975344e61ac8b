"""Fresh test databases in milliseconds: migrate once per session, copy per test.

Every test still gets a database of its own in a known state; what is saved is the
work of reaching that state. The schema comes from whatever migrations exist when the
session starts (nothing is kept between runs), and each *seed* (a named set of rows,
e.g. the `staff` accounts) is built once per session through the real services, then
restored for every test that asks for it.

- SQLite: one file per seed in a session folder, copied to the test's folder (0600).
- PostgreSQL: one database per pytest-xdist worker (`<name>_gw0`, …, named after the
  configured database so that parallel checkouts never collide). Its schema is rebuilt
  at session start; before each test every table's rows are replaced by the seed's and
  the sequences set back, in one transaction (a few milliseconds here, where copying a
  database with CREATE DATABASE … TEMPLATE and dropping it costs 60 ms to seconds).
  When a test changed the schema (dropped a table, ran a migration down), the schema
  is rebuilt before the next test.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from epicshell.db import close_database, open_database
from epicshell.models import database

# Shape of the public schema: tables, indexes, sequences with each column's type, then
# triggers and functions (a test may install a failing trigger to provoke an error).
_SCHEMA_QUERY = """
SELECT c.relname, c.relkind::text, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i', 'S', 'v', 'm')
UNION ALL
SELECT t.tgname, 'trigger', t.tgrelid::regclass::text, NULL FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT p.proname, 'function', pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
ORDER BY 1, 2, 3, 4
"""
_FOREIGN_KEYS = """
SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'public'::regnamespace
"""
# Tables whose rows the triggers write from other tables' rows: restoring those rows
# restores them (restoring them as well would count every amount twice).
TRIGGER_KEPT = ("revenue_hour", "contract_day")
_SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"


def worker_url(url: str, worker: str | None) -> str:
    """The database of one xdist worker: the configured name + `_gw0` (itself when serial)."""
    if not worker or not url.startswith(("postgres://", "postgresql://")):
        return url
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name.endswith(f"_{worker}"):
        return url
    return urlunsplit(parts._replace(path=f"/{name}_{worker}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def create_database(url: str, via: str) -> None:
    """Create the PostgreSQL database of URL unless it exists, connected through VIA."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(via, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def empty_postgres(url: str, via: str) -> None:
    """The database of URL, created if missing, with an empty public schema."""
    import psycopg

    create_database(url, via)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _with_database(url: str, work) -> dict:
    """Open URL bound to the models, run WORK(), close; returns what WORK returned."""
    open_database(url)
    try:
        return work()
    finally:
        close_database()
        database.initialize(None)


class SqliteSeeds:
    """One migrated SQLite file per seed; a test gets a copy of one."""

    def __init__(self, folder: Path, seeds: dict):
        self.folder = folder
        self.seeds = seeds
        self.files: dict[str, tuple[Path, dict]] = {}

    def _seed(self, name: str) -> tuple[Path, dict]:
        if name not in self.files:
            path = self.folder / f"{name}.db"
            if name == "empty":
                _with_database(f"sqlite:///{path}", lambda: None)
                meta: dict = {}
            else:
                parent, build = self.seeds[name]
                parent_path, parent_meta = self._seed(parent)
                shutil.copyfile(parent_path, path)
                meta = _with_database(f"sqlite:///{path}", lambda: build(parent_meta))
            self.files[name] = (path, meta)
        return self.files[name]

    def fresh(self, name: str, folder: Path) -> tuple[str, dict]:
        source, meta = self._seed(name)
        target = folder / "epicevents.db"
        shutil.copyfile(source, target)
        os.chmod(target, 0o600)
        return f"sqlite:///{target}", meta


class PostgresSeeds:
    """One PostgreSQL database for this process, reset to a seed before each test."""

    def __init__(self, url: str, configured_url: str, seeds: dict):
        self.url = url
        self.configured_url = configured_url  # the database named by the user, which exists
        self.seeds = seeds
        self._conn = None
        create_database(url, configured_url)
        with self._connect(autocommit=True) as conn:
            # Test data need not survive a server crash: commits skip the wait for the disk.
            # (Only the database's owner may say so; the tests are merely slower otherwise.)
            name = urlsplit(self.url).path.lstrip("/")
            with contextlib.suppress(Exception):
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        self.rows: dict[str, tuple[dict, dict, dict]] = {}
        self._rebuild()

    def _connect(self, **kwargs):
        import psycopg

        return psycopg.connect(self.url, **kwargs)

    def _admin(self):
        """The one connection restoring seeds (opened again if a test killed it)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._connect(autocommit=True)
            self._conn.execute("SET synchronous_commit = off")
        return self._conn

    def _rebuild(self) -> None:
        """An empty public schema, then every migration; remember its shape and order."""
        empty_postgres(self.url, self.configured_url)
        _with_database(self.url, lambda: None)
        with self._connect() as conn:
            self.schema = conn.execute(_SCHEMA_QUERY).fetchall()
            self.tables = _insert_order(conn)
            self.rows["empty"] = (_capture(conn, self.tables), _sequences(conn), {})
        self.rows = {"empty": self.rows["empty"]}  # seeds of an older schema are void

    def _seed(self, name: str) -> tuple[dict, dict, dict]:
        if name not in self.rows:
            parent, build = self.seeds[name]
            _parent_rows, _parent_seq, parent_meta = self._seed(parent)
            self._restore(parent)
            meta = _with_database(self.url, lambda: build(parent_meta))
            with self._connect() as conn:
                self.rows[name] = (_capture(conn, self.tables), _sequences(conn), meta)
        return self.rows[name]

    def _restore(self, name: str) -> None:
        rows, sequences, _meta = self.rows[name]
        conn = self._admin()
        with conn.transaction():
            for table in (*reversed(self.tables), *TRIGGER_KEPT):
                conn.execute(f'DELETE FROM "{table}"')  # kept tables: after their sources
            for table in self.tables:
                columns, values = rows[table]
                if values and table not in TRIGGER_KEPT:
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    conn.cursor().executemany(
                        f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)
            for sequence, last in _sequences(conn).items():
                if sequences.get(sequence) is not None:
                    conn.execute("SELECT setval(%s, %s, true)", (sequence, sequences[sequence]))
                elif last is not None:
                    conn.execute("SELECT setval(%s, 1, false)", (sequence,))

    def fresh(self, name: str) -> tuple[str, dict]:
        try:
            changed = self._admin().execute(_SCHEMA_QUERY).fetchall() != self.schema
        except Exception:  # a test ended this connection (pg_terminate_backend): open anew
            self._conn = None
            changed = self._admin().execute(_SCHEMA_QUERY).fetchall() != self.schema
        if changed:  # the last test altered the schema: start again from the migrations
            self._rebuild()
        meta = self._seed(name)[2]
        self._restore(name)
        return self.url, meta


def _insert_order(conn) -> list[str]:
    """Every table, each after the tables it references (delete in the reverse order)."""
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    needs: dict[str, set] = {t: set() for t in tables}
    for child, parent in conn.execute(_FOREIGN_KEYS):
        child, parent = child.strip('"'), parent.strip('"')
        if child != parent and child in needs:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, parents in needs.items() if not parents - set(ordered))
        if not ready:  # a cycle: keep the rest in name order (DELETE would then fail loudly)
            ready = sorted(needs)
        ordered.extend(ready)
        for table in ready:
            del needs[table]
    return ordered


def _capture(conn, tables: list[str]) -> dict:
    captured = {}
    for table in tables:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        captured[table] = ([c.name for c in cursor.description], cursor.fetchall())
    return captured


def _sequences(conn) -> dict:
    return dict(conn.execute(_SEQUENCES).fetchall())


class Databases:
    """The session's seeds of both backends, built on first use."""

    def __init__(self, folder: Path, postgres_url: str | None, configured_url: str | None,
                 seeds: dict):
        self.sqlite = SqliteSeeds(folder, seeds)
        self.postgres_url = postgres_url
        self.configured_url = configured_url
        self.seeds = seeds
        self._postgres: PostgresSeeds | None = None

    def fresh(self, backend: str, seed: str, folder: Path) -> tuple[str, dict]:
        """A URL to a database of BACKEND holding exactly SEED, and the seed's facts."""
        if backend == "sqlite":
            return self.sqlite.fresh(seed, folder)
        if self._postgres is None:
            self._postgres = PostgresSeeds(self.postgres_url, self.configured_url, self.seeds)
        return self._postgres.fresh(seed)

    def close(self) -> None:
        if self._postgres is not None and self._postgres._conn is not None:
            self._postgres._conn.close()
