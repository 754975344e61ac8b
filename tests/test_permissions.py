"""The whole permission matrix of commands.md §4, walked through the real services.

MATRIX below is transcribed by hand from commands.md §4 (it is deliberately NOT read
from epicshell.services.policy.POLICY: a test reading the table it checks proves
nothing). Every operation runs for every department, once on a record of the actor's
own ("own": a commercial's clients, their contracts and events; a support's assigned
events) and once on someone else's ("other"). An allowed call must succeed (a read
sees the record, a write changes the database and audits it); a refused call must
raise PermissionDenied and leave every table exactly as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from conftest import PASSWORD

from epicshell.errors import NotLoggedIn, PermissionDenied
from epicshell.services import agenda, clients, contracts, events, history, policy, reports, users

DEPARTMENTS = ("management", "commercial", "support")

# commands.md §4 — "yes": every record, "own": only the actor's own records, "no": refused.
#  operation                management  commercial  support
MATRIX = {
    "user list":            ("yes",      "no",       "no"),
    "user view":            ("yes",      "no",       "no"),
    "user create":          ("yes",      "no",       "no"),
    "user update":          ("yes",      "no",       "no"),
    "user deactivate":      ("yes",      "no",       "no"),
    "user activate":        ("yes",      "no",       "no"),
    "user delete":          ("yes",      "no",       "no"),
    "user password":        ("yes",      "yes",      "yes"),
    "user reset-password":  ("yes",      "no",       "no"),
    "client list":          ("yes",      "yes",      "yes"),
    "client view":          ("yes",      "yes",      "yes"),
    "client search":        ("yes",      "yes",      "yes"),
    "client history":       ("yes",      "yes",      "yes"),
    "client create":        ("yes",      "yes",      "no"),
    "client update":        ("yes",      "own",      "no"),
    "client assign":        ("yes",      "no",       "no"),
    "contract list":        ("yes",      "yes",      "yes"),
    "contract mine":        ("yes",      "yes",      "yes"),
    "contract unsigned":    ("yes",      "yes",      "yes"),
    "contract unpaid":      ("yes",      "yes",      "yes"),
    "contract view":        ("yes",      "yes",      "yes"),
    "contract history":     ("yes",      "yes",      "yes"),
    "contract create":      ("yes",      "own",      "no"),
    "contract update":      ("yes",      "own",      "no"),
    "contract sign":        ("yes",      "own",      "no"),
    "contract pay":         ("yes",      "own",      "no"),
    "contract cancel":      ("yes",      "no",       "no"),
    "event list":           ("yes",      "yes",      "yes"),
    "event mine":           ("yes",      "yes",      "yes"),
    "event unassigned":     ("yes",      "yes",      "yes"),
    "event upcoming":       ("yes",      "yes",      "yes"),
    "event view":           ("yes",      "yes",      "yes"),
    "event search":         ("yes",      "yes",      "yes"),
    "event history":        ("yes",      "yes",      "yes"),
    "event create":         ("yes",      "own",      "no"),
    "event update":         ("yes",      "no",       "own"),
    "event assign":         ("yes",      "no",       "no"),
    "audit":                ("yes",      "no",       "no"),
    # commands.md §9
    "agenda":               ("yes",      "yes",      "yes"),
    "report pipeline":      ("yes",      "yes",      "yes"),
    "report revenue":       ("yes",      "yes",      "yes"),
    "report unpaid":        ("yes",      "yes",      "yes"),
    "report workload":      ("yes",      "yes",      "yes"),
}

# Who owns the "own" and the "other" records: (commercial, support) keys of `staff`.
OWNERS = {"own": ("commercial", "support"), "other": ("commercial2", "support2")}
NEW_PASSWORD = "violet-harbour-9107"


def allowed(operation: str, department: str, side: str) -> bool:
    cell = MATRIX[operation][DEPARTMENTS.index(department)]
    return cell == "yes" or (cell == "own" and side == "own")


@dataclass
class World:
    staff: dict
    clients: dict = field(default_factory=dict)
    drafts: dict = field(default_factory=dict)
    signed: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    unassigned: dict = field(default_factory=dict)
    spares: dict = field(default_factory=dict)
    dormant: dict = field(default_factory=dict)

    def commercial(self, side):
        return self.staff[OWNERS[side][0]]

    def support(self, side):
        return self.staff[OWNERS[side][1]]


def _other(side: str) -> str:
    return "other" if side == "own" else "own"


def _new_user(boss, tag: str):
    return users.create_user(boss, email=f"{tag}@epic.test", full_name=f"Spare {tag}",
                             department="support", employee_number=tag.upper(), password=PASSWORD)


def build_world(staff, make) -> World:
    world = World(staff)
    boss = staff["management"]
    for side, (commercial, support) in OWNERS.items():
        client = make.client(commercial, full_name=f"Zed {side.title()}client")
        world.clients[side] = client
        world.drafts[side] = make.contract(client)
        world.signed[side] = make.contract(client, signed=True)
        world.events[side] = make.event(world.signed[side], support=support,
                                        name=f"Gala {side.title()}party")
        world.unassigned[side] = make.event(world.signed[side], support=None)
        world.spares[side] = _new_user(boss, f"spare-{side}")
        world.dormant[side] = _new_user(boss, f"dormant-{side}")
        users.deactivate_user(boss, world.dormant[side].id)
    return world


def _ids(page) -> set[int]:
    return {row.id for row in page.rows}


def _contracts_of(actor) -> set[int]:
    return {c.id for c in contracts.list_contracts(actor, limit=1000).rows
            if c.commercial_id == actor.id}


# Reads return True when the target record is visible as it should be.
READS = {
    "user list": lambda w, a, s: w.spares[s].id in _ids(users.list_users(a, limit=1000)),
    "user view": lambda w, a, s: users.get_user(a, w.spares[s].id).id == w.spares[s].id,
    "client list": lambda w, a, s: w.clients[s].id in _ids(clients.list_clients(a, limit=1000)),
    "client view": lambda w, a, s: clients.get_client(a, w.clients[s].id).id == w.clients[s].id,
    "client search": lambda w, a, s: _ids(clients.list_clients(
        a, search=f"{s}client")) == {w.clients[s].id},
    "client history": lambda w, a, s: history.record_history(a, "client", w.clients[s].id).total > 0,
    "contract list": lambda w, a, s: w.signed[s].id in _ids(contracts.list_contracts(a, limit=1000)),
    "contract mine": lambda w, a, s: _ids(contracts.list_contracts(a, mine=True, limit=1000))
    == _contracts_of(a),
    "contract unsigned": lambda w, a, s: _ids(contracts.list_contracts(a, unsigned=True)) == {
        w.drafts["own"].id, w.drafts["other"].id},
    "contract unpaid": lambda w, a, s: w.signed[s].id in _ids(contracts.list_contracts(a, unpaid=True)),
    "contract view": lambda w, a, s: contracts.get_contract(a, w.signed[s].id).total_cents == 100000,
    "contract history": lambda w, a, s: history.record_history(a, "contract", w.signed[s].id).total > 0,
    "event list": lambda w, a, s: w.events[s].id in _ids(events.list_events(a, limit=1000)),
    "event mine": lambda w, a, s: all(
        a.id in (e.support_id, e.contract.commercial_id) for e in events.list_events(a, mine=True).rows),
    "event unassigned": lambda w, a, s: _ids(events.list_events(a, unassigned=True)) == {
        w.unassigned["own"].id, w.unassigned["other"].id},
    "event upcoming": lambda w, a, s: w.events[s].id in _ids(
        events.list_events(a, upcoming=True, days=3650, limit=1000)),
    "event view": lambda w, a, s: events.get_event(a, w.events[s].id).support_id == w.support(s).id,
    "event search": lambda w, a, s: _ids(events.list_events(a, search=f"{s}party")) == {
        w.events[s].id},
    "event history": lambda w, a, s: history.record_history(a, "event", w.events[s].id).total > 0,
    "audit": lambda w, a, s: history.audit_log(a, entity="contract").total > 0,
    "agenda": lambda w, a, s: agenda.agenda(a).department == a.department,
    "report pipeline": lambda w, a, s: reports.pipeline(a).total["signed"] == 2,
    "report revenue": lambda w, a, s: reports.revenue(a).total["amount_signed"] == "2000.00",
    "report unpaid": lambda w, a, s: reports.unpaid(a).total["total_due"] == "2000.00",
    "report workload": lambda w, a, s: reports.workload(a, days=3650).rows[-1]["events"] == 2,
}

WRITES = {
    "user create": lambda w, a, s: users.create_user(
        a, email=f"new-{s}@epic.test", full_name="New Person", department="support",
        employee_number=f"NEW-{s}", password=PASSWORD),
    "user update": lambda w, a, s: users.update_user(a, w.spares[s].id, full_name="Renamed Person"),
    "user deactivate": lambda w, a, s: users.deactivate_user(a, w.spares[s].id),
    "user activate": lambda w, a, s: users.activate_user(a, w.dormant[s].id),
    "user delete": lambda w, a, s: users.delete_user(a, w.spares[s].id),
    "user password": lambda w, a, s: users.change_own_password(a, current=PASSWORD, new=NEW_PASSWORD),
    "user reset-password": lambda w, a, s: users.reset_password(a, w.spares[s].id, new=NEW_PASSWORD),
    "client create": lambda w, a, s: clients.create_client(
        a, full_name="New Client", email=f"new-{s}@client.test",
        commercial=w.commercial(s).id if getattr(a, "department", None) == "management" else None),
    "client update": lambda w, a, s: clients.update_client(a, w.clients[s].id, company="New Name"),
    "client assign": lambda w, a, s: clients.assign_client(
        a, w.clients[s].id, w.commercial(_other(s)).id),
    "contract create": lambda w, a, s: contracts.create_contract(a, w.clients[s].id, total="500.00"),
    "contract update": lambda w, a, s: contracts.update_contract(a, w.drafts[s].id, due="900.00"),
    "contract sign": lambda w, a, s: contracts.sign_contract(a, w.drafts[s].id),
    "contract pay": lambda w, a, s: contracts.pay_contract(a, w.signed[s].id, "100.00"),
    "contract cancel": lambda w, a, s: contracts.cancel_contract(a, w.drafts[s].id),
    "event create": lambda w, a, s: events.create_event(
        a, w.signed[s].id, name="Launch", start="2031-01-10 09:00", end="2031-01-10 17:00"),
    "event update": lambda w, a, s: events.update_event(a, w.events[s].id, attendees=75),
    "event assign": lambda w, a, s: events.assign_event(a, w.events[s].id, w.support(_other(s)).id),
}

CASES = [
    pytest.param(op, dept, side, id=f"{op.replace(' ', '-')}-{dept}-{side}")
    for op in MATRIX for dept in DEPARTMENTS for side in ("own", "other")
]


def test_matrix_covers_every_operation_once():
    assert set(READS) | set(WRITES) == set(MATRIX)
    assert not set(READS) & set(WRITES)


@pytest.mark.parametrize("operation, department, side", CASES)
def test_permission_matrix(operation, department, side, staff, make, db_snapshot):
    world = build_world(staff, make)
    actor = staff[department]
    before = db_snapshot()
    run = READS.get(operation) or WRITES[operation]
    if not allowed(operation, department, side):
        with pytest.raises(PermissionDenied) as refused:
            run(world, actor, side)
        assert str(refused.value).startswith("permission denied: ")
        assert db_snapshot() == before, "a refused call changed the database"
    elif operation in READS:
        assert run(world, actor, side) is True
        assert db_snapshot() == before, "a read changed the database"
    else:
        run(world, actor, side)
        after = db_snapshot()
        assert after != before
        assert len(after["AuditEntry"]) > len(before["AuditEntry"]), "an allowed change left no audit"


# --- the read-all rule, spelled out ------------------------------------------------


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_every_department_reads_every_client_contract_and_event(department, staff, make):
    world = build_world(staff, make)
    actor = staff[department]
    all_clients = {c.id for c in world.clients.values()}
    all_contracts = {c.id for c in (*world.drafts.values(), *world.signed.values())}
    all_events = {e.id for e in (*world.events.values(), *world.unassigned.values())}
    assert _ids(clients.list_clients(actor)) == all_clients
    assert _ids(contracts.list_contracts(actor)) == all_contracts
    assert _ids(events.list_events(actor)) == all_events
    for ident in all_clients:
        assert clients.get_client(actor, ident).id == ident
        assert history.record_history(actor, "client", ident).total > 0
    for ident in all_contracts:
        assert contracts.get_contract(actor, ident).id == ident
        assert history.record_history(actor, "contract", ident).total > 0
    for ident in all_events:
        assert events.get_event(actor, ident).id == ident
        assert history.record_history(actor, "event", ident).total > 0
    assert _ids(clients.list_clients(actor, search="client")) == all_clients
    assert _ids(events.list_events(actor, search="party")) == {e.id for e in world.events.values()}


# --- ownership, spelled out --------------------------------------------------------


def test_commercial_cannot_work_on_another_commercials_records(staff, make, db_snapshot):
    world = build_world(staff, make)
    bill = staff["commercial"]
    before = db_snapshot()
    refused = [
        lambda: contracts.create_contract(bill, world.clients["other"].id, total="10.00"),
        lambda: events.create_event(bill, world.signed["other"].id, name="Party",
                                    start="2031-01-01 10:00", end="2031-01-01 12:00"),
        lambda: contracts.sign_contract(bill, world.drafts["other"].id),
        lambda: contracts.update_contract(bill, world.drafts["other"].id, total="1.00"),
        lambda: contracts.pay_contract(bill, world.signed["other"].id, "1.00"),
        lambda: clients.update_client(bill, world.clients["other"].id, full_name="Mine Now"),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied, match="not yours"):
            call()
    assert db_snapshot() == before
    assert contracts.sign_contract(bill, world.drafts["own"].id).status == "signed"


def test_support_updates_only_events_assigned_to_them(staff, make):
    world = build_world(staff, make)
    sue = staff["support"]
    with pytest.raises(PermissionDenied, match="not assigned to you"):
        events.update_event(sue, world.events["other"].id, notes="taken over")
    with pytest.raises(PermissionDenied, match="not assigned to you"):
        events.update_event(sue, world.unassigned["own"].id, notes="taken over")
    assert events.update_event(sue, world.events["own"].id, notes="checked").notes == "checked"


def test_ownership_follows_a_client_reassignment(staff, make):
    world = build_world(staff, make)
    bill, cara = staff["commercial"], staff["commercial2"]
    clients.assign_client(staff["management"], world.clients["own"].id, cara.id)
    with pytest.raises(PermissionDenied):
        clients.update_client(bill, world.clients["own"].id, company="Old Owner")
    with pytest.raises(PermissionDenied):
        contracts.sign_contract(bill, world.drafts["own"].id)
    assert contracts.sign_contract(cara, world.drafts["own"].id).status == "signed"
    assert clients.update_client(cara, world.clients["own"].id, company="New Owner").company == "New Owner"


def test_nobody_logged_in_is_refused_everything(staff, make, db_snapshot):
    world = build_world(staff, make)
    before = db_snapshot()
    for run in (*READS.values(), *WRITES.values()):
        with pytest.raises(NotLoggedIn):
            run(world, None, "own")
    assert db_snapshot() == before


# --- what `help` and completion offer is what the matrix allows ---------------------


SERVICE_OF = {
    "user list": users.list_users, "user create": users.create_user, "user update": users.update_user,
    "user deactivate": users.deactivate_user, "user delete": users.delete_user,
    "user password": users.change_own_password, "user reset-password": users.reset_password,
    "client list": clients.list_clients, "client create": clients.create_client,
    "client update": clients.update_client, "client assign": clients.assign_client,
    "contract create": contracts.create_contract, "contract sign": contracts.sign_contract,
    "contract pay": contracts.pay_contract, "contract cancel": contracts.cancel_contract,
    "event list": events.list_events, "event create": events.create_event,
    "event update": events.update_event, "event assign": events.assign_event,
    "client history": history.record_history, "audit": history.audit_log,
    "agenda": agenda.agenda, "report pipeline": reports.pipeline, "report revenue": reports.revenue,
    "report unpaid": reports.unpaid, "report workload": reports.workload,
}


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_policy_offers_exactly_what_the_matrix_allows(department, staff):
    actor = staff[department]
    for operation, service in SERVICE_OF.items():
        cell = MATRIX[operation][DEPARTMENTS.index(department)]
        assert policy.may(actor, service.operation) == (cell != "no"), operation
