"""Payments carry their contract's commercial, and collections are read from narrower entries:

- `payment.commercial_id`: a copy of the contract's commercial (kept in step by the
  services, like `event.commercial_id`), indexed first, then (adjustment, paid_at, amount), so
  `report revenue --by commercial` sums one index range per commercial instead of looking
  up the contract of every payment of the period;
- payments by (adjustment, paid_at, amount) replace (paid_at, adjustment, contract_id,
  amount): the collections of a time range are one exact range (the adjustment flag no
  longer checked row by row) over narrower entries.
"""
from peewee import ForeignKeyField, Model, SqliteDatabase


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.drop_index("payment", "payment_paid_at_adjustment_contract_id_amount_cents"),
        migrator.add_column("payment", "commercial_id",
                            ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False,
                                            field=User._meta.primary_key)),
    )
    db.execute_sql("UPDATE payment SET commercial_id = (SELECT k.commercial_id FROM contract k "
                   "WHERE k.id = payment.contract_id)")
    migrator.migrate(
        migrator.add_not_null("payment", "commercial_id"),
        migrator.add_index("payment", ("adjustment", "paid_at", "amount_cents")),
        migrator.add_index("payment", ("commercial_id", "adjustment", "paid_at", "amount_cents")),
    )
    if isinstance(db, SqliteDatabase):
        _refresh_sqlite_statistics(db)


def _refresh_sqlite_statistics(db) -> None:
    """Statistics for the new indexes, on a database that has some (a new one gets them on
    open): without them SQLite's planner guesses their width and may read a wider one."""
    if db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                      "AND name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE payment")
