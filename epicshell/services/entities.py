"""The kinds of record epicshell keeps, declared once.

The audit trail (`history`, `audit --entity`), the completion of record ids and the ids
monitoring may send all read this table. A new kind of record is a model, a migration,
a service module, a command module and one `Entity(...)` line here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import Client, Contract, Event, User


@dataclass(frozen=True)
class Entity:
    name: str
    model: type
    read_operation: str  # the policy operation that reads one record (and so its history)
    # The rows completion offers (id plus what `label` needs) and how each is shown.
    choices: Callable[[], object]
    label: Callable[[object], str]


def _client_label(client) -> str:
    return f"{client.full_name} — {client.company}" if client.company else client.full_name


ENTITIES: dict[str, Entity] = {entity.name: entity for entity in (
    Entity("user", User, "user.view",
           lambda: User.select(User.id, User.full_name, User.department),
           lambda u: f"{u.full_name} ({u.department})"),
    Entity("client", Client, "client.read",
           lambda: Client.select(Client.id, Client.full_name, Client.company),
           _client_label),
    Entity("contract", Contract, "contract.read",
           lambda: (Contract.select(Contract.id, Contract.status, Client.full_name)
                    .join(Client, on=(Contract.client == Client.id))),
           lambda c: f"{c.client.full_name} — {c.status}"),
    Entity("event", Event, "event.read",
           lambda: Event.select(Event.id, Event.name, Event.start),
           lambda e: f"{e.name} — {e.start:%Y-%m-%d}"),
)}
NAMES = tuple(ENTITIES)
