"""Transcripts (`epicshell --check FILE`): the shipped examples, regexes, diffs, exit codes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import PASSWORD

from epicshell.resources import data_file
from epicshell.shell.transcript import TranscriptError, expected_line, parse_transcript

EPICSHELL = shutil.which("epicshell")
DEMO_PASSWORD = "epic events training"
pytestmark = pytest.mark.skipif(EPICSHELL is None, reason="the epicshell console script is not installed")


@pytest.fixture
def child_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SENTRY_DSN", "EPICSHELL_PASSWORD")}
    env.update(EPICSHELL_BCRYPT_ROUNDS="4", TZ="UTC", NO_COLOR="1",
               XDG_DATA_HOME=str(tmp_path / "xdg"), EPICSHELL_PASSWORD=PASSWORD)
    return env


def run(args, env, cwd):
    return subprocess.run([EPICSHELL, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def demo_env(child_env):
    return {**child_env, "EPICSHELL_PASSWORD": DEMO_PASSWORD}


# -- the starter kit in data/examples ------------------------------------------------------------


def test_example_transcript_passes_on_the_demo(child_env, tmp_path):
    transcript = data_file("examples/tour.transcript")
    result = run(["--demo", "--check", str(transcript)], demo_env(child_env), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("commands match")


def test_the_command_references_own_example_passes_on_the_demo(child_env, tmp_path):
    """commands.md §6 shows a transcript; testers paste it first, so the demo matches it."""
    transcript = tmp_path / "reference.transcript"
    transcript.write_text(
        "# comment lines and blank lines between commands are ignored\n"
        "epic> login ana@epic.test\n"
        "Welcome, Ana Lopez (management)\n"
        'epic> client list --search "Casey" --format csv\n'
        "id,full_name,email,phone,company,commercial_id,commercial,created_at,updated_at\n"
        "1,Kevin Casey,kevin@startup.io,+33 6 12 34 56 78,Cool Startup LLC,2,Bill Boquet,"
        "/.+/,/.+/\n", encoding="utf-8")
    result = run(["--demo", "--check", str(transcript)], demo_env(child_env), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_script_runs_on_the_demo(child_env, tmp_path):
    script = data_file("examples/walkthrough.epic")
    result = run(["--demo", "--echo", "--script", str(script)], demo_env(child_env), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "epic (sue, support)> event update 11" in result.stdout
    assert "error" not in result.stderr


def test_a_corrupted_copy_fails_with_a_diff_in_transcript_line_numbers(child_env, tmp_path):
    lines = data_file("examples/tour.transcript").read_text(encoding="utf-8").splitlines()
    welcome = lines.index("Welcome, Bill Boquet (commercial)")
    lines[welcome] = "Welcome, Bill Boquett (commercial)"
    amount = next(i for i, line in enumerate(lines) if line.startswith("Recorded a payment"))
    lines[amount] = lines[amount].replace("4249.50", "4249.00")
    corrupted = tmp_path / "corrupted.transcript"
    corrupted.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run(["--demo", "--check", str(corrupted)], demo_env(child_env), tmp_path)

    assert result.returncode == 1
    out = result.stdout
    assert f"--- {corrupted} (expected)\n+++ {corrupted} (actual)\n" in out
    assert (f"@@ -{welcome + 1},1 +{welcome + 1},1 @@ epic> login bill@epic.test\n"
            "-Welcome, Bill Boquett (commercial)\n+Welcome, Bill Boquet (commercial)\n") in out
    assert f"@@ -{amount + 1},1 +{amount + 1},1 @@ epic (bill, commercial)> contract pay 2" in out
    assert out.strip().endswith("2 of 32 commands differ")


# -- the rules of a transcript, on the test database ---------------------------------------------


@pytest.fixture
def check(db_url, child_env, tmp_path):
    """Write transcripts and run `epicshell --check` on them against the test database."""

    def checker(*texts: str):
        paths = []
        for number, text in enumerate(texts, 1):
            path = tmp_path / f"t{number}.transcript"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        args = ["--database", db_url]
        for path in paths:
            args += ["--check", str(path)]
        return run(args, child_env, tmp_path), paths

    return checker


PASSING = """\
# comments and blank lines between commands are ignored

epic> whoami
error: not logged in: use `login EMAIL` first
epic> login ana@epic.test
Welcome, Ana Lopez (management)

