"""The agenda: what needs the current user now, by department (commands.md §9).

Each section is a page of an existing list (the same query as the command it names, so
the count in the agenda and the rows of that command always agree), plus, for
management, the total amount due on signed contracts. Old drafts have no list of their
own: they are read oldest first, and their section names `contract list --unsigned`,
which lists every draft, the oldest first as well.

- support: their events in the next N days (default 7), soonest first;
- commercial: their clients' events in the next N days (default 7), their drafts older
  than 14 days, their signed contracts with an amount due;
- management: events in the next N days (default 30) without support, drafts older than
  30 days, the total amount due on signed contracts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from peewee import fn

from ..models import Contract, utcnow
from ..validation import MAX_AMOUNT_CENTS
from . import contracts, events
from .base import Page, paginate
from .periods import parse_days
from .policy import COMMERCIAL, MANAGEMENT, requires

AGENDA_LIMIT = 20  # rows shown per section; the section names the command listing them all
DEFAULT_DAYS = {MANAGEMENT: 30, COMMERCIAL: 7}
SUPPORT_DAYS = 7
OLD_DRAFT_DAYS = {MANAGEMENT: 30, COMMERCIAL: 14}


@dataclass
class AgendaSection:
    key: str  # stable name in JSON/CSV: events, unassigned_events, old_drafts, amounts_due
    entity: str  # the records listed: event or contract
    page: Page
    command: str  # the command listing them all
    noun: tuple[str, str]  # singular and plural, e.g. ("event in the next 7 days", "events …")

    @property
    def count(self) -> int:
        return self.page.total

    @property
    def summary(self) -> str:
        singular, plural = self.noun  # a count past the list cap reads "10,000+"
        return f"{self.page.total_text} {singular if self.count == 1 else plural}"


@dataclass
class Agenda:
    department: str
    days: int
    sections: list[AgendaSection] = field(default_factory=list)
    due_cents: int | None = None  # management: total due on signed contracts
    due_contracts: int = 0  # … and on how many of them


def _days_text(days: int) -> str:
    return "in the next day" if days == 1 else f"in the next {days} days"


def _event_section(actor, days, limit, *, key, mine, noun) -> AgendaSection:
    page = events.list_events(actor, mine=mine, unassigned=not mine, days=days, limit=limit)
    command = f"event list {'--mine' if mine else '--unassigned'} --days {days}"
    when = _days_text(days)
    return AgendaSection(key, "event", page, command, (f"{noun[0]} {when}", f"{noun[1]} {when}"))


def _old_drafts(actor, limit, *, mine) -> AgendaSection:
    """Drafts created more than the department's age ago, oldest first (read in the order of
    the (commercial, status, created_at) or (status, created_at) index: no sort)."""
    age = OLD_DRAFT_DAYS[actor.department]
    condition = (Contract.status == "draft") & (Contract.created_at < utcnow() - timedelta(days=age))
    if mine:
        condition &= Contract.commercial == actor.id
    query = contracts.with_names().where(condition).order_by(Contract.created_at, Contract.id)
    page = paginate(query, 1, limit, count_query=Contract.select(Contract.id).where(condition))
    command = "contract list --mine --unsigned" if mine else "contract list --unsigned"
    older = f"older than {age} days"
    return AgendaSection("old_drafts", "contract", page, command,
                         (f"draft {older}", f"drafts {older}"))


def _amounts_due(actor, limit) -> AgendaSection:
    page = contracts.list_contracts(actor, mine=True, status="signed", unpaid=True, limit=limit)
    return AgendaSection("amounts_due", "contract", page,
                         "contract list --mine --status signed --unpaid",
                         ("signed contract still owing", "signed contracts still owing"))


def total_due() -> tuple[int, int]:
    """(cents due, contracts owing) over signed contracts, from the (status, due) index."""
    due = Contract.due_cents
    count, cents = (Contract.select(fn.COUNT(Contract.id), fn.SUM(due))
                    .where((Contract.status == "signed") & (due > 0) & (due < MAX_AMOUNT_CENTS))
                    .tuples().get())
    return int(cents or 0), int(count)


@requires("agenda.read", write=False)
def agenda(actor, *, days=None, limit: int = AGENDA_LIMIT) -> Agenda:
    """The agenda of ACTOR's department; each section holds its first LIMIT records."""
    span = parse_days(days, DEFAULT_DAYS.get(actor.department, SUPPORT_DAYS))
    result = Agenda(actor.department, span)
    if actor.department == MANAGEMENT:
        result.sections = [
            _event_section(actor, span, limit, key="unassigned_events", mine=False,
                           noun=("unassigned event", "unassigned events")),
            _old_drafts(actor, limit, mine=False),
        ]
        result.due_cents, result.due_contracts = total_due()
    elif actor.department == COMMERCIAL:
        result.sections = [
            _event_section(actor, span, limit, key="events", mine=True,
                           noun=("event", "events")),
            _old_drafts(actor, limit, mine=True),
            _amounts_due(actor, limit),
        ]
    else:
        result.sections = [
            _event_section(actor, span, limit, key="events", mine=True,
                           noun=("event", "events")),
        ]
    return result
