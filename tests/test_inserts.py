"""Composed INSERTs (services/inserts.py) write exactly what peewee's own writes do.

Each case writes the same values once through peewee (`Model.create`, `insert_many`) and
once through the composed statement, on the real database, and compares the stored rows
as the driver returns them (so a datetime stored in another text form would show).
"""
from __future__ import annotations

from datetime import datetime

import pytest
from peewee import IntegrityError

from epicshell.models import AuditEntry, Client, database
from epicshell.services import inserts

WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123)


def stored(model, ident) -> tuple:
    """The row as stored, every column but the id, straight from the driver."""
    columns = [f'"{f.column_name}"' for f in model._meta.sorted_fields if not f.primary_key]
    cursor = database.execute_sql(
        f'SELECT {", ".join(columns)} FROM "{model._meta.table_name}" WHERE id = {database.param}',
        [ident])
    return cursor.fetchone()


def client_values(staff, email: str, **more) -> dict:
    return {"full_name": "Zoé Lefèvre", "name_key": "zoé lefèvre", "email": email,
            "phone": None, "company": "Acme SA", "commercial": staff["commercial"].id,
            "search_text": "||zoe  lefevre||", **more}


def test_create_writes_the_row_model_create_writes(staff):
    fixed = {"created_at": WHEN, "updated_at": WHEN}
    by_peewee = Client.create(**client_values(staff, "a@x.test", **fixed))
    composed = inserts.create(Client, **client_values(staff, "b@x.test", **fixed))
    assert composed.id == by_peewee.id + 1
    peewee_row, composed_row = stored(Client, by_peewee.id), stored(Client, composed.id)
    assert [v for v in composed_row if v != "b@x.test"] == \
        [v for v in peewee_row if v != "a@x.test"]
    assert not composed.is_dirty()


def test_create_fills_the_model_defaults_and_returns_the_stored_record(staff):
    composed = inserts.create(Client, **client_values(staff, "c@x.test"))
    again = Client.get_by_id(composed.id)
    assert again.version == composed.version == 1
    assert again.created_at == composed.created_at and again.updated_at == composed.updated_at
    assert (again.email, again.commercial_id) == ("c@x.test", staff["commercial"].id)


def test_create_raises_peewees_integrity_error_for_a_taken_unique_value(staff):
    inserts.create(Client, **client_values(staff, "d@x.test"))
    with pytest.raises(IntegrityError), database.atomic():
        inserts.create(Client, **client_values(staff, "d@x.test"))


def audit_rows(actor, entity_id: int) -> list[dict]:
    return [{"at": WHEN, "actor": actor.id, "actor_name": actor.full_name, "action": "create",
             "entity": "client", "entity_id": entity_id, "field": field, "old": None,
             "new": new} for field, new in (("email", "e@x.test"), ("phone", None))]


def test_insert_rows_writes_the_rows_insert_many_writes(staff):
    actor = staff["commercial"]
    AuditEntry.insert_many(audit_rows(actor, 901)).execute()
    inserts.insert_rows(AuditEntry, audit_rows(actor, 902))
    written = AuditEntry.select().where(AuditEntry.entity_id > 900).order_by(AuditEntry.id)
    rows = [stored(AuditEntry, entry.id) for entry in written]
    first, second = rows[:2], rows[2:]
    assert len(second) == 2
    assert [row[:5] + row[6:] for row in first] == [row[:5] + row[6:] for row in second]
    assert [row[5] for row in first + second] == [901, 901, 902, 902]


def test_insert_rows_fills_defaults_a_row_leaves_out(staff):
    actor = staff["commercial"]
    row = audit_rows(actor, 903)[0]
    del row["at"]
    inserts.insert_rows(AuditEntry, [row])
    assert AuditEntry.get(AuditEntry.entity_id == 903).at is not None


def test_value_taken_sees_other_rows_only(staff):
    client = inserts.create(Client, **client_values(staff, "f@x.test"))
    assert inserts.value_taken(Client, "email", "f@x.test")
    assert not inserts.value_taken(Client, "email", "g@x.test")
    assert not inserts.value_taken(Client, "email", "f@x.test", exclude_id=client.id)
    assert inserts.value_taken(Client, "email", "f@x.test", exclude_id=client.id + 1)
