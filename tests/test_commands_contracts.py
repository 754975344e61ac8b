"""`contract …` commands through the real shell dispatch (App.execute), without a terminal."""
from __future__ import annotations

import pytest
from conftest import snapshot_rows
from shell_helpers import check_refused_then_allowed, commands_of, open_shell

from epicshell.models import Contract
from epicshell.services.records import CONTRACT_KEYS

# commands.md §4, Contracts. "commercial" is the owner of {client}; "commercial2" is not.
PERMISSIONS = [
    ("contract list", "support", ()),
    ("contract mine", "commercial", ()),
    ("contract unsigned", "support", ()),
    ("contract unpaid", "support", ()),
    ("contract view {draft}", "support", ()),
    ("contract create {client} --total 100", "commercial", ("support", "commercial2")),
    ("contract create {client} --total 100", "management", ()),
    ("contract update {draft} --total 2000", "commercial", ("support", "commercial2")),
    ("contract sign {draft}", "commercial", ("support", "commercial2")),
    ("contract pay {signed} 100", "commercial", ("support", "commercial2")),
    ("contract cancel {draft} --yes", "management", ("commercial", "support")),
]


@pytest.mark.parametrize("line, allowed_as, refused_as", PERMISSIONS,
                         ids=[f"{row[0].split(' {')[0]}-{row[1]}" for row in PERMISSIONS])
def test_each_contract_command_allowed_and_refused(shell, ids, line, allowed_as, refused_as):
    check_refused_then_allowed(shell, line.format(**ids), allowed_as, refused_as)


