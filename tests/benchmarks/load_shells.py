"""Many staff at once: N separate shells on one PostgreSQL database, each doing a day's mix.

    python tests/benchmarks/load_shells.py --database postgresql://postgres@127.0.0.1/load \\
        --shells 50 --seconds 60

Builds a world (tests/benchmarks/world.py; the database is emptied first), then starts
N `epicshell --script - --keep-going --echo` processes, each logged in as a staff member
and fed commands through its standard input, one at a time: search, list, view, update
a client, pay a contract, assign an event (management), in proportions a day brings.
Each command is timed from the moment it is written to the moment the shell has
finished it (the echo of a following `whoami --help` marks the end), so the time
includes parsing, the session check, the queries, waiting for locks and rendering.
Some clients and contracts are "hot" (many shells change them) to provoke contention.

At the end it reports p50/p95 per command, refusals the rules explain (e.g. paying more
than is due), conflicts, unexpected errors, and where the CPU went (the shells, the
PostgreSQL server, this driver); then it checks, in the database:
for every contract, total − due = the sum of its payments; every payment and client
update a shell saw accepted is there (none lost); the audit trail has one entry each.
Bounded: at most 200 shells and 600 seconds; loopback servers only.
"""
from __future__ import annotations

import argparse
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import world

MAX_SHELLS, MAX_SECONDS = 200, 600
MARK = "whoami --help"
READS = ("search", "list", "view")


@dataclass
class Outcome:
    kind: str
    line: str
    ms: float
    output: list[str]

    @property
    def error(self) -> str | None:
        return next((text for text in self.output if ": error: " in text), None)


@dataclass
class Targets:
    """Ids the shells work on, read from the world before the run."""

    clients_of: dict  # commercial id → their client ids
    contracts_of: dict  # commercial id → their signed contracts with an amount due
    hot_clients: list
    hot_contracts: list
    events: list
    supports: list
    all_clients: list


@dataclass
class Tally:
    outcomes: list = field(default_factory=list)
    paid: dict = field(default_factory=lambda: defaultdict(Decimal))  # contract → accepted
    updated: dict = field(default_factory=lambda: defaultdict(int))  # client → accepted
    lock: threading.Lock = field(default_factory=threading.Lock)


