"""The value rules of commands.md §5, each with a valid and an invalid case.

The parsers are checked directly, then through the services, so a rule the wizard
shows is also a rule the database never breaks (uniqueness ignoring case, a refused
value leaves no row behind).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import PASSWORD

from epicshell.errors import ValidationError
from epicshell.models import Client, User
from epicshell.resources import read_data_text
from epicshell.services import clients, users
from epicshell.validation import (
    check_password,
    parse_amount,
    parse_datetime,
    parse_department,
    parse_email,
    parse_phone,
)

# --- email -------------------------------------------------------------------------


@pytest.mark.parametrize("text, stored", [
    ("ana@epic.test", "ana@epic.test"),
    ("First.Last+tag@Sub.Example.co.uk", "first.last+tag@sub.example.co.uk"),
    ("  kevin@startup.io ", "kevin@startup.io"),
])
def test_valid_email_is_accepted_and_lower_cased(text, stored):
    assert parse_email(text) == stored


@pytest.mark.parametrize("text", [
    "", "ana", "ana@", "@epic.test", "ana@epic", "ana epic@epic.test", "ana@@epic.test",
    "ana@epic..test", "a" * 250 + "@epic.test",
])
def test_invalid_email_is_refused(text):
    with pytest.raises(ValidationError) as err:
        parse_email(text)
    assert err.value.field == "email"


def test_user_email_is_unique_ignoring_case(staff):
    boss = staff["management"]
    with pytest.raises(ValidationError, match="already used"):
        users.create_user(boss, email="BILL@Epic.Test", full_name="Other Bill",
                          department="commercial", employee_number="C900", password=PASSWORD)
    other = users.create_user(boss, email="Bill2@Epic.Test", full_name="Bill Two",
                              department="commercial", employee_number="C901", password=PASSWORD)
    assert other.email == "bill2@epic.test"
    with pytest.raises(ValidationError, match="already used"):
        users.update_user(boss, other.id, email="SUE@EPIC.TEST")
    assert User.get_by_id(other.id).email == "bill2@epic.test"


def test_client_email_is_unique_ignoring_case(make, staff):
    first = make.client(email="Kevin@Startup.io")
    assert first.email == "kevin@startup.io"
    with pytest.raises(ValidationError, match="already used"):
        make.client(email="KEVIN@STARTUP.IO")
    second = make.client(email="other@startup.io")
    with pytest.raises(ValidationError, match="already used"):
        clients.update_client(staff["commercial"], second.id, email="kevin@STARTUP.io")
    assert Client.get_by_id(second.id).email == "other@startup.io"
    assert Client.select().count() == 2


# --- phone -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "123456", "+33 6 12 34 56 78", "(555) 123-4567", "01.23.45.67.89", "1" * 20, "+1-800-555-0199",
])
def test_valid_phone_is_accepted(text):
    assert parse_phone(text) == text


@pytest.mark.parametrize("text", [
    "12345", "1" * 21, "+33 6 12 34 56 78 ext 9", "abc123456", "12345#678", "06/12/34/56/78",
    "++33612345678",
])
def test_invalid_phone_is_refused(text):
    with pytest.raises(ValidationError) as err:
        parse_phone(text)
    assert err.value.field == "phone"


def test_client_with_bad_phone_is_not_created(make):
    with pytest.raises(ValidationError):
        make.client(phone="12345")
    assert Client.select().count() == 0


# --- amount ------------------------------------------------------------------------


@pytest.mark.parametrize("text, cents", [
    ("0", 0), ("0.00", 0), ("1500", 150000), ("1500.5", 150050), ("1500.50", 150050),
    ("0.01", 1), ("999999999.99", 99_999_999_999), (250, 25000),
    ("1,500.00", 150000), ("999,999,999.99", 99_999_999_999), (".5", 50),
])
def test_valid_amount_is_exact_cents(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", [
    "1.005", "12.345", "0.001", "-1", "-0.01", "1000000000", "1000000000.00", "1e9", "abc", "",
    "NaN", "Infinity", "1" + "0" * 30 + ".001",
    "1.500", "1e3", "1,0,0", "12,50", "1_000",
])
def test_invalid_amount_is_refused(text):
    with pytest.raises(ValidationError) as err:
        parse_amount(text, "total")
    assert err.value.field == "total"


# --- date and time -----------------------------------------------------------------


def _utc(local: datetime) -> datetime:
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@pytest.mark.parametrize("text, local", [
    ("2030-06-01 10:30", datetime(2030, 6, 1, 10, 30)),
    ("2030-06-01", datetime(2030, 6, 1, 0, 0)),
    ("2030-12-31  23:59", datetime(2030, 12, 31, 23, 59)),
])
def test_valid_datetime_is_local_time_stored_as_utc(text, local):
    assert parse_datetime(text, "start") == _utc(local)


@pytest.mark.parametrize("text", [
    "", "tomorrow", "01/06/2030", "2030-13-01", "2030-06-31", "2030-06-01 25:00", "2030-06-01 10",
    "2030-06-01 10:30:15",
])
def test_invalid_datetime_is_refused(text):
    with pytest.raises(ValidationError) as err:
        parse_datetime(text, "start")
    assert err.value.field == "start"


def test_datetime_is_read_in_the_local_timezone(paris):
    assert parse_datetime("2030-06-01 10:00") == datetime(2030, 6, 1, 8, 0)  # CEST, UTC+2
    assert parse_datetime("2030-01-15") == datetime(2030, 1, 14, 23, 0)  # CET, UTC+1


# --- department --------------------------------------------------------------------


@pytest.mark.parametrize("text, department", [
    ("management", "management"), ("commercial", "commercial"), ("support", "support"),
    ("gestion", "management"), ("GESTION", "management"), (" Support ", "support"),
])
def test_valid_department_is_accepted(text, department):
    assert parse_department(text) == department


@pytest.mark.parametrize("text", ["", "sales", "admin", "manager", "gestions"])
def test_invalid_department_is_refused(text):
    with pytest.raises(ValidationError):
        parse_department(text)


def test_gestion_alias_creates_a_management_user(staff):
    user = users.create_user(staff["management"], email="gil@epic.test", full_name="Gil Bert",
                             department="gestion", employee_number="M002", password=PASSWORD)
    assert User.get_by_id(user.id).department == "management"


def test_unknown_department_creates_no_user(staff):
    with pytest.raises(ValidationError):
        users.create_user(staff["management"], email="gil@epic.test", full_name="Gil Bert",
                          department="sales", employee_number="M002", password=PASSWORD)
    assert not User.select().where(User.email == "gil@epic.test").exists()


# --- password ----------------------------------------------------------------------


def test_password_of_12_characters_is_accepted_and_11_refused():
    assert check_password("tulip-kayak9") == "tulip-kayak9"
    with pytest.raises(ValidationError, match="at least 12"):
        check_password("tulip-kayak")


@pytest.mark.parametrize("password", [
    "k" * 72,  # 72 ASCII bytes
    "é" * 36,  # 72 bytes, 36 characters
    "🎉" * 18,  # 72 bytes, 18 characters
])
def test_password_of_72_bytes_is_accepted(password):
    assert check_password(password) == password


@pytest.mark.parametrize("password", [
    "k" * 73,
    "é" * 36 + "k",  # 73 bytes but only 37 characters
    "🎉" * 18 + "k",  # 73 bytes but only 19 characters
])
def test_password_over_72_bytes_is_refused(password):
    with pytest.raises(ValidationError, match="72 bytes"):
        check_password(password)


def _common_passwords() -> list[str]:
    lines = read_data_text("common-passwords.txt").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_common_passwords_are_refused_ignoring_case():
    common = _common_passwords()
    assert len(common) > 20
    for password in (common[0], common[-1], "PassWord1234", "CorrectHorseBatteryStaple"):
        with pytest.raises(ValidationError, match="too common"):
            check_password(password)
    assert check_password("purple-otter-lamp") == "purple-otter-lamp"


def test_password_containing_the_email_name_is_refused():
    with pytest.raises(ValidationError, match="email name"):
        check_password("my-Bill.Boquet-2030", "bill.boquet@epic.test")
    assert check_password("purple-otter-lamp", "bill.boquet@epic.test")


def test_user_with_weak_password_is_not_created(staff):
    for weak in ("short", "password1234", "karen-secret-2030", "k" * 73):
        with pytest.raises(ValidationError) as err:
            users.create_user(staff["management"], email="karen@epic.test", full_name="Karen",
                              department="support", employee_number="S099", password=weak)
        assert err.value.field == "password"
        assert weak not in str(err.value)
    assert not User.select().where(User.email == "karen@epic.test").exists()
