"""The running program: its I/O environment, its session, and the dispatch of one line.

`App.execute(line)` is the single path every mode takes (interactive prompt, `-c`,
scripts, transcripts): split the line, find the command, parse its options, check
the session, run the handler, render the result, and turn every failure into one line.
"""
from __future__ import annotations

import io
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import EpicError, NotLoggedIn, SessionEnded, UsageError
from ..failures import OutputClosed, reopened, world_failure
from ..safetext import visible
from ..services.policy import check
from ..services.session import Session
from .display import Display
from .registry import HelpRequested, resolve
from .render import Result, page_output, render
from .tables import Screen, fold
from .words import split_words

RED, YELLOW, RESET = "\x1b[31m", "\x1b[33m", "\x1b[0m"
MAX_LINE_BYTES = 64 * 1024  # longer lines are refused before they are split
MULTILINE_OPTIONS = ("notes",)  # the only arguments that may hold line breaks and tabs


@dataclass
class Environment:
    """Program-wide I/O, passed down instead of touching sys.* everywhere (tests replace it)."""

    stdin: io.TextIOBase = field(default_factory=lambda: sys.stdin)
    stdout: io.TextIOBase = field(default_factory=lambda: sys.stdout)
    stderr: io.TextIOBase = field(default_factory=lambda: sys.stderr)
    interactive: bool = False  # a person at a terminal: wizards, prompts, pager
    color: bool = False
    # stdout is a terminal, even when nobody is asked anything (`-c`, `--script` typed at a
    # terminal): tables fit it, stored text is shown escaped in every format, bars are drawn.
    terminal: bool = False

    @classmethod
    def detect(cls, no_color: bool = False) -> Environment:
        """Look at the real terminal once: isatty() on stdin and stdout, NO_COLOR, --no-color."""
        terminal = sys.stdout.isatty()
        interactive = sys.stdin.isatty() and terminal
        color = terminal and not no_color and "NO_COLOR" not in os.environ
        return cls(interactive=interactive, color=color, terminal=terminal)

    @property
    def on_terminal(self) -> bool:
        """Whether what the shell prints lands on a terminal a person reads."""
        return self.interactive or self.terminal

    def width(self) -> int | None:
        """The terminal's width in columns; None without a terminal (scripts have no width)."""
        if not self.on_terminal:
            return None
        import shutil

        return shutil.get_terminal_size().columns


class Context:
    """What a command handler gets: the app, the current user and its parsed options."""

    def __init__(self, app: App, actor, args):
        self.app = app
        self.actor = actor
        self.args = args

    @property
    def interactive(self) -> bool:
        return self.app.env.interactive

    def fill(self, fields, given: dict, *, defaults: dict | None = None, title: str = "",
             always_ask: bool = False, then=None) -> dict:
        """Complete GIVEN with the fields still missing: a wizard on a terminal, else an error.

        Without a terminal a missing required field is an error naming every missing flag.
        With one, a wizard asks what is missing (every field when ALWAYS_ASK, e.g. an update
        given no option), showing DEFAULTS as the current values; THEN asks what comes after
        the fields and before the summary (see `run_wizard`).
        """
        missing = [f for f in fields if given.get(f.name) is None]
        required_missing = [f for f in missing if f.required]
        if not self.interactive:
            if required_missing:
                flags = ", ".join(f.flag for f in required_missing)
                raise UsageError(f"missing required option{'s' if len(required_missing) > 1 else ''}: "
                                 f"{flags}")
            return dict(given)
        to_ask = missing if (required_missing or always_ask) else []
        if not to_ask:
            return dict(given)
        from .wizards import run_wizard

        return run_wizard(self.app, title, fields, to_ask, given, defaults or {}, then)

    def confirm(self, question: str, yes: bool) -> None:
        """Ask before a destructive action; `--yes` skips it and is required without a terminal."""
        if yes:
            return
        if not self.interactive:
            raise UsageError("this command needs --yes when not run from a terminal")
        from .wizards import ask_confirm

        if not ask_confirm(visible(question)):
            raise EpicError("cancelled: nothing changed")

    def secret(self, question: str, *, env_var: str | None = None, confirm: bool = False,
               email: str | None = None) -> str:
        """A password: from the variable ENV_VAR in scripts, from a hidden prompt on a terminal."""
        if env_var or not self.interactive:
            name = env_var or "EPICSHELL_PASSWORD"
            value = os.environ.get(name)
            if value is None and name == "EPICSHELL_PASSWORD":
                value = getattr(self.app.settings, "dotenv_password", None)
            if not value:
                state = "is empty" if value == "" else "is not set"
                raise UsageError(f"environment variable {name} {state} (passwords are read "
                                 "from the environment when not typed at a terminal)")
            return value
        from .wizards import ask_secret

        return ask_secret(visible(question), confirm=confirm, email=email)


