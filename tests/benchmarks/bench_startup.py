"""How long the program takes to start: `epicshell -c status`, and the interactive prompt.

    python tests/benchmarks/bench_startup.py              # 30 runs of each, median
    python tests/benchmarks/bench_startup.py --runs 100

Each run is a fresh process of the installed console script (the one beside this
interpreter) on a SQLite file that already holds a user, timed from the spawn to the
end of `status` (exit) or to the first `epic>` prompt drawn in a pseudo-terminal.
`python -X importtime -m epicshell -c status` shows where the time goes.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def console_script() -> str:
    return str(Path(sys.executable).parent / "epicshell")


def prepared_database(folder: str) -> str:
    """A migrated database with one management user (so no first-run question)."""
    url = f"sqlite:///{folder}/startup.db"
    env = dict(os.environ, DATABASE_URL=url, EPICSHELL_BCRYPT_ROUNDS="4",
               NEW_PW="a long enough passphrase")
    subprocess.run([console_script(), "-c", "setup --email ana@bench.test --full-name 'Ana L' "
                    "--employee-number M001 --password-env NEW_PW"], env=env, check=True,
                   capture_output=True)
    return url


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(run) -> tuple[float, float]:
    """(wall ms, CPU ms) of RUN(); CPU time suffers less than wall time on a busy machine."""
    cpu, began = children_cpu(), time.perf_counter()
    wall = run()
    return wall if wall is not None else (time.perf_counter() - began) * 1000, \
        (children_cpu() - cpu) * 1000


def time_status(env: dict) -> None:
    subprocess.run([console_script(), "-c", "status"], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def time_prompt(env: dict) -> float:
    import pexpect

    began = time.perf_counter()
    child = pexpect.spawn(console_script(), env=env, encoding="utf-8", dimensions=(24, 100))
    # prompt_toolkit asks the terminal where its cursor is (CPR): answer as a terminal does.
    while child.expect([r"\x1b\[6n", "epic>"], timeout=30) == 0:
        child.send("\x1b[1;1R")
    elapsed = (time.perf_counter() - began) * 1000
    child.sendeof()
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    return elapsed


def report(name: str, samples: list[tuple[float, float]]) -> None:
    walls = sorted(wall for wall, _cpu in samples)
    cpus = [cpu for _wall, cpu in samples]
    print(f"{name:<24}median {statistics.median(walls):6.1f} ms   min {walls[0]:6.1f}"
          f"   CPU median {statistics.median(cpus):6.1f} ms   ({len(samples)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="epicshell-startup-") as folder:
        env = dict(os.environ, DATABASE_URL=prepared_database(folder), XDG_DATA_HOME=folder,
                   TERM="xterm", NO_COLOR="1")
        env.pop("SENTRY_DSN", None)
        for _warm_up in range(3):
            time_status(env)
        report("epicshell -c status",
               [measured(lambda: time_status(env)) for _ in range(options.runs)])
        report("interactive prompt",
               [measured(lambda: time_prompt(env)) for _ in range(options.runs)])
    print(f"load average during the run: {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores (a shared machine inflates every number)")


if __name__ == "__main__":
    main()
