"""A command line cut into words, as a POSIX shell would (commands.md §2: quotes work).

`shlex.split` reads a line character by character in Python; for the usual line of
plain words separated by spaces that costs more than running some commands. Such a
line (no quote, no backslash, nothing but printable characters, so its only white
space is the ASCII space) splits the same at its spaces, which `str.split` does in C.
Every other line goes through shlex.
"""
from __future__ import annotations

import shlex

_SPECIAL = ("'", '"', "\\")  # what shlex reads otherwise than as part of a word


def split_words(line: str) -> list[str]:
    """The words of LINE, exactly as `shlex.split(line)`; raises ValueError as it does."""
    if line.isprintable() and not any(special in line for special in _SPECIAL):
        return line.split()
    return shlex.split(line)
