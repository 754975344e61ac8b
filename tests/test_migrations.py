"""The schema: created and upgraded by the numbered migrations, opened safely from a URL."""
from __future__ import annotations

import os
import stat

import pytest
from conftest import PG_ENV, TABLES

from epicshell.db import (
    MIGRATIONS_DIR,
    DatabaseUnavailable,
    close_database,
    mask_url,
    migrate,
    open_database,
)
from epicshell.models import MODELS, database


def _migration_names() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _expected_indexes(model) -> set[tuple[tuple[str, ...], bool]]:
    """(columns, unique) of every index the model declares (fields and Meta.indexes)."""
    found = set()
    for index in model._meta.fields_to_index():
        columns = tuple(getattr(e, "column_name", str(e)) for e in index._expressions)
        found.add((columns, bool(index._unique)))
    return found


def _actual_indexes(db, table: str) -> set[tuple[tuple[str, ...], bool]]:
    return {(tuple(i.columns), bool(i.unique)) for i in db.get_indexes(table)}


def describe_schema(db) -> dict:
    """Tables → columns (name, type, null) and indexes (name, columns, unique).

    SQLite's own tables (sqlite_stat1: planner statistics) are not part of the schema.
    """
    return {
        table: {
            "columns": sorted((c.name, c.data_type.lower(), bool(c.null)) for c in db.get_columns(table)),
            "indexes": sorted((i.name, tuple(i.columns), bool(i.unique)) for i in db.get_indexes(table)),
        }
        for table in sorted(db.get_tables()) if not table.startswith("sqlite_")
    }


def _applied(db) -> list[str]:
    return [row[0] for row in db.execute_sql("SELECT name FROM schema_migration ORDER BY name")]


def _drop_everything(db) -> None:
    extra = [t for t in db.get_tables() if t not in TABLES]  # tables of later migrations
    for table in (*extra, *TABLES):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"' + (" CASCADE" if _is_pg(db) else ""))
    assert db.get_tables() == []


def _is_pg(db) -> bool:
    return type(db).__name__.startswith("Postgres")


def schema_at(db, target: str) -> None:
    """DB emptied, then migrated up to TARGET only: a database from that time."""
    from playhouse.migrations import Runner

    _drop_everything(db)
    Runner(db, str(MIGRATIONS_DIR), table_name="schema_migration").up(target=target)


def insert_old_rows(db, contracts=(), payments=()) -> None:
    """Raw rows as a database of an older schema (0005 or later) holds them: commercials 1
    and 2, clients 1 (of commercial 1) and 2 (of commercial 2), CONTRACTS (id, client,
    commercial, total, due, status, signed_at) and PAYMENTS (id, contract, amount)."""
    p = db.param
    now = "2030-01-01 10:00:00"
    for user_id in (1, 2):
        db.execute_sql(
            'INSERT INTO "user" (id, email, full_name, name_key, employee_number, department, '
            "password_hash, active, failed_logins, session_version, version, created_at, "
            f"updated_at, search_text) VALUES ({user_id}, 'c{user_id}@epic.test', 'C {user_id}', "
            f"'c {user_id}', 'C{user_id}', 'commercial', 'x', {p}, 0, 1, 1, {p}, {p}, '')",
            (True, now, now))
        db.execute_sql("INSERT INTO client (id, full_name, name_key, email, commercial_id, version, "
                       f"created_at, updated_at, search_text) VALUES ({user_id}, 'K {user_id}', "
                       f"'k {user_id}', 'k{user_id}@acme.fr', {user_id}, 1, {p}, {p}, '')",
                       (now, now))
    for row in contracts:
        db.execute_sql("INSERT INTO contract (id, client_id, commercial_id, total_cents, "
                       "due_cents, status, signed_at, version, created_at, updated_at) "
                       f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, 1, {p}, {p})",
                       (*row, now, now))
    flagged = "adjustment" in {c.name for c in db.get_columns("payment")}  # from 0006 on
    for row in payments:
        db.execute_sql("INSERT INTO payment (id, contract_id, amount_cents, paid_at"
                       f"{', adjustment' if flagged else ''}) VALUES ({p}, {p}, {p}, {p}"
                       f"{f', {p}' if flagged else ''})", (*row, now, *([False] if flagged else [])))
    if _is_pg(db):
        for table in ("user", "client", "contract", "payment"):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))')


