"""Demo mode (`epicshell --demo`): a throw-away database full of believable data, for trainers.

The database lives in a fresh temporary folder (0700, the file 0600) and is deleted
when the program ends, even on an error; the real database is never opened. The data
comes from `data/demo.json` and goes in through the services, as staff would type it,
so every rule holds and every record has its audit trail. Event dates are stored as
offsets in days from today, so "upcoming" events stay upcoming whenever the demo runs.

The data also has a history: staff joined, clients were entered, and contracts were
created, signed, paid and cancelled a given number of days ago. Each of those actions
goes through the services with the clock pinned to its day (`models.clock_pinned_at`),
so the reports have months to show, the agenda has old drafts, and the audit trail,
the payments and the sums the reports keep all tell the same story.

The demo passwords are public by design (they are printed at start and shipped in the
package); they still pass the password policy, because the services enforce it.
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import shutil
import tempfile
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

DEMO_DATA = "demo.json"
DEMO_DB = "demo.db"


class DemoDataError(Exception):
    """The shipped demo data cannot be read or loaded (a packaging bug, reported plainly)."""


def load_demo_data() -> dict:
    from .resources import read_data_text

    try:
        return json.loads(read_data_text(DEMO_DATA))
    except (OSError, ValueError) as exc:
        raise DemoDataError(f"cannot read the demo data ({DEMO_DATA}): {exc}") from None


# The local time of day each kind of past action is entered at, in a day's natural order.
STAFF_AT, CLIENT_AT, CREATED_AT = time(9, 0), time(9, 30), time(10, 0)
PAID_AT, SIGNED_AT, EVENT_AT, CANCELLED_AT = time(11, 30), time(15, 0), time(16, 0), time(17, 0)
CLIENT_LEAD_DAYS = 7  # a client is entered this many days before their first contract


def days_ago(spec: dict, key: str) -> int | None:
    """SPEC[KEY], a whole number of days in the past (at least 1), or None when absent."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DemoDataError(f"{key} must be a whole number of days, at least 1: {value!r}")
    return value


def check_history(spec: dict) -> None:
    """A contract's actions must come in order: created, then signed, then cancelled;
    payments after creation."""
    created = days_ago(spec, "created_days_ago")
    signed = days_ago(spec, "signed_days_ago")
    cancelled = days_ago(spec, "cancelled_days_ago")
    paid = [days_ago(p, "days_ago") for p in spec.get("payments", ())]
    steps = [(created, "created"), (signed, "signed"), (cancelled, "cancelled")]
    known = [(days, what) for days, what in steps if days is not None]
    for (earlier, first), (later, then) in zip(known, known[1:], strict=False):
        if later > earlier:
            raise DemoDataError(f"contract {spec['ref']}: {then} before it was {first}")
    if created is not None and any(days is not None and days > created for days in paid):
        raise DemoDataError(f"contract {spec['ref']}: paid before it was created")


def event_times(spec: dict, today: date) -> tuple[str, str]:
    """Local start and end (`YYYY-MM-DD HH:MM`) of a demo event, relative to TODAY."""
    day = today + timedelta(days=int(spec["start_in_days"]))
    start = datetime.combine(day, datetime.strptime(spec["start_time"], "%H:%M").time())
    end = start + timedelta(hours=float(spec["hours"]))
    return start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M")


