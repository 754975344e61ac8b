"""The interactive shell: a prompt_toolkit prompt in a loop (minimal version)."""
from __future__ import annotations


def run_interactive(app) -> int:
    from prompt_toolkit import PromptSession

    session = PromptSession()
    while app.running:
        try:
            line = session.prompt(app.prompt_text())
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        app.execute(line)
    return 0
