"""Staff accounts through the services: create, update, (de)activate, delete, passwords."""
from __future__ import annotations

import pytest
from conftest import PASSWORD

from epicshell.errors import AuthenticationError, EpicError, NotFound, PermissionDenied, ValidationError
from epicshell.models import AuditEntry, Client, Contract, Event, Payment, User
from epicshell.security import verify_password
from epicshell.services import auth, contracts, users

NEW_PASSWORD = "violet-harbour-9107"


def _stored(user) -> User:
    return User.get_by_id(user.id)


def _create(boss, **fields):
    values = {"email": "zoe@epic.test", "full_name": "Zoe Kim", "department": "support",
              "employee_number": "S100", "password": PASSWORD}
    values.update(fields)
    return users.create_user(boss, **values)


def test_create_stores_a_salted_hash_never_the_password(staff):
    zoe = _create(staff["management"])
    stored = _stored(zoe)
    assert (stored.email, stored.full_name, stored.department, stored.employee_number) == (
        "zoe@epic.test", "Zoe Kim", "support", "S100")
    assert stored.active and stored.password_hash.startswith("$2b$")
    assert PASSWORD not in stored.password_hash and verify_password(PASSWORD, stored.password_hash)
    twin = _create(staff["management"], email="zed@epic.test", employee_number="S101")
    assert _stored(twin).password_hash != stored.password_hash  # salted


@pytest.mark.parametrize("fields, field", [
    ({"employee_number": "C001"}, "employee_number"),
    ({"employee_number": "has space"}, "employee_number"),
    ({"email": "Bill@EPIC.test"}, "email"),
    ({"full_name": " "}, "full_name"),
    ({"department": "hr"}, "department"),
])
def test_invalid_or_duplicate_values_create_no_user(staff, fields, field):
    count = User.select().count()
    with pytest.raises(ValidationError) as err:
        _create(staff["management"], **fields)
    assert err.value.field == field
    assert User.select().count() == count


def test_update_changes_fields_and_name_key(staff):
    boss, sue = staff["management"], staff["support"]
    users.update_user(boss, sue.id, email="Susan@Epic.Test", full_name="Susan Port",
                      employee_number="S900")
    stored = _stored(sue)
    assert (stored.email, stored.full_name, stored.name_key, stored.employee_number) == (
        "susan@epic.test", "Susan Port", "susan port", "S900")
    assert stored.session_version == sue.session_version  # not a security change


def test_department_change_ends_sessions(staff):
    boss = staff["management"]
    spare = _create(boss)
    users.update_user(boss, spare.id, department="gestion")
    stored = _stored(spare)
    assert stored.department == "management"
    assert stored.session_version == spare.session_version + 1


def test_department_change_is_refused_while_owning_records(staff, make):
    make.client()
    with pytest.raises(EpicError, match="still own 1 client"):
        users.update_user(staff["management"], staff["commercial"].id, department="support")
    assert _stored(staff["commercial"]).department == "commercial"


def test_nobody_changes_their_own_department(staff):
    with pytest.raises(PermissionDenied):
        users.update_user(staff["management"], staff["management"].id, department="support")
    assert _stored(staff["management"]).department == "management"


def test_deactivate_then_activate(staff):
    boss, sam = staff["management"], staff["support2"]
    users.deactivate_user(boss, sam.id)
    assert not _stored(sam).active and _stored(sam).session_version == sam.session_version + 1
    with pytest.raises(AuthenticationError):
        auth.login("sam@epic.test", PASSWORD)
    users.activate_user(boss, sam.id)
    assert _stored(sam).active
    assert auth.login("sam@epic.test", PASSWORD).id == sam.id


def test_deactivated_user_keeps_their_records(staff, make):
    client = make.client()
    users.deactivate_user(staff["management"], staff["commercial"].id)
    assert Client.get_by_id(client.id).commercial_id == staff["commercial"].id


def test_nobody_deactivates_or_deletes_themselves(staff, db_snapshot):
    boss = staff["management"]
    before = db_snapshot()
    for call in (users.deactivate_user, users.delete_user):
        with pytest.raises(PermissionDenied, match="yourself"):
            call(boss, boss.id)
    assert db_snapshot() == before
    other_boss = _create(boss, department="management", email="max@epic.test", employee_number="M002")
    users.deactivate_user(other_boss, boss.id)  # another manager may
    assert not _stored(boss).active


def test_delete_a_user_who_owns_nothing(staff):
    spare = _create(staff["management"])
    users.delete_user(staff["management"], spare.id)
    assert User.get_or_none(User.id == spare.id) is None
    with pytest.raises(NotFound):
        users.delete_user(staff["management"], spare.id)


def _owning_world(make):
    client = make.client()
    contract = make.contract(client, signed=True)
    event = make.event(contract, support="support")
    return client, contract, event


