"""A pseudo-terminal for the `epicshell` console script, read like a person reads a screen.

pexpect spawns the program in a real pty; `Screen` replays what it draws (prompt_toolkit
redraws only what changed, so the raw bytes are no place to look for words), and
`Terminal.expect` waits for a pattern on that screen.
"""
from __future__ import annotations

import re
import shutil
import time

import pexpect

EPICSHELL = shutil.which("epicshell")
TIMEOUT = 10
RESEND_EOF = 3  # seconds without the end of the program before Ctrl-D is pressed again
ROWS, COLS = 30, 200
_ESCAPE = re.compile(r"\x1b\[(\??)([0-9;]*)[ -/]*([@-~])|\x1b[()][A-Za-z0-9]|\x1b[=>78DEM]"
                     r"|\x1b\][^\x07]*\x07")


class Screen:
    """A small VT100 screen: enough of the cursor moves and erasures prompt_toolkit uses.

    prompt_toolkit redraws only what changed (typing `cli` then TAB writes `ent`), so the
    byte stream is no place to look for "client"; the screen it paints is. Lines that
    scroll off the top are kept, so every line has a stable index.
    """

    def __init__(self, rows: int = ROWS, cols: int = COLS):
        self.rows, self.cols = rows, cols
        self.grid: list[list[str]] = [[] for _ in range(rows)]
        self.scrolled: list[str] = []
        self.row = self.col = 0
        self.position_requests = 0
        self._partial = ""
        # A real terminal wraps when a character comes after one written in the last
        # column (unless autowrap is off, as prompt_toolkit sets it while it draws): such
        # lines are recorded here, so a table that "never wraps" leaves it empty.
        self.wrapped: list[str] = []
        self.autowrap = True
        self._at_edge = False

    def feed(self, data: str) -> None:
        data, self._partial = self._partial + data, ""
        i = 0
        while i < len(data):
            char = data[i]
            if char < " ":
                self._at_edge = False  # CR, LF, backspace and escapes move the cursor
            if char == "\x1b":
                found = _ESCAPE.match(data, i)
                if found is None:
                    if len(data) - i < 32:  # cut in the middle: finish with the next read
                        self._partial = data[i:]
                        return
                    i += 1
                    continue
                self._escape(found)
                i = found.end()
                continue
            if char == "\r":
                self.col = 0
            elif char == "\n":
                self._line_feed()
            elif char == "\b":
                self.col = max(0, self.col - 1)
            elif char >= " ":
                self._put(char)
            i += 1

    def _put(self, char: str) -> None:
        if self._at_edge and self.autowrap:
            self.wrapped.append("".join(self.grid[self.row]))
            self.col = 0
            self._line_feed()
        self._at_edge = self.col == self.cols - 1
        line = self.grid[self.row]
        if len(line) < self.col:
            line.extend(" " * (self.col - len(line)))
        if self.col < len(line):
            line[self.col] = char
        else:
            line.append(char)
        self.col = min(self.col + 1, self.cols - 1)

    def _line_feed(self) -> None:
        if self.row == self.rows - 1:
            self.scrolled.append("".join(self.grid.pop(0)).rstrip())
            self.grid.append([])
        else:
            self.row += 1

    def _escape(self, found: re.Match) -> None:
        if not found.group(0).startswith("\x1b["):
            return
        private, params, final = found.group(1), found.group(2), found.group(3)
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
        n = numbers[0] if numbers and numbers[0] else 1
        if private:
            if params == "7" and final in "hl":
                self.autowrap = final == "h"
            return
        if final == "A":
            self.row = max(0, self.row - n)
        elif final == "B":
            self.row = min(self.rows - 1, self.row + n)
        elif final == "C":
            self.col = min(self.cols - 1, self.col + n)
        elif final == "D":
            self.col = max(0, self.col - n)
        elif final == "G":
            self.col = n - 1
        elif final in "Hf":
            self.row = (numbers[0] if numbers and numbers[0] else 1) - 1
            self.col = (numbers[1] if len(numbers) > 1 and numbers[1] else 1) - 1
        elif final == "J":
            del self.grid[self.row][self.col:]
            if not numbers or numbers[0] == 0:
                for row in range(self.row + 1, self.rows):
                    self.grid[row] = []
            elif numbers[0] == 2:
                self.grid = [[] for _ in range(self.rows)]
        elif final == "K":
            del self.grid[self.row][self.col:]
        elif final == "n" and numbers == [6]:
            self.position_requests += 1

    def lines(self) -> list[str]:
        """Every line so far: the scrolled-off ones, then the visible ones."""
        return self.scrolled + ["".join(line).rstrip() for line in self.grid]

    def visible(self) -> list[str]:
        return ["".join(line).rstrip() for line in self.grid]


