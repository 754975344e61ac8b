"""Search: one normal form for the searched text, one way to match and rank it.

Every searchable row (client, event, user) stores `search_text`: its searched fields
folded (NFKD, combining marks dropped, casefolded: `Chloé` → `chloe`, `Straße` →
`strasse`) and cut into words (runs of letters and digits). Words are joined by two
spaces and every field is framed by `||`:

    Chloé Dupont, chloe.dupont@acme.fr, ACME SA
    → "||chloe  dupont||chloe  dupont  acme  fr||acme  sa||"

A query goes through the same folding, so "starts a field" is `||` + query and "starts
a word" is two spaces + query: at least three characters even for a one-letter query,
so one trigram index serves every search (FTS5 `trigram` on SQLite, `pg_trgm` GIN on
PostgreSQL; migration 0005). On SQLite, triggers keep the FTS5 index in step with the
column; the column itself is written by the services in the transaction that changes
the record. Anything else that writes these tables in bulk (import, erasure) computes
the text with `client_text` / `event_text` / `user_text`, or calls `refresh(model, ids)`
after writing.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import SQL, Case, fn

from ..errors import ValidationError
from ..models import Client, Contract, Event, User, database, is_sqlite
from . import base, search_words
from .base import Page, count_rows, fold, page_bounds

FIELD = "||"  # frames every field: FIELD + text is "a field starts with text"
WORD = "  "  # separates words: WORD + text is "a later word starts with text"
SHORT = 2  # queries of at most this many letters and digits match only field or word starts
_WORD_RE = re.compile(r"[^\W_]+")
_CHUNK = 500


def words(text: str | None) -> list[str]:
    """The folded words of TEXT: runs of letters and digits (`.`, `@`, `-`, `_` separate)."""
    return _WORD_RE.findall(fold(text))


def normal_form(*fields: str | None) -> str:
    """The stored search text of a record whose searched fields are FIELDS, in order."""
    return FIELD + FIELD.join(WORD.join(words(value)) for value in fields) + FIELD


def client_text(full_name: str | None, email: str | None, company: str | None) -> str:
    """The search text of a client: name, email, company."""
    return normal_form(full_name, email, company)


def event_text(name: str | None, location: str | None, client_name: str | None) -> str:
    """The search text of an event: its name, its location and its client's name."""
    return normal_form(name, location, client_name)


def user_text(full_name: str | None, email: str | None) -> str:
    """The search text of a staff account: name, email."""
    return normal_form(full_name, email)


# --- keeping the stored text in step -----------------------------------------------------


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _current_texts(model, ids: list[int]) -> dict[int, tuple[str, str]]:
    """{id: (stored text, text it should hold)} of MODEL's rows IDS."""
    found = {}
    for chunk in _chunks(ids):
        if model is Client:
            query = (Client.select(Client.id, Client.search_text, Client.full_name, Client.email,
                                   Client.company).where(Client.id.in_(chunk)).tuples())
            found.update({i: (s, client_text(n, e, c)) for i, s, n, e, c in query})
        elif model is Event:
            query = (Event.select(Event.id, Event.search_text, Event.name, Event.location,
                                  Client.full_name)
                     .join(Contract, on=(Event.contract == Contract.id))
                     .join(Client, on=(Contract.client == Client.id))
                     .where(Event.id.in_(chunk)).tuples())
            found.update({i: (s, event_text(n, loc, c)) for i, s, n, loc, c in query})
        elif model is User:
            query = (User.select(User.id, User.search_text, User.full_name, User.email)
                     .where(User.id.in_(chunk)).tuples())
            found.update({i: (s, user_text(n, e)) for i, s, n, e in query})
        else:
            raise TypeError(f"{model.__name__} has no search text")
    return found


def refresh(model, ids: Iterable[int]) -> int:
    """Recompute the stored search text of MODEL's rows IDS from what they hold now.

    For bulk writers (import, erasure) that change searched fields without the services'
    per-record functions; call it inside the same transaction. Refreshing clients also
    refreshes their events, whose search text holds the client's name. Returns the number
    of rows whose text changed.
    """
    ids = sorted({int(i) for i in ids})
    stale = [(i, new) for i, (old, new) in _current_texts(model, ids).items() if old != new]
    for chunk in _chunks(stale):
        model.update(search_text=Case(model.id, chunk)).where(
            model.id.in_([i for i, _text in chunk])).execute()
    changed = len(stale)
    if model is Client and ids:
        changed += refresh_client_events(ids)
    return changed


SEARCHED_FIELDS = {Client: ("full_name", "email", "company"), Event: ("name", "location"),
                   User: ("full_name", "email")}


