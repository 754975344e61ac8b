"""Demo mode (`epicshell --demo`): a throw-away database full of believable data, for trainers.

The database lives in a fresh temporary folder (0700, the file 0600) and is deleted
when the program ends, even on an error; the real database is never opened. The data
comes from `data/demo.json` and goes in through the services, as staff would type it,
so every rule holds and every record has its audit trail. Event dates are stored as
offsets in days from today, so "upcoming" events stay upcoming whenever the demo runs.

The demo passwords are public by design (they are printed at start and shipped in the
package); they still pass the password policy, because the services enforce it.
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import shutil
import tempfile
from datetime import date, datetime, timedelta
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
        people["boss"] = boss
        return people

    def _clients(self, people: dict) -> dict:
        from .services import clients

        made = {}
        for spec in self.data["clients"]:
            owner = people[spec["commercial"]]
            client = clients.create_client(owner, full_name=spec["full_name"], email=spec["email"],
                                           phone=spec.get("phone"), company=spec.get("company"))
            made[client.email] = client
        return made

    def _contracts(self, people: dict, made_clients: dict) -> dict:
        from .services import contracts

        made = {}
        boss = people["boss"]
        for spec in self.data["contracts"]:
            client = made_clients[spec["client"]]
            owner = client.commercial  # the client's commercial handles its contracts
            contract = contracts.create_contract(owner, client.id, total=spec["total"],
                                                 due=spec.get("due"))
            if spec["status"] == "signed" or spec.get("signed_first"):
                contracts.sign_contract(owner, contract.id)
            for amount in spec.get("payments", ()):
                contracts.pay_contract(owner, contract.id, amount)
            if spec["status"] == "cancelled":
                contracts.cancel_contract(boss, contract.id)
            made[spec["ref"]] = contract
        return made

    def _events(self, people: dict, made_contracts: dict) -> None:
        from .services import events

        boss = people["boss"]
        today = self.today or date.today()
        for spec in self.data["events"]:
            contract = made_contracts[spec["contract"]]
            start, end = event_times(spec, today)
            event = events.create_event(people_by_id(people, contract.commercial_id), contract.id,
                                        name=spec["name"], start=start, end=end,
                                        location=spec.get("location"),
                                        attendees=spec.get("attendees"), notes=spec.get("notes"))
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
