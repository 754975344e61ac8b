"""Queries composed once per database and run with new values (services/shapes.py)."""
from __future__ import annotations

import pytest
from playhouse.test_utils import count_queries

from epicshell.models import Client, User
from epicshell.services.shapes import Shape


def test_a_shape_answers_as_the_query_it_was_built_from(make, staff):
    first, second = make.client("commercial"), make.client("commercial2")
    by_owner = Shape(lambda ident, limit: Client.select(Client, User)
                     .join(User, on=(Client.commercial == User.id))
                     .where(Client.id == ident).limit(limit), arity=2)
    for client, owner in ((first, staff["commercial"]), (second, staff["commercial2"])):
        with count_queries() as counted:
            rows = by_owner.rows(client.id, 5)
        assert counted.count == 1  # still one logged statement, as count_queries sees it
        assert [(r.id, r.email, r.commercial.full_name) for r in rows] == [
            (client.id, client.email, owner.full_name)]
    assert by_owner.first(second.id + 100, 1) is None


def test_a_value_the_query_does_not_use_is_refused(db):
    ignores_its_value = Shape(lambda ident: Client.select().where(Client.id > 0))
    with pytest.raises(ValueError, match="does not reach its SQL"):
        ignores_its_value.rows(1)


def test_a_capped_count_is_exact_up_to_its_cap_and_above_it_beyond(make, staff):
    from epicshell.services.base import capped_count_of, count_of

    for _ in range(3):
        make.client("commercial")
    make.client("commercial2")
    for query, matching in ((Client.select(Client.id), 4),
                            (Client.select(Client.id).where(Client.commercial == staff["commercial"].id), 3),
                            (Client.select(Client.id).where(Client.id < 0), 0)):
        assert count_of(query).scalar() == matching
        for cap in range(0, 6):
            found = capped_count_of(query, cap).scalar()
            assert found == matching if matching <= cap else found > cap, (matching, cap)
