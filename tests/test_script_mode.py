"""Script mode through the real console script: -c, --script, piped stdin, exit codes, formats.

Every test runs `epicshell` as a subprocess against the test database (SQLite, and
PostgreSQL when EPICSHELL_TEST_DATABASE_URL is set), seeded through the services.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess

import pytest
from conftest import PASSWORD

from epicshell.models import Client, Contract

EPICSHELL = shutil.which("epicshell")
pytestmark = pytest.mark.skipif(EPICSHELL is None, reason="the epicshell console script is not installed")

# commands.md §2, copied here on purpose: the test pins the contract, not the code.
KEYS = {
    "user": ["id", "email", "full_name", "department", "employee_number", "active", "created_at"],
    "client": ["id", "full_name", "email", "phone", "company", "commercial_id", "commercial",
               "created_at", "updated_at"],
    "contract": ["id", "client_id", "client", "commercial_id", "commercial", "total", "due",
                 "status", "signed_at", "created_at", "updated_at"],
    "event": ["id", "name", "contract_id", "client", "client_email", "client_phone", "support_id",
              "support", "start", "end", "location", "attendees", "notes"],
}


@pytest.fixture
def child_env(tmp_path):
    """The environment of a child epicshell: nothing from the developer's own setup."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SENTRY_DSN", "EPICSHELL_PASSWORD", "PYTHONPROFILEIMPORTTIME")}
    env.update(EPICSHELL_BCRYPT_ROUNDS="4", TZ="UTC", NO_COLOR="1",
               XDG_DATA_HOME=str(tmp_path / "xdg"), EPICSHELL_PASSWORD=PASSWORD)
    return env


@pytest.fixture
def epicshell(db_url, child_env, tmp_path):
    """Run the console script on the test database; returns the CompletedProcess."""

    def run(*args, stdin: str = "", env: dict | None = None, database: bool = True):
        argv = [EPICSHELL, *(["--database", db_url] if database else []), *args]
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60,
                              cwd=tmp_path, env={**child_env, **(env or {})})

    return run


def login(email="ana@epic.test"):
    return f"login {email}"


# -- exit status -------------------------------------------------------------------------------


def test_all_commands_succeeding_exit_0(make, epicshell):
    result = epicshell("-c", login(), "-c", "whoami")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Ana Lopez <ana@epic.test>, management, employee number M001",
    ]
    assert result.stderr == "Welcome, Ana Lopez (management)\n"  # a notice, not a result


def test_c_commands_run_in_order_in_one_session_and_errors_give_their_position(make, epicshell):
    result = epicshell("-c", login("bill@epic.test"), "-c", "whoami", "-c", "logout", "-c", "whoami",
                       "-c", "status")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["Bill Boquet <bill@epic.test>, commercial, "
                                          "employee number C001",
                                          "Logged out."]
    assert result.stderr == ("Welcome, Bill Boquet (commercial)\n"
                             "-c:4: error: not logged in: use `login EMAIL` first\n")


def test_c_and_script_run_in_the_order_given(make, epicshell, tmp_path):
    script = tmp_path / "middle.epic"
    script.write_text("whoami\nlogout\n")
    result = epicshell("-c", login("sue@epic.test"), "--script", str(script), "-c", "whoami")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["Sue Port <sue@epic.test>, support, employee number S001",
                                          "Logged out."]
    assert result.stderr.splitlines()[1].startswith("-c:2: error: not logged in")


def test_script_stops_at_the_first_failure_with_file_and_line(make, epicshell, tmp_path):
    script = tmp_path / "setup.epic"
    script.write_text("# create two clients\n"
                      f"{login('bill@epic.test')}\n"
                      "\n"
                      "client create --full-name 'First One' --email first@example.com\n"
                      "client create --full-name 'Broken' --email not-an-email\n"
                      "client create --full-name 'Never Made' --email never@example.com\n")
    result = epicshell("--script", str(script))
    assert result.returncode == 1
    welcome, error = result.stderr.splitlines()
    assert welcome.startswith("Welcome, ") and error.startswith(f"{script}:5: error: ")
    assert "email" in error
    assert Client.get_or_none(Client.email == "first@example.com") is not None
    assert Client.get_or_none(Client.email == "never@example.com") is None


