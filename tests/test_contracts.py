"""Contracts through the services: draft → signed or cancelled, totals, dues and payments."""
from __future__ import annotations

from decimal import Decimal

import pytest

from epicshell.errors import EpicError, NotFound, PermissionDenied, ValidationError
from epicshell.models import Contract, Event, Payment
from epicshell.services import contracts, events


def _stored(contract) -> Contract:
    return Contract.get_by_id(contract.id)


def test_new_contract_is_a_draft_of_the_clients_commercial(staff, make):
    client = make.client("commercial2")
    contract = contracts.create_contract(staff["management"], client.id, total="1500.50")
    stored = _stored(contract)
    assert stored.status == "draft" and stored.signed_at is None
    assert stored.commercial_id == staff["commercial2"].id and stored.client_id == client.id
    assert stored.total == Decimal("1500.50") and stored.due == Decimal("1500.50")


def test_due_can_be_given_on_creation(staff, make):
    contract = contracts.create_contract(staff["commercial"], make.client().id, total="1000", due="250.25")
    assert (_stored(contract).total_cents, _stored(contract).due_cents) == (100000, 25025)


@pytest.mark.parametrize("total, due, field", [
    ("100.00", "100.01", "due"),
    ("100.00", "-1", "due"),
    ("-100.00", None, "total"),
    ("100.001", None, "total"),
    ("1000000000", None, "total"),
    ("", None, "total"),
])
def test_invalid_amounts_create_no_contract(staff, make, total, due, field):
    client = make.client()
    with pytest.raises(ValidationError) as err:
        contracts.create_contract(staff["commercial"], client.id, total=total, due=due)
    assert err.value.field == field
    assert Contract.select().count() == 0


def test_zero_and_the_largest_amount_are_accepted(staff, make):
    client = make.client()
    free = contracts.create_contract(staff["commercial"], client.id, total="0")
    big = contracts.create_contract(staff["commercial"], client.id, total="999999999.99", due="0.01")
    assert _stored(free).total_cents == 0
    assert (_stored(big).total, _stored(big).due) == (Decimal("999999999.99"), Decimal("0.01"))


def test_contract_for_a_missing_client_is_not_found(staff):
    with pytest.raises(NotFound):
        contracts.create_contract(staff["management"], 999, total="10")


def test_update_keeps_due_at_most_the_total(staff, make):
    contract = make.contract(total="1000.00", due="800.00")
    bill = staff["commercial"]
    with pytest.raises(ValidationError) as err:
        contracts.update_contract(bill, contract.id, due="1000.01")
    assert err.value.field == "due"
    with pytest.raises(ValidationError):
        contracts.update_contract(bill, contract.id, total="799.99")  # below the current due
    assert (_stored(contract).total_cents, _stored(contract).due_cents) == (100000, 80000)
    contracts.update_contract(bill, contract.id, total="1200.00", due="1200.00")
    assert (_stored(contract).total_cents, _stored(contract).due_cents) == (120000, 120000)


def test_signed_contracts_total_cannot_change_but_its_due_can(staff, make):
    contract = make.contract(total="1000.00", signed=True)
    with pytest.raises(ValidationError, match="signed") as err:
        contracts.update_contract(staff["management"], contract.id, total="900.00")
    assert err.value.field == "total"
    assert _stored(contract).total_cents == 100000
    contracts.update_contract(staff["management"], contract.id, total="1000.00", due="400.00")
    assert (_stored(contract).total_cents, _stored(contract).due_cents) == (100000, 40000)


def test_sign_records_status_and_time_once(staff, make):
    contract = make.contract()
    signed = contracts.sign_contract(staff["commercial"], contract.id)
    stored = _stored(contract)
    assert signed.status == stored.status == "signed" and stored.signed_at is not None
    with pytest.raises(EpicError, match="only a draft can be signed"):
        contracts.sign_contract(staff["commercial"], contract.id)
    assert _stored(contract).signed_at == stored.signed_at


def test_payment_lowers_the_due_and_is_recorded(staff, make):
    contract = make.contract(total="1000.00", signed=True)
    contracts.pay_contract(staff["commercial"], contract.id, "250.50")
    contracts.pay_contract(staff["management"], contract.id, "749.50")
    assert _stored(contract).due_cents == 0 and _stored(contract).total_cents == 100000
    payments = contracts.payments_of(contract.id)
    assert [(p.amount_cents, p.recorded_by_id) for p in payments] == [
        (25050, staff["commercial"].id), (74950, staff["management"].id)]


