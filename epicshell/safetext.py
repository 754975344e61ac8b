"""Text a user stored or typed, made safe to write to a terminal.

A client named `\x1b]0;pwned\x07` must not retitle the terminal, and notes holding
`\x1b[2J` must not clear the screen. Every place that shows user-provided text on a
terminal (tables, views, messages quoting input, wizard summaries, prompt, toolbar)
goes through `visible()`: C0 and C1 control characters (and DEL) become the visible
escape `\\xNN`; only the line breaks of a multi-line note are kept, on request.
JSON and CSV output never use this: they carry the stored value exactly.
"""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}"


def visible(text, *, keep_newlines: bool = False):
    """TEXT with every control character shown as `\\xNN`; non-strings pass through.

    With KEEP_NEWLINES, a line feed stays a line feed (a note's lines); a CR never does,
    since a lone CR moves the cursor back over what was written.
    """
    if not isinstance(text, str):
        return text
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape, text)


def has_control(text: str, *, allow: str = "") -> bool:
    """Whether TEXT holds a control character other than those in ALLOW."""
    return any(_CONTROL.match(ch) and ch not in allow for ch in text)