def test_fresh_database_has_every_table_column_and_index_of_the_models(db):
    assert _applied(db) == _migration_names()
    tables = set(db.get_tables())
    for model in MODELS:
        table = model._meta.table_name
        assert table in tables
        columns = {c.name: c for c in db.get_columns(table)}
        for field in model._meta.sorted_fields:
            assert field.column_name in columns, f"{table}.{field.column_name} missing"
            assert bool(columns[field.column_name].null) == bool(field.null), f"{table}.{field.column_name}"
        missing = _expected_indexes(model) - _actual_indexes(db, table)
        assert not missing, f"{table}: indexes missing {missing}"


def test_emails_are_unique_in_the_database_itself(db):
    unique = {columns for columns, is_unique in _actual_indexes(db, "user") if is_unique}
    assert {("email",), ("employee_number",)} <= unique
    assert ("email",) in {c for c, u in _actual_indexes(db, "client") if u}


def test_first_migration_alone_is_upgraded_to_the_same_schema(db):
    from playhouse.migrations import Runner

    fresh = describe_schema(db)
    _drop_everything(db)
    assert Runner(db, str(MIGRATIONS_DIR)).up(target="0001_initial") == ["0001_initial"]
    assert describe_schema(db) != fresh  # the later indexes are not there yet
    assert migrate(db) == _migration_names()[1:]
    assert describe_schema(db) == fresh
    assert _applied(db) == _migration_names()


def test_migrate_twice_is_a_no_op(db):
    before = describe_schema(db)
    assert migrate(db) == []
    assert migrate(db) == []
    assert describe_schema(db) == before
    assert _applied(db) == _migration_names()


def test_reopening_an_existing_database_keeps_its_data(db_url, staff):
    close_database()
    reopened = open_database(db_url)
    assert reopened.execute_sql('SELECT count(*) FROM "user"').fetchone()[0] == 5
    assert _applied(reopened) == _migration_names()


# --- the SQLite file -----------------------------------------------------------------


