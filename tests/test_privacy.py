"""Nothing personal or secret reaches Sentry: checked on the raw bytes the endpoint received.

A session types known passwords, creates a staff account and a client with a known
email and phone, and then meets a real database fault whose message carries that email
and phone (a trigger refusing to update the client, as a constraint or a stored procedure
of a real installation might). Every byte the local Sentry endpoint received, decompressed,
must hold none of those strings, nor a bcrypt hash, nor the database password, nor the
session token (checked in process, where the token can be read).
"""
from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import PASSWORD
from sentry_server import action_events, child_env, console_script, error_events, tags
from shell_helpers import open_shell

from epicshell import monitoring
from epicshell.config import Settings
from epicshell.models import User

ADMIN_PASSWORD = "admin passphrase 4 privacy"
WRONG_PASSWORD = "wrong passphrase typed once"
NEW_PASSWORD = "commercial passphrase 77"
RESET_PASSWORD = "reset passphrase 88 here"
DB_PASSWORD = "Db-Secret-Pass-9931"
CLIENT = {"full_name": "Kevin Privacy", "email": "kevin.private@startup.io",
          "phone": "+33 6 98 76 54 32", "company": "Hidden Company"}
STAFF = {"email": "billy.private@epic.test", "full_name": "Billy Privatename"}
ERROR_ID = re.compile(r"unexpected error \(id (\w+)\)")




def with_password(db_url: str) -> str:
    """The PostgreSQL URL with a password (the test server trusts; it is never checked)."""
    parts = urlsplit(db_url)
    user = parts.username or "postgres"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:{DB_PASSWORD}@{host}"))


def install_client_fault(db_url: str) -> None:
    """Make every UPDATE of a client fail in the database with the client's contact in the
    message: a real driver exception, unexpected for the shell."""
    if db_url.startswith("sqlite"):
        connection = sqlite3.connect(urlsplit(db_url).path[1:])
        connection.execute(
            "CREATE TRIGGER client_update_fault BEFORE UPDATE ON client BEGIN "
            f"SELECT RAISE(ABORT, 'cannot update client {CLIENT['email']} {CLIENT['phone']}'); "
            "END")
        connection.commit()
        connection.close()
        return
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as connection:
        connection.execute(
            "CREATE OR REPLACE FUNCTION client_update_fault() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'cannot update client % %', OLD.email, OLD.phone; END $$ "
            "LANGUAGE plpgsql")
        connection.execute("CREATE TRIGGER client_update_fault BEFORE UPDATE ON client "
                           "FOR EACH ROW EXECUTE FUNCTION client_update_fault()")


def forbidden_strings(tmp_path) -> list[str]:
    """What must never leave: passwords, contacts, names, hashes, paths, host name, argv."""
    values = [ADMIN_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, RESET_PASSWORD, PASSWORD,
              DB_PASSWORD, *CLIENT.values(), "33698765432", "98 76 54 32", *STAFF.values(),
              "ana@epic.test", "Ana Lopez", "$2b$", str(tmp_path), "sys.argv", "--database"]
    hostname = socket.gethostname()
    if len(hostname) >= 6:
        values.append(f'"{hostname}"')
    return values


def assert_nothing_leaked(raw: bytes, forbidden: list[str]) -> None:
    leaked = [value for value in forbidden if value.encode() in raw]
    assert not leaked, f"sent to Sentry: {leaked}"


def test_a_whole_session_sends_no_personal_data_nor_secret(db, db_url, sentry, tmp_path):
    install_client_fault(db_url)
    url = db_url if db_url.startswith("sqlite") else with_password(db_url)
    commands = [
        "setup --email ana@epic.test --full-name 'Ana Lopez' --employee-number M001 "
        "--password-env ADMIN_PW",
        "logout",
        "login ana@epic.test --password-env WRONG_PW",  # refused: a login.failed event
        "login ana@epic.test",  # EPICSHELL_PASSWORD
        f"user create --email {STAFF['email']} --full-name '{STAFF['full_name']}' "
        "--department commercial --employee-number C001 --password-env NEW_PW",
        "user reset-password 2 --password-env RESET_PW",
        f"client create --full-name '{CLIENT['full_name']}' --email {CLIENT['email']} "
        f"--phone '{CLIENT['phone']}' --company '{CLIENT['company']}' --commercial 2",
        "contract create 1 --total 1500", "contract sign 1",
        f"login {STAFF['email']} --password-env RESET_PW",
        "user list",  # refused: a breadcrumb
        f"client create --full-name 'Twin' --email {CLIENT['email']} --phone '{CLIENT['phone']}'",
        "client update 1 --company 'Other Company'",  # the database fault
    ]
    args = [console_script(), "--database", url, "--keep-going"]
    for command in commands:
        args += ["-c", command]
    env = child_env(tmp_path, SENTRY_DSN=sentry.dsn, EPICSHELL_PASSWORD=ADMIN_PASSWORD,
                    ADMIN_PW=ADMIN_PASSWORD, WRONG_PW=WRONG_PASSWORD, NEW_PW=NEW_PASSWORD,
                    RESET_PW=RESET_PASSWORD)
    result = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    error_id = ERROR_ID.search(result.stderr).group(1)

    events = sentry.events()  # flushed at exit
    fault = [e for e in error_events(events) if tags(e).get("error_id") == error_id]
    assert len(fault) == 1
    message = fault[0]["exception"]["values"][-1]["value"]
    assert "[email]" in message and "[phone]" in message  # scrubbed, not just missing
    assert fault[0]["user"] == {"id": "2", "department": "commercial"}
    assert len(action_events(events, "user.created")) == 2
    for action in ("login.failed", "user.password_reset", "contract.signed"):
        assert action_events(events, action), action
    assert_nothing_leaked(sentry.raw_bytes(), forbidden_strings(tmp_path))


