""""showing 1-50 of N" (commands.md §7): exact up to 10,000, "10,000+" above, `--count` exact."""
from __future__ import annotations

from epicshell.models import Client, database
from epicshell.services import clients, contracts, events, history, users
from epicshell.services.base import COUNT_CAP
from epicshell.services.search import client_text


def _add_clients(owner, count: int, start: int = 0) -> None:
    """Clients in bulk, as an importer writes them (search text included)."""
    rows = [{"full_name": f"Bulk {n}", "name_key": f"bulk {n}", "email": f"bulk{n}@example.com",
             "commercial": owner.id, "search_text": client_text(f"Bulk {n}", f"bulk{n}@ex.com", None)}
            for n in range(start, start + count)]
    with database.atomic():
        for first in range(0, len(rows), 1000):
            Client.insert_many(rows[first:first + 1000]).execute()


def _footer(shell, line: str) -> str:
    return shell.ok(line).out.splitlines()[-1]


def test_counts_are_exact_up_to_the_cap_then_capped_unless_asked(shell, staff):
    _add_clients(staff["commercial"], COUNT_CAP)
    assert _footer(shell, "client list --limit 2") == "showing 1-2 of 10,000 (next: --page 2)"
    assert _footer(shell, "client list --limit 2 --page 5000") == "showing 9,999-10,000 of 10,000"
    _add_clients(staff["commercial"], 1, start=COUNT_CAP)
    assert _footer(shell, "client list --limit 2") == "showing 1-2 of 10,000+ (next: --page 2)"
    assert _footer(shell, "client search bulk --limit 2") == (
        "showing 1-2 of 10,000+ (next: --page 2)")
    assert _footer(shell, "client list --limit 2 --count") == "showing 1-2 of 10,001 (next: --page 2)"
    assert _footer(shell, "client search bulk --limit 2 --count") == (
        "showing 1-2 of 10,001 (next: --page 2)")
    assert _footer(shell, "client list --limit 2 --page 5001") == "showing 10,001-10,001 of 10,000+"
    rows = shell.ok("client list --limit 2 --format json").json()  # JSON: the rows, nothing else
    assert [r["full_name"] for r in rows] == ["Bulk 0", "Bulk 1"]
    assert len(shell.ok("client list --limit 2 --count --format csv").csv()) == 2


def test_pages_say_whether_the_total_is_capped(staff, make):
    sue, boss = staff["support"], staff["management"]
    _add_clients(staff["commercial"], COUNT_CAP + 1)
    capped = clients.list_clients(sue, limit=1)
    assert (capped.total, capped.capped, capped.total_text) == (COUNT_CAP, True, "10,000+")
    exact = clients.list_clients(sue, limit=1, count=True)
    assert (exact.total, exact.capped, exact.total_text) == (COUNT_CAP + 1, False, "10,001")
    make.event()
    every = {"count": True, "limit": 1000}
    for listing in (contracts.list_contracts(sue, **every), events.list_events(sue, **every),
                    users.list_users(boss, **every), history.audit_log(boss, **every),
                    history.record_history(boss, "user", boss.id, **every)):
        assert not listing.capped and listing.total == len(listing.rows) >= 1
