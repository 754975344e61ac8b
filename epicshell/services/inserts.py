"""INSERT statements (and the unique-value check before them) composed once, then only bound.

peewee builds an INSERT's SQL node by node at every call: for one `client create`,
composing its two INSERTs and its email check cost more than the database spent running
them. The text of such a statement depends only on the database's dialect, the table,
its columns and the number of rows, so it is composed the first time and kept; each
call converts its values with the fields' own `db_value` (as peewee does) and executes.
The statements go through `database.execute_sql`, so they are logged and their errors
are peewee's (an IntegrityError still reaches `unique_guard`).
"""
from __future__ import annotations

from ..models import database, is_sqlite

_texts: dict[tuple, str] = {}


def _columns(model, names: tuple[str, ...]) -> str:
    fields = model._meta.fields
    return ", ".join(f'"{fields[name].column_name}"' for name in names)


def _insert_text(model, names: tuple[str, ...], count: int, returning: bool) -> str:
    key = ("insert", model, names, count, returning, database.param)
    text = _texts.get(key)
    if text is None:
        marks = "(" + ", ".join([database.param] * len(names)) + ")"
        text = (f'INSERT INTO "{model._meta.table_name}" ({_columns(model, names)}) '
                f"VALUES {', '.join([marks] * count)}")
        if returning:
            text += f' RETURNING "{model._meta.primary_key.column_name}"'
        text = _texts[key] = text
    return text


def _saved_names(model, data: dict) -> tuple[str, ...]:
    """The fields an insert of DATA writes, in the model's order; a missing id is left to
    the database (as `Model.save` does)."""
    pk = model._meta.primary_key
    return tuple(field.name for field in model._meta.sorted_fields
                 if field.name in data and not (field is pk and data[field.name] is None))


def create(model, **values):
    """What `MODEL.create(**VALUES)` does (defaults filled in, the new id set on the
    returned instance), with the INSERT's text composed once."""
    row = model(**values)
    data = row.__data__
    names = _saved_names(model, data)
    fields = model._meta.fields
    params = [fields[name].db_value(data[name]) for name in names]
    sqlite = is_sqlite()
    cursor = database.execute_sql(_insert_text(model, names, 1, not sqlite), params)
    pk = model._meta.primary_key
    if data.get(pk.name) is None:
        row._pk = cursor.lastrowid if sqlite else cursor.fetchone()[0]
    row._dirty.clear()
    return row


def insert_rows(model, rows: list[dict]) -> None:
    """One multi-row INSERT of ROWS (dicts with the same keys; defaults fill the others)."""
    if not rows:
        return
    defaults = model._meta.get_default_dict()
    rows = [{**defaults, **row} for row in rows] if defaults.keys() - rows[0].keys() else rows
    names = _saved_names(model, rows[0])
    fields = [model._meta.fields[name] for name in names]
    params = [field.db_value(row[field.name]) for row in rows for field in fields]
    database.execute_sql(_insert_text(model, names, len(rows), False), params)


def value_taken(model, field: str, value, exclude_id: int | None = None) -> bool:
    """Does a row of MODEL (other than EXCLUDE_ID) hold VALUE in FIELD? One indexed probe."""
    key = ("taken", model, field, exclude_id is None, database.param)
    text = _texts.get(key)
    if text is None:
        column = model._meta.fields[field].column_name
        pk = model._meta.primary_key.column_name
        text = (f'SELECT 1 FROM "{model._meta.table_name}" WHERE "{column}" = {database.param}'
                + ("" if exclude_id is None else f' AND "{pk}" <> {database.param}') + " LIMIT 1")
        _texts[key] = text
    params = [model._meta.fields[field].db_value(value)]
    if exclude_id is not None:
        params.append(exclude_id)
    return database.execute_sql(text, params).fetchone() is not None
