"""The session's display preferences (`set`): expanded mode, default format, rows per page.

They live in the App for the rest of the session and are never written anywhere: the
next run starts from the defaults (and from `epicshell --format`). An option given on a
command (`--format`, `--limit`) still wins over them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..safetext import visible
from ..services.base import DEFAULT_LIMIT, MAX_LIMIT
from ..validation import parse_limit
from .registry import FORMATS
from .tables import EXPANDED_CHOICES

CHOICES = {"expanded": EXPANDED_CHOICES, "format": FORMATS}
HELP = {
    "expanded": "auto: one block per record when a table is wider than the terminal",
    "format": "output format of commands given no --format",
    "limit": f"rows per page of lists given no --limit (1 to {MAX_LIMIT})",
}


@dataclass
class Display:
    expanded: str = "auto"
    format: str = "table"
    limit: int = DEFAULT_LIMIT

    @staticmethod
    def names() -> tuple:
        return tuple(HELP)

    def values(self) -> list[tuple[str, str]]:
        return [(name, str(getattr(self, name))) for name in self.names()]

    def change(self, name: str, value: str) -> None:
        """Set preference NAME to VALUE, or raise a one-line error saying what is allowed."""
        name = self.known(name)
        if name == "limit":
            self.limit = parse_limit(value)  # the rule of --limit
            return
        if value not in CHOICES[name]:
            raise UsageError(f"set {name}: {visible(value)!r} is not one of "
                             f"{', '.join(CHOICES[name])}")
        setattr(self, name, value)

    def known(self, name: str) -> str:
        if name in HELP:
            return name
        import difflib  # only for a mistyped name: not imported at every start

        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else f"; one of: {', '.join(self.names())}"
        raise UsageError(f"set: unknown setting {visible(name)!r}{hint}")
