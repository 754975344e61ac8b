"""Clients through the services: who owns them, what a change does, lists and search."""
from __future__ import annotations

import pytest

from epicshell.errors import NotFound, PermissionDenied, ValidationError
from epicshell.models import Client, Contract
from epicshell.services import clients, users


def test_commercial_creates_a_client_assigned_to_themselves(staff):
    bill = staff["commercial"]
    client = clients.create_client(bill, full_name="Kevin Casey", email="kevin@startup.io",
                                   phone="+33 6 12 34 56 78", company="Cool Startup LLC")
    stored = Client.get_by_id(client.id)
    assert stored.commercial_id == bill.id
    assert (stored.full_name, stored.email, stored.company) == (
        "Kevin Casey", "kevin@startup.io", "Cool Startup LLC")
    assert stored.created_at is not None and stored.updated_at is not None


def test_commercial_cannot_create_a_client_for_someone_else(staff):
    with pytest.raises(PermissionDenied) as err:  # the rule import shares: refused, not ignored
        clients.create_client(staff["commercial"], full_name="Kevin Casey", email="kevin@startup.io",
                              commercial=staff["commercial2"].id)
    assert err.value.field == "commercial"
    assert Client.select().count() == 0


def test_management_must_name_the_commercial(staff):
    boss = staff["management"]
    with pytest.raises(ValidationError, match="required") as err:
        clients.create_client(boss, full_name="Kevin Casey", email="kevin@startup.io")
    assert err.value.field == "commercial"
    client = clients.create_client(boss, full_name="Kevin Casey", email="kevin@startup.io",
                                   commercial=staff["commercial2"].id)
    assert Client.get_by_id(client.id).commercial_id == staff["commercial2"].id


@pytest.mark.parametrize("owner", ["support", "management"])
def test_only_a_commercial_can_own_a_client(staff, owner):
    with pytest.raises(ValidationError, match="not in the commercial department"):
        clients.create_client(staff["management"], full_name="Kevin Casey", email="kevin@startup.io",
                              commercial=staff[owner].id)
    assert Client.select().count() == 0


def test_a_deactivated_commercial_cannot_own_a_client(staff, make):
    boss = staff["management"]
    users.deactivate_user(boss, staff["commercial2"].id)
    with pytest.raises(ValidationError, match="deactivated"):
        clients.create_client(boss, full_name="Kevin Casey", email="kevin@startup.io",
                              commercial=staff["commercial2"].id)
    client = make.client()
    with pytest.raises(ValidationError, match="deactivated"):
        clients.assign_client(boss, client.id, staff["commercial2"].id)
    assert Client.get_by_id(client.id).commercial_id == staff["commercial"].id


def test_a_missing_commercial_is_not_found(staff):
    with pytest.raises(NotFound):
        clients.create_client(staff["management"], full_name="Kevin Casey", email="kevin@startup.io",
                              commercial=9999)


@pytest.mark.parametrize("fields, field", [
    ({"full_name": ""}, "full_name"),
    ({"full_name": "x" * 101}, "full_name"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"company": "c" * 101}, "company"),
])
def test_invalid_client_values_are_refused(make, fields, field):
    with pytest.raises(ValidationError) as err:
        make.client(**fields)
    assert err.value.field == field
    assert Client.select().count() == 0


def test_update_changes_only_the_given_fields_and_bumps_the_version(staff, make):
    client = make.client(full_name="Kevin Casey", company="Cool Startup LLC")
    before = Client.get_by_id(client.id)
    clients.update_client(staff["commercial"], client.id, phone="01 23 45 67 89",
                          full_name="Kevin  Casey-Jones")
    after = Client.get_by_id(client.id)
    assert after.phone == "01 23 45 67 89"
    assert after.full_name == "Kevin  Casey-Jones" and after.name_key == "kevin  casey-jones"
    assert after.company == "Cool Startup LLC" and after.email == before.email
    assert after.version == before.version + 1
    assert after.updated_at >= before.updated_at
    assert after.created_at == before.created_at


def test_update_with_nothing_new_changes_nothing(staff, make, db_snapshot):
    client = make.client(company="Same")
    before = db_snapshot()
    clients.update_client(staff["commercial"], client.id, company="Same", email=client.email.upper())
    assert db_snapshot() == before


def test_update_can_clear_optional_fields(staff, make):
    client = make.client()
    clients.update_client(staff["management"], client.id, phone="", company="")
    stored = Client.get_by_id(client.id)
    assert stored.phone is None and stored.company is None


