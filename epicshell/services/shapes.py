"""Queries composed once per database, then run again and again with new parameters.

Composing SQL is most of what a short read costs in peewee: a `client view` spent more
time building its queries than the database spent answering them. A `Shape` builds its
query the first time it runs on a database, keeps the SQL text and where each parameter
goes, and afterwards only substitutes the values and executes: same SQL, same query
log (so `count_queries` still sees every statement), same model objects.

Parameters are whole numbers (record ids, limits): the query is built with marker
values no record ever has, and their places in the parameter list are remembered.

A `Listing` does the same for a list command: one page query and its two counts
(capped and exact) per filter shape, i.e. per combination of the filters given and
the sort, whatever their values.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

from ..models import database
from . import base
from .base import Page, page_bounds

_FIRST_MARKER = -7_123_456_000  # ids are positive and limits small: no real value is this


class Shape:
    """BUILD(*params) returns a peewee query; `rows(*values)` runs it with VALUES."""

    def __init__(self, build: Callable, arity: int = 1):
        self._build = build
        self._arity = arity
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compile(self, db):
        markers = [_FIRST_MARKER - index for index in range(self._arity)]
        query = self._build(*markers)
        sql, params = query.sql()
        places = [(position, markers.index(value)) for position, value in enumerate(params)
                  if isinstance(value, int) and value in markers]
        if {index for _position, index in places} != set(range(self._arity)):
            raise ValueError("a parameter of the shape does not reach its SQL")
        compiled = [query, sql, tuple(params), tuple(places), None]
        self._compiled[db] = compiled
        return compiled

    def _execute(self, values):
        db = database.obj
        compiled = self._compiled.get(db) or self._compile(db)
        _query, sql, template, places, _reader = compiled
        params = list(template)
        for position, index in places:
            params[position] = int(values[index])
        return compiled, database.execute_sql(sql, params)

    def scalar(self, *values: int):
        """The first column of the first row (a count) for these VALUES."""
        return self._execute(values)[1].fetchone()[0]

    def rows(self, *values: int) -> list:
        """The query's rows (model objects, joined models attached) for these VALUES."""
        compiled, cursor = self._execute(values)
        query, reader = compiled[0], compiled[4]
        if reader is None:
            # peewee's row reader works out, from the first cursor, which column goes to
            # which model; that mapping is the same for every run, so it is kept too.
            reader = compiled[4] = query._get_cursor_wrapper(cursor)
            reader.initialize()
            reader.initialized = True
        return [reader.process_row(row) for row in cursor.fetchall()]

    def first(self, *values: int):
        """The first row, or None."""
        found = self.rows(*values)
        return found[0] if found else None


@dataclass(frozen=True)
class ActorMarker:
    """Who a list is for, while its shape is composed: the id is a marker (a parameter),
    the department is part of the shape (it can change which condition `--mine` is)."""

    id: int
    department: str | None = None


class Listing:
    """The pages of one list command, composed once per filter shape.

    BUILD(shape, *params) returns (the rows in list order, a select of the same rows'
    ids); SHAPE is hashable and says which filters are given and how the list is sorted,
    PARAMS are the whole numbers the filters compare with (their count is fixed by the
    shape). BUILD must depend on nothing else: what it returns is reused for every call
    of that shape. `page` answers as `base.paginate` does for the same queries.
    """

    def __init__(self, build: Callable):
        self._build = build
        self._shapes: dict = {}

    def _of(self, shape, arity: int) -> tuple[Shape, Shape, Shape]:
        found = self._shapes.get(shape)
        if found is None:
            build = self._build

            def rows(*params):
                query = build(shape, *params[:arity])[0]
                return query.limit(params[arity]).offset(params[arity + 1])

            def capped(*params):  # the last parameter is the cap
                return base.capped_count_of(build(shape, *params[:arity])[1], params[arity])

            def exact(*params):
                return base.count_of(build(shape, *params)[1])

            found = self._shapes[shape] = (Shape(rows, arity + 2), Shape(capped, arity + 1),
                                           Shape(exact, arity))
        return found

    def page(self, shape, params: tuple = (), page=1, limit=None, exact: bool = False) -> Page:
        """One page of the list of SHAPE for PARAMS, with its count (capped unless EXACT)."""
        page, limit = page_bounds(page, limit)
        rows, capped_count, exact_count = self._of(shape, len(params))
        if exact:
            total, capped = exact_count.scalar(*params), False
        else:
            cap = base.COUNT_CAP
            found = capped_count.scalar(*params, cap)
            total, capped = (cap, True) if found > cap else (found, False)
        found_rows = rows.rows(*params, limit, (page - 1) * limit)
        return Page(rows=found_rows, total=total, page=page, limit=limit, capped=capped)
