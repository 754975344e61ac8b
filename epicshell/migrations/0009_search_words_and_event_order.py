"""Search ranks big results from an index; event lists stop sorting equal start times.

- `search_word`: one row per (kind, word, first, name_key, record_id) of every search text
  (services.search_words), kept by triggers on user, client and event, so the first page
  of a search matching tens of thousands of rows reads a page of index entries.
- event indexes end with `id`: (start, id), (support_id, start, id), (commercial_id,
  start, id) replace (start), (support_id, start), (commercial_id, start). A list is
  "soonest first, then id"; on PostgreSQL an index without the id gives equal start
  times in heap order, and every event of the first instant was read and sorted.
"""
from peewee import SqliteDatabase

from epicshell.services.search_words import (
    POSTGRES_FUNCTION,
    TABLES,
    postgres_fill,
    sqlite_delete,
    sqlite_insert,
)

OLD_EVENT_INDEXES = ("event_start", "event_support_id_start", "event_commercial_id_start")
NEW_EVENT_INDEXES = (("start", "id"), ("support_id", "start", "id"),
                     ("commercial_id", "start", "id"))


def up(migrator, db):
    migrator.migrate(*(migrator.drop_index("event", name) for name in OLD_EVENT_INDEXES),
                     *(migrator.add_index("event", columns) for columns in NEW_EVENT_INDEXES))
    if isinstance(db, SqliteDatabase):
        _sqlite(db)
    else:
        _postgres(db)


def _sqlite(db) -> None:
    db.execute_sql("CREATE TABLE search_word (kind INTEGER NOT NULL, word TEXT NOT NULL, "
                   "first INTEGER NOT NULL, name_key VARCHAR(100) NOT NULL, "
                   "record_id INTEGER NOT NULL, "
                   "PRIMARY KEY (kind, first, word, name_key, record_id)) WITHOUT ROWID")
    live = "WHEN (SELECT paused FROM search_index_paused) = 0"
    for table in TABLES:
        db.execute_sql(f"{sqlite_insert(table, 't')} ORDER BY 1, 2, 3, 4, 5")
        add, remove = sqlite_insert(table, "new"), sqlite_delete(table)
        db.execute_sql(f'CREATE TRIGGER "{table}_words_insert" AFTER INSERT ON "{table}" '
                       f"{live} BEGIN {add}; END")
        db.execute_sql(f'CREATE TRIGGER "{table}_words_delete" AFTER DELETE ON "{table}" '
                       f"{live} BEGIN {remove}; END")
        db.execute_sql(f'CREATE TRIGGER "{table}_words_update" AFTER UPDATE OF search_text, '
                       f'name_key ON "{table}" {live} BEGIN {remove}; {add}; END')


def _postgres(db) -> None:
    db.execute_sql('CREATE TABLE search_word (kind SMALLINT NOT NULL, word TEXT COLLATE "C" '
                   "NOT NULL, first BOOLEAN NOT NULL, name_key VARCHAR(100) NOT NULL, "
                   "record_id INTEGER NOT NULL, "
                   "PRIMARY KEY (kind, first, word, name_key, record_id))")
    db.execute_sql(POSTGRES_FUNCTION)
    for table in TABLES:
        db.execute_sql(postgres_fill(table))
        db.execute_sql(f'CREATE TRIGGER "{table}_words" AFTER INSERT OR DELETE OR UPDATE OF '
                       f'search_text, name_key ON "{table}" FOR EACH ROW '
                       f"EXECUTE FUNCTION search_word_refresh('{TABLES[table]}')")
