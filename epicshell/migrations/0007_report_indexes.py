"""Covering indexes for the agenda and the reports, so each one reads a single index range
instead of a million contracts:

- contracts per commercial, status and creation date, with their amounts: `report pipeline`
  (counts and sums per commercial, over a period) and a commercial's old drafts;
- contracts by status and creation date: management's old drafts, oldest first;
- signed contracts by signature date, with commercial and total: `report revenue`;
- signed contracts still owing money, with signature date and commercial: `report unpaid`;
- payments by date, with the adjustment flag, contract and amount: the amounts collected
  of `report revenue` (adjustments are not collections);
- events by start, with support and attendees: `report workload`.
"""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("contract", ("commercial_id", "status", "created_at", "total_cents",
                                        "due_cents")),
        migrator.add_index("contract", ("status", "signed_at", "commercial_id", "total_cents")),
        migrator.add_index("contract", ("status", "due_cents", "signed_at", "commercial_id")),
        migrator.add_index("contract", ("status", "created_at")),
        migrator.add_index("payment", ("paid_at", "adjustment", "contract_id", "amount_cents")),
        migrator.add_index("event", ("start", "support_id", "attendees")),
    )
