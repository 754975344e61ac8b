"""The questionary wizards, typed into in process (pipe input), against the real database.

Each test types what a person would: answers, Enter, arrows in a choice list, Ctrl-U to
clear a refused answer, Ctrl-C to give up. The database says what was saved.
"""
from __future__ import annotations

import pytest
from conftest import PASSWORD, snapshot_rows
from prompt_helpers import CTRL_C, CTRL_U, DOWN, ENTER, InteractiveShell, Shown, terminal

from epicshell.errors import AuthenticationError, EpicError
from epicshell.models import AuditEntry, Client, Contract, Event, User
from epicshell.services import auth
from epicshell.shell import wizards
from epicshell.shell.app import Environment
from epicshell.shell.fields import CLIENT_FIELDS

NEW_PASSWORD = "a brand new passphrase"


def answers(*values: str) -> str:
    """Keys for a run of text answers, each followed by Enter."""
    return "".join(value + ENTER for value in values)


@pytest.fixture
def shell(db_url, staff, monkeypatch):
    monkeypatch.setenv("EPICSHELL_PASSWORD", PASSWORD)
    return InteractiveShell(db_url)


def audit_fields(entity: str, ident: int, action: str = "update") -> list[str]:
    rows = AuditEntry.select().where((AuditEntry.entity == entity) & (AuditEntry.entity_id == ident)
                                     & (AuditEntry.action == action))
    return sorted(row.field for row in rows)


# -- every wizard, completed ---------------------------------------------------------------


def test_client_create_wizard_as_a_commercial(shell, staff):
    shell.login("bill@epic.test")
    keys = answers("Kevin Casey", "kevin@startup.io", "+33 6 12 34 56 78", "Cool Startup") + "y"
    outcome = shell.ok("client create", keys)
    client = Client.get(Client.email == "kevin@startup.io")
    assert (client.full_name, client.phone, client.company) == ("Kevin Casey", "+33 6 12 34 56 78",
                                                                "Cool Startup")
    assert client.commercial_id == staff["commercial"].id
    assert f"Created client {client.id}: Kevin Casey" in outcome.out
    assert "Phone:" in outcome.out and "Save?" in outcome.screen  # summary, then the confirm


def test_client_create_wizard_as_management_picks_the_commercial_from_a_list(shell, staff):
    shell.login("ana@epic.test")
    keys = answers("Kevin Casey", "kevin@startup.io", "", "") + DOWN + ENTER + "y"
    outcome = shell.ok("client create", keys)
    client = Client.get(Client.email == "kevin@startup.io")
    assert client.commercial_id == staff["commercial2"].id  # second in the list: Cara
    cara = staff["commercial2"]
    assert f"Commercial contact: {cara.id} (Cara Dune <cara@epic.test>)" in outcome.out
    assert client.phone is None and client.company is None  # optional answers left empty


def test_user_create_wizard_with_the_password_typed_twice(shell, staff):
    shell.login("ana@epic.test")
    keys = (answers("zoe@epic.test", "Zoe Field") + DOWN + DOWN + ENTER + answers("S042")
            + answers(NEW_PASSWORD, NEW_PASSWORD) + "y")  # the form ends on its summary
    outcome = shell.ok("user create", keys)
    summary = outcome.out[outcome.out.index("New user:"):]
    assert "Password:" in summary and "(typed twice, not shown)" in summary
    user = User.get(User.email == "zoe@epic.test")
    assert (user.full_name, user.department, user.employee_number) == ("Zoe Field", "support",
                                                                       "S042")
    assert auth.login("zoe@epic.test", NEW_PASSWORD).id == user.id
    assert NEW_PASSWORD not in outcome.screen + outcome.out + outcome.err  # typed hidden
    assert "at least 12 characters" in outcome.screen  # the policy is shown


def test_contract_create_wizard_picks_the_client(shell, make):
    client = make.client("commercial", full_name="Kevin Casey")
    shell.login("bill@epic.test")
    outcome = shell.ok("contract create", answers(str(client.id), "1500", "") + "y")
    contract = Contract.get(Contract.client == client.id)
    assert (contract.total_cents, contract.due_cents, contract.status) == (150000, 150000, "draft")
    assert "Kevin Casey" in outcome.out  # the summary names the client