def test_help_of_every_contract_command(db_url, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    names = commands_of("contract")
    assert names == ["contract cancel", "contract create", "contract export", "contract import",
                     "contract list", "contract mine",
                     "contract pay", "contract sign", "contract unpaid", "contract unsigned",
                     "contract update", "contract view"]
    for name in names:
        out = shell.ok(f"{name} --help").out
        assert out.startswith(f"usage: {name}") and "examples:" in out


def test_empty_lists_do_not_crash(shell):
    for line in ("contract list", "contract mine", "contract unsigned", "contract unpaid"):
        assert shell.ok(line).out == "no contracts match"
        assert shell.ok(line + " --format json").json() == []
        assert shell.ok(line + " --format csv").out == ",".join(CONTRACT_KEYS)


def test_create_sign_and_list_filters(shell, make, staff):
    client = make.client("commercial")
    assert shell.ok(f"contract create {client.id} --total 1500").out == (
        f"Created contract 1 for {client.full_name}: total 1500.00, due 1500.00 (draft).")
    shell.ok(f"contract create {client.id} --total 800.5 --due 0")
    assert shell.ok("contract sign 1").out == "Contract 1 signed."
    assert shell.fails("contract sign 1") == (
        "error: contract 1 is signed; only a draft can be signed")
    listing = shell.ok("contract list --format json").json()
    assert [list(row) for row in listing] == [list(CONTRACT_KEYS)] * 2
    assert listing[0]["status"] == "signed" and listing[0]["signed_at"] is not None
    assert listing[1]["total"] == "800.50" and listing[1]["due"] == "0.00"
    assert listing[0]["commercial_id"] == staff["commercial"].id
    assert [c["id"] for c in shell.ok("contract unsigned --format json").json()] == [2]
    assert [c["id"] for c in shell.ok("contract unpaid --format json").json()] == [1]
    assert [c["id"] for c in shell.ok("contract list --status signed --format json").json()] == [1]
    assert [c["id"] for c in shell.ok(f"contract list --client {client.id} --unsigned "
                                      "--format json").json()] == [2]
    shell.login("commercial")
    assert len(shell.ok("contract mine --format json").json()) == 2
    shell.login("commercial2")
    assert shell.ok("contract list --mine").out == "no contracts match"
    assert "not one of draft, signed, cancelled" in shell.fails("contract list --status paid")


def test_create_without_a_terminal_names_what_is_missing(shell, make):
    client = make.client()
    before = snapshot_rows()
    assert shell.fails("contract create") == "error: missing required options: CLIENT_ID, --total"
    assert shell.fails(f"contract create {client.id} --due 5") == (
        "error: missing required option: --total")
    assert shell.fails("contract create 999 --total 5") == "error: client 999 not found"
    assert "more than the total" in shell.fails(f"contract create {client.id} --total 5 --due 6")
    assert snapshot_rows() == before


def test_a_commercial_hears_about_ownership_before_missing_options(shell, make):
    client = make.client("commercial")
    shell.login("commercial2")
    assert shell.fails(f"contract create {client.id}") == (
        "error: permission denied: this client is not yours")


def test_payments_are_exact_to_the_cent(shell, make):
    contract = make.contract(total="0.30", signed=True)
    assert shell.ok(f"contract pay {contract.id} 0.1").out == (
        f"Recorded a payment of 0.10 on contract {contract.id}; still due: 0.20.")
    shell.ok(f"contract pay {contract.id} 0.10")
    assert shell.ok(f"contract pay {contract.id} .1").out.endswith("still due: 0.00.")
    assert shell.ok(f"contract view {contract.id} --format json").json()[0]["due"] == "0.00"
    assert Contract.get_by_id(contract.id).due_cents == 0
    big = make.contract(total="999999999.99", signed=True)
    assert shell.ok(f"contract pay {big.id} 0.01").out.endswith("still due: 999999999.98.")


@pytest.mark.parametrize("amount, message", [
    ("0", "amount: a payment must be more than 0"),
    ("1.005", "amount: '1.005' has more than two decimal places"),
    ("-3", "amount: '-3' is negative"),
    ("ten", "amount: 'ten' is not a decimal"),
    ("1000.01", "amount: 1000.01 is more than the amount due 1000.00"),
])
def test_bad_payments_change_nothing(shell, make, amount, message):
    contract = make.contract(signed=True)
    before = snapshot_rows()
    assert shell.fails(f"contract pay {contract.id} {amount}").startswith(f"error: {message}")
    assert snapshot_rows() == before


def test_update_rules_come_from_the_service(shell, make):
    draft = make.contract(total="100")
    assert shell.ok(f"contract update {draft.id} --total 120 --due 60").out == (
        f"Updated contract {draft.id}: total 120.00, due 60.00.")
    assert "nothing to change" in shell.fails(f"contract update {draft.id}")
    signed = make.contract(signed=True)
    assert "signed; its total cannot change" in shell.fails(f"contract update {signed.id} --total 1")
    shell.ok(f"contract update {signed.id} --due 10")
    assert shell.fails(f"contract update {signed.id} --due -5") == "error: due: '-5' is negative"


def test_view_shows_payments_and_events(shell, make):
    contract = make.contract(total="1000", signed=True)
    make.event(contract, name="Launch")
    shell.ok(f"contract pay {contract.id} 250.50")
    table = shell.ok(f"contract view {contract.id}").out
    assert "payments (1)" in table and "250.50" in table and "Ana Lopez" in table
    assert "events (1)" in table and "Launch" in table
    record = shell.ok(f"contract view {contract.id} --format json").json()
    assert len(record) == 1 and list(record[0]) == list(CONTRACT_KEYS)
    assert record[0]["due"] == "749.50"
    assert shell.fails("contract view 404") == "error: contract 404 not found"


def test_cancel_needs_yes_and_then_accepts_no_change(shell, make):
    contract = make.contract(signed=True)
    assert shell.fails(f"contract cancel {contract.id}") == (
        "error: this command needs --yes when not run from a terminal")
    assert Contract.get_by_id(contract.id).status == "signed"
    assert shell.ok(f"contract cancel {contract.id} --yes").out == (
        f"Contract {contract.id} cancelled.")
    assert "cancelled and accepts no change" in shell.fails(f"contract pay {contract.id} 1")
    assert "signed contract" in shell.fails(f"event create {contract.id} --name X "
                                            "--start 2030-01-01 --end 2030-01-02")


def test_paging_footer_and_options(shell, make):
    client = make.client()
    for _ in range(120):
        make.contract(client)
    table = shell.ok("contract list").out
    assert table.splitlines()[-1] == "showing 1-50 of 120 (next: --page 2)"
    assert shell.ok("contract list --page 3").out.splitlines()[-1] == "showing 101-120 of 120"
    page = shell.ok("contract list --limit 10 --page 2 --format json").json()
    assert [c["id"] for c in page] == list(range(11, 21))
    assert len(shell.ok("contract unsigned --limit 7 --format csv").csv()) == 7
    assert shell.ok("contract list --page 9").out == "no contracts match"
    assert shell.fails("contract list --limit ten") == "error: limit: 'ten' is not a whole number"
    assert shell.fails("contract list --limit 0") == "error: limit: must be between 1 and 1000"
    assert shell.fails("contract list --page 0") == "error: page: must be 1 or more"


def test_misspelled_verbs_and_options_get_a_suggestion(shell):
    assert shell.fails("contract sing 1") == (
        "error: unknown command `contract sing`; did you mean `contract sign`?")
    assert shell.fails("contract list --unsinged") == (
        "error: contract list: unknown option --unsinged; did you mean --unsigned?")
    assert "usage: contract pay ID AMOUNT" in shell.fails("contract pay 1")


def test_at_a_terminal_ownership_is_checked_before_the_wizard_and_no_means_no(db_url, make,
                                                                                monkeypatch):
    from prompt_helpers import InteractiveShell

    open_shell(db_url, monkeypatch)  # sets the password variable login reads
    contract = make.contract(make.client("commercial"))
    terminal = InteractiveShell(db_url).login("cara@epic.test")
    outcome = terminal.run(f"contract update {contract.id}")
    assert outcome.err.strip() == "error: permission denied: this contract's client is not yours"
    assert outcome.screen == ""  # no question was asked
    terminal.login("ana@epic.test")
    outcome = terminal.run(f"contract cancel {contract.id}", "n")
    assert outcome.err.strip() == "error: cancelled: nothing changed"
    assert Contract.get_by_id(contract.id).status == "draft"
