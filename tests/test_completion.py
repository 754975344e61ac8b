"""TAB completion: what each department is offered, options, values and record ids."""
from __future__ import annotations

import io

import pytest
from conftest import PASSWORD
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from epicshell.config import Settings
from epicshell.services.session import Session
from epicshell.shell.app import App, Environment
from epicshell.shell.completion import ShellCompleter, split_line

ANONYMOUS = {"exit", "help", "login", "quit", "set", "setup", "status"}


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_app(db_url: str, clock=None) -> App:
    app = App(Settings(database_url=db_url), Environment())
    if clock:
        app.session = Session("k" * 32, 3600, 60, clock)
    return app


def complete(app, text: str) -> list:
    completer = ShellCompleter(app)
    return list(completer.get_completions(Document(text), CompleteEvent(completion_requested=True)))


def texts(app, text: str) -> list[str]:
    return [c.text.strip() for c in complete(app, text)]


def as_user(app, email: str) -> App:
    app.session.login(email, PASSWORD)
    return app


@pytest.fixture
def app(db_url, staff):
    return make_app(db_url)


def test_split_line_separates_the_word_being_typed():
    assert split_line("client vi") == (["client"], "vi")
    assert split_line("client view ") == (["client", "view"], "")
    assert split_line('client search "Kevin Ca') == (["client", "search", '"Kevin'], "Ca")
    assert split_line("") == ([], "")


def test_nobody_logged_in_is_offered_the_session_commands_only(app):
    assert set(texts(app, "")) == ANONYMOUS
    assert texts(app, "client ") == []
    assert texts(app, "lo") == ["login"]


@pytest.mark.parametrize("email, entity, offered, refused", [
    ("ana@epic.test", "user", {"create", "list", "deactivate", "password"}, set()),
    ("bill@epic.test", "user", {"password"}, {"create", "list", "deactivate"}),
    ("sue@epic.test", "user", {"password"}, {"create", "list", "reset-password"}),
    ("bill@epic.test", "client", {"list", "view", "create", "update"}, {"assign"}),
    ("sue@epic.test", "client", {"list", "view", "search"}, {"create", "update", "assign"}),
    ("sue@epic.test", "event", {"list", "update", "mine"}, {"create", "assign"}),
    ("bill@epic.test", "contract", {"create", "sign", "pay"}, {"cancel"}),
])
def test_verbs_follow_the_department_policy(app, email, entity, offered, refused):
    verbs = set(texts(as_user(app, email), f"{entity} "))
    assert offered <= verbs
    assert not refused & verbs


def test_first_words_of_a_logged_in_user(app):
    words = set(texts(as_user(app, "sue@epic.test"), ""))
    assert {"client", "contract", "event", "user", "whoami", "logout", "history"} <= words
    assert "setup" not in words  # there are users: setup cannot apply
    assert texts(app, "cl") == ["client"]
    assert [c.text for c in complete(app, "cl")] == ["client "]  # the space for the next word


def test_verbs_carry_their_summary(app):
    as_user(app, "bill@epic.test")
    view = next(c for c in complete(app, "client v"))
    assert view.text == "view " and view.start_position == -1
    assert "contracts and events" in view.display_meta_text


def test_options_not_yet_used(app):
    as_user(app, "bill@epic.test")
    first = texts(app, "client list --")
    assert {"--mine", "--commercial", "--search", "--format", "--limit", "--help"} <= set(first)
    assert "--mine" not in texts(app, "client list --mine --")
    assert texts(app, "client list --se") == ["--search"]


def test_option_values_from_choices_and_from_lookups(app, staff):
    as_user(app, "ana@epic.test")
    assert texts(app, "client list --format ") == ["table", "csv", "json"]
    assert texts(app, "client list --format c") == ["csv"]
    commercials = {c.text: c.display_meta_text for c in complete(app, "client list --commercial ")}
    assert commercials == {str(staff["commercial"].id): "Bill Boquet (commercial)",
                           str(staff["commercial2"].id): "Cara Dune (commercial)"}
    assert texts(app, "user list --department s") == ["support"]


def test_record_ids_come_with_their_names(app, make):
    client = make.client("commercial", full_name="Kevin Casey", company="Cool Startup")
    other = make.client("commercial", full_name="Zed Zulu", company=None)
    as_user(app, "sue@epic.test")
    found = {c.text: c.display_meta_text for c in complete(app, "client view ")}
    assert found[str(client.id)] == "Kevin Casey — Cool Startup"
    assert found[str(other.id)] == "Zed Zulu"
    by_name = complete(app, "client view kev")
    assert [(c.text, c.start_position) for c in by_name] == [(str(client.id), -3)]
    assert texts(app, f"client view {client.id}") == [str(client.id)]


