"""Which columns a table shows: each record's compact default set, `--columns`, completion.

A table shows what staff scan for (commands.md §7), so it fits the screen for ordinary
data; `--columns a,b,c` picks others among the record's keys (§2), `--columns all`
shows them all. CSV and JSON never look at this: they always carry every key, in order.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..safetext import visible
from ..services.records import AUDIT_KEYS, CLIENT_KEYS, CONTRACT_KEYS, EVENT_KEYS, USER_KEYS
from .registry import Opt

ALL = "all"


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of record: every key, and the compact set tables show."""

    keys: tuple  # every key, in the order of commands.md §2 (what CSV and JSON carry)
    default: tuple  # the compact set of a table
    derived: tuple = ()  # table-only columns `--columns` also accepts (the audit's `change`)

    @property
    def names(self) -> tuple:
        return self.keys + self.derived

    def pick(self, spec: str | None) -> tuple:
        """The table columns `--columns SPEC` asks for (None: the compact default set)."""
        if spec is None:
            return self.default
        if spec.strip() == ALL:
            return self.keys
        chosen = [name.strip() for name in spec.split(",") if name.strip()]
        if not chosen:
            raise UsageError(f"--columns: give column names separated by commas, or {ALL}")
        for name in chosen:
            if name not in self.names:
                raise UsageError(f"--columns: unknown column `{visible(name)}`; columns: "
                                 f"{', '.join(self.names)} (or {ALL})")
        return tuple(dict.fromkeys(chosen))

    def complete(self, app, text: str):
        """Completion of `--columns`: the name after the last comma, never one already given."""
        head, comma, last = text.rpartition(",")
        given = set(head.split(",")) if comma else set()
        found = [(f"{head}{comma}{name}", "") for name in self.names
                 if name.startswith(last) and name not in given]
        if not comma and ALL.startswith(last):
            found.append((ALL, "every column"))
        return found

    def option(self) -> Opt:
        return Opt("--columns", f"table columns, comma-separated, or {ALL} "
                   f"(default: {', '.join(self.default)})", metavar="A,B,C", complete=self.complete)


USER = Columns(USER_KEYS, ("id", "full_name", "email", "department", "active"))
CLIENT = Columns(CLIENT_KEYS, ("id", "full_name", "company", "commercial", "updated_at"))
CONTRACT = Columns(CONTRACT_KEYS, ("id", "client", "commercial", "total", "due", "status"))
EVENT = Columns(EVENT_KEYS, ("id", "name", "client", "start", "support", "location"))
HISTORY = Columns(AUDIT_KEYS, ("at", "actor", "action", "field", "change"), derived=("change",))
AUDIT = Columns(AUDIT_KEYS, ("at", "actor", "action", "entity", "entity_id", "field", "change"),
                derived=("change",))