class Terminal:
    """A spawned epicshell, read like a person reads a screen.

    It answers cursor-position queries as a real terminal does (prompt_toolkit then draws
    its bottom toolbar). `expect` looks for a pattern on the screen after the place of
    the previous match, so an old prompt never satisfies a wait for the next one.
    """

    def __init__(self, args: list[str], env: dict, cwd, *, rows: int = ROWS, cols: int = COLS):
        self.child = pexpect.spawn(EPICSHELL, args, env=env, cwd=str(cwd), encoding="utf-8",
                                   timeout=TIMEOUT, dimensions=(rows, cols))
        self.screen = Screen(rows, cols)
        self.raw = ""  # every byte shown, for "was the password ever echoed?"
        self.line = self.col = 0

    def _pump(self, wait: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return
        self.raw += data
        asked = self.screen.position_requests
        self.screen.feed(data)
        for _ in range(self.screen.position_requests - asked):
            self.child.send(f"\x1b[{self.screen.row + 1};{self.screen.col + 1}R")

    def _find(self, regex: re.Pattern):
        for index, text in enumerate(self.screen.lines()[self.line:], start=self.line):
            found = regex.search(text, self.col if index == self.line else 0)
            if found:
                return index, found
        return None

    def _wait(self, check, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline or not self.child.isalive() and not self._more():
                shown = "\n".join(self.screen.lines()[-40:])
                raise AssertionError(f"{what} not shown; the screen:\n{shown}")
            try:
                self._pump(0.05)
            except pexpect.EOF:
                pass

    def _more(self) -> bool:
        try:
            before = len(self.raw)
            self._pump(0.05)
            return len(self.raw) > before
        except pexpect.EOF:
            return False

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> re.Match:
        """Wait until PATTERN (a regex, within one line) is on screen, starting after the
        start of the previous match (a line being edited may match again further on)."""
        regex = re.compile(pattern)
        index, found = self._wait(lambda: self._find(regex), repr(pattern), timeout)
        self.line, self.col = index, found.start() + 1
        return found

    def shows(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """Wait until PATTERN is on the visible screen (anywhere: e.g. the toolbar)."""
        regex = re.compile(pattern)
        return self._wait(lambda: next((t for t in self.screen.visible() if regex.search(t)), None),
                          repr(pattern), timeout)

    def type(self, text: str) -> None:
        self.child.send(text)

    def answer(self, text: str = "") -> None:
        self.child.send(text + "\r")

    def exit_status(self, prompt: str = r"epic[^>]*> *$") -> int:
        """Wait for the next PROMPT, press Ctrl-D on its empty line, return the exit status.

        Waiting matters: a key sent while no prompt reads the terminal meets the kernel's
        line discipline, where Ctrl-D is not a key at all.
        """
        self.expect(prompt)
        self.child.sendcontrol("d")
        deadline = time.monotonic() + TIMEOUT
        again = time.monotonic() + RESEND_EOF
        while time.monotonic() < deadline:
            try:
                self._pump(0.1)
            except pexpect.EOF:
                break
            if time.monotonic() > again:  # on a loaded machine the prompt matched may
                self.child.sendcontrol("d")  # have been drawn before the editor read keys
                again = time.monotonic() + RESEND_EOF
        self.child.close()
        return self.child.exitstatus

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
