"""The command table: one `Command` per `ENTITY VERB`, declared with `@command`.

A command declares its arguments once (`Arg`, `Opt`, `Flag`); from that one
declaration come its argparse parser, its `--help`, its completion and, through the
policy operation it names, whether `help` and completion offer it to the current user.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import UsageError
from .tables import OWN_TEXT_WIDTH as HELP_WIDTH

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Arg:
    """A positional argument. `complete(app, prefix)` yields (value, meta) pairs."""

    name: str
    help: str = ""
    optional: bool = False
    complete: Callable | None = None
    metavar: str | None = None
    many: bool = False  # takes all remaining words (e.g. `help client create`)


@dataclass(frozen=True)
class Opt:
    """An option taking a value, e.g. `--full-name NAME`."""

    flag: str
    help: str = ""
    metavar: str | None = None
    complete: Callable | None = None
    choices: tuple | None = None
    default: object = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Flag:
    """A switch, e.g. `--mine`."""

    flag: str
    help: str = ""

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


FORMAT = Opt("--format", "output format", metavar="FMT", choices=FORMATS)
PAGING = (
    Opt("--limit", "rows per page (default 50, see `set limit`)", metavar="N"),
    Opt("--page", "page number (default 1)", metavar="N"),
    Flag("--count", "count every match (above 10,000 the footer says 10,000+)"),
)
YES = Flag("--yes", "do not ask for confirmation (required without a terminal)")


def password_env_opt() -> Opt:
    return Opt("--password-env", "read the password from this environment variable "
               "(scripts; default EPICSHELL_PASSWORD)", metavar="VAR")


@dataclass
class Command:
    name: str
    handler: Callable
    summary: str
    params: tuple = ()
    operation: str | None = None  # policy operation deciding who is offered the command
    login: bool = True  # needs a logged-in user
    examples: tuple = ()
    aliases: tuple = ()
    _parser: argparse.ArgumentParser | None = field(default=None, repr=False)

    @property
    def entity(self) -> str:
        return self.name.split()[0]

    @property
    def options(self) -> list:
        return [p for p in self.params if isinstance(p, (Opt, Flag))]

    @property
    def positionals(self) -> list[Arg]:
        return [p for p in self.params if isinstance(p, Arg)]

    def usage(self) -> str:
        parts = [self.name]
        for p in self.positionals:
            parts.append(f"[{p.metavar or p.name.upper()}]" if p.optional else (p.metavar or p.name.upper()))
        for p in self.options:
            if isinstance(p, Flag):
                parts.append(f"[{p.flag}]")
            else:
                parts.append(f"[{p.flag} {p.metavar or p.dest.upper()}]")
        return " ".join(parts)

    def parser(self) -> argparse.ArgumentParser:
        if self._parser is None:
            self._parser = _build_parser(self)
        return self._parser

    def parse(self, words: list[str]) -> argparse.Namespace:
        return self.parser().parse_args(_attach_dash_values(self, words))

    def help_text(self, width: int | None = None) -> str:
        """Usage, summary, options and examples, within HELP_WIDTH columns (or a narrower
        terminal's WIDTH); examples are never broken, so they can be copied."""
        def wrap_help(text, indent=""):
            return wrap_lines(text, indent, width)

        lines = wrap_help(f"usage: {self.usage()}", " " * len(f"usage: {self.name} "))
        lines += ["", *wrap_help(self.summary)]
        if self.params:
            lines.append("")
            column = max(len(_param_label(p)) for p in self.params) + 2
            for p in self.params:
                lines += wrap_help(f"  {_param_label(p).ljust(column)}{p.help}",
                                   " " * (column + 2))
            lines.append(f"  {'--help'.ljust(column)}show this help")
        if self.examples:
            lines.append("")
            lines.append("examples:")
            lines.extend(f"  {example}" for example in self.examples)
        return "\n".join(lines)




def wrap_lines(text: str, indent: str = "", width: int | None = None) -> list[str]:
    """TEXT folded at spaces to HELP_WIDTH (or WIDTH, if narrower), INDENT on later lines."""
    import textwrap

    width = min(HELP_WIDTH, width or HELP_WIDTH)
    return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False) or [""]


def _param_label(p) -> str:
    if isinstance(p, Arg):
        return p.metavar or p.name.upper()
    if isinstance(p, Flag):
        return p.flag
    return f"{p.flag} {p.metavar or p.dest.upper()}"


def _attach_dash_values(command: Command, words: list[str]) -> list[str]:
    """`--sort -updated` → `--sort=-updated`: argparse would take `-updated` for an option."""
    takes_value = {p.flag for p in command.options if isinstance(p, Opt)}
    joined, rest = [], iter(words)
    for word in rest:
        following = next(rest, None) if word in takes_value else None
        if following is not None and following.startswith("-") and not following.startswith("--"):
            joined.append(f"{word}={following}")
            continue
        joined.append(word)
        if following is not None:
            joined.append(following)
    return joined


