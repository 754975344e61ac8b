"""Payments always explain total − due: a due set below the total without a payment is
recorded as one payment of the difference, marked as an adjustment (commands.md §8)."""
from __future__ import annotations

from conftest import PASSWORD
from test_migrations import insert_old_rows, schema_at

from epicshell.db import close_database, migrate, open_database
from epicshell.models import Contract, Payment, Setting
from epicshell.services import contracts


def _payments(contract_id) -> list[tuple[int, bool]]:
    return [(p.amount_cents, bool(p.adjustment)) for p in contracts.payments_of(contract_id)]


def _adds_up(contract_id) -> bool:
    contract = Contract.get_by_id(contract_id)
    return sum(cents for cents, _ in _payments(contract_id)) == contract.total_cents - contract.due_cents


def test_create_with_due_below_total_records_one_adjustment(staff, make):
    contract = make.contract(total="1000.00", due="250.25")
    assert _payments(contract.id) == [(74975, True)]
    assert _adds_up(contract.id)


def test_create_without_due_records_no_payment(staff, make):
    contract = make.contract(total="1000.00")
    assert _payments(contract.id) == []


def test_update_due_records_the_difference_and_real_payments_are_not_adjustments(staff, make):
    contract = make.contract(total="1000.00", signed=True)
    contracts.pay_contract(staff["management"], contract.id, "100.00")
    contracts.update_contract(staff["management"], contract.id, due="600.00")
    assert _payments(contract.id) == [(10000, False), (30000, True)]
    contracts.update_contract(staff["management"], contract.id, due="700.00")  # due back up
    assert _payments(contract.id)[-1] == (-10000, True)
    assert _adds_up(contract.id)


def test_the_adjustment_is_in_the_audit_trail(staff, make):
    from epicshell.models import AuditEntry

    contract = make.contract(total="10.00", due="4.00")
    entry = AuditEntry.get((AuditEntry.entity == "contract") & (AuditEntry.entity_id == contract.id)
                           & (AuditEntry.field == "adjustment"))
    assert (entry.action, entry.new) == ("create", "6.00")


def test_contract_view_marks_adjustments(shell, make):
    contract = make.contract(total="1000", due="900", signed=True)
    shell.ok(f"contract pay {contract.id} 50")
    table = shell.ok(f"contract view {contract.id}").out
    section = table.split("payments (2)", 1)[1].split("events", 1)[0]
    lines = [line for line in section.splitlines() if "100.00" in line or "50.00" in line]
    assert len(lines) == 2
    assert lines[0].rstrip().endswith("yes") and lines[1].rstrip().endswith("no")


def test_migration_backfills_contracts_whose_payments_did_not_add_up(db):
    """A database from before the migration: dues typed below totals, no payment for them
    (and, from a later migration, each adjustment carries its contract's commercial)."""
    database_id = Setting.get_by_id("database_id").value
    schema_at(db, "0005_search_and_event_commercial")
    insert_old_rows(db, contracts=[(1, 1, 1, 50000, 20000, "draft", None),
                                   (2, 2, 2, 30000, 20000, "signed", "2029-12-31 09:00:00")])
    assert [name for name in migrate(db) if name.startswith("0006")]
    assert _payments(1) == [(30000, True)]
    assert _payments(2) == [(10000, True)]
    assert [p.commercial_id for p in Payment.select().order_by(Payment.contract)] == [1, 2]
    assert Setting.get_by_id("database_id").value != database_id  # a new database, a new id


def test_the_database_identity_survives_reopening(db_url, db, staff):
    first = Setting.get_by_id("database_id").value
    close_database()
    open_database(db_url)
    assert Setting.get_by_id("database_id").value == first and len(first) == 32
    assert PASSWORD
