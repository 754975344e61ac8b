"""The bottom toolbar of the interactive prompt: who, how long the session lasts, which database.

It is redrawn often (every key, and on a timer), so it reads only what is in memory:
the cached session user and the token's own timestamps; never the database, and never
anything that would count as activity and keep an idle session alive.
"""
from __future__ import annotations

import math

from ..db import database_label
from ..errors import EpicError
from ..safetext import visible

KEYS = "TAB completes · Ctrl-R searches history · Ctrl-D exits"


def minutes_left(app) -> int | None:
    """Whole minutes (rounded up) before the session ends, by inactivity or absolutely.

    None when nobody is logged in; 0 once the session is over (the next command says so).
    """
    session = app.session
    if not session.active:
        return None
    try:
        times = session.times()
    except EpicError:
        return 0
    except Exception:  # an unreadable token: the next command will end the session
        return 0
    if times is None:
        return None
    ends = min(times["expires_at"], times["idle_expires_at"])
    return max(0, math.ceil((ends - session.clock()) / 60))


def toolbar_text(app) -> str:
    """The toolbar's text; the user's name and the database label made terminal-safe."""
    database = visible(database_label(app.settings.database_url)) + (" (demo)" if app.demo else "")
    user = app.session.user if app.session.active else None
    if user is None:
        return f" not logged in · db {database} · {KEYS} "
    left = minutes_left(app)
    session = "session over: log in again" if left == 0 else f"{left} min left"
    return f" {visible(user.full_name)} ({user.department}) · {session} · db {database} · {KEYS} "
