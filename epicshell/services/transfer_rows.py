"""The rows of an import, checked one by one with the very rules `create` uses.

Every row goes through the create functions' own validators (`clean_client`,
`new_client_owner`, `clean_amounts`, `clean_new_event`, `check_event_contract`,
`check_staff`); a failure becomes a `RowError` naming the file, the line and the
column, and the import goes on checking so that every bad row is reported at once.
Checked rows are kept as small tuples (not dicts): 100,000 of them fit in a few dozen
megabytes.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import EpicError, ValidationError
from ..models import Client, Contract
from ..validation import CONTRACT_STATUSES, parse_datetime, parse_id
from .clients import clean_client, new_client_owner
from .contracts import clean_amounts
from .events import check_event_contract, clean_new_event
from .policy import COMMERCIAL, SUPPORT
from .records import CLIENT_KEYS, CONTRACT_KEYS, EVENT_KEYS
from .staff import StaffByEmail

ERRORS_SHOWN = 100
FORGOTTEN_NAME = re.compile(r"forgotten client [0-9]+")  # gdpr.forgotten_name

# Files carry the §2 keys plus the emails naming people (ids mean nothing elsewhere).
COLUMNS = {
    "client": (*CLIENT_KEYS, "commercial_email"),
    "contract": (*CONTRACT_KEYS, "client_email"),
    "event": (*EVENT_KEYS, "support_email"),
}
# What an import reads; the other columns of COLUMNS are accepted and ignored.
IMPORTED = {
    "client": ("full_name", "email", "phone", "company", "commercial_email"),
    "contract": ("client_email", "total", "due", "status", "signed_at"),
    "event": ("contract_id", "name", "start", "end", "location", "attendees", "notes",
              "support_email"),
}
REQUIRED = {
    "client": ("full_name", "email"),
    "contract": ("client_email", "total"),
    "event": ("contract_id", "name", "start", "end"),
}
# `data import` links the three files through their ids instead of emails.
LINKED = {
    "client": (("id", *REQUIRED["client"]), ()),
    "contract": (("id", "client_id", "total"), ("id", "client_id")),
    "event": (("contract_id", "name", "start", "end"), ()),
}


@dataclass(frozen=True)
class RowError:
    source: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


class ImportRefused(EpicError):
    """Bad rows: nothing was written. `lines()` gives the report, the first 100 rows."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        count = len({(e.source, e.line) for e in errors})
        super().__init__(f"{count} bad row{'s' if count != 1 else ''}: nothing was imported")

    def lines(self) -> list[str]:
        shown = [str(e) for e in self.errors[:ERRORS_SHOWN]]
        if len(self.errors) > ERRORS_SHOWN:
            shown.append(f"and {len(self.errors) - ERRORS_SHOWN:,} more")
        return shown


@dataclass
class DataFile:
    """One file's rows as the shell read them: (line, {column: text}) with the `'` removed."""

    source: str  # the name errors are reported with
    rows: Iterable[tuple[int, dict]]
    total: int | None = None  # about how many rows (for a progress bar)
    errors: list[RowError] = field(default_factory=list)  # rows the reader could not split


Progress = Callable[[str, int], None]  # (what is being done, rows just done)


@dataclass
class Checker:
    """Runs one row's checks and keeps the errors of every row."""

    errors: list[RowError] = field(default_factory=list)

    def check(self, source: str, line: int, fallback_field: str, check: Callable, *args):
        """CHECK(*ARGS) or None; a rule's failure is recorded against (SOURCE, LINE, its field)."""
        try:
            return check(*args)
        except ValidationError as exc:
            self.errors.append(RowError(source, line, exc.field, exc.message))
        except EpicError as exc:
            field_name = getattr(exc, "field", None) or fallback_field
            self.errors.append(RowError(source, line, field_name, str(exc)))
        return None

    def add(self, source: str, line: int, field_name: str, reason: str) -> None:
        self.errors.append(RowError(source, line, field_name, reason))

    def refuse_if_any(self) -> None:
        if self.errors:
            raise ImportRefused(sorted(self.errors, key=lambda e: (e.source, e.line)))


def text(row: dict, key: str) -> str | None:
    value = row.get(key)
    return value if value is not None and value.strip() else None


