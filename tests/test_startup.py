"""What a `-c status` start imports: only what the command needs (README, "Start-up").

The real console script runs in a subprocess on a SQLite file, with Python's import log
on; each module named here was once imported at every start and is now imported only by
the command, output or error that uses it.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

EPICSHELL = shutil.which("epicshell")
pytestmark = pytest.mark.skipif(EPICSHELL is None, reason="the epicshell console script is not installed")

NOT_AT_START = {
    "secrets": "the session key comes from os.urandom",
    "difflib": "only a mistyped name asks for close matches",
    "subprocess": "only a tall output starts the pager",
    "csv": "only CSV output and files need it",
    "typing": "annotations are never evaluated",
    "playhouse.migrations": "only an outdated schema needs the runner",
    "itsdangerous": "only a login signs a session",
    "prompt_toolkit": "no terminal, no prompt",
    "questionary": "only a wizard asks questions",
    "sentry_sdk": "only a configured DSN reports errors",
}


def imported_by_status(tmp_path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SENTRY_DSN")}
    env.update(PYTHONPROFILEIMPORTTIME="1", XDG_DATA_HOME=str(tmp_path / "xdg"), NO_COLOR="1")
    url = f"sqlite:///{tmp_path / 'start.db'}"
    first = subprocess.run([EPICSHELL, "--database", url, "-c", "status"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr  # creates and migrates the database
    again = subprocess.run([EPICSHELL, "--database", url, "-c", "status"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    return [line.split("|")[-1].strip() for line in again.stderr.splitlines()
            if line.startswith("import time:")]


def test_status_imports_only_what_it_needs(tmp_path):
    imported = imported_by_status(tmp_path)
    assert "epicshell.shell.app" in imported  # the import log really was captured
    found = {name: why for name, why in NOT_AT_START.items()
             if any(m == name or m.startswith(name + ".") for m in imported)}
    assert found == {}
