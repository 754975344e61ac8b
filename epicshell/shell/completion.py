"""TAB completion for the interactive prompt: commands, options and record ids.

What is offered is what the current user may run (the policy decides, as for `help`).
Values come from the `complete=` providers declared in the registry (shell/lookups.py:
a few indexed rows, never a full table). Completing never counts as activity: it
reads the cached session user and never refreshes the session token.
"""
from __future__ import annotations

import shlex

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from ..errors import EpicError
from ..safetext import visible
from .commands.session import available
from .registry import Arg, Command, Flag, Opt, load_commands


def completing_user(app):
    """The logged-in user for deciding what to offer, or None; no side effect at all.

    The token is checked (signature, expiry) but not refreshed, and nothing is logged
    out: a session that ended is reported by the next command, with its reason.
    """
    session = app.session
    if not session.active or session.user is None:
        return None
    try:
        session.tokens.check(session.token)
    except EpicError:
        return None
    return session.user


def offered_to(cmd: Command, actor) -> bool:
    """Completion offers exactly what `help` lists (commands/session.available)."""
    return available(cmd, actor)


def split_line(text: str) -> tuple[list[str], str]:
    """The complete words before the cursor and the word being typed ('' after a space)."""
    try:
        words = shlex.split(text)
    except ValueError:  # an open quote: complete on plain whitespace
        words = text.split()
    if not text or text[-1].isspace():
        return words, ""
    return words[:-1], (words[-1] if words else "")


class ShellCompleter(Completer):
    """A prompt_toolkit Completer over the command registry of one App."""

    def __init__(self, app):
        self.app = app

    def get_completions(self, document: Document, complete_event: CompleteEvent):
        words, current = split_line(document.text_before_cursor)
        try:
            candidates = self.candidates(words, current)
        except Exception as exc:  # a lookup failing must never break the prompt
            self.app.report_unexpected(exc)
            return
        for text, display, meta, start in candidates:  # names from the database: made visible
            yield Completion(text, start_position=start, display=visible(display),
                             display_meta=visible(meta))

    # -- what to offer --------------------------------------------------------------------

    def candidates(self, words: list[str], current: str):
        """(text to insert, display, meta, start position) for the word being typed."""
        actor = completing_user(self.app)
        offered = {name: cmd for name, cmd in load_commands().items() if offered_to(cmd, actor)}
        if not words:
            return self._first_words(offered, current)
        if len(words) == 1 and words[0] not in offered:
            return self._verbs(offered, words[0], current)
        cmd, rest = self._command_of(offered, words)
        if cmd is None:
            return []
        return self._arguments(cmd, rest, current)

    def _first_words(self, offered: dict, current: str):
        seen = {}
        for name, cmd in offered.items():
            first = name.split()[0]
            if first.startswith(current) and first not in seen:
                seen[first] = "" if " " in name else cmd.summary
        return [(f"{w} ", w, meta, -len(current)) for w, meta in sorted(seen.items())]

    def _verbs(self, offered: dict, entity: str, current: str):
        verbs = []
        for name, cmd in sorted(offered.items()):
            parts = name.split()
            if len(parts) == 2 and parts[0] == entity and parts[1].startswith(current):
                verbs.append((f"{parts[1]} ", parts[1], cmd.summary, -len(current)))
        return verbs

    @staticmethod
    def _command_of(offered: dict, words: list[str]) -> tuple[Command | None, list[str]]:
        if len(words) >= 2 and f"{words[0]} {words[1]}" in offered:
            return offered[f"{words[0]} {words[1]}"], words[2:]
        if words[0] in offered:
            return offered[words[0]], words[1:]
        return None, []

    def _arguments(self, cmd: Command, rest: list[str], current: str):
        options = {p.flag: p for p in cmd.options}
        if rest and isinstance(options.get(rest[-1]), Opt):
            return self._values(options[rest[-1]], current, [])
        if current.startswith("-"):
            return self._options(cmd, rest, current)
        arg, before = self._next_positional(cmd, rest, options)
        if arg is not None and arg.complete is not None:
            return self._values(arg, current, before)
        if not current:
            return self._options(cmd, rest, current)
        return []

    @staticmethod
    def _options(cmd: Command, rest: list[str], current: str):
        used = set(rest)
        found = []
        for p in (*cmd.options, Flag("--help", "show the command's usage")):
            if p.flag not in used and p.flag.startswith(current):
                found.append((f"{p.flag} ", p.flag, p.help, -len(current)))
        return found

    @staticmethod
    def _next_positional(cmd: Command, rest: list[str], options: dict):
        """The positional argument the next word fills, and the words it already took."""
        values, skip = [], False
        for word in rest:
            if skip:
                skip = False
            elif word.startswith("-"):
                skip = isinstance(options.get(word), Opt)
            else:
                values.append(word)
        positionals = cmd.positionals
        if positionals and positionals[-1].many and len(values) >= len(positionals) - 1:
            return positionals[-1], values[len(positionals) - 1:]
        if len(values) < len(positionals):
            return positionals[len(values)], []
        return None, []

    def _values(self, param, current: str, before: list[str]):
        """Values of an option or argument; BEFORE = words a many-word argument already has."""
        if getattr(param, "complete", None) is not None:
            pairs = param.complete(self.app, " ".join([*before, current]))
        elif getattr(param, "choices", None):
            pairs = [(c, "") for c in param.choices if c.startswith(current)]
        else:
            return []
        word_by_word = isinstance(param, Arg) and param.many
        found, seen = [], set()
        for value, meta in pairs:
            if word_by_word:  # one word at a time: `help cl` → client, `help client cr` → create
                parts = value.split()
                if parts[:len(before)] != before or len(parts) <= len(before):
                    continue
                value, meta = parts[len(before)], "" if len(parts) > len(before) + 1 else meta
            if value not in seen:
                seen.add(value)
                shown = value.rsplit(",", 1)[-1]  # `--columns id,na` lists `name`, inserts `id,name`
                found.append((value, shown, meta, -len(current)))
        return found