@pytest.fixture
def no_umask():
    """Umask 0: any file or folder not created with explicit modes would be world-readable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_file_is_private_to_its_owner(tmp_path, no_umask):
    folder = tmp_path / "data" / "epicshell"
    path = folder / "epicevents.db"
    try:
        handle = open_database(f"sqlite:///{path}")
        handle.execute_sql("CREATE TABLE probe (x INTEGER)")
        assert _mode(folder) == 0o700
        assert _mode(path) == 0o600
        for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.exists():
                assert _mode(companion) == 0o600, companion.name
    finally:
        close_database()
        database.initialize(None)


# --- unusable URLs -------------------------------------------------------------------


def _refusal(url: str) -> str:
    try:
        with pytest.raises(DatabaseUnavailable) as err:
            open_database(url)
    finally:
        database.initialize(None)
    message = str(err.value)
    assert "\n" not in message, "the message must be one line"
    return message


@pytest.mark.parametrize("url, says", [
    ("mysql://epic:s3cretpw@db.example.com/epic", "unsupported database URL"),
    ("nonsense", "unsupported database URL"),
    ("", "unsupported database URL"),
    ("sqlite://", "no file"),
    ("postgresql://epic:s3cretpw@127.0.0.1:notaport/epic", "bad database URL"),
    ("postgresql://epic:s3cretpw@127.0.0.1:1/epic", "cannot open database"),
    ("postgresql://epic:s3%40cretpw@127.0.0.1:1/epic", "cannot open database"),
    ("postgresql://epic@127.0.0.1:1/epic?password=s3cretpw", "cannot open database"),
    ("postgresql://epic:s3cretpw@no-such-host.invalid:5432/epic", "cannot open database"),
    ("sqlite:////proc/no/such/epic.db", "database"),
])
def test_unusable_url_is_one_line_without_the_password(url, says):
    message = _refusal(url)
    assert says in message
    assert "s3cretpw" not in message and "s3%40cretpw" not in message and "s3@cretpw" not in message


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 300)
    assert "not a database" in _refusal(f"sqlite:///{path}")


def test_missing_postgresql_database_is_refused():
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    base = url.rsplit("/", 1)[0].replace("://", "://", 1)
    message = _refusal(f"{base}/no_such_epicshell_db")
    assert "no_such_epicshell_db" in message and "does not exist" in message


@pytest.mark.parametrize("url, masked", [
    ("postgresql://epic:pw@host:5432/db", "postgresql://epic:***@host:5432/db"),
    ("postgresql://epic@host/db", "postgresql://epic@host/db"),
    ("sqlite:///tmp/epic.db", "sqlite:///tmp/epic.db"),
    ("postgresql://epic@host/db?sslmode=require&password=pw", "postgresql://epic@host/db?sslmode=require&password=***"),
])
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_sqlite_planner_statistics_exist_after_open(tmp_path):
    from epicshell.db import close_database, open_database

    db = open_database(f"sqlite:///{tmp_path / 'stats.db'}")
    try:
        tables = db.get_tables()
        found = db.execute_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        assert "contract" in tables and found is not None
    finally:
        close_database()


# --- 0005: search text and events' commercial, filled for existing rows -----------------


def test_search_text_and_event_commercial_are_filled_for_existing_rows(db):
    from playhouse.migrations import Runner

    from epicshell.services import clients, events

    _drop_everything(db)
    Runner(db, str(MIGRATIONS_DIR)).up(target="0004_contract_status_due_index")
    p = db.param
    now = "2030-01-01 10:00:00"
    db.execute_sql(
        'INSERT INTO "user" (id, email, full_name, name_key, employee_number, department, '
        "password_hash, active, failed_logins, session_version, version, created_at, updated_at) "
        f"VALUES (1, 'zoe@epic.test', 'Zoé Müller', 'zoé müller', 'C1', 'commercial', 'x', "
        f"{p}, 0, 1, 1, {p}, {p})", (True, now, now))
    db.execute_sql("INSERT INTO client (id, full_name, name_key, email, company, commercial_id, "
                   f"version, created_at, updated_at) VALUES (1, 'Chloé Dupont', 'chloé dupont', "
                   f"'cd@acme.fr', 'Crème SA', 1, 1, {p}, {p})", (now, now))
    db.execute_sql("INSERT INTO contract (id, client_id, commercial_id, total_cents, due_cents, "
                   f"status, version, created_at, updated_at) VALUES (1, 1, 1, 100, 100, 'signed', "
                   f"1, {p}, {p})", (now, now))
    db.execute_sql('INSERT INTO event (id, contract_id, name, name_key, start, "end", location, '
                   "attendees, version, created_at, updated_at) VALUES (1, 1, 'Gala', 'gala', "
                   f"{p}, {p}, 'Nice', 10, 1, {p}, {p})", (now, now, now, now))
    assert migrate(db) == _migration_names()[4:]
    from epicshell.models import User

    actor = User.get_by_id(1)
    assert [c.full_name for c in clients.list_clients(actor, search="chloe").rows] == ["Chloé Dupont"]
    assert [c.full_name for c in clients.list_clients(actor, search="CREME").rows] == [
        "Chloé Dupont"]
    assert [e.name for e in events.list_events(actor, search="dupont").rows] == ["Gala"]
    assert [e.name for e in events.list_events(actor, mine=True).rows] == ["Gala"]
    assert [u.email for u in User.select().where(User.search_text.contains("zoe  muller"))] == [
        "zoe@epic.test"]


NOW = "2030-01-01 10:00:00"


def _up_to_with_rows(db, target: str, user_name: str, clients: tuple) -> None:
    """The schema as of migration TARGET, holding user 1 (USER_NAME, management) and
    CLIENTS, as (id, full name, email), written as that version wrote them: lower-cased
    name keys, search texts of the time."""
    from playhouse.migrations import Runner

    from epicshell.services.search import client_text, user_text

    _drop_everything(db)
    Runner(db, str(MIGRATIONS_DIR)).up(target=target)
    p = db.param
    db.execute_sql(
        'INSERT INTO "user" (id, email, full_name, name_key, employee_number, department, '
        "password_hash, active, failed_logins, session_version, version, created_at, updated_at, "
        f"search_text) VALUES (1, 'boss@epic.test', {p}, {p}, 'M1', 'management', 'x', {p}, "
        f"0, 1, 1, {p}, {p}, {p})", (user_name, user_name.lower(), True, NOW, NOW,
                                      user_text(user_name, "boss@epic.test")))
    for ident, name, email in clients:
        db.execute_sql("INSERT INTO client (id, full_name, name_key, email, commercial_id, version, "
                       f"created_at, updated_at, search_text) VALUES ({p}, {p}, {p}, {p}, 1, 1, "
                       f"{p}, {p}, {p})", (ident, name, name.lower(), email, NOW, NOW,
                                          client_text(name, email, None)))


def test_clients_forgotten_before_0015_lose_their_placeholder_email(db):
    """0015 lets client.email be NULL (in place: SQLite's table definition is edited, not
    rebuilt, so its data, indexes and triggers stay as they were) and empties the
    placeholder `client forget` used to write, with the search text made again."""
    from epicshell.models import Client, User
    from epicshell.services import clients
    from epicshell.services.search import client_text

    _up_to_with_rows(db, "0014_search_vocabulary", "Ana", (
        (7, "forgotten client 7", "forgotten-7@forgotten.invalid"), (8, "Chloé Dupont", "cd@acme.fr")))
    assert migrate(db)[0] == "0015_forgotten_client_email"
    assert {c.id: c.email for c in Client.select()} == {7: None, 8: "cd@acme.fr"}
    assert Client.get_by_id(7).search_text == client_text("forgotten client 7", None, None)
    ana = User.get_by_id(1)
    assert clients.list_clients(ana, search="invalid").rows == []
    assert [c.id for c in clients.list_clients(ana, search="forgotten").rows] == [7]
    assert [c.id for c in clients.list_clients(ana, search="chloe").rows] == [8]
    Client.update(email=None).where(Client.id == 8).execute()  # many NULLs: no clash
    assert {c.name for c in db.get_columns("client") if c.name == "email" and c.null} == {"email"}
    if not _is_pg(db):
        assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_name_keys_lose_their_accents_and_the_word_index_follows(db):
    """0016 folds the name keys written before it (accents, case), and the word index,
    kept by triggers, ranks ties by the new keys."""
    from epicshell.models import Client, SearchWord, User
    from epicshell.services import clients

    _up_to_with_rows(db, "0015_forgotten_client_email", "Ève Ohm", (
        (7, "Zed Brien", "c7@x.test"), (8, "Élodie Bri", "c8@x.test"), (9, "Straße Ost", "c9@x.test")))
    assert migrate(db)[0] == "0016_accent_free_name_keys"
    assert {c.id: c.name_key for c in Client.select()} == {
        7: "zed brien", 8: "elodie bri", 9: "strasse ost"}
    assert User.get_by_id(1).name_key == "eve ohm"
    assert {w.name_key for w in SearchWord.select().where(SearchWord.record_id == 8)} == {
        "elodie bri"}
    found = clients.list_clients(User.get_by_id(1), search="bri").rows
    assert [c.full_name for c in found] == ["Élodie Bri", "Zed Brien"]


def test_postgresql_role_that_cannot_create_pg_trgm_is_told_what_to_run():
    """A role without CREATE on its database stops at 0005 with the owner's statement."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    import psycopg

    base, name = url.rsplit("/", 1)
    scratch, role = f"{name}_noext", f"{name}_limited"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        with psycopg.connect(f"{base}/{scratch}", autocommit=True) as owner:
            owner.execute(f'GRANT CREATE ON SCHEMA public TO "{role}"')
        limited = f"{base.split('://')[0]}://{role}@{base.split('@', 1)[1]}/{scratch}"
        message = _refusal(limited)
        assert "pg_trgm" in message and message.endswith("must run: CREATE EXTENSION pg_trgm;")
        with psycopg.connect(f"{base}/{scratch}", autocommit=True) as owner:
            owner.execute("CREATE EXTENSION pg_trgm")
        handle = open_database(limited)
        try:
            assert _applied(handle) == _migration_names()
        finally:
            close_database()
            database.initialize(None)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_merging_the_search_indexes_keeps_every_match(db, staff):
    """Migration 0013 ('optimize' on SQLite, nothing on PostgreSQL) over existing rows: the
    same clients found before and after, FTS5's own check passes, later rows are found."""
    import importlib

    from epicshell.services import clients

    boss, owner = staff["management"], staff["commercial"].id
    for index in range(30):
        clients.create_client(boss, full_name=f"Zoé Merle {index}", email=f"z{index}@merle.test",
                              commercial=owner)
    before = [c.id for c in clients.list_clients(boss, search="merle", limit=100).rows]
    importlib.import_module("epicshell.migrations.0013_search_index_merged").up(None, db)
    if not _is_pg(db):
        for index in ("user_search", "client_search", "event_search"):
            db.execute_sql(f"INSERT INTO \"{index}\"(\"{index}\") VALUES ('integrity-check')")
    assert [c.id for c in clients.list_clients(boss, search="merle", limit=100).rows] == before
    assert len(before) == 30
    late = clients.create_client(boss, full_name="Zoé Merle late", email="late@merle.test",
                                 commercial=owner)
    assert late.id in [c.id for c in clients.list_clients(boss, search="merle", limit=100).rows]