def test_keep_going_runs_the_rest_and_still_exits_1(make, epicshell, tmp_path):
    script = tmp_path / "setup.epic"
    script.write_text(f"{login('bill@epic.test')}\n"
                      "client create --full-name 'Broken' --email not-an-email\n"
                      "user list\n"
                      "client create --full-name 'Made Anyway' --email made@example.com\n")
    result = epicshell("--keep-going", "--script", str(script))
    assert result.returncode == 1
    errors = result.stderr.splitlines()[1:]  # after the welcome notice
    assert [e.split(" error: ")[0] for e in errors] == [f"{script}:2:", f"{script}:3:"]
    assert "permission denied" in errors[1]
    assert Client.get_or_none(Client.email == "made@example.com") is not None


@pytest.mark.parametrize("args", [[], ["--script", "-"]], ids=["piped", "script-dash"])
def test_commands_from_standard_input(make, epicshell, args):
    here_doc = f"""# a here-document, as in a shell script
{login("sue@epic.test")}

whoami
"""
    result = epicshell(*args, stdin=here_doc)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Sue Port <sue@epic.test>, support, employee number S001"


def test_stdin_errors_name_the_line(make, epicshell):
    result = epicshell(stdin=f"{login()}\n\nclient lst\nwhoami\n")
    assert result.returncode == 1
    assert result.stderr == ("Welcome, Ana Lopez (management)\n"
                             "<stdin>:3: error: unknown command `client lst`; "
                             "did you mean `client list`?\n")
    assert "Ana Lopez <ana@epic.test>" not in result.stdout


def test_exit_ends_a_script_successfully(make, epicshell):
    result = epicshell(stdin=f"{login()}\nexit\nthis is not a command\n")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("args, message", [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--script", "no-such-file.epic"], "cannot read no-such-file.epic"),
    (["--check", "no-such.transcript"], "cannot read no-such.transcript"),
    (["--check", "t.transcript", "-c", "whoami"], "--check cannot be combined"),
    (["--demo", "--database", "sqlite:///x.db"], "cannot be used together"),
], ids=["unknown-option", "unreadable-script", "unreadable-transcript", "check-and-c", "demo-and-db"])
def test_usage_errors_exit_2_before_touching_any_database(child_env, tmp_path, args, message):
    result = subprocess.run([EPICSHELL, *args], capture_output=True, text=True, cwd=tmp_path,
                            env=child_env, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "xdg").exists()  # the default database was not even created


