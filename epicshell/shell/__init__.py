"""The shell: one long-running prompt, plus the same commands for scripts and transcripts."""
