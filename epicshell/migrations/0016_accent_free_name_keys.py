"""Name keys without accents: "Élodie" sorts among the E's, and `elo` completes it.

`name_key` (user and client full names, event names) was the lower-cased name, so an
accented initial sorted after "z" and completion needed the accent typed. It is now the
name folded as search folds text (NFKD, combining marks dropped, casefolded), cut to the
column's 100 characters. Only the rows whose key changes are written, a chunk of ids at
a time; the word index follows through its triggers (they watch `name_key`). The fold is
copied here as it is today, so this migration stays what it was if the code moves on.
"""
import unicodedata

from peewee import SqliteDatabase

CHUNK = 5000
NAMES = (("user", "full_name"), ("client", "full_name"), ("event", "name"))


def _fold(text):
    result = text or ""
    for _ in range(2):
        decomposed = unicodedata.normalize("NFKD", result)
        result = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return result


def _key(name):
    return _fold(name.strip())[:100]


def up(migrator, db):
    mark = db.param
    for table, column in NAMES:
        last = 0
        while True:
            rows = db.execute_sql(
                f'SELECT id, "{column}", name_key FROM "{table}" WHERE id > {mark} '
                f"ORDER BY id LIMIT {CHUNK}", (last,)).fetchall()
            if not rows:
                break
            changed = [(_key(name), ident) for ident, name, key in rows if _key(name) != key]
            if changed:
                _write(db, table, changed)
            last = rows[-1][0]


def _write(db, table, changed):
    """The new keys of one chunk: one statement on PostgreSQL (a round trip per row would
    cost minutes at a million rows), the driver's loop over a prepared UPDATE on SQLite."""
    if isinstance(db, SqliteDatabase):
        db.cursor().executemany(f'UPDATE "{table}" SET name_key = ? WHERE id = ?', changed)
        return
    values = ", ".join("(%s, %s)" for _ in changed)
    db.execute_sql(f'UPDATE "{table}" AS t SET name_key = v.key FROM (VALUES {values}) '
                   "AS v(key, id) WHERE t.id = v.id",
                   [item for pair in changed for item in pair])
