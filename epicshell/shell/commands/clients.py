"""`client …` commands: everyone reads; commercials create and update their own."""
from __future__ import annotations

from ...services import clients, views
from ...services.records import (
    CLIENT_KEYS,
    client_record,
    contract_record,
    event_record,
)
from ...validation import parse_search
from .. import lookups
from ..columns import CLIENT, CONTRACT, EVENT
from ..fields import CLIENT_FIELDS, COMMERCIAL_FIELD
from ..registry import FORMAT, PAGING, Arg, Flag, Opt, command
from ..render import Result, Section
from .common import given, nothing_changed, paging, run_update

CLIENT_ID = Arg("id", "client id", complete=lookups.client_ids)
FIELD_OPTS = tuple(Opt(f.flag, f.label.lower(), metavar=f.name.upper()) for f in CLIENT_FIELDS)
COLUMNS = CLIENT.option()


def _list(ctx, args, search=None):
    columns = CLIENT.pick(args.columns)
    page = clients.list_clients(ctx.actor, mine=getattr(args, "mine", False),
                                commercial=getattr(args, "commercial", None),
                                search=parse_search(search), sort=getattr(args, "sort", None),
                                **paging(args))
    return Result.listing(page, client_record, CLIENT_KEYS, empty="no clients match",
                          columns=columns)


@command("client list", summary="List clients (everyone may read every client).",
         operation="client.read",
         params=(Flag("--mine", "only your clients"),
                 Opt("--commercial", "only this commercial's clients", metavar="ID",
                     complete=lookups.commercial_ids),
                 Opt("--search", "text in the name, email or company", metavar="TEXT"),
                 Opt("--sort", "id, name, company, created, updated (prefix - to reverse)",
                     metavar="FIELD"),
                 FORMAT, COLUMNS, *PAGING),
         examples=("client list --mine", "client list --search casey --format csv",
                   "client list --sort -updated --limit 10"))
def client_list(ctx, args):
    return _list(ctx, args, search=args.search)


@command("client search", summary="Find clients by name, email or company.",
         operation="client.read", params=(Arg("text", "what to look for"), FORMAT, COLUMNS, *PAGING),
         examples=("client search casey",))
def client_search(ctx, args):
    return _list(ctx, args, search=args.text)


@command("client view", summary="One client with its contracts and events.",
         operation="client.read", params=(CLIENT_ID, FORMAT),
         examples=("client view 12",))
def client_view(ctx, args):
    shown = views.client_view(ctx.actor, args.id)
    client = shown.client
    return Result.view(client_record(client), CLIENT_KEYS, sections=[
        Section.of_related("contracts", shown.contracts, contract_record, CONTRACT.default,
                           more=f"contract list --client {client.id}"),
        Section.of_related("events", shown.events, event_record, EVENT.default,
                           more=f"event list --client {client.id}"),
    ])


@command("client create", summary="Create a client (a commercial's clients are their own).",
         operation="client.create",
         params=(*FIELD_OPTS, Opt("--commercial", "the commercial in charge (management only)",
                                  metavar="ID", complete=lookups.commercial_ids)),
         examples=("client create --full-name 'Kevin Casey' --email kevin@startup.io",
                   "client create --full-name Ana --email ana@x.io --phone '+33 6 12 34 56 78'",
                   "client create   (opens the wizard)"))
def client_create(ctx, args):
    fields = list(CLIENT_FIELDS)
    if ctx.actor.department == "management":
        fields.append(COMMERCIAL_FIELD)
    values = ctx.fill(fields, given(args, fields), title="New client")
    if args.commercial is not None:  # a commercial's too: the service refuses another's id
        values["commercial"] = args.commercial
    client = clients.create_client(ctx.actor, **values)
    return Result(message=f"Created client {client.id}: {client.full_name} "
                  f"(commercial: {client.commercial.full_name}).")


@command("client update", summary="Change a client's details (commercials: their own clients).",
         operation="client.update",
         params=(Arg("id", "client id", complete=lookups.own_client_ids), *FIELD_OPTS),
         examples=("client update 12 --phone '+33 6 00 00 00 00'",
                   "client update 12   (opens the wizard with the current values)"))
def client_update(ctx, args):
    client = run_update(ctx, args, CLIENT_FIELDS, entity="client", load=clients.get_client,
                        save=clients.update_client,
                        current_of=lambda c: {"id": c.id, **{f.name: getattr(c, f.name) or ""
                                                               for f in CLIENT_FIELDS}})
    if client is None:
        return nothing_changed(ctx)
    return Result(message=f"Updated client {client.id}.")


@command("client assign", summary="Give a client (and its contracts) to another commercial.",
         operation="client.assign",
         params=(CLIENT_ID, Arg("commercial_id", "the new commercial",
                                complete=lookups.commercial_ids, metavar="COMMERCIAL_ID")),
         examples=("client assign 12 7",))
def client_assign(ctx, args):
    client = clients.assign_client(ctx.actor, args.id, args.commercial_id)
    return Result(message=f"Client {client.id} is now handled by {client.commercial.full_name}.")
