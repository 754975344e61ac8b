"""Validation at the edge: every argument a user can type is refused in one line, or used.

Numbers beyond 64 bits, digits that are not ASCII, dates at the ends of the calendar and
in daylight-saving gaps (in real time zones, in a child process), control characters,
text that is too long, bytes that are not UTF-8. Each refused line changes nothing.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PASSWORD, snapshot_rows
from sentry_server import child_env, console_script

from epicshell import validation as v
from epicshell.errors import ValidationError
from epicshell.models import Contract

HUGE = "99999999999999999999"


@pytest.mark.parametrize("text, message", [
    (HUGE, "must be at most 9,223,372,036,854,775,807"),
    ("-5", "must be 1 or more"),
    ("0", "must be 1 or more"),
    ("３", "is not a record id"),
    ("٣", "is not a record id"),
    ("1_000", "is not a record id"),
    ("1e3", "is not a record id"),
    ("9" * 5000, "must be at most"),
])
def test_ids_are_ascii_whole_numbers_within_64_bits(text, message):
    with pytest.raises(ValidationError, match=message):
        v.parse_id(text)


def test_parsers_accept_what_they_should():
    assert v.parse_id(" 42 ") == 42 and v.parse_id(v.MAX_ID) == v.MAX_ID
    assert v.parse_page("3") == 3 and v.parse_limit("1000") == 1000 and v.parse_days("0") == 0
    assert v.parse_count("", "attendees") == 0
    assert v.parse_notes("line one\r\n\tline two") == "line one\n\tline two"


@pytest.mark.parametrize("parse, text", [
    (v.parse_amount, "３"), (v.parse_amount, "1,５00"), (v.parse_count, "٣"),
    (v.parse_days, "36501"), (v.parse_days, "-1"), (v.parse_page, HUGE), (v.parse_limit, "1001"),
    (v.parse_phone, "+33 ６ 12 34 56 78"), (v.parse_employee_number, "Ｍ001"),
])
def test_other_numbers_refuse_unicode_digits_and_out_of_range(parse, text):
    with pytest.raises(ValidationError):
        parse(text) if parse not in (v.parse_count, v.parse_amount) else parse(text, "x")


@pytest.mark.parametrize("parse", [
    v.parse_name, v.parse_email, v.parse_phone, v.parse_employee_number,
    lambda text: v.parse_text("company", text), v.parse_search,
])
@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x07", "\x9b", "\n", "\t", "\u0085"])
def test_text_fields_refuse_control_characters(parse, control):
    with pytest.raises(ValidationError, match="control characters"):
        parse(f"ab{control}cd@x.fr")


def test_notes_keep_line_breaks_and_tabs_but_refuse_other_controls():
    assert v.parse_notes("a\n\tb") == "a\n\tb"
    with pytest.raises(ValidationError, match="notes: control characters"):
        v.parse_notes("a\x00b")


def test_search_text_is_capped():
    assert v.parse_search("a" * 200) == "a" * 200
    with pytest.raises(ValidationError, match="search: at most 200 characters"):
        v.parse_search("a" * 50_000)


def test_passwords_of_spaces_or_with_control_characters_are_refused():
    with pytest.raises(ValidationError, match="only spaces"):
        v.check_password(" " * 14)
    with pytest.raises(ValidationError, match="control"):
        v.check_password("twelve chars\x00long")
    with pytest.raises(ValidationError, match="too common"):
        v.check_password("epic events training")  # the public demo password


def _parse_in(tz: str, text: str) -> str:
    """parse_datetime(TEXT) in a child process whose local time zone is TZ."""
    code = ("import json, sys\nfrom epicshell import validation as v\n"
            "try:\n    print(json.dumps(['ok', v.parse_datetime(sys.argv[1], 'start').isoformat()]))\n"
            "except Exception as exc:\n    print(json.dumps([type(exc).__name__, str(exc)]))\n")
    result = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True,
                            env={"TZ": tz, "PATH": "/usr/bin:/bin"}, timeout=60)
    return json.loads(result.stdout)


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31 23:59", "1899-12-31", "3000-01-01"])
def test_dates_beyond_the_supported_years_are_refused_in_every_time_zone(tz, text):
    assert _parse_in(tz, text) == ["ValidationError", "start: years 1900 to 2999 only"]


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_ends_of_the_supported_range_convert_in_every_time_zone(tz):
    assert _parse_in(tz, "1900-01-01")[0] == "ok"
    assert _parse_in(tz, "2999-12-31 23:59")[0] == "ok"


def test_a_time_in_the_spring_gap_is_refused_naming_the_gap():
    kind, message = _parse_in("Europe/Paris", "2030-03-31 02:30")
    assert kind == "ValidationError"
    assert message == ("start: 2030-03-31 02:30 does not exist in local time: on 2030-03-31 the "
                       "clocks skip from 02:00 to 03:00 (daylight saving time); give a time "
                       "before 02:00 or from 03:00")
    assert _parse_in("Europe/Paris", "2030-03-31 03:00") == ["ok", "2030-03-31T01:00:00"]


def test_a_time_in_the_autumn_fold_is_the_first_of_the_two():
    # 02:30 happens twice on 2030-10-27 in Paris: first in summer time (00:30 UTC).
    assert _parse_in("Europe/Paris", "2030-10-27 02:30") == ["ok", "2030-10-27T00:30:00"]


@pytest.mark.parametrize("text", ["２０３０-01-01", "2030-０1-01", "2030-01-01 1０:00"])
def test_dates_refuse_unicode_digits(text):
    with pytest.raises(ValidationError, match="is not YYYY-MM-DD"):
        v.parse_datetime(text, "start")


# -- through the shell: refused lines change nothing -------------------------------------------


@pytest.mark.parametrize("line", [
    f"client view {HUGE}", f"contract view -{HUGE}", f"client list --page {HUGE}",
    "client list --limit ３", f"event list --days {HUGE}", "event upcoming --days 9999999",
    f"event list --support {HUGE}", f"history client {HUGE}", f"audit --user {HUGE}",
    "audit --since 0001-01-01", "audit --since 9999-12-31", "contract pay ３ 1",
    "contract pay {signed} ３", "client search " + "x" * 50_000,
    "client update {client} --company 'Evil\x00Corp'", "client update {client} --full-name '\x1b[2J'",
    "event update {event} --notes 'ok\x00not ok'", "client list --sort '\x1b'",
    "event update {event} --start '2030-01-01 10:00' --end '9999-12-31 23:59'",
    "login --password-env 'X\x00Y' ana@epic.test",
])
def test_hostile_arguments_are_refused_in_one_line_and_change_nothing(shell, ids, line):
    before = snapshot_rows()
    error = shell.fails(line.format(**ids))
    assert len(error) < 300  # a huge input is never echoed back
    assert snapshot_rows() == before


def test_ascii_digits_still_pay_the_right_contract(shell, ids):
    due = Contract.get_by_id(ids["signed"]).due_cents
    shell.ok(f"contract pay {ids['signed']} 1")
    assert Contract.get_by_id(ids["signed"]).due_cents == due - 100


def test_a_line_over_64_kib_is_refused_at_once(shell):
    before = snapshot_rows()
    error = shell.fails("client search '" + "a" * (2 * 1024 * 1024) + "'")
    assert error == "error: line too long (2,097,168 bytes; at most 65,536): nothing was run"
    assert snapshot_rows() == before


# -- the program's own inputs: argv, URL, settings -----------------------------------------------


def _run(tmp_path, *args, env=None, cwd=None):
    environment = child_env(tmp_path, EPICSHELL_PASSWORD=PASSWORD, **(env or {}))
    return subprocess.run([console_script(), *args], env=environment, cwd=cwd or tmp_path,
                          capture_output=True, timeout=60)


def test_invalid_utf8_in_c_is_a_usage_error(tmp_path):
    result = _run(tmp_path, "--database", f"sqlite:///{tmp_path}/x.db", "-c", "status",
                  "-c", b"client search caf\xe9".decode("utf-8", "surrogateescape"))
    assert result.returncode == 2
    assert result.stderr == b"epicshell: -c:2: not UTF-8 text\n"


@pytest.mark.parametrize("url", ["postgresql://u:pw-secret@[::1/db",
                                 "postgresql://u:pw-secret@localhost:54x2/db"])
def test_a_malformed_url_exits_2_in_one_line_without_its_password(tmp_path, url):
    result = _run(tmp_path, "--database", url, "-c", "status")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and b"bad database URL" in result.stderr
    assert b"pw-secret" not in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["EPICSHELL_SESSION_IDLE", "EPICSHELL_SESSION_LIFETIME",
                                  "EPICSHELL_BCRYPT_ROUNDS"])
@pytest.mark.parametrize("value", [HUGE, "-1", "３0"])
def test_settings_out_of_range_exit_2(tmp_path, name, value):
    result = _run(tmp_path, "--database", f"sqlite:///{tmp_path}/x.db", "-c", "status",
                  env={name: value})
    assert result.returncode == 2 and result.stderr.startswith(f"epicshell: {name}: ".encode())


def test_dotenv_gives_only_epicshells_settings_and_leaves_the_environment_alone(tmp_path):
    marker = tmp_path / "pager-ran"
    (tmp_path / ".env").write_text(f"PAGER=touch {marker}\nEPICSHELL_SESSION_IDLE=120\n"
                                   f"DATABASE_URL=sqlite:///{tmp_path}/from-dotenv.db\n")
    from epicshell.config import load_settings

    code = ("import os, json\nfrom epicshell.config import load_settings\n"
            "s = load_settings()\nprint(json.dumps([s.session_idle, s.database_url, "
            "os.environ.get('PAGER'), os.environ.get('EPICSHELL_SESSION_IDLE')]))")
    environment = child_env(tmp_path)
    environment.pop("PAGER", None)
    result = subprocess.run([sys.executable, "-c", code], env=environment, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout) == [120, f"sqlite:///{tmp_path}/from-dotenv.db", None, None]
    assert load_settings  # imported in process too: reading .env has no import-time effect
    status = _run(tmp_path, "-c", "status")
    assert status.returncode == 0 and b"from-dotenv.db" in status.stdout
    assert not marker.exists()
