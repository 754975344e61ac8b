"""Search (commands.md §11): accents and case ignored, ranked, indexed, never out of step."""
from __future__ import annotations

import itertools

import pytest

from epicshell.errors import ValidationError
from epicshell.models import Client, Contract, Event, SearchWord, User, database
from epicshell.services import clients, events, search, search_words, users
from epicshell.services.search import Query, client_text, event_text, fold, user_text


def _names(page) -> list[str]:
    return [row.full_name for row in page.rows]


def _find(actor, text, **options) -> list[str]:
    return _names(clients.list_clients(actor, search=text, **options))


def _event_names(actor, text) -> list[str]:
    return [row.name for row in events.list_events(actor, search=text).rows]


def _is_sqlite() -> bool:
    return type(database.obj).__name__.startswith("Sqlite")


def assert_in_step() -> None:
    """Every stored search text is what the record holds now, and the index agrees."""
    for model in (Client, Event, User):
        ids = [row[0] for row in model.select(model.id).tuples()]
        assert search.refresh(model, ids) == 0, f"{model.__name__}: stale search text"
    stored = set(SearchWord.select().tuples())
    vocabulary = set(database.execute_sql(
        "SELECT kind, first, word FROM search_vocabulary").fetchall())
    assert vocabulary == set(database.execute_sql(
        "SELECT DISTINCT kind, first, word FROM search_word").fetchall()), "vocabulary drifted"
    search_words.rebuild()  # the word rows, derived afresh from the search texts
    assert set(SearchWord.select().tuples()) == stored, "the word index drifted"
    if _is_sqlite():
        for table in ("client", "event", "user"):  # FTS5 compares its index with the table
            database.execute_sql(f"INSERT INTO {table}_search({table}_search, rank) "
                                 "VALUES ('integrity-check', 1)")


# --- the normal form ---------------------------------------------------------------------


def test_folding_drops_case_and_accents():
    assert fold("Chloé MÜLLER Straße ﬁne Ångström") == "chloe muller strasse fine angstrom"
    assert client_text("Chloé Dupont", "chloe.dupont@acme.fr", "ACME S.A.") == (
        "||chloe  dupont||chloe  dupont  acme  fr||acme  s  a||")
    assert event_text("Gala", None, "Kevin") == "||gala||||kevin||"
    assert user_text("Ana", "ana@epic.test") == "||ana||ana  epic  test||"


def test_a_query_without_letters_or_digits_is_refused():
    with pytest.raises(ValidationError) as err:
        Query.parse("%%")
    assert err.value.field == "search"


# --- results and ranking -----------------------------------------------------------------


def test_accents_and_case_are_ignored_both_ways(staff, make):
    make.client(full_name="Chloé Dupont", email="cd@example.com", company="Crème Brûlée SARL")
    make.client(full_name="Jürgen Müller", email="jm@example.com", company="Straße GmbH")
    sue = staff["support"]
    assert _find(sue, "chloe") == ["Chloé Dupont"]
    assert _find(sue, "CHLOÉ") == ["Chloé Dupont"]
    assert _find(sue, "MULLER") == ["Jürgen Müller"]
    assert _find(sue, "müll") == ["Jürgen Müller"]
    assert _find(sue, "strasse") == ["Jürgen Müller"]
    assert _find(sue, "creme brulee") == ["Chloé Dupont"]


def test_field_starts_then_word_starts_then_other_matches_then_name_and_id(staff, make):
    make.client(full_name="Omar Diallo", email="od@example.com", company="Nothing")
    make.client(full_name="Anne Marchal", email="anne@example.com", company="Nothing")
    make.client(full_name="Zoé Adam", email="za@example.com", company="Marvel Studios")
    make.client(full_name="Martin Zed", email="mz@example.com", company="Nothing")
    make.client(full_name="Paul Roux", email="paul.marsh@example.com", company="Nothing")
    sue = staff["support"]
    # field start (name, company) by name; word start (name, email word); inside a word
    assert _find(sue, "mar") == ["Martin Zed", "Zoé Adam", "Anne Marchal", "Paul Roux",
                                 "Omar Diallo"]
    first = make.client(full_name="Twin Name", email="t1@example.com")
    second = make.client(full_name="Twin Name", email="t2@example.com")
    assert [c.id for c in clients.list_clients(sue, search="twin").rows] == [first.id, second.id]
    # an explicit --sort wins over the ranking
    assert _find(sue, "mar", sort="-name")[0] == "Zoé Adam"