def text_update(row, update: dict) -> dict:
    """`{"search_text": …}` to write with UPDATE when it changes a searched field of ROW
    (the update pipeline's hook, so no entity's update can forget it); else `{}`."""
    fields = SEARCHED_FIELDS.get(type(row))
    if not fields or not update.keys() & set(fields):
        return {}
    value = {field: update.get(field, getattr(row, field)) for field in fields}
    if isinstance(row, Client):
        return {"search_text": client_text(**value)}
    if isinstance(row, User):
        return {"search_text": user_text(**value)}
    client_name = (Client.select(Client.full_name).join(Contract, on=(Contract.client == Client.id))
                   .where(Contract.id == row.contract_id).scalar())
    return {"search_text": event_text(value["name"], value["location"], client_name)}


def after_update(row, changes: dict) -> None:
    """What a written change means for other rows' search text: a client's name is part
    of its events'."""
    if isinstance(row, Client) and "full_name" in changes:
        refresh_client_events([row.id])


@contextlib.contextmanager
def bulk_index(model):
    """Index the rows a bulk writer inserts inside this block once, at its end.

    On SQLite a trigger per row feeds the FTS5 index, which costs more with every row of a
    large transaction (100,000 imported clients: minutes instead of seconds). Here the
    triggers are paused through `search_index_paused` (written in the writer's own
    transaction, so no other connection ever sees it paused), and the new rows' text is
    added to the index in one statement per chunk. Only rows created inside the block
    may be written in it, and each is named with the function this yields:

        with search.bulk_index(Client) as created:
            ...insert rows..., created(ids)

    PostgreSQL's GIN index follows the column by itself: nothing to do.
    """
    if not is_sqlite():
        yield lambda ids: None
        return
    created: list[int] = []
    database.execute_sql("UPDATE search_index_paused SET paused = 1")
    yield created.extend
    database.execute_sql("UPDATE search_index_paused SET paused = 0")
    table = model._meta.table_name
    for chunk in _chunks(created):
        marks = ", ".join("?" for _ in chunk)
        database.execute_sql(f'INSERT INTO "{table}_search"(rowid, search_text) '
                             f'SELECT id, search_text FROM "{table}" WHERE id IN ({marks})', chunk)
        search_words.add_rows(model, chunk)


def refresh_client_events(client_ids: Iterable[int]) -> int:
    """Recompute the search text of every event of CLIENT_IDS (after a client's rename)."""
    client_ids = list(client_ids)
    event_ids = [row[0] for row in Event.select(Event.id)
                 .join(Contract, on=(Event.contract == Contract.id))
                 .where(Contract.client.in_(client_ids)).tuples()] if client_ids else []
    return refresh(Event, event_ids) if event_ids else 0


# --- matching and ranking ---------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A search TEXT in the stored normal form.

    `core` is its words joined as stored. Punctuation or spaces before the first word
    (`@acme`) ask for a word start, after the last (`100%`, `under_`) for a word end; a
    short query (one or two letters and digits) matches only at a field or word start.
    """

    core: str
    word_start: bool
    word_end: bool

    @classmethod
    def parse(cls, text: str) -> Query:
        found = words(text)
        if not found:
            raise ValidationError("search", f"{text.strip()!r} has no letter or digit to look for")
        folded = fold(text.strip())
        short = sum(len(w) for w in found) <= SHORT
        return cls(core=WORD.join(found), word_start=short or not folded[0].isalnum(),
                   word_end=not folded[-1].isalnum())

    def _ends(self) -> tuple[str, ...]:
        return (FIELD, WORD) if self.word_end else ("",)

    def matching(self) -> list[str]:
        """Substrings of the stored text, any of which makes a row match."""
        starts = (FIELD, WORD) if self.word_start else ("",)
        return [s + self.core + e for s in starts for e in self._ends()]

    def field_start(self) -> list[str]:
        return [FIELD + self.core + e for e in self._ends()]

    def word_start_anywhere(self) -> list[str]:
        return [WORD + self.core + e for e in self._ends()]


def _indexed(model, substrings: list[str]):
    """MODEL's rows whose search text holds one of SUBSTRINGS, found through the index."""
    if is_sqlite():
        table = model._meta.table_name
        phrase = " OR ".join(f'"{s}"' for s in substrings)  # a normal form holds no quote
        return model.id.in_(SQL(f'(SELECT rowid FROM "{table}_search" WHERE "{table}_search" '
                                "MATCH ?)", [phrase]))
    return _any(model.search_text % f"%{s}%" for s in substrings)  # LIKE: the GIN index


def _tested(model, substrings: list[str]):
    """The same test as `_indexed`, row by row (no index: for rows read in name order)."""
    position = fn.instr if is_sqlite() else fn.strpos
    return _any(position(model.search_text, s) > 0 for s in substrings)


def _any(conditions):
    combined = None
    for condition in conditions:
        combined = condition if combined is None else (combined | condition)
    return combined


