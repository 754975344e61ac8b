"""Non-interactive runs: `-c COMMAND`…, `--script FILE`, and commands piped on stdin.

No prompt_toolkit, no questionary, no pager: lines are read plainly, so a script
behaves the same in cron, CI or a here-document. Every `-c` and script line runs in
one App and shares one session. The first failing command stops the run (exit 1)
unless --keep-going, which runs the rest and still exits 1. Each error is prefixed
with its position, `FILE:LINE:` (or `-c:N:` for the N-th `-c`), as compilers do,
so a tester's editor can jump to it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..safetext import visible

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STDIN = "-"
BOM = "\ufeff"


class ScriptUnreadable(Exception):
    """A script that cannot be read at all: a usage error of the program (exit 2)."""


@dataclass(frozen=True)
class Line:
    location: str  # "FILE:LINE" or "-c:N"
    text: str


@dataclass(frozen=True)
class Step:
    """One input of the run, in command-line order: a `-c` command or a `--script`."""

    kind: str  # "command" or "script"
    value: str


def is_command(text: str) -> bool:
    """Blank lines and `#` comments do nothing."""
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def read_script(path: str) -> list[Line]:
    """Every line of the script at PATH, read before anything runs.

    Reading up front means a missing or undecodable file fails as a usage error
    before the first command has changed anything.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:  # no CR translation
            text = stream.read()
    except OSError as exc:
        raise ScriptUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScriptUnreadable(f"cannot read {path}: not UTF-8 text (byte {exc.start})") from None
    return [Line(f"{path}:{number}", line) for number, line in enumerate(split_lines(text), 1)]


def split_lines(text: str) -> list[str]:
    """TEXT cut at line feeds only, a CR before each dropped (files saved on Windows).

    Not `str.splitlines()`: it also cuts at U+2028, U+0085, \\v, \\f, \\x1c-\\x1e and a
    lone CR, so a quoted value holding one of them would become a second command. Those
    characters stay inside their line, where the value's own rule refuses them.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line feed ends the last line; it does not start a new one
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def stream_lines(stream, name: str = "<stdin>") -> Iterator[Line]:
    """Lines of STREAM as they arrive (a pipe may still be writing while we run).

    Bytes that are not UTF-8 stop the run as a usage error, whether the stream's
    decoder is strict or (under a C locale) smuggles them in as surrogates.
    """
    number = 0
    try:
        for number, raw in enumerate(_read_lf_lines(stream), 1):
            raw.encode("utf-8")
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if raw.endswith("\n"):
                raw = raw[:-1]
            yield Line(f"{name}:{number}", raw[:-1] if raw.endswith("\r") else raw)
    except UnicodeDecodeError:
        raise ScriptUnreadable(f"{name}:{number + 1}: not UTF-8 text") from None
    except UnicodeEncodeError:
        raise ScriptUnreadable(f"{name}:{number}: not UTF-8 text") from None


def _read_lf_lines(stream) -> Iterator[str]:
    """The lines of STREAM cut at line feeds only (see split_lines), as they arrive.

    A text stream's iterator would also cut at a lone CR (universal newlines); reading
    the underlying buffer when there is one keeps the bytes as they were sent.
    """
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # an in-memory stream (tests): already text
        *complete, last = stream.read().split("\n")
        yield from (line + "\n" for line in complete)
        if last:
            yield last
        return
    for raw in buffer:
        yield raw.decode("utf-8")


def command_lines(commands: Iterable[str], start: int = 1) -> list[Line]:
    return [Line(f"-c:{index}", command) for index, command in enumerate(commands, start)]


def prepare(steps: Iterable[Step]) -> list[Line | str]:
    """Turn the steps into lines, reading script files now; STDIN stays a marker.

    Raises ScriptUnreadable for a file that cannot be read.
    """
    prepared: list[Line | str] = []
    commands_seen = 0
    for step in steps:
        if step.kind == "command":
            commands_seen += 1
            if _not_utf8(step.value):
                raise ScriptUnreadable(f"-c:{commands_seen}: not UTF-8 text")
            prepared.extend(command_lines([step.value], start=commands_seen))
        elif step.value == STDIN:
            prepared.append(STDIN)
        else:
            prepared.extend(read_script(step.value))
    return prepared


def _not_utf8(text: str) -> bool:
    """Did TEXT come from bytes that are not UTF-8 (argv is decoded with surrogateescape)?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _expand(app, prepared: Iterable[Line | str]) -> Iterator[Line]:
    for item in prepared:
        if item == STDIN:
            yield from stream_lines(app.env.stdin)
        else:
            yield item


def run_lines(app, lines: Iterable[Line], *, keep_going: bool = False, echo: bool = False) -> int:
    """Run LINES through App.execute; 0 if all succeeded, 1 if any failed."""
    status = EXIT_OK
    for line in lines:
        if not app.running:  # `exit` or `quit` ends the script like the interactive shell
            break
        if not is_command(line.text):
            continue
        if echo:
            app.print(f"{app.prompt_text()}{visible(line.text.strip())}")
        if not app.execute(line.text, location=line.location):
            status = EXIT_FAILED
            if not keep_going:
                break
    return status


def run_prepared(app, prepared: list[Line | str], *, keep_going: bool = False,
                 echo: bool = False) -> int:
    """Run what `prepare` returned, reading standard input where a script was `-`."""
    try:
        return run_lines(app, _expand(app, prepared), keep_going=keep_going, echo=echo)
    except ScriptUnreadable as exc:
        print(f"epicshell: {exc}", file=app.env.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C while waiting for the next line: stop, no traceback
        print("epicshell: interrupted", file=app.env.stderr, flush=True)
        return EXIT_FAILED


def run_script(app, path: str, *, keep_going: bool = False, echo: bool = False) -> int:
    """Run the script at PATH (`-` = the App's standard input)."""
    try:
        prepared = prepare([Step("script", path)])
    except ScriptUnreadable as exc:
        print(f"epicshell: {exc}", file=app.env.stderr, flush=True)
        return EXIT_USAGE
    return run_prepared(app, prepared, keep_going=keep_going, echo=echo)
