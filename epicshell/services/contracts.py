"""Contracts: draft → signed or cancelled; a total, an amount still due, payments.

`status` is the one field saying whether a contract is signed (no separate flag to
drift from it). Payments are applied with a conditional UPDATE (`due >= amount`), so
two staff recording payments at once can never take the amount due below zero.
"""
from __future__ import annotations

from peewee import JOIN, fn

from ..errors import EpicError, NotFound, ValidationError
from ..models import Client, Contract, Payment, User, utcnow
from ..validation import CONTRACT_STATUSES, format_cents, parse_amount, parse_id
from .base import audit, notify, paginate, save_changes, versioned_update
from .policy import mine_condition, requires
from .shapes import Shape

ClientUser = User.alias("commercial_user")


def with_names():
    """Contracts joined with their client and commercial, as every contract listing shows them."""
    return (Contract.select(Contract, Client, ClientUser)
            .join(Client, on=(Contract.client == Client.id))
            .switch(Contract)
            .join(ClientUser, on=(Contract.commercial == ClientUser.id)))


@requires("contract.read", write=False)
def list_contracts(actor, *, mine=False, unsigned=False, unpaid=False, status=None, client=None,
                   page=1, limit=50, count=False):
    query, counted = contract_query(actor, mine=mine, unsigned=unsigned, unpaid=unpaid,
                                    status=status, client=client)
    return paginate(query.order_by(Contract.id), page, limit, count_query=counted, exact=count)


def contract_query(actor, *, mine=False, unsigned=False, unpaid=False, status=None, client=None):
    """(rows with their names, the same rows' ids) of the contracts the filters select."""
    conditions = []
    if mine:
        conditions.append(mine_condition(actor, "contract")[0])
    if unsigned:
        conditions.append(Contract.status == "draft")
    if unpaid:
        # Written as an IN so the (status, due_cents) index answers it alone.
        conditions.append(Contract.status.in_(("draft", "signed")) & (Contract.due_cents > 0))
    if status:
        if status not in CONTRACT_STATUSES:
            raise ValidationError("status", f"{status!r} is not one of {', '.join(CONTRACT_STATUSES)}")
        conditions.append(Contract.status == status)
    if client is not None:
        conditions.append(Contract.client == parse_id(client, "client"))
    query, counted = with_names(), Contract.select(Contract.id)
    for condition in conditions:
        query, counted = query.where(condition), counted.where(condition)
    return query, counted


_CONTRACT = Shape(lambda contract_id: with_names().where(Contract.id == contract_id).limit(1))


@requires("contract.read", write=False)
def get_contract(actor, contract_id):
    contract = _CONTRACT.first(parse_id(contract_id))
    if contract is None:
        raise NotFound("contract", contract_id)
    return contract


def check_due_within_total(total_cents: int, due_cents: int) -> None:
    """The amount still due is at most the total (the service's rule; the wizard asks it
    as typed)."""
    if due_cents > total_cents:
        raise ValidationError("due", f"{format_cents(due_cents)} is more than the total "
                              f"{format_cents(total_cents)}")


def clean_amounts(total, due=None) -> tuple[int, int]:
    """(total_cents, due_cents) of a new contract: due defaults to the total, 0 <= due <= total.

    The one rule of `contract create` and of every imported contract row.
    """
    total_cents = parse_amount(total, "total")
    due_cents = total_cents if due is None or due == "" else parse_amount(due, "due")
    check_due_within_total(total_cents, due_cents)
    return total_cents, due_cents


def _record_adjustment(actor, contract: Contract) -> int:
    """Record the payment that makes the payments add up to total − due; return its cents.

    Payments always explain total − due: a `due` set below the total without a payment
    (create or update --due) gets one payment of the difference, marked as an
    adjustment (negative when due went back up). 0 when nothing was missing.
    """
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0))
            .where(Payment.contract == contract.id).scalar())
    missing = contract.total_cents - contract.due_cents - int(paid)
    if missing:
        Payment.insert(adjustment_row(actor, contract.id, contract.commercial_id, missing)).execute()
    return missing


def adjustment_row(actor, contract_id: int, commercial_id: int, cents: int) -> dict:
    """The payment row explaining CENTS of total − due that no payment explains (it carries
    the contract's commercial, as every payment does)."""
    return {"contract": contract_id, "commercial": commercial_id, "amount_cents": cents,
            "adjustment": True, "paid_at": utcnow(),
            "recorded_by": actor.id if actor is not None else None}


def refuse_if_cancelled(contract: Contract) -> None:
    """A cancelled contract accepts no change (and no new event): the one wording of it."""
    if contract.status == "cancelled":
        raise EpicError(f"contract {contract.id} is cancelled and accepts no change")