def test_the_second_positional_gets_its_own_lookup(app, make, staff):
    client = make.client("commercial")
    as_user(app, "ana@epic.test")
    first = texts(app, "client assign ")
    assert str(client.id) in first
    second = {c.text: c.display_meta_text for c in complete(app, f"client assign {client.id} ")}
    assert second[str(staff["commercial2"].id)] == "Cara Dune (commercial)"
    assert str(staff["support"].id) not in second  # only commercials can take a client


def test_contract_and_event_ids(app, make):
    event = make.event(name="Launch party", start="2030-06-01 10:00", end="2030-06-01 18:00")
    as_user(app, "sue@epic.test")
    events = {c.text: c.display_meta_text for c in complete(app, "event view ")}
    assert events[str(event.id)].startswith("Launch party — 2030-06-01")
    contracts = {c.text: c.display_meta_text for c in complete(app, "contract view ")}
    assert contracts[str(event.contract_id)].endswith("— signed")


def test_help_topics_complete_word_by_word(app):
    as_user(app, "sue@epic.test")
    assert "client" in texts(app, "help cl")
    assert texts(app, "help client cr") == []  # support may not create clients
    as_user(app, "bill@epic.test")
    assert texts(app, "help client cr") == ["create"]


def test_an_unknown_command_offers_nothing(app):
    as_user(app, "ana@epic.test")
    assert texts(app, "frobnicate ") == []
    assert texts(app, "client frob ") == []


def test_completing_never_counts_as_activity(db_url, staff):
    clock = Clock()
    app = make_app(db_url, clock)
    as_user(app, "bill@epic.test")
    token = app.session.token
    clock.now += 30
    assert "create" in texts(app, "client ")
    assert app.session.token == token  # not refreshed: the idle clock still runs
    clock.now += 40  # 70 s since the last command: past the 60 s idle timeout
    assert set(texts(app, "")) == ANONYMOUS  # an ended session is offered nothing more
    assert app.session.active  # but completion did not end it: the next command says why
    app.env.stderr = io.StringIO()
    assert not app.execute("whoami")
    assert "session expired after inactivity" in app.env.stderr.getvalue()
    assert app.prompt_text() == "epic> "


def test_columns_complete_the_name_after_the_last_comma(app):
    as_user(app, "ana@epic.test")
    assert "--columns" in texts(app, "event list --")
    assert texts(app, "event list --columns lo") == ["location"]
    found = complete(app, "event list --columns id,na")
    assert [(c.text, c.display_text, c.start_position) for c in found] == [
        ("id,name", "name", -len("id,na"))]
    names = texts(app, "client list --columns id,")
    assert "id,full_name" in names and "id,id" not in names
    assert "all" in texts(app, "user list --columns ")
    assert texts(app, "audit --columns ch") == ["change"]


def test_set_completes_names_then_values(db_url, staff):
    app = make_app(db_url)  # nobody logged in: `set` is for anyone
    assert texts(app, "se") == ["set", "setup"]
    assert texts(app, "set ") == ["expanded", "format", "limit"]
    assert texts(app, "set ex") == ["expanded"]
    assert texts(app, "set expanded ") == ["auto", "on", "off"]
    assert texts(app, "set format c") == ["csv"]
    assert texts(app, "set limit ") == []


def test_ids_are_offered_only_where_the_command_would_accept_them(app, make, staff):
    """TAB offers what the command can take: drafts to sign, contracts not cancelled to pay,
    update or cancel, one's own clients (commercial) and assigned events (support), other
    active accounts to deactivate or reset, deactivated ones to activate."""
    mine, theirs = make.client("commercial"), make.client("commercial2")
    draft, signed = make.contract(mine), make.contract(mine, signed=True)
    cancelled, others = make.contract(mine), make.contract(theirs)
    as_user(app, "ana@epic.test")
    app.execute(f"contract cancel {cancelled.id} --yes")
    assert set(texts(app, "contract sign ")) == {str(draft.id), str(others.id)}
    assert set(texts(app, "contract pay ")) == {str(draft.id), str(signed.id), str(others.id)}
    assert str(cancelled.id) not in texts(app, "contract cancel ")
    me, sue = staff["management"], staff["support"]
    assert str(me.id) not in texts(app, "user deactivate ") and str(sue.id) in texts(
        app, "user deactivate ")
    assert str(me.id) not in texts(app, "user delete ")
    app.execute(f"user deactivate {sue.id}")
    assert texts(app, "user activate ") == [str(sue.id)]
    as_user(app, "bill@epic.test")
    assert set(texts(app, "contract sign ")) == {str(draft.id)}
    assert texts(app, "client update ") == [str(mine.id)]
    event = make.event(signed, support="support2")
    assigned = make.event(signed, support=None)
    as_user(app, "ana@epic.test")
    app.execute(f"user activate {sue.id}")
    app.execute(f"event assign {assigned.id} {sue.id}")
    as_user(app, "sue@epic.test")
    assert texts(app, "event update ") == [str(assigned.id)] and str(event.id) not in texts(
        app, "event update ")
