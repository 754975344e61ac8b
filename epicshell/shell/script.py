"""Non-interactive runs: `-c COMMAND`…, `--script FILE`, and commands piped on stdin.

No prompt_toolkit, no questionary, no pager: lines are read plainly. The first failing
command stops the run (exit 1) unless --keep-going; its error is prefixed with its
position (`FILE:LINE:` or `-c N:`) so a tester can find it.
"""
from __future__ import annotations

import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _run_lines(app, numbered_lines, *, keep_going: bool, echo: bool) -> int:
    status = EXIT_OK
    for location, line in numbered_lines:
        if not app.running:
            break
        text = line.rstrip("\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if echo:
            app.print(f"{app.prompt_text()}{text}")
        if not app.execute(text, location=location):
            status = EXIT_FAILED
            if not keep_going:
                break
    return status


def run_commands(app, commands: list[str], *, keep_going: bool = False, echo: bool = False) -> int:
    lines = ((f"-c {index}", command) for index, command in enumerate(commands, start=1))
    return _run_lines(app, lines, keep_going=keep_going, echo=echo)


def run_script(app, path: str, *, keep_going: bool = False, echo: bool = False) -> int:
    if path == "-":
        name, stream = "<stdin>", app.env.stdin
    else:
        try:
            stream = open(path, encoding="utf-8")
        except OSError as exc:
            print(f"epicshell: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        name = path
    try:
        lines = ((f"{name}:{number}", line) for number, line in enumerate(stream, start=1))
        return _run_lines(app, lines, keep_going=keep_going, echo=echo)
    finally:
        if stream is not app.env.stdin:
            stream.close()
