"""Demo mode (`epicshell --demo`): the data it loads, the logins it prints, what it never touches."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from epicshell.db import close_database, open_database
from epicshell.demo import DemoDatabase, load_demo_data
from epicshell.errors import ValidationError
from epicshell.models import AuditEntry, Client, Contract, Event, User, database, utcnow
from epicshell.validation import allowing_public_password, check_password, utc_to_local

EPICSHELL = shutil.which("epicshell")
REPO = Path(__file__).resolve().parent.parent
needs_script = pytest.mark.skipif(EPICSHELL is None, reason="the epicshell console script is not installed")
DEMO_PATH = re.compile(r"sqlite:///(\S+)")


@pytest.fixture
def demo():
    """A populated demo database, opened in this process like `--demo` does."""
    instance = DemoDatabase()
    open_database(instance.url)
    instance.populate()
    yield instance
    close_database()
    database.initialize(None)
    instance.discard()


@pytest.fixture
def child_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SENTRY_DSN", "EPICSHELL_PASSWORD")}
    env.update(EPICSHELL_BCRYPT_ROUNDS="4", TZ="UTC", NO_COLOR="1",
               XDG_DATA_HOME=str(tmp_path / "xdg"),
               EPICSHELL_PASSWORD=load_demo_data()["password"])
    return env


# -- the data --------------------------------------------------------------------------------------


def test_every_demo_password_passes_the_policy_only_inside_the_demo():
    """The public demo password is on the common list: no real account can ever use it."""
    data = load_demo_data()
    for user in data["users"]:
        password = user.get("password") or data["password"]
        with pytest.raises(ValidationError, match="too common"):
            check_password(password, user["email"])
        with allowing_public_password(data["password"]):
            check_password(password, user["email"])


def test_demo_folder_and_file_are_private(demo):
    assert stat.S_IMODE(demo.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((demo.folder / "demo.db").stat().st_mode) == 0o600


def test_demo_data_covers_what_trainers_show(demo):
    for department in ("management", "commercial", "support"):
        active = User.select().where((User.department == department) & (User.active == True))
        assert active.count() >= 2, department
    assert Client.select().count() >= 12
    statuses = {c.status for c in Contract.select()}
    assert statuses == {"draft", "signed", "cancelled"}
    signed = list(Contract.select().where(Contract.status == "signed"))
    assert any(0 < c.due_cents < c.total_cents for c in signed), "a partly paid signed contract"
    assert any(c.due_cents == c.total_cents for c in signed), "an unpaid signed contract"
    assert any(c.due_cents == 0 for c in signed), "a fully paid contract"
    now = utcnow()
    events = list(Event.select())
    assert any(e.end < now for e in events), "a past event"
    assert any(now < e.start < now + timedelta(days=30) for e in events), "an upcoming event"
    assert any(e.support_id is None and e.start > now for e in events), "an unassigned event"
    # Loaded through the services: every record has its audit trail.
    for model, entity in ((Client, "client"), (Contract, "contract"), (Event, "event")):
        audited = {a.entity_id for a in AuditEntry.select().where(AuditEntry.entity == entity)}
        assert {row.id for row in model.select()} <= audited, entity


def test_event_dates_are_relative_to_today(demo):
    spec = next(e for e in demo.data["events"] if e["start_in_days"] > 0)
    event = Event.get(Event.name == spec["name"])
    local_start = utc_to_local(event.start)
    assert local_start.date() == date.today() + timedelta(days=spec["start_in_days"])
    assert local_start.strftime("%H:%M") == spec["start_time"]


def test_discard_deletes_the_folder():
    instance = DemoDatabase()
    (instance.folder / "demo.db").write_text("x")
    instance.discard()
    instance.discard()  # twice is fine
    assert not instance.folder.exists()


# -- the program -----------------------------------------------------------------------------------


def _banner_logins(stderr: str) -> list[tuple[str, str]]:
    """(department, email) pairs from the banner printed at start."""
    return re.findall(r"^  (management|commercial|support)\s+(\S+@\S+)", stderr, re.MULTILINE)


@needs_script
def test_printed_demo_logins_work_for_every_department(child_env, tmp_path):
    first = subprocess.run([EPICSHELL, "--demo", "-c", "status"], capture_output=True, text=True,
                           cwd=tmp_path, env=child_env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "public by design" in first.stderr
    logins = _banner_logins(first.stderr)
    assert {department for department, _ in logins} == {"management", "commercial", "support"}
    args = []
    for _, email in logins:
        args += ["-c", f"login {email}", "-c", "whoami"]
    result = subprocess.run([EPICSHELL, "--demo", *args], capture_output=True, text=True,
                            cwd=tmp_path, env=child_env, timeout=60)
    assert result.returncode == 0, result.stderr
    for department, email in logins:
        assert re.search(rf"<{re.escape(email)}>, {department}, employee number", result.stdout)


@needs_script
def test_the_real_database_is_never_opened_nor_created(child_env, tmp_path):
    real = tmp_path / "real" / "real.db"
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'dotenv' / 'env.db'}\n")
    env = {**child_env, "DATABASE_URL": f"sqlite:///{real}"}
    result = subprocess.run([EPICSHELL, "--demo", "-c", "status"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert not real.parent.exists() and not (tmp_path / "dotenv").exists()
    assert not (tmp_path / "xdg").exists()
    assert "(demo, discarded at exit)" in result.stdout
    demo_file = Path(DEMO_PATH.search(result.stdout).group(1))
    assert not demo_file.parent.exists(), "the demo folder is deleted at exit"


@needs_script
def test_an_unreachable_configured_server_does_not_matter_to_the_demo(child_env, tmp_path):
    env = {**child_env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/never"}
    result = subprocess.run([EPICSHELL, "--demo", "-c", "login ana@epic.test"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


@needs_script
def test_demo_output_stays_machine_readable_and_failures_still_clean_up(child_env, tmp_path):
    result = subprocess.run([EPICSHELL, "--demo", "-c", "login nora@epic.test",
                             "-c", "client list --mine --format json", "-c", "status",
                             "-c", "contract cancel 1 --yes"],
                            capture_output=True, text=True, cwd=tmp_path, env=child_env, timeout=60)
    assert result.returncode == 1
    assert "-c:4: error: permission denied" in result.stderr
    assert "Welcome, Nora" in result.stderr  # notices on stderr: stdout starts with the JSON
    data = result.stdout[:result.stdout.index("\n]\n") + 2]
    assert [c["commercial"] for c in json.loads(data)] == ["Nora Petit"] * 3
    assert not Path(DEMO_PATH.search(result.stdout).group(1)).parent.exists()


@needs_script
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_demo_folder_is_deleted_when_the_program_is_terminated(child_env, tmp_path):
    process = subprocess.Popen([EPICSHELL, "--demo"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, cwd=tmp_path, env=child_env)
    try:
        process.stdin.write("status\n")
        process.stdin.flush()
        line = ""
        while "database:" not in line:
            line = process.stdout.readline()
            assert line, "the demo ended before printing its status"
        folder = Path(DEMO_PATH.search(line).group(1)).parent
        assert folder.is_dir()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        process.kill()
        process.stdin.close()
        process.stdout.close()
    assert not folder.exists()


def test_demo_data_is_found_after_a_non_editable_build(child_env, tmp_path):
    """Build the package as `pip install .` would (setup.py build_py) and run the demo from it."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.py", "setup.cfg", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "epicshell", source / "epicshell", ignore=ignore)
    shutil.copytree(REPO / "data", source / "data", ignore=ignore)
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", "out"],
                           cwd=source, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    installed = source / "out"
    assert (installed / "epicshell" / "data" / "demo.json").is_file()
    assert (installed / "epicshell" / "data" / "examples" / "tour.transcript").is_file()
    shutil.rmtree(source / "data")  # no checkout fallback: only the packaged copy remains
    env = {**child_env, "PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import epicshell; print(epicshell.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr
    result = subprocess.run([sys.executable, "-m", "epicshell", "--demo", "-c", "login ana@epic.test",
                             "-c", "status"], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Welcome, Ana Lopez (management)" in result.stderr
