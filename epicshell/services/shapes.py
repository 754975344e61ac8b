"""Queries composed once per database, then run again and again with new parameters.

Composing SQL is most of what a short read costs in peewee: a `client view` spent more
time building its queries than the database spent answering them. A `Shape` builds its
query the first time it runs on a database, keeps the SQL text and where each parameter
goes, and afterwards only substitutes the values and executes: same SQL, same query
log (so `count_queries` still sees every statement), same model objects.

Parameters are whole numbers (record ids, limits): the query is built with marker
values no record ever has, and their places in the parameter list are remembered.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

from ..models import database

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

    def rows(self, *values: int) -> list:
        """The query's rows (model objects, joined models attached) for these VALUES."""
        db = database.obj
        compiled = self._compiled.get(db) or self._compile(db)
        query, sql, template, places, reader = compiled
        params = list(template)
        for position, index in places:
            params[position] = int(values[index])
        cursor = database.execute_sql(sql, params)
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
