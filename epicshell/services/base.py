"""What every service shares: transactions, audit entries, post-commit notices, paging.

A mutation runs inside `mutation()`: one transaction holding the change and its audit
entries. Notices for monitoring (user created, contract signed, …) are queued with
`notify()` and delivered only once that transaction has committed, so nothing ever
claims an action that was rolled back.
"""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import ConflictError, NotFound, ValidationError
from ..models import AuditEntry, database, utcnow
from ..validation import parse_id
from . import inserts

_state = threading.local()
_listeners: list[Callable[[str, dict], None]] = []

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
AUDIT_BATCH = 500  # rows per INSERT: within every driver's limit on parameters


def subscribe(listener: Callable[[str, dict], None]) -> Callable[[], None]:
    """Register LISTENER(action, data) for committed actions; returns an unsubscribe function."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def notify(action: str, **data: object) -> None:
    """Queue a notice; delivered after the surrounding mutation commits (now if none)."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        _deliver([(action, data)])
    else:
        pending.append((action, data))


def _deliver(notices: Iterable[tuple[str, dict]]) -> None:
    for action, data in notices:
        for listener in list(_listeners):
            try:
                listener(action, data)
            except Exception:  # a broken listener must never undo or hide a committed change
                pass


@contextlib.contextmanager
def mutation():
    """One transaction for a change and its audit trail; notices are sent after commit."""
    outer = getattr(_state, "pending", None) is None
    if outer:
        _state.pending = []
    try:
        with database.atomic():
            yield
    except BaseException:
        if outer:
            _state.pending = None
        raise
    if outer:
        notices, _state.pending = _state.pending, None
        _deliver(notices)


def _audit_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):  # times are stored in UTC: say so in the trail
        return value.isoformat(sep=" ", timespec="minutes") + " UTC"
    return str(value)


def audit(actor, action: str, entity: str, entity_id, changes: dict | None = None) -> None:
    """Write the audit rows of one action: one per changed field, or one bare row.

    ENTITY_ID may be a list of ids (the same change to many records, e.g. a reassignment):
    their rows go in one INSERT, never one statement per record.
    """
    now = utcnow()
    ids = entity_id if isinstance(entity_id, (list, tuple)) else [entity_id]
    fields = [(field, _audit_text(old), _audit_text(new))
              for field, (old, new) in (changes or {}).items()] or [(None, None, None)]
    rows = [{"at": now, "actor": actor.id if actor is not None else None,
             "actor_name": actor.full_name if actor is not None else None,
             "action": action, "entity": entity, "entity_id": ident,
             "field": field, "old": old, "new": new}
            for ident in ids for field, old, new in fields]
    for start in range(0, len(rows), AUDIT_BATCH):
        inserts.insert_rows(AuditEntry, rows[start:start + AUDIT_BATCH])


def get_or_404(model, ident, entity: str | None = None, *, lock: bool = False):
    """Load one row by id; with `lock`, hold it (FOR UPDATE on PostgreSQL) until commit."""
    name = entity or model.__name__.lower()
    ident = parse_id(ident)
    query = model.select().where(model.id == ident)
    if lock and getattr(database.obj, "for_update", False):
        query = query.for_update()
    row = query.first()
    if row is None:
        raise NotFound(name, ident)
    return row


def fold(text: str | None) -> str:
    """TEXT without case or accents: NFKD, combining marks dropped, casefolded.

    ASCII text has no accent and casefolds as it lower-cases: it skips the normalisation,
    which is most of the cost of importing a file of names (0.5 s per 100,000).
    """
    result = text or ""
    if result.isascii():
        return result.lower()
    import unicodedata

    for _ in range(2):  # casefolding can produce new decomposable letters (e.g. "İ")
        decomposed = unicodedata.normalize("NFKD", result)
        result = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return result


NAME_KEY_LENGTH = 100  # the columns' size: folding can lengthen a name ("ß" → "ss")


def name_key(text: str) -> str:
    """The form of a name that sorts and completion compare (`name_key` columns), and
    search ranks ties by: without case or accents, so "Élodie" sorts among the E's and
    `elo` completes it, as people file names."""
    return fold(text.strip())[:NAME_KEY_LENGTH]