def test_one_or_two_characters_match_only_field_or_word_starts(staff, make):
    make.client(full_name="Omar Diallo", email="od@example.com", company="Nothing")
    make.client(full_name="Anne Marchal", email="anne@example.com", company="Nothing")
    make.client(full_name="Zoé Adam", email="za@example.com", company="Marvel")
    sue = staff["support"]
    assert _find(sue, "ma") == ["Zoé Adam", "Anne Marchal"]  # not "Omar"
    assert _find(sue, "m") == ["Zoé Adam", "Anne Marchal"]
    assert _find(sue, "é") == ["Anne Marchal", "Omar Diallo", "Zoé Adam"]  # "example", by name
    assert _find(sue, "n") == ["Anne Marchal", "Omar Diallo"]  # name or company "Nothing"
    assert _find(sue, "Z") == ["Zoé Adam"]
    assert _find(sue, "od") == ["Omar Diallo"]  # the email's first word
    assert _find(sue, "di") == ["Omar Diallo"]


def test_punctuation_separates_words_and_is_never_a_wildcard(staff, make):
    make.client(full_name="Chloé Dupont", email="chloe.dupont@acme.fr", company="X")
    make.client(full_name="Dan Macmeson", email="dan@other.org", company="Y")
    sue = staff["support"]
    assert _find(sue, "dupont@acme") == ["Chloé Dupont"]
    assert _find(sue, "acme") == ["Chloé Dupont", "Dan Macmeson"]  # a word start, then inside
    assert _find(sue, "@acme") == ["Chloé Dupont"]  # a word start only
    assert _find(sue, "acme.") == ["Chloé Dupont"]  # a word end after "acme"
    assert _find(sue, "mes") == ["Dan Macmeson"]


def test_events_match_name_location_and_client_name(staff, make):
    chloe = make.client(full_name="Chloé Dupont")
    other = make.client(full_name="Someone Else")
    gala = make.event(make.contract(chloe, signed=True), name="Summer Gala", location="Nice")
    board = make.event(make.contract(other, signed=True), name="Zen board", location="Garage")
    sue = staff["support"]
    assert _event_names(sue, "CHLOE") == ["Summer Gala"]
    assert _event_names(sue, "gala") == ["Summer Gala"]
    assert _event_names(sue, "ga") == ["Zen board", "Summer Gala"]  # field start, then word
    assert _event_names(sue, "nice") == ["Summer Gala"]
    assert events.list_events(sue, search="else").total == 1
    assert {gala.id, board.id} == {e.id for e in events.list_events(sue).rows}


def test_users_match_name_and_email(staff):
    boss = staff["management"]
    users.update_user(boss, staff["support"].id, full_name="Sué Pört")
    assert [u.email for u in users.list_users(boss, search="sue port").rows] == ["sue@epic.test"]
    assert [u.email for u in users.list_users(boss, search="epic", department="support").rows] == [
        "sam@epic.test", "sue@epic.test"]  # word starts, by name
    assert users.list_users(boss, search="S001").rows == []  # employee numbers are not searched


# --- the index never drifts from the data -------------------------------------------------


