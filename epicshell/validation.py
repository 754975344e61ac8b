"""Value rules of commands.md §5, in one place.

Services call these to refuse bad data; wizards call the very same functions to check
an answer as it is typed, so the rule shown to a user and the rule enforced can never
drift apart. Each parser returns the clean value or raises `ValidationError(field, …)`.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

from .errors import ValidationError

DEPARTMENTS = ("management", "commercial", "support")
DEPARTMENT_ALIASES = {"gestion": "management"}
CONTRACT_STATUSES = ("draft", "signed", "cancelled")

MAX_AMOUNT_CENTS = 1_000_000_000 * 100  # amounts are strictly below one billion
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_BYTES = 72  # bcrypt's limit: longer passwords are refused, never truncated

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?[0-9 .()\-]+$")
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_EMPLOYEE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")

RULES = {
    "email": "a valid address such as name@example.com",
    "phone": "digits with optional +, spaces, dots, dashes, parentheses; 6 to 20 digits",
    "amount": "a decimal with at most two places, from 0 to 999,999,999.99",
    "datetime": "YYYY-MM-DD HH:MM or YYYY-MM-DD, local time",
    "department": "management (or gestion), commercial or support",
    "password": f"at least {PASSWORD_MIN_CHARS} characters, at most {PASSWORD_MAX_BYTES} bytes, "
    "not a common password, not containing your email name",
    "name": "1 to 100 characters",
    "employee_number": "1 to 20 letters, digits, - or _",
    "attendees": "a whole number, 0 or more",
}


def parse_text(field: str, value, *, max_length: int = 100, required: bool = True) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        if required:
            raise ValidationError(field, "is required")
        return None
    if len(text) > max_length:
        raise ValidationError(field, f"at most {max_length} characters")
    return text


def parse_name(value, field: str = "full_name") -> str:
    return parse_text(field, value, max_length=100)


def parse_email(value, field: str = "email") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "is required")
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError(field, f"{text!r} is not {RULES['email']}")
    return text.lower()


def parse_phone(value, field: str = "phone", required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(field, "is required")
        return None
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE.match(text) or not 6 <= digits <= 20:
        raise ValidationError(field, f"{text!r} is not valid: {RULES['phone']}")
    return text


def parse_employee_number(value, field: str = "employee_number") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "is required")
    if not _EMPLOYEE_NUMBER.match(text):
        raise ValidationError(field, f"{text!r} is not valid: {RULES['employee_number']}")
    return text


def parse_department(value, field: str = "department") -> str:
    text = (value or "").strip().lower()
    text = DEPARTMENT_ALIASES.get(text, text)
    if text not in DEPARTMENTS:
        raise ValidationError(field, f"{value!r} is not one of {RULES['department']}")
    return text


def parse_amount(value, field: str = "amount") -> int:
    """Parse a money amount into integer cents: exact, never through a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValidationError(field, "is required")
    if "," in text:  # thousands separators only: 1,500.00 — never 1,0,0 nor a decimal comma
        if not _THOUSANDS.match(text):
            raise ValidationError(field, f"{value!r} is not {RULES['amount']} "
                                  "(use a dot for decimals, commas only between thousands)")
        text = text.replace(",", "")
    if not _PLAIN_DECIMAL.match(text):  # no 1e3, no NaN, no Infinity
        raise ValidationError(field, f"{value!r} is not {RULES['amount']}")
    amount = Decimal(text)
    if amount < 0:
        raise ValidationError(field, f"{value!r} is negative")
    if amount * 100 >= MAX_AMOUNT_CENTS:
        raise ValidationError(field, f"{value!r} must be below 1,000,000,000")
    if amount.as_tuple().exponent < -2:  # "1.500" too: the rule is about what is written
        raise ValidationError(field, f"{value!r} has more than two decimal places")
    return int(amount * 100)


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_cents(cents: int | None) -> str | None:
    """Amounts leave the program as strings with two decimals: "1500.00"."""
    return None if cents is None else f"{cents_to_decimal(cents):.2f}"


def parse_datetime(value, field: str = "date") -> datetime:
    """Parse local `YYYY-MM-DD[ HH:MM]` into a naive UTC datetime (how times are stored)."""
    if isinstance(value, datetime):
        local = value
    else:
        text = " ".join((value or "").split())
        if not text:
            raise ValidationError(field, "is required")
        local = None
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M"):
            try:
                local = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if local is None:
            raise ValidationError(field, f"{value!r} is not {RULES['datetime']}")
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone()


def format_local(value: datetime | None) -> str:
    """Times are shown in the user's local time, `YYYY-MM-DD HH:MM`."""
    local = utc_to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def parse_attendees(value, field: str = "attendees") -> int:
    return parse_count(value, field)


def parse_count(value, field: str) -> int:
    """A whole number, 0 or more (empty means 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(field, f"{value!r} is not {RULES['attendees']}") from None
    if number < 0:
        raise ValidationError(field, "must be 0 or more")
    if number > 10_000_000:
        raise ValidationError(field, "is unrealistically large")
    return number


def parse_id(value, field: str = "id") -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(field, f"{value!r} is not a record id (a whole number)") from None
    if number <= 0:
        raise ValidationError(field, "must be a positive whole number")
    return number


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from .resources import read_data_text

    return frozenset(
        line.strip().lower()
        for line in read_data_text("common-passwords.txt").splitlines()
        if line.strip() and not line.startswith("#")
    )


def check_password(password: str, email: str | None = None, field: str = "password") -> str:
    """Enforce the password policy; the password itself never appears in the message."""
    if password is None or len(password) < PASSWORD_MIN_CHARS:
        raise ValidationError(field, f"must be at least {PASSWORD_MIN_CHARS} characters")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValidationError(field, f"must be at most {PASSWORD_MAX_BYTES} bytes in UTF-8")
    if password.lower() in common_passwords():
        raise ValidationError(field, "is too common; choose another")
    if email:
        name = email.split("@", 1)[0].lower()
        if len(name) >= 3 and name in password.lower():
            raise ValidationError(field, "must not contain your email name")
    return password
