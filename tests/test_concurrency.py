"""Two shells at once: stale edits are refused, payments never take the amount due below zero.

The threads below each use their own database connection (peewee keeps one per
thread), so on PostgreSQL these are two real sessions and on SQLite two connections
to the same file: the same situation as two staff members in two shells.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PASSWORD

from epicshell.errors import AuthenticationError, ConflictError, EpicError, ValidationError
from epicshell.models import AuditEntry, Client, Contract, Event, Payment, User, database
from epicshell.services import auth, clients, contracts, events, users
from epicshell.services.base import mutation


def _audit_count() -> int:
    return AuditEntry.select().count()


def _in_own_connection(call):
    """Run CALL in a thread with its own connection; return its result or raise its error."""
    def run():
        try:
            return call()
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_second_of_two_client_edits_from_the_same_load_is_refused(staff, make):
    client = make.client(company="Original")
    bill, boss = staff["commercial"], staff["management"]
    seen_by_bill = clients.get_client(bill, client.id).version
    seen_by_boss = clients.get_client(boss, client.id).version
    clients.update_client(bill, client.id, company="Bill's edit", expected_version=seen_by_bill)
    entries = _audit_count()
    with pytest.raises(ConflictError, match="changed by someone else"):
        clients.update_client(boss, client.id, company="Boss's edit", expected_version=seen_by_boss)
    stored = Client.get_by_id(client.id)
    assert stored.company == "Bill's edit" and stored.version == seen_by_bill + 1
    assert _audit_count() == entries
    clients.update_client(boss, client.id, company="Boss's edit", expected_version=stored.version)
    assert Client.get_by_id(client.id).company == "Boss's edit"


def test_second_of_two_contract_edits_is_refused(staff, make):
    contract = make.contract(total="1000.00")
    seen = contracts.get_contract(staff["commercial"], contract.id).version
    contracts.update_contract(staff["commercial"], contract.id, due="900.00", expected_version=seen)
    with pytest.raises(ConflictError):
        contracts.update_contract(staff["management"], contract.id, total="2000.00", expected_version=seen)
    stored = Contract.get_by_id(contract.id)
    assert (stored.total_cents, stored.due_cents) == (100000, 90000)


def test_a_payment_makes_an_open_contract_edit_stale(staff, make):
    contract = make.contract(total="1000.00", signed=True)
    seen = contracts.get_contract(staff["management"], contract.id).version
    contracts.pay_contract(staff["commercial"], contract.id, "100.00")
    with pytest.raises(ConflictError):
        contracts.update_contract(staff["management"], contract.id, due="1000.00", expected_version=seen)
    assert Contract.get_by_id(contract.id).due_cents == 90000


def test_second_of_two_event_edits_is_refused(staff, make):
    event = make.event(support="support", notes="first")
    seen = events.get_event(staff["support"], event.id).version
    events.update_event(staff["support"], event.id, notes="support's notes", expected_version=seen)
    with pytest.raises(ConflictError):
        events.update_event(staff["management"], event.id, notes="manager's notes", expected_version=seen)
    assert Event.get_by_id(event.id).notes == "support's notes"


def test_second_of_two_user_edits_is_refused(staff):
    boss = staff["management"]
    seen = users.get_user(boss, staff["support"].id).version
    users.update_user(boss, staff["support"].id, full_name="Sue One", expected_version=seen)
    with pytest.raises(ConflictError):
        users.update_user(boss, staff["support"].id, full_name="Sue Two", expected_version=seen)
    assert User.get_by_id(staff["support"].id).full_name == "Sue One"


def test_edits_from_two_connections_conflict_too(staff, make):
    client = make.client(company="Original")
    seen = client.version
    _in_own_connection(lambda: clients.update_client(
        staff["commercial"], client.id, company="Other shell", expected_version=seen))
    with pytest.raises(ConflictError):
        clients.update_client(staff["management"], client.id, company="This shell", expected_version=seen)
    assert Client.get_by_id(client.id).company == "Other shell"


def test_a_payment_larger_than_the_fresh_due_is_refused(staff, make):
    contract = make.contract(total="100.00", signed=True)
    loaded = contracts.get_contract(staff["commercial"], contract.id)  # this shell sees 100.00 due
    _in_own_connection(lambda: contracts.pay_contract(staff["management"], contract.id, "70.00"))
    assert loaded.due_cents == 10000
    with pytest.raises(ValidationError, match="more than the amount due"):
        contracts.pay_contract(staff["commercial"], loaded.id, "50.00")
    assert Contract.get_by_id(contract.id).due_cents == 3000
    assert Payment.select().count() == 1


def test_a_payment_waits_for_a_concurrent_one_and_sees_its_result(staff, make):
    """Shell A pays and holds its transaction open; shell B's payment must wait for A's
    commit and then be judged against the new amount due."""
    contract = make.contract(total="100.00", signed=True)
    a_paid, a_committed = threading.Event(), threading.Event()
    outcome = {}

    def shell_a():
        with mutation():
            contracts.pay_contract(staff["management"], contract.id, "60.00")
            a_paid.set()
            time.sleep(0.5)  # B is now trying to pay
            a_committed.set()

    def shell_b():
        assert a_paid.wait(10)
        try:
            contracts.pay_contract(staff["commercial"], contract.id, "60.00")
            outcome["b"] = "paid"
        except ValidationError:
            outcome["b"] = "refused"
        outcome["a_committed_first"] = a_committed.is_set()

    threads = [threading.Thread(target=_closing(run)) for run in (shell_a, shell_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcome == {"b": "refused", "a_committed_first": True}
    assert Contract.get_by_id(contract.id).due_cents == 4000
    assert [p.amount_cents for p in Payment.select()] == [6000]


def _closing(run):
    def wrapped():
        try:
            run()
        finally:
            database.close()

    return wrapped


def test_many_simultaneous_payments_never_take_the_due_below_zero(staff, make):
    contract = make.contract(total="100.00", signed=True)
    start = threading.Barrier(8)

    def pay():
        start.wait(10)
        try:
            contracts.pay_contract(staff["commercial"], contract.id, "30.00")
            return "paid"
        except ValidationError:
            return "refused"
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [f.result() for f in [pool.submit(pay) for _ in range(8)]]
    assert sorted(results) == ["paid"] * 3 + ["refused"] * 5
    stored = Contract.get_by_id(contract.id)
    assert stored.due_cents == 1000
    assert stored.due_cents == stored.total_cents - sum(p.amount_cents for p in Payment.select())


def test_two_simultaneous_signatures_sign_once(staff, make):
    contract = make.contract()
    start = threading.Barrier(2)

    def sign(actor):
        start.wait(10)
        try:
            contracts.sign_contract(actor, contract.id)
            return "signed"
        except EpicError as err:
            return str(err)
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(sign, (staff["commercial"], staff["management"])))
    assert sorted(results)[1] == "signed"
    assert "only a draft can be signed" in sorted(results)[0]
    assert AuditEntry.select().where(AuditEntry.action == "sign").count() == 2  # two fields, once


def _at_once(count: int, call) -> list:
    """Run CALL in COUNT threads released together; each on its own connection."""
    start = threading.Barrier(count)

    def run(n):
        start.wait(10)
        try:
            return call(n)
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_simultaneous_wrong_passwords_are_all_counted(staff):
    def attempt(_n):
        with pytest.raises(AuthenticationError):
            auth.login("bill@epic.test", "not the right password")

    _at_once(auth.MAX_FAILURES - 1, attempt)
    assert User.get_by_id(staff["commercial"].id).failed_logins == auth.MAX_FAILURES - 1
    attempt(0)
    assert User.get_by_id(staff["commercial"].id).locked_until is not None


def test_two_simultaneous_first_runs_create_one_account(db):
    def setup(n):
        try:
            auth.setup_first_user(f"boss{n}@epic.test", f"Boss {n}", f"M00{n}", PASSWORD)
            return "created"
        except EpicError:
            return "refused"

    assert sorted(_at_once(2, setup)) == ["created", "refused"]
    assert User.select().count() == 1
