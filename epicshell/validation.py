"""Value rules of commands.md §5, in one place.

Services call these to refuse bad data; wizards call the very same functions to check
an answer as it is typed, so the rule shown to a user and the rule enforced can never
drift apart. Each parser returns the clean value or raises `ValidationError(field, …)`.
"""
from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from .errors import ValidationError
from .safetext import has_control

DEPARTMENTS = ("management", "commercial", "support")
DEPARTMENT_ALIASES = {"gestion": "management"}
CONTRACT_STATUSES = ("draft", "signed", "cancelled")

MAX_AMOUNT_CENTS = 1_000_000_000 * 100  # amounts are strictly below one billion
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_BYTES = 72  # bcrypt's limit: longer passwords are refused, never truncated
MAX_ID = 2**63 - 1  # a BIGINT: beyond it no record can exist, and the drivers overflow
MAX_LIMIT = 1000  # rows per page (services.base pages with it)
MAX_PAGE = 1_000_000_000  # (page - 1) * limit stays far inside 64 bits
MAX_DAYS = 36_500  # a hundred years: `now + days` stays inside the calendar
MAX_SEARCH_CHARS = 200
MIN_YEAR, MAX_YEAR = 1900, 2999  # dates converted to and from UTC in any time zone
NOTE_WHITESPACE = "\n\t"  # the only control characters a note may hold

# Only ASCII digits are digits: Python's \\d and int() also read "３" or "٣" as 3.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", re.ASCII)
_PHONE = re.compile(r"\+?[0-9 .()\-]+", re.ASCII)
_PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?", re.ASCII)
_EMPLOYEE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}", re.ASCII)
_SURROGATE = re.compile("[\ud800-\udfff]")
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2})?", re.ASCII)

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


def parse_text(field: str, value, *, max_length: int = 100, required: bool = True,
               allow: str = "") -> str | None:
    """Trimmed one-line text; control characters (NUL, ESC, …) other than ALLOW are refused."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        if required:
            raise ValidationError(field, "is required")
        return None
    refuse_control(field, text, allow=allow)
    if len(text) > max_length:
        raise ValidationError(field, f"at most {max_length} characters")
    return text


def parse_notes(value, field: str = "notes") -> str | None:
    """Free text over several lines: line breaks (CRLF read as LF) and tabs are kept."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    return parse_text(field, value, max_length=5000, required=False, allow=NOTE_WHITESPACE)


def refuse_control(field: str, text: str, *, allow: str = "") -> None:
    """Refuse TEXT holding a control character (PostgreSQL refuses NUL; terminals obey ESC).

    Bytes that were not UTF-8 (an argument read with surrogateescape) are refused too.
    """
    if _SURROGATE.search(text):
        raise ValidationError(field, "is not valid UTF-8 text")
    if has_control(text, allow=allow):
        raise ValidationError(field, "control characters (such as NUL, ESC or a line break) "
                              "are not allowed")


def parse_search(value, field: str = "search") -> str | None:
    """A search text: one line, at most MAX_SEARCH_CHARS characters; None when not given.

    A blank text is refused like one without a letter or digit: `client search ""` (or a
    script's `--search "$TERM"` with TERM empty) listing every record would be a surprise.
    """
    if value is None:
        return None
    text = parse_text(field, value, max_length=MAX_SEARCH_CHARS, required=False)
    if text is None:
        raise ValidationError(field, "is empty: give the letters or digits to look for")
    return text


def parse_name(value, field: str = "full_name") -> str:
    return parse_text(field, value, max_length=100)


def parse_email(value, field: str = "email") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "is required")
    refuse_control(field, text)
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValidationError(field, f"{visible_value(text)} is not {RULES['email']}")
    return text.lower()


def parse_phone(value, field: str = "phone", required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(field, "is required")
        return None
    refuse_control(field, text)
    digits = sum("0" <= ch <= "9" for ch in text)
    if not _PHONE.fullmatch(text) or not 6 <= digits <= 20:
        raise ValidationError(field, f"{visible_value(text)} is not valid: {RULES['phone']}")
    return text


def parse_employee_number(value, field: str = "employee_number") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "is required")
    refuse_control(field, text)
    if not _EMPLOYEE_NUMBER.fullmatch(text):
        raise ValidationError(field, f"{visible_value(text)} is not valid: {RULES['employee_number']}")
    return text


def parse_department(value, field: str = "department") -> str:
    text = (value or "").strip().lower()
    text = DEPARTMENT_ALIASES.get(text, text)
    if text not in DEPARTMENTS:
        raise ValidationError(field, f"{visible_value(value)} is not one of {RULES['department']}")
    return text


