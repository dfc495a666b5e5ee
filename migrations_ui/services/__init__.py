"""Writes: the actions that change upstream state, each recorded in the audit log.

`audit` writes audit events (the only code that does); `migrations` starts, cancels and
recounts migrations and purges a type's dead letter queue. Reads are in `migrations_ui.selectors`.
"""