# --- 0010: payments carry their contract's commercial -------------------------------------


def test_payments_get_their_contracts_commercial_and_reports_read_them(db):
    from epicshell.models import Payment, User
    from epicshell.services import reports

    schema_at(db, "0009_search_words_and_event_order")
    insert_old_rows(db, contracts=[(1, 1, 1, 10000, 2500, "signed", "2029-12-31 09:00:00"),
                                   (2, 2, 2, 5000, 0, "signed", "2029-12-31 09:00:00")],
                    payments=[(1, 1, 7500), (2, 2, 1000), (3, 2, 4000)])
    assert "0010_payment_commercial_and_narrow_report_indexes" in migrate(db)
    assert sorted(Payment.select(Payment.id, Payment.commercial).tuples()) == [
        (1, 1), (2, 2), (3, 2)]
    boss = User.get_by_id(1)
    rows = reports.revenue(boss, by="commercial", start="2029-12-01", end="2030-01-02").rows
    assert [(r["commercial_id"], r["amount_collected"]) for r in rows] == [
        (1, "75.00"), (2, "50.00")]
    # 0011 sums the existing rows into their hours, which `report revenue` reads.
    months = reports.revenue(boss, start="2029-12-01", end="2030-01-02").all_rows
    assert [(r["month"], r["amount_signed"], r["amount_collected"]) for r in months] == [
        ("2029-12", "150.00", "0.00"), ("2030-01", "0.00", "125.00"),
        ("total", "150.00", "125.00")]
