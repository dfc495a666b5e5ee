"""One client module per upstream API the migration pages call."""
