"""The registry of migration types: plain data that URLs, home tiles and permissions are built from.

Adding a type is its package under `migrations_ui/types/` and one line in `REGISTERED`
(docs/adding-a-migration-type.md). The app's `ready()` (migrations_ui.apps) does the wiring.
"""

from __future__ import annotations

from migrations_ui.types import (
    activities,
    allocations,
    appointments,
    core_person,
    court_sentencing,
    official_visits,
    prison_balance,
    prisoner_balance,
    taps,
    visit_slots,
    visits,
)
from migrations_ui.types.base import SYSCON_ROLE, MigrationType

REGISTERED: tuple[MigrationType, ...] = (
    visits.TYPE,
    visit_slots.TYPE,
    court_sentencing.TYPE,
    core_person.TYPE,
    official_visits.TYPE,
    prison_balance.TYPE,
    prisoner_balance.TYPE,
    taps.TYPE,
    activities.TYPE,
    allocations.TYPE,
    appointments.TYPE,
)

MIGRATION_TYPES: dict[str, MigrationType] = {t.slug: t for t in REGISTERED}


def get(slug: str) -> MigrationType:
    return MIGRATION_TYPES[slug]


def role_permissions() -> dict[str, list[str]]:
    """Each role's permissions over the types: its own types', and every type's for SYSCON."""
    table: dict[str, list[str]] = {SYSCON_ROLE: []}
    for migration_type in REGISTERED:
        for role in (*migration_type.roles, SYSCON_ROLE):
            table.setdefault(role, []).extend(migration_type.permissions)
    return table


def entry_type() -> MigrationType:
    """The type whose role a user who can open no page is told to ask for: the first with one."""
    return next(migration_type for migration_type in REGISTERED if migration_type.roles)


def entry_role() -> str:
    """The role to ask for when a user can open no page: the entry type's own."""
    return entry_type().roles[0]
