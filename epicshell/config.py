"""Settings read once from the environment (and a `.env` in the current directory).

Everything that differs between a laptop, a shared PostgreSQL install and a test
run is here, so nothing else reads `os.environ` directly and no secret is ever
written in the code.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SESSION_LIFETIME = 8 * 3600
DEFAULT_SESSION_IDLE = 30 * 60
DEFAULT_BCRYPT_ROUNDS = 12


class ConfigError(Exception):
    """A setting has a value the program cannot use (exit status 2)."""


# The only settings a `.env` may give. Anything else in it (PAGER, PATH, LD_PRELOAD, …)
# is ignored: a file in the current directory must not choose programs to run.
DOTENV_SETTINGS = ("DATABASE_URL", "SENTRY_DSN", "SENTRY_ENVIRONMENT",
                   "EPICSHELL_SESSION_LIFETIME", "EPICSHELL_SESSION_IDLE",
                   "EPICSHELL_BCRYPT_ROUNDS", "EPICSHELL_PASSWORD")
MAX_SESSION_SECONDS = 31 * 24 * 3600  # a month: beyond, a typo rather than a wish


def read_dotenv_file() -> dict[str, str]:
    """epicshell's settings from `.env` in the current directory; `os.environ` is untouched."""
    path = Path.cwd() / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return {k: v for k, v in values.items() if k in DOTENV_SETTINGS and v is not None}


def setting(name: str, dotenv: dict[str, str]) -> str:
    """NAME from the real environment (which wins), else from `.env`; '' when unset."""
    value = os.environ.get(name)
    return (value if value is not None else dotenv.get(name, "")).strip()


def data_dir() -> Path:
    """Where epicshell keeps its files: `$XDG_DATA_HOME/epicshell` or ~/.local/share/epicshell."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "epicshell"


def make_private_dirs(path: Path) -> None:
    """Create PATH and every missing folder above it readable by their owner only (0700,
    whatever the umask: `Path.mkdir(parents=True)` gives the parents the umask's mode).
    Folders that exist already are left as they are."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process: theirs to decide
            continue
        folder.chmod(0o700)


def private_dir(path: Path) -> Path:
    """Create PATH 0700, or tighten it to 0700 if it exists (files in it hold personal data).

    Only for epicshell's own folders (data, state): never for a folder the user named.
    """
    make_private_dirs(path)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'epicevents.db'}"


def _int_setting(name: str, dotenv: dict, default: int, minimum: int, maximum: int) -> int:
    from .errors import ValidationError
    from .validation import parse_whole

    raw = setting(name, dotenv)
    if not raw:
        return default
    try:
        return parse_whole(raw, name, minimum=minimum, maximum=maximum)
    except ValidationError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class Settings:
    database_url: str
    sentry_dsn: str | None = None
    sentry_environment: str = "production"
    session_lifetime: int = DEFAULT_SESSION_LIFETIME
    session_idle: int = DEFAULT_SESSION_IDLE
    bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS
    # EPICSHELL_PASSWORD from `.env`: read by `login` in scripts when the environment has none.
    dotenv_password: str | None = field(default=None, repr=False)
    # The session lives in this process only, so a per-process random key is enough
    # and nothing secret ever needs to be configured or stored. 256 bits from the OS, as
    # `secrets` would give, without importing it (and random, hmac) at every start.
    secret_key: str = field(default_factory=lambda: os.urandom(32).hex(), repr=False)


def load_settings(database_url: str | None = None) -> Settings:
    """Build Settings: the `--database` flag wins over DATABASE_URL, which wins over the default."""
    dotenv = read_dotenv_file()
    url = database_url or setting("DATABASE_URL", dotenv) or default_database_url()
    return Settings(
        database_url=url,
        sentry_dsn=setting("SENTRY_DSN", dotenv) or None,
        sentry_environment=setting("SENTRY_ENVIRONMENT", dotenv) or "production",
        session_lifetime=_int_setting("EPICSHELL_SESSION_LIFETIME", dotenv,
                                      DEFAULT_SESSION_LIFETIME, 1, MAX_SESSION_SECONDS),
        session_idle=_int_setting("EPICSHELL_SESSION_IDLE", dotenv, DEFAULT_SESSION_IDLE, 1,
                                  MAX_SESSION_SECONDS),
        bcrypt_rounds=_int_setting("EPICSHELL_BCRYPT_ROUNDS", dotenv, DEFAULT_BCRYPT_ROUNDS,
                                   4, 31),
        dotenv_password=dotenv.get("EPICSHELL_PASSWORD") or None,
    )