def parse_file_datetime(value, field_name: str) -> datetime:
    """A time from a file: §5's local `YYYY-MM-DD[ HH:MM]`, or ISO 8601 with an offset
    (what export writes), stored as naive UTC either way."""
    raw = (value or "").strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return parse_datetime(raw, field_name)
    return parse_datetime(moment if moment.tzinfo else raw, field_name)


# --- clients ------------------------------------------------------------------------------

# A checked client: (line, full_name, email, phone, company, commercial_id).
def client_row(actor, row: dict, staff: StaffByEmail, default_owner,
               forgotten: bool = False) -> tuple:
    """The values of a client row. With FORGOTTEN (`data import`), a client whose personal
    data was erased (`client forget`: named `forgotten client ID`, no email, phone or
    company) is carried over as it is, so its contracts keep their client."""
    if forgotten and is_forgotten(row):
        values = {"full_name": text(row, "full_name").strip(), "email": None, "phone": None,
                  "company": None}
    else:
        values = clean_client(full_name=row.get("full_name"), email=row.get("email"),
                              phone=row.get("phone"), company=row.get("company"))
    email = text(row, "commercial_email")
    named = staff.get(email, COMMERCIAL, "commercial_email") if email else default_owner
    owner = new_client_owner(actor, named, "commercial_email",
                             missing="is required (or give --commercial ID)")
    return values["full_name"], values["email"], values["phone"], values["company"], owner.id


def is_forgotten(row: dict) -> bool:
    """Whether ROW is a client `client forget` erased: its name says so, nothing else left."""
    return bool(FORGOTTEN_NAME.fullmatch((text(row, "full_name") or "").strip())) and not any(
        text(row, key) for key in ("email", "phone", "company"))


# --- contracts ----------------------------------------------------------------------------

def parse_status(value) -> str:
    status = (value or "").strip().lower() or "draft"
    if status not in CONTRACT_STATUSES:
        raise ValidationError("status", f"{value!r} is not one of {', '.join(CONTRACT_STATUSES)}")
    return status


def contract_values(row: dict) -> tuple:
    """(total_cents, due_cents, status, signed_at) of a contract row, with create's rules."""
    total_cents, due_cents = clean_amounts(row.get("total"), text(row, "due"))
    status = parse_status(row.get("status"))
    signed_at = text(row, "signed_at")
    signed_at = parse_file_datetime(signed_at, "signed_at") if signed_at else None
    if status == "signed" and signed_at is None:
        raise ValidationError("signed_at", "is required for a signed contract")
    if status == "draft" and signed_at is not None:
        raise ValidationError("signed_at", "a draft has not been signed")
    return total_cents, due_cents, status, signed_at


class ClientsByEmail:
    """The target database's clients, by email, each read once."""

    def __init__(self):
        self._found: dict[str, tuple | None] = {}

    def get(self, email) -> tuple[int, int]:
        from ..validation import parse_email

        address = parse_email(email, "client_email")
        if address not in self._found:
            self._found[address] = (Client.select(Client.id, Client.commercial)
                                    .where(Client.email == address).tuples().first())
        if self._found[address] is None:
            raise ValidationError("client_email", f"no client has the email {address!r}")
        return self._found[address]


# --- events -------------------------------------------------------------------------------

class ContractsById:
    """The target database's contracts that events may be attached to, each read once."""

    def __init__(self):
        self._found: dict[int, Contract | None] = {}

    def get(self, ident) -> int:
        number = parse_id(ident, "contract_id")
        if number not in self._found:
            self._found[number] = Contract.get_or_none(Contract.id == number)
        contract = self._found[number]
        if contract is None:
            raise ValidationError("contract_id", f"contract {number} not found")
        check_event_contract(contract)
        return contract.id


# A checked event: (line, contract ref, name, start, end, location, attendees, notes, support_id)
def event_values(row: dict, staff: StaffByEmail) -> tuple:
    fields = clean_new_event(name=row.get("name"), start=_when(row, "start"), end=_when(row, "end"),
                             location=row.get("location"), attendees=row.get("attendees"),
                             notes=row.get("notes"))
    email = text(row, "support_email")
    support = staff.get(email, SUPPORT, "support_email").id if email else None
    return (fields["name"], fields["start"], fields["end"], fields.get("location"),
            fields.get("attendees", 0), fields.get("notes"), support)


def _when(row: dict, key: str):
    """An aware UTC time (so the create rules do not take it for local time), or None."""
    value = text(row, key)
    return parse_file_datetime(value, key).replace(tzinfo=timezone.utc) if value else None
