"""Records as plain dicts with the stable keys of commands.md §2, in that order.

Every front end (table, CSV, JSON, an export) starts from these, so a key is named
in exactly one place. Values keep their Python types (datetime in UTC, amounts as
two-decimal strings); the renderer decides how to print them.
"""
from __future__ import annotations

from ..models import AuditEntry, Client, Contract, Event, User
from ..validation import format_cents

USER_KEYS = ("id", "email", "full_name", "department", "employee_number", "active", "created_at")
CLIENT_KEYS = ("id", "full_name", "email", "phone", "company", "commercial_id", "commercial",
               "created_at", "updated_at")
CONTRACT_KEYS = ("id", "client_id", "client", "commercial_id", "commercial", "total", "due",
                 "status", "signed_at", "created_at", "updated_at")
EVENT_KEYS = ("id", "name", "contract_id", "client", "client_email", "client_phone",
              "support_id", "support", "start", "end", "location", "attendees", "notes")
AUDIT_KEYS = ("at", "actor", "action", "entity", "entity_id", "field", "old", "new")


def user_record(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "department": user.department,
        "employee_number": user.employee_number,
        "active": bool(user.active),
        "created_at": user.created_at,
    }


def client_record(client: Client) -> dict:
    return {
        "id": client.id,
        "full_name": client.full_name,
        "email": client.email,
        "phone": client.phone,
        "company": client.company,
        "commercial_id": client.commercial_id,
        "commercial": client.commercial.full_name,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def contract_record(contract: Contract) -> dict:
    return {
        "id": contract.id,
        "client_id": contract.client_id,
        "client": contract.client.full_name,
        "commercial_id": contract.commercial_id,
        "commercial": contract.commercial.full_name,
        "total": format_cents(contract.total_cents),
        "due": format_cents(contract.due_cents),
        "status": contract.status,
        "signed_at": contract.signed_at,
        "created_at": contract.created_at,
        "updated_at": contract.updated_at,
    }


def event_record(event: Event) -> dict:
    client = event.contract.client
    return {
        "id": event.id,
        "name": event.name,
        "contract_id": event.contract_id,
        "client": client.full_name,
        "client_email": client.email,
        "client_phone": client.phone,
        "support_id": event.support_id,
        "support": event.support.full_name if event.support_id else None,
        "start": event.start,
        "end": event.end,
        "location": event.location,
        "attendees": event.attendees,
        "notes": event.notes,
    }


def audit_record(entry: AuditEntry) -> dict:
    return {
        "at": entry.at,
        "actor": entry.actor_name,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "field": entry.field,
        "old": entry.old,
        "new": entry.new,
    }
