"""Small pieces every entity's commands share."""
from __future__ import annotations

from ...errors import UsageError, ValidationError
from ...services import policy
from ...validation import check_password, parse_limit, parse_page, parse_whole

NEW_PASSWORD_TRIES = 3


def whole_number(args, name: str, parse=parse_whole) -> int | None:
    """The option NAME read by PARSE (None when absent); a bad value is a one-line error."""
    raw = getattr(args, name, None)
    return None if raw is None else parse(raw, name)


def paging(args) -> dict:
    """`--page`, `--limit` (checked as whole numbers) and `--count` as the services take them."""
    values = {}
    for name, parse in (("page", parse_page), ("limit", parse_limit)):
        number = whole_number(args, name, parse)
        if number is not None:
            values[name] = number
    if getattr(args, "count", False):
        values["count"] = True
    return values


def given(args, fields) -> dict:
    """The values of FIELDS that were given as options (None where absent)."""
    return {f.name: getattr(args, f.name, None) for f in fields}


def missing_options(names: list[str]) -> UsageError:
    return UsageError(f"missing required option{'s' if len(names) > 1 else ''}: {', '.join(names)}")


def complete_values(ctx, fields, values: dict, *, title: str, labels: dict | None = None,
                    also_missing: tuple = (), then=None) -> dict:
    """VALUES completed for a create command: a wizard on a terminal, else one error naming all.

    Without a terminal the error names every missing flag, plus positionals (LABELS maps a
    field to its name in the usage, e.g. client → CLIENT_ID) and ALSO_MISSING (e.g.
    --password-env), so a script author fixes the line in one go.
    """
    if ctx.interactive:
        return ctx.fill(fields, values, title=title, then=then)
    labels = labels or {}
    missing = [labels.get(f.name, f.flag) for f in fields
               if f.required and values.get(f.name) is None]
    missing.extend(also_missing)
    if missing:
        raise missing_options(missing)
    return dict(values)


def refuse_early(ctx, operation: str, record) -> None:
    """Ask the policy about RECORD before a wizard opens (the service checks again when saving)."""
    policy.check(ctx.actor, operation, record)


def changed_only(values: dict, defaults: dict) -> dict:
    """Keep the answers of an update wizard that differ from the current values."""
    return {k: v for k, v in values.items() if v is not None and str(v) != str(defaults.get(k, ""))}


def update_values(ctx, fields, args, load_current) -> tuple[dict, int | None]:
    """The changes an `update` command asks for, and the version they were based on.

    Options given: exactly those, checked against the version read at save time. None
    given: on a terminal a wizard opens with the current values as defaults and the
    record's version is kept, so a change saved meanwhile by someone else is a conflict,
    not a silent overwrite; without a terminal it is an error naming the options.
    LOAD_CURRENT() returns (current values as text, version, wizard title).
    """
    values = given(args, fields)
    if any(v is not None for v in values.values()):
        return {k: v for k, v in values.items() if v is not None}, None
    if not ctx.interactive:
        flags = ", ".join(f.flag for f in fields)
        raise UsageError(f"nothing to change: give at least one of {flags}")
    current, version, title = load_current()
    answers = ctx.fill(fields, values, defaults=current, title=title, always_ask=True)
    return changed_only(answers, current), version


def new_password(ctx, question: str, *, env_var: str | None, email: str) -> str:
    """A new password: from ENV_VAR in scripts; on a terminal typed hidden twice.

    On a terminal a password breaking the policy is refused at once with the policy's own
    message and asked again, instead of failing the whole command after the form.
    """
    if env_var or not ctx.interactive:
        return ctx.secret(question, env_var=env_var)
    tries_left = NEW_PASSWORD_TRIES
    while True:
        password = ctx.secret(question, confirm=True, email=email)
        tries_left -= 1
        try:
            return check_password(password, email)
        except ValidationError as exc:
            if not tries_left:
                raise
            ctx.app.notice(f"{exc}; try again")


def require_password_env(ctx, args, option: str = "password_env") -> None:
    """Scripts name the variable holding a new password: it never defaults, never goes in argv."""
    if not ctx.interactive and not getattr(args, option, None):
        flag = "--" + option.replace("_", "-")
        raise UsageError(f"missing required option: {flag} (passwords are read from the "
                         "environment, never from the command line)")


def run_update(ctx, args, fields, *, entity: str, load, save, current_of):
    """The whole `ENTITY update ID` flow; returns the saved record, or None if nothing changed.

    LOAD(actor, id) reads the record for the wizard (refused early if the policy says no),
    CURRENT_OF(record) gives its values as the wizard shows them, SAVE(actor, id, …) is the
    service call, given the version the wizard started from.
    """
    def current():
        record = load(ctx.actor, args.id)
        refuse_early(ctx, f"{entity}.update", record)
        return current_of(record), record.version, f"Update {entity} {record.id}"

    values, version = update_values(ctx, fields, args, current)
    if not values:
        return None
    saved = save(ctx.actor, args.id, expected_version=version, **values)
    return saved if getattr(saved, "changed", False) else None


def nothing_changed(ctx) -> None:
    """An update whose values were already the record's: said as a notice, not a result."""
    ctx.app.say("Nothing changed.")
