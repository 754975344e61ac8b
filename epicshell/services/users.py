"""Staff accounts: management creates, updates, (de)activates, deletes and resets them.

Anything that should end a user's other sessions (deactivation, password change or
reset, department change) bumps `session_version`; every shell re-checks it before
each command.
"""
from __future__ import annotations

from ..errors import EpicError, NotFound, PermissionDenied, ValidationError
from ..models import Client, Contract, Event, Payment, User
from ..security import hash_password, verify_password
from ..validation import (
    check_password,
    parse_department,
    parse_email,
    parse_employee_number,
    parse_name,
)
from .base import (
    audit,
    get_or_404,
    name_key,
    notify,
    paginate,
    refuse_if_used,
    save_changes,
    unique_guard,
    versioned_update,
)
from .policy import requires
from .search import parse as parse_search
from .search import ranked_page, user_text
from .staff import check_staff


def _unique(field: str, value: str, exclude_id: int | None = None) -> None:
    refuse_if_used(User, field, value, "user", exclude_id)




@requires("user.list", write=False)
def list_users(actor, *, department=None, search=None, inactive=False, page=1, limit=50,
               count=False):
    """Staff accounts by id; with SEARCH (name, email), ranked as search ranks."""
    query = User.select()
    if department:
        query = query.where(User.department == parse_department(department))
    if inactive:
        query = query.where(User.active == False)
    searched = parse_search(search)
    if searched:
        return ranked_page(User, searched, query, query.select(User.id), page, limit, exact=count)
    return paginate(query.order_by(User.id), page, limit, exact=count)


@requires("user.view", User, write=False)
def get_user(actor, user):
    return user


@requires("user.create")
def create_user(actor, *, email, full_name, department, employee_number, password):
    email = parse_email(email)
    full_name = parse_name(full_name)
    department = parse_department(department)
    employee_number = parse_employee_number(employee_number)
    check_password(password, email)
    _unique("email", email)
    _unique("employee_number", employee_number)
    with unique_guard("user", {"email": email, "employee_number": employee_number}):
        user = User.create(email=email, full_name=full_name, name_key=name_key(full_name),
                           search_text=user_text(full_name, email),
                           department=department, employee_number=employee_number,
                           password_hash=hash_password(password))
    audit(actor, "create", "user", user.id, {
        "email": (None, email), "full_name": (None, full_name),
        "department": (None, department), "employee_number": (None, employee_number)})
    notify("user.created", user_id=user.id, department=department, actor_id=actor.id)
    return user


@requires("user.update", User)
def update_user(actor, user, *, email=None, full_name=None, department=None,
                employee_number=None, expected_version=None):
    values = {}
    if email is not None:
        values["email"] = parse_email(email)
        _unique("email", values["email"], user.id)
    if full_name is not None:
        values["full_name"] = parse_name(full_name)
    if department is not None:
        values["department"] = parse_department(department)
        if values["department"] != user.department:
            _refuse_if_owning(user, "change the department of")
            if user.id == actor.id:
                raise PermissionDenied("you cannot change your own department")
    if employee_number is not None:
        values["employee_number"] = parse_employee_number(employee_number)
        _unique("employee_number", values["employee_number"], user.id)
    changes = save_changes(actor, user, values, "user", expected_version, extra=lambda changes: (
        {"session_version": user.session_version + 1} if "department" in changes else {}))
    if not changes:
        return user
    notify("user.updated", user_id=user.id, actor_id=actor.id, fields=sorted(changes))
    if "department" in changes:
        notify("user.department_changed", user_id=user.id, actor_id=actor.id,
               department=changes["department"][1])
    return user


def _owned_counts(user: User) -> dict:
    return {
        "clients": Client.select().where(Client.commercial == user.id).count(),
        "contracts": Contract.select().where(Contract.commercial == user.id).count(),
        "events": Event.select().where(Event.support == user.id).count(),
    }


def _refuse_if_owning(user: User, what: str) -> None:
    owned = {k: v for k, v in _owned_counts(user).items() if v}
    if owned:
        listing = ", ".join(f"{n} {k if n > 1 else k[:-1]}" for k, n in owned.items())
        raise EpicError(f"cannot {what} user {user.id}: they still own {listing}; "
                        "reassign them first")


def _set_active(actor, user, active: bool):
    if user.id == actor.id:
        raise PermissionDenied(f"you cannot {'activate' if active else 'deactivate'} yourself")
    if bool(user.active) == active:
        return user
    action = "activate" if active else "deactivate"
    versioned_update(user, {"active": active, "session_version": user.session_version + 1}, "user")
    audit(actor, action, "user", user.id, {"active": (not active, active)})
    notify(f"user.{action}d", user_id=user.id, actor_id=actor.id)
    return user


