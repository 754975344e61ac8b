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

from ..models import Client, Event, SearchWord, User, database, is_sqlite

KINDS = {User: 1, Client: 2, Event: 3}
TABLES = {"user": 1, "client": 2, "event": 3}
MAX_WORDS = 64  # distinct words of a prefix walked at once; more (a 1-letter query) → name walk
TOP = "\U0010ffff"  # sorts after every letter and digit: WORD <= w < WORD + TOP is "starts with"


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


# The vocabulary (migration 0014): each distinct (kind, first, word) of search_word, a word
# entering with its first record and leaving with its last (no erased name stays behind).
_LAST_GONE = ("NOT EXISTS (SELECT 1 FROM search_word s WHERE s.kind = old.kind "
              "AND s.first = old.first AND s.word = old.word)")
SQLITE_VOCABULARY_TRIGGERS = (
    "CREATE TRIGGER search_word_vocabulary_insert AFTER INSERT ON search_word BEGIN "
    "INSERT OR IGNORE INTO search_vocabulary (kind, first, word) "
    "VALUES (new.kind, new.first, new.word); END",
    f"CREATE TRIGGER search_word_vocabulary_delete AFTER DELETE ON search_word WHEN {_LAST_GONE} "
    "BEGIN DELETE FROM search_vocabulary WHERE kind = old.kind AND first = old.first "
    "AND word = old.word; END",
    "CREATE TRIGGER search_vocabulary_trigram_insert AFTER INSERT ON search_vocabulary BEGIN "
    "INSERT INTO search_vocabulary_trigram (rowid, word) VALUES (new.id, new.word); END",
    "CREATE TRIGGER search_vocabulary_trigram_delete AFTER DELETE ON search_vocabulary BEGIN "
    "INSERT INTO search_vocabulary_trigram (search_vocabulary_trigram, rowid, word) "
    "VALUES ('delete', old.id, old.word); END",
)
POSTGRES_VOCABULARY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_vocabulary_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO search_vocabulary (kind, first, word) VALUES (NEW.kind, NEW.first, NEW.word)
    ON CONFLICT DO NOTHING;
  ELSIF {_LAST_GONE.replace("old.", "OLD.")} THEN
    DELETE FROM search_vocabulary WHERE kind = OLD.kind AND first = OLD.first AND word = OLD.word;
  END IF;
  RETURN NULL;