@requires("contract.create", Client)
def create_contract(actor, client, *, total, due=None):
    """A new draft for CLIENT; its commercial is the client's; due defaults to the total."""
    total_cents, due_cents = clean_amounts(total, due)
    contract = Contract.create(client=client.id, commercial=client.commercial_id,
                               total_cents=total_cents, due_cents=due_cents, status="draft")
    changes = {"client": (None, client.full_name), "total": (None, format_cents(total_cents)),
               "due": (None, format_cents(due_cents)), "status": (None, "draft")}
    adjusted = _record_adjustment(actor, contract)
    if adjusted:
        changes["adjustment"] = (None, format_cents(adjusted))
    audit(actor, "create", "contract", contract.id, changes)
    notify("contract.created", contract_id=contract.id, client_id=client.id, actor_id=actor.id)
    return contract


@requires("contract.update", Contract)
def update_contract(actor, contract, *, total=None, due=None, expected_version=None):
    refuse_if_cancelled(contract)
    total_cents = contract.total_cents if total in (None, "") else parse_amount(total, "total")
    due_cents = contract.due_cents if due in (None, "") else parse_amount(due, "due")
    if total_cents != contract.total_cents and contract.status == "signed":
        raise ValidationError("total", f"contract {contract.id} is signed; its total cannot change")
    check_due_within_total(total_cents, due_cents)

    def shown(changes: dict) -> dict:
        """Amounts as users read them, and the adjustment payment the new due called for."""
        trail = {field.removesuffix("_cents"): (format_cents(old), format_cents(new))
                 for field, (old, new) in changes.items()}
        adjusted = _record_adjustment(actor, contract)
        if adjusted:
            trail["adjustment"] = (None, format_cents(adjusted))
        return trail

    save_changes(actor, contract, {"total_cents": total_cents, "due_cents": due_cents},
                 "contract", expected_version, shown=shown)
    return contract


@requires("contract.sign", Contract)
def sign_contract(actor, contract):
    if contract.status != "draft":
        raise EpicError(f"contract {contract.id} is {contract.status}; only a draft can be signed")
    now = utcnow()
    versioned_update(contract, {"status": "signed", "signed_at": now}, "contract")
    audit(actor, "sign", "contract", contract.id, {"status": ("draft", "signed"),
                                                    "signed_at": (None, now)})
    notify("contract.signed", contract_id=contract.id, client_id=contract.client_id,
           actor_id=actor.id)
    return contract


@requires("contract.pay", Contract)
def pay_contract(actor, contract, amount):
    """Record a payment: 0 < amount <= due; the amount due goes down by exactly that."""
    refuse_if_cancelled(contract)
    cents = parse_amount(amount, "amount")
    if cents <= 0:
        raise ValidationError("amount", "a payment must be more than 0")
    if cents > contract.due_cents:
        raise ValidationError("amount", f"{format_cents(cents)} is more than the amount due "
                              f"{format_cents(contract.due_cents)}")
    updated = (Contract.update({Contract.due_cents: Contract.due_cents - cents,
                                Contract.version: Contract.version + 1,
                                Contract.updated_at: utcnow()})
               .where((Contract.id == contract.id) & (Contract.due_cents >= cents))
               .execute())
    if updated != 1:
        raise ValidationError("amount", "is more than the amount due (a payment was just recorded)")
    Payment.create(contract=contract.id, commercial=contract.commercial_id, amount_cents=cents,
                   recorded_by=actor.id)
    old_due = contract.due_cents
    contract.due_cents = old_due - cents
    contract.version += 1
    audit(actor, "pay", "contract", contract.id, {
        "due": (format_cents(old_due), format_cents(contract.due_cents)),
        "payment": (None, format_cents(cents))})
    return contract


@requires("contract.cancel", Contract)
def cancel_contract(actor, contract):
    refuse_if_cancelled(contract)
    old = contract.status
    versioned_update(contract, {"status": "cancelled"}, "contract")
    audit(actor, "cancel", "contract", contract.id, {"status": (old, "cancelled")})
    notify("contract.cancelled", contract_id=contract.id, actor_id=actor.id)
    return contract


def payments_of(contract_id: int) -> list[Payment]:
    """A contract's payments, each with the user who recorded it (joined, not one query each)."""
    recorder = User.alias("recorder")
    return list(Payment.select(Payment, recorder)
                .join(recorder, JOIN.LEFT_OUTER, on=(Payment.recorded_by == recorder.id),
                      attr="recorded_by")
                .where(Payment.contract == contract_id).order_by(Payment.id))
