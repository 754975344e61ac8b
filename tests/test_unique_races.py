"""A unique value taken at the same moment in two shells: one wins, the other reads the
same clear error the pre-check gives, never an unexpected error.

PostgreSQL only: there, two transactions can both pass the "is it free?" check before
either commits, and the unique index decides. (SQLite's write transactions take the
database lock when they begin, so its checks never interleave.) Each thread below has
its own connection, as two shells on two machines would.
"""
from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest
from conftest import PASSWORD, PG_ENV

from epicshell.errors import ValidationError
from epicshell.models import Client, User, database
from epicshell.services import clients, users

pytestmark = [
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]
EMAIL = "taken@example.com"


def _new_client(staff, email=EMAIL, name="Casey Client"):
    return clients.create_client(staff["commercial"], full_name=name, email=email)


def _new_user(staff, email="new@epic.test", number="N001"):
    return users.create_user(staff["management"], email=email, full_name="New Person",
                             department="support", employee_number=number, password=PASSWORD)


# Each case: (what the first shell does, what the second does, field, error message).
CASES = {
    "client email": (
        lambda s: _new_client(s), lambda s: _new_client(s, name="Other Client"),
        "email", f"{EMAIL!r} is already used by another client"),
    "client email on update": (
        lambda s: _new_client(s),
        lambda s: clients.update_client(s["commercial"], Client.get(Client.email == "x@example.com").id,
                                        email=EMAIL),
        "email", f"{EMAIL!r} is already used by another client"),
    "user email": (
        lambda s: _new_user(s, EMAIL, "N001"), lambda s: _new_user(s, EMAIL, "N002"),
        "email", f"{EMAIL!r} is already used by another user"),
    "user email on update": (
        lambda s: _new_user(s, EMAIL, "N001"),
        lambda s: users.update_user(s["management"], s["support2"].id, email=EMAIL),
        "email", f"{EMAIL!r} is already used by another user"),
    "employee number": (
        lambda s: _new_user(s, "one@epic.test", "N001"), lambda s: _new_user(s, "two@epic.test", "N001"),
        "employee_number", "'N001' is already used by another user"),
}


def _in_own_connection(work):
    """Run WORK on this thread's own connection (peewee keeps one per thread)."""
    database.connect(reuse_if_open=True)
    try:
        return work()
    finally:
        database.close()


def _start(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def outcomes():
    return {}


def test_two_shells_create_one_email_at_once(db_url, staff, outcomes):
    """Started together: one create succeeds, the other gets the clear error."""
    start = threading.Barrier(2)

    def shell(name):
        def run():
            try:
                start.wait(timeout=10)
                outcomes[name] = _in_own_connection(lambda: _new_client(staff, name=f"Client {name}"))
            except Exception as exc:  # the outcome under test, kept for the assertions
                outcomes[name] = exc
        return run

    for thread in [_start(shell("a")), _start(shell("b"))]:
        thread.join(timeout=30)
    made = [o for o in outcomes.values() if isinstance(o, Client)]
    refused = [o for o in outcomes.values() if isinstance(o, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert (refused[0].field, refused[0].message) == ("email", f"{EMAIL!r} is already used by "
                                                      "another client")
    assert Client.select().where(Client.email == EMAIL).count() == 1


def _wait_until_a_backend_waits_for_a_lock(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as watcher:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'").fetchone()[0]
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second shell never waited on the unique index")


@pytest.mark.parametrize("case", list(CASES))
def test_the_unique_index_refusal_reads_like_the_pre_check(db_url, staff, outcomes, case):
    """The second shell checks while the first has written but not committed: its check
    passes, its write waits on the unique index, then the index refuses it."""
    first, second, field, message = CASES[case]
    _new_client(staff, email="x@example.com", name="Spare Client")
    written = threading.Event()

    def first_shell():
        def work():
            with database.atomic():  # the first shell's transaction stays open...
                first(staff)
                written.set()
                _wait_until_a_backend_waits_for_a_lock(db_url)  # ...until the second waits
        outcomes["first"] = _in_own_connection(work)

    def second_shell():
        written.wait(timeout=20)
        try:
            outcomes["second"] = _in_own_connection(lambda: second(staff))
        except Exception as exc:  # the outcome under test, kept for the assertions
            outcomes["second"] = exc

    for thread in [_start(first_shell), _start(second_shell)]:
        thread.join(timeout=40)
    error = outcomes.get("second")
    assert isinstance(error, ValidationError), outcomes
    assert (error.field, error.message) == (field, message)
    assert User.select().count() + Client.select().count() >= 6  # the first shell's row stayed
