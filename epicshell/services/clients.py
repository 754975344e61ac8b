"""Clients: everybody reads them; commercials create (for themselves) and update their own."""
from __future__ import annotations

from ..errors import NotFound, PermissionDenied, ValidationError
from ..models import Client, Contract, Event, Payment, User
from ..validation import parse_email, parse_id, parse_name, parse_phone, parse_text
from . import inserts
from .base import (
    already_used,
    audit,
    name_key,
    notify,
    paginate,
    refuse_if_used,
    save_changes,
    unique_guard,
    versioned_update,
)
from .policy import COMMERCIAL, MANAGEMENT, mine_condition, requires
from .search import client_text, matches, ranked_page
from .search import parse as parse_search
from .shapes import ActorMarker, Listing, Shape
from .staff import check_staff, staff_member

SORTS = {
    "id": Client.id,
    "name": Client.name_key,
    "full_name": Client.name_key,
    "company": Client.company,
    "created": Client.id,
    "created_at": Client.id,
    "updated": Client.updated_at,
    "updated_at": Client.updated_at,
}


def _with_commercial():
    return Client.select(Client, User).join(User, on=(Client.commercial == User.id))


def _sort_key(sort: str | None) -> tuple[str, bool] | None:
    """SORT checked: (the SORTS key, descending), None for the default order by id."""
    if not sort:
        return None
    key = sort.lstrip("-").replace("-", "_")
    if key not in SORTS:
        raise ValidationError("sort", f"{sort!r} is not one of {', '.join(sorted(set(SORTS)))} "
                              "(prefix with - for descending)")
    return key, sort.startswith("-")


def _order(sort_key: tuple[str, bool] | None) -> list:
    if sort_key is None:
        return [Client.id]
    column, descending = SORTS[sort_key[0]], sort_key[1]
    return [column.desc(), Client.id.desc()] if descending else [column, Client.id]


@requires("client.read", write=False)
def list_clients(actor, *, mine=False, commercial=None, search=None, sort=None, page=1, limit=50,
                 count=False):
    """Clients, by id (or SORT); with SEARCH, ranked as search ranks unless SORT is given."""
    sort_key = _sort_key(sort)
    commercial_id = None if commercial is None else parse_id(commercial, "commercial")
    searched = parse_search(search)
    if not searched:
        shape = (bool(mine), commercial_id is not None, sort_key)
        params = (actor.id,) * bool(mine) + (() if commercial_id is None else (commercial_id,))
        return _LISTING.page(shape, params, page, limit, exact=count)
    query, counted = _filtered(actor, mine, commercial_id)
    if not sort:
        return ranked_page(Client, searched, query, counted, page, limit, exact=count)
    query = query.where(matches(Client, searched))
    counted = counted.where(matches(Client, searched))
    return paginate(query.order_by(*_order(sort_key)), page, limit, count_query=counted,
                    exact=count)


def client_query(actor, *, mine=False, commercial=None, search=None):
    """(rows with their commercial, the same rows' ids) of the clients the filters select,
    unordered: what `client list` pages and `client export` streams (SEARCH filters, the
    list ranks)."""
    commercial_id = None if commercial is None else parse_id(commercial, "commercial")
    return _filtered(actor, mine, commercial_id, parse_search(search))


def _filtered(actor, mine: bool, commercial_id: int | None, searched=None, rows=None):
    """The queries of `client_query`, its filters' values already checked (ROWS: the
    select to filter, by default every column of the clients and their commercials)."""
    conditions = []
    if mine:
        conditions.append(mine_condition(actor, "client")[0])
    if commercial_id is not None:
        conditions.append(Client.commercial == commercial_id)
    if searched:
        conditions.append(matches(Client, searched))
    query, counted = rows if rows is not None else _with_commercial(), Client.select(Client.id)
    for condition in conditions:
        query, counted = query.where(condition), counted.where(condition)
    return query, counted


# What a listed client shows (records.client_record): not the search text, and of its
# commercial only the name. Reading fewer columns makes fewer objects for each row.
LISTED = (Client.id, Client.full_name, Client.email, Client.phone, Client.company,
          Client.commercial, Client.created_at, Client.updated_at, User.id, User.full_name)


def _listed(shape, *params):
    """The rows and ids of one shape of `client list`: (mine, by commercial, sort key);
    PARAMS are the actor's id (mine) and the commercial's id, those given."""
    mine, by_commercial, sort_key = shape
    values = iter(params)
    actor = ActorMarker(next(values)) if mine else None
    rows = Client.select(*LISTED).join(User, on=(Client.commercial == User.id))
    query, counted = _filtered(actor, mine, next(values) if by_commercial else None, rows=rows)
    return query.order_by(*_order(sort_key)), counted


