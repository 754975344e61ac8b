"""Field specs: what a create/update form asks, with the rule and the validator for each.

The same spec serves the option flag (`--full-name`), the wizard question and the
"missing flags" error of scripts. `parse` is the validation function the service
itself uses, so a wizard checks every answer with exactly the service's rule.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import validation as v
from ..errors import ValidationError


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

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _optional_text(field: str, max_length: int = 100):
    return lambda value: v.parse_text(field, value, max_length=max_length, required=False)


def _ids_of(department: str):
    def choices(app):
        from ..models import User

        query = (User.select(User.id, User.full_name, User.email)
                 .where((User.department == department) & (User.active == True))
                 .order_by(User.name_key).limit(500))
        return [(str(u.id), f"{u.full_name} <{u.email}>") for u in query]

    return choices


def _departments(app):
    return [(d, d) for d in v.DEPARTMENTS]


USER_FIELDS = (
    Field("email", "Email", v.RULES["email"], v.parse_email),
    Field("full_name", "Full name", v.RULES["name"], v.parse_name),
    Field("department", "Department", v.RULES["department"], v.parse_department,
          choices=_departments),
    Field("employee_number", "Employee number", v.RULES["employee_number"],
          v.parse_employee_number),
)

CLIENT_FIELDS = (
    Field("full_name", "Full name", v.RULES["name"], v.parse_name),
    Field("email", "Email", v.RULES["email"], v.parse_email),
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
    total = _earlier(earlier, "total", lambda value: v.parse_amount(value, "total"))
    if total is not None and v.parse_amount(text, "due") > total:
        raise ValidationError("due", "cannot be more than the total")


def _end_after_start(earlier: dict, text: str) -> None:
    start = _earlier(earlier, "start", lambda value: v.parse_datetime(value, "start"))
    if start is not None and v.parse_datetime(text, "end") <= start:
        raise ValidationError("end", "must be after the start")


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
    Field("notes", "Notes", "free text (optional)", _optional_text("notes", 5000),
          required=False),
)
