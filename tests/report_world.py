"""A seeded world for the agenda and the reports, with dates relative to now.

Records are made through the services; dates the services cannot backdate (a contract's
creation or signature, a payment's time) are then set with a direct model update. The
names say what each record is there to prove.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from epicshell.models import Contract, Payment, utcnow
from epicshell.services import contracts
from epicshell.validation import utc_to_local


def local_text(moment: datetime) -> str:
    """A naive UTC time as the local `YYYY-MM-DD HH:MM` the services parse."""
    return utc_to_local(moment).strftime("%Y-%m-%d %H:%M")


@dataclass
class ReportWorld:
    staff: dict
    contracts: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)


def backdate(contract, *, created_days=None, signed_days=None, paid_days=None):
    now = utcnow()
    values = {}
    if created_days is not None:
        values["created_at"] = now - timedelta(days=created_days)
    if signed_days is not None:
        values["signed_at"] = now - timedelta(days=signed_days)
    if values:
        Contract.update(values).where(Contract.id == contract.id).execute()
    if paid_days is not None:
        Payment.update(paid_at=now - timedelta(days=paid_days)).where(
            Payment.contract == contract.id).execute()


def build(make, staff) -> ReportWorld:
    """Bill (commercial) and Cara (commercial2) with drafts, signed contracts and events;
    Sue (support) and Sam (support2) with events now and later."""
    world = ReportWorld(staff)
    boss = staff["management"]
    bill_1, bill_2 = make.client("commercial"), make.client("commercial")
    cara_1 = make.client("commercial2")
    c = world.contracts

    def contract(name, client, total, *, sign_days=None, pay=None, created_days=None,
                 paid_days=None):
        made = make.contract(client, total=total, signed=sign_days is not None)
        if pay:
            contracts.pay_contract(boss, made.id, pay)
        backdate(made, created_days=created_days, signed_days=sign_days,
                 paid_days=paid_days if pay else None)
        c[name] = made
        return made

    contract("bill_older_draft", bill_1, "250.55", created_days=40)  # both drafts lists
    contract("bill_old_draft", bill_1, "1000.00", created_days=20)  # commercial's only
    contract("bill_new_draft", bill_2, "77.00")  # too recent for any agenda
    contract("bill_due", bill_1, "5000.00", sign_days=45, pay="1234.56", created_days=50,
             paid_days=44)
    contract("bill_paid", bill_2, "800.00", sign_days=10, pay="800.00", paid_days=9)
    cancelled = contract("bill_cancelled", bill_2, "300.00")
    contracts.cancel_contract(boss, cancelled.id)
    contract("cara_over_90", cara_1, "9999.99", sign_days=100, created_days=120)
    contract("cara_61_90", cara_1, "300.10", sign_days=75, pay="0.10", paid_days=70)
    contract("cara_0_30", cara_1, "100.00", sign_days=5, pay="57.58", paid_days=1)
    contract("cara_old_draft", cara_1, "12.34", created_days=35)

    now = utcnow()

    def event(name, contract_name, support, start_days, attendees):
        start = now + timedelta(days=start_days)
        world.events[name] = make.event(c[contract_name], support=support, name=name,
                                        start=local_text(start),
                                        end=local_text(start + timedelta(hours=4)),
                                        attendees=attendees)

    event("Bill Gala in 3 days (Sue)", "bill_due", "support", 3, 10)
    event("Bill Fair in 10 days (Sam)", "bill_due", "support2", 10, 25)
    event("Cara Party in 2 days (Sue)", "cara_over_90", "support", 2, 7)
    event("Bill Expo in 20 days (nobody)", "bill_paid", None, 20, 100)
    event("Cara Show in 40 days (nobody)", "cara_0_30", None, 40, 3)
    event("Bill Launch in 5 days (nobody)", "bill_paid", None, 5, 40)
    event("Sue Past event", "bill_due", "support", -2, 8)
    return world