def test_search_follows_every_change(staff, make):
    boss, sue = staff["management"], staff["support"]
    kevin = make.client(full_name="Kevin Casey", email="kevin@startup.io", company="Cool Startup")
    event = make.event(make.contract(kevin, signed=True), name="Launch Party", location="Paris")
    clients.update_client(staff["commercial"], kevin.id, full_name="Kévin Dubois",
                          email="kd@newmail.fr", company="Hot Startup")
    assert _find(sue, "casey") == [] and _find(sue, "cool") == [] and _find(sue, "startup.io") == []
    assert _find(sue, "kevin dubois") == _find(sue, "newmail") == _find(sue, "hot") == [
        "Kévin Dubois"]
    assert _event_names(sue, "casey") == [] and _event_names(sue, "dubois") == ["Launch Party"]
    events.update_event(boss, event.id, name="Launch Dinner", location="Lyon")
    assert _event_names(sue, "party") == [] and _event_names(sue, "paris") == []
    assert _event_names(sue, "dinner") == _event_names(sue, "lyon") == ["Launch Dinner"]
    clients.assign_client(boss, kevin.id, staff["commercial2"].id)
    events.assign_event(boss, event.id, staff["support2"].id)
    assert _find(sue, "dubois") == ["Kévin Dubois"]
    assert _event_names(sue, "dubois") == ["Launch Dinner"]
    assert_in_step()


def test_users_deleted_or_deactivated(staff):
    boss = staff["management"]
    users.deactivate_user(boss, staff["support2"].id)
    assert [u.email for u in users.list_users(boss, search="sam").rows] == ["sam@epic.test"]
    assert [u.email for u in users.list_users(boss, search="sam", inactive=True).rows] == [
        "sam@epic.test"]
    users.delete_user(boss, staff["support2"].id)
    assert users.list_users(boss, search="sam").rows == []
    users.update_user(boss, staff["support"].id, email="suzanne@epic.test")
    assert users.list_users(boss, search="sue@epic").rows == []
    assert [u.full_name for u in users.list_users(boss, search="suzanne").rows] == ["Sue Port"]
    assert_in_step()


def test_bulk_writers_use_the_same_text_and_refresh(staff, make):
    """What an importer or an erasure does: write rows in bulk, then the search follows."""
    sue = staff["support"]
    Client.insert_many([
        {"full_name": name, "name_key": name.lower(), "email": email, "commercial": staff[
            "commercial"].id, "search_text": client_text(name, email, None)}
        for name, email in (("Élodie Imported", "elodie@bulk.fr"), ("Other Imported", "o@bulk.fr"))
    ]).execute()
    assert _find(sue, "elodie") == ["Élodie Imported"]
    kevin = make.client(full_name="Kevin Casey")
    make.event(make.contract(kevin, signed=True), name="Gala")
    Client.update(full_name="Erased", email="erased-1@invalid").where(Client.id == kevin.id).execute()
    assert search.refresh(Client, [kevin.id]) == 2  # the client and its event
    assert _find(sue, "kevin") == [] and _event_names(sue, "kevin") == []
    assert _find(sue, "erased") == ["Erased"] and _event_names(sue, "erased") == ["Gala"]
    assert_in_step()


# --- a commercial's events ----------------------------------------------------------------


def _mine(user) -> list[int]:
    return [e.id for e in events.list_events(user, mine=True).rows]


def test_a_commercials_events_follow_the_client_and_the_reassignment(staff, make):
    boss, bill, cara = staff["management"], staff["commercial"], staff["commercial2"]
    client = make.client("commercial")
    late = make.event(make.contract(client, signed=True), start="2031-01-01 10:00",
                      end="2031-01-01 12:00")
    early = make.event(make.contract(client, signed=True), start="2030-01-01 10:00",
                       end="2030-01-01 12:00")
    assert _mine(bill) == [early.id, late.id] and _mine(cara) == []
    clients.assign_client(boss, client.id, cara.id)
    assert _mine(bill) == [] and _mine(cara) == [early.id, late.id]
    users.delete_user(boss, cara.id, reassign_to=bill.id)
    assert _mine(bill) == [early.id, late.id]
    assert Event.select().where(Event.commercial != bill.id).count() == 0
    stray = Event.select(Event.id).join(Contract, on=(Event.contract == Contract.id)).where(
        Event.commercial != Contract.commercial)
    assert not stray.exists()


