"""Staff named on a record: the one rule for "an active user of the right department".

`client create --commercial`, `event assign` and every imported row naming a person by
email (`commercial_email`, `support_email`) go through `check_staff`, so a file cannot
put a record in the hands of a deactivated user or of the wrong department.
"""
from __future__ import annotations

from ..errors import ValidationError
from ..models import User
from ..validation import parse_email


def check_staff(user: User, department: str, field: str) -> User:
    """USER, if active and of DEPARTMENT; else a ValidationError on FIELD."""
    if user.department != department:
        raise ValidationError(field, f"user {user.id} is not in the {department} department")
    if not user.active:
        raise ValidationError(field, f"user {user.id} is deactivated")
    return user


class StaffByEmail:
    """Users looked up by email, each email read once (an import names the same few often)."""

    def __init__(self):
        self._found: dict[str, User | None] = {}

    def get(self, email, department: str, field: str) -> User:
        address = parse_email(email, field)
        if address not in self._found:
            self._found[address] = User.get_or_none(User.email == address)
        user = self._found[address]
        if user is None:
            raise ValidationError(field, f"no staff account has the email {address!r}")
        return check_staff(user, department, field)
