"""The interactive shell: a prompt_toolkit prompt in a loop around App.execute.

History lives in `<data dir>/history` (file 0600, folder 0700). prompt_toolkit would
store every accepted line; here a line is stored only once it has been read as a
known command with valid options, so a password typed at `epic>` by mistake (or any
line that is not a command) never reaches the file. Completion, the toolbar and the
prompt only read the session; running a command is the only activity that counts.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from ..errors import EpicError
from .registry import HelpRequested, resolve

HISTORY_FILE = "history"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def history_path() -> Path:
    from ..config import data_dir

    return data_dir() / HISTORY_FILE


def _prepare_private_file(path: Path) -> None:
    """Create PATH 0600 in a 0700 folder before anything is written to it."""
    from ..config import private_dir

    private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # tighten a file left readable by an older version or by hand


def open_history(path: Path | None):
    """The history to use: the file at PATH (default: data dir), in memory if impossible."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class CommandHistory(FileHistory):
        """A FileHistory that stores only what `record()` is given, never on Enter."""

        def append_string(self, string: str) -> None:
            """Called by prompt_toolkit on every accepted line: deliberately ignored."""

        def record(self, line: str) -> None:
            super().append_string(line)

    class MemoryHistory(InMemoryHistory):
        def append_string(self, string: str) -> None:
            """Ignored, as in CommandHistory."""

        def record(self, line: str) -> None:
            super().append_string(line)

    path = path or history_path()
    try:
        _prepare_private_file(path)
    except OSError:
        return MemoryHistory()
    return CommandHistory(str(path))


def worth_recording(line: str) -> bool:
    """Is LINE a known command whose arguments parse? Only such a line is stored.

    Anything else (a mistyped command, a password typed at the prompt, a line with an
    unclosed quote) stays out of the history file. Where a password would most likely
    be typed by mistake, the value must look like what belongs there: `login` needs a
    real email (or none), `--password-env`/`--current-env` a variable name, `help` a
    command. `--help` does not make the rest of a line harmless (`login --help PASSWORD`):
    the line without it must pass the same test. A line holding the value of a password
    variable is never stored.
    """
    try:
        words = shlex.split(line)
    except ValueError:
        return False
    if not words or words[0].startswith("#") or _holds_secret(words):
        return False
    if "--help" in words or "-h" in words:
        rest = [w for w in words if w not in ("--help", "-h")]
        return _plausible(rest, help_asked=True)
    return _plausible(words)


def _plausible(words: list[str], help_asked: bool = False) -> bool:
    try:
        cmd, rest = resolve(words)
    except EpicError:
        return False
    if help_asked and not rest:
        return True
    try:
        args = cmd.parse(rest)
    except (HelpRequested, EpicError):
        return False
    for name, value in vars(args).items():
        if name.endswith("_env") and value is not None and (
                not _VARIABLE_NAME.match(value) or value not in os.environ):
            return False  # not a variable that is set: perhaps the password itself
    if cmd.name == "help" and args.topic:
        try:
            resolve(args.topic)
        except EpicError:
            return False
    if cmd.name == "login" and args.email:
        from ..validation import parse_email

        try:
            parse_email(args.email)
        except EpicError:
            return False
    return True


def _holds_secret(words: list[str]) -> bool:
    """Does a word equal a password the environment holds (EPICSHELL_PASSWORD, a *_env VAR)?"""
    names = {"EPICSHELL_PASSWORD"}
    for index, word in enumerate(words):
        if word.startswith("--") and "-env=" in word:
            names.add(word.split("=", 1)[1])
        elif word.endswith("-env") and index + 1 < len(words):
            names.add(words[index + 1])
    secrets = {os.environ.get(name) for name in names if name and _VARIABLE_NAME.match(name)}
    return any(word in secrets for word in words if word)


class Repl:
    """One interactive session of the shell over APP."""

    def __init__(self, app, history=None):
        self.app = app
        self.history = history if history is not None else open_history(None)
        self.prompt = self._build_prompt()

    def _build_prompt(self):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.output import ColorDepth

        from .completion import ShellCompleter
        from .toolbar import toolbar_text

        return PromptSession(
            color_depth=None if self.app.env.color else ColorDepth.MONOCHROME,
            history=self.history,
            completer=ShellCompleter(self.app),
            complete_while_typing=False,  # TAB asks; typing never queries the database
            auto_suggest=AutoSuggestFromHistory(),
            bottom_toolbar=lambda: toolbar_text(self.app),
            refresh_interval=30,  # keep "min left" in the toolbar current
            enable_history_search=False,  # Up/Down walk the history; Ctrl-R searches it
        )

    def read_line(self) -> str | None:
        """The next line typed; '' after Ctrl-C (line cleared), None after Ctrl-D (exit)."""
        try:
            return self.prompt.prompt(self.app.prompt_text)
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None

    def run_line(self, line: str) -> None:
        if not line.strip():
            return
        self.app.execute(line)
        if worth_recording(line):  # a refused line too: it is there to be fixed and re-run
            self.history.record(line)

    def loop(self) -> int:
        while self.app.running:
            try:
                line = self.read_line()
                if line is None:
                    break
                self.run_line(line)
            except KeyboardInterrupt:  # Ctrl-C between two prompts: nothing to cancel
                continue
            except Exception as exc:  # around a command (the history, the prompt): the
                self.app.error(self.app.failure_message(exc))  # shell goes on, with an id
        return 0

    def offer_first_run_setup(self) -> None:
        """On an empty database, offer to create the first management account now."""
        from ..services import auth

        try:
            empty = auth.needs_setup()
        except Exception as exc:  # the shell still starts; the first command will tell more
            self.app.error(self.app.failure_message(exc))
            return
        if empty:
            self._offer_setup()

    def _offer_setup(self) -> None:
        from .wizards import ask_confirm

        self.app.notice("This database has no user yet.")
        try:
            wanted = ask_confirm("Create the first management account now?", default=True)
        except EpicError:
            wanted = False
        if wanted:
            self.app.execute("setup")
        else:
            self.app.notice("Type `setup` when you are ready.")


def run_interactive(app, history_file: Path | None = None) -> int:
    """The interactive mode of `epicshell`; returns the exit status (0 on exit or Ctrl-D)."""
    from .. import __version__

    repl = Repl(app, open_history(history_file))
    app.notice(f"epicshell {__version__}: `help` lists your commands, TAB completes, "
               "Ctrl-D leaves.")
    repl.offer_first_run_setup()
    return repl.loop()
