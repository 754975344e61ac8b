"""A long-running shell survives a lost database connection (server restart, idle kill).

The connection is really killed: on PostgreSQL the server ends the shell's backend with
pg_terminate_backend. The command that hit the dead connection fails with a message naming
the lost connection and the advice to retry (a failure of the world, not a bug); the next
command works on a fresh connection, session intact.
"""
from __future__ import annotations

import os

import pytest
from conftest import PASSWORD, PG_ENV
from shell_helpers import Shell

from epicshell.models import database

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV),
                                reason=f"{PG_ENV} is not set; PostgreSQL cases not run")


def _terminate_shell_backend(url: str, pid: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_next_command_works_after_the_server_dropped_the_connection(db_url, staff, monkeypatch):
    monkeypatch.setenv("EPICSHELL_PASSWORD", PASSWORD)
    shell = Shell(db_url).login("management")
    assert shell.run("client list").ok
    backend = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    _terminate_shell_backend(db_url, backend)

    failed = shell.run("client list")
    assert not failed.ok
    assert failed.err.startswith("error: the database connection was lost and has been "
                                  "re-opened"), failed.err
    assert "unexpected" not in failed.err
    assert "Traceback" not in failed.err

    again = shell.run("whoami")
    assert again.ok and "Ana Lopez" in again.out  # same session, fresh connection
    assert database.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != backend


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_every_connection_runs_its_statements_without_parallel_workers(db_url, staff, monkeypatch):
    """A shell's statements are small: its connections, the first and one re-opened after
    a loss, plan no parallel workers (their start-up costs more than the statement)."""
    monkeypatch.setenv("EPICSHELL_PASSWORD", PASSWORD)
    shell = Shell(db_url).login("management")
    setting = "SHOW max_parallel_workers_per_gather"
    assert database.execute_sql(setting).fetchone()[0] == "0"
    _terminate_shell_backend(db_url, database.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
    shell.run("client list")  # fails on the dead connection, which is re-opened
    assert shell.run("whoami").ok
    assert database.execute_sql(setting).fetchone()[0] == "0"