def test_in_process_the_session_token_hash_and_argv_never_leave(db_url, staff, sentry, tmp_path,
                                                               monkeypatch):
    """Here the token, the signing key and the stored hashes can be read and searched for."""
    monkeypatch.setattr(sys, "argv", ["epicshell", "--database", with_password(
        "postgresql://postgres@127.0.0.1:5432/epicevents")])
    monkeypatch.setenv("NEW_PW", NEW_PASSWORD)
    monitoring.init(Settings(database_url=db_url, sentry_dsn=sentry.dsn))
    shell = open_shell(db_url, monkeypatch)
    monitoring.attach(shell.app)
    try:
        shell.login("management")
        tokens = {shell.app.session.token}
        shell.ok(f"user create --email {STAFF['email']} --full-name '{STAFF['full_name']}' "
                 "--department commercial --employee-number C009 --password-env NEW_PW")
        shell.ok(f"client create --full-name '{CLIENT['full_name']}' --email {CLIENT['email']} "
                 f"--phone '{CLIENT['phone']}' --company '{CLIENT['company']}' "
                 f"--commercial {staff['commercial'].id}")
        tokens.add(shell.app.session.token)
        install_client_fault(db_url)
        outcome = shell.run("client update 1 --company 'Other Company'")
        error_id = ERROR_ID.search(outcome.err).group(1)
        tokens.add(shell.app.session.token)
        monitoring.flush()
        events = sentry.wait_for(lambda evs: any(tags(e).get("error_id") == error_id
                                                 for e in evs))
    finally:
        monitoring.shutdown()
    hashes = [u.password_hash for u in User.select()]
    forbidden = [*forbidden_strings(tmp_path), *tokens, *hashes, shell.app.settings.secret_key]
    forbidden += [token.rsplit(".", 1)[-1] for token in tokens]  # the signature alone
    assert_nothing_leaked(sentry.raw_bytes(), forbidden)
    assert action_events(events, "user.created")
    for event in events:
        assert_only_allowed_fields(event)


def assert_only_allowed_fields(event: dict) -> None:
    """What the default integrations would add is absent; what is left is allowlisted."""
    assert set(event) <= {"event_id", "timestamp", "level", "platform", "release", "environment",
                          "server_name", "sdk", "logger", "fingerprint", "message", "logentry",
                          "exception", "tags", "user", "contexts", "extra", "breadcrumbs"}
    assert event["server_name"] == "epicshell"
    assert set(event.get("user", {})) <= {"id", "department"}
    assert set(event["contexts"]) <= {"trace", "runtime"}
    assert set(event.get("extra", {})) <= {"fields"}
    assert sorted(event["sdk"]["integrations"]) == ["atexit", "dedupe", "excepthook"]
    for crumb in event.get("breadcrumbs", {}).get("values", []):
        assert crumb["category"] in ("action", "refused")
    for value in event.get("exception", {}).get("values", []):
        for frame in value.get("stacktrace", {}).get("frames", []):
            assert "vars" not in frame and "abs_path" not in frame


@pytest.mark.parametrize(("text", "expected"), [
    ("duplicate key (email)=(kevin@startup.io)", "duplicate key (email)=([email])"),
    ("call +33 6 12 34 56 78 now", "call [phone] now"),
    ("hash $2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01 end", "hash [hash] end"),
    ("cannot reach postgresql://epic:s3cr3t@db:5432/crm", "cannot reach postgresql://epic:[secret]@db:5432/crm"),
    ("ERROR: dup\nDETAIL: Key (full_name)=(Kevin Casey) exists", "ERROR: dup\nDETAIL: [removed]"),
    ("no such table: client", "no such table: client"),
    ("contract 12 is signed", "contract 12 is signed"),
])
def test_scrub_text_removes_contacts_hashes_and_credentials(text, expected):
    assert monitoring.scrub_text(text) == expected
