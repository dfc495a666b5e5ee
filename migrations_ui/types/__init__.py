"""The registry of migration types: URLs, home tiles and role permissions are built from it.

Adding a type is its package under `migrations_ui/types/` and one line in `REGISTERED`
(docs/adding-a-migration-type.md).
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

VISITS = visits.TYPE


def get(slug: str) -> MigrationType:
    return MIGRATION_TYPES[slug]


def role_permissions() -> dict[str, list[str]]:
    """Each role's permissions over the types: its own types', and every type's for SYSCON."""
    table: dict[str, list[str]] = {SYSCON_ROLE: []}
    for migration_type in REGISTERED:
        for role in (*migration_type.roles, SYSCON_ROLE):
            table.setdefault(role, []).extend(migration_type.permissions)
    return table


def register() -> None:
    """One home-page tile per type, and its roles' permissions (called once, at app start)."""
    from accounts.permissions import grant
    from kernel.tiles import Tile, register_status_provider, register_tile
    from migrations_ui.selectors.running import running_tags

    for role, permissions in role_permissions().items():
        grant(role, permissions)
    for migration_type in REGISTERED:
        register_tile(
            Tile(
                title=migration_type.tile_title,
                href=migration_type.home_href,
                permission=migration_type.view_permission,
            )
        )
    register_status_provider(running_tags)
