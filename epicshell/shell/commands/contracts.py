"""`contract …` commands: everyone reads; management and the client's commercial change them.

Amounts travel as the text the user typed down to the service, which parses them into
exact cents; what is printed comes back from the service, formatted with two decimals.
"""
from __future__ import annotations

from ...services import clients, contracts, views
from ...services.records import CONTRACT_KEYS, contract_record, event_record
from ...validation import format_cents, parse_amount, parse_id
from .. import lookups
from ..columns import CONTRACT, EVENT
from ..fields import CONTRACT_FIELDS, Field
from ..registry import FORMAT, PAGING, YES, Arg, Flag, Opt, command
from ..render import Result, Section
from .common import complete_values, given, nothing_changed, paging, refuse_early, run_update

CONTRACT_ID = Arg("id", "contract id", complete=lookups.contract_ids)
# The same argument, completed with only the contracts the command accepts.
OPEN_CONTRACT_ID = Arg("id", "contract id", complete=lookups.open_contract_ids)
DRAFT_CONTRACT_ID = Arg("id", "contract id", complete=lookups.draft_contract_ids)
AMOUNT_OPTS = (Opt("--total", "total amount, e.g. 1500 or 1500.50", metavar="AMOUNT"),
               Opt("--due", "amount still due (default: the total)", metavar="AMOUNT"))
CLIENT_FIELD = Field("client", "Client", "the id of a client (yours, for a commercial)",
                     lambda value: parse_id(value, "client"),
                     lookup=lookups.own_client_ids)
PAYMENT_KEYS = ("id", "amount", "paid_at", "recorded_by", "adjustment")
COLUMNS = CONTRACT.option()


def _list(ctx, args, **filters):
    columns = CONTRACT.pick(args.columns)
    page = contracts.list_contracts(ctx.actor, **filters, **paging(args))
    return Result.listing(page, contract_record, CONTRACT_KEYS, empty="no contracts match",
                          columns=columns)


@command("contract list", summary="List contracts (everyone may read every contract).",
         operation="contract.read",
         params=(Flag("--mine", "only the contracts of your clients"),
                 Flag("--unsigned", "only drafts (not signed yet)"),
                 Flag("--unpaid", "only contracts with an amount still due"),
                 Opt("--status", "draft, signed or cancelled", metavar="S",
                     complete=lookups.statuses),
                 Opt("--client", "only this client's contracts", metavar="ID",
                     complete=lookups.client_ids),
                 FORMAT, COLUMNS, *PAGING),
         examples=("contract list --unsigned --mine", "contract list --client 12 --format json"))
def contract_list(ctx, args):
    return _list(ctx, args, mine=args.mine, unsigned=args.unsigned, unpaid=args.unpaid,
                 status=args.status, client=args.client)


def _shortcut(verb: str, summary: str, **filters) -> None:
    """Register `contract VERB`: `contract list` with FILTERS switched on."""
    flags = " ".join(f"--{name}" for name in filters)

    @command(f"contract {verb}", summary=f"{summary} (same as `contract list {flags}`).",
             operation="contract.read", params=(FORMAT, COLUMNS, *PAGING),
             examples=(f"contract {verb}", f"contract {verb} --format csv"))
    def shortcut(ctx, args):
        return _list(ctx, args, **filters)


_shortcut("mine", "Contracts of your clients", mine=True)
_shortcut("unsigned", "Contracts not signed yet", unsigned=True)
_shortcut("unpaid", "Contracts with an amount still due", unpaid=True)


def _payment_record(payment) -> dict:
    return {
        "id": payment.id,
        "amount": format_cents(payment.amount_cents),
        "paid_at": payment.paid_at,
        "recorded_by": payment.recorded_by.full_name if payment.recorded_by_id else None,
        "adjustment": bool(payment.adjustment),
    }


@command("contract view", summary="One contract with its payments and events.",
         operation="contract.read", params=(CONTRACT_ID, FORMAT),
         examples=("contract view 7", "contract view 7 --format json"))
def contract_view(ctx, args):
    shown = views.contract_view(ctx.actor, args.id)
    contract = shown.contract
    return Result.view(contract_record(contract), CONTRACT_KEYS, sections=[
        Section("payments", [_payment_record(p) for p in shown.payments], PAYMENT_KEYS),
        Section.of_related("events", shown.events, event_record, EVENT.default,
                           more=f"event list --contract {contract.id}"),
    ])