def test_update_of_a_missing_client_is_not_found(staff):
    with pytest.raises(NotFound):
        clients.update_client(staff["management"], 4242, company="Ghost")


def test_assign_moves_the_client_and_its_contracts(staff, make):
    client = make.client()
    first = make.contract(client)
    second = make.contract(client, signed=True)
    other = make.contract(make.client())
    clients.assign_client(staff["management"], client.id, staff["commercial2"].id)
    assert Client.get_by_id(client.id).commercial_id == staff["commercial2"].id
    assert {Contract.get_by_id(c.id).commercial_id for c in (first, second)} == {staff["commercial2"].id}
    assert Contract.get_by_id(other.id).commercial_id == staff["commercial"].id


def test_assign_to_the_current_owner_changes_nothing(staff, make, db_snapshot):
    client = make.client()
    before = db_snapshot()
    clients.assign_client(staff["management"], client.id, staff["commercial"].id)
    assert db_snapshot() == before


def _names(page) -> list[str]:
    return [c.full_name for c in page.rows]


def test_list_filters_and_sorts(staff, make):
    make.client(full_name="Bruno Alpha", company="Zeta")
    make.client("commercial2", full_name="Alice Beta", company="Alpha Corp")
    make.client(full_name="Chloe Gamma", company="Mid")
    bill, cara = staff["commercial"], staff["commercial2"]
    assert _names(clients.list_clients(bill)) == ["Bruno Alpha", "Alice Beta", "Chloe Gamma"]
    assert _names(clients.list_clients(bill, mine=True)) == ["Bruno Alpha", "Chloe Gamma"]
    assert _names(clients.list_clients(bill, commercial=cara.id)) == ["Alice Beta"]
    assert _names(clients.list_clients(bill, sort="name")) == ["Alice Beta", "Bruno Alpha", "Chloe Gamma"]
    assert _names(clients.list_clients(bill, sort="-company")) == [
        "Bruno Alpha", "Chloe Gamma", "Alice Beta"]
    with pytest.raises(ValidationError) as err:
        clients.list_clients(bill, sort="phone")
    assert err.value.field == "sort"


def test_search_ignores_case_and_matches_name_email_and_company(staff, make):
    make.client(full_name="Kevin Casey", email="kevin@startup.io", company="Cool Startup LLC")
    make.client(full_name="Dana Scully", email="dana@fbi.gov", company="FBI")
    sue = staff["support"]
    assert _names(clients.list_clients(sue, search="CASEY")) == ["Kevin Casey"]
    assert _names(clients.list_clients(sue, search="fbi.gov")) == ["Dana Scully"]
    assert _names(clients.list_clients(sue, search="cool startup")) == ["Kevin Casey"]
    assert _names(clients.list_clients(sue, search="nobody")) == []


def test_search_takes_like_wildcards_literally(staff, make):
    make.client(full_name="Percent Client", company="100% Organic")
    make.client(full_name="Plain Client", company="1000 Organic")
    make.client(full_name="Under_score", company="Other")
    make.client(full_name="Underscore", company="Other")
    sue = staff["support"]
    assert _names(clients.list_clients(sue, search="100%")) == ["Percent Client"]
    assert _names(clients.list_clients(sue, search="under_")) == ["Under_score"]


def test_paging_reports_the_total_and_the_window(staff, make):
    for n in range(7):
        make.client(full_name=f"Client {n:02d}")
    page = clients.list_clients(staff["support"], page=2, limit=3)
    assert page.total == 7
    assert _names(page) == ["Client 03", "Client 04", "Client 05"]
    assert (page.first, page.last) == (4, 6)
    empty = clients.list_clients(staff["support"], page=5, limit=3)
    assert empty.rows == [] and empty.total == 7 and (empty.first, empty.last) == (0, 0)
    for bad in ({"limit": 1001}, {"limit": -1}, {"page": -1}):
        with pytest.raises(ValidationError):
            clients.list_clients(staff["support"], **bad)


def test_view_returns_the_commercial_and_missing_id_is_not_found(staff, make):
    client = make.client()
    view = clients.get_client(staff["support"], client.id)
    assert view.commercial.full_name == "Bill Boquet"
    with pytest.raises(NotFound):
        clients.get_client(staff["support"], client.id + 100)
    with pytest.raises(ValidationError):
        clients.get_client(staff["support"], "abc")


def test_empty_database_lists_nothing_without_error(staff):
    page = clients.list_clients(staff["support"], search="x", sort="-updated")
    assert page.rows == [] and page.total == 0
