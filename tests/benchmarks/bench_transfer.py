"""Measure bulk import and streamed export on SQLite.

    python tests/benchmarks/bench_transfer.py                       # 100,000 / 1,000,000 rows
    python tests/benchmarks/bench_transfer.py --import-rows 10000 --export-rows 100000

Goals: `client import` of 100,000 clients from one CSV in at most 10 s with a peak memory
under 150 MB; `client export` of 1,000,000 clients in under 60 s with flat memory. Each
measured step runs in a fresh process, so its peak RSS is its own; the CPU time is shown
beside the wall time because a shared machine stretches the latter. Not part of the test
suite: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PASSWORD = "benchmark password"
BATCH = 5000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _open(db: str):
    from epicshell import security
    from epicshell.db import open_database

    security.set_bcrypt_rounds(4)
    open_database(f"sqlite:///{db}")


def _staff():
    from epicshell.models import User
    from epicshell.services import auth, users

    boss = User.get_or_none(User.email == "ana@bench.test")
    if boss is None:
        boss = auth.setup_first_user("ana@bench.test", "Ana Bench", "M001", PASSWORD)
        users.create_user(boss, email="bill@bench.test", full_name="Bill Bench",
                          department="commercial", employee_number="C001", password=PASSWORD)
    return boss


def phase_csv(args) -> dict:
    with open(args.csv, "w", encoding="utf-8", newline="") as file:
        file.write("full_name,email,phone,company,commercial_email\n")
        for i in range(args.rows):
            file.write(f"Client {i},client{i}@bench.test,+33 6 12 34 56 78,Company {i % 5000},"
                       "bill@bench.test\n")
    return {}


def phase_import(args) -> dict:
    from epicshell.services import transfer
    from epicshell.shell.datafiles import read_data_file

    _open(args.db)
    boss = _staff()
    before, cpu = _peak_mb(), _cpu()
    started = time.perf_counter()
    report = transfer.import_clients(boss, read_data_file(args.csv, "client"))
    seconds = time.perf_counter() - started
    return {"rows": report.created["client"], "seconds": round(seconds, 2),
            "cpu_seconds": round(_cpu() - cpu, 2),
            "peak_rss_mb": round(_peak_mb(), 1), "rss_before_mb": round(before, 1)}


def phase_fill(args) -> dict:
    from epicshell.models import Client, User, database, utcnow

    _open(args.db)
    _staff()
    owner = User.get(User.email == "bill@bench.test").id
    now = utcnow()
    start = Client.select().count()
    with database.atomic():
        for first in range(start, args.rows, BATCH):
            Client.insert_many([
                (f"Client {i}", f"client {i}", f"client{i}@bench.test", "+33 6 12 34 56 78",
                 f"=Company {i % 5000}", owner, now, now)
                for i in range(first, min(args.rows, first + BATCH))],
                fields=[Client.full_name, Client.name_key, Client.email, Client.phone,
                        Client.company, Client.commercial, Client.created_at,
                        Client.updated_at]).execute()
    return {"rows": Client.select().count()}


def phase_export(args) -> dict:
    from epicshell.services import transfer_export
    from epicshell.shell.datafiles import write_csv

    _open(args.db)
    boss = _staff()
    before, cpu = _peak_mb(), _cpu()
    samples = []
    started = time.perf_counter()

    def progress(_what, _count):
        samples.append(_peak_mb())

    with open(args.out, "w", encoding="utf-8", newline="") as file:
        count = write_csv(file, "client", transfer_export.export_clients(boss).records(), progress)
    seconds = time.perf_counter() - started
    quarter = samples[len(samples) // 4] if samples else before
    return {"rows": count, "seconds": round(seconds, 2), "cpu_seconds": round(_cpu() - cpu, 2),
            "rss_before_mb": round(before, 1),
            "peak_rss_at_25pct_mb": round(quarter, 1), "peak_rss_mb": round(_peak_mb(), 1)}


PHASES = {"csv": phase_csv, "import": phase_import, "fill": phase_fill, "export": phase_export}


def _run(phase: str, **options) -> dict:
    argv = [sys.executable, __file__, "--phase", phase]
    for key, value in options.items():
        argv += [f"--{key}", str(value)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--rows", type=int)
    parser.add_argument("--db")
    parser.add_argument("--csv")
    parser.add_argument("--out")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        csv_file = folder / "clients.csv"
        _run("csv", rows=args.import_rows, csv=csv_file)
        result = _run("import", db=folder / "import.db", csv=csv_file)
        print(f"import {result['rows']:,} clients: {result['seconds']} s "
              f"({result['cpu_seconds']} s of CPU), "
              f"peak RSS {result['peak_rss_mb']} MB (before the import {result['rss_before_mb']} MB)"
              f"  [goal: <= 10 s, < 150 MB]")
        _run("fill", db=folder / "export.db", rows=args.export_rows)
        result = _run("export", db=folder / "export.db", out=folder / "out.csv")
        print(f"export {result['rows']:,} clients: {result['seconds']} s "
              f"({result['cpu_seconds']} s of CPU), peak RSS at 25% "
              f"{result['peak_rss_at_25pct_mb']} MB, at the end {result['peak_rss_mb']} MB "
              f"(before {result['rss_before_mb']} MB)  [goal: < 60 s, flat memory]")


if __name__ == "__main__":
    main()