epic (whatever text, here)> client list --format csv
id,full_name,email,phone,company,commercial_id,commercial,created_at,updated_at
/\\d+/,Client 1,client1@example.com,+33 6 12 34 56 78,Company 1,/\\d+/,Bill Boquet,/.+/,/.+/
epic (ana, management)> client view 1
id             1
full_name      Client 1
/email\\s+client1@example\\.com/
/.*/
/.*/
/.*/
commercial     Bill Boquet
created_at     /\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d/
updated_at     /\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d/

contracts (0)

events (0)
epic (ana, management)> status --help
/usage: status.*/

/.+/

examples:
/  status/
/  epicshell -c status .*/
"""


def test_matching_transcript_exits_0(make, check):
    make.client()
    result, _paths = check(PASSING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith(": ok, 5 commands match\n")


def test_each_transcript_starts_logged_out_and_all_are_reported(make, check):
    make.client()
    second = "epic> whoami\nAna Lopez <ana@epic.test>, management, employee number M001\n"
    result, (first_path, second_path) = check(PASSING, second)
    assert result.returncode == 1
    assert f"{first_path}: ok" in result.stdout
    assert ("-Ana Lopez <ana@epic.test>, management, employee number M001\n"
            "+error: not logged in: use `login EMAIL` first\n") in result.stdout
    assert f"{second_path}: 1 of 1 commands differ" in result.stdout


def test_missing_and_extra_lines_are_both_shown(make, check):
    make.client()
    text = ("epic> login ana@epic.test\n"
            "Welcome, Ana Lopez (management)\n"
            "An extra line the shell never prints\n"
            "epic> client list --format csv --limit 1\n"
            "id,full_name,email,phone,company,commercial_id,commercial,created_at,updated_at\n")
    result, (path,) = check(text)
    assert result.returncode == 1
    assert ("@@ -2,2 +2,1 @@ epic> login ana@epic.test\n Welcome, Ana Lopez (management)\n"
            "-An extra line the shell never prints\n") in result.stdout
    assert re.search(r"@@ -5,1 \+4,2 @@ epic> client list --format csv --limit 1\n"
                     r" id,full_name.*\n\+1,Client 1,", result.stdout)


def test_exit_in_a_transcript_leaves_the_rest_unrun_and_fails(make, check):
    result, (path,) = check("epic> exit\nepic> whoami\nerror: not logged in: use `login EMAIL` first\n")
    assert result.returncode == 1
    assert f"{path}:2: 1 command(s) not run" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("Welcome\nepic> whoami\n", ":1: output before the first command"),
    ("# only comments\n\n", "no command found"),
    ("epic> whoami\n/[unclosed/\n", "line 2: bad regular expression"),
], ids=["output-first", "no-command", "bad-regex"])
def test_malformed_transcripts_are_usage_errors(check, text, message):
    result, _paths = check(text)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# -- expected lines: literal text, /regex/ parts, \/ -----------------------------------------------


@pytest.mark.parametrize("expected, actual, matches", [
    ("a.b (c)", "a.b (c)", True),
    ("a.b (c)", "axb (c)", False),  # literal text is escaped
    ("total: /\\d+\\.\\d\\d/ EUR", "total: 1500.00 EUR", True),
    ("total: /\\d+\\.\\d\\d/ EUR", "total: 1500 EUR", False),
    ("/\\d+/", "12 and more", False),  # the whole line must match
    ("sqlite:\\/\\/\\/tmp\\/x.db", "sqlite:///tmp/x.db", True),  # \/ is a literal slash
    ("/a\\/b/", "a/b", True),  # … inside a regex too
    ("1/2 done", "1/2 done", True),  # a lone slash stays literal
    ("/#/ not a comment", "# not a comment", True),
    ("trailing   ", "trailing", True),  # trailing spaces ignored on both sides
])
def test_expected_line_rules(expected, actual, matches):
    assert expected_line(1, expected).matches(actual) is matches


def test_parsing_trims_blank_lines_around_each_block_but_keeps_inner_ones():
    transcript = parse_transcript("t", "epic> a\n\nx\n\ny\n\n\nepic (u, d)> b\n")
    first, second = transcript.blocks
    assert [e.raw for e in first.expected] == ["x", "", "y"]
    assert [e.number for e in first.expected] == [3, 4, 5]
    assert (second.number, second.prompt, second.command, second.expected) == (8, "epic (u, d)> ", "b", [])


def test_parsing_refuses_a_bad_regex_with_its_line():
    with pytest.raises(TranscriptError, match=r"t: line 2: bad regular expression"):
        parse_transcript("t", "epic> a\n/(/\n")