_LISTING = Listing(_listed)


_CLIENT = Shape(lambda client_id: _with_commercial().where(Client.id == client_id).limit(1))


@requires("client.read", write=False)
def get_client(actor, client_id):
    client = _CLIENT.first(parse_id(client_id))
    if client is None:
        raise NotFound("client", client_id)
    return client


def _commercial(user_id, field="commercial") -> User:
    return staff_member(user_id, COMMERCIAL, field)


def emails_taken(emails) -> set[str]:
    """Which of EMAILS (lower-case) already belong to a client: one query for many."""
    emails = list(emails)
    return {row[0] for row in Client.select(Client.email).where(Client.email.in_(emails)).tuples()}


def email_taken_error(email: str, field: str = "email") -> ValidationError:
    return already_used(field, email, "client")


def _email_free(email: str, exclude_id: int | None = None) -> None:
    refuse_if_used(Client, "email", email, "client", exclude_id)


def clean_client(*, full_name, email, phone=None, company=None) -> dict:
    """The value rules (§5) of a client's own fields: the one check of create and import."""
    full_name = parse_name(full_name)
    return {"full_name": full_name, "name_key": name_key(full_name), "email": parse_email(email),
            "phone": parse_phone(phone), "company": parse_text("company", company, required=False)}


def new_client_owner(actor, commercial, field: str = "commercial",
                     missing: str = "is required: the id of a commercial user") -> User:
    """Who a new client belongs to: management names a commercial (a User or an id),
    a commercial's new clients are always their own."""
    if actor.department != MANAGEMENT:
        named = commercial.id if isinstance(commercial, User) else \
            None if commercial is None else parse_id(commercial, field)
        if named is not None and named != actor.id:
            raise PermissionDenied("a commercial's new clients are always their own", field)
        return actor
    if commercial is None:
        raise ValidationError(field, missing)
    if isinstance(commercial, User):
        return check_staff(commercial, COMMERCIAL, field)
    return _commercial(commercial, field)


@requires("client.create")
def create_client(actor, *, full_name, email, phone=None, company=None, commercial=None):
    """Create a client; a commercial's clients are their own, management names the commercial."""
    values = clean_client(full_name=full_name, email=email, phone=phone, company=company)
    owner = new_client_owner(actor, commercial)
    _email_free(values["email"])
    full_name, email, phone, company = (values[k] for k in ("full_name", "email", "phone", "company"))
    with unique_guard("client", values):
        client = inserts.create(Client, **values, commercial=owner.id,
                                search_text=client_text(full_name, email, company))
    audit(actor, "create", "client", client.id, {
        "full_name": (None, full_name), "email": (None, email), "phone": (None, phone),
        "company": (None, company), "commercial": (None, owner.full_name)})
    client.commercial = owner
    return client


@requires("client.update", Client)
def update_client(actor, client, *, full_name=None, email=None, phone=None, company=None,
                  expected_version=None):
    values = {}
    if full_name is not None:
        values["full_name"] = parse_name(full_name)
    if email is not None:
        values["email"] = parse_email(email)
        _email_free(values["email"], client.id)
    if phone is not None:
        values["phone"] = parse_phone(phone)
    if company is not None:
        values["company"] = parse_text("company", company, required=False)
    save_changes(actor, client, values, "client", expected_version)
    return client


@requires("client.assign", Client)
def assign_client(actor, client, commercial_id):
    """Give CLIENT (and its contracts, whose commercial is the client's) to another commercial."""
    owner = _commercial(commercial_id, "commercial_id")
    if owner.id == client.commercial_id:
        return client
    previous = client.commercial
    versioned_update(client, {"commercial": owner.id}, "client")
    audit(actor, "assign", "client", client.id, {"commercial": (previous.full_name, owner.full_name)})
    contract_ids = [c.id for c in Contract.select(Contract.id).where(Contract.client == client.id)]
    if contract_ids:
        Contract.update({Contract.commercial: owner.id, Contract.version: Contract.version + 1}).where(
            Contract.id.in_(contract_ids)).execute()
        Event.update({Event.commercial: owner.id}).where(Event.contract.in_(contract_ids)).execute()
        Payment.update({Payment.commercial: owner.id}).where(
            Payment.contract.in_(contract_ids)).execute()
        audit(actor, "assign", "contract", contract_ids,
              {"commercial": (previous.full_name, owner.full_name)})
    notify("client.assigned", client_id=client.id, commercial_id=owner.id, actor_id=actor.id)
    client.commercial = owner
    return client