def test_contract_wizard_offers_a_commercial_only_their_own_clients(shell, make):
    from epicshell.shell.lookups import own_client_ids

    mine = make.client("commercial", full_name="Kevin Casey")
    theirs = make.client("commercial2", full_name="Kelly Other")
    shell.login("bill@epic.test")
    offered = [value for value, _label in own_client_ids(shell.app, "ke")]
    assert offered == [str(mine.id)] and str(theirs.id) not in offered


def test_event_create_wizard_picks_the_contract_among_a_commercials_signed_ones(shell, make):
    """`event create` without CONTRACT_ID asks for it first, offering only the signed
    contracts of the commercial's own clients, then the event's fields."""
    from epicshell.shell.lookups import event_contract_ids

    mine = make.client("commercial", full_name="Kevin Casey")
    signed = make.contract(mine, signed=True)
    draft = make.contract(mine)
    theirs = make.contract(make.client("commercial2", full_name="Kelly Other"), signed=True)
    shell.login("bill@epic.test")
    offered = [value for value, _label in event_contract_ids(shell.app, "")]
    assert offered == [str(signed.id)] and str(draft.id) not in offered \
        and str(theirs.id) not in offered
    refused = shell.run(f"event create {draft.id}", "")  # given: refused before any question
    assert refused.err.strip().endswith("events need a signed contract")
    assert "?" not in refused.screen
    # a contract that would fail is refused as typed: a draft, another's, none at all
    script = [answers(str(draft.id)), Shown("events need a signed contract"),
              CTRL_U + answers(str(theirs.id)), Shown("not yours"),  # permission denied
              CTRL_U + answers("99999"), Shown("found"),  # contract 99999 not found
              CTRL_U + answers(str(signed.id), "Launch party", "2030-06-01 18:00",
                               "2030-06-01 23:00", "", "", "") + "y"]
    outcome = shell.ok("event create", script=script)
    event = Event.get(Event.contract == signed.id)
    assert event.name == "Launch party" and f"Created event {event.id}" in outcome.out


def test_event_create_wizard(shell, make):
    contract = make.contract(make.client("commercial"), signed=True)
    shell.login("bill@epic.test")
    keys = answers("Launch party", "2030-06-01 18:00", "2030-06-01 23:00", "Paris", "120",
                   "Vegetarian menu") + "y"
    outcome = shell.ok(f"event create {contract.id}", keys)
    event = Event.get(Event.contract == contract.id)
    assert (event.name, event.location, event.attendees, event.notes) == (
        "Launch party", "Paris", 120, "Vegetarian menu")
    assert f"Created event {event.id}" in outcome.out


