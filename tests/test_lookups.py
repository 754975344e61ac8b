"""Completion lookups: ids by prefix through id ranges, names by prefix, at most 20 rows."""
from __future__ import annotations

from epicshell.shell import lookups


def _ids(rows):
    return [int(value) for value, _meta in rows]


def test_id_prefix_finds_every_id_starting_with_the_digits_in_order(make):
    clients = [make.client("commercial") for _ in range(120)]
    assert clients[0].id == 1  # a fresh database on both backends
    assert _ids(lookups.client_ids(None, "2")) == [2, *range(20, 30)]
    assert _ids(lookups.client_ids(None, "1")) == [1, *range(10, 20), *range(100, 109)]  # 20 rows
    assert _ids(lookups.client_ids(None, "12")) == [12, *range(120, 121)]
    assert lookups.client_ids(None, "0") == []
    assert lookups.client_ids(None, "999") == []


def test_name_prefix_and_meta(make):
    kevin = make.client("commercial", full_name="Kevin Casey", company="Cool Startup")
    make.client("commercial", full_name="Anna Kev")
    assert lookups.client_ids(None, "KEV") == [(str(kevin.id), "Kevin Casey — Cool Startup")]