def already_used(field: str, value, label: str) -> ValidationError:
    """The error for a value a unique column already holds (e.g. an email)."""
    return ValidationError(field, f"{value!r} is already used by another {label}")


def refuse_if_used(model, field: str, value, label: str, exclude_id: int | None = None) -> None:
    """Raise `already_used` when another row of MODEL holds VALUE in the unique FIELD.

    This answers the usual case with a clear message; `unique_guard` gives the same
    message when another shell inserts the same value between this check and our write.
    """
    if inserts.value_taken(model, field, value, exclude_id):
        raise already_used(field, value, label)


# The column named by a unique violation: SQLite "UNIQUE constraint failed: user.email",
# PostgreSQL 'unique constraint "user_email"' with "DETAIL: Key (email)=(…) already exists".
_UNIQUE_COLUMN = (re.compile(r"UNIQUE constraint failed: [\w\"]+\.(\w+)"),
                  re.compile(r"Key \((\w+)\)=\("))


def _violated_column(exc: Exception) -> str | None:
    text = str(exc)
    detail = getattr(getattr(getattr(exc, "orig", None), "diag", None), "message_detail", None)
    for candidate in (text, detail or ""):
        for pattern in _UNIQUE_COLUMN:
            found = pattern.search(candidate)
            if found:
                return found.group(1)
    return None


@contextlib.contextmanager
def unique_guard(label: str, values: dict):
    """Turn a unique index's IntegrityError on one of VALUES into `already_used`.

    Two shells creating the same email at once both pass `refuse_if_used`; the database's
    unique index then refuses the second write, and its user must read the same clear
    error, not an unexpected one. (The transaction is rolled back by `mutation`.)
    """
    from peewee import IntegrityError

    try:
        yield
    except IntegrityError as exc:
        column = _violated_column(exc)
        field = next((f for f in values if f == column or f"{f}_id" == column), None)
        if field is None:
            raise
        raise already_used(field, values[field], label) from None


def diff(row, values: dict) -> dict:
    """The {field: (old, new)} of VALUES that really differ from ROW."""
    return {
        field: (getattr(row, field), new)
        for field, new in values.items()
        if getattr(row, field) != new
    }


def versioned_update(row, values: dict, entity: str, expected_version: int | None = None) -> None:
    """UPDATE … WHERE id = ? AND version = ?: a stale version raises ConflictError.

    EXPECTED_VERSION is the version the user saw when they loaded the record (a wizard
    may stay open for minutes); without it, the version read in this transaction.
    """
    model = type(row)
    version = row.version if expected_version is None else expected_version
    payload = dict(values)
    payload["version"] = model.version + 1
    if hasattr(model, "updated_at"):
        payload["updated_at"] = utcnow()
    updated = (
        model.update(payload)
        .where((model.id == row.id) & (model.version == version))
        .execute()
    )
    if updated != 1:
        raise ConflictError(entity, row.id)
    for field, value in values.items():
        setattr(row, field, value)
    row.version = version + 1
    row.changed = True  # the caller can tell "updated" from "nothing to change"


COUNT_CAP = 10_000  # "of N" is exact up to here; above, "of 10,000+" unless counted exactly


# The field whose new value a record's `name_key` column is made from.
NAMED_BY = ("full_name", "name")


