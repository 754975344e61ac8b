"""Small pieces every entity's commands share."""
from __future__ import annotations

from ...errors import UsageError, ValidationError


def paging(args) -> dict:
    """`--page` and `--limit` as the services take them, checked as whole numbers."""
    values = {}
    for name in ("page", "limit"):
        raw = getattr(args, name, None)
        if raw is None:
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            raise ValidationError(name, f"{raw!r} is not a whole number") from None
    return values


def given(args, fields) -> dict:
    """The values of FIELDS that were given as options (None where absent)."""
    return {f.name: getattr(args, f.name, None) for f in fields}


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
