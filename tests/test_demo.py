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
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from epicshell.db import close_database, open_database
from epicshell.demo import DemoDatabase, DemoDataError, load_demo_data
from epicshell.errors import ValidationError
from epicshell.models import (
    AuditEntry,
    Client,
    Contract,
    ContractDay,
    Event,
    Payment,
    RevenueHour,
    User,
    database,
    utcnow,
)
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


def test_the_history_is_entered_on_its_days_and_agrees_everywhere(demo):
    """Each contract was created, signed, paid and cancelled on the day its data says (local
    times of day in that order); its client was entered before it and the staff before
    them; the audit trail carries the same instants; the clock is real again afterwards."""
    today = date.today()
    specs = {spec["ref"]: spec for spec in demo.data["contracts"]}
    staff_day = today - timedelta(days=demo.data["staff_since_days_ago"])
    assert {utc_to_local(u.created_at).date() for u in User.select()} == {staff_day}
    contracts = list(Contract.select().order_by(Contract.id))
    for contract, spec in zip(contracts, specs.values(), strict=True):
        created = utc_to_local(contract.created_at)
        assert created.date() == today - timedelta(days=spec["created_days_ago"]), spec["ref"]
        client_day = utc_to_local(Client.get_by_id(contract.client_id).created_at).date()
        assert staff_day < client_day < created.date(), spec["ref"]
        entries = {a.action: a.at for a in AuditEntry.select().where(
            (AuditEntry.entity == "contract") & (AuditEntry.entity_id == contract.id)
            & (AuditEntry.action != "pay"))}
        assert entries["create"] == contract.created_at
        if "signed_days_ago" in spec:
            assert utc_to_local(contract.signed_at).date() == \
                today - timedelta(days=spec["signed_days_ago"])
            assert contract.created_at < contract.signed_at == entries["sign"]
        if "cancelled_days_ago" in spec:
            assert utc_to_local(entries["cancel"]).date() == \
                today - timedelta(days=spec["cancelled_days_ago"])
        paid = sorted(p.paid_at for p in Payment.select().where(
            (Payment.contract == contract.id) & (Payment.adjustment == False)))
        assert [utc_to_local(at).date() for at in paid] == sorted(
            today - timedelta(days=p["days_ago"]) for p in spec.get("payments", ()))
        paid_entries = sorted({a.at for a in AuditEntry.select().where(  # a row per field
            (AuditEntry.entity == "contract") & (AuditEntry.entity_id == contract.id)
            & (AuditEntry.action == "pay"))})
        assert paid_entries == paid
    assert abs(utcnow() - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(minutes=1)


def test_reports_and_agenda_have_months_to_show(demo):
    """What a trainer shows: signatures spread over the year, every age of amount due, old
    drafts in management's agenda; the sums the reports keep equal the rows."""
    from epicshell.services import agenda, contract_days, reports, revenue_hours

    boss = User.get(User.email == "ana@epic.test")
    revenue = reports.revenue(boss).all_rows[:-1]
    assert sum(1 for row in revenue if Decimal(row["amount_signed"]) > 0) >= 6
    assert sum(1 for row in revenue if Decimal(row["amount_collected"]) > 0) >= 6
    unpaid_total = reports.unpaid(boss).all_rows[-1]
    for bucket in ("days_0_30", "days_31_60", "days_61_90", "days_over_90"):
        assert Decimal(unpaid_total[bucket]) > 0, bucket
    drafts = next(section for section in agenda.agenda(boss).sections
                  if section.key == "old_drafts")
    assert drafts.count >= 2
    kept = _kept_sums()
    revenue_hours.rebuild()
    contract_days.rebuild()
    assert kept == _kept_sums()


def _kept_sums() -> tuple[set, set]:
    """The non-empty rows of the two tables of sums the reports read."""
    return (set(RevenueHour.select().where(RevenueHour.cents != 0).tuples()),
            set(ContractDay.select().where(ContractDay.contracts != 0).tuples()))


@pytest.mark.parametrize("change, says", [
    ({"signed_days_ago": 130}, "signed before it was created"),
    ({"cancelled_days_ago": 200}, "cancelled before it was signed"),
    ({"payments": [{"amount": "1.00", "days_ago": 500}]}, "paid before it was created"),
    ({"created_days_ago": 0}, "at least 1"),
    ({"created_days_ago": "120"}, "whole number of days"),
])
def test_a_history_out_of_order_is_refused(change, says):
    data = load_demo_data()
    spec = next(c for c in data["contracts"] if c["ref"] == "baker-party")
    spec.update(change)
    instance = DemoDatabase(data)
    open_database(instance.url)
    try:
        with pytest.raises(DemoDataError, match=says):
            instance.populate()
        assert Contract.select().count() == 0  # one transaction: nothing of it stays
    finally:
        close_database()
        database.initialize(None)
        instance.discard()


def test_the_clock_is_pinned_only_in_the_past_and_only_inside_the_block():
    from epicshell.models import clock_pinned_at

    before = utcnow() - timedelta(days=3)
    with clock_pinned_at(before):
        assert utcnow() == before
    assert utcnow() > before + timedelta(days=2)
    with pytest.raises(ValueError, match="past"), clock_pinned_at(before + timedelta(days=4)):
        pass


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
    assert "Welcome, Nora Petit (commercial)" in result.stderr  # notices go to stderr
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
