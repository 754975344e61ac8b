"""Events through the services: signed contracts only, sane times, a support contact."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from epicshell.errors import EpicError, NotFound, ValidationError
from epicshell.models import Event, utcnow
from epicshell.services import events, records, users
from epicshell.validation import format_local, parse_datetime


def _stored(event) -> Event:
    return Event.get_by_id(event.id)


def _create(actor, contract, **fields):
    values = {"name": "Gala", "start": "2031-03-01 18:00", "end": "2031-03-01 23:30"}
    values.update(fields)
    return events.create_event(actor, contract.id, **values)


def test_event_on_a_signed_contract_is_created_unassigned(staff, make):
    contract = make.contract(signed=True)
    event = _create(staff["commercial"], contract, location="Le Grand Hotel", attendees="120",
                    notes="Vegetarian menu")
    stored = _stored(event)
    assert stored.contract_id == contract.id and stored.support_id is None
    assert (stored.name, stored.location, stored.attendees, stored.notes) == (
        "Gala", "Le Grand Hotel", 120, "Vegetarian menu")
    assert stored.start == parse_datetime("2031-03-01 18:00")
    assert format_local(stored.start) == "2031-03-01 18:00"
    assert format_local(stored.end) == "2031-03-01 23:30"


def test_event_needs_a_signed_contract(staff, make):
    draft = make.contract()
    with pytest.raises(EpicError, match="signed contract"):
        _create(staff["management"], draft)
    with pytest.raises(EpicError, match="signed contract"):
        _create(staff["commercial"], draft)
    assert Event.select().count() == 0


@pytest.mark.parametrize("start, end", [
    ("2031-03-01 18:00", "2031-03-01 18:00"),
    ("2031-03-01 18:00", "2031-03-01 17:59"),
    ("2031-03-02", "2031-03-01 23:00"),
])
def test_end_must_be_after_start(staff, make, start, end):
    with pytest.raises(ValidationError, match="after the start") as err:
        _create(staff["commercial"], make.contract(signed=True), start=start, end=end)
    assert err.value.field == "end"
    assert Event.select().count() == 0


def test_one_minute_is_enough(staff, make):
    event = _create(staff["commercial"], make.contract(signed=True), start="2031-03-01 18:00",
                    end="2031-03-01 18:01")
    assert _stored(event).end - _stored(event).start == timedelta(minutes=1)


@pytest.mark.parametrize("attendees", ["-1", -5, "many", "1.5"])
def test_attendees_must_be_zero_or_more(staff, make, attendees):
    with pytest.raises(ValidationError) as err:
        _create(staff["commercial"], make.contract(signed=True), attendees=attendees)
    assert err.value.field == "attendees"
    assert Event.select().count() == 0


def test_zero_attendees_is_accepted(staff, make):
    event = _create(staff["commercial"], make.contract(signed=True), attendees=0)
    assert _stored(event).attendees == 0


@pytest.mark.parametrize("fields, field", [
    ({"name": ""}, "name"),
    ({"start": None}, "start"),
    ({"end": "soon"}, "end"),
    ({"location": "x" * 201}, "location"),
])
def test_missing_or_bad_fields_are_refused(staff, make, fields, field):
    with pytest.raises(ValidationError) as err:
        _create(staff["commercial"], make.contract(signed=True), **fields)
    assert err.value.field == field


def test_only_an_active_support_user_can_be_assigned(staff, make):
    event = make.event(support=None)
    boss = staff["management"]
    for who in ("commercial", "management"):
        with pytest.raises(ValidationError, match="not in the support department"):
            events.assign_event(boss, event.id, staff[who].id)
    users.deactivate_user(boss, staff["support2"].id)
    with pytest.raises(ValidationError, match="deactivated"):
        events.assign_event(boss, event.id, staff["support2"].id)
    with pytest.raises(NotFound):
        events.assign_event(boss, event.id, 9999)
    assert _stored(event).support_id is None
    events.assign_event(boss, event.id, staff["support"].id)
    assert _stored(event).support_id == staff["support"].id


def test_reassigning_support_moves_the_event(staff, make):
    event = make.event(support="support")
    events.assign_event(staff["management"], event.id, staff["support2"].id)
    assert _stored(event).support_id == staff["support2"].id


def test_assigned_support_updates_their_event(staff, make):
    event = make.event(support="support")
    before = _stored(event)
    events.update_event(staff["support"], event.id, name="Gala Night", start="2031-03-02 19:00",
                        end="2031-03-03 01:00", location="Lyon", attendees="80", notes="Band at 21:00")
    after = _stored(event)
    assert (after.name, after.name_key, after.location, after.attendees, after.notes) == (
        "Gala Night", "gala night", "Lyon", 80, "Band at 21:00")
    assert after.start == parse_datetime("2031-03-02 19:00")
    assert after.end == parse_datetime("2031-03-03 01:00")
    assert after.version == before.version + 1 and after.contract_id == before.contract_id


def test_update_checks_the_span_against_the_stored_times(staff, make):
    event = make.event(start="2031-03-01 18:00", end="2031-03-01 23:00")
    sue = staff["support"]
    with pytest.raises(ValidationError, match="after the start"):
        events.update_event(sue, event.id, end="2031-03-01 17:00")
    with pytest.raises(ValidationError, match="after the start"):
        events.update_event(sue, event.id, start="2031-03-01 23:00")
    assert format_local(_stored(event).end) == "2031-03-01 23:00"
    with pytest.raises(ValidationError):
        events.update_event(sue, event.id, attendees=-1)
    assert _stored(event).attendees == 50


def test_support_cannot_change_the_contract_or_support_through_update(staff, make):
    event = make.event(support="support")
    for field in ("support", "contract"):
        with pytest.raises(ValidationError, match="cannot be changed here"):
            events.update_event(staff["support"], event.id, **{field: staff["support2"].id})
    assert _stored(event).support_id == staff["support"].id


def test_times_round_trip_whatever_the_input_form(staff, make):
    event = make.event(start="2031-03-01", end="2031-03-01 08:30")
    stored = _stored(event)
    assert format_local(stored.start) == "2031-03-01 00:00"
    assert stored.start.tzinfo is None  # naive UTC, the one stored form
    events.update_event(staff["management"], event.id, start=datetime(2031, 3, 1, 7, 0))
    assert format_local(_stored(event).start) == "2031-03-01 07:00"


def _ids(page) -> set[int]:
    return {e.id for e in page.rows}


def _soon(days: int) -> str:
    return (datetime.now() + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


def test_list_filters(staff, make):
    bill_contract = make.contract(make.client(), signed=True)
    cara_contract = make.contract(make.client("commercial2"), signed=True)
    soon = make.event(bill_contract, support="support", start=_soon(3), end=_soon(4))
    later = make.event(cara_contract, support="support2", start=_soon(60), end=_soon(61))
    open_ = make.event(cara_contract, support=None, start=_soon(10), end=_soon(11))
    past = make.event(bill_contract, support=None, start="2020-01-01 10:00", end="2020-01-01 12:00")
    sue, bill = staff["support"], staff["commercial"]
    assert _ids(events.list_events(sue)) == {soon.id, later.id, open_.id, past.id}
    assert _ids(events.list_events(sue, mine=True)) == {soon.id}
    assert _ids(events.list_events(bill, mine=True)) == {soon.id, past.id}
    assert _ids(events.list_events(bill, unassigned=True)) == {open_.id, past.id}
    assert _ids(events.list_events(bill, upcoming=True)) == {soon.id, open_.id}
    assert _ids(events.list_events(bill, days=90)) == {soon.id, later.id, open_.id}
    assert _ids(events.list_events(bill, support=staff["support2"].id)) == {later.id}
    assert _ids(events.list_events(bill, contract=bill_contract.id)) == {soon.id, past.id}
    assert events.list_events(bill, unassigned=True, upcoming=True).total == 1
    assert [e.id for e in events.list_events(bill).rows] == [past.id, soon.id, open_.id, later.id]
    with pytest.raises(ValidationError):
        events.list_events(bill, days=-1)


def test_search_matches_event_name_location_and_client_name(staff, make):
    contract = make.contract(make.client(full_name="Kevin Casey"), signed=True)
    gala = make.event(contract, name="Summer Gala", location="Nice")
    board = make.event(make.contract(signed=True), name="Board Meeting", location="Paris")
    sue = staff["support"]
    assert _ids(events.list_events(sue, search="GALA")) == {gala.id}
    assert _ids(events.list_events(sue, search="paris")) == {board.id}
    assert _ids(events.list_events(sue, search="casey")) == {gala.id}
    assert events.list_events(sue, search="casey").total == 1
    assert events.list_events(sue, search="nothing here").rows == []


def test_view_has_client_contact_and_support(staff, make):
    contract = make.contract(make.client(full_name="Kevin Casey", email="kevin@startup.io",
                                         phone="+33 6 12 34 56 78"), signed=True)
    event = make.event(contract, support="support")
    record = records.event_record(events.get_event(staff["commercial2"], event.id))
    assert record["client"] == "Kevin Casey"
    assert (record["client_email"], record["client_phone"]) == ("kevin@startup.io", "+33 6 12 34 56 78")
    assert (record["support_id"], record["support"]) == (staff["support"].id, "Sue Port")
    assert record["contract_id"] == contract.id
    with pytest.raises(NotFound):
        events.get_event(staff["support"], event.id + 10)


def test_unassigned_event_view_has_no_support(staff, make):
    event = make.event(support=None)
    record = records.event_record(events.get_event(staff["support"], event.id))
    assert record["support_id"] is None and record["support"] is None
    assert utcnow() < _stored(event).start
