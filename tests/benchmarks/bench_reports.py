"""Time every report and agenda on a million contracts (SQLite by default).

    python tests/benchmarks/bench_reports.py                      # 1,000,000 contracts
    python tests/benchmarks/bench_reports.py --contracts 200000 --database sqlite:///big.db
    python tests/benchmarks/bench_reports.py --database postgresql://user@host/bench_db

The data is shaped like a few years of business: contracts created over five years,
mostly signed a few days to a month after creation, older ones mostly paid, one payment
per paid part, an event for most signed contracts, most events staffed. Rows go in with
raw bulk inserts (this measures reads, not the services), into a new SQLite file or an
emptied PostgreSQL database (then vacuumed, as autovacuum would: index-only scans need
the visibility map). Each report is then timed through its real service function, best
and median of several runs, wall clock and CPU time of this process (on a shared
machine the CPU time varies less). The goal is at most 200 ms for each. Not part of the
test suite: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from world import reset  # this script's folder is on the path

from epicshell import security
from epicshell.db import close_database, open_database
from epicshell.models import User, database, utcnow

BATCH = 20_000
YEARS = 5
COMMERCIALS, SUPPORTS = 12, 10
GOAL_MS = 200


def _staff() -> dict:
    security.set_bcrypt_rounds(4)
    hashed = security.hash_password("benchmark password")
    made = {"management": [], "commercial": [], "support": []}
    plan = [("management", 3), ("commercial", COMMERCIALS), ("support", SUPPORTS)]
    for department, count in plan:
        for index in range(count):
            made[department].append(User.create(
                email=f"{department}{index}@bench.test", full_name=f"{department.title()} {index}",
                name_key=f"{department} {index}", employee_number=f"{department[0]}{index:03d}",
                department=department, password_hash=hashed))
    return made


def _first_of_each_department() -> dict:
    return {department: User.get(User.email == f"{department}0@bench.test")
            for department in ("management", "commercial", "support")}


def _insert(sql: str, rows: list[tuple]) -> None:
    """SQL (written with ? marks) run once per row, with the driver's executemany."""
    database.cursor().executemany(sql.replace("?", database.param), rows)


