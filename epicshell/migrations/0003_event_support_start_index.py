"""Events by support contact in start order (`event unassigned`, a support's `event mine`):
one composite index serves both the filter and the sort, so no large sort on big tables."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("event", ("support_id", "start")))
