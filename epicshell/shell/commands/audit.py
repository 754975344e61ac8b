"""`history ENTITY ID` and `audit`: the audit trail, read through services/history.py.

Both are lists: paged (--limit/--page) and in every format. CSV and JSON give the audit
entry keys of commands.md §2 (`at, actor, action, entity, entity_id, field, old, new`);
a table shows the change on one column, `old → new`, so it reads as a story.
"""
from __future__ import annotations

from ...errors import UsageError
from ...services import history
from ...services.policy import may
from ...services.records import AUDIT_KEYS, audit_record
from .. import lookups
from ..columns import AUDIT, HISTORY
from ..registry import FORMAT, PAGING, Arg, Opt, command
from ..render import Result
from .common import paging

ARROW = " → "
RECORD_IDS = {
    "user": lookups.user_ids,
    "client": lookups.client_ids,
    "contract": lookups.contract_ids,
    "event": lookups.event_ids,
}


def history_targets(app, text: str):
    """Completion of `ENTITY ID`: first the entity, then ids of that entity only.

    The argument takes both words, so the provider sees the entity already typed
    (`client 1` → ids of clients starting with 1); `user` is offered to management only,
    the only department that may read staff accounts.
    """
    words = text.split(" ")
    user = app.session.user if app.session.active else None
    entities = [e for e, _ in lookups.entities(app, "") if e != "user" or may(user, "user.view")]
    if len(words) == 1:
        return [(e, "") for e in entities if e.startswith(words[0])]
    if len(words) > 2 or words[0] not in entities:
        return []
    entity, prefix = words
    return [(f"{entity} {value}", meta) for value, meta in RECORD_IDS[entity](app, prefix)]


def _change(record: dict) -> str:
    old, new = record["old"], record["new"]
    if old is None and new is None:
        return ""
    return f"{'' if old is None else old}{ARROW}{'' if new is None else new}"


def _result(args, page, columns, empty: str) -> Result:
    """The entries with their §2 keys for CSV/JSON; a table may also show a `change` column."""
    chosen = columns.pick(args.columns)

    def with_change(entry):
        record = audit_record(entry)
        return {**record, "change": _change(record)}

    return Result.listing(page, with_change, AUDIT_KEYS, empty=empty, columns=chosen)


@command("history", summary="The audit trail of one record: when, who, what changed (old → new).",
         operation="history.read",
         params=(Arg("target", "user, client, contract or event, then its id", many=True,
                     complete=history_targets, metavar="ENTITY ID"),
                 FORMAT, HISTORY.option(), *PAGING),
         examples=("history client 12", "history contract 7 --format csv",
                   "history user 4 --limit 10 --page 2"))
def history_(ctx, args):
    if len(args.target) != 2:
        raise UsageError("history: give an entity and an id, e.g. `history client 12` "
                         "(usage: history ENTITY ID)")
    entity, ident = args.target
    HISTORY.pick(args.columns)  # a bad --columns is refused before the query
    page = history.record_history(ctx.actor, entity, ident, **paging(args))
    return _result(args, page, HISTORY, empty=f"no history for {entity.lower()} {ident}")


@command("audit", summary="The latest changes across the system, newest first (management).",
         operation="audit.read",
         params=(Opt("--user", "only changes made by this user", metavar="ID",
                     complete=lookups.user_ids),
                 Opt("--entity", "only user, client, contract or event", metavar="E",
                     complete=lookups.entities),
                 Opt("--since", "only changes from this local date/time on", metavar="DATE"),
                 FORMAT, AUDIT.option(), *PAGING),
         examples=("audit", "audit --entity contract --since 2026-01-01",
                   "audit --user 3 --format json"))
def audit_(ctx, args):
    AUDIT.pick(args.columns)  # a bad --columns is refused before the query
    page = history.audit_log(ctx.actor, user=args.user, entity=args.entity, since=args.since,
                             **paging(args))
    return _result(args, page, AUDIT, empty="no changes match")
