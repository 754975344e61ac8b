"""Files shipped in `data/`, found both in a checkout and after `pip install .`.

setup.cfg maps the top-level `data/` folder to the package `epicshell.data`, so an
installed copy reads it through importlib.resources; a plain checkout falls back to
the folder beside the package.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"


def data_file(name: str):
    """A Traversable for `data/NAME` (a `pathlib.Path` in a checkout)."""
    try:
        candidate = resources.files("epicshell.data").joinpath(name)
        if candidate.is_file():
            return candidate
    except ModuleNotFoundError:
        pass
    return _CHECKOUT_DATA / name


def read_data_text(name: str) -> str:
    return data_file(name).read_text(encoding="utf-8")
