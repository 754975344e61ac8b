"""`user …` commands."""
