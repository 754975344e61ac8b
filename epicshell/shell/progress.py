"""A progress bar for long imports and exports, on a terminal only (commands.md §8).

Scripts, pipes and short files get nothing but the command's final line. The bar is
prompt_toolkit's own (`ProgressBar`): one line per phase (checking a file, writing
records) with the count, the rate and the time left.
"""
from __future__ import annotations

import contextlib

THRESHOLD = 2000  # rows: below this an import or export is over before a bar would help


@contextlib.contextmanager
def progress_bar(ctx, total: int | None, title: str):
    """Yield a `progress(what, rows_done)` callback, or None when no bar is wanted."""
    if not ctx.interactive or not total or total <= THRESHOLD:
        yield None
        return
    from prompt_toolkit.shortcuts import ProgressBar
    from prompt_toolkit.shortcuts.progress_bar import formatters

    shown = [formatters.Label(suffix=": "), formatters.Percentage(), formatters.Text(" "),
             formatters.Bar(), formatters.Text(" "), formatters.Progress(), formatters.Text(" "),
             formatters.IterationsPerSecond(), formatters.Text(" rows/s, left: "),
             formatters.TimeLeft()]
    with ProgressBar(title=title, formatters=shown) as bar:
        counters = {}

        def advance(what: str, count: int) -> None:
            counter = counters.get(what)
            if counter is None:
                counter = counters[what] = bar(label=what, total=total)
            counter.items_completed += count
            bar.invalidate()

        try:
            yield advance
        finally:
            for counter in counters.values():
                counter.done = True
