"""The audit trail and the post-commit notices.

Every mutation leaves, in its own transaction, one entry per changed field with the
old and new values (never a password hash); a refused or failed mutation leaves none.
Notices for monitoring arrive only after the commit, and never for what failed.
"""
from __future__ import annotations

import threading

import pytest
from conftest import PASSWORD

from epicshell.errors import AuthenticationError, ConflictError, EpicError, PermissionDenied, ValidationError
from epicshell.models import AuditEntry, Contract, User, database
from epicshell.services import auth, clients, contracts, events, history, users
from epicshell.services.base import mutation, subscribe
from epicshell.validation import parse_datetime

NEW_PASSWORD = "violet-harbour-9107"


def _mark() -> int:
    return AuditEntry.select().order_by(AuditEntry.id.desc()).first().id


def _since(mark: int) -> set[tuple]:
    """(action, entity, field, old, new) of the entries written after MARK."""
    return {(e.action, e.entity, e.field, e.old, e.new)
            for e in AuditEntry.select().where(AuditEntry.id > mark)}


def test_client_mutations_record_exactly_what_changed(staff, make):
    bill, boss = staff["commercial"], staff["management"]
    mark = _mark()
    client = clients.create_client(bill, full_name="Kevin Casey", email="kevin@startup.io",
                                   phone="+33 6 12 34 56 78")
    assert _since(mark) == {
        ("create", "client", "full_name", None, "Kevin Casey"),
        ("create", "client", "email", None, "kevin@startup.io"),
        ("create", "client", "phone", None, "+33 6 12 34 56 78"),
        ("create", "client", "company", None, None),
        ("create", "client", "commercial", None, "Bill Boquet"),
    }
    entry = AuditEntry.select().where(AuditEntry.id > mark).first()
    assert (entry.actor_id, entry.actor_name, entry.entity_id) == (bill.id, "Bill Boquet", client.id)
    mark = _mark()
    clients.update_client(bill, client.id, phone="01 23 45 67 89", full_name="Kevin Casey")
    assert _since(mark) == {("update", "client", "phone", "+33 6 12 34 56 78", "01 23 45 67 89")}
    contract = make.contract(client)
    mark = _mark()
    clients.assign_client(boss, client.id, staff["commercial2"].id)
    assert _since(mark) == {("assign", "client", "commercial", "Bill Boquet", "Cara Dune"),
                            ("assign", "contract", "commercial", "Bill Boquet", "Cara Dune")}
    assert history.record_history(bill, "contract", contract.id).rows[-1].action == "assign"


def test_contract_mutations_record_exactly_what_changed(staff, make):
    boss, client = staff["management"], make.client(full_name="Kevin Casey")
    mark = _mark()
    contract = contracts.create_contract(boss, client.id, total="1000", due="800.5")
    assert _since(mark) == {("create", "contract", "client", None, "Kevin Casey"),
                            ("create", "contract", "total", None, "1000.00"),
                            ("create", "contract", "due", None, "800.50"),
                            ("create", "contract", "status", None, "draft"),
                            ("create", "contract", "adjustment", None, "199.50")}
    mark = _mark()
    contracts.update_contract(boss, contract.id, total="1000.00", due="900")
    assert _since(mark) == {("update", "contract", "due", "800.50", "900.00"),
                            ("update", "contract", "adjustment", None, "-99.50")}
    mark = _mark()
    contracts.sign_contract(boss, contract.id)
    signed_at = Contract.get_by_id(contract.id).signed_at.isoformat(sep=" ", timespec="minutes") + " UTC"
    assert _since(mark) == {("sign", "contract", "status", "draft", "signed"),
                            ("sign", "contract", "signed_at", None, signed_at)}
    mark = _mark()
    contracts.pay_contract(boss, contract.id, "150.25")
    assert _since(mark) == {("pay", "contract", "due", "900.00", "749.75"),
                            ("pay", "contract", "payment", None, "150.25")}
    mark = _mark()
    contracts.cancel_contract(boss, contract.id)
    assert _since(mark) == {("cancel", "contract", "status", "signed", "cancelled")}


def _utc_text(local: str) -> str:
    return parse_datetime(local).isoformat(sep=" ", timespec="minutes") + " UTC"


