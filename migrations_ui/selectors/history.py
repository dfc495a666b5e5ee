"""A type's history list (M3), with each shown row's links worked out lazily."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel import caching
from kernel.lazy import LazyMap
from migrations_ui import insights
from migrations_ui.clients.migration_api import MigrationApiClient, MigrationHistory
from migrations_ui.selectors import username_of
from migrations_ui.types.base import Line, Link, MigrationType


@dataclass(frozen=True)
class HistoryRow:
    migration: MigrationHistory
    # Links the row offers (reference-dashboard.md §4.1).
    show_progress: bool
    show_failures: bool
    already_migrated_url: str | None
    # The stored filter as the type reads it.
    filter_lines: list[Line]
    # The type's own links (App Insights queries for types without a failures page).
    links: list[Link]


def history_row(migration: MigrationHistory, migration_type: MigrationType) -> HistoryRow:
    """A history row's links (reference-dashboard.md §4.1), worked out only for rows shown.

    A history can hold thousands of migrations while a page shows 50; building an App Insights
    link (gzip + base64) for every row would dominate the page's time.
    """
    unaccounted = (
        migration.records_migrated + migration.records_failed < migration.estimated_record_count
    )
    log_line = migration_type.already_migrated_log
    return HistoryRow(
        migration=migration,
        show_progress=migration.in_progress,
        show_failures=migration.records_failed > 0 and migration_type.has_failures_page,
        already_migrated_url=insights.already_migrated_url(
            log_line, migration.when_started, migration.when_ended
        )
        if unaccounted and log_line
        else None,
        filter_lines=[line for line in migration_type.filter_lines(migration.filter) if line.value],
        links=migration_type.row_links(migration) if migration_type.row_links else [],
    )


HistoryRows = LazyMap[MigrationHistory, HistoryRow]


@dataclass(frozen=True)
class History:
    rows: HistoryRows
    # When this copy of the list was fetched from the migration service (epoch seconds).
    fetched_at: float
    # The dashboard-action generation it belongs to, the current one (kernel.caching).
    generation: int


def migration_history(
    *, user: Any, migration_type: MigrationType, params: Mapping[str, Any]
) -> History:
    """M3 for the type, newest first, served from a short-lived per-process copy (caching)."""
    username = username_of(user)

    key = caching.cache_key(migration_type.upstream_type, dict(params))

    def fetch() -> HistoryRows:
        # An unchanged body keeps the rows decoded from it (and any already parsed).
        known = caching.history_bodies.get(key)
        digest, migrations = MigrationApiClient(username=username).history_if_changed(
            migration_type.upstream_type, params, known_digest=known[0] if known else None
        )
        if migrations is None and known is not None:
            return known[1]
        assert migrations is not None  # noqa: S101 (decoded whenever the digest was not known)
        rows: HistoryRows = LazyMap(migrations, lambda m: history_row(m, migration_type))
        caching.history_bodies.put(key, (digest, rows))
        return rows

    cached = caching.history.get(key, fetch)
    return History(rows=cached.value, fetched_at=cached.fetched_wall, generation=cached.generation)
