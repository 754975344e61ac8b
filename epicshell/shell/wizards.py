"""Guided forms on the terminal (questionary): one question per field, checked as typed.

Every answer is checked with the field's own `parse` (the very function the service
applies), so a wizard cannot accept what the service will refuse for the same reason.
Answers come back as the raw text typed; the service parses them once more when saving.
Ctrl-C (or Ctrl-D) anywhere cancels the whole form with an EpicError: nothing is saved.

questionary is imported inside the functions: it costs ~150 ms and scripts never need it.
"""
from __future__ import annotations

from collections.abc import Callable

from ..errors import EpicError, ValidationError
from ..safetext import visible

CANCELLED = "cancelled: nothing saved"
SELECT_MAX = 12  # up to this many choices: a list to pick from; more: type-ahead
MULTILINE = {"notes"}  # fields whose line breaks are kept when shown


class WizardCancelled(EpicError):
    """The user pressed Ctrl-C (or Ctrl-D) in a question: the form is abandoned."""

    def __init__(self):
        super().__init__(CANCELLED)


def _ask(question):
    """Run one questionary question; Ctrl-C and Ctrl-D become WizardCancelled."""
    try:
        answer = question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise WizardCancelled() from None
    if answer is None:  # questionary's own abort path
        raise WizardCancelled()
    return answer


def _message_of(exc: ValidationError | EpicError) -> str:
    return getattr(exc, "message", None) or str(exc)


def answer_checker(field, earlier: dict | None = None) -> Callable[[str], bool | str]:
    """A questionary validator for FIELD: True, or the rule's message for a bad answer.

    EARLIER holds the answers (or current values) of the fields before this one, for the
    rules that tie two fields together (an end after its start, a due within the total).
    """

    def check(text: str):
        if not text.strip():
            if not field.required:
                return True
            if field.parse is None:
                return "an answer is required"
        if field.parse is None:
            return True
        try:
            value = field.parse(text)
            if field.after is not None and text.strip():
                field.after(earlier or {}, text)
            if field.unique is not None and value:
                from ..services.lookups import refuse_taken

                refuse_taken(field.unique, field.name, value, (earlier or {}).get("id"))
        except ValidationError as exc:
            return _message_of(exc)
        except EpicError as exc:
            return str(exc)
        return True

    return check


# -- single questions -------------------------------------------------------------------------


def ask_text(question: str, *, default: str = "", rule: str = "", validate=None) -> str:
    """A free-text answer (e.g. the email at `login`)."""
    import questionary

    return _ask(questionary.text(question, default=default, validate=validate,
                                 instruction=f"({rule})" if rule else None))


def ask_confirm(question: str, *, default: bool = False) -> bool:
    """Yes or no; Ctrl-C counts as a cancel, not as a no."""
    import questionary

    return bool(_ask(questionary.confirm(question, default=default)))


def _check_new_password(text: str, email: str | None = None):
    from ..validation import check_password

    try:
        check_password(text, email)
    except ValidationError as exc:
        return _message_of(exc)
    return True


def ask_secret(question: str, confirm: bool = False, email: str | None = None) -> str:
    """A hidden answer (shown as *, never the characters; never stored anywhere).

    With CONFIRM the answer is a new password: the policy is shown and checked as it
    is typed (the email-name rule too, given the account's EMAIL), then it is asked a
    second time; when the two differ both are asked again.
    """
    import questionary

    from ..validation import RULES

    while True:
        first = _ask(questionary.password(
            question, validate=(lambda text: _check_new_password(text, email)) if confirm
            else None,
            instruction=f"({RULES['password']})" if confirm else None))
        if not confirm:
            return first
        second = _ask(questionary.password(f"{question} (again)"))
        if first == second:
            return first
        _say("The two passwords differ; please type them again.")


def _say(text: str) -> None:
    """A line of wizard commentary, written where the questions are (the terminal)."""
    from prompt_toolkit import print_formatted_text

    print_formatted_text(text)


# -- fields with choices ----------------------------------------------------------------------


def _choice_completer(choices):
    """Type-ahead over VALUE and LABEL (ids match by digits, people by any part of the name).

    The list may be a lookup's first rows only, so an answer outside it is not refused
    here: the field's rule checks its form and the service checks that it exists.
    """
    from prompt_toolkit.completion import Completer, Completion

    class ChoiceCompleter(Completer):
        def get_completions(self, document, complete_event):
            typed = document.text_before_cursor.strip().lower()
            for value, label in choices:
                if not typed or value.lower().startswith(typed) or typed in label.lower():
                    yield Completion(value, start_position=-len(document.text_before_cursor),
                                     display=visible(value), display_meta=visible(label))

    return ChoiceCompleter()


