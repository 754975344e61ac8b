"""Monitoring with Sentry: unexpected errors and committed staff/contract actions, ids only.

Only imported when SENTRY_DSN is set (cli.py), and sentry_sdk only inside the functions
below, so a run without a DSN never loads it. What leaves the process is built from an
allowlist, not cleaned from a blocklist:

- unexpected exceptions (type, scrubbed message, stack frames without local variables),
  tagged with the error id the user was shown and the command name;
- committed actions from `services.base.subscribe` (delivered after the transaction
  commits, so a refused or rolled-back action never sends anything): user created,
  updated, department changed, (de)activated, deleted, password changed or reset,
  contract signed, login failures and lockouts are events; the other actions are
  breadcrumbs. Their data is reduced to record ids, a department, a login-failure reason
  and the names of changed fields;
- refusals (permission denied, invalid value, not found, …) are breadcrumbs holding the
  command name, the kind of error and the field at fault, never the message or a value;
- the user context is {id, department}: never an email or a name.

Every event and breadcrumb goes through `before_send`/`before_breadcrumb`, which keep only
the fields listed here and scrub emails, phone numbers, bcrypt hashes, URL credentials,
the database password and the session token from any text that remains.
"""
from __future__ import annotations

import platform
import re
import warnings
from urllib.parse import unquote, urlsplit

from . import __version__
from .services.entities import NAMES as ENTITY_NAMES

SERVER_NAME = "epicshell"  # instead of the host name, which often names its owner
FLUSH_TIMEOUT = 2.0
MAX_BREADCRUMBS = 30

# Committed actions sent as events, with their level; every other action is a breadcrumb.
EVENT_LEVELS = {
    "user.created": "info",
    "user.updated": "info",
    "user.department_changed": "info",
    "user.deactivated": "info",
    "user.activated": "info",
    "user.deleted": "info",
    "user.password_change": "info",
    "user.password_reset": "info",
    "contract.signed": "info",
    "login.failed": "warning",
    "login.locked": "warning",
}
ID_KEYS = (*(f"{name}_id" for name in ENTITY_NAMES), "actor_id", "support_id",
           "commercial_id", "reassigned_to")
DEPARTMENTS = ("management", "commercial", "support")
LOGIN_FAILURE_REASONS = ("unknown", "refused", "locked")
TAG_KEYS = ("action", "error_id", "command", "kind", "field", "department", "reason", "database",
            *ID_KEYS)
BREADCRUMB_CATEGORIES = ("action", "refused")
EVENT_KEYS = ("event_id", "timestamp", "level", "platform", "release", "environment", "sdk",
              "logger", "fingerprint")
FRAME_KEYS = ("function", "module", "filename", "lineno", "in_app", "context_line",
              "pre_context", "post_context")
TRACE_KEYS = ("trace_id", "span_id", "parent_span_id", "op", "status")
_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
_LABEL = re.compile(r"^[\w .:-]{1,64}$")


class MonitoringUnavailable(Exception):
    """SENTRY_DSN cannot be used (the program exits 2, as for any bad setting)."""


class _State:
    """What the hooks need between calls: the app (for its session token), secrets, undo."""

    app = None
    secrets: tuple[str, ...] = ()
    unsubscribe = None


_state = _State()


# -- set-up ----------------------------------------------------------------------------------


def init(settings) -> None:
    """Start the Sentry client for SETTINGS.sentry_dsn with every privacy option closed."""
    import sentry_sdk
    from sentry_sdk.integrations.atexit import AtexitIntegration
    from sentry_sdk.integrations.dedupe import DedupeIntegration
    from sentry_sdk.integrations.excepthook import ExcepthookIntegration
    from sentry_sdk.utils import BadDsn

    _state.secrets = _secrets_of(settings.database_url)
    try:
        _start_client(settings, [DedupeIntegration(), ExcepthookIntegration(),
                                 AtexitIntegration(callback=_quiet_shutdown)])
    except BadDsn as exc:
        raise MonitoringUnavailable(f"SENTRY_DSN is not a usable Sentry DSN ({exc}); "
                                    "copy it from the Sentry project settings") from None
    sentry_sdk.set_context("runtime", {"name": platform.python_implementation(),
                                       "version": platform.python_version()})
    sentry_sdk.set_tag("database", urlsplit(settings.database_url).scheme or "unknown")


def _start_client(settings, integrations: list) -> None:
    import sentry_sdk

    with warnings.catch_warnings():
        # sentry-sdk 2.7x deprecates send_default_pii for `data_collection`, but giving
        # `data_collection` turns its own EventScrubber off; keep the flag and the scrubber.
        warnings.filterwarnings("ignore", message=".*send_default_pii.*",
                                category=DeprecationWarning)
        sentry_sdk.init(
            dsn=settings.sentry_dsn,
            environment=settings.sentry_environment,
            release=f"epicshell@{__version__}",
            server_name=SERVER_NAME,
            max_request_body_size="never",
            in_app_include=["epicshell"],
            # The default integrations send sys.argv (ArgvIntegration: a --database URL
            # with its password), every installed module, logging records with their
            # arguments as breadcrumbs, and subprocess/http.client calls (StdlibIntegration).
            # Keep only the three that send nothing of their own.
            default_integrations=False,
            auto_enabling_integrations=False,
            integrations=integrations,
            auto_session_tracking=False,
            send_client_reports=False,
            attach_stacktrace=False,
            traces_sample_rate=None,
            debug=False,  # SENTRY_DEBUG would print whole events on the user's terminal
            spotlight=False,  # SENTRY_SPOTLIGHT would copy every event to another URL
            max_breadcrumbs=MAX_BREADCRUMBS,
            before_send=before_send,
            before_breadcrumb=before_breadcrumb,
            **_privacy_options(sentry_sdk.VERSION),
        )


