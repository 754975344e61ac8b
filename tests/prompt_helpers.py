"""Drive the interactive shell in process: keystrokes in through a pipe, the screen captured.

prompt_toolkit reads from `create_pipe_input()` and draws on a VT100 output writing into
a string, so a test types exactly what a person would (Enter, Ctrl-C, arrows, TAB) into
the real PromptSession and the real questionary wizards, and can read what was drawn.
"""
from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from dataclasses import dataclass, field

from epicshell.config import Settings
from epicshell.shell.app import App, Environment

ENTER, CTRL_C, CTRL_D, CTRL_U, TAB = "\r", "\x03", "\x04", "\x15", "\t"
DOWN = "\x1b[B"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][AB0]|\r")


def plain(screen: str) -> str:
    """What was drawn, without escape sequences (cursor moves become nothing)."""
    return _ANSI.sub("", screen)


@contextlib.contextmanager
def terminal(keys: str = ""):
    """A prompt_toolkit session reading KEYS and drawing into a string.

    Yields (pipe input, screen buffer); more keys can be sent while it is open.
    """
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.vt100 import Vt100_Output

    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=200), term="xterm",
                          enable_cpr=False)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=output):
        if keys:
            pipe.send_text(keys)
        yield pipe, screen


@dataclass(frozen=True)
class Shown:
    """In a typing script: wait until TEXT has been drawn before typing on."""

    text: str


def _type_script(pipe, screen, script, missed: list, timeout: float = 5.0) -> None:
    """Send each key string of SCRIPT; at each Shown, wait for its text on SCREEN.

    A callable in SCRIPT is called there (e.g. to move a test clock between two commands).
    """
    seen_upto = 0
    for item in script:
        if isinstance(item, str):
            pipe.send_text(item)
            continue
        if callable(item):
            item()
            continue
        deadline = time.monotonic() + timeout
        while True:
            drawn = plain(screen.getvalue())
            found = drawn.find(item.text, seen_upto)
            if found >= 0:
                seen_upto = found + len(item.text)
                break
            if time.monotonic() > deadline:
                missed.append(item.text)
                break
            time.sleep(0.01)


@dataclass
class Outcome:
    ok: object  # what the action returned: True/False for a command, the exit status of a loop
    out: str
    err: str
    screen: str  # what the wizard drew, escape sequences removed
    missed: list = field(default_factory=list)  # Shown texts that never appeared


class InteractiveShell:
    """An App that believes it is at a terminal; each `run` types KEYS into its wizards."""

    def __init__(self, db_url: str, settings: Settings | None = None):
        self.env = Environment(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                               interactive=True, color=False)
        self.app = App(settings or Settings(database_url=db_url), self.env)

    def run(self, line: str, keys: str = "", script: list | None = None) -> Outcome:
        """Run LINE typing KEYS, or typing SCRIPT (key strings and Shown waits) from a thread."""
        return self.drive(lambda: self.app.execute(line), keys, script)

    def drive(self, action, keys: str = "", script: list | None = None) -> Outcome:
        """Call ACTION() (a command, the whole REPL loop…) while KEYS or SCRIPT are typed."""
        out_at, err_at = self.env.stdout.tell(), self.env.stderr.tell()
        missed: list[str] = []
        with terminal(keys) as (pipe, screen):
            typist = None
            if script:
                typist = threading.Thread(target=_type_script, args=(pipe, screen, script, missed),
                                          daemon=True)
                typist.start()
            result = action()
            if typist:
                typist.join(timeout=10)
        return Outcome(result, self.env.stdout.getvalue()[out_at:],
                       self.env.stderr.getvalue()[err_at:], plain(screen.getvalue()), missed)

    def ok(self, line: str, keys: str = "", script: list | None = None) -> Outcome:
        outcome = self.run(line, keys, script)
        assert outcome.ok, f"{line!r} failed: {outcome.err}"
        assert not outcome.missed, f"never shown: {outcome.missed}"
        return outcome

    def login(self, email: str) -> InteractiveShell:
        """Log in through the command, the password read from EPICSHELL_PASSWORD (set it)."""
        if self.app.session.active:
            self.ok("logout")
        self.ok(f"login {email} --password-env EPICSHELL_PASSWORD")
        return self
