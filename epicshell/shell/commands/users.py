"""`user …` commands: management runs the staff accounts; everyone changes their own password.

Passwords are typed hidden (new ones twice) at a terminal; scripts name the environment
variable holding them (`--password-env`, `--current-env`). A password never appears
on a command line, so it can never reach the history, a log or the process list.
"""
from __future__ import annotations

from ...services import users
from ...services.records import USER_KEYS, user_record
from ...validation import parse_search
from .. import lookups
from ..columns import USER
from ..fields import HIDDEN_PASSWORD, USER_FIELDS
from ..registry import FORMAT, PAGING, YES, Arg, Flag, Opt, command
from ..render import Result
from .common import (
    complete_values,
    given,
    new_password,
    nothing_changed,
    paging,
    require_password_env,
    run_update,
)

USER_ID = Arg("id", "user id", complete=lookups.user_ids)
OTHER_ACTIVE_USER_ID = Arg("id", "user id", complete=lookups.other_active_user_ids)
_FIELD_COMPLETION = {"department": lookups.departments}
FIELD_OPTS = tuple(Opt(f.flag, f.label.lower(), metavar=f.name.upper(),
                       complete=_FIELD_COMPLETION.get(f.name)) for f in USER_FIELDS)
NEW_PASSWORD_ENV = Opt("--password-env", "scripts: the environment variable holding the new "
                       "password (required without a terminal)", metavar="VAR")


@command("user list", summary="List staff accounts.", operation="user.list",
         params=(Opt("--department", "only this department", metavar="D",
                     complete=lookups.departments),
                 Opt("--search", "text in the name or email",
                     metavar="TEXT"),
                 Flag("--inactive", "only deactivated accounts"),
                 FORMAT, USER.option(), *PAGING),
         examples=("user list --department support", "user list --inactive --format csv"))
def user_list(ctx, args):
    columns = USER.pick(args.columns)
    page = users.list_users(ctx.actor, department=args.department,
                            search=parse_search(args.search),
                            inactive=args.inactive, **paging(args))
    return Result.listing(page, user_record, USER_KEYS, empty="no users match", columns=columns)


@command("user view", summary="One staff account.", operation="user.view",
         params=(USER_ID, FORMAT), examples=("user view 4",))
def user_view(ctx, args):
    return Result.view(user_record(users.get_user(ctx.actor, args.id)), USER_KEYS)


@command("user create", summary="Create a staff account (the password is asked hidden, twice).",
         operation="user.create", params=(*FIELD_OPTS, NEW_PASSWORD_ENV),
         examples=("user create   (opens the wizard)",
                   "user create --email sue@epic.test --full-name 'Sue Port' --department support",
                   "user create ... --employee-number S001 --password-env NEW_PW   (scripts)"))
def user_create(ctx, args):
    also_missing = () if ctx.interactive or args.password_env else ("--password-env",)
    typed: dict = {}  # the password, when the wizard asks it before its summary

    def ask_password(answers: dict) -> dict:
        typed["password"] = new_password(ctx, "Password of the new account", env_var=None,
                                         email=answers["email"])
        return {"Password": HIDDEN_PASSWORD}

    values = complete_values(ctx, USER_FIELDS, given(args, USER_FIELDS), title="New user",
                             also_missing=also_missing,
                             then=None if args.password_env else ask_password)
    password = typed.get("password") or new_password(
        ctx, "Password of the new account", env_var=args.password_env, email=values["email"])
    user = users.create_user(ctx.actor, password=password, **values)
    return Result(message=f"Created user {user.id}: {user.email} ({user.department}).")


@command("user update", summary="Change an account's email, name, department or number.",
         operation="user.update", params=(USER_ID, *FIELD_OPTS),
         examples=("user update 4 --department commercial",
                   "user update 4   (opens the wizard with the current values)"))
