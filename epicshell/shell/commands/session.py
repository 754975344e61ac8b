"""Session commands (commands.md §3): login, logout, whoami, status, setup, help, exit."""
from __future__ import annotations

from datetime import datetime

from ... import __version__
from ...db import mask_url
from ...errors import EpicError, UsageError
from ...services import auth
from ...services.policy import may
from ..fields import HIDDEN_PASSWORD, USER_FIELDS
from ..registry import Arg, Opt, command, load_commands, password_env_opt, resolve, wrap_lines
from ..render import Result


def available(cmd, actor) -> bool:
    """Is CMD offered to ACTOR (None = nobody logged in) by `help` and completion?

    The policy decides, minus what cannot apply: `setup` once someone is logged in (there
    are users then), `logout` while nobody is.
    """
    if (cmd.name == "setup" and actor is not None) or (cmd.name == "logout" and actor is None):
        return False
    if cmd.operation:
        return may(actor, cmd.operation)
    return actor is not None or not cmd.login


def _command_names(app, prefix):
    from ..completion import completing_user

    actor = completing_user(app)
    names = sorted({cmd.name for cmd in load_commands().values() if available(cmd, actor)})
    return [(name, "") for name in names if name.startswith(prefix)]


@command("login", summary="Log in; the password is asked hidden (scripts: from an environment "
         "variable).", login=False,
         params=(Arg("email", "your email address", optional=True), password_env_opt()),
         examples=("login ana@epic.test", "EPICSHELL_PASSWORD=… epicshell -c 'login ana@epic.test'"))
def login(ctx, args):
    email = args.email
    if not email:
        if not ctx.interactive:
            raise UsageError("login: give your email: login EMAIL")
        from ..wizards import ask_text

        email = ask_text("Email")
    password = ctx.secret("Password", env_var=args.password_env)
    user = ctx.app.session.login(email, password)
    lines = [f"Welcome, {user.full_name} ({user.department})"]
    if ctx.interactive:  # a person starting their day; scripts and transcripts get no agenda
        lines.extend(_agenda_brief(ctx.app, user))
    ctx.app.say("\n".join(lines))  # a notice: on stderr in scripts


def _agenda_brief(app, user) -> list[str]:
    """The agenda's short form; a failure there is reported but never spoils the login."""
    from .agenda import brief

    try:
        return brief(user)
    except Exception as exc:
        app.report_unexpected(exc)
        return []


@command("logout", summary="End the session.", login=False, examples=("logout",))
def logout(ctx, args):
    was = ctx.app.session.active
    ctx.app.session.logout()
    return Result(message="Logged out." if was else "Nobody is logged in.")


@command("whoami", summary="Who you are logged in as.", examples=("whoami",))
def whoami(ctx, args):
    user = ctx.actor
    return Result(message=f"{user.full_name} <{user.email}>, {user.department}, "
                  f"employee number {user.employee_number}")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")


@command("status", summary="Session, database and version.", login=False,
         examples=("status", "epicshell -c status   (from the system shell)"))
def status(ctx, args):
    app = ctx.app
    user = ctx.actor
    lines = []
    times = app.session.times() if user else None
    if user and times:
        lines.append(f"user:       {user.full_name} <{user.email}> ({user.department})")
        lines.append(f"session:    ends at {_clock(times['expires_at'])}, or after "
                     f"{times['idle'] // 60} min idle (at {_clock(times['idle_expires_at'])})")
    else:
        settings = app.settings
        lines.append("user:       not logged in")
        lines.append(f"session:    a login lasts {_duration(settings.session_lifetime)}, or "
                     f"{_duration(settings.session_idle)} idle")
    lines.append(f"database:   {mask_url(app.settings.database_url)}"
                 + (" (demo, discarded at exit)" if app.demo else ""))
    lines.append(f"version:    epicshell {__version__}")
    return Result(message="\n".join(lines))


def _duration(seconds: int) -> str:
    """`8 h`, `30 min`, `1 h 30 min`: a session length as `status` says it."""
    hours, minutes = divmod(int(seconds) // 60, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "",
                                      f"{minutes} min" if minutes or not hours else "") if part)


@command("setup", summary="Create the first management account (only while there is no user).",
         login=False,
         params=(Opt("--email", "email address", metavar="EMAIL"),
                 Opt("--full-name", "full name", metavar="NAME"),
                 Opt("--employee-number", "employee number", metavar="X"),
                 password_env_opt()),
         examples=("setup --email ana@epic.test --full-name 'Ana Lopez' --employee-number M001",
                   "setup ... --password-env ADMIN_PASSWORD   (scripts)"))
def setup(ctx, args):
    if not auth.needs_setup():
        raise EpicError("setup is only possible while the database has no user; log in instead")
    fields = [f for f in USER_FIELDS if f.name != "department"]
    given = {f.name: getattr(args, f.name) for f in fields}
    if not ctx.interactive and not args.password_env:
        raise UsageError("missing required option: --password-env (passwords never go on the "
                         "command line)")
    typed: dict = {}  # the password, when the wizard asks it before its summary

    def ask_password(answers: dict) -> dict:
        typed["password"] = ctx.secret("Password", confirm=True, email=answers.get("email"))
        return {"Password": HIDDEN_PASSWORD}

    values = ctx.fill(fields, given, title="First management account",
                      then=None if args.password_env else ask_password)
    password = typed.get("password") or ctx.secret("Password", env_var=args.password_env,
                                                   confirm=True)
    user = auth.setup_first_user(values["email"], values["full_name"], values["employee_number"],
                                 password)
    ctx.app.session.start(user)
    return Result(message=f"Created management account {user.email} (id {user.id}); "
                  f"you are logged in.")


@command("help", summary="List the commands you may run, or show one command's usage.",
         login=False, params=(Arg("topic", "a command, e.g. `client create`", optional=True,
                                  many=True, complete=_command_names, metavar="COMMAND"),),
         examples=("help", "help contract sign"))
def help_(ctx, args):
    registry = load_commands()
    if args.topic:
        cmd, _rest = resolve(args.topic)
        return Result(message=cmd.help_text(ctx.app.env.width()))
    actor = ctx.actor
    groups: dict[str, list] = {}
    for name, cmd in sorted(registry.items()):
        if name != cmd.name or not available(cmd, actor):
            continue
        groups.setdefault(cmd.entity if " " in cmd.name else "session", []).append(cmd)
    lines = []
    for group in sorted(groups, key=lambda g: (g != "session", g)):
        lines.append(f"{group}:")
        width = max(len(c.name) for c in groups[group]) + 2
        for c in groups[group]:
            lines.extend(wrap_lines(f"  {c.name.ljust(width)}{c.summary}", " " * (width + 2),
                                    ctx.app.env.width()))
    lines.append("")
    lines.append("Type `help COMMAND` or `COMMAND --help` for options and examples.")
    if actor is None:
        lines.append("Log in to see the commands of your department.")
    return Result(message="\n".join(lines))


@command("exit", summary="Leave the shell (also `quit` or Ctrl-D).", login=False, aliases=("quit",),
         examples=("exit", "quit"))
def exit_(ctx, args):
    ctx.app.running = False
    return None