# --- served by an index ---------------------------------------------------------------------


def _plan(query) -> str:
    sql, params = query.sql()
    if _is_sqlite():
        rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(str(row[-1]) for row in rows)
    with database.atomic():
        database.execute_sql("SET LOCAL enable_seqscan = off")
        rows = database.execute_sql("EXPLAIN " + sql, params).fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("text", ["m", "ma", "mar", "chloe dup", "acme."])
def test_every_search_is_served_by_the_trigram_index(staff, make, text):
    make.client(full_name="Chloé Dupont")
    for model in (Client, Event, User):
        query = model.select(model.id).where(search.matches(model, Query.parse(text)))
        table = model._meta.table_name
        index = f"{table}_search VIRTUAL TABLE" if _is_sqlite() else f"{table}_search_text_trgm"
        assert index in _plan(query)


def test_a_commercials_events_are_read_in_start_order_from_an_index(staff, make):
    if not _is_sqlite():
        pytest.skip("PostgreSQL's plan depends on table statistics (checked by hand at 100k rows)")
    query = (Event.select(Event.id).where(Event.commercial == staff["commercial"].id)
             .order_by(Event.start, Event.id))
    plan = _plan(query)
    assert "event_commercial_id_start_id" in plan and "TEMP B-TREE" not in plan, plan


def test_sqlite_keeps_the_triggers_that_feed_the_search_index(db):
    """A migration that rebuilds a searched table on SQLite drops its triggers: caught here."""
    if not _is_sqlite():
        pytest.skip("PostgreSQL's GIN index needs no trigger")
    found = {row[0] for row in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()}
    assert {f"{t}_{index}_{when}" for t in ("client", "event", "user")
            for index in ("search", "words") for when in ("insert", "update", "delete")} <= found


# --- past the count cap, each rank is read on its own ------------------------------------


