"""Files shipped in `data/`, found both after `pip install .` and in a checkout.

setup.cfg maps the top-level `data/` folder to the package `epicshell.data`, so an
installed copy has it beside this module (`epicshell/data/`); a plain checkout (or an
editable install) has it one level up, at the repository's top.
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_INSTALLED_DATA = _HERE / "data"
_CHECKOUT_DATA = _HERE.parent / "data"


def data_dir() -> Path:
    return _INSTALLED_DATA if _INSTALLED_DATA.is_dir() else _CHECKOUT_DATA


def data_file(name: str) -> Path:
    """The path of `data/NAME`."""
    return data_dir() / name


def read_data_text(name: str) -> str:
    return data_file(name).read_text(encoding="utf-8")
