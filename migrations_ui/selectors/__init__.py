"""Reads: what the pages show, from the upstream services and from our own audit log.

`history` (the list), `preview` (the pre-flight checks), `progress` (one migration, live),
`failures` (dead letters) and `audit` (audit queries). Writes are in `migrations_ui.services`.
"""

from __future__ import annotations

from typing import Any


def username_of(user: Any) -> str | None:
    """The signed-in user's name, which every upstream call carries (system token per user)."""
    return getattr(user, "username", None) or None