@requires("user.deactivate", User)
def deactivate_user(actor, user):
    return _set_active(actor, user, False)


@requires("user.activate", User)
def activate_user(actor, user):
    return _set_active(actor, user, True)


@requires("user.delete", User)
def delete_user(actor, user, *, reassign_to=None):
    """Delete USER; what they own moves to REASSIGN_TO (same department, active) first."""
    if user.id == actor.id:
        raise PermissionDenied("you cannot delete yourself")
    owned = _owned_counts(user)
    if any(owned.values()) and reassign_to is None:
        _refuse_if_owning(user, "delete")
    user.reassigned_to = None  # whom what they owned went to, for the caller's message
    if reassign_to is not None:  # checked even when there is nothing to hand over
        heir = _heir(user, reassign_to)
        if any(owned.values()):
            _reassign_everything(actor, user, heir)
            user.reassigned_to = heir.id
    Payment.update(recorded_by=None).where(Payment.recorded_by == user.id).execute()
    audit(actor, "delete", "user", user.id, {"email": (user.email, None),
                                              "full_name": (user.full_name, None)})
    User.delete().where(User.id == user.id).execute()
    notify("user.deleted", user_id=user.id, actor_id=actor.id, reassigned_to=reassign_to)
    return user


def _heir(user: User, reassign_to) -> User:
    """The user named by --reassign-to: another, active user of USER's department."""
    try:
        heir = get_or_404(User, reassign_to, "user", lock=True)
    except NotFound:
        raise ValidationError("reassign_to", f"there is no user {reassign_to}") from None
    if heir.id == user.id:
        raise ValidationError("reassign_to", "must be another user")
    return check_staff(heir, user.department, "reassign_to")


def _reassign_everything(actor, user: User, heir: User) -> None:
    for model, column, entity in ((Client, Client.commercial, "client"),
                                  (Contract, Contract.commercial, "contract"),
                                  (Event, Event.support, "event")):
        ids = [row.id for row in model.select(model.id).where(column == user.id)]
        if not ids:
            continue
        field = column.name
        model.update({column: heir.id, model.version: model.version + 1}).where(
            model.id.in_(ids)).execute()
        audit(actor, "reassign", entity, ids, {field: (user.full_name, heir.full_name)})
    # Events and payments carry a copy of their contract's commercial (a commercial's
    # `event mine`, `report revenue --by commercial`).
    Event.update({Event.commercial: heir.id}).where(Event.commercial == user.id).execute()
    Payment.update({Payment.commercial: heir.id}).where(Payment.commercial == user.id).execute()


@requires("user.password", write=False)
def check_own_password(actor, current) -> None:
    """Refuse a wrong current password before the new one is asked (and again on saving)."""
    user = get_or_404(User, actor.id, "user")
    if not verify_password(current or "", user.password_hash):
        raise ValidationError("current_password", "is wrong")


@requires("user.password")
def change_own_password(actor, *, current, new):
    """Change the actor's own password; ends the actor's other sessions."""
    user = get_or_404(User, actor.id, "user", lock=True)
    if not verify_password(current or "", user.password_hash):
        raise ValidationError("current_password", "is wrong")
    check_password(new, user.email)
    if verify_password(new, user.password_hash):
        raise ValidationError("password", "must differ from the current one")
    _store_password(actor, user, new, "password_change")
    return user


@requires("user.reset_password", User)
def reset_password(actor, user, *, new):
    """Set USER's password without the current one: for someone else's account only."""
    refuse_own_reset(actor, user)
    check_password(new, user.email)
    _store_password(actor, user, new, "password_reset")
    return user


def refuse_own_reset(actor, user) -> None:
    """Your own password is changed with `user password`, which asks for the current one."""
    if user.id == actor.id:
        raise PermissionDenied("use `user password` to change your own password (it asks "
                               "for the current one)")


def _store_password(actor, user: User, new: str, action: str) -> None:
    """Store a new hash and end the user's sessions; the audit says it happened, not what."""
    versioned_update(user, {"password_hash": hash_password(new), "failed_logins": 0,
                            "first_failure_at": None, "locked_until": None,
                            "session_version": user.session_version + 1}, "user")
    audit(actor, action, "user", user.id, {"password": ("(hidden)", "(changed)")})
    notify(f"user.{action}", user_id=user.id, actor_id=actor.id)