@pytest.mark.parametrize("amount, message", [
    ("0", "more than 0"),
    ("0.00", "more than 0"),
    ("-5", "negative"),
    ("1000.01", "more than the amount due"),
    ("10.005", "two decimal"),
    ("ten", "not a decimal"),
])
def test_invalid_payment_is_refused_and_changes_nothing(staff, make, db_snapshot, amount, message):
    contract = make.contract(total="1000.00", signed=True)
    before = db_snapshot()
    with pytest.raises(ValidationError, match=message) as err:
        contracts.pay_contract(staff["commercial"], contract.id, amount)
    assert err.value.field == "amount"
    assert db_snapshot() == before


def test_payment_of_exactly_the_due_is_accepted_and_then_nothing_more(staff, make):
    contract = make.contract(total="1000.00", due="0.01", signed=True)
    contracts.pay_contract(staff["commercial"], contract.id, "0.01")
    with pytest.raises(ValidationError, match="more than the amount due"):
        contracts.pay_contract(staff["commercial"], contract.id, "0.01")
    assert _stored(contract).due_cents == 0
    assert Payment.select().where(~Payment.adjustment).count() == 1


def test_cancelled_contract_accepts_no_change_and_no_new_event(staff, make, db_snapshot):
    contract = make.contract(total="1000.00", signed=True)
    boss = staff["management"]
    contracts.cancel_contract(boss, contract.id)
    assert _stored(contract).status == "cancelled"
    before = db_snapshot()
    refused = [
        lambda: contracts.update_contract(boss, contract.id, due="10.00"),
        lambda: contracts.pay_contract(boss, contract.id, "10.00"),
        lambda: contracts.sign_contract(boss, contract.id),
        lambda: contracts.cancel_contract(boss, contract.id),
        lambda: events.create_event(boss, contract.id, name="Gala", start="2031-01-01 10:00",
                                    end="2031-01-01 12:00"),
    ]
    for call in refused:
        with pytest.raises(EpicError, match="cancelled"):
            call()
    assert db_snapshot() == before
    assert Event.select().count() == 0


def test_a_draft_can_be_cancelled_and_never_signed(staff, make):
    contract = make.contract()
    contracts.cancel_contract(staff["management"], contract.id)
    with pytest.raises(EpicError):
        contracts.sign_contract(staff["management"], contract.id)
    assert _stored(contract).status == "cancelled" and _stored(contract).signed_at is None


def test_only_management_cancels(staff, make):
    contract = make.contract()
    with pytest.raises(PermissionDenied):
        contracts.cancel_contract(staff["commercial"], contract.id)
    assert _stored(contract).status == "draft"


def _ids(page) -> set[int]:
    return {c.id for c in page.rows}


def test_list_filters(staff, make):
    mine = make.client()
    theirs = make.client("commercial2")
    draft = make.contract(mine)
    signed_unpaid = make.contract(mine, signed=True)
    paid = make.contract(theirs, total="10.00", signed=True)
    contracts.pay_contract(staff["management"], paid.id, "10.00")
    cancelled = make.contract(theirs)
    contracts.cancel_contract(staff["management"], cancelled.id)
    bill, sue = staff["commercial"], staff["support"]
    assert _ids(contracts.list_contracts(sue)) == {draft.id, signed_unpaid.id, paid.id, cancelled.id}
    assert _ids(contracts.list_contracts(bill, mine=True)) == {draft.id, signed_unpaid.id}
    assert _ids(contracts.list_contracts(sue, unsigned=True)) == {draft.id}
    assert _ids(contracts.list_contracts(sue, unpaid=True)) == {draft.id, signed_unpaid.id}
    assert _ids(contracts.list_contracts(sue, status="cancelled")) == {cancelled.id}
    assert _ids(contracts.list_contracts(sue, client=theirs.id)) == {paid.id, cancelled.id}
    assert _ids(contracts.list_contracts(bill, mine=True, unsigned=True)) == {draft.id}
    assert contracts.list_contracts(sue, unpaid=True).total == 2
    with pytest.raises(ValidationError) as err:
        contracts.list_contracts(sue, status="paid")
    assert err.value.field == "status"


def test_view_carries_client_and_commercial_names(staff, make):
    contract = make.contract(make.client(full_name="Kevin Casey"))
    view = contracts.get_contract(staff["support"], contract.id)
    assert (view.client.full_name, view.commercial.full_name) == ("Kevin Casey", "Bill Boquet")
    with pytest.raises(NotFound):
        contracts.get_contract(staff["support"], contract.id + 1)