def _ask_choice(field, choices, default: str, earlier: dict) -> str:
    import questionary

    if len(choices) <= SELECT_MAX:
        options = [questionary.Choice(title=visible(label if label == value else f"{value}  {label}"),
                                      value=value) for value, label in choices]
        if not field.required:
            options.insert(0, questionary.Choice(title="(none)", value=""))
        known = {o.value for o in options}
        return _ask(questionary.select(field.label, choices=options,
                                       default=default if default in known else None,
                                       instruction=f"({field.rule})" if field.rule else None))
    message = f"{field.label} ({field.rule}; TAB lists the choices)"
    return _ask(questionary.autocomplete(message, choices=[v for v, _ in choices], default=default,
                                         completer=_choice_completer(choices),
                                         validate=answer_checker(field, earlier)))


# -- the form ---------------------------------------------------------------------------------


def _live_completer(app, lookup):
    """Type-ahead that asks the database as you type (indexed, a few rows at a time)."""
    from prompt_toolkit.completion import Completer, Completion

    class LiveCompleter(Completer):
        def get_completions(self, document, complete_event):
            typed = document.text_before_cursor
            for value, label in lookup(app, typed.strip()):
                yield Completion(value, start_position=-len(typed), display=visible(value),
                                 display_meta=visible(label))

    return LiveCompleter()


def _ask_lookup(app, field, default: str, earlier: dict) -> str:
    import questionary

    message = f"{field.label} ({field.rule}; type an id or the start of a name, TAB to list)"
    return _ask(questionary.autocomplete(message, choices=[], default=default,
                                         completer=_live_completer(app, field.lookup),
                                         validate=answer_checker(field, earlier)))


def _ask_field(app, field, default: str, earlier: dict) -> str:
    """FIELD's answer. A current value holding control characters is offered with them made
    visible; accepting it unchanged keeps the stored value (the escapes are not saved)."""
    shown = visible(default, keep_newlines=field.name in MULTILINE)
    answer = _ask_visible_default(app, field, shown, earlier)
    return default if answer == shown else answer


def _ask_visible_default(app, field, default: str, earlier: dict) -> str:
    if field.lookup:
        return _ask_lookup(app, field, default, earlier)
    choices = list(field.choices(app)) if field.choices else []
    if choices:
        return _ask_choice(field, choices, default, earlier)
    return ask_text(field.label, default=default, rule=field.rule,
                    validate=answer_checker(field, earlier))


def _shown(field, value, choices_of, indent: int) -> str:
    """VALUE as the summary shows it: terminal-safe, a note's lines kept and indented."""
    if value is None or value == "":
        return "(empty)"
    label = dict(choices_of(field)).get(str(value))
    text = f"{value} ({label})" if label and label != str(value) else str(value)
    return visible(text, keep_newlines=field.name in MULTILINE).replace("\n", "\n" + " " * indent)


def _summary(app, title: str, fields, values: dict, defaults: dict,
             extra: dict | None = None) -> str:
    """The form's final look: every value, changed values marked on update."""
    cache: dict[str, list] = {}

    def choices_of(field):
        if field.name not in cache:
            if field.choices:
                cache[field.name] = list(field.choices(app))
            elif field.lookup and values.get(field.name):
                cache[field.name] = list(field.lookup(app, str(values[field.name])))
            else:
                cache[field.name] = []
        return cache[field.name]

    extra = extra or {}
    width = max(len(label) for label in (*(f.label for f in fields), *extra)) + 2
    lines = [f"{title or 'Summary'}:"]
    for field in fields:
        value = values.get(field.name)
        changed = bool(defaults) and str(value or "") != str(defaults.get(field.name) or "")
        mark = "  (changed)" if changed else ""
        shown = _shown(field, value, choices_of, width + 2)
        lines.append(f"  {(field.label + ':').ljust(width)}{shown}{mark}")
    lines.extend(f"  {(label + ':').ljust(width)}{shown}" for label, shown in extra.items())
    return "\n".join(lines)


def _show(app, text: str) -> None:
    """A wizard's own text, folded to the terminal's width (values were made visible)."""
    from .tables import fold

    app.print(fold(text, app.env.width()))


def run_wizard(app, title: str, fields, to_ask, given: dict, defaults: dict,
               then=None) -> dict:
    """Ask the TO_ASK fields one by one, show a summary, confirm; return the answers.

    Returns {name: text as typed} over GIVEN (the options given on the command line).
    DEFAULTS pre-fill the questions with the current values on an update. THEN, if given,
    is called with the answers after the last field and before the summary (a password,
    asked hidden once the email it must not contain is known); it returns summary lines
    {label: shown}. Declining the summary or pressing Ctrl-C raises WizardCancelled: the
    caller saves nothing.
    """
    asked = {f.name for f in to_ask}
    if title:
        _show(app, f"{title} (Ctrl-C cancels; nothing is saved until you confirm)")
    answers = dict(given)
    for field in fields:
        if field.name not in asked:
            continue
        default = str(defaults.get(field.name) or "")
        earlier = {**{k: v for k, v in defaults.items() if v is not None},
                   **{k: v for k, v in answers.items() if v is not None}}
        answers[field.name] = _ask_field(app, field, default, earlier)
    extra = then(answers) if then is not None else None
    _show(app, _summary(app, title, fields, answers, defaults, extra))
    if not ask_confirm("Save?", default=True):
        raise WizardCancelled()
    return answers