class ShellProcess:
    """One `epicshell --script -` process, driven line by line."""

    def __init__(self, url: str, email: str):
        env = dict(os.environ, DATABASE_URL=url, EPICSHELL_PASSWORD=world.PASSWORD,
                   NO_COLOR="1")
        env.pop("SENTRY_DSN", None)
        script = str(Path(sys.executable).parent / "epicshell")
        self.process = subprocess.Popen(
            [script, "--script", "-", "--keep-going", "--echo"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._log_in(email)

    def _log_in(self, email: str) -> None:
        """Log in, again if refused: several shells share one account here, and an account
        checks at most a few passwords at once (the login attempt limit), so a crowd of
        simultaneous logins to one account has some refused; a person would type it again."""
        for _ in range(30):
            _ms, output = self.run(f"login {email}")
            if not any("error:" in text for text in output):
                return
            time.sleep(random.uniform(0.1, 0.6))
        raise RuntimeError(f"cannot log in as {email}: {output}")

    def _read(self) -> None:
        for text in self.process.stdout:
            self.lines.put(text.rstrip("\n"))
        self.lines.put(None)

    def run(self, line: str) -> tuple[float, list[str]]:
        """Send LINE, wait until the shell is done with it; (ms, what it printed).

        The shell echoes each line before running it: LINE's output is what comes
        between its echo and the echo of the marker sent right after it (what comes
        before LINE's echo is the previous marker's help text).
        """
        began = time.perf_counter()
        self.process.stdin.write(f"{line}\n{MARK}\n")
        self.process.stdin.flush()
        output, started = [], False
        while True:
            text = self.lines.get(timeout=120)
            if text is None:
                raise RuntimeError(f"the shell ended during {line!r}: {output}")
            if not started:
                started = text.endswith(f"> {line}")
            elif text.endswith(f"> {MARK}"):
                return (time.perf_counter() - began) * 1000, output
            else:
                output.append(text)

    def close(self) -> None:
        try:
            self.process.stdin.write("exit\n")
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def day_of(role: str, me: int, t: Targets, rng: random.Random) -> tuple[str, str]:
    """The next (kind, command line) of a staff member of ROLE (user id ME)."""
    term = rng.choice(("martin", "casey", "zoé", "vauquelin", "lyon", "gala"))
    roll = rng.random()
    if role == "support":
        choices = [("search", f"event search {term} --limit 10"), ("list", "event mine"),
                   ("view", f"event view {rng.choice(t.events)}"),
                   ("view", f"client view {rng.choice(t.all_clients)}"),
                   ("list", "event upcoming --limit 20")]
        return rng.choice(choices)
    if roll < 0.15:
        return "search", f"client search {term} --limit 10"
    if roll < 0.35:
        return "list", rng.choice(("client list --mine", "contract unpaid", "event unassigned",
                                   "contract list --mine --limit 20", "client list --sort -updated"))
    if roll < 0.65:
        entity = rng.choice(("client", "contract"))
        ident = rng.choice(t.all_clients) if entity == "client" else rng.choice(
            t.hot_contracts + t.contracts_of.get(me, t.hot_contracts))
        return "view", f"{entity} view {ident}"
    if roll < 0.80:
        own = t.clients_of.get(me) or t.all_clients
        ident = rng.choice(t.hot_clients if role == "management" and rng.random() < 0.5 else own)
        return "update client", (f"client update {ident} --phone "
                                 f"'+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} 00 00'")
    if roll < 0.93 or role != "management":
        own = t.contracts_of.get(me) or t.hot_contracts
        ident = rng.choice(t.hot_contracts if role == "management" else own)
        return "pay", f"contract pay {ident} {rng.randint(1, 500) / 100:.2f}"
    return "assign event", f"event assign {rng.choice(t.events)} {rng.choice(t.supports)}"


def read_targets(url: str, w: world.World) -> Targets:
    from epicshell.models import Client, Contract, Event

    world.open_world(url)
    commercial_ids = [ident for ident, _email in w.staff["commercial"]]
    clients_of, contracts_of = defaultdict(list), defaultdict(list)
    for cid, owner in Client.select(Client.id, Client.commercial).where(
            Client.commercial.in_(commercial_ids)).order_by(Client.id).limit(20000).tuples():
        clients_of[owner].append(cid)
    for kid, owner in (Contract.select(Contract.id, Contract.commercial)
                       .where((Contract.status == "signed") & (Contract.due_cents > 5000))
                       .order_by(Contract.id).limit(20000).tuples()):
        contracts_of[owner].append(kid)
    management_contracts = [k for ks in contracts_of.values() for k in ks]
    events = [e for (e,) in Event.select(Event.id).order_by(Event.id).limit(5000).tuples()]
    all_clients = [c for cs in clients_of.values() for c in cs]
    from epicshell.db import close_database

    close_database()
    return Targets(clients_of=clients_of, contracts_of=contracts_of,
                   hot_clients=all_clients[:5], hot_contracts=management_contracts[:5],
                   events=events, supports=[i for i, _e in w.staff["support"]],
                   all_clients=all_clients)


def staff_member(index: int, w: world.World) -> tuple[str, int, str]:
    """Shell INDEX's (role, user id, email): one in five management, half commercial."""
    role = ("management", "commercial", "commercial", "support", "commercial")[index % 5]
    members = w.staff[role]
    ident, email = members[(index // 5) % len(members)]
    return role, ident, email


def work(index: int, url: str, w: world.World, t: Targets, start: threading.Barrier,
         seconds: float, tally: Tally) -> None:
    """Shell INDEX: start and log in, wait for the others, then a day's mix for SECONDS."""
    role, me, email = staff_member(index, w)
    rng = random.Random(index)
    shell = ShellProcess(url, email)
    start.wait()  # every shell is up and logged in: the measured minute begins
    until = time.monotonic() + seconds
    try:
        while time.monotonic() < until:
            kind, line = day_of(role, me, t, rng)
            ms, output = shell.run(line)
            outcome = Outcome(kind, line, ms, output)
            with tally.lock:
                tally.outcomes.append(outcome)
                if outcome.error is None and kind == "pay":
                    words = line.split()
                    tally.paid[int(words[2])] += Decimal(words[3])
                if outcome.error is None and kind == "update client" and \
                        any(text.startswith("Updated client") for text in output):
                    tally.updated[int(line.split()[2])] += 1
            time.sleep(rng.uniform(0.05, 0.3))  # a person reads the answer before the next
    finally:
        shell.close()


def classify(outcome: Outcome) -> str:
    error = outcome.error
    if error is None:
        return "ok"
    if "unexpected error" in error:
        return "unexpected"
    if "changed by someone else" in error:
        return "conflict"
    return "refused"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def report(tally: Tally, seconds: float) -> dict:
    by_kind = defaultdict(list)
    for outcome in tally.outcomes:
        by_kind[outcome.kind].append(outcome)
    print("\n| command | count | p50 (ms) | p95 (ms) | refused | conflicts | unexpected |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    totals = defaultdict(int)
    for kind in sorted(by_kind):
        outcomes = by_kind[kind]
        states = defaultdict(int)
        for outcome in outcomes:
            states[classify(outcome)] += 1
            totals[classify(outcome)] += 1
        times = [o.ms for o in outcomes]
        print(f"| {kind} | {len(outcomes)} | {statistics.median(times):.1f} | "
              f"{percentile(times, 0.95):.1f} | {states['refused']} | {states['conflict']} | "
              f"{states['unexpected']} |")
    reads = [o.ms for o in tally.outcomes if o.kind in READS]
    print(f"\n{len(tally.outcomes)} commands in {seconds:.0f} s "
          f"({len(tally.outcomes) / seconds:.0f}/s); reads p95 {percentile(reads, 0.95):.1f} ms; "
          f"refused {totals['refused']}, conflicts {totals['conflict']}, "
          f"unexpected errors {totals['unexpected']}")
    for outcome in tally.outcomes:
        if classify(outcome) == "unexpected":
            print(f"  unexpected: {outcome.line!r}: {outcome.error}")
    return totals


def check_invariants(url: str, tally: Tally, before: dict) -> list[str]:
    """What must hold after the run; returns the problems found (none, one hopes)."""
    from peewee import fn

    from epicshell.db import close_database
    from epicshell.models import AuditEntry, Client, Contract, Payment

    world.open_world(url)
    problems = []
    paid = dict(Payment.select(Payment.contract, fn.SUM(Payment.amount_cents))
                .group_by(Payment.contract).tuples())
    for ident, total, due in Contract.select(Contract.id, Contract.total_cents,
                                             Contract.due_cents).tuples().iterator():
        if total - due != paid.get(ident, 0):
            problems.append(f"contract {ident}: total − due = {total - due} cents, "
                            f"payments {paid.get(ident, 0)}")
    for ident, amount in tally.paid.items():
        gained = paid.get(ident, 0) - before["paid"].get(ident, 0)
        if gained != int(amount * 100):
            problems.append(f"contract {ident}: shells saw {amount} accepted, "
                            f"the database gained {gained} cents")
    versions = dict(Client.select(Client.id, Client.version)
                    .where(Client.id.in_(list(tally.updated) or [0])).tuples())
    for ident, count in tally.updated.items():
        if versions[ident] - before["versions"][ident] != count:
            problems.append(f"client {ident}: {count} accepted updates, version moved "
                            f"{versions[ident] - before['versions'][ident]}")
    payments = sum(1 for o in tally.outcomes if o.kind == "pay" and o.error is None)
    audited = AuditEntry.select().where((AuditEntry.action == "pay") & (AuditEntry.field == "payment")
                                        & (AuditEntry.id > before["audit"])).count()
    if audited != payments:
        problems.append(f"{payments} payments accepted, {audited} in the audit trail")
    close_database()
    return problems


def snapshot(url: str, t: Targets) -> dict:
    from peewee import fn

    from epicshell.db import close_database
    from epicshell.models import AuditEntry, Client, Payment

    world.open_world(url)
    state = {"paid": dict(Payment.select(Payment.contract, fn.SUM(Payment.amount_cents))
                          .group_by(Payment.contract).tuples()),
             "versions": dict(Client.select(Client.id, Client.version).tuples().iterator()),
             "audit": AuditEntry.select(fn.MAX(AuditEntry.id)).scalar() or 0}
    close_database()
    return state


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by the shells (children of this driver), the PostgreSQL
    server's processes, and this driver, read from /proc (Linux): where the cores went."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"shells": 0.0, "PostgreSQL": 0.0}
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if name == "postgres":
            used["PostgreSQL"] += seconds
        elif fields[1] == me:  # parent pid: a shell started by this driver
            used["shells"] += seconds
    times = os.times()
    used["driver"] = times.user + times.system
    return used


def report_cpu(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    spent = {name: after[name] - before[name] for name in before}
    available = seconds * (os.cpu_count() or 1)
    parts = ", ".join(f"{name} {value:.1f} s" for name, value in spent.items())
    print(f"CPU during the measured time: {parts} (of {available:.0f} s on "
          f"{os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, metavar="URL",
                        help="a PostgreSQL database on this machine (emptied first)")
    parser.add_argument("--shells", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=10_000, help="size of the world")
    options = parser.parse_args()
    if not 1 <= options.shells <= MAX_SHELLS or not 1 <= options.seconds <= MAX_SECONDS:
        parser.error(f"--shells 1…{MAX_SHELLS}, --seconds 1…{MAX_SECONDS}")
    if urlsplit(options.database).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load runs against a database on this machine only (loopback)")
    print(f"building a world of {options.clients:,} clients …", flush=True)
    w = world.build(options.database, options.clients, log=lambda text: None)
    targets = read_targets(options.database, w)
    before = snapshot(options.database, targets)
    tally = Tally()
    print(f"starting {options.shells} shells, then {options.seconds} s of work …", flush=True)
    began = []
    start = threading.Barrier(options.shells + 1)
    threads = [threading.Thread(target=work, args=(i, options.database, w, targets, start,
                                                   options.seconds, tally))
               for i in range(options.shells)]
    for thread in threads:
        thread.start()
    start.wait(timeout=600)
    began.append(time.monotonic())
    cpu_before = cpu_seconds()
    time.sleep(options.seconds)  # the shells still run their last command: close enough
    cpu_after = cpu_seconds()
    for thread in threads:
        thread.join()
    report(tally, time.monotonic() - began[0])
    report_cpu(cpu_before, cpu_after, options.seconds)
    problems = check_invariants(options.database, tally, before)
    print("invariants: " + ("all hold" if not problems else f"{len(problems)} broken"))
    for problem in problems[:20]:
        print(f"  {problem}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
