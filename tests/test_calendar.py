"""`event calendar FILE` (commands.md §8): an RFC 5545 file, read back with icalendar."""
from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar

from epicshell.models import Event, Setting


def _read(path) -> list:
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_the_calendar_parses_back_with_exact_times_and_the_clients_contact(shell, make, tmp_path):
    client = make.client(full_name="Kevin Casey", email="kevin@startup.io", phone="+33 6 12 34 56 78")
    contract = make.contract(client, signed=True)
    event = make.event(contract, name="Launch party", start="2030-06-01 10:30",
                       end="2030-06-01 18:00", location="Paris, Quai 4", attendees=120,
                       notes="Bring badges;\nno food")
    path = tmp_path / "events.ics"
    assert shell.ok(f"event calendar {path}").out == f"Wrote 1 event to {path}."
    (item,) = _read(path)
    stored = Event.get_by_id(event.id)
    identity = Setting.get_by_id("database_id").value
    assert str(item["uid"]) == f"event-{event.id}@{identity}"
    assert item.decoded("dtstart") == stored.start.replace(tzinfo=timezone.utc)
    assert item.decoded("dtend") == stored.end.replace(tzinfo=timezone.utc)
    raw = path.read_bytes()
    assert f"DTSTART:{stored.start:%Y%m%dT%H%M%S}Z\r\n".encode() in raw  # UTC, CRLF lines
    assert f"DTEND:{stored.end:%Y%m%dT%H%M%S}Z\r\n".encode() in raw
    assert str(item["summary"]) == "Launch party" and str(item["location"]) == "Paris, Quai 4"
    description = str(item["description"])
    for text in ("Kevin Casey", "kevin@startup.io", "+33 6 12 34 56 78",
                 f"Contract: {contract.id}", "Attendees: 120", "Bring badges;\nno food",
                 "Support: Sue Port"):
        assert text in description


def test_control_characters_stored_in_text_reach_the_file_only_as_visible_escapes(
        shell, make, tmp_path):
    """RFC 5545 TEXT holds no control character but line breaks: text that came in another
    way (a raw UPDATE) is written as `\\xNN`, as a terminal shows it; notes keep their
    line breaks."""
    client = make.client(full_name="Kevin Casey")
    event = make.event(make.contract(client, signed=True), notes="one\ntwo")
    Event.update(name="Gala\x1b[2J", location="Station\x07 F",
                 notes="one\ntwo\x1b]0;x\x07").where(Event.id == event.id).execute()
    path = tmp_path / "events.ics"
    shell.ok(f"event calendar {path}")
    raw = path.read_bytes()
    assert not any(byte < 0x20 and byte not in (0x0a, 0x0d) for byte in raw)
    (item,) = _read(path)
    assert str(item["summary"]) == "Gala\\x1b[2J"
    assert str(item["location"]) == "Station\\x07 F"
    assert "Notes: one\ntwo\\x1b]0;x\\x07" in str(item["description"])


def test_uids_are_stable_across_exports(shell, make, tmp_path):
    make.event()
    make.event(support=None)
    shell.ok(f"event calendar {tmp_path / 'one.ics'}")
    shell.ok(f"event update {Event.select().first().id} --notes changed")
    shell.ok(f"event calendar {tmp_path / 'two.ics'}")
    first = {str(i["uid"]) for i in _read(tmp_path / "one.ics")}
    assert first == {str(i["uid"]) for i in _read(tmp_path / "two.ics")} and len(first) == 2


def test_filters_mine_support_from_to(shell, make, tmp_path, staff):
    june = make.event(name="June", start="2030-06-10 09:00", end="2030-06-10 10:00")
    make.event(name="July", start="2030-07-10 09:00", end="2030-07-10 10:00", support="support2")
    make.event(name="Last of June", start="2030-06-30 23:00", end="2030-07-01 01:00", support=None)

    def names(options):
        path = tmp_path / f"{abs(hash(options))}.ics"
        shell.ok(f"event calendar {path} {options}")
        return sorted(str(i["summary"]) for i in _read(path))

    assert names("--from 2030-06-01 --to 2030-06-30") == ["June", "Last of June"]
    assert names("--from 2030-07-01") == ["July"]
    assert names(f"--support {staff['support'].id}") == ["June"]
    shell.login("support")
    assert names("--mine") == ["June"]
    assert june.id
    assert shell.fails(f"event calendar {tmp_path / 'x.ics'} --from june").startswith("error: from: ")


def test_an_empty_calendar_is_still_a_calendar(shell, tmp_path):
    shell.ok(f"event calendar {tmp_path / 'empty.ics'}")
    calendar = Calendar.from_ical((tmp_path / "empty.ics").read_bytes())
    assert str(calendar["prodid"]).startswith("-//Epic Events") and _read(tmp_path / "empty.ics") == []
    assert datetime  # times above are compared as aware UTC datetimes


def test_icalendar_is_imported_only_by_the_command_that_needs_it():
    import subprocess
    import sys

    code = ("import sys; from epicshell.shell.registry import load_commands; load_commands(); "
            "print('icalendar' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
