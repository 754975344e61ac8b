"""How many SQL statements each command costs, through the real dispatch, on both databases.

Every command line runs through `App.execute` (the session check included) inside
peewee's `count_queries`. The numbers are written here on purpose: a change that adds
a query to a command fails this test, and one that saves a query updates the number.
A second set of tests grows the related records and checks the count does not move:
no query per row anywhere.
"""
from __future__ import annotations

import pytest
from playhouse.test_utils import count_queries

from epicshell.services import contracts


def queries_of(shell, line: str) -> int:
    with count_queries() as counted:
        shell.ok(line)
    return counted.count


# (command line, statements): the session check is the first statement of every command.
EXPECTED = [
    ("client list", 3),  # session, count, page
    ("client list --mine --sort -name --page 2 --limit 1", 3),  # each shape: the same three
    ("client list --commercial {commercial} --count", 3),
    ("contract list", 3),
    ("event list", 3),
    ("user list", 3),
    ("client view {client}", 3),  # session, client+commercial+contracts, events
    ("contract view {signed}", 3),  # session, contract+client+commercial+payments, events
    ("event view {event}", 2),  # session, event+contract+client+commercial+support
    ("user view {commercial}", 2),  # session, user
    ("client create --full-name 'Kevin Casey' --email kevin@startup.io "
     "--commercial {commercial}", 5),  # session, commercial, email free, insert, audit
    ("client update {client} --phone '+33 6 00 00 00 00'", 4),  # session, lock, update, audit
    ("contract sign {draft}", 4),  # session, lock, update, audit
    ("contract pay {signed} 10", 5),  # session, lock, update due, payment, audit
    # session, lock event, lock support, previous support's name, update, audit
    ("event assign {event} {support2}", 7),  # + the contract: a cancelled one freezes its events
    # session, lock client, lock commercial, previous name, update, audit, its contracts,
    # update them, audit them (one INSERT for all)
    ("client assign {client} {commercial2}", 11),  # + events and payments keep the new commercial
    ("status", 1),
]


@pytest.mark.parametrize("line, expected", EXPECTED, ids=[" ".join(line.split()[:2])
                                                          for line, _ in EXPECTED])
def test_statements_per_command(shell, ids, line, expected):
    assert queries_of(shell, line.format(**ids)) == expected


def test_views_cost_the_same_whatever_they_show(shell, make, staff, ids):
    """More contracts, payments (recorded by different people) and events: same count."""
    client_before = queries_of(shell, f"client view {ids['client']}")
    contract_before = queries_of(shell, f"contract view {ids['signed']}")
    event_before = queries_of(shell, f"event view {ids['event']}")
    client = make.client("commercial")
    signed = make.contract(client, total="900.00", signed=True)
    for who in ("management", "commercial"):
        contracts.pay_contract(staff[who], signed.id, "10.00")
    for _ in range(3):
        make.contract(client)
        make.event(signed, support="support2")
    unassigned = make.event(signed, support=None)
    assert queries_of(shell, f"client view {client.id}") == client_before
    assert queries_of(shell, f"contract view {signed.id}") == contract_before
    assert queries_of(shell, f"event view {unassigned.id}") == event_before
    view = shell.ok(f"contract view {signed.id}").out
    assert "Ana Lopez" in view and "Bill Boquet" in view  # each payment's recorder


@pytest.mark.parametrize("line", ["client list", "contract list", "event list", "user list",
                                  "contract unpaid", "event upcoming --days 10000"])
def test_lists_cost_the_same_for_one_row_and_many(shell, make, line):
    make.event(make.contract(signed=True))
    one = queries_of(shell, line)
    for _ in range(4):
        make.event(make.contract(signed=True), support="support2")
    assert queries_of(shell, line) == one


def test_reassigning_many_contracts_is_not_one_statement_each(shell, make, staff):
    client = make.client("commercial")
    make.contract(client)
    one = queries_of(shell, f"client assign {client.id} {staff['commercial2'].id}")
    other = make.client("commercial")
    for _ in range(5):
        make.contract(other)
    assert queries_of(shell, f"client assign {other.id} {staff['commercial2'].id}") == one
