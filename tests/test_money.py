"""Money is exact: integer cents in the database, Decimal in Python, never a float.

A thousand random payments must leave every contract's amount due exactly equal to
its total minus what was paid, to the cent, on both databases, and SQL sums of cents
must be exact too.
"""
from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from peewee import fn

from epicshell.models import AuditEntry, Contract, Payment, database
from epicshell.services import contracts, records
from epicshell.validation import format_cents

CENT = Decimal("0.01")
SEED = 20261128


def _random_amount(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    """A uniformly random amount with two decimals in [low, high]."""
    return Decimal(rng.randint(int(low * 100), int(high * 100))) / 100


def _as_text(amount: Decimal, rng: random.Random) -> str:
    """Amounts are typed in several ways: 12, 12.5, 12.50, 1,234.50."""
    text = f"{amount:.2f}"
    style = rng.randrange(4)
    if style == 0 and text.endswith(".00"):
        return text[:-3]
    if style == 1 and text.endswith("0"):
        return text[:-1]
    if style == 2 and amount >= 1000:
        return f"{amount:,.2f}"
    return text


def _pay_randomly(actor, ident: int, total: Decimal, seed: int, count: int, settle: bool) -> Decimal:
    """COUNT random payments on one contract (the last one settles it if SETTLE); returns the sum.

    Runs in a worker thread, on that thread's own database connection.
    """
    rng = random.Random(seed)
    paid = Decimal("0.00")
    try:
        for n in range(count):
            due = total - paid
            high = min(due, max(CENT, (total / (2 * count)).quantize(CENT)))
            amount = due if settle and n == count - 1 else _random_amount(rng, CENT, high)
            contracts.pay_contract(actor, ident, _as_text(amount, rng))
            paid += amount
    finally:
        database.close()
    return paid


def test_a_thousand_random_payments_add_up_to_the_cent(staff, make):
    rng = random.Random(SEED)
    bill = staff["commercial"]
    client = make.client()
    totals: dict[int, Decimal] = {}
    for _ in range(9):
        total = _random_amount(rng, Decimal("1000.00"), Decimal("999999999.99"))
        totals[make.contract(client, total=f"{total:.2f}", signed=True).id] = total
    totals[make.contract(client, total="1.00", signed=True).id] = Decimal("1.00")  # 0.01 steps
    with ThreadPoolExecutor(max_workers=4) as pool:  # four staff paying at once
        futures = {ident: pool.submit(_pay_randomly, bill, ident, total, SEED + n, 100, n % 3 == 0)
                   for n, (ident, total) in enumerate(totals.items())}
        paid = {ident: future.result() for ident, future in futures.items()}
    assert Payment.select().count() == 1000
    for ident, total in totals.items():
        stored = Contract.get_by_id(ident)
        assert stored.total == total
        assert stored.due == total - paid[ident], f"contract {ident}"
        assert records.contract_record(contracts.get_contract(bill, ident))["due"] == (
            f"{total - paid[ident]:.2f}")
        paid_sum = Payment.select(fn.SUM(Payment.amount_cents)).where(Payment.contract == ident).scalar()
        assert Decimal(paid_sum) / 100 == paid[ident]
    assert [Contract.get_by_id(i).due_cents for i in list(totals)[::3]] == [0] * 4  # settled ones
    assert sum(paid.values()) == Decimal(Payment.select(fn.SUM(Payment.amount_cents)).scalar()) / 100
    payment_entries = AuditEntry.select().where(AuditEntry.action == "pay", AuditEntry.field == "payment")
    assert payment_entries.count() == 1000


def test_sql_sum_of_cents_is_exact(staff, make):
    rng = random.Random(SEED + 1)
    client = make.client()
    expected = 0
    for _ in range(60):
        cents = rng.randint(90_000_000_000, 99_999_999_999)  # close to the largest amount
        make.contract(client, total=format_cents(cents))
        expected += cents
    for text in ("0.10", "0.20"):  # 0.1 + 0.2 != 0.3 in floats
        make.contract(client, total=text)
        expected += int(Decimal(text) * 100)
    total = Contract.select(fn.SUM(Contract.total_cents)).scalar()
    assert int(total) == expected
    assert Decimal(int(total)) / 100 == sum(
        (c.total for c in Contract.select()), Decimal("0"))


def test_amounts_round_trip_without_float_errors(staff, make):
    client = make.client()
    for text in ("0.10", "0.20", "0.30", "1.15", "2.67", "999999999.99", "1234567.89"):
        contract = make.contract(client, total=text)
        stored = Contract.get_by_id(contract.id)
        assert stored.total == Decimal(text)
        assert format_cents(stored.total_cents) == text
        assert isinstance(stored.total_cents, int)


def test_due_and_payments_keep_the_invariant_total_minus_paid(staff, make):
    rng = random.Random(SEED + 2)
    contract = make.contract(total="100.00", signed=True)
    paid = Decimal("0")
    for _ in range(30):
        amount = _random_amount(rng, CENT, Decimal("3.33"))
        contracts.pay_contract(staff["management"], contract.id, f"{amount:.2f}")
        paid += amount
    stored = Contract.get_by_id(contract.id)
    assert stored.due == Decimal("100.00") - paid
    assert sum((p.amount_cents for p in contracts.payments_of(contract.id)), 0) == int(paid * 100)