def save_changes(actor, row, values: dict, entity: str, expected_version: int | None = None, *,
                 label: str | None = None, extra: Callable[[dict], dict] | None = None,
                 shown: Callable[[dict], dict] | None = None) -> dict:
    """The one update pipeline: diff → versioned update → audit. Returns the changes.

    VALUES are the parsed new values; only those differing from ROW are written, with
    `name_key` when the name changes. EXTRA(changes) adds columns to write (e.g. a
    session version bump); SHOWN(changes), called after the write, is what the audit
    trail records when the stored form is not the one users read (cents as amounts), and
    may add what the write caused (an adjustment payment). A unique value taken meanwhile
    by another shell gives the same error as the pre-check, named with LABEL (default
    ENTITY).
    """
    changes = diff(row, values)
    if not changes:
        return {}
    update = {field: new for field, (_old, new) in changes.items()}
    for field in NAMED_BY:
        if field in update and hasattr(type(row), "name_key"):
            update["name_key"] = name_key(update[field])
    if extra is not None:
        update.update(extra(changes))
    from . import search  # built on this module: imported when first needed

    update.update(search.text_update(row, update))
    with unique_guard(label or entity, update):
        versioned_update(row, update, entity, expected_version)
    search.after_update(row, changes)
    audit(actor, "update", entity, row.id, shown(changes) if shown else changes)
    return changes


@dataclass
class Page:
    """One page of a list: the rows and what the table footer needs.

    `total` is exact when `capped` is false; when true, more than COUNT_CAP rows match
    and `total` is COUNT_CAP (the list was not asked to count them all).
    """

    rows: list
    total: int
    page: int
    limit: int
    capped: bool = False

    @property
    def first(self) -> int:
        return 0 if not self.rows else (self.page - 1) * self.limit + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def total_text(self) -> str:
        """The "N" of "showing 1-50 of N": `1,204`, or `10,000+` when capped."""
        return f"{self.total:,}" + ("+" if self.capped else "")

    @property
    def has_next(self) -> bool:
        return self.last < self.total or (self.capped and len(self.rows) == self.limit)


def count_rows(query, exact: bool) -> tuple[int, bool]:
    """(total, capped): an exact count, or one that stops reading after COUNT_CAP + 1 rows."""
    query = query.order_by()
    if exact:
        return count_of(query).scalar(), False
    found = capped_count_of(query, COUNT_CAP).scalar()
    return (COUNT_CAP, True) if found > COUNT_CAP else (found, False)


def count_of(query):
    """The statement counting QUERY's rows (as peewee's `count()` runs it)."""
    from peewee import SQL, Select, fn

    return Select([query.order_by().alias("_wrapped")], [fn.COUNT(SQL("1"))]).bind(database)


def capped_count_of(query, cap):
    """The statement counting QUERY's rows, reading at most CAP + 1 of them: the count when
    at most CAP rows match, otherwise any number above CAP.

    PostgreSQL counts the first CAP + 1 rows. SQLite is five times faster at skipping rows
    than at counting them through a subquery, so it first asks whether a row CAP + 1
    exists (`OFFSET CAP`); only when none does, it counts the (at most CAP) rows.
    """
    from peewee import Case, Select, SqliteDatabase, Value, fn

    query = query.order_by()
    if not isinstance(database.obj, SqliteDatabase):  # CAP as given: a query shape's parameter
        return count_of(query.limit(Value(cap) + 1))
    beyond = fn.EXISTS(query.limit(1).offset(cap))
    return Select(columns=[Case(None, [(beyond, Value(cap) + 1)],
                                count_of(query))]).bind(database)


def page_bounds(page, limit) -> tuple[int, int]:
    """PAGE and LIMIT checked (None means the default; 0 is refused, never a default)."""
    page = 1 if page is None else int(page)
    limit = DEFAULT_LIMIT if limit is None else int(limit)
    if page < 1:
        raise ValidationError("page", "must be 1 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"must be between 1 and {MAX_LIMIT}")
    return page, limit


def paginate(query, page: int = 1, limit: int = DEFAULT_LIMIT, count_query=None,
             exact: bool = False) -> Page:
    """One page of QUERY plus the number of rows matching it.

    The count reads at most COUNT_CAP + 1 rows unless EXACT, so a list costs the same on a
    million rows as on ten thousand. COUNT_QUERY, when given, counts the same rows without
    the joins that only serve display (much cheaper on large tables).
    """
    page, limit = page_bounds(page, limit)
    total, capped = count_rows(count_query if count_query is not None else query, exact)
    rows = list(query.paginate(page, limit))
    return Page(rows=rows, total=total, page=page, limit=limit, capped=capped)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching TEXT anywhere, with LIKE's wildcards taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