@pytest.mark.parametrize("url, message", [
    ("mysql://root@localhost/crm", "unsupported database URL"),
    ("postgresql://postgres@127.0.0.1:1/nothing", "cannot open database"),
], ids=["bad-url", "unreachable"])
def test_bad_or_unreachable_database_exits_2(child_env, tmp_path, url, message):
    result = subprocess.run([EPICSHELL, "--database", url, "-c", "status"], capture_output=True,
                            text=True, cwd=tmp_path, env=child_env, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_database_of_another_program_or_no_database_at_all_exits_2_untouched(child_env,
                                                                              tmp_path):
    """A SQLite file with another program's tables (here even a `user` table) is not
    upgraded beside them, and a file that is no database is named as such."""
    import sqlite3

    other, junk = tmp_path / "other.db", tmp_path / "junk.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE user (login TEXT)")
    connection.close()
    junk.write_bytes(b"not a database at all" * 100)
    def tables(path):
        if path == junk:
            return path.read_bytes()
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()

    for path, message in ((other, "it is not an epicshell database: it holds other tables "
                                  "(user)"), (junk, "file is not a database")):
        before = tables(path)
        result = subprocess.run([EPICSHELL, "--database", f"sqlite:///{path}", "-c", "status"],
                                capture_output=True, text=True, cwd=tmp_path, env=child_env,
                                timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"epicshell: cannot open database sqlite:///{path}: {message}" + (
            "; give an empty database or one epicshell made\n" if path == other else "\n")
        assert tables(path) == before


def test_an_upgrade_says_so_before_it_runs_and_a_new_database_does_not(child_env, tmp_path):
    """A migration of a big table takes minutes: the first start after an update says why
    it waits (on stderr); creating a new database is quick and says nothing."""
    from playhouse.migrations import Runner

    from epicshell.db import MIGRATION_TABLE, MIGRATIONS_DIR, make_database

    fresh = subprocess.run([EPICSHELL, "--database", f"sqlite:///{tmp_path / 'new.db'}", "-c",
                            "status"], capture_output=True, text=True, cwd=tmp_path,
                           env=child_env, timeout=60)
    assert fresh.returncode == 0 and "upgrading" not in fresh.stderr
    older = tmp_path / "older.db"
    db = make_database(f"sqlite:///{older}")
    Runner(db, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target="0014_search_vocabulary")
    db.close()
    result = subprocess.run([EPICSHELL, "--database", f"sqlite:///{older}", "-c", "status"],
                            capture_output=True, text=True, cwd=tmp_path, env=child_env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("epicshell: upgrading the database (")
    assert "); on a large database this can take a few minutes" in result.stderr


def test_undecodable_stdin_is_a_usage_error(make, db_url, child_env, tmp_path):
    result = subprocess.run([EPICSHELL, "--database", db_url], input=b"status\n\xff\xfe\n",
                            capture_output=True, cwd=tmp_path, env=child_env, timeout=60)
    assert result.returncode == 2
    assert b"<stdin>:2: not UTF-8 text" in result.stderr


# -- no terminal: no prompt_toolkit, no wizard, no colour ----------------------------------------


def test_piped_run_never_imports_prompt_toolkit_or_questionary(make, epicshell):
    """A wizard-worthy command and a destructive one, piped: plain errors, no UI library."""
    contract = make.contract()
    script = (f"{login()}\nclient create --full-name 'Half Done'\n"
              f"contract cancel {contract.id}\nclient list\n")
    result = epicshell("--keep-going", stdin=script, env={"PYTHONPROFILEIMPORTTIME": "1"})
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")]
    assert "epicshell.shell.app" in imported  # the import log really was captured
    assert not [m for m in imported if m.startswith(("prompt_toolkit", "questionary"))]
    assert result.returncode == 1


def test_missing_required_options_are_all_named(make, epicshell):
    result = epicshell("-c", login(), "-c", "client create --full-name 'Half Done'")
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        "-c:2: error: missing required options: --email, --commercial"]
    assert Client.get_or_none(Client.full_name == "Half Done") is None


def test_destructive_commands_need_yes_without_a_terminal(make, epicshell):
    contract = make.contract()
    refused = epicshell("-c", login(), "-c", f"contract cancel {contract.id}")
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    assert Contract.get_by_id(contract.id).status == "draft"
    done = epicshell("-c", login(), "-c", f"contract cancel {contract.id} --yes")
    assert done.returncode == 0, done.stderr
    assert Contract.get_by_id(contract.id).status == "cancelled"


def test_no_ansi_escapes_when_piped_even_without_no_color(make, epicshell, child_env):
    env = {k: v for k, v in child_env.items() if k != "NO_COLOR"}
    make.contract()
    result = epicshell("--keep-going", "-c", login(), "-c", "contract list", "-c", "client lst",
                       env=env)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert "error: unknown command" in result.stderr


def test_echo_prints_each_command_after_the_prompt(make, epicshell):
    result = epicshell("--echo", "-c", login("bill@epic.test"), "-c", "whoami")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Welcome, Bill Boquet (commercial)\n"
    assert result.stdout.splitlines() == [
        "epic> login bill@epic.test",
        "epic (bill, commercial)> whoami",
        "Bill Boquet <bill@epic.test>, commercial, employee number C001",
    ]


def test_echo_shows_a_control_character_it_does_not_run(make, epicshell):
    result = epicshell("--echo", "-c", "help \x1b]0;owned\x07")
    assert result.returncode == 1
    assert result.stdout == "epic> help \\x1b]0;owned\\x07\n"
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr


def test_login_reads_the_variable_named_by_password_env(make, epicshell):
    result = epicshell("-c", "login ana@epic.test --password-env ANA_SECRET", "-c", "whoami",
                       env={"EPICSHELL_PASSWORD": "", "ANA_SECRET": PASSWORD})
    assert result.returncode == 0, result.stderr
    missing = epicshell("-c", "login ana@epic.test", env={"EPICSHELL_PASSWORD": ""})
    assert missing.returncode == 1
    assert "EPICSHELL_PASSWORD" in missing.stderr
    assert PASSWORD not in result.stdout + result.stderr + missing.stdout + missing.stderr


# -- machine-readable output ---------------------------------------------------------------------


def _seed(make):
    """One client without phone/company, a draft of 1500 and a signed, partly paid contract."""
    client = make.client(phone=None, company=None)
    draft = make.contract(client, total="1500")
    signed = make.contract(client, total="2000.5", due="1000", signed=True)
    event = make.event(signed, support=None, notes=None, location=None)
    return client, draft, signed, event


def test_json_records_have_the_documented_keys_in_order(make, epicshell):
    client, draft, signed, event = _seed(make)
    outputs = {}
    for record, command in (("user", "user list"), ("client", f"client view {client.id}"),
                            ("contract", f"contract list --client {client.id}"),
                            ("event", f"event view {event.id}")):
        result = epicshell("-c", login(), "-c", f"{command} --format json")
        assert result.returncode == 0, result.stderr
        assert result.stderr == "Welcome, Ana Lopez (management)\n"
        outputs[record] = json.loads(result.stdout)  # stdout holds the JSON alone
        assert [list(row) for row in outputs[record]] == [KEYS[record]] * len(outputs[record])
    [shown_client] = outputs["client"]
    assert shown_client["phone"] is None and shown_client["company"] is None
    first, second = outputs["contract"]
    assert (first["id"], first["total"], first["due"], first["signed_at"]) == (
        draft.id, "1500.00", "1500.00", None)
    assert (second["total"], second["due"], second["status"]) == ("2000.50", "1000.00", "signed")
    assert second["signed_at"].startswith(str(signed.signed_at.date()))
    [shown_event] = outputs["event"]
    assert shown_event["support"] is None and shown_event["support_id"] is None
    assert shown_event["start"] == "2030-06-01T10:00:00+00:00"  # ISO 8601, local time (TZ=UTC)
    assert isinstance(shown_event["attendees"], int)


def test_csv_has_the_documented_header_and_empty_missing_values(make, epicshell):
    client, draft, signed, event = _seed(make)
    result = epicshell("-c", login(), "-c", f"contract list --client {client.id} --format csv",
                       "-c", f"event list --contract {signed.id} --format csv")
    assert result.returncode == 0, result.stderr
    text = result.stdout  # the welcome went to stderr: stdout is CSV only
    contracts_csv, events_csv = text.split("\nid,name,")
    rows = list(csv.reader(io.StringIO(contracts_csv)))
    assert rows[0] == KEYS["contract"]
    assert rows[1][5:9] == ["1500.00", "1500.00", "draft", ""]
    event_rows = list(csv.DictReader(io.StringIO("id,name," + events_csv)))
    assert list(event_rows[0]) == KEYS["event"]
    assert (event_rows[0]["support"], event_rows[0]["location"], event_rows[0]["notes"]) == ("", "", "")


def test_program_wide_format_with_a_per_command_override(make, epicshell):
    _seed(make)
    result = epicshell("--format", "json", "-c", login(), "-c", "client list",
                       "-c", "client list --format csv")
    assert result.returncode == 0, result.stderr
    json_part, csv_part = result.stdout.split("\n]\n")
    assert json.loads(json_part + "\n]")[0]["full_name"].startswith("Client")
    assert csv_part.splitlines()[0] == ",".join(KEYS["client"])
