"""Measure lists, filters, searches and completion on large tables.

    python tests/benchmarks/bench_lists.py --rows 1000000            # SQLite in a temp folder
    python tests/benchmarks/bench_lists.py --rows 200000 --database postgresql://…/bench

Rows are bulk-inserted (not through the services: this measures reads), then each
operation staff use all day is timed through the real service or lookup function,
best of several runs. Not part of the test suite: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from epicshell import security
from epicshell.db import close_database, open_database
from epicshell.models import Client, Contract, Event, User, database, utcnow

BATCH = 5000


def fill(rows: int) -> dict:
    security.set_bcrypt_rounds(4)
    hashed = security.hash_password("benchmark password")
    now = utcnow()
    staff = []
    for index in range(20):
        department = ("management", "commercial", "support")[index % 3]
        staff.append(User.create(email=f"staff{index}@bench.test", full_name=f"Staff {index}",
                                 name_key=f"staff {index}", employee_number=f"B{index:03d}",
                                 department=department, password_hash=hashed))
    commercials = [u.id for u in staff if u.department == "commercial"]
    supports = [u.id for u in staff if u.department == "support"]
    rng = random.Random(7)
    first = ["kevin", "ana", "bill", "chloe", "david", "emma", "farid", "gina", "hugo", "ines"]
    last = ["casey", "lopez", "martin", "durand", "nguyen", "smith", "garcia", "petit"]
    with database.atomic():
        for start in range(0, rows, BATCH):
            chunk = range(start, min(rows, start + BATCH))
            Client.insert_many([{
                "full_name": f"{rng.choice(first).title()} {rng.choice(last).title()} {i}",
                "name_key": f"{rng.choice(first)} {rng.choice(last)} {i}",
                "email": f"client{i}@bench.test", "phone": "+33 1 23 45 67 89",
                "company": f"Company {i % 5000}", "commercial": rng.choice(commercials),
                "created_at": now, "updated_at": now} for i in chunk]).execute()
    client_ids = [c.id for c in Client.select(Client.id, Client.commercial)]
    owner = dict(Client.select(Client.id, Client.commercial).tuples())
    with database.atomic():
        for start in range(0, rows, BATCH):
            chunk = client_ids[start:start + BATCH]
            Contract.insert_many([{
                "client": cid, "commercial": owner[cid], "total_cents": 150000,
                "due_cents": rng.choice((0, 0, 50000, 150000)),
                "status": rng.choice(("draft", "signed", "signed", "cancelled")),
                "created_at": now, "updated_at": now} for cid in chunk]).execute()
    contract_ids = [c for (c,) in Contract.select(Contract.id).tuples()]
    with database.atomic():
        for start in range(0, rows, BATCH):
            chunk = contract_ids[start:start + BATCH]
            Event.insert_many([{
                "contract": cid, "name": f"Event {cid}", "name_key": f"event {cid}",
                "support": rng.choice(supports + [None]),
                "start": now + timedelta(days=rng.randint(-400, 400)),
                "end": now + timedelta(days=400, hours=5), "attendees": 50,
                "created_at": now, "updated_at": now} for cid in chunk]).execute()
    return {"management": staff[0], "commercial": staff[1], "support": staff[2]}


def timed(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return min(samples) * 1000, statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", help="a URL; default: a SQLite file in a temp folder")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="epicshell-bench-")
    url = options.database or f"sqlite:///{folder}/bench.db"
    open_database(url)
    began = time.perf_counter()
    staff = fill(options.rows)
    print(f"filled {options.rows:,} clients, contracts and events in "
          f"{time.perf_counter() - began:.1f} s ({url})")
    close_database()  # then reopen as the shell does: statistics are gathered on open/close
    began = time.perf_counter()
    open_database(url)
    print(f"reopened in {time.perf_counter() - began:.1f} s")

    from epicshell.services import clients, contracts, events
    from epicshell.shell import lookups

    m, c, s = staff["management"], staff["commercial"], staff["support"]
    cases = {
        "client list (page 1)": lambda: clients.list_clients(m),
        "client list --page 200": lambda: clients.list_clients(m, page=200),
        "client list --mine": lambda: clients.list_clients(c, mine=True),
        "client list --sort name": lambda: clients.list_clients(m, sort="name"),
        "client search 'casey 4242'": lambda: clients.list_clients(m, search="casey 4242"),
        "contract list --unpaid": lambda: contracts.list_contracts(m, unpaid=True),
        "contract list --unsigned --mine": lambda: contracts.list_contracts(c, unsigned=True, mine=True),
        "event list --unassigned": lambda: events.list_events(m, unassigned=True),
        "event list --upcoming": lambda: events.list_events(m, upcoming=True),
        "event list --mine (support)": lambda: events.list_events(s, mine=True),
        "complete client id '4242'": lambda: lookups.client_ids(None, "4242"),
        "complete client name 'kev'": lambda: lookups.client_ids(None, "kev"),
        "complete contract id '77'": lambda: lookups.contract_ids(None, "77"),
        "view client": lambda: clients.get_client(m, options.rows // 2),
    }
    width = max(map(len, cases)) + 2
    print(f"{'operation'.ljust(width)}{'best ms':>10}{'median ms':>11}")
    for name, fn in cases.items():
        best, median = timed(fn)
        print(f"{name.ljust(width)}{best:>10.1f}{median:>11.1f}")


if __name__ == "__main__":
    main()