class App:
    def __init__(self, settings, env: Environment, *, output_format: str = "table",
                 demo: bool = False):
        self.settings = settings
        self.env = env
        self.display = Display(format=output_format)  # `set`: this session's preferences
        self.demo = demo
        self.session = Session(settings.secret_key, settings.session_lifetime, settings.session_idle)
        # Called with (exception, error_id) for every unexpected error; monitoring adds Sentry.
        self.error_hooks: list[Callable[[BaseException, str], None]] = []
        # Called with (actor) before each command runs; monitoring sets its user context.
        self.actor_hooks: list[Callable] = []
        # Called with (error, command name or None) when a command is refused (an EpicError:
        # permission, validation, …); monitoring keeps a breadcrumb, never the message.
        self.refusal_hooks: list[Callable[[EpicError, str | None], None]] = []
        self.command_name: str | None = None  # the command being run, for monitoring
        self.running = True
        self.error_log = None  # errorlog.ErrorLog, opened at the first unexpected error

    @property
    def output_format(self) -> str:
        """The format of a command given no --format (`epicshell --format`, `set format`)."""
        return self.display.format

    @output_format.setter
    def output_format(self, fmt: str) -> None:
        self.display.format = fmt

    # -- output -----------------------------------------------------------------------------

    def print(self, text: str = "") -> None:
        """Write TEXT as is: callers give the shell's own text or already rendered output."""
        print(text, file=self.env.stdout, flush=True)

    def error(self, message: str, location: str | None = None) -> None:
        """The one printer of errors: control characters in quoted input made visible, one
        line (a line break in the input shows as `\\x0a`), folded to a terminal's width."""
        prefix = f"{location}: " if location else ""
        text = self._for_stderr(f"{prefix}error: {visible(message)}")
        if self._stderr_color():
            text = f"{RED}{text}{RESET}"
        print(text, file=self.env.stderr, flush=True)

    def _for_stderr(self, text: str) -> str:
        isatty = getattr(self.env.stderr, "isatty", None)
        return fold(text, self.env.width() if isatty and isatty() else None)

    def _stderr_color(self) -> bool:
        """Colour on stderr only when it is a terminal too (a log file gets plain text)."""
        isatty = getattr(self.env.stderr, "isatty", None)
        return self.env.color and bool(isatty and isatty())

    def notice(self, message: str) -> None:
        """A message to the user on stderr (banners, warnings), terminal-safe like errors."""
        message = self._for_stderr(visible(message, keep_newlines=True))
        text = f"{YELLOW}{message}{RESET}" if self._stderr_color() else message
        print(text, file=self.env.stderr, flush=True)

    def screen(self, fmt: str) -> Screen:
        """Where output goes: the terminal's width (None in scripts) and the `set` preferences."""
        return Screen(width=self.env.width(), expanded=self.display.expanded,
                      fancy=self.env.interactive and fmt == "table")

    def say(self, message: str) -> None:
        """A notice that is not a command's result: a greeting, "nothing changed".

        At a terminal it is printed like any output; in `-c`, scripts and transcripts it
        goes to stderr, so that stdout holds only results (`-c login -c "contract unpaid
        --format csv"` prints CSV alone). Transcripts capture both streams and show it.
        Names in it are user text: control characters are shown, never run.
        """
        message = visible(message, keep_newlines=True)
        if self.env.interactive:
            self.show(Result(message=message))  # as a command's message: fitted, terminal-safe
        else:
            print(self._for_stderr(message), file=self.env.stderr, flush=True)

    def show(self, result: Result, fmt: str | None = None) -> None:
        fmt = fmt or self.output_format
        text = render(result, fmt, self.screen(fmt))
        if not text:
            return
        if self.env.interactive and fmt == "table":
            page_output(text, self.env.stdout)
        else:
            self.print(text)

    # -- dispatch ---------------------------------------------------------------------------

    def execute(self, line: str, location: str | None = None) -> bool:
        """Run one command line; return True on success. Never raises for a user's mistake.

        Raises OutputClosed when standard output was closed by its reader (a pipe into
        `head`): the caller stops the run quietly, as Unix tools do.
        """
        if len(line) > MAX_LINE_BYTES // 4 and len(line.encode("utf-8", "surrogateescape")) \
                > MAX_LINE_BYTES:
            self.error(f"line too long ({len(line.encode('utf-8', 'surrogateescape')):,} "
                       f"bytes; at most {MAX_LINE_BYTES:,}): nothing was run", location)
            return False
        try:
            words = split_words(line)
        except ValueError as exc:
            self.error(f"cannot read the line: {exc}", location)
            return False
        if not words or words[0].startswith("#"):
            return True
        self.command_name = None
        try:
            return self._run(words)
        except SessionEnded as exc:
            self.error(str(exc), location)
            return False
        except EpicError as exc:
            self._call_hooks(self.refusal_hooks, exc, self.command_name)
            self.error(str(exc), location)
            return False
        except KeyboardInterrupt:
            self.error("cancelled: nothing saved", location)
            return False
        except BrokenPipeError:
            raise OutputClosed() from None
        except Exception as exc:  # a failure of the world is named; anything else is a bug
            self.error(self.failure_message(exc), location)
            return False

    def failure_message(self, exc: Exception) -> str:
        """What to say about EXC: a named failure of the world, or an unexpected (logged) error."""
        named = world_failure(exc) or reopened(exc)
        if named:
            self._rollback_quietly()
            return named
        return self.unexpected_message(exc)

    @staticmethod
    def _rollback_quietly() -> None:
        """End a transaction a failed write may have left open (a full disk, a busy lock)."""
        from ..models import database

        try:
            if database.obj is not None and not database.is_closed() and database.in_transaction():
                database.rollback()
        except Exception:
            pass

    def _run(self, words: list[str]) -> bool:
        cmd, rest = resolve(words)
        self.command_name = cmd.name
        try:
            args = cmd.parse(rest)
        except HelpRequested:
            self.print(cmd.help_text(self.env.width()))
            return True
        _refuse_control_characters(args)
        actor = self._actor_for(cmd)
        if cmd.login and cmd.operation:
            check(actor, cmd.operation)  # a refused department hears so before any wizard
        for hook in self.actor_hooks:
            hook(actor)
        self._fill_preferences(args)
        result = cmd.handler(Context(self, actor, args), args)
        if result is not None:
            self.show(result, getattr(args, "format", None))
        return True

    def _fill_preferences(self, args) -> None:
        """Options left out take the session's preference (`set limit`); given ones win."""
        if hasattr(args, "limit") and args.limit is None:
            args.limit = self.display.limit

    def _actor_for(self, cmd):
        """The current user, re-checked before every command.

        Activity (what keeps the idle timer from running out) is a command that needs a
        login, even one that then fails. `status`, `help` and the other commands that run
        without a login only look at the session, as TAB completion and the toolbar do:
        reading how long is left must not extend it.

        A session that has ended is reported with its reason: as the error of a command that
        needs a login, or as a notice before one that does not (`status`, `help`, `login`).
        """
        if not self.session.active:
            if cmd.login:
                raise NotLoggedIn()
            return None
        try:
            return self.session.current_user(touch=cmd.login)
        except SessionEnded as exc:
            if cmd.login:
                raise
            self.notice(str(exc))
            return None

    def report_unexpected(self, exc: BaseException) -> tuple[str, bool]:
        """Give EXC a short id the user can quote, log it and hand it to every error hook.

        Returns the id and whether the error log could be written.
        """
        error_id = uuid.uuid4().hex[:8]
        self._call_hooks(self.error_hooks, exc, error_id)
        if self.error_log is None:
            from ..errorlog import ErrorLog

            self.error_log = ErrorLog()
        logged = self.error_log.record(exc, error_id, command=self.command_name,
                                       secrets=self._secrets())
        return error_id, logged

    def unexpected_message(self, exc: BaseException) -> str:
        """Report EXC and say, truthfully, where it went: the log file, and Sentry if set up."""
        error_id, logged = self.report_unexpected(exc)
        where = self.error_log.shown_path()
        reported = bool(self.error_hooks)
        if logged:
            done = f"reported, and logged in {where}" if reported else f"logged in {where}"
        else:
            done = f"reported ({where} could not be written)" if reported else \
                f"it could not be logged ({where} could not be written)"
        return f"unexpected error (id {error_id}); {done}"

    def _secrets(self) -> list[str]:
        """Values the error log must never hold: the database password, the session token,
        the login password of scripts."""
        from urllib.parse import unquote, urlsplit

        secrets = [self.session.token or "", os.environ.get("EPICSHELL_PASSWORD", "")]
        try:
            password = urlsplit(self.settings.database_url or "").password
        except ValueError:
            password = None
        if password:
            secrets.extend((password, unquote(password)))
        return [s for s in secrets if s]

    @staticmethod
    def _call_hooks(hooks, *args) -> None:
        """Run monitoring hooks; a failing hook must never change what the user sees."""
        for hook in hooks:
            try:
                hook(*args)
            except Exception:
                pass

    # -- state shown in the prompt and toolbar ------------------------------------------------

    def prompt_text(self) -> str:
        user = self.session.user if self.session.active else None
        if user is None:
            return "epic> "
        return f"epic ({visible(user.short_name)}, {user.department})> "


def _refuse_control_characters(args) -> None:
    """No argument may hold a control character (NUL, ESC, …) or bytes that were not UTF-8.

    The services check each field again by its own rule; this edge check covers every
    other argument (a sort key, an entity name, a variable name) in one place. Only the
    notes may hold line breaks and tabs.
    """
    from ..validation import NOTE_WHITESPACE, refuse_control

    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str):
                allow = NOTE_WHITESPACE + "\r" if name in MULTILINE_OPTIONS else ""
                refuse_control(name, item, allow=allow)
