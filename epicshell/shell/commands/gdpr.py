"""`client export-data` and `client forget` (commands.md §10): a client's copy of their
data, and the erasure of it."""
from __future__ import annotations

import json

from ...services import clients, gdpr
from .. import lookups
from ..files import write_file
from ..registry import YES, Arg, Flag, command
from ..render import Result, data_value

CLIENT_ID = Arg("id", "client id", complete=lookups.client_ids)


def _json_value(value):
    converted = data_value(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON")
    return converted


@command("client export-data", summary="Write everything stored about a client to FILE "
         "(JSON): the record, contracts and payments, events, audit entries.",
         operation="client.export_data",
         params=(CLIENT_ID, Arg("file", "the JSON file to write", metavar="FILE"),
                 Flag("--force", "overwrite FILE if it exists")),
         examples=("client export-data 12 kevin-casey.json",))
def client_export_data(ctx, args):
    data = gdpr.client_data(ctx.actor, args.id)
    write_file(ctx, args.file, lambda file: file.write(
        json.dumps(data, indent=2, ensure_ascii=False, default=_json_value) + "\n"),
        force=args.force)
    return Result(message=f"Wrote the data of client {data['client']['id']} to {args.file}.")


@command("client forget", summary="Erase a client's personal data, keeping contracts, "
         "payments and events (cannot be undone).", operation="client.forget",
         params=(CLIENT_ID, YES), examples=("client forget 12", "client forget 12 --yes"))
def client_forget(ctx, args):
    client = clients.get_client(ctx.actor, args.id)
    ctx.confirm(f"Erase the personal data of client {client.id} ({client.full_name})? "
                "This cannot be undone.", args.yes)
    erasure = gdpr.forget_client(ctx.actor, client.id)
    if erasure.already:
        return Result(message=f"Client {client.id} was already forgotten: nothing left to "
                      "erase, nothing changed.")
    if not erasure.scrubbed:
        ctx.app.notice("another shell was reading the database: the old values stay in "
                       "its write-ahead log file until the last shell closes the database")
    notes = f" and {erasure.notes} event note{'s' if erasure.notes != 1 else ''}" \
        if erasure.notes else ""
    return Result(message=f"Client {client.id} is now {erasure.client.full_name}: name, email, "
                  f"phone, company{notes} erased; {erasure.redacted} audit "
                  f"value{'s' if erasure.redacted != 1 else ''} redacted.")