def user_update(ctx, args):
    user = run_update(ctx, args, USER_FIELDS, entity="user", load=users.get_user,
                      save=users.update_user,
                      current_of=lambda u: {"id": u.id, **{f.name: getattr(u, f.name) or ""
                                                             for f in USER_FIELDS}})
    if user is None:
        return nothing_changed(ctx)
    return Result(message=f"Updated user {user.id}.")


@command("user deactivate", summary="Deactivate an account: no login, its sessions end, "
         "its history stays.", operation="user.deactivate", params=(OTHER_ACTIVE_USER_ID,),
         examples=("user deactivate 4",))
def user_deactivate(ctx, args):
    was_active = users.get_user(ctx.actor, args.id).active
    user = users.deactivate_user(ctx.actor, args.id)
    if not was_active:
        return Result(message=f"User {user.id} was already deactivated.")
    return Result(message=f"User {user.id} ({user.email}) deactivated; their sessions end at "
                  "their next command.")


@command("user activate", summary="Let a deactivated account log in again.",
         operation="user.activate",
         params=(Arg("id", "user id", complete=lookups.inactive_user_ids),),
         examples=("user activate 4",))
def user_activate(ctx, args):
    was_active = users.get_user(ctx.actor, args.id).active
    user = users.activate_user(ctx.actor, args.id)
    if was_active:
        return Result(message=f"User {user.id} was already active.")
    return Result(message=f"User {user.id} ({user.email}) activated.")


@command("user delete", summary="Delete an account; what it owns must go to another user.",
         operation="user.delete",
         params=(Arg("id", "user id", complete=lookups.other_user_ids),
                 Opt("--reassign-to", "an active user of the same department who takes over "
                     "their clients, contracts and events", metavar="ID",
                     complete=lookups.user_ids),
                 YES),
         examples=("user delete 4 --reassign-to 5", "user delete 4 --yes"))
def user_delete(ctx, args):
    user = users.get_user(ctx.actor, args.id)
    ctx.confirm(f"Delete user {user.id} ({user.email})? This cannot be undone.", args.yes)
    deleted = users.delete_user(ctx.actor, user.id, reassign_to=args.reassign_to)
    heir = f"; what they owned now belongs to user {deleted.reassigned_to}" \
        if deleted.reassigned_to else ""
    return Result(message=f"Deleted user {user.id} ({user.email}){heir}.")


@command("user password", summary="Change your own password (current, then new twice, hidden).",
         operation="user.password",
         params=(Opt("--current-env", "scripts: the environment variable holding your current "
                     "password (default EPICSHELL_PASSWORD)", metavar="VAR"),
                 NEW_PASSWORD_ENV),
         examples=("user password",
                   "user password --current-env OLD_PW --password-env NEW_PW   (scripts)"))
def user_password(ctx, args):
    require_password_env(ctx, args)
    current = ctx.secret("Current password", env_var=args.current_env)
    users.check_own_password(ctx.actor, current)  # before the new one is typed twice
    new = new_password(ctx, "New password", env_var=args.password_env, email=ctx.actor.email)
    user = users.change_own_password(ctx.actor, current=current, new=new)
    ctx.app.session.start(user)  # this shell goes on; the user's other sessions end
    return Result(message="Password changed; your other sessions end at their next command.")


@command("user reset-password", summary="Set a new password for someone (it ends their "
         "sessions).", operation="user.reset_password",
         params=(OTHER_ACTIVE_USER_ID, NEW_PASSWORD_ENV),
         examples=("user reset-password 4", "user reset-password 4 --password-env NEW_PW"))
def user_reset_password(ctx, args):
    user = users.get_user(ctx.actor, args.id)
    users.refuse_own_reset(ctx.actor, user)  # before the password is asked
    require_password_env(ctx, args)
    password = new_password(ctx, f"New password for {user.email}", env_var=args.password_env,
                            email=user.email)
    user = users.reset_password(ctx.actor, user.id, new=password)
    return Result(message=f"Password of user {user.id} ({user.email}) reset; their sessions "
                  "end at their next command.")
