"""Shared fixtures: a real database for every test, SQLite always, PostgreSQL on demand.

Set EPICSHELL_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run
every database test a second time against that server. Its tables are dropped and
recreated for each test, so point it at a database kept for testing. When the variable
is set and the server cannot be reached the run fails: it never silently skips.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from epicshell import security
from epicshell.db import close_database, open_database
from epicshell.models import database

PG_ENV = "EPICSHELL_TEST_DATABASE_URL"
TEST_ROUNDS = 4
PASSWORD = "correct horse battery"  # satisfies the policy; used for every test account
TABLES = ("audit_entry", "payment", "event", "contract", "client", "user", "setting",
          "schema_migration")

security.set_bcrypt_rounds(TEST_ROUNDS)
os.environ.setdefault("EPICSHELL_BCRYPT_ROUNDS", str(TEST_ROUNDS))
# The console script installed beside this interpreter (a virtualenv's bin/) comes first,
# so subprocess tests run the `epicshell` that was installed with the test dependencies.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Unexpected errors are logged under $XDG_STATE_HOME/epicshell/: a test run keeps its own log,
# never the user's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="epicshell-test-state-")


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set; PostgreSQL cases not run"
        ),
    )


def reset_postgres(url: str) -> None:
    """Drop every epicshell table so the next open starts from an empty schema."""
    db = open_database(url, upgrade=False)
    try:
        for table in TABLES:
            db.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        db.close()


@pytest.fixture(params=list(_backends()))
def db_url(request, tmp_path):
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'epicevents.db'}"
    else:
        url = os.environ[PG_ENV]
        reset_postgres(url)
        yield url


@pytest.fixture
def db(db_url):
    """The real database, migrated and bound to the models for this test."""
    handle = open_database(db_url)
    yield handle
    close_database()
    database.initialize(None)


@pytest.fixture
def staff(db):
    """One active user per department plus a second commercial and support."""
    from epicshell.services import auth, users

    boss = auth.setup_first_user("ana@epic.test", "Ana Lopez", "M001", PASSWORD)
    make = lambda email, name, dept, num: users.create_user(  # noqa: E731
        boss, email=email, full_name=name, department=dept, employee_number=num, password=PASSWORD)
    return {
        "management": boss,
        "commercial": make("bill@epic.test", "Bill Boquet", "commercial", "C001"),
        "commercial2": make("cara@epic.test", "Cara Dune", "commercial", "C002"),
        "support": make("sue@epic.test", "Sue Port", "support", "S001"),
        "support2": make("sam@epic.test", "Sam Help", "support", "S002"),
    }


# --- Helpers for the service-level suite: build records through the real services. ---


class Factory:
    """Clients, contracts and events made through the services (so audited and checked).

    "commercial"/"support" name a member of `staff`; each record gets unique values.
    """

    def __init__(self, staff):
        self.staff = staff
        self.boss = staff["management"]
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def client(self, owner: str = "commercial", **fields):
        from epicshell.services import clients

        n = self._next()
        values = {"full_name": f"Client {n}", "email": f"client{n}@example.com",
                  "phone": "+33 6 12 34 56 78", "company": f"Company {n}"}
        values.update(fields)
        return clients.create_client(self.staff[owner], **values)

    def contract(self, client=None, *, total="1000.00", due=None, signed=False):
        from epicshell.services import contracts

        client = client or self.client()
        contract = contracts.create_contract(self.boss, client.id, total=total, due=due)
        if signed:
            contract = contracts.sign_contract(self.boss, contract.id)
        return contract

    def event(self, contract=None, *, support: str | None = "support", **fields):
        from epicshell.services import events

        contract = contract or self.contract(signed=True)
        n = self._next()
        values = {"name": f"Event {n}", "start": "2030-06-01 10:00", "end": "2030-06-01 18:00",
                  "location": "Paris", "attendees": 50, "notes": "none"}
        values.update(fields)
        event = events.create_event(self.boss, contract.id, **values)
        if support is not None:
            event = events.assign_event(self.boss, event.id, self.staff[support].id)
        return event


@pytest.fixture
def make(staff):
    """A Factory over the `staff` accounts."""
    return Factory(staff)


def snapshot_rows() -> dict:
    """Every row of every table, to assert that a refused call changed nothing."""
    from epicshell.models import MODELS

    return {model.__name__: list(model.select().order_by(model.id).tuples()) for model in MODELS}


@pytest.fixture
def db_snapshot(db):
    """A function returning every row of every table (see snapshot_rows)."""
    return snapshot_rows


@pytest.fixture
def shell(db_url, staff, monkeypatch):
    """A non-interactive shell over the test database, logged in as management.

    (Modules that drive a terminal define their own `shell`, which takes precedence.)
    """
    from shell_helpers import open_shell

    return open_shell(db_url, monkeypatch, "management")


@pytest.fixture
def ids(make, staff):
    """The small world of records the command tests refer to by name ({client}, {event}, …)."""
    from shell_helpers import build_world

    return build_world(make, staff)


@pytest.fixture
def sentry():
    """A local Sentry ingest endpoint (tests/sentry_server.py) that must see no bad request."""
    from sentry_server import SentryServer

    with SentryServer() as server:
        yield server
    assert not server.errors, server.errors
