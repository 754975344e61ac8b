"""Long imports and exports show prompt_toolkit's progress bar on a terminal (count, rate,
time left); scripts get nothing but the final line (commands.md §8)."""
from __future__ import annotations

import re
import subprocess

import pytest
from conftest import PASSWORD
from pty_helpers import EPICSHELL
from test_terminal import child_env, login, spawn, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.pty
if EPICSHELL is None:
    pytest.skip("the epicshell console script is not installed", allow_module_level=True)

ROWS = 6000  # above the bar's threshold (a few thousand rows)


def _big_file(folder) -> str:
    path = folder / "big.csv"
    lines = ["full_name,email,commercial_email"]
    lines += [f"Client {i},client{i}@example.com,bill@epic.test" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_terminal_shows_a_progress_bar(spawn, world):  # noqa: F811
    path = _big_file(world["home"])
    term = spawn()
    term.expect("epic>")
    login(term, "ana@epic.test")
    term.answer(f"client import {path}")
    term.expect(r"Importing .*big\.csv")
    term.expect(r"checking .*big\.csv: .*rows/s, left: ")
    term.expect(f"Imported {ROWS:,} clients from")
    term.answer(f"client export {world['home'] / 'out.csv'}")
    term.expect(r"writing: .*6\d\d\d/6001 .*rows/s")
    term.expect(f"Exported {ROWS + 1:,} clients to")
    assert term.exit_status() == 0


def test_a_script_gets_only_the_final_line(world):  # noqa: F811
    path = _big_file(world["home"])
    result = subprocess.run(
        [EPICSHELL, "--database", world["url"], "-c", "login ana@epic.test",
         "-c", f"client import {path}", "-c", f"client export {world['home'] / 'out.csv'}"],
        env=child_env(world["home"], EPICSHELL_PASSWORD=PASSWORD), cwd=world["home"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Imported {ROWS:,} clients from {path}.",
        f"Exported {ROWS + 1:,} clients to {world['home'] / 'out.csv'}."]
    assert result.stderr == "Welcome, Ana Lopez (management)\n"  # a notice, and no bar


def test_a_terminal_asks_before_overwriting_a_file(spawn, world):  # noqa: F811
    target = world["home"] / "clients.csv"
    target.write_text("keep me")
    term = spawn()
    term.expect("epic>")
    login(term, "ana@epic.test")
    term.answer(f"client export {target}")
    term.expect("already exists. Overwrite?")
    term.answer("n")
    term.expect("cancelled: nothing written")
    assert target.read_text() == "keep me"
    term.answer(f"client export {target}")
    term.expect("already exists. Overwrite?")
    term.answer("y")
    term.expect("Exported 1 client to")  # the path folds onto the next line (80 columns)
    term.expect(re.escape(f"{target}."))
    assert "Kevin Casey" in target.read_text()
    assert term.exit_status() == 0