def matches(model, query: Query):
    """A WHERE condition: MODEL's rows whose search text matches QUERY, found by the index."""
    return _indexed(model, query.matching())


@dataclass(frozen=True)
class Tier:
    """One rank of a search: the substrings the trigram index finds it by (a superset: a
    field start is also a word start), the exact row test, and for the two start ranks
    whether the word index holds it as first words of a field (True) or other words."""

    substrings: list
    in_rank: object
    first: bool | None


def _tiers(model, query: Query) -> list[Tier]:
    """Field starts, word starts, elsewhere (the last not for a short query)."""
    field = _tested(model, query.field_start())
    word = _tested(model, query.word_start_anywhere())
    tiers = [Tier(query.field_start(), field, True),
             Tier(query.word_start_anywhere(), word & ~field, False)]
    if not query.word_start:  # a short query matches nowhere but at starts
        tiers.append(Tier(query.matching(), _tested(model, query.matching()) & ~word & ~field,
                          None))
    return tiers


def _count_matching(model, substrings: list[str], counted, exact: bool = False):
    """(count, capped) of COUNTED's rows holding one of SUBSTRINGS, found by the index.

    When COUNTED has no condition of its own, SQLite counts from its search index alone,
    without reading a row of the table (first asking the word index whether more than
    the cap hold the query's word itself: 0.3 ms against 1.4 ms for the trigram count of
    "martin" at a million clients), and PostgreSQL counts a one-word start query
    ("ma") from the word index: its trigram count would recheck up to 10,001 rows of the
    table (80 ms at a million events), the word index reads a few index pages. (On SQLite
    the FTS5 count is the faster of the two: 7 ms against 15 for "ma" at 100,000 clients.)
    """
    if not exact and not _filtered(counted) and not is_sqlite():
        found = _count_from_words(model, substrings)
        if found is not None:
            return found
    if is_sqlite() and not _filtered(counted):
        table, cap = model._meta.table_name, base.COUNT_CAP
        word = None if exact else _any_whole_word(substrings)
        if word is not None and search_words.many_hold_word(model, word, cap):
            return cap, True
        phrase = " OR ".join(f'"{s}"' for s in substrings)
        found = database.execute_sql(
            f'SELECT COUNT(*) FROM (SELECT rowid FROM "{table}_search" WHERE "{table}_search" '
            f"MATCH ?{'' if exact else f' LIMIT {cap + 1}'})", (phrase,)).fetchone()[0]
        return (cap, True) if not exact and found > cap else (found, False)
    return count_rows(counted.where(_indexed(model, substrings)), exact)


def _count_from_words(model, substrings: list[str]) -> tuple[int, bool] | None:
    """(count, capped) of the rows holding one of SUBSTRINGS, from the word index, when
    they ask for one word: starting with a prefix (`||ma`, `  ma`), or holding a fragment
    (`art`), or ending with it (`art||`, `art  `). None otherwise, or when the word index
    cannot tell cheaply."""
    prefix = _word_prefix(substrings)
    if prefix is not None:
        return search_words.records_with_prefix(model, *prefix, base.COUNT_CAP)
    ends = (FIELD, WORD)
    if len(substrings) == 1 and substrings[0].isalnum():
        return search_words.records_holding(model, substrings[0], False, base.COUNT_CAP)
    cores = {s[:-len(FIELD)] for s in substrings if s.endswith(ends)}
    if len(substrings) == 2 and len(cores) == 1 and next(iter(cores)).isalnum() \
            and {s[-len(FIELD):] for s in substrings} == set(ends):
        return search_words.records_holding(model, cores.pop(), True, base.COUNT_CAP)
    return None


def _any_whole_word(substrings: list[str]) -> str | None:
    """The word W when SUBSTRINGS match every record having W as one of its words: W itself
    anywhere, or W at any word start (FIELD + W and WORD + W), or at any word end, or both
    (a word of a search text always stands between two separators). None otherwise: a
    field start alone, several words."""
    cores, starts, ends = set(), set(), set()
    for substring in substrings:
        start = substring[:len(FIELD)] if substring.startswith((FIELD, WORD)) else ""
        end = substring[-len(FIELD):] if substring.endswith((FIELD, WORD)) else ""
        cores.add(substring[len(start):len(substring) - len(end)])
        starts.add(start)
        ends.add(end)
    everywhere = ({""}, {FIELD, WORD})
    if len(cores) != 1 or starts not in everywhere or ends not in everywhere:
        return None
    core = cores.pop()
    return core if core.isalnum() else None


