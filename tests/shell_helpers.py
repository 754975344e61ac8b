"""Drive the real shell in process: an `App` over the test database, no terminal.

Each `Shell.run(line)` goes through `App.execute`, the one dispatch path of every mode,
and returns what that line printed on stdout and stderr, so a test reads like a
transcript: a command, then its output.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from conftest import PASSWORD

from epicshell.config import Settings
from epicshell.shell.app import App, Environment
from epicshell.shell.registry import load_commands

PASSWORD_ENV = "EPICSHELL_PASSWORD"
NEW_PASSWORD = "a brand new passphrase"
NEW_PASSWORD_ENV = "TEST_NEW_PASSWORD"
# The `staff` fixture's accounts, by the key the fixture uses.
EMAILS = {
    "management": "ana@epic.test",
    "commercial": "bill@epic.test",
    "commercial2": "cara@epic.test",
    "support": "sue@epic.test",
    "support2": "sam@epic.test",
}


@dataclass
class Outcome:
    ok: bool
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def csv(self) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.out)))

    @property
    def header(self) -> list[str]:
        return next(csv.reader(io.StringIO(self.out)))


class Shell:
    """One shell process's worth of state (its session), with its output captured."""

    def __init__(self, db_url: str, *, stdin: str = ""):
        self.env = Environment(stdin=io.StringIO(stdin), stdout=io.StringIO(),
                               stderr=io.StringIO(), interactive=False)
        self.app = App(Settings(database_url=db_url), self.env)

    def run(self, line: str) -> Outcome:
        out_at, err_at = self.env.stdout.tell(), self.env.stderr.tell()
        ok = self.app.execute(line)
        return Outcome(ok, self.env.stdout.getvalue()[out_at:].rstrip("\n"),
                       self.env.stderr.getvalue()[err_at:].rstrip("\n"))

    def ok(self, line: str) -> Outcome:
        """Run LINE, which must succeed without a word on stderr."""
        outcome = self.run(line)
        assert outcome.ok, f"{line!r} failed: {outcome.err}"
        assert outcome.err == "", outcome.err
        return outcome

    def fails(self, line: str) -> str:
        """Run LINE, which must fail with exactly one `error: …` line and no output."""
        outcome = self.run(line)
        assert not outcome.ok, f"{line!r} succeeded: {outcome.out}"
        assert outcome.out == ""
        assert len(outcome.err.splitlines()) == 1, outcome.err
        assert outcome.err.startswith("error: "), outcome.err
        assert "Traceback" not in outcome.err and "unexpected error" not in outcome.err
        return outcome.err

    def login(self, who: str) -> Shell:
        """Log in as a `staff` member ("management", "commercial2", …) or an email."""
        if self.app.session.active:
            self.ok("logout")
        outcome = self.run(f"login {EMAILS.get(who, who)}")
        assert outcome.ok, outcome.err
        assert outcome.out == "" and outcome.err.startswith("Welcome, "), outcome  # a notice
        return self


def open_shell(db_url: str, monkeypatch, who: str | None = None) -> Shell:
    """A Shell whose `login` reads the test password from the environment, as scripts do."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(NEW_PASSWORD_ENV, NEW_PASSWORD)
    shell = Shell(db_url)
    if who:
        shell.login(who)
    return shell


def commands_of(entity: str) -> list[str]:
    """Every registered command name of ENTITY (aliases counted once)."""
    return sorted({cmd.name for cmd in load_commands().values() if cmd.entity == entity
                   and " " in cmd.name})


def build_world(make, staff) -> dict:
    """Ids for command lines: bill's client with a draft and a signed contract, whose event
    is assigned to sue; plus every `staff` member's id under its key."""
    client = make.client("commercial")
    draft = make.contract(client)
    signed = make.contract(client, signed=True)
    event = make.event(signed, support="support")
    ids = {name: user.id for name, user in staff.items()}
    ids.update(client=client.id, draft=draft.id, signed=signed.id, event=event.id)
    return ids


def check_refused_then_allowed(shell: Shell, line: str, allowed_as: str, refused_as) -> Outcome:
    """LINE is refused for each of REFUSED_AS (one line, nothing changed), then runs for ALLOWED_AS."""
    from conftest import snapshot_rows

    for who in refused_as:
        shell.login(who)
        before = snapshot_rows()
        error = shell.fails(line)
        assert error.startswith("error: permission denied: "), (who, error)
        assert snapshot_rows() == before, f"{line!r} as {who} changed the database"
    shell.login(allowed_as)
    return shell.ok(line)