class HelpRequested(Exception):
    """`--help` was given: the dispatcher prints the command's help instead of running it."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting, and suggests close options."""

    def __init__(self, command: Command, **kwargs):
        super().__init__(prog=command.name, add_help=False, allow_abbrev=False, **kwargs)
        self.command = command

    def error(self, message: str):
        if message.startswith("unrecognized arguments:"):
            unknown = message.split(":", 1)[1].split()
            raise UsageError(_unknown_option_message(self.command, unknown))
        raise UsageError(f"{self.command.name}: {message} (usage: {self.command.usage()})")

    def exit(self, status=0, message=None):
        raise HelpRequested()

    def print_help(self, file=None):
        raise HelpRequested()


def _unknown_option_message(command: Command, unknown: list[str]) -> str:
    word = unknown[0]
    if word.startswith("-"):
        known = [p.flag for p in command.options] + ["--help"]
        from difflib import get_close_matches

        close = get_close_matches(word, known, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else f" (usage: {command.usage()})"
        return f"{command.name}: unknown option {word}{hint}"
    return f"{command.name}: unexpected argument {word!r} (usage: {command.usage()})"


def _build_parser(command: Command) -> argparse.ArgumentParser:
    parser = _Parser(command)
    parser.add_argument("--help", "-h", action="help")
    for p in command.params:
        if isinstance(p, Arg):
            nargs = "*" if p.many else ("?" if p.optional else None)
            parser.add_argument(p.name, nargs=nargs, metavar=p.metavar)
        elif isinstance(p, Flag):
            parser.add_argument(p.flag, dest=p.dest, action="store_true")
        else:
            parser.add_argument(p.flag, dest=p.dest, metavar=p.metavar, choices=p.choices,
                                default=p.default)
    return parser


REGISTRY: dict[str, Command] = {}


def command(name: str, *, summary: str, params=(), operation=None, login=True, examples=(),
            aliases=()):
    """Register the decorated `handler(ctx, args)` as the shell command NAME."""

    def register(handler):
        cmd = Command(name=name, handler=handler, summary=summary, params=tuple(params),
                      operation=operation, login=login, examples=tuple(examples),
                      aliases=tuple(aliases))
        for key in (name, *aliases):
            REGISTRY[key] = cmd
        return handler

    return register


def load_commands() -> dict[str, Command]:
    """Import every command module once, filling REGISTRY.

    Always run the import (a no-op once loaded): REGISTRY is not empty as soon as any
    one command module was imported directly (e.g. `commands.session`), so it cannot
    tell whether the others are loaded.
    """
    from .commands import (  # noqa: F401
        agenda,
        audit,
        calendar,
        clients,
        contracts,
        events,
        gdpr,
        reports,
        session,
        settings,
        transfer,
        users,
    )
    return REGISTRY


# Where the commands starting with a word live, so that one command (`-c status`, a
# script's first line) imports its own module, not all of them: a start-up saving.
# A word missing here, or a command not found in its module, loads every module.
HOME_MODULES = {
    "client": "clients", "contract": "contracts", "event": "events", "user": "users",
    "audit": "audit", "history": "audit", "agenda": "agenda", "report": "reports",
    "data": "transfer",
    **dict.fromkeys(("login", "logout", "whoami", "status", "setup", "exit", "quit"), "session"),
}


def _lookup(registry: dict, words: list[str]) -> tuple[Command, list[str]] | None:
    if len(words) >= 2 and f"{words[0]} {words[1]}" in registry:
        return registry[f"{words[0]} {words[1]}"], words[2:]
    if words[0] in registry:
        return registry[words[0]], words[1:]
    return None


def _load_home_module(word: str) -> None:
    module = HOME_MODULES.get(word)
    if module is not None:
        import importlib

        importlib.import_module(f"{__package__}.commands.{module}")


def resolve(words: list[str]) -> tuple[Command, list[str]]:
    """Find the command that WORDS start with; raise UsageError with a suggestion if none."""
    _load_home_module(words[0])
    found = _lookup(REGISTRY, words) or _lookup(load_commands(), words)
    if found is not None:
        return found
    registry = REGISTRY
    from difflib import get_close_matches

    lowered = [word.lower() for word in words[:2]]
    if lowered != words[:2]:  # `CLIENT LIST`: the words are right, their case is not
        found = _lookup(registry, lowered + words[2:])
        if found is not None:
            typed = " ".join(words[:len(found[0].name.split())])
            raise UsageError(f"unknown command `{typed}`; did you mean `{found[0].name}`? "
                             "(commands are lower-case)")
    first = words[0]
    verbs = sorted(key.split()[1] for key in registry if key.startswith(first + " "))
    if verbs:
        if len(words) == 1:
            raise UsageError(f"{first}: missing verb; one of: {', '.join(verbs)}")
        if words[1] in ("--help", "-h"):
            raise UsageError(f"{first}: give a verb, one of: {', '.join(verbs)} "
                             f"(`help {first} {verbs[0]}` shows one)")
        close = get_close_matches(words[1], verbs, n=1, cutoff=0.5)
        hint = f"; did you mean `{first} {close[0]}`?" if close else f"; one of: {', '.join(verbs)}"
        raise UsageError(f"unknown command `{first} {words[1]}`{hint}")
    names = sorted({key.split()[0] for key in registry})
    close = get_close_matches(first, names, n=1, cutoff=0.5)
    hint = f"; did you mean `{close[0]}`?" if close else "; type `help` for the list"
    raise UsageError(f"unknown command `{first}`{hint}")