def test_event_mutations_record_exactly_what_changed(staff, make):
    boss, contract = staff["management"], make.contract(signed=True)
    mark = _mark()
    event = events.create_event(boss, contract.id, name="Gala", start="2031-03-01 18:00",
                                end="2031-03-01 23:00", location="Nice", attendees=100)
    assert _since(mark) == {("create", "event", "name", None, "Gala"),
                            ("create", "event", "start", None, _utc_text("2031-03-01 18:00")),
                            ("create", "event", "end", None, _utc_text("2031-03-01 23:00")),
                            ("create", "event", "location", None, "Nice"),
                            ("create", "event", "attendees", None, "100")}
    mark = _mark()
    events.assign_event(boss, event.id, staff["support"].id)
    assert _since(mark) == {("assign", "event", "support", None, "Sue Port")}
    mark = _mark()
    events.update_event(staff["support"], event.id, attendees=120, location="Nice", end="2031-03-02")
    assert _since(mark) == {("update", "event", "attendees", "100", "120"),
                            ("update", "event", "end", _utc_text("2031-03-01 23:00"),
                             _utc_text("2031-03-02 00:00"))}


def test_user_mutations_record_what_changed_and_never_a_hash(staff, make):
    boss = staff["management"]
    mark = _mark()
    zoe = users.create_user(boss, email="zoe@epic.test", full_name="Zoe Kim", department="support",
                            employee_number="S100", password=PASSWORD)
    assert _since(mark) == {("create", "user", "email", None, "zoe@epic.test"),
                            ("create", "user", "full_name", None, "Zoe Kim"),
                            ("create", "user", "department", None, "support"),
                            ("create", "user", "employee_number", None, "S100")}
    steps = [
        (lambda: users.update_user(boss, zoe.id, full_name="Zoe Park", department="gestion"),
         {("update", "user", "full_name", "Zoe Kim", "Zoe Park"),
          ("update", "user", "department", "support", "management")}),
        (lambda: users.deactivate_user(boss, zoe.id), {("deactivate", "user", "active", "yes", "no")}),
        (lambda: users.activate_user(boss, zoe.id), {("activate", "user", "active", "no", "yes")}),
        (lambda: users.reset_password(boss, zoe.id, new=NEW_PASSWORD),
         {("password_reset", "user", "password", "(hidden)", "(changed)")}),
        (lambda: users.change_own_password(staff["support"], current=PASSWORD, new=NEW_PASSWORD),
         {("password_change", "user", "password", "(hidden)", "(changed)")}),
        (lambda: users.delete_user(boss, zoe.id),
         {("delete", "user", "email", "zoe@epic.test", None),
          ("delete", "user", "full_name", "Zoe Park", None)}),
    ]
    for step, expected in steps:
        mark = _mark()
        step()
        assert _since(mark) == expected
    _assert_no_secret_in_the_trail()


def test_reassignment_and_lockout_are_recorded(staff, make):
    client = make.client()
    mark = _mark()
    users.delete_user(staff["management"], staff["commercial"].id, reassign_to=staff["commercial2"].id)
    assert ("reassign", "client", "commercial", "Bill Boquet", "Cara Dune") in _since(mark)
    moved = AuditEntry.get(AuditEntry.action == "reassign", AuditEntry.entity == "client")
    assert moved.entity_id == client.id
    mark = _mark()
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.login("sue@epic.test", "wrong password!")
    lock = AuditEntry.get(AuditEntry.id > mark)
    assert (lock.action, lock.entity, lock.entity_id, lock.field, lock.actor_id) == (
        "lock", "user", staff["support"].id, "locked_until", None)


def _assert_no_secret_in_the_trail() -> None:
    for entry in AuditEntry.select():
        for column in ("actor_name", "action", "entity", "field", "old", "new"):
            text = getattr(entry, column) or ""
            assert "$2b$" not in text and PASSWORD not in text and NEW_PASSWORD not in text, entry.id


