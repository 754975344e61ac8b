"""Settings read once from the environment (and a `.env` in the current directory).

Everything that differs between a laptop, a shared PostgreSQL install and a test
run is here, so nothing else reads `os.environ` directly and no secret is ever
written in the code.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SESSION_LIFETIME = 8 * 3600
DEFAULT_SESSION_IDLE = 30 * 60
DEFAULT_BCRYPT_ROUNDS = 12


class ConfigError(Exception):
    """A setting has a value the program cannot use (exit status 2)."""


def load_dotenv_file() -> None:
    """Read `.env` from the current directory without overriding the real environment."""
    path = Path.cwd() / ".env"
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def data_dir() -> Path:
    """Where epicshell keeps its files: `$XDG_DATA_HOME/epicshell` or ~/.local/share/epicshell."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "epicshell"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'epicevents.db'}"


def _int_setting(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    sentry_dsn: str | None = None
    sentry_environment: str = "production"
    session_lifetime: int = DEFAULT_SESSION_LIFETIME
    session_idle: int = DEFAULT_SESSION_IDLE
    bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS
    # The session lives in this process only, so a per-process random key is enough
    # and nothing secret ever needs to be configured or stored.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)


def load_settings(database_url: str | None = None) -> Settings:
    """Build Settings: the `--database` flag wins over DATABASE_URL, which wins over the default."""
    load_dotenv_file()
    url = database_url or os.environ.get("DATABASE_URL", "").strip() or default_database_url()
    rounds = _int_setting("EPICSHELL_BCRYPT_ROUNDS", DEFAULT_BCRYPT_ROUNDS, minimum=4)
    if rounds > 31:
        raise ConfigError("EPICSHELL_BCRYPT_ROUNDS must be between 4 and 31")
    return Settings(
        database_url=url,
        sentry_dsn=os.environ.get("SENTRY_DSN", "").strip() or None,
        sentry_environment=os.environ.get("SENTRY_ENVIRONMENT", "").strip() or "production",
        session_lifetime=_int_setting("EPICSHELL_SESSION_LIFETIME", DEFAULT_SESSION_LIFETIME),
        session_idle=_int_setting("EPICSHELL_SESSION_IDLE", DEFAULT_SESSION_IDLE),
        bcrypt_rounds=rounds,
    )