def test_delete_is_refused_while_owning_records(staff, make, db_snapshot):
    _owning_world(make)
    boss = staff["management"]
    before = db_snapshot()
    with pytest.raises(EpicError, match="still own 1 client.*1 contract"):
        users.delete_user(boss, staff["commercial"].id)
    with pytest.raises(EpicError, match="still own 1 event"):
        users.delete_user(boss, staff["support"].id)
    assert db_snapshot() == before


@pytest.mark.parametrize("heir, message", [
    ("support2", "not commercial"),  # another department
    ("management", "not commercial"),
    ("commercial", "another user"),  # themselves
])
def test_reassign_to_must_be_another_user_of_the_same_department(staff, make, db_snapshot, heir, message):
    _owning_world(make)
    before = db_snapshot()
    with pytest.raises(ValidationError, match=message) as err:
        users.delete_user(staff["management"], staff["commercial"].id, reassign_to=staff[heir].id)
    assert err.value.field == "reassign_to"
    assert db_snapshot() == before


def test_reassign_to_must_be_active(staff, make, db_snapshot):
    _owning_world(make)
    users.deactivate_user(staff["management"], staff["commercial2"].id)
    before = db_snapshot()
    with pytest.raises(ValidationError, match="deactivated"):
        users.delete_user(staff["management"], staff["commercial"].id,
                          reassign_to=staff["commercial2"].id)
    assert db_snapshot() == before


def test_delete_with_reassign_moves_everything_then_deletes(staff, make):
    client, contract, event = _owning_world(make)
    boss, bill, cara = staff["management"], staff["commercial"], staff["commercial2"]
    contracts.pay_contract(bill, contract.id, "10.00")
    users.delete_user(boss, bill.id, reassign_to=cara.id)
    assert User.get_or_none(User.id == bill.id) is None
    assert Client.get_by_id(client.id).commercial_id == cara.id
    assert Contract.get_by_id(contract.id).commercial_id == cara.id
    assert Payment.get(Payment.contract == contract.id).recorded_by_id is None
    bills_entries = AuditEntry.select().where(AuditEntry.actor_name == "Bill Boquet")
    assert bills_entries.count() > 0 and all(e.actor_id is None for e in bills_entries)
    users.delete_user(boss, staff["support"].id, reassign_to=staff["support2"].id)
    assert Event.get_by_id(event.id).support_id == staff["support2"].id


def test_change_own_password(staff):
    bill = staff["commercial"]
    with pytest.raises(ValidationError) as err:
        users.change_own_password(bill, current="wrong password!", new=NEW_PASSWORD)
    assert err.value.field == "current_password"
    for weak in ("short", "password1234", "bill-is-my-name"):
        with pytest.raises(ValidationError):
            users.change_own_password(bill, current=PASSWORD, new=weak)
    with pytest.raises(ValidationError, match="differ"):
        users.change_own_password(bill, current=PASSWORD, new=PASSWORD)
    assert _stored(bill).session_version == bill.session_version
    users.change_own_password(bill, current=PASSWORD, new=NEW_PASSWORD)
    assert _stored(bill).session_version == bill.session_version + 1
    assert auth.login("bill@epic.test", NEW_PASSWORD).id == bill.id
    with pytest.raises(AuthenticationError):
        auth.login("bill@epic.test", PASSWORD)


def test_reset_password_unlocks_and_ends_sessions(staff):
    sue = staff["support"]
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.login("sue@epic.test", "wrong password!")
    assert _stored(sue).locked_until is not None
    with pytest.raises(ValidationError):
        users.reset_password(staff["management"], sue.id, new="123456789012")
    users.reset_password(staff["management"], sue.id, new=NEW_PASSWORD)
    stored = _stored(sue)
    assert stored.locked_until is None and stored.session_version > sue.session_version
    assert auth.login("sue@epic.test", NEW_PASSWORD).id == sue.id


def test_list_and_view_users(staff):
    boss = staff["management"]
    users.deactivate_user(boss, staff["support2"].id)
    assert users.list_users(boss).total == 5
    assert [u.email for u in users.list_users(boss, department="support").rows] == [
        "sue@epic.test", "sam@epic.test"]
    assert [u.email for u in users.list_users(boss, department="gestion").rows] == ["ana@epic.test"]
    assert [u.email for u in users.list_users(boss, inactive=True).rows] == ["sam@epic.test"]
    assert [u.email for u in users.list_users(boss, search="sue@").rows] == ["sue@epic.test"]
    assert [u.email for u in users.list_users(boss, search="BOQUET").rows] == ["bill@epic.test"]
    assert users.get_user(boss, staff["support"].id).full_name == "Sue Port"
    with pytest.raises(NotFound):
        users.get_user(boss, 999)
