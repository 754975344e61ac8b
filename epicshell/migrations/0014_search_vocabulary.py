"""Search finds matches inside words from a vocabulary instead of walking every name.

`search_vocabulary` holds each distinct (kind, first, word) of `search_word`, with a
trigram index on the word (FTS5 `trigram` on SQLite, `pg_trgm` GIN on PostgreSQL). A
query matching inside words ("art": "Martin", "Party") finds the few words holding it
there, then reads each word's records in name order from the word index
(services.search_words). Triggers on `search_word` keep it exact: a word enters with its
first record and leaves with its last, so an erased name leaves nothing behind.
"""
from peewee import SqliteDatabase

from epicshell.services.search_words import (
    POSTGRES_VOCABULARY_FUNCTION,
    SQLITE_VOCABULARY_TRIGGERS,
    vocabulary_fill,
)


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql("CREATE TABLE search_vocabulary (id INTEGER PRIMARY KEY, "
                       "kind INTEGER NOT NULL, first INTEGER NOT NULL, word TEXT NOT NULL, "
                       "UNIQUE (kind, first, word))")
        db.execute_sql("CREATE VIRTUAL TABLE search_vocabulary_trigram USING fts5(word, "
                       "content='search_vocabulary', content_rowid='id', tokenize='trigram')")
        for statement in SQLITE_VOCABULARY_TRIGGERS:
            db.execute_sql(statement)
    else:
        db.execute_sql("CREATE TABLE search_vocabulary (kind SMALLINT NOT NULL, first BOOLEAN "
                       'NOT NULL, word TEXT COLLATE "C" NOT NULL, PRIMARY KEY (kind, first, word))')
        db.execute_sql("CREATE INDEX search_vocabulary_trgm ON search_vocabulary "
                       "USING gin (word gin_trgm_ops)")
        db.execute_sql(POSTGRES_VOCABULARY_FUNCTION)
        db.execute_sql("CREATE TRIGGER search_word_vocabulary AFTER INSERT OR DELETE ON "
                       "search_word FOR EACH ROW EXECUTE FUNCTION search_vocabulary_refresh()")
    db.execute_sql(vocabulary_fill(db))