def parse_amount(value, field: str = "amount") -> int:
    """Parse a money amount into integer cents: exact, never through a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValidationError(field, "is required")
    refuse_control(field, text)
    if "," in text:  # thousands separators only: 1,500.00 — never 1,0,0 nor a decimal comma
        if not _THOUSANDS.fullmatch(text):
            raise ValidationError(field, f"{visible_value(value)} is not {RULES['amount']} "
                                  "(use a dot for decimals, commas only between thousands)")
        text = text.replace(",", "")
    if not _PLAIN_DECIMAL.fullmatch(text):  # no 1e3, no NaN, no Infinity
        raise ValidationError(field, f"{visible_value(value)} is not {RULES['amount']}")
    amount = Decimal(text)
    if amount < 0:
        raise ValidationError(field, f"{visible_value(value)} is negative")
    if amount * 100 >= MAX_AMOUNT_CENTS:
        raise ValidationError(field, f"{visible_value(value)} must be below 1,000,000,000")
    if amount.as_tuple().exponent < -2:  # "1.500" too: the rule is about what is written
        raise ValidationError(field, f"{visible_value(value)} has more than two decimal places")
    return int(amount * 100)


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_cents(cents: int | None) -> str | None:
    """Amounts leave the program as strings with two decimals: "1500.00"."""
    return None if cents is None else f"{cents_to_decimal(cents):.2f}"


def parse_datetime(value, field: str = "date") -> datetime:
    """Parse local `YYYY-MM-DD[ HH:MM]` into a naive UTC datetime (how times are stored).

    Years MIN_YEAR to MAX_YEAR only, so the conversion to and from UTC never leaves the
    calendar whatever the time zone. A local time that does not exist (skipped when the
    clocks go forward) is refused, naming the gap; one that exists twice (when they go
    back) is the first of the two, the one still on daylight saving time.
    """
    if isinstance(value, datetime):
        local = value
    else:
        text = " ".join((value or "").split())
        if not text:
            raise ValidationError(field, "is required")
        refuse_control(field, text)
        local = _read_local(text) if _DATE.fullmatch(text) else None
        if local is None:
            raise ValidationError(field, f"{visible_value(value)} is not {RULES['datetime']}")
    if not MIN_YEAR <= local.year <= MAX_YEAR:
        raise ValidationError(field, f"years {MIN_YEAR} to {MAX_YEAR} only")
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc).replace(tzinfo=None)
    utc = local.replace(fold=0).astimezone(timezone.utc)
    if utc.astimezone().replace(tzinfo=None) != local.replace(fold=0):
        raise ValidationError(field, _gap_message(local))
    return utc.replace(tzinfo=None)


def _read_local(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _gap_message(local: datetime) -> str:
    """Say which local times the clocks skip around LOCAL (a daylight-saving change)."""
    lo = (local - timedelta(days=1)).astimezone(timezone.utc)
    hi = (local + timedelta(days=1)).astimezone(timezone.utc)
    before, after = lo.astimezone().utcoffset(), hi.astimezone().utcoffset()
    while hi - lo > timedelta(minutes=1):  # the instant the offset changes, to the minute
        middle = lo + (hi - lo) / 2
        if middle.astimezone().utcoffset() == before:
            lo = middle
        else:
            hi = middle
    change = hi.replace(second=0, microsecond=0)
    gap_start = (change + before).strftime("%H:%M")
    gap_end = (change + after).strftime("%H:%M")
    return (f"{local:%Y-%m-%d %H:%M} does not exist in local time: on {local:%Y-%m-%d} the "
            f"clocks skip from {gap_start} to {gap_end} (daylight saving time); "
            f"give a time before {gap_start} or from {gap_end}")


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


def parse_whole(value, field: str, *, minimum: int = 0, maximum: int = MAX_ID,
                what: str = "a whole number") -> int:
    """A whole number written in ASCII digits, from MINIMUM to MAXIMUM.

    `int()` would take "３" for 3, " 1_000 " for 1000 and a thousand digits for a number
    no database column holds: each is refused here with the field's name.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not _WHOLE.fullmatch(text):
            raise ValidationError(field, f"{visible_value(value)} is not {what}")
        if len(text.lstrip("+-0")) > len(str(maximum)):  # never convert a huge string
            raise ValidationError(field, f"must be at most {maximum:,}"
                                  if not text.startswith("-") else f"must be {minimum} or more")
        number = int(text)
    if number < minimum:
        raise ValidationError(field, f"must be {minimum} or more")
    if number > maximum:
        raise ValidationError(field, f"must be at most {maximum:,}")
    return number


def visible_value(value) -> str:
    """VALUE quoted for an error message, cut short so a huge input is not echoed back."""
    text = repr(value if isinstance(value, str) else str(value))
    return text if len(text) <= 80 else text[:76] + "...'"


def parse_count(value, field: str) -> int:
    """A whole number, 0 or more (empty means 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return parse_whole(value, field, maximum=10_000_000, what=RULES["attendees"])


def parse_days(value, field: str = "days") -> int:
    """A number of days ahead, 0 to MAX_DAYS (a hundred years)."""
    return parse_whole(value, field, maximum=MAX_DAYS)


def parse_page(value, field: str = "page") -> int:
    return parse_whole(value, field, minimum=1, maximum=MAX_PAGE)


def parse_limit(value, field: str = "limit") -> int:
    """Rows per page: 1 to MAX_LIMIT."""
    number = parse_whole(value, field, minimum=-MAX_ID, maximum=MAX_ID)
    if not 1 <= number <= MAX_LIMIT:
        raise ValidationError(field, f"must be between 1 and {MAX_LIMIT}")
    return number


def parse_id(value, field: str = "id") -> int:
    """A record id: a positive whole number that fits a 64-bit column."""
    return parse_whole(value, field, minimum=1, maximum=MAX_ID,
                       what="a record id (a whole number)")


_public_allowed: set[str] = set()


@contextlib.contextmanager
def allowing_public_password(password: str):
    """Within the block, accept PASSWORD although it is on the common list.

    Only for filling the throw-away demo database: the demo password is published (it is
    on the common list so that no real account can ever use it).
    """
    _public_allowed.add(password)
    try:
        yield
    finally:
        _public_allowed.discard(password)


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
    if not password.strip():
        raise ValidationError(field, "must not be only spaces")
    refuse_control(field, password)
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValidationError(field, f"must be at most {PASSWORD_MAX_BYTES} bytes in UTF-8")
    if password.lower() in common_passwords() and password not in _public_allowed:
        raise ValidationError(field, "is too common; choose another")
    if email:
        name = email.split("@", 1)[0].lower()
        if len(name) >= 3 and name in password.lower():
            raise ValidationError(field, "must not contain your email name")
    return password
