"""Field specs: what a create/update form asks, with the rule and the validator for each.

The same spec serves the option flag (`--full-name`), the wizard question and the
"missing flags" error of scripts. `parse` is the validation function the service
itself uses, and `after` calls the service's own cross-field rule (an end after its
start, a due within the total), so a wizard checks every answer with exactly the
service's rules and messages.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import validation as v
from ..errors import ValidationError

HIDDEN_PASSWORD = "(typed twice, not shown)"  # what a wizard's summary says of a password


@dataclass(frozen=True)
class Field:
    name: str  # the service keyword, e.g. "full_name"
    label: str  # the question, e.g. "Full name"
    rule: str = ""  # shown under the question
    parse: Callable | None = None  # raises ValidationError on a bad answer
    required: bool = True
    choices: Callable | None = None  # choices(app) -> [(value, label)], from the database
    # lookup(app, typed) -> [(value, label)]: live type-ahead over a table too large to list
    lookup: Callable | None = None
    # after(earlier_answers, text) raises ValidationError when this answer contradicts an
    # earlier one; the service enforces the same rule again when saving
    after: Callable | None = None
    # the kind of record ("user", "client") no other of which may hold the same value: a
    # taken email is refused as it is typed, not after the whole form
    unique: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _optional_text(field: str, max_length: int = 100):
    return lambda value: v.parse_text(field, value, max_length=max_length, required=False)


def _ids_of(department: str):
    def choices(app):
        from ..services.lookups import active_staff

        return active_staff(department)

    return choices


def _departments(app):
    return [(d, d) for d in v.DEPARTMENTS]


USER_FIELDS = (
    Field("email", "Email", v.RULES["email"], v.parse_email, unique="user"),
    Field("full_name", "Full name", v.RULES["name"], v.parse_name),
    Field("department", "Department", v.RULES["department"], v.parse_department,
          choices=_departments),
    Field("employee_number", "Employee number", v.RULES["employee_number"],
          v.parse_employee_number, unique="user"),
)

CLIENT_FIELDS = (
    Field("full_name", "Full name", v.RULES["name"], v.parse_name),
    Field("email", "Email", v.RULES["email"], v.parse_email, unique="client"),
    Field("phone", "Phone", v.RULES["phone"] + " (optional)", v.parse_phone, required=False),
    Field("company", "Company", "up to 100 characters (optional)", _optional_text("company"),
          required=False),
)
COMMERCIAL_FIELD = Field("commercial", "Commercial contact", "an active commercial",
                         lambda value: v.parse_id(value, "commercial"),
                         choices=_ids_of("commercial"))

def _earlier(earlier: dict, name: str, parse):
    """An earlier answer, parsed; None when absent or itself invalid (reported there)."""
    try:
        return parse(earlier[name]) if earlier.get(name) not in (None, "") else None
    except ValidationError:
        return None


def _due_within_total(earlier: dict, text: str) -> None:
    from ..services.contracts import check_due_within_total

    total = _earlier(earlier, "total", lambda value: v.parse_amount(value, "total"))
    if total is not None:
        check_due_within_total(total, v.parse_amount(text, "due"))


def _end_after_start(earlier: dict, text: str) -> None:
    from ..services.events import check_end_after_start

    start = _earlier(earlier, "start", lambda value: v.parse_datetime(value, "start"))
    if start is not None:
        check_end_after_start(start, v.parse_datetime(text, "end"))


CONTRACT_FIELDS = (
    Field("total", "Total amount", v.RULES["amount"], lambda value: v.parse_amount(value, "total")),
    Field("due", "Amount still due (empty: the total)", v.RULES["amount"],
          lambda value: v.parse_amount(value, "due"), required=False, after=_due_within_total),
)

EVENT_FIELDS = (
    Field("name", "Event name", v.RULES["name"], lambda value: v.parse_name(value, "name")),
    Field("start", "Start", v.RULES["datetime"], lambda value: v.parse_datetime(value, "start")),
    Field("end", "End", v.RULES["datetime"] + ", after the start",
          lambda value: v.parse_datetime(value, "end"), after=_end_after_start),
    Field("location", "Location", "up to 200 characters (optional)",
          _optional_text("location", 200), required=False),
    Field("attendees", "Attendees", v.RULES["attendees"], v.parse_attendees, required=False),
    Field("notes", "Notes", "free text (optional)", v.parse_notes,
          required=False),
)
