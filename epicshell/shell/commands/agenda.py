"""`agenda [--days N]`: what needs the current user now; its short form follows a login.

A table shows one titled section per kind of record (each with the command that lists
them all when only the first are shown). CSV and JSON give one flat row per record, with
the keys AGENDA_KEYS:

- `section`: events, unassigned_events, old_drafts, amounts_due or total_due;
- `entity`: event or contract; `id` the record's id;
- `date`: an event's start, a draft's creation, a signed contract's signature;
- `name`: the event's name; `client`, `client_phone`: its client; `commercial`: the
  contract's commercial (contracts only);
- `amount`: a draft's total, the amount still due of a signed contract; management's
  last row (section total_due, no id) holds the total due on signed contracts.
"""
from __future__ import annotations

from ...services import agenda as agenda_service
from ...services.records import contract_record, event_record
from ...validation import format_cents
from ..registry import FORMAT, Opt, command
from ..render import Result, render

AGENDA_KEYS = ("section", "entity", "id", "date", "name", "client", "client_phone", "commercial",
               "amount")
TABLE_KEYS = {
    "events": ("id", "start", "name", "client", "client_phone", "location"),
    "unassigned_events": ("id", "start", "name", "client", "location"),
    "old_drafts": ("id", "created_at", "client", "commercial", "total", "due"),
    "amounts_due": ("id", "signed_at", "client", "total", "due"),
}
DATE_OF = {"events": "start", "unassigned_events": "start", "old_drafts": "created_at",
           "amounts_due": "signed_at"}
AMOUNT_OF = {"old_drafts": "total", "amounts_due": "due"}
BRIEF_WIDTH = 80


def _records(section) -> list[dict]:
    to_record = event_record if section.entity == "event" else contract_record
    records = [to_record(row) for row in section.page.rows]
    if section.entity == "contract":  # the table shows whom to call
        for record, row in zip(records, section.page.rows, strict=True):
            record["client_phone"] = row.client.phone
    return records


def _flat_row(section, record: dict) -> dict:
    return {
        "section": section.key,
        "entity": section.entity,
        "id": record["id"],
        "date": record[DATE_OF[section.key]],
        "name": record.get("name") if section.entity == "event" else None,
        "client": record["client"],
        "client_phone": record["client_phone"],
        "commercial": record.get("commercial") if section.entity == "contract" else None,
        "amount": record.get(AMOUNT_OF.get(section.key, ""), None),
    }


def _total_due_line(result) -> str:
    return (f"{format_cents(result.due_cents)} due on {result.due_contracts:,} signed "
            f"contract{'' if result.due_contracts == 1 else 's'}")


def _heading(section) -> str:
    shown = len(section.page.rows)
    text = section.summary[0].upper() + section.summary[1:]
    if shown < section.count:
        text += f" (first {shown}; all: {section.command})"
    return text


def _as_tables(ctx, result) -> str:
    screen = ctx.app.screen("table")
    parts = []
    for section in result.sections:
        parts.append(_heading(section))
        if section.page.rows:
            parts.append(render(Result(rows=_records(section), keys=TABLE_KEYS[section.key]),
                                "table", screen))
        parts.append("")
    if result.due_cents is not None:
        parts.append(f"Total {_total_due_line(result)} (by age: report unpaid)")
    return "\n".join(parts).rstrip("\n")


def _as_rows(result) -> list[dict]:
    rows = [_flat_row(section, record) for section in result.sections
            for record in _records(section)]
    if result.due_cents is not None:
        rows.append({**dict.fromkeys(AGENDA_KEYS), "section": "total_due", "entity": "contract",
                     "amount": format_cents(result.due_cents)})
    return rows


@command("agenda", summary="What needs you now: your coming events, waiting drafts, amounts "
         "due.", operation="agenda.read",
         params=(Opt("--days", "how many days ahead (default 7; management 30)", metavar="N"),
                 FORMAT),
         examples=("agenda", "agenda --days 14", "agenda --format json"))
def agenda(ctx, args):
    result = agenda_service.agenda(ctx.actor, days=args.days)
    fmt = args.format or ctx.app.output_format
    if fmt == "table":
        return Result(message=_as_tables(ctx, result))
    return Result(rows=_as_rows(result), keys=AGENDA_KEYS)


def brief(actor) -> list[str]:
    """The agenda's short form: one line per section, its count and the command listing it."""
    result = agenda_service.agenda(actor, limit=1)
    lines = [(section.summary, section.command) for section in result.sections]
    if result.due_cents is not None:
        lines.append((_total_due_line(result), "report unpaid"))
    width = max(len(text) for text, _ in lines)
    shown = [f"  {text.ljust(width)}  {where}" for text, where in lines]
    if any(len(line) > BRIEF_WIDTH for line in shown):
        shown = [f"  {text}: {where}" for text, where in lines]
    return [*shown, "  (details: agenda)"]