def _privacy_options(sdk_version: str) -> dict:
    """The options that keep personal data out, in the words of the installed SDK.

    sentry-sdk 3 replaced send_default_pii and include_local_variables with one
    `data_collection` dict and dropped the logs and metrics switches (off unless used);
    2.x still takes the old names. Our own before_send rebuilds every event from an
    allowlist either way: these only stop the SDK from collecting in the first place.
    """
    if int(sdk_version.split(".")[0]) >= 3:
        return {"data_collection": {
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        }}
    return {"send_default_pii": False, "include_local_variables": False,
            "enable_logs": False, "enable_metrics": False}


def attach(app) -> None:
    """Connect the shell's hooks and the services' committed actions to Sentry."""
    from .services.base import subscribe

    detach()
    _state.app = app
    app.error_hooks.append(report_exception)
    app.actor_hooks.append(set_actor)
    app.refusal_hooks.append(record_refusal)
    _state.unsubscribe = subscribe(record_action)


def detach() -> None:
    """Undo `attach` (a second App in one process, and tests)."""
    if _state.unsubscribe is not None:
        _state.unsubscribe()
        _state.unsubscribe = None
    app, _state.app = _state.app, None
    if app is not None:
        for hooks, hook in ((app.error_hooks, report_exception), (app.actor_hooks, set_actor),
                            (app.refusal_hooks, record_refusal)):
            if hook in hooks:
                hooks.remove(hook)


def flush() -> None:
    """Send what is queued before the process ends (a short `-c` run would lose it)."""
    import sentry_sdk

    sentry_sdk.flush(timeout=FLUSH_TIMEOUT)


def shutdown() -> None:
    """Detach, send what is queued and close the client."""
    import sentry_sdk

    detach()
    sentry_sdk.get_client().close(timeout=FLUSH_TIMEOUT)
    _state.secrets = ()


def _quiet_shutdown(pending: int, timeout: float) -> None:
    """At exit the SDK would print "Sentry is attempting to send…" on stderr; say nothing."""


def _secrets_of(database_url: str) -> tuple[str, ...]:
    password = urlsplit(database_url or "").password
    if not password:
        return ()
    return tuple({password, unquote(password)})


# -- hooks -----------------------------------------------------------------------------------


def report_exception(exc: BaseException, error_id: str) -> None:
    """App.error_hooks: an unexpected exception, tagged with the id the user was shown."""
    import sentry_sdk

    tags = {"error_id": error_id}
    command = getattr(_state.app, "command_name", None)
    if command:
        tags["command"] = command
    # The failure may come before the actor hooks ran (reloading the user needs the
    # database): name the user the session last knew.
    session = getattr(_state.app, "session", None)
    known = session.user if session is not None and session.active else None
    sentry_sdk.capture_exception(exc, tags=tags, user=user_context(known))


def set_actor(actor) -> None:
    """App.actor_hooks: the user context is the id and department, nothing else."""
    import sentry_sdk

    sentry_sdk.set_user(user_context(actor))


def user_context(user) -> dict | None:
    return None if user is None else {"id": str(user.id), "department": user.department}


def record_refusal(exc, command: str | None) -> None:
    """App.refusal_hooks: a breadcrumb (not an event): what was refused, never the message."""
    import sentry_sdk

    data = {"kind": type(exc).__name__}
    if command:
        data["command"] = command
    field = getattr(exc, "field", None)
    if isinstance(field, str) and _NAME.match(field):
        data["field"] = field
    sentry_sdk.add_breadcrumb(category="refused", level="warning", data=data,
                              message=f"{command or 'command'} refused: {data['kind']}")


def record_action(action: str, data: dict) -> None:
    """services.base listener, called after commit: an event or a breadcrumb, ids only."""
    import sentry_sdk

    if not _NAME.match(action or ""):
        return
    tags = {"action": action, **notice_tags(data)}
    level = EVENT_LEVELS.get(action)
    if level:
        extras = {"fields": notice_fields(data)} if "fields" in data else None
        sentry_sdk.capture_message(action, level=level, tags=tags, extras=extras,
                                   fingerprint=["epicshell-action", action])
    sentry_sdk.add_breadcrumb(category="action", message=action, level="info", data=tags)


