"""The word index: every word of every search text, in name order, for ranking big results.

A trigram index finds the rows holding a text, but not in the order a list shows them
(field starts, then word starts, each by name). When a common word matches tens of
thousands of rows, sorting them all costs more than a page is worth, and walking the
name index hoping to meet matches costs the whole table when the first names in order
happen not to match. `search_word` holds one row per (record, word, whether the word
starts a field), keyed by (kind, first, word, name_key, record_id): the records whose
words are one given word, in name order, are one index range, so the first page of
"every client with a word starting with martin" reads about a page of index entries
per distinct word, whatever the table's size.

The rows are derived from `search_text` by the database itself, with triggers (SQLite:
`json_each` over the text cut at its separators; PostgreSQL: a PL/pgSQL function), so
they can never drift from it; migration 0009 creates both. SQLite's triggers pause with
the FTS ones during a bulk write (`search.bulk_index`), which then adds the new rows'
words in one statement per chunk.
"""
from __future__ import annotations

from peewee import SqliteDatabase

from ..models import Client, Event, SearchWord, User, database

KINDS = {User: 1, Client: 2, Event: 3}
TABLES = {"user": 1, "client": 2, "event": 3}
MAX_WORDS = 64  # distinct words of a prefix walked at once; more (a 1-letter query) → name walk
TOP = "\U0010ffff"  # sorts after every letter and digit: WORD <= w < WORD + TOP is "starts with"


def _is_sqlite(db) -> bool:
    return isinstance(db, SqliteDatabase)


# --- derivation (shared by the migration's triggers and the bulk writers) -----------------


def sqlite_words(source: str) -> str:
    """FROM items yielding `f` (each field of SOURCE's search text) and `w` (each word of
    a field: `w.value`, `w.key = 0` for the field's first word). A search text is
    `||word  word||word||`: its words are letters and digits only, so they are JSON strings
    as they stand."""
    text = f"{source}.search_text"
    fields = (f"'[\"' || replace(substr({text}, 3, length({text}) - 4), '||', '\",\"') "
              "|| '\"]'")
    return (f"json_each({fields}) AS f, "
            "json_each('[\"' || replace(f.value, '  ', '\",\"') || '\"]') AS w")


def sqlite_insert(table: str, source: str, where: str = "") -> str:
    """INSERT of the word rows of SOURCE (`new`, or TABLE's rows named by WHERE)."""
    kind = TABLES[table]
    from_source = "" if source == "new" else f'"{table}" AS {source}, '
    return (f"INSERT OR IGNORE INTO search_word (kind, word, first, name_key, record_id) "
            f"SELECT DISTINCT {kind}, w.value, w.key = 0, {source}.name_key, {source}.id "
            f"FROM {from_source}{sqlite_words(source)} WHERE w.value <> ''{where}")