def test_refused_and_failed_mutations_leave_no_entry(staff, make):
    boss, bill = staff["management"], staff["commercial"]
    contract = make.contract(total="100.00", signed=True)
    client = make.client()
    mark = _mark()
    failing = [
        (PermissionDenied, lambda: contracts.cancel_contract(bill, contract.id)),
        (PermissionDenied, lambda: users.create_user(bill, email="x@epic.test", full_name="X",
                                                     department="support", employee_number="X1",
                                                     password=PASSWORD)),
        (ValidationError, lambda: contracts.pay_contract(bill, contract.id, "100.01")),
        (ValidationError, lambda: clients.update_client(bill, client.id, email="bad")),
        (ValidationError, lambda: users.create_user(boss, email="x@epic.test", full_name="X",
                                                    department="support", employee_number="X1",
                                                    password="short")),
        (EpicError, lambda: contracts.sign_contract(boss, contract.id)),
        (ConflictError, lambda: clients.update_client(bill, client.id, company="Late",
                                                      expected_version=client.version + 7)),
        (EpicError, lambda: users.delete_user(boss, bill.id)),
    ]
    for error, call in failing:
        with pytest.raises(error):
            call()
    assert _since(mark) == set()


def test_a_mutation_rolled_back_after_its_audit_leaves_nothing(staff, make):
    contract = make.contract()
    mark = _mark()
    with pytest.raises(RuntimeError):
        with mutation():
            contracts.sign_contract(staff["management"], contract.id)
            assert _since(mark)  # written inside the transaction...
            raise RuntimeError("the wider operation failed")
    assert _since(mark) == set()  # ...and gone with it
    assert Contract.get_by_id(contract.id).status == "draft"


# --- post-commit notices -------------------------------------------------------------


def _visible_elsewhere(model, ident) -> bool:
    """Whether another connection (another shell) can see the row: i.e. it is committed."""
    seen = []

    def look():
        try:
            seen.append(model.get_or_none(model.id == ident) is not None)
        finally:
            database.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(10)
    return seen == [True]


@pytest.fixture
def notices():
    received = []

    def listener(action, data):
        ident = data.get("user_id") or data.get("contract_id")
        model = User if "user_id" in data else Contract
        received.append((action, database.in_transaction(), _visible_elsewhere(model, ident), data))

    unsubscribe = subscribe(listener)
    yield received
    unsubscribe()


def test_notices_arrive_after_the_commit(staff, make, notices):
    zoe = users.create_user(staff["management"], email="zoe@epic.test", full_name="Zoe Kim",
                            department="support", employee_number="S100", password=PASSWORD)
    contract = make.contract()
    contracts.sign_contract(staff["commercial"], contract.id)
    by_action = {action: (in_tx, visible, data) for action, in_tx, visible, data in notices}
    assert by_action["user.created"][:2] == (False, True)
    assert by_action["user.created"][2]["user_id"] == zoe.id
    assert by_action["contract.signed"][:2] == (False, True)
    assert by_action["contract.signed"][2]["actor_id"] == staff["commercial"].id
    for _action, _in_tx, _visible, data in notices:
        assert not any("@" in str(value) for value in data.values()), "no personal data in notices"


def test_refused_or_failed_actions_deliver_no_notice(staff, make, notices):
    contract = make.contract(signed=True)
    notices.clear()
    with pytest.raises(PermissionDenied):
        contracts.sign_contract(staff["support"], contract.id)
    with pytest.raises(EpicError):
        contracts.sign_contract(staff["management"], contract.id)  # already signed
    with pytest.raises(ValidationError):
        users.create_user(staff["management"], email="zoe@epic.test", full_name="Zoe Kim",
                          department="support", employee_number="S100", password="short")
    draft = make.contract()
    notices.clear()
    with pytest.raises(RuntimeError):
        with mutation():
            contracts.sign_contract(staff["management"], draft.id)
            raise RuntimeError("rolled back")
    assert notices == []


def test_a_broken_listener_neither_undoes_nor_hides_the_change(staff, make, notices):
    def broken(action, data):
        raise RuntimeError("monitoring is down")

    unsubscribe = subscribe(broken)
    try:
        contract = make.contract()
        contracts.sign_contract(staff["management"], contract.id)
    finally:
        unsubscribe()
    assert Contract.get_by_id(contract.id).status == "signed"
    assert "contract.signed" in [n[0] for n in notices]
