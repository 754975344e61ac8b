"""A company's worth of data for the benchmarks: built through the services, then multiplied.

A small seed (staff, a few hundred clients with contracts, payments and events) is made
through the real services, so every row is what the shell itself would write: audited,
checked, with whatever derived columns the models carry (name keys, search text, …).
Then each table is copied K times with one `INSERT … SELECT` per table, keeping its
shape: every column is copied as read from the database (so a column added later is
copied too), ids are shifted by a fixed offset per copy, foreign keys by the offset of
the table they point to, unique text (emails) gets a copy prefix, event dates move a
few days per copy. Payments are copied with their contract, so for every contract
total − due = the sum of its payments still holds. A few rare clients are then created
through the services, so a "rare term" search has a known handful of answers.
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

from epicshell import security
from epicshell.db import close_database, open_database
from epicshell.models import database
from epicshell.services import contract_days, revenue_hours, search_words

PASSWORD = "benchmark passphrase"
SEED_CLIENTS = 200
FIRST = ["Kevin", "Zoé", "Hélène", "François", "Ana", "Bill", "Chloé", "David", "Emma", "Farid",
         "Gina", "Hugo", "Inès", "Jérôme", "Léa", "Noël"]
LAST = ["Casey", "Martin", "Lopez", "Durand", "Nguyen", "Smith", "García", "Petit", "Moreau",
        "Lefèvre", "Dubois", "Bernard", "Rousseau", "Müller", "Fontaine", "Giraud"]
COMMON_TERM = "martin"  # the last name of one client in sixteen
RARE_TERM = "vauquelin"  # only the RARE_CLIENTS below carry it
RARE_CLIENTS = ("Zéphyrine Vauquelin", "Aurèle Vauquelin-Ortolan", "Odile Vauquelin")
# table: (foreign key column → table it points to), unique text columns
SHAPE = {
    "client": ({}, ("email",)),
    "contract": ({"client_id": "client"}, ()),
    "event": ({"contract_id": "contract"}, ()),
    "payment": ({"contract_id": "contract"}, ()),
}


@dataclass
class World:
    url: str
    staff: dict = field(default_factory=dict)  # role → list of (id, email)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0

    def email(self, role: str, index: int = 0) -> str:
        return self.staff[role][index][1]


def reset(url: str) -> None:
    """An empty database at URL: the SQLite file removed, or every PostgreSQL table dropped."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    db = open_database(url, upgrade=False)
    for table in db.get_tables():
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    close_database()


def _seed(rng: random.Random) -> dict:
    """Staff and SEED_CLIENTS clients with contracts, payments and events, via the services."""
    from epicshell.services import auth, clients, contracts, events, users

    boss = auth.setup_first_user("boss@bench.test", "Bea Boss", "M000", PASSWORD)
    staff = {"management": [(boss.id, boss.email)], "commercial": [], "support": []}
    for index in range(1, 19):
        department = ("management", "commercial", "support")[index % 3]
        user = users.create_user(boss, email=f"{department}{index}@bench.test",
                                 full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                                 department=department, employee_number=f"E{index:03d}",
                                 password=PASSWORD)
        staff[department].append((user.id, user.email))
    for index in range(SEED_CLIENTS):
        commercial = rng.choice(staff["commercial"])[0]
        client = clients.create_client(
            boss, full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email=f"client{index}@bench.test", phone="+33 1 23 45 67 89",
            company=f"{rng.choice(LAST)} {rng.choice(('SA', 'SARL', 'Events', 'Group'))}",
            commercial=commercial)
        total = rng.choice(("1500.00", "4200.50", "12000.00", "800.00"))
        contract = contracts.create_contract(boss, client.id, total=total)
        if rng.random() < 0.75:
            contracts.sign_contract(boss, contract.id)
            if rng.random() < 0.5:
                contracts.pay_contract(boss, contract.id, "100.00")
            for _ in range(rng.choice((1, 2, 2, 3))):
                day = rng.randint(-200, 200)
                event = events.create_event(
                    boss, contract.id, name=f"{rng.choice(('Gala', 'Séminaire', 'Launch'))} "
                    f"{rng.choice(LAST)}", start=_local(day, 18), end=_local(day, 23),
                    location=rng.choice(("Paris", "Lyon", "Nantes", "Bordeaux")),
                    attendees=rng.randint(10, 500), notes="")
                if rng.random() < 0.66:
                    events.assign_event(boss, event.id, rng.choice(staff["support"])[0])
    return staff


def _local(day_offset: int, hour: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.now() + timedelta(days=day_offset)).strftime(f"%Y-%m-%d {hour:02d}:00")


def _series(db, copies: int) -> str:
    """A FROM item yielding n = 1 … COPIES."""
    if _is_sqlite(db):
        return (f"(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k "
                f"WHERE n < {copies}) SELECT n FROM k) AS k")
    return f"generate_series(1, {copies}) AS k(n)"


def _is_sqlite(db) -> bool:
    from peewee import SqliteDatabase

    return isinstance(db, SqliteDatabase)