def test_password_change_asks_current_then_new_twice(shell, staff):
    shell.login("sue@epic.test")
    outcome = shell.ok("user password", answers(PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
    assert "Password changed" in outcome.out
    assert auth.login("sue@epic.test", NEW_PASSWORD).id == staff["support"].id
    with pytest.raises(AuthenticationError):
        auth.login("sue@epic.test", PASSWORD)
    assert shell.ok("whoami").out.startswith("Sue Port")  # this shell goes on


# -- refused answers, mismatches, cancelling -------------------------------------------------


def test_an_invalid_answer_is_refused_as_typed_and_corrected(shell, staff):
    shell.login("bill@epic.test")
    script = [answers("Kevin Casey", "not-an-email"), Shown("is not a valid address"),
              CTRL_U + answers("kevin@startup.io", "12"), Shown("6 to 20 digits"),
              CTRL_U + answers("+33 6 12 34 56 78", "") + "y"]
    shell.ok("client create", script=script)
    client = Client.get(Client.full_name == "Kevin Casey")
    assert (client.email, client.phone) == ("kevin@startup.io", "+33 6 12 34 56 78")


def test_an_answer_contradicting_an_earlier_one_is_refused_as_typed(shell, make):
    contract = make.contract(make.client("commercial"), signed=True)
    shell.login("bill@epic.test")
    script = [answers("Launch party", "2030-06-01 18:00", "2030-06-01 17:00"),
              Shown("must be after the start"),
              CTRL_U + answers("2030-06-01 23:00", "", "", "") + "y"]
    shell.ok(f"event create {contract.id}", script=script)
    event = Event.get(Event.contract == contract.id)
    assert event.end > event.start


def test_a_due_above_the_total_is_refused_as_typed(shell, make):
    client = make.client("commercial")
    shell.login("bill@epic.test")
    script = [answers(str(client.id), "1500", "2000"), Shown("2000.00 is more than the total 1500.00"),
              CTRL_U + answers("500") + "y"]
    shell.ok("contract create", script=script)
    contract = Contract.get(Contract.client == client.id)
    assert (contract.total_cents, contract.due_cents) == (150000, 50000)


def test_a_new_password_breaking_the_policy_is_refused_before_the_second_question(shell):
    shell.login("sue@epic.test")
    script = [answers(PASSWORD, "short"), Shown("must be at least 12 characters"),
              CTRL_U + answers(NEW_PASSWORD, NEW_PASSWORD)]
    shell.ok("user password", script=script)
    assert auth.login("sue@epic.test", NEW_PASSWORD)


def test_two_different_passwords_are_asked_again(db_url):
    with terminal(answers("first passphrase 1", "other passphrase 2",
                          NEW_PASSWORD, NEW_PASSWORD)) as (_pipe, screen):
        assert wizards.ask_secret("Password", confirm=True) == NEW_PASSWORD
    assert "The two passwords differ" in screen.getvalue()


def test_ctrl_c_in_a_wizard_saves_nothing(shell, staff):
    shell.login("bill@epic.test")
    before = snapshot_rows()
    outcome = shell.run("client create", answers("Kevin Casey", "kevin@startup.io") + CTRL_C)
    assert not outcome.ok
    assert outcome.err.strip() == "error: cancelled: nothing saved"
    assert snapshot_rows() == before
    assert shell.ok("whoami").out.startswith("Bill Boquet")  # the shell and session go on


def test_declining_the_summary_saves_nothing(shell, staff):
    shell.login("bill@epic.test")
    before = snapshot_rows()
    outcome = shell.run("client create", answers("Kevin Casey", "kevin@startup.io", "", "") + "n")
    assert "cancelled: nothing saved" in outcome.err
    assert snapshot_rows() == before


def test_ctrl_c_in_a_choice_list_and_in_a_password_cancel_too(shell, staff):
    shell.login("ana@epic.test")
    before = snapshot_rows()
    assert "cancelled" in shell.run("client create", answers("K C", "k@c.io", "", "") + CTRL_C).err
    keys = answers("zoe@epic.test", "Zoe Field") + ENTER + answers("S042") + "y" + CTRL_C
    assert "cancelled" in shell.run("user create", keys).err
    assert snapshot_rows() == before


# -- update wizards: the current values are the defaults -------------------------------------


def test_update_accepting_every_default_changes_nothing(shell, make):
    client = make.client("commercial")
    shell.login("bill@epic.test")
    before = snapshot_rows()
    outcome = shell.ok(f"client update {client.id}", ENTER * 4 + "y")
    assert "Nothing changed." in outcome.out
    assert client.full_name in outcome.screen  # the current value was offered
    assert snapshot_rows() == before


def test_update_changing_one_field_audits_that_field_only(shell, make):
    client = make.client("commercial")
    shell.login("bill@epic.test")
    keys = ENTER * 2 + CTRL_U + answers("+44 20 7946 0000") + ENTER + "y"
    outcome = shell.ok(f"client update {client.id}", keys)
    assert "(changed)" in outcome.out  # the summary marks it
    assert Client.get_by_id(client.id).phone == "+44 20 7946 0000"
    assert audit_fields("client", client.id) == ["phone"]


def test_event_update_by_its_support_changes_only_what_was_retyped(shell, make):
    event = make.event(support="support")
    shell.login("sue@epic.test")
    keys = ENTER * 4 + CTRL_U + answers("75") + ENTER + "y"
    shell.ok(f"event update {event.id}", keys)
    assert Event.get_by_id(event.id).attendees == 75
    assert audit_fields("event", event.id) == ["attendees"]


def test_user_update_department_from_the_list(shell, staff):
    sam = staff["support2"]
    shell.login("ana@epic.test")
    # department list: management, commercial, support; the current (support) is preselected
    keys = ENTER * 2 + "\x1b[A" + ENTER + ENTER + "y"
    shell.ok(f"user update {sam.id}", keys)
    assert User.get_by_id(sam.id).department == "commercial"
    assert audit_fields("user", sam.id) == ["department"]


# -- the functions themselves ----------------------------------------------------------------


def test_run_wizard_returns_text_answers_over_the_given_values(db):
    class Printer:
        """The part of App a wizard uses: print, and the I/O environment (no terminal)."""

        lines: list[str] = []
        env = Environment()

        def print(self, text=""):
            self.lines.append(text)

    fields, given = CLIENT_FIELDS, {"full_name": "Given Name", "email": None, "phone": None,
                                    "company": None}
    to_ask = [f for f in fields if f.name != "full_name"]
    with terminal(answers("a@b.io", "", "Acme") + "y"):
        result = wizards.run_wizard(Printer(), "New client", fields, to_ask, given, {})
    assert result == {"full_name": "Given Name", "email": "a@b.io", "phone": "", "company": "Acme"}
    assert any("Given Name" in line for line in Printer.lines)  # given values are summarised too


def test_ask_text_and_ask_confirm(db):
    with terminal("ana@epic.test" + ENTER + "n"):
        assert wizards.ask_text("Email") == "ana@epic.test"
        assert wizards.ask_confirm("Sure?") is False
    with terminal(CTRL_C):
        with pytest.raises(EpicError, match="cancelled: nothing saved"):
            wizards.ask_confirm("Sure?")


def test_a_signed_contracts_wizard_asks_only_the_amount_due_and_a_cancelled_one_asks_nothing(
        shell, make):
    """The total of a signed contract cannot change: its update wizard does not offer it.
    A cancelled contract accepts no change: refused before any question, as `contract
    cancel` of one is refused before its confirmation."""
    client = make.client("commercial")
    signed = make.contract(client, total="1000", signed=True)
    cancelled = make.contract(client, total="500")
    shell.login("ana@epic.test")
    shell.ok(f"contract cancel {cancelled.id} --yes")
    outcome = shell.ok(f"contract update {signed.id}", CTRL_U + answers("250") + "y")
    assert "Total amount" not in outcome.screen and "Amount still due" in outcome.screen
    assert Contract.get_by_id(signed.id).due_cents == 25000
    before = snapshot_rows()
    for line in (f"contract update {cancelled.id}", f"contract cancel {cancelled.id}"):
        outcome = shell.run(line, "")  # no answer is typed: none may be asked
        assert outcome.err.strip() == f"error: contract {cancelled.id} is cancelled and accepts " \
                                      "no change", line
        assert "?" not in outcome.screen, line
    assert snapshot_rows() == before


def test_a_taken_email_or_employee_number_is_refused_as_it_is_typed(shell, make, staff):
    """Uniqueness is one of the rules checked as typed: another record's email or employee
    number is refused at once; the record's own value, kept on an update, is not."""
    kevin = make.client("commercial", full_name="Kevin Casey", email="kevin@startup.io")
    shell.login("bill@epic.test")
    script = [answers("Kevin Two", "KEVIN@startup.io"), Shown("already used by another client"),
              CTRL_U + answers("kevin2@startup.io", "", "") + "y"]
    shell.ok("client create", script=script)
    assert Client.get(Client.email == "kevin2@startup.io").full_name == "Kevin Two"
    shell.ok(f"client update {kevin.id}",  # its own email, kept: accepted
             CTRL_U + answers("Kevin Casey-Jones", "", "", "") + "y")
    assert Client.get_by_id(kevin.id).full_name == "Kevin Casey-Jones"
    shell.login("ana@epic.test")
    sue = staff["support"]
    taken = staff["commercial"].employee_number
    script = [answers("", "") + ENTER + CTRL_U + answers(taken),
              Shown("already used by another user"), CTRL_U + answers("S999") + "y"]
    shell.ok(f"user update {sue.id}", script=script)
    assert User.get_by_id(sue.id).employee_number == "S999"


def test_password_rules_are_checked_on_the_first_entry_and_the_current_one_first(shell, staff):
    """A new password containing the email's name is refused before it is asked again; a
    wrong current password is said before a new one is asked at all."""
    shell.login("bill@epic.test")
    outcome = shell.run("user password", answers("not my password at all"))
    assert outcome.err.strip() == "error: current_password: is wrong"
    assert "New password" not in outcome.screen
    script = [answers(PASSWORD, "billbillbill1"), Shown("must"),  # must not contain your email…
              CTRL_U + answers(NEW_PASSWORD, NEW_PASSWORD)]
    shell.ok("user password", script=script)
    assert auth.login("bill@epic.test", NEW_PASSWORD)
