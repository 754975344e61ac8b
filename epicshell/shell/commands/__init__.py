"""Shell commands, one module per entity: parse → wizard for what is missing → service → Result."""
