"""Business rules, one module per entity. No printing, no prompting: every front end
(the shell, scripts, a future API or importer) calls these and nothing else to change data."""
