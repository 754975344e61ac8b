"""Every list, filter, search, view and completion at two sizes, on SQLite and PostgreSQL.

    python tests/benchmarks/bench_world.py --quick            # SQLite, 2k and 20k clients
    python tests/benchmarks/bench_world.py --postgres postgresql://postgres@127.0.0.1/bench
    python tests/benchmarks/bench_world.py --sizes 10000 1000000 --postgres URL --json out.json
    python tests/benchmarks/bench_world.py --keep /var/tmp/worlds   # SQLite worlds built once,
                                                                     # measured again next time

Each size is a fresh world (tests/benchmarks/world.py: seeded through the services, then
multiplied in bulk keeping its shape). Every command runs through the shell's real
dispatch, `App.execute`, as a logged-in staff member (session check, parsing, policy,
query, rendering of the table into a discarded stream), so it measures whatever the
services do at the time. Completion goes through the prompt's completer. Prints the
median ms per command, t(large)/t(small), and the throughput of scripts (1,000
`client view`/`client list --limit 10` lines; `client create` lines) run by the
script mode's own loop. The PostgreSQL database given is emptied first.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import world

from epicshell.config import Settings
from epicshell.db import close_database
from epicshell.shell.app import App, Environment


class Discard:
    """A stdout that keeps nothing (rendering still happens, printing costs nothing)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def shell_as(url: str, email: str) -> App:
    os.environ["EPICSHELL_PASSWORD"] = world.PASSWORD
    app = App(Settings(database_url=url), Environment(stdout=Discard(), stderr=sys.stderr))
    if not app.execute(f"login {email}"):
        raise SystemExit(f"cannot log in as {email}")
    return app


def commands(w: world.World, sample: dict) -> list[tuple[str, str, str]]:
    """(label, who, command line) for every read staff run all day."""
    common, rare = world.COMMON_TERM, world.RARE_TERM
    return [
        ("client list", "management", "client list"),
        ("client list --page 200", "management", "client list --page 200"),
        ("client list --mine", "commercial", "client list --mine"),
        ("client list --sort name", "management", "client list --sort name"),
        (f"client search (common: {common})", "management", f"client search {common}"),
        (f"client search (rare: {rare})", "management", f"client search {rare}"),
        ("contract list", "management", "contract list"),
        ("contract unpaid", "management", "contract unpaid"),
        ("contract unsigned", "management", "contract unsigned"),
        ("contract mine (commercial)", "commercial", "contract mine"),
        ("contract list --unsigned --mine", "commercial", "contract list --unsigned --mine"),
        ("contract list --client", "management", f"contract list --client {sample['client']}"),
        ("event list", "management", "event list"),
        ("event upcoming", "management", "event upcoming"),
        ("event unassigned", "management", "event unassigned"),
        ("event mine (support)", "support", "event mine"),
        ("event mine (commercial)", "commercial", "event mine"),
        (f"event search (common: {common})", "management", f"event search {common}"),
        (f"event search (rare: {rare})", "management", f"event search {rare}"),
        ("user list", "management", "user list"),
        ("client view", "management", f"client view {sample['client']}"),
        ("contract view", "management", f"contract view {sample['contract']}"),
        ("event view", "management", f"event view {sample['event']}"),
        ("user view", "management", f"user view {sample['user']}"),
    ]


COMPLETIONS = [
    ("complete client id '42'", "client view 42"),
    ("complete client name 'mar'", "contract create mar"),
    ("complete contract id '77'", "contract view 77"),
    ("complete event id '12'", "event view 12"),
]


def median_ms(run, repeat: int) -> float:
    run()  # warm: the first run compiles query shapes and fills caches
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000


def complete(app: App, text: str) -> list:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from epicshell.shell.completion import ShellCompleter

    event = CompleteEvent(completion_requested=True)
    return list(ShellCompleter(app).get_completions(Document(text), event))


def must_succeed(app: App, line: str):
    def run():
        if not app.execute(line):
            raise SystemExit(f"benchmark command failed: {line}")
    return run


def throughput(app: App, lines: list[str]) -> float:
    """Commands per second of LINES run by the script mode's loop (stop at a failure)."""
    from epicshell.shell.script import EXIT_OK, command_lines, run_lines

    began = time.perf_counter()
    status = run_lines(app, command_lines(lines))
    elapsed = time.perf_counter() - began
    if status != EXIT_OK:
        raise SystemExit("a throughput script failed")
    return len(lines) / elapsed