@command("contract create", summary="Create a draft contract for a client (its commercial is "
         "the client's).", operation="contract.create",
         params=(Arg("client_id", "the client (asked with a choice list when left out at a "
                     "terminal)", optional=True, complete=lookups.client_ids,
                     metavar="CLIENT_ID"),
                 *AMOUNT_OPTS),
         examples=("contract create 12 --total 1500 --due 500",
                   "contract create   (opens the wizard)"))
def contract_create(ctx, args):
    if args.client_id is not None:
        refuse_early(ctx, "contract.create", clients.get_client(ctx.actor, args.client_id))
    fields = (CLIENT_FIELD, *CONTRACT_FIELDS)
    values = complete_values(ctx, fields, {"client": args.client_id, **given(args, CONTRACT_FIELDS)},
                             title="New contract", labels={"client": "CLIENT_ID"})
    contract = contracts.create_contract(ctx.actor, values["client"], total=values["total"],
                                         due=values.get("due"))
    return Result(message=f"Created contract {contract.id} for {contract.client.full_name}: "
                  f"total {format_cents(contract.total_cents)}, "
                  f"due {format_cents(contract.due_cents)} (draft).")


@command("contract update", summary="Change a contract's total (drafts only) or amount due.",
         operation="contract.update", params=(OPEN_CONTRACT_ID, *AMOUNT_OPTS),
         examples=("contract update 7 --due 250.50",
                   "contract update 7   (opens the wizard with the current values)"))
def contract_update(ctx, args):
    current = contracts.get_contract(ctx.actor, args.id)
    refuse_early(ctx, "contract.update", current)
    contracts.refuse_if_cancelled(current)  # said before any question, not after the form
    # A signed contract's total cannot change: its wizard asks only for the amount due.
    fields = CONTRACT_FIELDS if current.status == "draft" or args.total is not None else \
        tuple(f for f in CONTRACT_FIELDS if f.name != "total")
    contract = run_update(
        ctx, args, fields, entity="contract", load=lambda _actor, _id: current,
        save=contracts.update_contract,
        current_of=lambda c: {"total": format_cents(c.total_cents), "due": format_cents(c.due_cents)})
    if contract is None:
        return nothing_changed(ctx)
    return Result(message=f"Updated contract {contract.id}: total "
                  f"{format_cents(contract.total_cents)}, due {format_cents(contract.due_cents)}.")


@command("contract sign", summary="Sign a draft contract.", operation="contract.sign",
         params=(DRAFT_CONTRACT_ID,), examples=("contract sign 7",))
def contract_sign(ctx, args):
    contract = contracts.sign_contract(ctx.actor, args.id)
    return Result(message=f"Contract {contract.id} signed.")


@command("contract pay", summary="Record a payment: the amount due goes down by AMOUNT.",
         operation="contract.pay",
         params=(OPEN_CONTRACT_ID, Arg("amount", "the amount paid, e.g. 250.50", metavar="AMOUNT")),
         examples=("contract pay 7 250.50",))
def contract_pay(ctx, args):
    contract = contracts.pay_contract(ctx.actor, args.id, args.amount)
    paid = format_cents(parse_amount(args.amount, "amount"))  # accepted by the service just now
    return Result(message=f"Recorded a payment of {paid} on contract {contract.id}; "
                  f"still due: {format_cents(contract.due_cents)}.")


@command("contract cancel", summary="Cancel a contract: it accepts no change and no new event.",
         operation="contract.cancel", params=(OPEN_CONTRACT_ID, YES),
         examples=("contract cancel 7", "contract cancel 7 --yes"))
def contract_cancel(ctx, args):
    contract = contracts.get_contract(ctx.actor, args.id)
    contracts.refuse_if_cancelled(contract)  # nothing to confirm
    ctx.confirm(f"Cancel contract {contract.id} of {contract.client.full_name} "
                f"(total {format_cents(contract.total_cents)}, {contract.status})?", args.yes)
    contracts.cancel_contract(ctx.actor, contract.id)
    return Result(message=f"Contract {contract.id} cancelled.")