def _contract_rows(rng, now, count, client_owner):
    """(client, commercial, total, due, status, signed_at, created_at) like real business."""
    span = YEARS * 365 * 86400
    clients = list(client_owner)
    for _ in range(count):
        client = rng.choice(clients)
        created = now - timedelta(seconds=rng.random() * span)
        status = rng.choices(("draft", "signed", "cancelled"), (15, 75, 10))[0]
        total = rng.randint(500, 50_000) * 100
        signed = None
        due = total
        if status != "draft":
            signed = min(now, created + timedelta(days=rng.random() * 30))
            age = (now - signed).days
            if status == "signed":
                paid_off = rng.random() < (0.95 if age > 90 else 0.3)
                due = 0 if paid_off else rng.choice((total, total // 2, total // 4))
        yield (client, client_owner[client], total, due, status, _text(signed), _text(created),
               _text(created))


def timed(fn, repeat: int = 5) -> tuple[float, float, float]:
    """(best, median, median CPU) milliseconds of REPEAT runs of FN."""
    samples, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return min(samples) * 1000, statistics.median(samples) * 1000, statistics.median(cpu) * 1000


def _text(moment: datetime | None) -> str | None:
    """A time as peewee stores it in SQLite (naive UTC, ISO with a space); PostgreSQL
    reads the same text into its timestamp columns."""
    return None if moment is None else str(moment)


def _moment(value) -> datetime:
    """A time read back: text from SQLite, a datetime from PostgreSQL."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def fill(contracts: int) -> dict:
    rng = random.Random(13)
    now = utcnow()
    staff = _staff()
    commercials = [u.id for u in staff["commercial"]]
    supports = [u.id for u in staff["support"]]
    clients = max(1, contracts // 4)
    with database.atomic():
        for start in range(0, clients, BATCH):
            _insert('INSERT INTO client (full_name, name_key, email, phone, company, '
                    "commercial_id, version, created_at, updated_at, search_text) "
                    "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, '')",  # reports never search
                    [(f"Client {i}", f"client {i}", f"client{i}@bench.test", "+33 1 23 45 67 89",
                      f"Company {i % 5000}", rng.choice(commercials), _text(now), _text(now))
                     for i in range(start, min(clients, start + BATCH))])
    owner = dict(database.execute_sql("SELECT id, commercial_id FROM client").fetchall())
    # Ids follow creation time, as they do when contracts are created one by one.
    rows = sorted(_contract_rows(rng, now, contracts, owner), key=lambda row: row[6])
    with database.atomic():
        for start in range(0, len(rows), BATCH):
            _insert('INSERT INTO contract (client_id, commercial_id, total_cents, due_cents, '
                    'status, signed_at, created_at, updated_at, version) '
                    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)', rows[start:start + BATCH])
    _fill_payments_and_events(rng, now, supports)
    return _first_of_each_department()


def _fill_payments_and_events(rng, now, supports) -> None:
    signed = database.execute_sql(
        "SELECT id, total_cents - due_cents, signed_at, commercial_id FROM contract "
        "WHERE status = 'signed'")
    payments, events = [], []
    with database.atomic():
        for contract_id, paid, signed_at, commercial_id in signed.fetchall():
            signed_at = _moment(signed_at)
            if paid:
                first = paid if rng.random() < 0.7 else paid // 2
                for amount in (first, paid - first):
                    if amount:
                        at = min(now, signed_at + timedelta(days=rng.random() * 60))
                        payments.append((contract_id, commercial_id, amount, _text(at)))
            if rng.random() < 0.8:
                start = signed_at + timedelta(days=rng.randint(10, 200), hours=rng.randint(8, 18))
                events.append((contract_id, commercial_id, f"Event {contract_id}",
                               f"event {contract_id}",
                               rng.choice(supports) if rng.random() < 0.9 else None, _text(start),
                               _text(start + timedelta(hours=6)), rng.randint(10, 500),
                               _text(now), _text(now)))
            if len(payments) >= BATCH or len(events) >= BATCH:
                _flush(payments, events)
        _flush(payments, events)


def _flush(payments: list, events: list) -> None:
    if payments:
        _insert("INSERT INTO payment (contract_id, commercial_id, amount_cents, paid_at, "
                "adjustment) VALUES (?, ?, ?, ?, FALSE)", payments)
    if events:
        _insert('INSERT INTO event (contract_id, commercial_id, name, name_key, support_id, '
                'start, "end", attendees, version, created_at, updated_at, search_text) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '')", events)
    payments.clear()
    events.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--database", help="a SQLite or PostgreSQL URL (emptied first unless "
                        "--no-fill); default: a SQLite file in a temp folder")
    parser.add_argument("--no-fill", action="store_true",
                        help="time the reports on a database filled by an earlier run")
    options = parser.parse_args()
    url = options.database or f"sqlite:///{tempfile.mkdtemp(prefix='epicshell-bench-')}/bench.db"
    if not options.no_fill:
        reset(url)
    open_database(url)
    began = time.perf_counter()
    staff = _first_of_each_department() if options.no_fill else fill(options.contracts)
    counts = {table: database.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0]
              for table in ("client", "contract", "payment", "event")}
    print(f"{'found' if options.no_fill else 'filled'} "
          f"{', '.join(f'{n:,} {t}s' for t, n in counts.items())} in "
          f"{time.perf_counter() - began:.0f} s ({url})")
    if not url.startswith("sqlite") and not options.no_fill:
        database.execute_sql("VACUUM ANALYZE")
    close_database()  # reopen as the shell does: planner statistics are gathered on open
    open_database(url)

    from epicshell.services import agenda, reports

    m, c, s = staff["management"], staff["commercial"], staff["support"]
    quarter = (utcnow() - timedelta(days=91)).strftime("%Y-%m-%d")
    five_years = (utcnow() - timedelta(days=YEARS * 366)).strftime("%Y-%m-%d")
    cases = {
        "report pipeline (all time)": lambda: reports.pipeline(m),
        "report pipeline --from (a quarter)": lambda: reports.pipeline(m, start=quarter),
        "report revenue (12 months)": lambda: reports.revenue(m),
        "report revenue --from (5 years)": lambda: reports.revenue(m, start=five_years),
        "report revenue --by commercial": lambda: reports.revenue(m, by="commercial"),
        "report unpaid": lambda: reports.unpaid(m),
        "report workload": lambda: reports.workload(m),
        "agenda (management)": lambda: agenda.agenda(m),
        "agenda (commercial)": lambda: agenda.agenda(c),
        "agenda (support)": lambda: agenda.agenda(s),
        "login short form (management)": lambda: agenda.agenda(m, limit=1),
    }
    print_timings(cases)


def print_timings(cases: dict) -> None:
    """Best and median of each case, and whether it meets the goal."""
    width = max(map(len, cases)) + 2
    print(f"{'report'.ljust(width)}{'best ms':>9}{'median ms':>11}{'cpu ms':>8}  "
          f"goal {GOAL_MS} ms")
    for name, fn in cases.items():
        best, median, cpu = timed(fn)
        verdict = "ok" if median <= GOAL_MS else "SLOW"
        print(f"{name.ljust(width)}{best:>9.1f}{median:>11.1f}{cpu:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