def _word_prefix(substrings: list[str]) -> tuple[str, tuple[bool, ...]] | None:
    """(prefix, firsts) when SUBSTRINGS all ask for one word starting with one prefix, at a
    field start (FIELD + prefix: first word True) or a later word (WORD + prefix: False):
    what the word index answers on its own. None for anything else (several words, a
    word end, a match inside a word)."""
    firsts, prefixes = set(), set()
    for substring in substrings:
        start = substring[:len(FIELD)]
        core = substring[len(FIELD):]
        if start not in (FIELD, WORD) or not core or not core.isalnum():
            return None
        firsts.add(start == FIELD)
        prefixes.add(core)
    if len(prefixes) != 1:
        return None
    return prefixes.pop(), tuple(sorted(firsts, reverse=True))


def _filtered(counted) -> bool:
    return getattr(counted, "_where", None) is not None


def ranking(model, query: Query) -> list:
    """ORDER BY terms: field starts, then word starts, then other matches; then name, id."""
    field = _tested(model, query.field_start())
    word = _tested(model, query.word_start_anywhere())
    return [Case(None, [(field, 0), (word, 1)], 2), model.name_key, model.id]


def parse(text: str | None) -> Query | None:
    """The Query of a list's `--search TEXT`, or None when TEXT is blank."""
    if text is None or not text.strip():
        return None
    return Query.parse(text)


RANK_AT_ONCE = 1000  # up to this many matches, all are ranked and sorted in one statement


def ranked_page(model, query: Query, rows, counted, page, limit, exact: bool = False) -> Page:
    """One page of the rows of ROWS (a select of MODEL) matching QUERY, in rank order.

    COUNTED selects the same rows' ids, for the count. Neither holds the search condition.
    Up to RANK_AT_ONCE matches, they are ranked and sorted at once. Past that, each rank is
    read on its own, as ids, until the page is full (`_rank_ids`); then the page's rows
    are read in one statement.
    """
    page, limit = page_bounds(page, limit)
    total, capped = _count_matching(model, query.matching(), counted, exact)
    if not capped and total <= min(base.COUNT_CAP, RANK_AT_ONCE):
        found = list(rows.where(matches(model, query)).order_by(*ranking(model, query))
                     .paginate(page, limit))
        return Page(rows=found, total=total, page=page, limit=limit, capped=capped)
    ids, skip = [], (page - 1) * limit
    for tier in _tiers(model, query):
        batch = _rank_ids(model, query, tier, counted, skip, limit - len(ids),
                          many=(capped or total > base.COUNT_CAP)
                          if tier.substrings == query.matching() else None)
        if not batch and skip:  # a page past this rank: count the rank to skip it
            skip -= count_rows(counted.where(_indexed(model, tier.substrings) & tier.in_rank),
                               True)[0]
            continue
        ids.extend(batch)
        skip = 0
        if len(ids) == limit:
            break
    by_id = {row.id: row for row in rows.where(model.id.in_(ids))} if ids else {}
    return Page(rows=[by_id[i] for i in ids], total=total, page=page, limit=limit,
                capped=capped)


def _rank_ids(model, query: Query, tier: Tier, counted, skip: int, limit: int,
              many: bool | None = None) -> list[int]:
    """Ids of the rows SKIP … SKIP + LIMIT of one rank, in name order.

    A start rank of a one-word query is read from the word index: each word starting with
    the query is an index range already in name order, so the cost is that of a page. A
    longer query's start rank walks its first word the same way when the trigram index
    says it is common; a rare one is found by the trigram index and sorted. The rank of
    matches inside words is sorted when rare; when common, a one-word query reads it from
    the word index too, for the few words holding it (the vocabulary). The rest (a one-
    or two-letter prefix, or a fragment, of too many words) walks the name index. MANY,
    when known, says whether the tier's substrings match more than COUNT_CAP rows (the
    last tier's are the query's own, already counted).
    """
    one_word = WORD not in query.core
    if tier.first is not None:
        if one_word:
            exact_word = query.core if query.word_end else None
            prefix = None if query.word_end else query.core
        else:
            many = _count_matching(model, tier.substrings, counted)[1]
            exact_word, prefix = (query.core.split(WORD, 1)[0], None) if many else (None, None)
        if exact_word or prefix:
            found = search_words.walk(model, counted, first=tier.first, prefix=prefix,
                                      word=exact_word, in_rank=tier.in_rank, skip=skip,
                                      limit=limit)
            if found is not None:
                return found
    if many is None:
        many = _count_matching(model, tier.substrings, counted)[1]
    if many and tier.first is None and one_word:
        found = search_words.walk_inside(model, counted, fragment=query.core,
                                         word_end=query.word_end, in_rank=tier.in_rank,
                                         skip=skip, limit=limit)
        if found is not None:
            return found
    source = counted.where(tier.in_rank) if many else \
        counted.where(_indexed(model, tier.substrings) & tier.in_rank)
    query_ids = source.order_by(model.name_key, model.id).offset(skip).limit(limit)
    return [row[0] for row in query_ids.tuples()]
