"""Shared fixtures: a real database for every test, SQLite always, PostgreSQL on demand.

Set EPICSHELL_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run
every database test a second time against that server. Its tables are dropped and
recreated for each test, so point it at a database kept for testing. When the variable
is set and the server cannot be reached the run fails: it never silently skips.
"""
from __future__ import annotations

import os

import pytest

from epicshell import security
from epicshell.db import close_database, open_database
from epicshell.models import database

PG_ENV = "EPICSHELL_TEST_DATABASE_URL"
TEST_ROUNDS = 4
PASSWORD = "correct horse battery"  # satisfies the policy; used for every test account
TABLES = ("audit_entry", "payment", "event", "contract", "client", "user", "schema_migration")

security.set_bcrypt_rounds(TEST_ROUNDS)
os.environ.setdefault("EPICSHELL_BCRYPT_ROUNDS", str(TEST_ROUNDS))


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
