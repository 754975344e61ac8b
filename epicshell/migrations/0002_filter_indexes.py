"""Indexes for the list filters and sort orders that must stay instant on large tables:
clients by company and last update, contracts by amount due, events by start, and the
audit trail by record and by time."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("client", ("company",)),
        migrator.add_index("client", ("updated_at",)),
        migrator.add_index("contract", ("due_cents",)),
        migrator.add_index("event", ("start",)),
        migrator.add_index("audit_entry", ("entity", "entity_id")),
        migrator.add_index("audit_entry", ("at",)),
    )
