"""Reading the audit trail: one record's history, or the latest changes system-wide."""
from __future__ import annotations

from ..errors import NotFound, ValidationError
from ..models import AuditEntry
from ..validation import parse_datetime, parse_id
from .base import paginate
from .entities import ENTITIES, NAMES
from .policy import check, requires


def _entity(value: str, field: str = "entity") -> str:
    name = (value or "").strip().lower()
    if name not in ENTITIES:
        raise ValidationError(field, f"{value!r} is not one of {', '.join(NAMES)}")
    return name


@requires("history.read", write=False)
def record_history(actor, entity, entity_id, *, page=1, limit=50, count=False):
    """Every change of one record, oldest first (it reads as the record's story)."""
    entity = _entity(entity)
    # A trail holds what viewing the record shows: a staff account's, management only.
    check(actor, ENTITIES[entity].read_operation)
    ident = parse_id(entity_id)
    query = (AuditEntry.select()
             .where((AuditEntry.entity == entity) & (AuditEntry.entity_id == ident))
             .order_by(AuditEntry.at, AuditEntry.id))
    found = paginate(query, page, limit, exact=count)
    if found.total == 0:  # no trail: a record that never existed is an error, as in `view`
        model = ENTITIES[entity].model
        if not model.select().where(model.id == ident).exists():
            raise NotFound(entity, ident)
    return found


@requires("audit.read", write=False)
def audit_log(actor, *, user=None, entity=None, since=None, page=1, limit=50, count=False):
    """The latest changes across the system, newest first."""
    query = AuditEntry.select()
    if user is not None:
        query = query.where(AuditEntry.actor == parse_id(user, "user"))
    if entity:
        query = query.where(AuditEntry.entity == _entity(entity))
    if since:
        query = query.where(AuditEntry.at >= parse_datetime(since, "since"))
    return paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page, limit,
                    exact=count)