def test_ranked_pages_past_the_cap_are_the_same_pages(staff, make, monkeypatch):
    """With many matches each rank is read apart (index or name walk): same order, same pages."""
    from epicshell.services import base

    for name, company in (("Marc Zed", "A"), ("Zoé Adam", "Marvel"), ("Anne Marchal", "B"),
                          ("Omar Diallo", "C"), ("Bob Roux", "Lemarc"), ("Marcel Abel", "D"),
                          ("Yves Tamar", "E"), ("Amaro Li", "Mars"), ("Léa Marin", "F")):
        make.client(full_name=name, company=company)
    sue = staff["support"]
    expected = _find(sue, "mar")
    assert expected == ["Amaro Li", "Marc Zed", "Marcel Abel", "Zoé Adam", "Anne Marchal",
                        "Léa Marin", "Bob Roux", "Omar Diallo", "Yves Tamar"]
    monkeypatch.setattr(base, "COUNT_CAP", 2)
    for limit in (1, 2, 4, 9):
        seen = []
        for page in range(1, 12 // limit + 2):
            listing = clients.list_clients(sue, search="mar", page=page, limit=limit)
            assert listing.capped and listing.total_text == "2+"
            seen.extend(_names(listing))
        assert seen == expected, limit
    monkeypatch.setattr(base, "COUNT_CAP", 0)  # every rank "large": walked in name order
    assert _find(sue, "mar") == expected
    assert _find(sue, "ma") == expected[:6]  # no match inside a word for two letters
    assert clients.list_clients(sue, search="mar", page=3, limit=4).rows[0].full_name == "Yves Tamar"
    assert clients.list_clients(sue, search="mar", count=True).total == 9


def test_the_commands_search_and_refuse_text_without_letters(shell, make, db_snapshot):
    make.client(full_name="Chloé Dupont", email="chloe.dupont@acme.fr", company="Crème SA")
    make.event(make.contract(make.client(full_name="Jürgen Müller"), signed=True), name="Gala")
    names = lambda line: [r.get("full_name") or r["name"] for r in shell.ok(line).json()]  # noqa: E731
    assert names("client search CHLOE --format json") == ["Chloé Dupont"]
    assert names("client list --search creme --format json") == ["Chloé Dupont"]
    assert names("event search muller --format json") == ["Gala"]
    assert names("event list --search MÜLLER --count --format json") == ["Gala"]
    assert names("user list --search epic.test --limit 2 --format json") == ["Ana Lopez", "Bill Boquet"]
    before = db_snapshot()
    assert shell.fails("client search %%") == "error: search: '%%' has no letter or digit to look for"
    for line in ("client search ''", "event search '  '", "client list --search ''",
                 "user list --search ''", "event list --search ' '"):
        assert shell.fails(line) == \
            "error: search: is empty: give the letters or digits to look for", line
    assert db_snapshot() == before


def test_big_results_are_ranked_from_the_word_index_page_by_page(staff, make, monkeypatch):
    """Past RANK_AT_ONCE matches a start rank is read from the word index (several words of
    one prefix merged, a prefix of too many words walked by name instead): the pages are
    those of ranking everything at once."""
    from epicshell.services import base

    for name, company in (("Marc Zed", "Martinez SA"), ("Zoé Martin", "A"), ("Anne Martine", "B"),
                          ("Omar Martin", "Martin Group"), ("Bob Martins", "C"),
                          ("Léa Marin", "Martin"), ("Ugo Amartin", "D"), ("Ivo Martin-Roy", "E")):
        make.client(full_name=name, company=company)
    sue = staff["support"]
    for text in ("martin", "mar", "ma", "martin!", "omar martin", "art", "tin", "tin!", "rtin"):
        expected = _find(sue, text, count=True)
        monkeypatch.setattr(search, "RANK_AT_ONCE", 0)
        for max_words, cap in itertools.product((64, 1), (10_000, 0)):
            # merged words, then the name walk past the word limit; a rare then a common
            # match (inside words: sorted, then read from the vocabulary's words)
            monkeypatch.setattr(search_words, "MAX_WORDS", max_words)
            monkeypatch.setattr(base, "COUNT_CAP", cap)
            for limit in (1, 3, 50):
                seen = []
                for page in range(1, len(expected) // limit + 2):
                    seen.extend(_names(clients.list_clients(sue, search=text, page=page,
                                                            limit=limit)))
                assert seen == expected, (text, max_words, cap, limit)
        monkeypatch.setattr(search, "RANK_AT_ONCE", 1000)
        monkeypatch.setattr(base, "COUNT_CAP", 0)  # the multi-word rank walks its first word
        assert _find(sue, text) == expected, text
        monkeypatch.undo()
    assert _find(sue, "martin")[:3] == ["Léa Marin", "Marc Zed", "Omar Martin"]
    expected = _find(sue, "martin")
    monkeypatch.setattr(base, "COUNT_CAP", 2)  # "martin" is a word of more than 2 clients
    listing = clients.list_clients(sue, search="martin")
    assert listing.capped and listing.total_text == "2+" and _names(listing) == expected
    assert _find(sue, "martin!") == ["Léa Marin", "Omar Martin", "Ivo Martin-Roy", "Zoé Martin",
                                     "Ugo Amartin"]


def test_one_word_counts_from_the_word_index_equal_the_trigram_counts(staff, make, monkeypatch):
    """A one-word query is counted from the word index on PostgreSQL: a start query
    ("ma", "@mart") from its prefix's range, a fragment ("art", "tin!") from the words of
    the vocabulary holding it. Exact below the cap, "N+" above it, and the trigram count
    when a record's many words fill the entries read or the fragment is in too many
    words. Every count equals the exact one."""
    from epicshell.services import base

    for name, email in (("Marc Mars", "marc.mars@x.test"), ("Ana Mala", "ana@mamie.test"),
                        ("Zed Omar", "zed@y.test"), ("Mia Marin Maria", "mia@ma.test"),
                        ("Ugo Roux", "ugo@z.test")):
        make.client(full_name=name, email=email)
    sue = staff["support"]
    for text in ("ma", "m", "mar", "@mart", "zz", "maria", "ar", "ari", "ars!", "test", "zzz"):
        exact = clients.list_clients(sue, search=text, count=True).total
        for cap, spread, max_words in itertools.product((0, 1, 2, 3, 100), (1, 2, 4), (64, 1)):
            monkeypatch.setattr(base, "COUNT_CAP", cap)
            monkeypatch.setattr(search_words, "SPREAD", spread)
            monkeypatch.setattr(search_words, "MAX_WORDS", max_words)
            listing = clients.list_clients(sue, search=text)
            assert (listing.total, listing.capped) == (min(exact, cap), exact > cap), \
                (text, cap, spread, max_words)
        monkeypatch.undo()
    assert search_words.records_holding(Client, "ari", False, 100) == (1, False)  # marin maria: one
    assert search_words.records_holding(Client, "ars", True, 100) == (1, False)  # mars
    assert search_words.records_with_prefix(Client, "ma", (True, False), 100) == (3, False)
    assert search_words.records_with_prefix(Client, "ma", (True, False), 2) == (2, True)
    assert search_words.records_with_prefix(Client, "ma", (False,), 100) == (3, False)


def test_a_word_held_by_more_records_than_the_cap_is_proven_from_the_word_index(staff, make,
                                                                              monkeypatch):
    """SQLite asks the word index whether more than the cap hold the query's word itself
    before it counts trigram matches: the same totals, whatever the cap, for a word, a word
    start or end, and a fragment or field start that this proof does not cover."""
    from epicshell.services import base

    for name, email in (("Omar Martin", "om@x.test"), ("Zoé Martin", "martin@y.test"),
                        ("Ivo Martin-Roy", "ivo@z.test"), ("Ugo Amartin", "ugo@w.test"),
                        ("Martin Zed", "mz@v.test")):
        make.client(full_name=name, email=email)
    sue = staff["support"]
    for text in ("martin", "martin!", "@martin", "@martin!", "mart", "amartin", "roy"):
        exact = clients.list_clients(sue, search=text, count=True).total
        for cap in (0, 1, 2, 3, 4, 100):
            monkeypatch.setattr(base, "COUNT_CAP", cap)
            listing = clients.list_clients(sue, search=text)
            assert (listing.total, listing.capped) == (min(exact, cap), exact > cap), (text, cap)
        monkeypatch.undo()
    # three later words "martin" (one in an email's first field too: "martin@…")
    assert search_words.many_hold_word(Client, "martin", 2)
    assert not search_words.many_hold_word(Client, "martin", 3)
    assert not search_words.many_hold_word(Client, "mart", 0)  # no such whole word


def test_names_sort_and_complete_without_their_accents(staff, make):
    """Ties go by name as people file them: "Élodie" among the E's, before "Zed"; `elo`
    and `ELO` complete "Élodie"."""
    from epicshell.services import lookups

    make.client(full_name="Zed Brien", email="zed@x.test")
    make.client(full_name="Élodie Bri", email="elodie@x.test")
    make.client(full_name="Emma Brio", email="emma@x.test")
    sue = staff["support"]
    assert _find(sue, "bri") == ["Élodie Bri", "Emma Brio", "Zed Brien"]
    sorted_names = [c.full_name for c in clients.list_clients(sue, sort="name").rows]
    assert sorted_names == ["Élodie Bri", "Emma Brio", "Zed Brien"]
    for typed in ("elo", "ELO", "Élo"):
        assert [label.split(" — ")[0] for _id, label in lookups.record_ids("client", typed)] \
            == ["Élodie Bri"]
