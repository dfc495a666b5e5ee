"""A type's history list (M3), with each shown row's links worked out lazily."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import DatabaseError

from kernel import caching
from kernel.lazy import LazyMap
from migrations_ui import insights
from migrations_ui.clients.migration_api import MigrationApiClient, MigrationHistory
from migrations_ui.selectors import username_of
from migrations_ui.selectors.audit import audit_started_by
from migrations_ui.types.base import Line, Link, MigrationType

logger = logging.getLogger(__name__)


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
            kept: HistoryRows = known[1]
            return kept
        assert migrations is not None  # noqa: S101 (decoded whenever the digest was not known)
        rows: HistoryRows = LazyMap(migrations, lambda m: history_row(m, migration_type))
        caching.history_bodies.put(key, (digest, rows))
        return rows

    cached = caching.history.get(key, fetch)
    return History(rows=cached.value, fetched_at=cached.fetched_wall, generation=cached.generation)


# Rows per page of the history list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class HistoryPage:
    """One page of a type's history list, with who started each of its migrations."""

    # None when the filter was not valid (nothing was asked for).
    rows: Sequence[HistoryRow] | None
    page: Page[HistoryRow] | None
    total: int | None
    fetched_at: float | None
    # Who started each shown migration, from the audit log; None when it could not be read.
    started_by: dict[str, Any] | None


def history_page(
    *,
    user: Any,
    migration_type: MigrationType,
    params: Mapping[str, Any] | None,
    page_number: str | None,
) -> HistoryPage:
    """A page of the history (M3) for `params` (None: no valid filter), and who started it."""
    if params is None:
        return HistoryPage(rows=None, page=None, total=None, fetched_at=None, started_by={})
    history = migration_history(user=user, migration_type=migration_type, params=params)
    page = Paginator(history.rows, PAGE_SIZE).get_page(page_number) if history.rows else None
    # A page's rows (the paginator slices the lazy list, so only they are worked out).
    shown: Sequence[HistoryRow] = page.object_list if page else history.rows  # type: ignore[assignment]
    return HistoryPage(
        rows=shown,
        page=page,
        total=len(history.rows),
        fetched_at=history.fetched_at,
        started_by=migrations_started_by(
            migration_type=migration_type,
            migration_ids=[row.migration.migration_id for row in shown],
            generation=history.generation,
        ),
    )


def migrations_started_by(
    *, migration_type: MigrationType, migration_ids: list[str], generation: int
) -> dict[str, Any] | None:
    """Who pressed Start for each migration, from our own audit log; None if unreadable.

    One query for the whole page, and none while nothing has been started through the dashboard
    since it was last asked (the generation the list was read under is the current one). An
    optional part of the page: the list is still worth showing without it.
    """
    if not migration_ids:
        return {}
    upstream_type = migration_type.upstream_type
    try:
        return caching.started_by.get(
            (upstream_type, tuple(migration_ids)),
            lambda: audit_started_by(migration_type=upstream_type, migration_ids=migration_ids),
            generation=generation,
        )
    except DatabaseError:
        logger.exception("Audit log unreadable: history shown without 'Started by'")
        return None
