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
    parser.add_argument("-c", dest="commands", action="append", metavar="COMMAND",
                        help="run this command, then exit (repeatable, run in order)")
    parser.add_argument("--script", metavar="FILE", help="run the commands in FILE (- = stdin)")
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
    print(f"epicshell: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(argv: list[str]) -> int:
    options = build_parser().parse_args(argv)  # exits 2 on a bad option, 0 on --help/--version
    if options.demo and options.database:
        return _fail_usage("--demo and --database cannot be used together")
    from .config import ConfigError, load_settings
    from .db import DatabaseUnavailable, close_database, open_database

    try:
        settings = load_settings(options.database)
    except ConfigError as exc:
        return _fail_usage(str(exc))
    from . import security

    security.set_bcrypt_rounds(settings.bcrypt_rounds)
    if settings.sentry_dsn:
        from . import monitoring

        monitoring.init(settings)

    demo = None
    if options.demo:
        from .demo import DemoDatabase

        demo = DemoDatabase()
        settings = demo.settings(settings)
    try:
        open_database(settings.database_url)
    except DatabaseUnavailable as exc:
        if demo:
            demo.discard()
        return _fail_usage(str(exc))
    try:
        return _run_mode(options, settings, demo)
    finally:
        close_database()
        if demo:
            demo.discard()
        if settings.sentry_dsn:
            from . import monitoring

            monitoring.flush()


def _run_mode(options, settings, demo) -> int:
    from .shell.app import App, Environment

    env = Environment.detect(no_color=options.no_color)
    scripted = bool(options.commands or options.script or options.transcripts)
    if scripted:
        env.interactive = False  # -c, --script and --check never open a wizard or a pager
    app = App(settings, env, output_format=options.format, demo=demo is not None)
    if settings.sentry_dsn:
        from . import monitoring

        monitoring.attach(app)
    if demo:
        demo.populate()
        demo.announce(app)
    if options.transcripts:
        from .shell.transcript import check_transcripts

        return check_transcripts(app, options.transcripts)
    if options.commands:
        from .shell.script import run_commands

        return run_commands(app, options.commands, keep_going=options.keep_going, echo=options.echo)
    if options.script or not env.interactive:
        from .shell.script import run_script

        return run_script(app, options.script or "-", keep_going=options.keep_going,
                          echo=options.echo)
    from .shell.repl import run_interactive

    return run_interactive(app)