def sample_ids(url: str) -> dict:
    from epicshell.models import Client, Contract, Event, User

    world.open_world(url)
    middle = Client.select(Client.id).order_by(Client.id.desc()).first().id // 2
    contract = Contract.select().where(Contract.client == middle).first()
    event = Event.select().where(Event.contract == contract.id).first() if contract else None
    if event is None:
        event = Event.select().order_by(Event.id.desc()).first()
    close_database()
    return {"client": middle, "contract": contract.id if contract else 1,
            "event": event.id, "user": User.select().first().id}


def measure(url: str, size: int, repeat: int, script_lines: int, reuse: bool = False) -> dict:
    if reuse:
        print(f"{url.split(':')[0]} at {size:,} clients: reusing {url} …", flush=True)
        w = world.existing(url)
    else:
        print(f"{url.split(':')[0]} at {size:,} clients: building …", flush=True)
        w = world.build(url, size, log=lambda text: print(text, flush=True))
    print(f"  {'opened' if reuse else 'built'} {w.counts} in {w.seconds:.0f} s", flush=True)
    sample = sample_ids(url)
    apps = {role: shell_as(url, w.email(role)) for role in ("management", "commercial", "support")}
    times = {}
    for label, who, line in commands(w, sample):
        times[label] = median_ms(must_succeed(apps[who], line), repeat)
        print(f"  {label:<40}{times[label]:9.1f} ms", flush=True)
    for label, text in COMPLETIONS:
        times[label] = median_ms(lambda text=text: complete(apps["management"], text), repeat)
        print(f"  {label:<40}{times[label]:9.1f} ms", flush=True)
    boss = apps["management"]
    reads = [f"client view {sample['client']}" if i % 2 else "client list --limit 10"
             for i in range(script_lines)]
    run = int(time.time())  # a kept world is measured again: new emails each time
    creates = [f"client create --full-name 'Script Client {i}' "
               f"--email script{i}.{size}.{run}@bench.test" for i in range(script_lines // 3)]
    rates = {"reads/s": throughput(boss, reads),
             "creates/s": throughput(apps["commercial"], creates)}
    print(f"  scripts: {rates['reads/s']:,.0f} reads/s, {rates['creates/s']:,.0f} creates/s",
          flush=True)
    close_database()
    return {"times": times, "rates": rates, "counts": w.counts}


def table(results: dict, sizes: list[int]) -> str:
    """Markdown: one row per command, per backend the two sizes and their ratio."""
    small, large = sizes[0], sizes[-1]
    backends = list(results)
    head = ["command"]
    for backend in backends:
        head += [f"{backend} {small:,} (ms)", f"{backend} {large:,} (ms)", "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    labels = list(results[backends[0]][str(small)]["times"])
    for key in ("times", "rates"):
        labels = list(results[backends[0]][str(small)][key])
        for label in labels:
            row = [label]
            for backend in backends:
                a = results[backend][str(small)][key][label]
                b = results[backend][str(large)][key][label]
                fmt = "{:.1f}" if key == "times" else "{:,.0f}"
                row += [fmt.format(a), fmt.format(b), f"{b / a:.2f}"]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000],
                        help="clients in each world (default 10000 1000000)")
    parser.add_argument("--postgres", metavar="URL", help="also PostgreSQL (emptied first)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 clients, fewer runs")
    parser.add_argument("--repeat", type=int, default=15, help="runs per command (median)")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    parser.add_argument("--keep", metavar="DIR",
                        help="SQLite worlds live in DIR as world-SIZE.db and are kept; one "
                             "already there is measured again instead of built")
    options = parser.parse_args()
    sizes = [2_000, 20_000] if options.quick else sorted(options.sizes)
    repeat = 5 if options.quick else options.repeat
    script_lines = 300 if options.quick else 1000
    folder = options.keep or tempfile.mkdtemp(prefix="epicshell-bench-")
    backends = {} if options.no_sqlite else {"SQLite": f"sqlite:///{folder}/world-{{size}}.db"}
    if options.postgres:
        backends["PostgreSQL"] = options.postgres
    results: dict = {}
    for backend, url_of in backends.items():
        results[backend] = {}
        for size in sizes:
            url = url_of.format(size=size)
            kept = options.keep is not None and url.startswith("sqlite") \
                and Path(url.split("///", 1)[1]).exists()
            results[backend][str(size)] = measure(url, size, repeat, script_lines, reuse=kept)
            if options.json:  # kept as it goes: a long run stopped half-way keeps its numbers
                Path(options.json).write_text(json.dumps(results, indent=2))
            if url.startswith("sqlite") and options.keep is None:
                world.reset(url)
    print()
    print(table(results, sizes))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
