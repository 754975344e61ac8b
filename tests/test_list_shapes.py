"""Lists composed once per filter shape (services/shapes.py `Listing`) answer exactly as the
same list built afresh: same rows in the same order, same count, for every filter."""
from __future__ import annotations

import itertools

import pytest

from epicshell.services import base, clients
from epicshell.services.base import paginate
from epicshell.services.records import client_record


def _fresh_client_page(actor, *, mine=False, commercial=None, sort=None, page=1, limit=50,
                       count=False):
    """`client list` as it was built before shapes: the queries composed for this call."""
    query, counted = clients.client_query(actor, mine=mine, commercial=commercial)
    order = clients._order(clients._sort_key(sort))
    return paginate(query.order_by(*order), page, limit, count_query=counted, exact=count)


def _seen(page) -> tuple:
    return ([client_record(row) for row in page.rows], page.total, page.capped, page.page,
            page.limit, page.first, page.last, page.has_next)


@pytest.fixture
def clients_of_two_commercials(make):
    names = ["Zoé Martin", "anne Ortiz", "Émile Zola", "Bob Ng", "Chloé Ng", "bob ng"]
    for n, name in enumerate(names):
        make.client("commercial" if n % 3 else "commercial2", full_name=name,
                    company=None if n % 2 else f"Co {5 - n}")


SORTS = [None, "name", "-name", "company", "-company", "id", "-id", "updated", "-created"]


@pytest.mark.parametrize("who", ["management", "commercial", "support"])
def test_client_list_shapes_answer_as_fresh_queries(staff, clients_of_two_commercials, monkeypatch,
                                                    who):
    actor = staff[who]
    commercials = [None, staff["commercial"].id, staff["commercial2"].id, 999_999]
    for cap in (base.COUNT_CAP, 2):
        monkeypatch.setattr(base, "COUNT_CAP", cap)
        for mine, commercial, sort, (page, limit), count in itertools.product(
                (False, True), commercials, SORTS, ((1, 50), (1, 2), (2, 2), (3, 2), (9, 2)),
                (False, True)):
            given = dict(mine=mine, commercial=commercial, sort=sort, page=page, limit=limit,
                         count=count)
            assert _seen(clients.list_clients(actor, **given)) == \
                _seen(_fresh_client_page(actor, **given)), given


def test_a_shape_reused_with_other_values_reads_those_values(staff, make):
    mine = make.client("commercial", full_name="Bill's client")
    other = make.client("commercial2", full_name="Cara's client")
    for who, expected in (("commercial", mine), ("commercial2", other), ("commercial", mine)):
        page = clients.list_clients(staff[who], mine=True)
        assert [row.id for row in page.rows] == [expected.id]
        page = clients.list_clients(staff["management"], commercial=staff[who].id)
        assert [row.id for row in page.rows] == [expected.id]


def test_a_listed_client_carries_what_its_record_shows(staff, make):
    client = make.client("commercial", phone="+33 1 00 00 00 00", company="ACME")
    listed = clients.list_clients(staff["support"]).rows[0]
    assert client_record(listed) == client_record(clients.get_client(staff["support"], client.id))


def test_a_client_view_carries_what_its_records_show(staff, make):
    from epicshell.services import contracts, events, views
    from epicshell.services.records import contract_record, event_record

    client = make.client("commercial")
    signed = make.contract(client, signed=True)
    make.contract(client)
    make.event(signed, support="support")
    make.event(signed, support=None)
    shown = views.client_view(staff["support"], client.id)
    assert client_record(shown.client) == client_record(clients.get_client(staff["support"],
                                                                           client.id))
    assert [contract_record(c) for c in shown.contracts.rows] == [
        contract_record(contracts.get_contract(staff["support"], c.id))
        for c in shown.contracts.rows]
    assert len(shown.events.rows) == 2
    assert [event_record(e) for e in shown.events.rows] == [
        event_record(events.get_event(staff["support"], e.id)) for e in shown.events.rows]