END $$
"""


def vocabulary_fill(db) -> str:
    """INSERT of every distinct word of search_word missing from the vocabulary."""
    words = "SELECT DISTINCT kind, first, word FROM search_word"
    if is_sqlite(db):
        return f"INSERT OR IGNORE INTO search_vocabulary (kind, first, word) {words}"
    return f"INSERT INTO search_vocabulary (kind, first, word) {words} ON CONFLICT DO NOTHING"


def rebuild(db=None) -> None:
    """Every word row computed afresh from the search texts, and the vocabulary from them
    (after a bulk load that ran with the triggers off)."""
    db = db or database.obj
    db.execute_sql("DELETE FROM search_word")
    db.execute_sql("DELETE FROM search_vocabulary")
    for table in TABLES:
        db.execute_sql(sqlite_insert(table, "t") if is_sqlite(db) else postgres_fill(table))
    db.execute_sql(vocabulary_fill(db))  # for a load with the triggers off (PostgreSQL)


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


def many_hold_word(model, word: str, cap: int) -> bool:
    """Whether more than CAP of MODEL's records have WORD itself among their words.

    A (kind, first, word) range holds one entry per record, so an entry at offset CAP in
    either range (first words of a field, or later ones) proves it, for the cost of
    stepping over CAP entries of the index. False says only "not proven this way".
    """
    p = database.param
    sql = (f"SELECT 1 FROM search_word WHERE kind = {p} AND first = {p} AND word = {p} "
           f"LIMIT 1 OFFSET {int(cap)}")
    return any(database.execute_sql(sql, (KINDS[model], first, word)).fetchone() is not None
               for first in (False, True))


SPREAD = 2  # at most this many index entries are read per record sought (see below)


def records_with_prefix(model, prefix: str, firsts: tuple[bool, ...],
                        cap: int) -> tuple[int, bool] | None:
    """(count, capped) of MODEL's records having a word that starts with PREFIX, as a
    first word of a field (True in FIRSTS) or elsewhere (False); None when the index
    cannot tell at the cost of a page (`_count_records`)."""
    p = database.param
    flags = ", ".join(p for _ in firsts)
    return _count_records(f"first IN ({flags}) AND word >= {p} AND word < {p}",
                          (*firsts, prefix, prefix + TOP), model, cap)


def records_holding(model, fragment: str, word_end: bool, cap: int) -> tuple[int, bool] | None:
    """(count, capped) of MODEL's records having a word that holds FRAGMENT (ends with
    it, for WORD_END): for a one-word query, exactly the records it matches, since a match
    never spans a separator. The words come from the vocabulary; None past MAX_WORDS of
    them, or when the index cannot tell at the cost of a page."""
    pairs = _vocabulary(model, fragment, word_end, "")
    words = sorted({word for _first, word in pairs})
    if len(pairs) > MAX_WORDS:
        return None
    if not words:
        return 0, False
    p = database.param
    marks = ", ".join(p for _ in words)
    return _count_records(f"first IN ({p}, {p}) AND word IN ({marks})",
                          (True, False, *words), model, cap)


def _count_records(where: str, params: tuple, model, cap: int) -> tuple[int, bool] | None:
    """(count, capped) of the distinct records of MODEL's word entries passing WHERE.

    First CAP + 1 entries are read, then if need be SPREAD × (CAP + 1): when that was all
    of them, their distinct records are the exact count; when not, more than CAP distinct
    records among them prove "CAP+". Records with several of the words in every entry
    read leave it to the trigram count (None).
    """
    p = database.param
    sql = (f"SELECT COUNT(DISTINCT record_id), COUNT(*) FROM (SELECT record_id FROM "
           f"search_word WHERE kind = {p} AND {where} LIMIT {p}) AS found")
    for reach in (cap + 1, SPREAD * (cap + 1)):
        distinct, entries = database.execute_sql(
            sql, (KINDS[model], *params, reach)).fetchone()
        if distinct > cap:
            return cap, True
        if entries < reach:
            return distinct, False
    return None


def _vocabulary(model, fragment: str, word_end: bool, inside: str,
                inside_params: tuple = ()) -> list[tuple[bool, str]]:
    """(first, word) of MODEL's vocabulary holding FRAGMENT (ending with it for WORD_END)
    and passing the extra condition INSIDE, found by its trigram index; at most
    MAX_WORDS + 1 of them."""
    p, n = database.param, len(fragment)
    if is_sqlite(database.obj):
        found_by, pattern = ("id IN (SELECT rowid FROM search_vocabulary_trigram WHERE "
                             f"search_vocabulary_trigram MATCH {p})", f'"{fragment}"')
        ending = f"substr(word, -{n})"
    else:
        found_by, pattern, ending = f"word LIKE {p}", f"%{fragment}%", f"right(word, {n})"
    conditions = [found_by, f"kind = {p}"] + ([f"{ending} = {p}"] if word_end else [])
    params = (pattern, KINDS[model]) + ((fragment,) if word_end else ())
    if inside:
        conditions.append(inside)
        params += inside_params
    sql = (f"SELECT first, word FROM search_vocabulary WHERE {' AND '.join(conditions)} "
           f"LIMIT {MAX_WORDS + 1}")
    return [(bool(first), word) for first, word in database.execute_sql(sql, params)]


def walk(model, counted, *, first: bool, prefix: str | None = None, word: str | None = None,
         in_rank, skip: int, limit: int) -> list[int] | None:
    """Ids of COUNTED's rows passing IN_RANK that have a word equal to WORD, or starting
    with PREFIX, as a first word of a field (FIRST) or elsewhere, in name order: rows
    SKIP … SKIP + LIMIT. None when PREFIX starts more than MAX_WORDS distinct words."""
    kind = KINDS[model]
    words = [word] if word is not None else _distinct_words(kind, first, prefix)
    if words is None:
        return None
    return _merge(model, counted, [(first, each) for each in words], in_rank, skip, limit)


def walk_inside(model, counted, *, fragment: str, word_end: bool, in_rank, skip: int,
                limit: int) -> list[int] | None:
    """Like `walk`, for the words holding FRAGMENT after their first letter (and ending
    with it, for WORD_END): the rank of matches inside words ("art": "martin"). The words
    come from the vocabulary's trigram index; None past MAX_WORDS of them."""
    p, n = database.param, len(fragment)
    # A word starting with FRAGMENT (for WORD_END: the word FRAGMENT) is a start match:
    # its records are in an earlier rank.
    inside = "word <> " + p if word_end else f"substr(word, 1, {n}) <> {p}"
    pairs = _vocabulary(model, fragment, word_end, inside, (fragment,))
    if len(pairs) > MAX_WORDS:
        return None
    return _merge(model, counted, pairs, in_rank, skip, limit)


def _merge(model, counted, pairs: list[tuple[bool, str]], in_rank, skip: int,
           limit: int) -> list[int]:
    """Rows SKIP … SKIP + LIMIT, in name order, of COUNTED's rows passing IN_RANK that
    have one of the (first, word) PAIRS.

    Each pair is one ordered index range read up to SKIP + LIMIT entries; the ranges are
    merged in the database (UNION, then the same order), so the result is exact: a row
    among the first SKIP + LIMIT of the union is among the first of its own word.
    """
    if not pairs:
        return []
    kind = KINDS[model]
    arms = [_arm(model, counted, kind, first, word, in_rank) for first, word in pairs]
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
