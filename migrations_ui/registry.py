"""The migration types the dashboard offers (design.md §5).

Each type is one entry: its slug and upstream type, the pages' title, the permissions, the start
form, how to estimate and start it, which pre-flight checks its preview runs and which App
Insights links its pages offer. Visits is the first entry; another type is an entry and a form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from migrations_ui import forms


@dataclass(frozen=True)
class MigrationType:
    slug: str
    # The `MigrationType` value the migration service uses in paths (upstream-api.md §4.6).
    upstream_type: str
    title: str
    # How records are named in sentences: "Estimated number of visits to be migrated".
    records: str
    # The URL namespace of the type's pages and where its list lives.
    namespace: str
    home_href: str
    view_permission: str
    start_permission: str
    cancel_permission: str
    dead_letters_permission: str
    filter_form: type[forms.MigrationFilterForm]
    # Names of services.PREFLIGHT_CHECKS the preview runs, concurrently.
    preflight_checks: tuple[str, ...]
    # Names of the App Insights links its pages show (migrations_ui.appinsights).
    insights_links: tuple[str, ...]
    # (user, filter) -> estimated record count.
    estimate: Callable[..., int]
    # (client, filter) -> MigrationContext.
    start: Callable[..., Any]


def _visits_estimate(*, username: str | None, filter: Mapping[str, Any]) -> int:
    from migrations_ui import services

    return services.visits_estimate(username=username, filter=filter)


def _visits_start(client: Any, filter: Mapping[str, Any]) -> Any:
    return client.start_visits(filter)


VISITS = MigrationType(
    slug="visits",
    upstream_type="VISITS",
    title="Visits migration",
    records="visits",
    namespace="visits",
    home_href="/visits-migration/",
    view_permission="migrations_ui.view_visits_migration",
    start_permission="migrations_ui.start_visits_migration",
    cancel_permission="migrations_ui.cancel_visits_migration",
    dead_letters_permission="migrations_ui.manage_visits_dead_letters",
    filter_form=forms.VisitsMigrationForm,
    preflight_checks=("estimate", "unmapped_rooms", "dead_letters", "active"),
    insights_links=("already_migrated", "dead_letter"),
    estimate=_visits_estimate,
    start=_visits_start,
)

MIGRATION_TYPES: dict[str, MigrationType] = {VISITS.slug: VISITS}


def get(slug: str) -> MigrationType:
    return MIGRATION_TYPES[slug]


def register_tiles() -> None:
    """One home-page tile per migration type, shown to users who may view it."""
    from nomis_sync.tiles import Tile, register_tile

    for migration_type in MIGRATION_TYPES.values():
        register_tile(
            Tile(
                title=migration_type.title,
                href=migration_type.home_href,
                permission=migration_type.view_permission,
            )
        )
