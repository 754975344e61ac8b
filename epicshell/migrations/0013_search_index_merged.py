"""SQLite's FTS5 search indexes merged into one segment each, so a new record costs little.

Migration 0005 filled each trigram index with FTS5's 'rebuild', which leaves the existing
rows in segments that FTS5's automatic merging keeps rewriting, a little at every later
write: each `client create` then paid for merging work proportional to the size of the
index (20,000 clients: 0.5 ms of CPU per insert instead of 0.1 ms; 100,000: 1.6 ms
instead of 0.2 ms). 'optimize' merges every segment into one, once; later writes add
small segments that merge among themselves. The indexed text is unchanged (the same
rows, the same matches). PostgreSQL's GIN indexes need nothing.
"""
from peewee import SqliteDatabase

INDEXES = ("user_search", "client_search", "event_search")


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        for index in INDEXES:
            db.execute_sql(f"INSERT INTO \"{index}\"(\"{index}\") VALUES ('optimize')")
