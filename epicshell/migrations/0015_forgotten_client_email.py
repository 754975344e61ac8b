"""A forgotten client's email is emptied (commands.md §10): `client.email` may be NULL.

Until now `client forget` wrote a placeholder (`forgotten-ID@forgotten.invalid`) because
the column was NOT NULL. The unique index stays: both engines let any number of rows
hold NULL in a unique column, so only real addresses are compared.

PostgreSQL drops the constraint in place. SQLite cannot alter a column, and rebuilding
the client table would drop its search triggers and copy every client; SQLite documents
a direct edit of the table's definition for exactly this change (removing a NOT NULL
constraint, which changes nothing stored: https://sqlite.org/lang_altertable.html, "Making
Other Kinds Of Table Schema Changes"), done here inside the migration's transaction. The
clients forgotten before this version get their placeholder emptied too, and their
search text made again without it.
"""
from peewee import SqliteDatabase

from epicshell.services.search import client_text

DECLARED = '"email" VARCHAR(254) NOT NULL'
PLACEHOLDER = "forgotten-%@forgotten.invalid"


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        _sqlite_drop_not_null(db)
    else:
        db.execute_sql("ALTER TABLE client ALTER COLUMN email DROP NOT NULL")
    mark = db.param  # ? on SQLite, %s on PostgreSQL
    forgotten = db.execute_sql(f"SELECT id, full_name, company FROM client WHERE email LIKE {mark}",
                               (PLACEHOLDER,)).fetchall()
    for ident, full_name, company in forgotten:
        db.execute_sql(f"UPDATE client SET email = NULL, search_text = {mark} WHERE id = {mark}",
                       (client_text(full_name, None, company), ident))


def _sqlite_drop_not_null(db) -> None:
    table_sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'client'").fetchone()[0]
    if table_sql.count(DECLARED) != 1:
        raise RuntimeError(f"client.email is not declared as {DECLARED!r}: {table_sql}")
    version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
    db.execute_sql("PRAGMA writable_schema = ON")
    try:
        db.execute_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' "
                       "AND name = 'client'",
                       (table_sql.replace(DECLARED, '"email" VARCHAR(254)'),))
        db.execute_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        db.execute_sql("PRAGMA writable_schema = OFF")
