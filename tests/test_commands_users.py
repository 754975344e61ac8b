"""`user …` commands through the real shell dispatch (App.execute), without a terminal."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, snapshot_rows
from shell_helpers import (
    EMAILS,
    NEW_PASSWORD,
    NEW_PASSWORD_ENV,
    check_refused_then_allowed,
    commands_of,
    open_shell,
)

from epicshell.models import Client, User
from epicshell.services.records import USER_KEYS

NEW_USER = ("user create --email new@epic.test --full-name 'New Person' --department support "
            "--employee-number S009 --password-env EPICSHELL_PASSWORD")


# commands.md §4, Users: each command once for an allowed department, refused for the others.
PERMISSIONS = [
    ("user list", "management", ("commercial", "support")),
    ("user view {commercial}", "management", ("commercial", "support")),
    (NEW_USER, "management", ("commercial", "support")),
    ("user update {support2} --full-name 'Sam Helper'", "management", ("commercial", "support")),
    ("user deactivate {support2}", "management", ("commercial", "support")),
    ("user activate {support2}", "management", ("commercial", "support")),
    ("user delete {support2} --yes", "management", ("commercial", "support")),
    ("user reset-password {support2} --password-env " + NEW_PASSWORD_ENV, "management",
     ("commercial", "support")),
    ("user password --password-env " + NEW_PASSWORD_ENV, "support", ()),
    ("user password --password-env " + NEW_PASSWORD_ENV, "commercial", ()),
]


@pytest.mark.parametrize("line, allowed_as, refused_as", PERMISSIONS,
                         ids=[f"{row[0].split(' --')[0]}-{row[1]}" for row in PERMISSIONS])
def test_each_user_command_allowed_and_refused(shell, ids, line, allowed_as, refused_as):
    check_refused_then_allowed(shell, line.format(**ids), allowed_as, refused_as)


def test_help_of_every_user_command(db_url, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    names = commands_of("user")
    assert len(names) == 9
    for name in names:
        out = shell.ok(f"{name} --help").out
        assert out.startswith(f"usage: {name}")
        assert "examples:" in out


def test_a_refused_department_hears_so_before_any_missing_option(shell):
    shell.login("commercial")
    assert shell.fails("user create") == ("error: permission denied: the commercial department "
                                          "cannot manage staff accounts")


def test_list_filters_and_json_keys(shell, staff):
    rows = shell.ok("user list --format json").json()
    assert [list(row) for row in rows] == [list(USER_KEYS)] * 5
    assert rows[0]["email"] == "ana@epic.test" and rows[0]["active"] is True
    support = shell.ok("user list --department support --format csv").csv()
    assert [r["email"] for r in support] == ["sue@epic.test", "sam@epic.test"]
    assert support[0]["active"] == "true"
    assert [r["id"] for r in shell.ok("user list --search cara --format json").json()] == [
        staff["commercial2"].id]
    assert shell.ok("user list --department gestion --format json").json()[0]["id"] == 1
    assert shell.ok("user list --inactive").out == "no users match"
    assert shell.ok("user list --inactive --format json").json() == []
    assert shell.ok("user list --inactive --format csv").out == ",".join(USER_KEYS)
    assert "not one of" in shell.fails("user list --department sales")


def test_view_table_and_json(shell, staff):
    record = shell.ok(f"user view {staff['support'].id} --format json").json()
    assert len(record) == 1 and list(record[0]) == list(USER_KEYS)
    assert record[0]["employee_number"] == "S001"
    table = shell.ok(f"user view {staff['support'].id}").out
    assert "sue@epic.test" in table and "support" in table
    assert shell.fails("user view 999") == "error: user 999 not found"
    assert "not a record id" in shell.fails("user view abc")


def test_create_then_log_in_as_the_new_user(shell):
    assert shell.ok(NEW_USER).out.startswith("Created user 6: new@epic.test (support).")
    shell.login("new@epic.test")
    assert "New Person" in shell.ok("whoami").out


def test_create_without_a_terminal_names_every_missing_flag(shell):
    before = snapshot_rows()
    assert shell.fails("user create --email x@epic.test") == (
        "error: missing required options: --full-name, --department, --employee-number, "
        "--password-env")
    assert shell.fails("user create --email x@epic.test --full-name X --department support "
                       "--employee-number X1").endswith(
        "missing required option: --password-env")
    assert snapshot_rows() == before


def test_create_refuses_bad_passwords_and_unset_variables(shell, monkeypatch):
    monkeypatch.setenv("WEAK", "short")
    line = ("user create --email x@epic.test --full-name X --department support "
            "--employee-number X1 --password-env ")
    assert shell.fails(line + "WEAK") == "error: password: must be at least 12 characters"
    assert "environment variable UNSET_VAR is not set" in shell.fails(line + "UNSET_VAR")
    monkeypatch.setenv("EMPTY_VAR", "")
    assert "environment variable EMPTY_VAR is empty" in shell.fails(line + "EMPTY_VAR")
    assert "did you mean --password-env?" in shell.fails(line.replace("--password-env ",
                                                                      "--password s3cret"))
    assert not User.select().where(User.email == "x@epic.test").exists()


def test_update_changes_given_fields_only(shell, staff):
    sam = staff["support2"].id
    assert shell.ok(f"user update {sam} --department commercial --employee-number C009").out == (
        f"Updated user {sam}.")
    record = shell.ok(f"user view {sam} --format json").json()[0]
    assert (record["department"], record["employee_number"], record["full_name"]) == (
        "commercial", "C009", "Sam Help")
    assert "nothing to change" in shell.fails(f"user update {sam}")
    assert "already used" in shell.fails(f"user update {sam} --email sue@epic.test")


def test_deactivate_ends_that_users_session_and_activate_restores(shell, staff, db_url,
                                                                  monkeypatch):
    sam = staff["support2"].id
    other = open_shell(db_url, monkeypatch, "support2")
    assert shell.ok(f"user deactivate {sam}").out.startswith(f"User {sam} (sam@epic.test) "
                                                             "deactivated")
    assert shell.ok(f"user deactivate {sam}").out == f"User {sam} was already deactivated."
    assert "deactivated" in other.fails("whoami")
    assert shell.ok("user list --inactive --format json").json()[0]["id"] == sam
    assert shell.ok(f"user activate {sam}").out == f"User {sam} (sam@epic.test) activated."
    other.login("support2")
    assert "Sam Help" in other.ok("whoami").out
    assert shell.fails(f"user deactivate {staff['management'].id}") == (
        "error: permission denied: you cannot deactivate yourself")


def test_delete_needs_yes_without_a_terminal(shell, staff):
    sam = staff["support2"].id
    assert "--yes" in shell.fails(f"user delete {sam}")
    assert User.get_or_none(User.id == sam) is not None
    assert shell.ok(f"user delete {sam} --yes").out == f"Deleted user {sam} (sam@epic.test)."
    assert User.get_or_none(User.id == sam) is None


def test_delete_an_owner_needs_a_heir_of_the_same_department(shell, ids):
    bill, cara = ids["commercial"], ids["commercial2"]
    assert "still own" in shell.fails(f"user delete {bill} --yes")
    assert "not in the commercial department" in shell.fails(
        f"user delete {bill} --reassign-to {ids['support']} --yes")
    assert shell.ok(f"user delete {bill} --reassign-to {cara} --yes").out == (
        f"Deleted user {bill} (bill@epic.test); what they owned now belongs to user {cara}.")
    assert Client.get_by_id(ids["client"]).commercial_id == cara
    assert shell.fails(f"user delete {ids['management']} --yes") == (
        "error: permission denied: you cannot delete yourself")


def test_own_password_change_keeps_this_shell_and_ends_the_others(shell, db_url, monkeypatch):
    other = open_shell(db_url, monkeypatch, "commercial")
    shell.login("commercial")
    assert shell.ok(f"user password --password-env {NEW_PASSWORD_ENV}").out.startswith(
        "Password changed")
    assert "Bill" in shell.ok("whoami").out
    assert "log in again" in other.fails("whoami")
    monkeypatch.setenv("EPICSHELL_PASSWORD", NEW_PASSWORD)
    shell.login("commercial")  # the new password works
    monkeypatch.setenv("EPICSHELL_PASSWORD", PASSWORD)
    shell.ok("logout")
    assert shell.fails(f"login {EMAILS['commercial']}") == "error: invalid email or password"


def test_own_password_reads_current_from_current_env(shell, monkeypatch):
    monkeypatch.setenv("MY_CURRENT", "not my password at all")
    assert shell.fails(f"user password --current-env MY_CURRENT --password-env {NEW_PASSWORD_ENV}"
                       ) == "error: current_password: is wrong"
    assert "--password-env" in shell.fails("user password")
    monkeypatch.setenv("MY_CURRENT", PASSWORD)
    shell.ok(f"user password --current-env MY_CURRENT --password-env {NEW_PASSWORD_ENV}")
    help_text = shell.ok("user password --help").out
    assert "--current-env VAR" in help_text and "--password-env VAR" in help_text


def test_reset_password_lets_the_user_log_in_with_the_new_one(shell, staff, monkeypatch):
    sue = staff["support"].id
    assert "--password-env" in shell.fails(f"user reset-password {sue}")
    assert shell.ok(f"user reset-password {sue} --password-env {NEW_PASSWORD_ENV}").out.startswith(
        f"Password of user {sue} (sue@epic.test) reset")
    monkeypatch.setenv("EPICSHELL_PASSWORD", NEW_PASSWORD)
    shell.login("support")


def test_misspelled_verbs_and_options_get_a_suggestion(shell):
    assert shell.fails("user lst") == "error: unknown command `user lst`; did you mean `user list`?"
    assert shell.fails("user list --departmnt support") == (
        "error: user list: unknown option --departmnt; did you mean --department?")
    assert "did you mean `user deactivate`" in shell.fails("user deactivat 3")


def test_help_offers_a_department_only_what_it_may_run(shell):
    assert "user reset-password" in shell.ok("help").out
    shell.login("commercial")
    listing = shell.ok("help").out
    assert "user password" in listing and "contract sign" in listing
    for refused in ("user list", "user create", "user delete", "contract cancel", "event assign",
                    "event update"):
        assert refused not in listing
    shell.login("support")
    listing = shell.ok("help").out
    assert "event update" in listing and "event create" not in listing


def test_help_lists_setup_only_while_nobody_is_logged_in(shell):
    assert "  setup " not in shell.ok("help").out  # the fixture's shell is logged in
    shell.ok("logout")
    anonymous = shell.ok("help").out
    assert "  setup " in anonymous and "  login " in anonymous and "  logout " not in anonymous
