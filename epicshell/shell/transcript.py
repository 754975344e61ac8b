"""Transcripts (`--check FILE`): a recorded session replayed and compared line by line.

A transcript looks like a session on screen: `epic> COMMAND` lines (any prompt text
between `epic` and `>`, so `epic (ana, management)> ` works too), each followed by
the output expected from it, up to the next command. The rules, chosen so that a
file recorded today still passes tomorrow on another machine:

- lines starting with `#` are comments, anywhere; an expected output line that
  really starts with `#` is written `/#/…` (a regex matching `#`);
- blank lines at the start and end of an expected block are ignored (so blocks can
  be spaced out); blank lines inside a block count;
- trailing spaces are ignored on both sides (editors strip them);
- `/regex/` parts match a regular expression (as in cmd2 transcripts): the text
  outside slashes is literal, `\\/` is a literal slash, a line must match whole;
- what a command writes on stderr (its `error: …` line) is part of its output, in
  the order written, without the `FILE:LINE:` prefix of script mode.

Every difference is printed as a unified diff whose line numbers are the
transcript's, with the command in the hunk header; any difference exits 1.
"""
from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, field, replace

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMAND_LINE = re.compile(r"^(epic(?: [^>]*)?> ?)(.*)$")
MAX_ALIGN_CELLS = 250_000  # beyond this many line pairs, align outputs by position
GREEN, RED, CYAN, RESET = "\x1b[32m", "\x1b[31m", "\x1b[36m", "\x1b[0m"


class TranscriptError(Exception):
    """A transcript that cannot be used at all (unreadable, malformed): exit 2."""


@dataclass(frozen=True)
class Expected:
    """One expected output line: literal text, or a pattern when it holds `/regex/` parts."""

    number: int  # line number in the transcript
    raw: str
    literal: str | None = None
    pattern: re.Pattern | None = None

    def matches(self, actual: str) -> bool:
        actual = actual.rstrip()
        if self.pattern is not None:
            return self.pattern.fullmatch(actual) is not None
        return self.literal == actual


@dataclass
class Block:
    number: int  # line number of the command
    prompt: str
    command: str
    expected: list[Expected] = field(default_factory=list)


@dataclass
class Transcript:
    path: str
    blocks: list[Block]


# -- reading ---------------------------------------------------------------------------------


def _closing_slash(text: str, start: int) -> int | None:
    """Index of the `/` ending a regex that begins at START, skipping `\\x` escapes."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "/":
            return i
        i += 1
    return None


def expected_line(number: int, raw: str) -> Expected:
    """Compile RAW: literal text, with `/regex/` parts and `\\/` for a literal slash."""
    text = raw.rstrip()
    parts: list[str] = []
    literal: list[str] = []
    has_regex = False
    i = 0
    while i < len(text):
        if text.startswith("\\/", i):
            literal.append("/")
            i += 2
        elif text[i] == "/" and (end := _closing_slash(text, i + 1)) is not None:
            parts.append(re.escape("".join(literal)))
            literal = []
            parts.append("(?:" + text[i + 1:end].replace("\\/", "/") + ")")
            has_regex = True
            i = end + 1
        else:  # ordinary text; an unterminated `/` is literal too
            literal.append(text[i])
            i += 1
    if not has_regex:
        return Expected(number, raw, literal="".join(literal))
    parts.append(re.escape("".join(literal)))
    try:
        return Expected(number, raw, pattern=re.compile("".join(parts)))
    except re.error as exc:
        raise TranscriptError(f"line {number}: bad regular expression: {exc}") from None


def _trim_blank(lines: list) -> list:
    """Drop blank entries at both ends (strings, or Expected by their raw text)."""
    text = [(item.raw if isinstance(item, Expected) else item).strip() for item in lines]
    start, end = 0, len(lines)
    while start < end and not text[start]:
        start += 1
    while end > start and not text[end - 1]:
        end -= 1
    return lines[start:end]


def parse_transcript(path: str, text: str) -> Transcript:
    blocks: list[Block] = []
    from .script import split_lines  # line feeds only, as scripts: FILE:LINE stays exact

    for number, line in enumerate(split_lines(text), 1):
        if line.startswith("#"):
            continue
        command = COMMAND_LINE.match(line)
        if command:
            blocks.append(Block(number, command.group(1), command.group(2).strip()))
        elif blocks:
            try:
                blocks[-1].expected.append(expected_line(number, line))
            except TranscriptError as exc:
                raise TranscriptError(f"{path}: {exc}") from None
        elif line.strip():
            raise TranscriptError(f"{path}:{number}: output before the first command "
                                  "(command lines start with `epic> `)")
    if not blocks:
        raise TranscriptError(f"{path}: no command found (command lines start with `epic> `)")
    for block in blocks:
        block.expected = _trim_blank(block.expected)
    return Transcript(path, blocks)


def load_transcript(path: str) -> Transcript:
    """Read and parse PATH now, so a bad file is a usage error before anything runs."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            text = stream.read()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TranscriptError(f"cannot read {path}: not UTF-8 text") from None
    return parse_transcript(path, text)


