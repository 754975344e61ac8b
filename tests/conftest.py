"""Shared fixtures: a real database for every test, SQLite always, PostgreSQL on demand.

Set EPICSHELL_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run
every database test a second time against that server. When the variable is set and the
server cannot be reached the run fails: it never silently skips.

Speed (see tests/databases.py): the schema is migrated once per session and copied
for each test (SQLite: a file copy; PostgreSQL: the rows of every table reset in place,
the schema rebuilt only when a test changed it). The `staff` accounts and the `ids`
world are built once per session through the real services, saved as seeds, and
restored for each test that asks for them, so every test still starts from exactly
the same database. Under pytest-xdist each worker has its own PostgreSQL database,
named after the configured one (`<name>_gw0`, …); the variable is pointed at it.
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
# The `staff` accounts: key, email, full name, department, employee number.
STAFF = (
    ("management", "ana@epic.test", "Ana Lopez", "management", "M001"),
    ("commercial", "bill@epic.test", "Bill Boquet", "commercial", "C001"),
    ("commercial2", "cara@epic.test", "Cara Dune", "commercial", "C002"),
    ("support", "sue@epic.test", "Sue Port", "support", "S001"),
    ("support2", "sam@epic.test", "Sam Help", "support", "S002"),
)

security.set_bcrypt_rounds(TEST_ROUNDS)
os.environ.setdefault("EPICSHELL_BCRYPT_ROUNDS", str(TEST_ROUNDS))
# The console script installed beside this interpreter (a virtualenv's bin/) comes first,
# so subprocess tests run the `epicshell` that was installed with the test dependencies.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Unexpected errors are logged under $XDG_STATE_HOME/epicshell/: a test run keeps its own log,
# never the user's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="epicshell-test-state-")


# The PostgreSQL database named by the variable (it exists); each worker uses its own.
CONFIGURED_PG_URL = os.environ.get(PG_ENV)


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: half as many workers again as cores. Many tests wait (a terminal, a
    child process, the PostgreSQL server) rather than compute, so a third worker keeps
    two cores busy: on the 2-core CI machine the suite takes about 97 s instead of 112."""
    return max(2, (os.cpu_count() or 1) * 3 // 2)


def pytest_configure(config):
    """Under xdist, point the PostgreSQL variable at this worker's own database."""
    from databases import worker_url

    if os.environ.get(PG_ENV):
        os.environ[PG_ENV] = worker_url(os.environ[PG_ENV], os.environ.get("PYTEST_XDIST_WORKER"))


def reset_postgres(url: str) -> None:
    """An empty PostgreSQL database at URL (created if missing; name it after the configured
    database, e.g. `<its name>_data`), so the next open starts from an empty schema."""
    from databases import empty_postgres

    empty_postgres(url, CONFIGURED_PG_URL)


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set; PostgreSQL cases not run"
        ),
    )


def create_staff() -> dict:
    """The `staff` accounts, created through the services (first user, then the others)."""
    from epicshell.services import auth, users

    (key, email, name, _dept, number), *others = STAFF
    boss = auth.setup_first_user(email, name, number, PASSWORD)
    team = {key: boss}
    for key, email, name, department, number in others:
        team[key] = users.create_user(boss, email=email, full_name=name, department=department,
                                      employee_number=number, password=PASSWORD)
    return team


def load_staff(user_ids: dict) -> dict:
    from epicshell.models import User

    by_id = {user.id: user for user in User.select().where(User.id.in_(list(user_ids.values())))}
    return {key: by_id[ident] for key, ident in user_ids.items()}


def _build_staff_seed(meta: dict) -> dict:
    return {"staff": {key: user.id for key, user in create_staff().items()}}


def _build_world_seed(meta: dict) -> dict:
    from shell_helpers import build_world

    make = Factory(load_staff(meta["staff"]))
    ids = build_world(make, make.staff)
    return {**meta, "ids": ids, "serial": make.serial}


# Seeds: a name, the seed it starts from, and how to build it (through the services).
SEEDS = {"staff": ("empty", _build_staff_seed), "ids": ("staff", _build_world_seed)}
# The seeds of test modules' own worlds: seed name -> (module, fixture name).
MODULE_SEEDS: dict[str, tuple[str, str]] = {}


def world_fixture(name: str, build):
    """A fixture NAME for a test module's own world of records, built once per session.

    BUILD(staff, make) creates the records through the services (on top of `staff`) and
    returns what the tests need (ids, or the records themselves: use only their ids and
    fields as created, since each test gets the database as BUILD left it). Declare it
    at module level: `world = world_fixture("world", build_world)`.
    """
    module = sys._getframe(1).f_globals["__name__"]
    seed = f"{module}.{name}"

    def build_seed(meta: dict) -> dict:
        make = Factory(load_staff(meta["staff"]))
        value = build(make.staff, make)
        return {**meta, seed: value, "serial": make.serial}

    SEEDS[seed] = ("staff", build_seed)
    MODULE_SEEDS[seed] = (module, name)

    @pytest.fixture(name=name)
    def fixture(db, request):
        return request.node.seed_meta[seed]

    return fixture


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """The per-session database copier of each backend (tests/databases.py)."""
    from databases import Databases

    store = Databases(tmp_path_factory.mktemp("seeds"), os.environ.get(PG_ENV), CONFIGURED_PG_URL,
                      SEEDS)
    yield store
    store.close()


def _seed_for(request) -> str:
    """The smallest seed holding what the test's fixtures need."""
    names = request.fixturenames
    module = request.module.__name__
    own = [seed for seed, (owner, name) in MODULE_SEEDS.items() if owner == module and name in names]
    if own:
        assert len(own) == 1 and "ids" not in names, f"one world per test, not {own}"
        return own[0]
    if "ids" in names:
        return "ids"
    if "staff" in names:
        return "staff"
    return "empty"


@pytest.fixture(params=list(_backends()))
def db_url(request, tmp_path, databases):
    """A URL to a migrated database of each backend, holding no rows, or the `staff` and
    `ids` records when the test uses those fixtures."""
    url, meta = databases.fresh(request.param, _seed_for(request), tmp_path)
    request.node.seed_meta = meta
    yield url


@pytest.fixture
def db(db_url):
    """The real database, migrated and bound to the models for this test."""
    handle = open_database(db_url)
    yield handle
    close_database()
    database.initialize(None)


@pytest.fixture
def staff(db, request):
    """One active user per department plus a second commercial and support."""
    return load_staff(request.node.seed_meta["staff"])


# --- Helpers for the service-level suite: build records through the real services. ---


class Factory:
    """Clients, contracts and events made through the services (so audited and checked).

    "commercial"/"support" name a member of `staff`; each record gets unique values.
    """

    def __init__(self, staff, serial: int = 0):
        self.staff = staff
        self.boss = staff["management"]
        self.serial = serial  # the last number used: records made later stay unique

    def _next(self) -> int:
        self.serial += 1
        return self.serial

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
def make(staff, request):
    """A Factory over the `staff` accounts (numbering after the `ids` world, if present)."""
    return Factory(staff, request.node.seed_meta.get("serial", 0))


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
def ids(make, staff, request):
    """The small world of records the command tests refer to by name ({client}, {event}, …),
    built by shell_helpers.build_world once per session and restored for each test."""
    return dict(request.node.seed_meta["ids"])


@pytest.fixture
def sentry():
    """A local Sentry ingest endpoint (tests/sentry_server.py) that must see no bad request."""
    from sentry_server import SentryServer

    with SentryServer() as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def paris(monkeypatch):
    """Run in Europe/Paris (UTC+1 in winter, +2 from the last Sunday of March)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
