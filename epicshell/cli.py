"""Program start: parse argv, read settings, open the database, pick the run mode.

Modes (each a small module returning an exit status): interactive prompt
(shell/repl.py), commands from `-c`/`--script`/piped stdin (shell/script.py), and
transcript checks (shell/transcript.py). Exit status: 0 success, 1 a command failed,
2 usage error of the program itself (bad option, bad URL, unreachable database).
"""
from __future__ import annotations

import argparse
import sys

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_OUTPUT_CLOSED = 128 + 13  # as a program ended by SIGPIPE: `epicshell -c … | head -1`


class _AddStep(argparse.Action):
    """Collect `-c` and `--script` in one list, so they run in the order they were given."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .shell.script import Step

        steps = list(getattr(namespace, self.dest) or [])
        steps.append(Step("command" if option_string == "-c" else "script", values))
        setattr(namespace, self.dest, steps)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="epicshell",
        description="The CRM shell of Epic Events. Without options, opens the interactive shell.",
        epilog="Inside the shell, type `help`. Scripts: see the README, 'Scripting and testing'.",
    )
    parser.add_argument("--database", metavar="URL",
                        help="sqlite:///path.db or postgresql://user:pass@host:5432/db "
                             "(default: DATABASE_URL, then a file in your data directory)")
    parser.add_argument("--demo", action="store_true",
                        help="a throw-away database full of demo data (for training)")
    parser.add_argument("-c", dest="steps", action=_AddStep, metavar="COMMAND",
                        help="run this command, then exit (repeatable; -c and --script run "
                             "in the order given)")
    parser.add_argument("--script", dest="steps", action=_AddStep, metavar="FILE",
                        help="run the commands in FILE (- = stdin), then exit")
    parser.add_argument("--keep-going", action="store_true",
                        help="with -c/--script: go on after a failed command (still exit 1)")
    parser.add_argument("--echo", action="store_true",
                        help="with -c/--script: print each command before its output")
    parser.add_argument("--check", dest="transcripts", action="append", metavar="TRANSCRIPT",
                        help="run a transcript and report every difference (repeatable)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="default output format (default: table)")
    parser.add_argument("--no-color", action="store_true", help="no ANSI colours")
    parser.add_argument("--version", action="version", version=f"epicshell {__version__}")
    return parser


def _fail_usage(message: str) -> int:
    """One line on stderr, exit 2; a file name or URL in MESSAGE is shown, never run."""
    from .safetext import visible

    print(f"epicshell: {visible(message)}", file=sys.stderr)
    return EXIT_USAGE


def _read_inputs(options) -> str | None:
    """Read script files and transcripts before anything runs; return the problem, if any.

    An unreadable or malformed input is a usage error (exit 2) raised before the
    database is opened, never half-way through a run.
    """
    if options.transcripts and options.steps:
        return "--check cannot be combined with -c or --script"
    options.prepared, options.loaded = [], []
    if options.steps:
        from .shell.script import ScriptUnreadable, prepare

        try:
            options.prepared = prepare(options.steps)
        except ScriptUnreadable as exc:
            return str(exc)
    if options.transcripts:
        from .shell.transcript import TranscriptError, load_transcript

        try:
            options.loaded = [load_transcript(path) for path in options.transcripts]
        except TranscriptError as exc:
            return str(exc)
    return None


def _exit_cleanly_on_signals() -> None:
    """Turn SIGTERM/SIGHUP into a normal exit, so `finally` blocks (demo clean-up) run."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, lambda signum, _frame: sys.exit(128 + signum))


def _skip_postgres_drivers() -> None:
    """Keep peewee from importing psycopg when the database is SQLite.

    peewee probes for every PostgreSQL driver at import time, which costs ~150 ms: a
    quarter of a `-c` run's start-up. A process opens one database, chosen before peewee
    is imported, so a SQLite run marks the drivers absent.
    """
    for name in ("psycopg", "psycopg2", "psycopg2cffi"):
        sys.modules.setdefault(name, None)


def run(argv: list[str]) -> int:
    options = build_parser().parse_args(argv)  # exits 2 on a bad option, 0 on --help/--version
    if options.demo and options.database:
        return _fail_usage("--demo and --database cannot be used together")
    problem = _read_inputs(options)
    if problem:
        return _fail_usage(problem)
    from .config import ConfigError, load_settings

    try:
        settings = load_settings(options.database)
    except ConfigError as exc:
        return _fail_usage(str(exc))
    if options.demo or settings.database_url.startswith("sqlite"):
        _skip_postgres_drivers()
    from . import security
    from .db import DatabaseUnavailable, close_database, open_database

    security.set_bcrypt_rounds(settings.bcrypt_rounds)
    demo = None
    if options.demo:
        from .demo import DemoDatabase, DemoDataError

        try:
            demo = DemoDatabase()
        except DemoDataError as exc:
            return _fail_usage(str(exc))
        settings = demo.settings(settings)  # the real database and Sentry stay untouched
        _exit_cleanly_on_signals()
    if settings.sentry_dsn:
        from . import monitoring

        try:
            monitoring.init(settings)
        except monitoring.MonitoringUnavailable as exc:
            return _fail_usage(str(exc))
    try:
        open_database(settings.database_url, announce=_announce_upgrade)
    except DatabaseUnavailable as exc:
        if demo:
            demo.discard()
        return _fail_usage(str(exc))
    from .failures import OutputClosed

    try:
        return _run_mode(options, settings, demo)
    except (OutputClosed, BrokenPipeError):
        _silence_stdout()
        return EXIT_OUTPUT_CLOSED
    finally:
        close_database()
        if demo:
            demo.discard()
        if settings.sentry_dsn:
            from . import monitoring

            monitoring.flush()


def _silence_stdout() -> None:
    """The reader of stdout is gone: send what is still buffered nowhere, say nothing."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _announce_upgrade(pending: list[str]) -> None:
    """Say why the first start after an update may take a while (stderr: output stays clean)."""
    print(f"epicshell: upgrading the database ({len(pending)} step"
          f"{'s' if len(pending) > 1 else ''}, to {pending[-1]}); on a large database this "
          "can take a few minutes …", file=sys.stderr, flush=True)


def _run_mode(options, settings, demo) -> int:
    from .shell.app import App, Environment

    env = Environment.detect(no_color=options.no_color)
    scripted = bool(options.steps or options.transcripts)
    if scripted:
        env.interactive = False  # -c, --script and --check never open a wizard or a pager
    app = App(settings, env, output_format=options.format, demo=demo is not None)
    if settings.sentry_dsn:
        from . import monitoring

        monitoring.attach(app)
    if demo:
        from .demo import DemoDataError
        from .errors import EpicError

        try:
            demo.populate()
        except (DemoDataError, EpicError) as exc:
            return _fail_usage(f"cannot load the demo data: {exc}")
        demo.announce(app)
    if options.transcripts:
        from .shell.transcript import check_transcripts

        return check_transcripts(app, options.loaded)
    if options.steps or not env.interactive:  # stdin not a terminal: same as --script -
        from .shell.script import STDIN, run_prepared

        return run_prepared(app, options.prepared if options.steps else [STDIN],
                            keep_going=options.keep_going, echo=options.echo)
    from .shell.repl import run_interactive

    return run_interactive(app)
