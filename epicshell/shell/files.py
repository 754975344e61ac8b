"""The one way the shell writes a file: never over an existing one without --force (a
terminal asks instead), readable by its owner only (0600), and written under a temporary
name then renamed, so a failed or interrupted export never leaves half a file behind."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..config import make_private_dirs
from ..errors import EpicError


def may_write(ctx, paths: list[Path], force: bool) -> bool:
    """True if PATHS may be (over)written: none exists, --force, or the user said yes."""
    existing = [p for p in paths if p.exists()]
    for path in paths:
        if path.is_dir():
            raise EpicError(f"{path} is a folder, not a file")
    if not existing or force:
        return force
    names = ", ".join(str(p) for p in existing)
    if not ctx.interactive:
        raise EpicError(f"{names} already exist{'s' if len(existing) == 1 else ''}: "
                        "give --force to overwrite")
    from .wizards import ask_confirm

    if not ask_confirm(f"{names} already exist{'s' if len(existing) == 1 else ''}. Overwrite?"):
        raise EpicError("cancelled: nothing written")
    return True


def write_file(ctx, path, write: Callable[[TextIO], object], *, force: bool = False,
               checked: bool = False):
    """Write PATH with WRITE(file); return what WRITE returned.

    CHECKED: the caller already ran `may_write` for PATH (FORCE is then its answer).
    """
    path = Path(path).expanduser()
    if not checked:
        force = may_write(ctx, [path], force)
    folder = path.parent
    if not folder.is_dir():
        raise EpicError(f"cannot write {path}: no folder {folder}")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise EpicError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            result = write(file)
            file.flush()
            os.fsync(file.fileno())
        _move_into_place(temporary, path, force)
        return result
    except OSError as exc:
        raise EpicError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _move_into_place(temporary: str, path: Path, replace: bool) -> None:
    """Rename; without REPLACE a file that appeared meanwhile is kept, never overwritten."""
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if PATH exists, unlike a rename
    except FileExistsError:
        raise EpicError(f"{path} already exists: give --force to overwrite") from None
    except OSError:  # a file system without hard links: a rename, after one more look
        if path.exists():
            raise EpicError(f"{path} already exists: give --force to overwrite") from None
        os.replace(temporary, path)


def private_folder(path) -> Path:
    """PATH as a folder, created readable by its owner only if it does not exist."""
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise EpicError(f"{folder} is a file, not a folder")
    try:
        make_private_dirs(folder)
    except OSError as exc:
        raise EpicError(f"cannot create {folder}: {exc.strerror}") from None
    return folder