class DemoDatabase:
    """One demo run: its temporary folder, its data, and the logins to announce."""

    def __init__(self, data: dict | None = None, today: date | None = None):
        self.data = data if data is not None else load_demo_data()
        self.today = today
        self.folder = Path(tempfile.mkdtemp(prefix="epicshell-demo-"))  # mode 0700
        self.logins: list[dict] = []
        atexit.register(self.discard)  # a second net if the caller's `finally` never runs

    def on_day(self, days: int | None, at: time):
        """The clock pinned to AT local time, DAYS days before today (None: the real now)."""
        if days is None:
            return nullcontext()
        from .models import clock_pinned_at

        day = (self.today or date.today()) - timedelta(days=days)
        local = datetime.combine(day, at).astimezone()  # naive local time made aware
        return clock_pinned_at(local.astimezone(timezone.utc).replace(tzinfo=None))

    @property
    def url(self) -> str:
        return f"sqlite:///{self.folder / DEMO_DB}"

    def settings(self, settings):
        """SETTINGS pointed at the demo database, with monitoring off.

        Training sessions must not fill the real Sentry project with made-up users
        and contracts.
        """
        return dataclasses.replace(settings, database_url=self.url, sentry_dsn=None)

    def populate(self) -> None:
        """Fill the open database from the demo data, through the services, in one transaction."""
        from .security import reusing_hashes
        from .services.base import mutation
        from .validation import allowing_public_password

        try:
            with reusing_hashes(), allowing_public_password(self.data["password"]), mutation():
                people = self._users()
                clients = self._clients(people)
                contracts = self._contracts(people, clients)
                self._events(people, contracts)
        except KeyError as exc:
            raise DemoDataError(f"the demo data refers to an unknown key: {exc}") from None

    def _users(self) -> dict:
        from .services import auth, users

        people: dict = {}
        boss = None
        with self.on_day(days_ago(self.data, "staff_since_days_ago"), STAFF_AT):
            boss = self._staff(auth, users, people)
        people["boss"] = boss
        return people

    def _staff(self, auth, users, people: dict):
        boss = None
        for spec in self.data["users"]:
            password = spec.get("password") or self.data["password"]
            if boss is None:
                if spec["department"] != "management":
                    raise DemoDataError("the first demo user must be in management")
                user = auth.setup_first_user(spec["email"], spec["full_name"],
                                             spec["employee_number"], password)
                boss = user
            else:
                user = users.create_user(boss, email=spec["email"], full_name=spec["full_name"],
                                         department=spec["department"],
                                         employee_number=spec["employee_number"],
                                         password=password)
            people[user.email] = user
            if spec.get("active", True):
                self.logins.append({"department": user.department, "email": user.email,
                                    "full_name": user.full_name, "password": password})
        for spec in self.data["users"]:
            if not spec.get("active", True):
                users.deactivate_user(boss, people[spec["email"]].id)
        return boss

    def _clients(self, people: dict) -> dict:
        from .services import clients

        made = {}
        for spec in self.data["clients"]:
            owner = people[spec["commercial"]]
            with self.on_day(self._client_days_ago(spec), CLIENT_AT):
                client = clients.create_client(owner, full_name=spec["full_name"],
                                               email=spec["email"], phone=spec.get("phone"),
                                               company=spec.get("company"))
            made[client.email] = client
        return made

    def _client_days_ago(self, spec: dict) -> int | None:
        """When a client was entered: as given, or a week before their first contract."""
        entered = days_ago(spec, "created_days_ago")
        firsts = [days_ago(c, "created_days_ago") for c in self.data["contracts"]
                  if c["client"] == spec["email"]]
        known = [days for days in firsts if days is not None]
        if entered is None and known:
            entered = max(known) + CLIENT_LEAD_DAYS
        staff_since = days_ago(self.data, "staff_since_days_ago")
        if entered is not None and staff_since is not None and entered > staff_since:
            raise DemoDataError(f"client {spec['email']}: entered before the staff joined")
        return entered

    def _contracts(self, people: dict, made_clients: dict) -> dict:
        from .services import contracts

        made = {}
        boss = people["boss"]
        for spec in self.data["contracts"]:
            check_history(spec)
            client = made_clients[spec["client"]]
            owner = client.commercial  # the client's commercial handles its contracts
            with self.on_day(days_ago(spec, "created_days_ago"), CREATED_AT):
                contract = contracts.create_contract(owner, client.id, total=spec["total"],
                                                     due=spec.get("due"))
            if spec["status"] == "signed" or spec.get("signed_first"):
                with self.on_day(days_ago(spec, "signed_days_ago"), SIGNED_AT):
                    contracts.sign_contract(owner, contract.id)
            for payment in spec.get("payments", ()):
                with self.on_day(days_ago(payment, "days_ago"), PAID_AT):
                    contracts.pay_contract(owner, contract.id, payment["amount"])
            if spec["status"] == "cancelled":
                with self.on_day(days_ago(spec, "cancelled_days_ago"), CANCELLED_AT):
                    contracts.cancel_contract(boss, contract.id)
            made[spec["ref"]] = (contract, days_ago(spec, "signed_days_ago"))
        return made

    def _events(self, people: dict, made_contracts: dict) -> None:
        from .services import events

        boss = people["boss"]
        today = self.today or date.today()
        for spec in self.data["events"]:
            contract, signed_days_ago = made_contracts[spec["contract"]]
            start, end = event_times(spec, today)
            with self.on_day(signed_days_ago, EVENT_AT):  # planned the day it was signed
                event = events.create_event(people_by_id(people, contract.commercial_id),
                                            contract.id, name=spec["name"], start=start, end=end,
                                            location=spec.get("location"),
                                            attendees=spec.get("attendees"),
                                            notes=spec.get("notes"))
                if spec.get("support"):
                    events.assign_event(boss, event.id, people[spec["support"]].id)

    def announce(self, app) -> None:
        """Print the demo logins on stderr (stdout stays clean for JSON and CSV)."""
        lines = ["Demo mode: a throw-away database of sample data, deleted when epicshell exits.",
                 "Demo logins (these passwords are public by design: never reuse them):"]
        width = max(len(p["email"]) for p in self.logins) + 2
        for login in self.logins:
            lines.append(f"  {login['department']:<12}{login['email']:<{width}}"
                         f"{login['full_name']:<16}{login['password']}")
        lines.append("Log in with `login EMAIL` (scripts read the password from "
                     "EPICSHELL_PASSWORD).")
        app.notice("\n".join(lines))

    def discard(self) -> None:
        """Delete the demo folder and everything in it (safe to call more than once)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def people_by_id(people: dict, user_id: int):
    return next(user for user in people.values() if user.id == user_id)
