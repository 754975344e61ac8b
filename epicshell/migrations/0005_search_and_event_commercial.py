"""Indexed, accent-insensitive search, and a commercial's events as one index range.

- `search_text` on user, client and event: the searched fields in the normal form of
  `epicshell.services.search` (folded, cut into words), filled here for existing rows.
  SQLite indexes it with an FTS5 `trigram` table per entity (`client_search`, …) kept
  in step with the column by triggers; PostgreSQL with a `pg_trgm` GIN index per table.
- `event.commercial_id`: a copy of the contract's commercial, indexed with `start`, so
  a commercial's `event mine` reads their events in start order from one index.
- contracts by (commercial, status, amount due): `contract unsigned --mine` and
  `contract unpaid --mine` read only the matching rows.

PostgreSQL needs the `pg_trgm` extension. A role that may not create it (it needs the
CREATE privilege on the database) stops here with the statement an owner must run.
"""
from peewee import ForeignKeyField, Model, SqliteDatabase, TextField

from epicshell.db import DatabaseUnavailable
from epicshell.services.search import client_text, event_text, user_text

SEARCHED = {
    "user": ('SELECT t.id, t.full_name, t.email FROM "user" t', user_text),
    "client": ("SELECT t.id, t.full_name, t.email, t.company FROM client t", client_text),
    "event": ("SELECT t.id, t.name, t.location, c.full_name FROM event t "
              "JOIN contract k ON k.id = t.contract_id JOIN client c ON c.id = k.client_id",
              event_text),
}
OWNER_STATEMENT = "CREATE EXTENSION pg_trgm;"
BATCH = 2000


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        *(migrator.add_column(table, "search_text", TextField(default="")) for table in SEARCHED),
        migrator.add_column("event", "commercial_id",
                            ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False,
                                            field=User._meta.primary_key)),
    )
    db.execute_sql("UPDATE event SET commercial_id = (SELECT k.commercial_id FROM contract k "
                   "WHERE k.id = event.contract_id)")
    migrator.migrate(
        migrator.add_not_null("event", "commercial_id"),
        migrator.add_index("event", ("commercial_id", "start")),
        migrator.add_index("contract", ("commercial_id", "status", "due_cents")),
    )
    for table, (select, text_of) in SEARCHED.items():
        _fill_search_text(db, table, select, text_of)
    if isinstance(db, SqliteDatabase):
        # One flag pauses the triggers for a bulk writer, in its own transaction only
        # (services.search.bulk_index indexes its new rows in one statement instead).
        db.execute_sql("CREATE TABLE search_index_paused (paused INTEGER NOT NULL)")
        db.execute_sql("INSERT INTO search_index_paused (paused) VALUES (0)")
        for table in SEARCHED:
            _sqlite_search_index(db, table)
    else:
        _require_pg_trgm(db)
        for table in SEARCHED:
            db.execute_sql(f'CREATE INDEX "{table}_search_text_trgm" ON "{table}" '
                           "USING gin (search_text gin_trgm_ops)")


def _fill_search_text(db, table: str, select: str, text_of) -> None:
    """Compute every row's search text in batches of BATCH ids."""
    last = 0
    while True:
        rows = db.execute_sql(f"{select} WHERE t.id > {db.param} ORDER BY t.id LIMIT {BATCH}",
                              (last,)).fetchall()
        if not rows:
            return
        cursor = db.cursor()
        cursor.executemany(f'UPDATE "{table}" SET search_text = {db.param} WHERE id = {db.param}',
                           [(text_of(*row[1:]), row[0]) for row in rows])
        last = rows[-1][0]


def _sqlite_search_index(db, table: str) -> None:
    """An FTS5 trigram index over TABLE.search_text, kept in step by triggers."""
    index = f"{table}_search"
    db.execute_sql(f'CREATE VIRTUAL TABLE "{index}" USING fts5(search_text, '
                   f"content='{table}', content_rowid='id', tokenize='trigram')")
    db.execute_sql(f"INSERT INTO \"{index}\"(\"{index}\") VALUES ('rebuild')")
    add = f'INSERT INTO "{index}"(rowid, search_text) VALUES (new.id, new.search_text);'
    remove = (f"INSERT INTO \"{index}\"(\"{index}\", rowid, search_text) "
              "VALUES ('delete', old.id, old.search_text);")
    live = "WHEN (SELECT paused FROM search_index_paused) = 0"
    db.execute_sql(f'CREATE TRIGGER "{index}_insert" AFTER INSERT ON "{table}" {live} '
                   f"BEGIN {add} END")
    db.execute_sql(f'CREATE TRIGGER "{index}_delete" AFTER DELETE ON "{table}" {live} '
                   f"BEGIN {remove} END")
    db.execute_sql(f'CREATE TRIGGER "{index}_update" AFTER UPDATE OF search_text ON "{table}" '
                   f"{live} BEGIN {remove} {add} END")


def _require_pg_trgm(db) -> None:
    """Create pg_trgm unless present; a role that may not stops with the owner's statement."""
    if db.execute_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone():
        return
    try:
        with db.atomic():  # a savepoint: the failure message below, not an aborted transaction
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # the driver's error class differs by version; all mean "cannot"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot upgrade the database: search needs the PostgreSQL extension pg_trgm "
            f"({reason}); a database owner must run: {OWNER_STATEMENT}") from None