def _shifted_time(db, column: str) -> str:
    """COLUMN moved by (n mod 60) − 30 days, so copies spread around the seed's dates.

    (The modulo is spelt out: `%` is a placeholder for psycopg.)
    """
    if _is_sqlite(db):
        return f"strftime('%Y-%m-%d %H:%M:%S', t.\"{column}\", (k.n - (k.n / 60) * 60 - 30) || ' days')"
    return f"t.\"{column}\" + (k.n - (k.n / 60) * 60 - 30) * interval '1 day'"


def _multiply(db, copies: int) -> None:
    """Add COPIES copies of every seeded row, table by table, in one statement each."""
    offsets = {table: db.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0
               for table in SHAPE}
    _search_triggers(db, on=False)
    for table, (foreign, unique) in SHAPE.items():
        columns = [c.name for c in db.get_columns(table)]
        values = []
        for column in columns:
            if column == "id":
                values.append(f"t.id + k.n * {offsets[table]}")
            elif column in foreign:
                values.append(f't."{column}" + k.n * {offsets[foreign[column]]}')
            elif column in unique:
                values.append(f"'c' || k.n || '.' || t.\"{column}\"")
            elif table == "event" and column in ("start", "end"):
                values.append(_shifted_time(db, column))
            else:
                values.append(f't."{column}"')
        names = ", ".join(f'"{c}"' for c in columns)
        with db.atomic():
            db.execute_sql(f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '
                           f'FROM "{table}" AS t, {_series(db, copies)} ORDER BY k.n, t.id')
        if not _is_sqlite(db):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f'(SELECT MAX(id) FROM "{table}"))')
    _rebuild_text_indexes(db)
    search_words.rebuild(db)  # triggers still off: PostgreSQL fills the vocabulary at once
    revenue_hours.rebuild(db)  # PostgreSQL's copy ran with the triggers off
    contract_days.rebuild(db)
    _search_triggers(db, on=True)
    # VACUUM as autovacuum would on a live server: PostgreSQL's index-only scans (capped
    # counts) need the visibility map, which a fresh bulk load does not have.
    db.execute_sql("ANALYZE" if _is_sqlite(db) else "VACUUM ANALYZE")


def _search_triggers(db, *, on: bool) -> None:
    """The search index triggers off for the copy (each index is rebuilt once after it):
    SQLite's pause flag; PostgreSQL's replica role, which skips user triggers."""
    if _is_sqlite(db):
        db.execute_sql(f"UPDATE search_index_paused SET paused = {0 if on else 1}")
    else:
        db.execute_sql(f"SET session_replication_role = {'DEFAULT' if on else 'replica'}")


def _rebuild_text_indexes(db) -> None:
    """SQLite FTS5 tables over other tables' content are rebuilt after the bulk copy, then merged."""
    if not _is_sqlite(db):
        return
    for name, sql in db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'"):
        if "content=" in sql.replace(" ", "").lower():
            db.execute_sql(f"INSERT INTO \"{name}\"(\"{name}\") VALUES ('rebuild')")
            # …then merged into one segment, as migration 0013 leaves an upgraded database
            # (a rebuilt index's segments would otherwise be re-merged at every write).
            db.execute_sql(f"INSERT INTO \"{name}\"(\"{name}\") VALUES ('optimize')")


def build(url: str, clients: int, *, log=print) -> World:
    """An empty database at URL filled with about CLIENTS clients, as many contracts,
    1.5 times as many events; staff log in with PASSWORD."""
    security.set_bcrypt_rounds(4)
    began = time.perf_counter()
    reset(url)
    db = open_database(url)
    rng = random.Random(9)
    staff = _seed(rng)
    copies = max(0, round(clients / SEED_CLIENTS) - 1)
    log(f"  seeded {SEED_CLIENTS} clients through the services; copying {copies} times")
    if copies:
        _multiply(db, copies)
    from epicshell.services import clients as client_service

    boss = staff["management"][0][0]
    from epicshell.models import User

    for index, name in enumerate(RARE_CLIENTS):
        client_service.create_client(User.get_by_id(boss), full_name=name,
                                     email=f"rare{index}@bench.test",
                                     commercial=staff["commercial"][0][0])
    counts = {table: db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
              for table in ("client", "contract", "event", "payment")}
    close_database()  # the shell opens it afresh (SQLite gathers statistics on open)
    return World(url=url, staff=staff, counts=counts, seconds=time.perf_counter() - began)


def existing(url: str) -> World:
    """The world an earlier `build` left at URL (kept to measure again without building)."""
    from epicshell.models import User

    began = time.perf_counter()
    db = open_database(url)  # upgrades it first, when the schema has moved on
    staff: dict = {}
    for ident, email, department in User.select(User.id, User.email, User.department) \
            .order_by(User.id).tuples():
        staff.setdefault(department, []).append((ident, email))
    counts = {table: db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
              for table in ("client", "contract", "event", "payment")}
    close_database()
    return World(url=url, staff=staff, counts=counts, seconds=time.perf_counter() - began)


def open_world(url: str) -> None:
    open_database(url)
    database.execute_sql("SELECT 1")
