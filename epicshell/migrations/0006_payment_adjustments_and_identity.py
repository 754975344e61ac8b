"""Payments explain total − due: an `adjustment` flag on payment, and one adjustment
payment for every contract whose payments did not add up (a `due` typed below the total).
Also the database's identity, written once: calendar UIDs stay the same across exports."""
import uuid

from peewee import BooleanField, CharField, Model, TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column("payment", "adjustment", BooleanField(default=False)))

    class Setting(Model):
        key = CharField(max_length=40, primary_key=True)
        value = TextField()

        class Meta:
            database = db
            table_name = "setting"

    db.create_tables([Setting])
    Setting.create(key="database_id", value=uuid.uuid4().hex)
    db.execute_sql(
        "INSERT INTO payment (contract_id, amount_cents, paid_at, recorded_by_id, adjustment) "
        "SELECT c.id, (c.total_cents - c.due_cents) - COALESCE(p.paid, 0), c.updated_at, NULL, %s "
        "FROM contract c LEFT JOIN (SELECT contract_id, SUM(amount_cents) AS paid FROM payment "
        "GROUP BY contract_id) p ON p.contract_id = c.id "
        "WHERE (c.total_cents - c.due_cents) <> COALESCE(p.paid, 0)"
        % ("TRUE" if type(db).__name__.startswith("Postgres") else "1"))