# -- running and comparing -------------------------------------------------------------------


def run_captured(app, command: str) -> list[str]:
    """Run COMMAND with stdout and stderr going, in order, into one list of lines."""
    buffer = io.StringIO()
    saved = app.env
    app.env = replace(saved, stdin=io.StringIO(), stdout=buffer, stderr=buffer,
                      interactive=False, color=False, terminal=False)
    try:
        app.execute(command)
    finally:
        app.env = saved
    return _trim_blank([line.rstrip() for line in buffer.getvalue().splitlines()])


def _align(expected: list[Expected], actual: list[str]) -> dict[int, int]:
    """Pairs (expected index → actual index) of a longest matching alignment (LCS)."""
    n, m = len(expected), len(actual)
    if n * m > MAX_ALIGN_CELLS:
        return {i: i for i in range(min(n, m)) if expected[i].matches(actual[i])}
    lengths = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if expected[i].matches(actual[j]):
                lengths[i][j] = lengths[i + 1][j + 1] + 1
            else:
                lengths[i][j] = max(lengths[i + 1][j], lengths[i][j + 1])
    pairs, i, j = {}, 0, 0
    while i < n and j < m:
        if expected[i].matches(actual[j]) and lengths[i][j] == lengths[i + 1][j + 1] + 1:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def block_matches(block: Block, actual: list[str]) -> bool:
    return len(block.expected) == len(actual) and all(
        e.matches(a) for e, a in zip(block.expected, actual, strict=True))


@dataclass
class DiffWriter:
    """Writes one transcript's unified diff, numbering lines as in the transcript file."""

    path: str
    out: object
    color: bool = False
    offset: int = 0  # how many lines the actual output added so far (for the + side)
    started: bool = False

    def _write(self, text: str, color: str = "") -> None:
        if self.color and color:
            text = f"{color}{text}{RESET}"
        print(text, file=self.out)

    def block(self, block: Block, actual: list[str]) -> None:
        pairs = _align(block.expected, actual)
        # Matched lines are shown as the real output, so only true differences stand out.
        shown = [actual[pairs[i]] if i in pairs else e.raw.rstrip()
                 for i, e in enumerate(block.expected)]
        matcher = difflib.SequenceMatcher(None, shown, actual, autojunk=False)
        for group in matcher.get_grouped_opcodes(3):
            self._hunk(block, group, shown, actual)

    def _hunk(self, block: Block, group, shown: list[str], actual: list[str]) -> None:
        if not self.started:
            self._write(f"--- {self.path} (expected)")
            self._write(f"+++ {self.path} (actual)")
            self.started = True
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        numbers = [e.number for e in block.expected]
        if i2 > i1:
            old_start = numbers[i1]
        else:  # nothing expected here: the position is the line before the insertion
            old_start = numbers[i1 - 1] if i1 > 0 else block.number
        new_start = old_start + self.offset + (1 if i2 == i1 and j2 > j1 else 0)
        self._write(f"@@ -{old_start},{i2 - i1} +{new_start},{j2 - j1} @@ "
                    f"{block.prompt}{block.command}", CYAN)
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for line in actual[b1:b2]:
                    self._write(f" {line}")
                continue
            for k in range(a1, a2):
                self._write(f"-{block.expected[k].raw.rstrip()}", RED)
            for line in actual[b1:b2]:
                self._write(f"+{line}", GREEN)
        self.offset += (j2 - j1) - (i2 - i1)


def check_transcript(app, transcript: Transcript) -> bool:
    """Run every command of TRANSCRIPT; print a diff for each difference; True if none."""
    out = app.env.stdout
    writer = DiffWriter(transcript.path, out, color=app.env.color)
    differing = 0
    for index, block in enumerate(transcript.blocks):
        if not app.running:
            left = len(transcript.blocks) - index
            print(f"{transcript.path}:{block.number}: {left} command(s) not run: "
                  "the shell exited before them", file=out)
            differing += left
            break
        actual = run_captured(app, block.command)
        if not block_matches(block, actual):
            writer.block(block, actual)
            differing += 1
    total = len(transcript.blocks)
    if differing:
        print(f"{transcript.path}: {differing} of {total} commands differ", file=out, flush=True)
    else:
        print(f"{transcript.path}: ok, {total} commands match", file=out, flush=True)
    return differing == 0


def check_transcripts(app, transcripts) -> int:
    """Check each transcript (Transcript objects or paths) in a fresh session; 0 if all match.

    Each transcript starts logged out; the database carries over from one to the next
    (with --demo, every transcript of a run sees the changes of the ones before it).
    """
    status = EXIT_OK
    for transcript in transcripts:
        if isinstance(transcript, str):
            try:
                transcript = load_transcript(transcript)
            except TranscriptError as exc:
                print(f"epicshell: {exc}", file=app.env.stderr, flush=True)
                return EXIT_USAGE
        app.session.logout()
        app.running = True
        if not check_transcript(app, transcript):
            status = EXIT_FAILED
    return status
