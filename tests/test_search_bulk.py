"""The search index follows the bulk writers too: imports and erasure (commands.md §8, §10, §11)."""
from __future__ import annotations

from test_search import assert_in_step

from epicshell.models import Client, Event, database
from epicshell.services.search import client_text, event_text


def _file(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _stored_texts_are_current():
    """The column holds what the record says, and the index agrees with the column (on
    SQLite, FTS5's own integrity check; the bulk writers' pause of its triggers is over)."""
    assert_in_step()
    if type(database.obj).__name__.startswith("Sqlite"):
        assert database.execute_sql("SELECT paused FROM search_index_paused").fetchone() == (0,)
    for client in Client.select():
        assert client.search_text == client_text(client.full_name, client.email, client.company)
    for event in Event.select():
        assert event.search_text == event_text(event.name, event.location,
                                               event.contract.client.full_name)


def test_imported_clients_and_events_are_found_by_search(shell, make, tmp_path):
    clients = _file(tmp_path, "clients.csv", "full_name,email,phone,company,commercial_email\n"
                    "Zoé Quintard,zoe@quintard.fr,,Brasserie Élan,bill@epic.test\n")
    shell.ok(f"client import {clients}")
    assert "Zoé Quintard" in shell.ok("client search quintard").out
    assert "Zoé Quintard" in shell.ok("client search ELAN").out  # accents and case folded

    contract = make.contract(total="100.00", signed=True)
    events = _file(tmp_path, "events.csv", "contract_id,name,start,end,location,attendees,notes,"
                   "support_email\n"
                   f"{contract.id},Gala Sérénade,2031-05-01 18:00,2031-05-01 23:00,Lyon,10,,\n")
    shell.ok(f"event import {events}")
    client_name = contract.client.full_name
    assert "Gala Sérénade" in shell.ok("event search serenade --format csv").out
    assert "Gala Sérénade" in shell.ok(f"event search '{client_name}' --format csv").out
    _stored_texts_are_current()
    shell.ok(f"client update {Client.get(Client.email == 'zoe@quintard.fr').id} "
             "--full-name 'Zoé Quintard-Martel'")  # the triggers work again after an import
    assert "Quintard-Martel" in shell.ok("client search martel --format csv").out
    _stored_texts_are_current()


def test_a_forgotten_client_is_no_longer_found_by_its_name(shell, make):
    client = make.client(full_name="Zébulon Marchetti", email="zeb@marchetti.it",
                         company="Marchetti SpA")
    make.event(make.contract(client, total="100.00", signed=True), name="Marchetti launch")
    assert "Zébulon Marchetti" in shell.ok("client search marchetti --format csv").out
    shell.ok(f"client forget {client.id} --yes")
    assert "no clients match" in shell.ok("client search zebulon").out
    assert "Marchetti" not in shell.ok("client search marchetti --format csv").out
    # The event keeps its own name, but no longer carries the client's.
    assert "no events match" in shell.ok("event search zebulon").out
    _stored_texts_are_current()