def notice_tags(data: dict) -> dict:
    """The parts of a notice that may leave: integer ids, a department, a failure reason."""
    tags = {}
    for key in ID_KEYS:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            tags[key] = str(value)
    if data.get("department") in DEPARTMENTS:
        tags["department"] = data["department"]
    if data.get("reason") in LOGIN_FAILURE_REASONS:
        tags["reason"] = data["reason"]
    return tags


def notice_fields(data: dict) -> list[str]:
    """The names (never the values) of the fields an update changed."""
    fields = data.get("fields") or ()
    return [f for f in fields if isinstance(f, str) and _NAME.match(f)]


# -- what may leave the process --------------------------------------------------------------

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^@\s/]*@")
_BCRYPT = re.compile(r"\$2[abxy]?\$[^\s'\"]*")
_PHONE = re.compile(r"\+?\(?\d[\d .()\-]*\d\)?")
_PG_DETAIL = re.compile(r"DETAIL:.*", re.S)
PHONE_MIN_DIGITS = 6


def _phone(match: re.Match) -> str:
    text = match.group(0)
    return "[phone]" if sum(c.isdigit() for c in text) >= PHONE_MIN_DIGITS else text


def scrub_text(text: str) -> str:
    """TEXT without secrets or contact details (emails, phones, hashes, URL passwords)."""
    for secret in _known_secrets():
        text = text.replace(secret, "[secret]")
    text = _URL_CREDENTIALS.sub(r"\1:[secret]@", text)
    text = _BCRYPT.sub("[hash]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PG_DETAIL.sub("DETAIL: [removed]", text)  # PostgreSQL repeats row values there
    return _PHONE.sub(_phone, text)


def _known_secrets() -> list[str]:
    secrets = list(_state.secrets)
    session = getattr(_state.app, "session", None)
    token = getattr(session, "token", None)
    if token:
        secrets.append(token)
    return [s for s in secrets if len(s) >= 4]


def scrub(value):
    """VALUE with `scrub_text` applied to every string inside it."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def before_send(event: dict, hint: dict) -> dict | None:
    """Rebuild EVENT from the allowlisted fields only, their text scrubbed."""
    clean = {key: event[key] for key in EVENT_KEYS if key in event}
    clean["server_name"] = SERVER_NAME
    for key in ("message", "logentry"):
        if key in event:
            clean[key] = scrub(event[key])
    if "exception" in event:
        clean["exception"] = {"values": [_exception(v) for v in _values(event["exception"])]}
    tags = labels(event.get("tags"))
    if tags:
        clean["tags"] = tags
    user = {k: str(v) for k, v in (event.get("user") or {}).items() if k in ("id", "department")}
    if user:
        clean["user"] = user
    clean["contexts"] = _contexts(event.get("contexts") or {})
    extra = event.get("extra") or {}
    if isinstance(extra.get("fields"), list):
        clean["extra"] = {"fields": [f for f in extra["fields"] if _NAME.match(str(f))]}
    crumbs = [c for c in map(before_breadcrumb, _values(event.get("breadcrumbs"))) if c]
    if crumbs:
        clean["breadcrumbs"] = {"values": crumbs}
    return clean


def before_breadcrumb(crumb, hint=None) -> dict | None:
    """Keep only this module's own breadcrumbs, scrubbed; drop anything an integration adds."""
    if not isinstance(crumb, dict) or crumb.get("category") not in BREADCRUMB_CATEGORIES:
        return None
    clean = {k: crumb[k] for k in ("timestamp", "category", "level", "type") if k in crumb}
    clean["message"] = scrub_text(str(crumb.get("message") or ""))
    clean["data"] = labels(crumb.get("data"))
    return clean


def labels(mapping) -> dict:
    """Tags and breadcrumb data: the known keys whose value is a plain short label.

    Every label is built by this module from an id, a department, a command name or an
    error id; anything else (an unknown key, a value with `@` or quotes) is dropped.
    """
    if isinstance(mapping, (list, tuple)):
        mapping = dict(mapping)
    return {k: str(v) for k, v in dict(mapping or {}).items()
            if k in TAG_KEYS and isinstance(v, (str, int)) and _LABEL.match(str(v))}


def _values(container) -> list:
    if isinstance(container, dict):
        return list(container.get("values") or [])
    return list(container or [])


def _exception(value: dict) -> dict:
    clean = {k: value[k] for k in ("type", "module") if k in value}
    clean["value"] = scrub_text(str(value.get("value") or ""))
    mechanism = value.get("mechanism")
    if isinstance(mechanism, dict):
        clean["mechanism"] = {k: mechanism[k] for k in ("type", "handled") if k in mechanism}
    frames = (value.get("stacktrace") or {}).get("frames") or []
    if frames:
        clean["stacktrace"] = {"frames": [scrub({k: f[k] for k in FRAME_KEYS if k in f})
                                          for f in frames]}
    return clean


def _contexts(contexts: dict) -> dict:
    clean = {}
    trace = contexts.get("trace")
    if isinstance(trace, dict):
        clean["trace"] = {k: trace[k] for k in TRACE_KEYS if k in trace}
    runtime = contexts.get("runtime")
    if isinstance(runtime, dict):
        clean["runtime"] = {k: str(runtime[k]) for k in ("name", "version") if k in runtime}
    return clean