def sqlite_delete(table: str) -> str:
    """DELETE of the word rows of `old` (found through their words: no per-record index)."""
    return (f"DELETE FROM search_word WHERE kind = {TABLES[table]} AND first IN (0, 1) AND word IN "
            f"(SELECT w.value FROM {sqlite_words('old')}) AND name_key = old.name_key "
            "AND record_id = old.id")


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION search_word_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_word WHERE kind = TG_ARGV[0]::smallint AND first IN (false, true)
      AND record_id = OLD.id
      AND name_key = OLD.name_key
      AND word = ANY (regexp_split_to_array(trim(both '|' from OLD.search_text), '\\|\\||  '));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_word (kind, word, first, name_key, record_id)
    SELECT DISTINCT TG_ARGV[0]::smallint, w.word, w.n = 1, NEW.name_key, NEW.id
    FROM unnest(string_to_array(NEW.search_text, '||')) AS f(field),
         LATERAL unnest(string_to_array(f.field, '  ')) WITH ORDINALITY AS w(word, n)
    WHERE w.word <> ''
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$
"""


def postgres_fill(table: str) -> str:
    """INSERT of the word rows of every row of TABLE (a migration, a rebuild)."""
    return ("INSERT INTO search_word (kind, word, first, name_key, record_id) "
            f"SELECT DISTINCT {TABLES[table]}, w.word, w.n = 1, t.name_key, t.id "
            f'FROM "{table}" AS t, LATERAL unnest(string_to_array(t.search_text, \'||\')) '
            "AS f(field), LATERAL unnest(string_to_array(f.field, '  ')) WITH ORDINALITY "
            "AS w(word, n) WHERE w.word <> ''")


def rebuild(db=None) -> None:
    """Every word row computed afresh from the search texts (after a bulk load that ran
    with the triggers off)."""
    db = db or database.obj
    db.execute_sql("DELETE FROM search_word")
    for table in TABLES:
        db.execute_sql(sqlite_insert(table, "t") if _is_sqlite(db) else postgres_fill(table))


def add_rows(model, ids: list[int]) -> None:
    """The word rows of MODEL's rows IDS, created while SQLite's triggers were paused."""
    marks = ", ".join(database.param for _ in ids)
    database.execute_sql(sqlite_insert(model._meta.table_name, "t", f" AND t.id IN ({marks})"),
                         ids)


# --- reading -----------------------------------------------------------------------------


def _distinct_words(kind: int, first: bool, prefix: str) -> list[str] | None:
    """The distinct words starting with PREFIX (first words of a field, or other words),
    read one index seek at a time; None past MAX_WORDS."""
    p = database.param
    step = (f"SELECT MIN(s.word) FROM search_word s WHERE s.kind = {p} AND s.first = {p} "
            f"AND s.word > w.word AND s.word < {p}")
    sql = (f"WITH RECURSIVE w(word, n) AS (SELECT MIN(word), 1 FROM search_word "
           f"WHERE kind = {p} AND first = {p} AND word >= {p} AND word < {p} "
           f"UNION ALL SELECT ({step}), w.n + 1 FROM w WHERE w.word IS NOT NULL "
           f"AND w.n <= {MAX_WORDS}) SELECT word FROM w WHERE word IS NOT NULL")
    top = prefix + TOP
    found = [row[0] for row in database.execute_sql(
        sql, (kind, first, prefix, top, kind, first, top)).fetchall()]
    return None if len(found) > MAX_WORDS else found


def more_records_than(model, cap: int, word: str) -> bool:
    """True when more than CAP of MODEL's records have the word WORD, as the first word of
    a field or as another (within one of these a record has a word once: no DISTINCT
    needed, so at most 2 × (CAP + 1) index entries are read)."""
    p = database.param
    one = (f"(SELECT COUNT(*) FROM (SELECT 1 FROM search_word WHERE kind = {p} AND first = {p} "
           f"AND word = {p} LIMIT {p}) AS found)")
    row = database.execute_sql(f"SELECT {one}, {one}", (KINDS[model], False, word, cap + 1,
                                                        KINDS[model], True, word, cap + 1))
    return max(row.fetchone()) > cap


SPREAD = 2  # at most this many index entries are read per record sought (see below)


def records_with_prefix(model, prefix: str, firsts: tuple[bool, ...],
                        cap: int) -> tuple[int, bool] | None:
    """(count, capped) of MODEL's records having a word that starts with PREFIX, as a
    first word of a field (True in FIRSTS) or elsewhere (False), or None when the index
    cannot tell at the cost of a page.

    The prefix's entries are one index range per flag. First CAP + 1 of them are read,
    then if need be SPREAD × (CAP + 1): when that was all of them, their distinct records
    are the exact count; when not, more than CAP distinct records among them prove "CAP+".
    Records with several words of the prefix in every entry read leave it to the trigram
    count (None).
    """
    p = database.param
    flags = ", ".join(p for _ in firsts)
    sql = (f"SELECT COUNT(DISTINCT record_id), COUNT(*) FROM (SELECT record_id FROM "
           f"search_word WHERE kind = {p} AND first IN ({flags}) AND word >= {p} "
           f"AND word < {p} LIMIT {p}) AS found")
    for reach in (cap + 1, SPREAD * (cap + 1)):
        distinct, entries = database.execute_sql(
            sql, (KINDS[model], *firsts, prefix, prefix + TOP, reach)).fetchone()
        if distinct > cap:
            return cap, True
        if entries < reach:
            return distinct, False
    return None


def walk(model, counted, *, first: bool, prefix: str | None = None, word: str | None = None,
         in_rank, skip: int, limit: int) -> list[int] | None:
    """Ids of COUNTED's rows passing IN_RANK that have a word equal to WORD, or starting
    with PREFIX, as a first word of a field (FIRST) or elsewhere, in name order: rows
    SKIP … SKIP + LIMIT. None when PREFIX starts more than MAX_WORDS distinct words.

    Each word is one ordered index range read up to SKIP + LIMIT entries; the ranges are
    merged in the database (UNION, then the same order), so the result is exact: a row
    among the first SKIP + LIMIT of the union is among the first of its own word.
    """
    kind = KINDS[model]
    words = [word] if word is not None else _distinct_words(kind, first, prefix)
    if words is None:
        return None
    if not words:
        return []
    arms = [_arm(model, counted, kind, first, each, in_rank) for each in words]
    if len(arms) == 1:
        query = arms[0].offset(skip).limit(limit)
        return [record for _name, record in query.tuples()]
    parts, params = [], []
    for index, arm in enumerate(arms):
        sql, arm_params = arm.limit(skip + limit).sql()
        parts.append(f"SELECT * FROM ({sql}) AS a{index}")
        params.extend(arm_params)
    p = database.param
    sql = (f"SELECT u.record_id FROM ({' UNION '.join(parts)}) AS u "
           f"ORDER BY u.name_key, u.record_id LIMIT {p} OFFSET {p}")
    return [row[0] for row in database.execute_sql(sql, (*params, limit, skip)).fetchall()]


def _arm(model, counted, kind: int, first: bool, word: str, in_rank):
    """COUNTED's rows with WORD, in name order, as (name_key, record_id)."""
    return (counted.join_from(model, SearchWord, on=(SearchWord.record_id == model.id))
            .select(SearchWord.name_key, SearchWord.record_id)
            .where((SearchWord.kind == kind) & (SearchWord.word == word)
                   & (SearchWord.first == first) & in_rank)
            .order_by(SearchWord.name_key, SearchWord.record_id))
