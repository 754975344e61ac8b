"""A real (non-editable) install works away from the checkout: console script and data files.

This builds a throw-away virtualenv, installs a copy of the project into it as a user
would (`pip install <project>`), then runs the installed `epicshell` and reads a data
file from a directory outside the checkout. It takes a few seconds; it is one test.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from epicshell import __version__

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".venv",
                                     "venv", ".pytest_cache", ".ruff_cache", "tests", "*.db*", ".env")

PROBE = """
import json, sysconfig, epicshell
from epicshell import resources
print(json.dumps({
    "package": epicshell.__file__,
    "data": str(resources.data_file("common-passwords.txt")),
    "text": resources.read_data_text("common-passwords.txt"),
    "purelib": sysconfig.get_paths()["purelib"],
}))
"""

CAN_BUILD_OFFLINE = """
import importlib.util
try:
    import setuptools
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    print((major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None)
except ImportError:
    print(False)
"""


def _run(args, cwd, timeout=240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1", NO_COLOR="1")
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def _install(python: Path, source: Path, cwd: Path) -> None:
    """pip install SOURCE into the venv of PYTHON (a copy, not editable).

    This interpreter's pip does the work (`pip --python`), which spares seeding the venv
    with its own pip; the build runs offline when the build tools are already at hand.
    """
    offline = _run([python, "-c", CAN_BUILD_OFFLINE], cwd).stdout.strip() == "True"
    isolation = ["--no-build-isolation"] if offline else []
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
          *isolation, source], cwd)


def test_installed_copy_runs_and_reads_its_own_data(tmp_path):
    source, venv, elsewhere = tmp_path / "src", tmp_path / "venv", tmp_path / "elsewhere"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    elsewhere.mkdir()
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    _install(python, source, elsewhere)
    shutil.rmtree(source)  # nothing may still point at the copy that was installed

    version = _run([bindir / "epicshell", "--version"], elsewhere)
    assert version.stdout.strip() == f"epicshell {__version__}"

    probe = json.loads(_run([python, "-c", PROBE], elsewhere).stdout)
    purelib = Path(probe["purelib"]).resolve()
    assert purelib.is_relative_to(venv.resolve())
    assert Path(probe["package"]).resolve().is_relative_to(purelib)
    assert Path(probe["data"]).resolve().is_relative_to(purelib)
    assert not Path(probe["package"]).resolve().is_relative_to(ROOT)
    assert probe["text"] == (ROOT / "data" / "common-passwords.txt").read_text(encoding="utf-8")
