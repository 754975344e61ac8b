"""`set`: the session's display preferences (commands.md §7), for anyone, logged in or not."""
from __future__ import annotations

from ...errors import UsageError
from ..display import CHOICES, HELP
from ..registry import Arg, command
from ..render import Result


def setting_words(app, text: str):
    """Completion of `NAME VALUE`: first the preference, then its values."""
    words = text.split(" ")
    if len(words) == 1:
        return [(name, HELP[name]) for name in HELP if name.startswith(words[0])]
    if len(words) > 2 or words[0] not in CHOICES:
        return []
    name, prefix = words
    return [(f"{name} {value}", "") for value in CHOICES[name] if value.startswith(prefix)]


@command("set", summary="Show or change display preferences for this session.", login=False,
         params=(Arg("setting", "a preference and its new value (none: show them all)",
                     optional=True, many=True, complete=setting_words, metavar="NAME VALUE"),),
         examples=("set", "set expanded on", "set format csv", "set limit 20"))
def set_(ctx, args):
    display = ctx.app.display
    words = args.setting or []
    if len(words) > 2:
        raise UsageError("set: give a name and one value, e.g. `set limit 20` "
                         "(usage: set [NAME VALUE])")
    if len(words) == 2:
        display.change(*words)
        return Result(message=f"{words[0]} is {getattr(display, words[0])}")
    names = [display.known(words[0])] if words else display.names()
    width = max(len(n) for n in names) + 2
    return Result(message="\n".join(f"{name.ljust(width)}{getattr(display, name)}"
                                    for name in names))
