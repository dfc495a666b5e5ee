"""One migration and its live figures (M4, M5), only ever under its own type's pages."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

import upstream
from kernel import caching
from kernel.formatting import LONDON
from migrations_ui.clients.migration_api import (
    ENDED_STATUSES,
    IN_PROGRESS_STATUSES,
    InProgressMigration,
    MigrationApiClient,
    MigrationHistory,
)
from migrations_ui.selectors import username_of
from migrations_ui.types.base import MigrationType


class MigrationNotFound(Exception):
    """No such migration, or it is another type's: its pages never show or act on it."""


def london_now() -> dt.datetime:
    """Now as the upstream's naive local time (upstream-api.md §2.2)."""
    return timezone.now().astimezone(LONDON).replace(tzinfo=None)


def _owned(migration: MigrationHistory, migration_type: MigrationType) -> MigrationHistory:
    if migration.migration_type != migration_type.upstream_type:
        raise MigrationNotFound(migration.migration_id)
    return migration


def migration_get(
    *, user: Any, migration_type: MigrationType, migration_id: str
) -> MigrationHistory:
    """M4: one migration of this type; `MigrationNotFound` for an unknown id or another type's."""
    try:
        migration = MigrationApiClient(username=username_of(user)).migration(migration_id)
    except upstream.NotFound as exc:
        raise MigrationNotFound(migration_id) from exc
    return _owned(migration, migration_type)


@dataclass(frozen=True)
class Progress:
    """A migration's figures as the details page shows them (reference-dashboard.md §4.7)."""

    migration: MigrationHistory
    running: bool
    migrated: int
    # None while running when the service could not count the dead letter queue: "unknown".
    failed: int | None
    still_to_be_processed: int | None
    being_processed: int | None
    # Records a minute, and when the rest should be done; only while STARTED and moving.
    rate_per_minute: float | None
    estimated_finish: dt.datetime | None

    @property
    def status(self) -> str:
        return self.migration.status

    @property
    def ended(self) -> dt.datetime | None:
        """Shown for every ended status (the existing dashboard showed COMPLETED only)."""
        return self.migration.when_ended if self.migration.status in ENDED_STATUSES else None

    @property
    def can_cancel(self) -> bool:
        return self.migration.status == "STARTED"

    @property
    def can_refresh_counts(self) -> bool:
        return self.migration.status == "COMPLETED"

    @property
    def bar(self) -> ProgressBar | None:
        """Migrated and failed against the estimate, for the progress bar; None when the estimate
        is unknown (the upstream reads a missing one as 0), so no bar is ever made up.
        """
        estimated = self.migration.estimated_record_count
        if estimated <= 0:
            return None
        # Failures can include leftovers from earlier runs (upstream-api.md §13.3), so the two
        # parts are capped to fill the bar at most; the text beside it gives the real figures.
        migrated = min(self.migrated, estimated)
        failed = min(self.failed or 0, estimated - migrated)
        return ProgressBar(
            migrated_percent=round(100 * migrated / estimated, 2),
            failed_percent=round(100 * failed / estimated, 2),
            # Rounded down: "100 %" only once everything has been processed.
            done_percent=100 * (migrated + failed) // estimated,
        )


@dataclass(frozen=True)
class ProgressBar:
    """Shares of the estimate, in percent: the bar's two parts and the whole, for its text."""

    migrated_percent: float
    failed_percent: float
    done_percent: int


def migration_progress(*, user: Any, migration_type: MigrationType, migration_id: str) -> Progress:
    """M4, plus M5's live figures while the migration is in progress.

    Live figures describe the latest migration of the type only (upstream-api.md §13.6), so they
    are used only when M5 names this migration. `MigrationNotFound` for an unknown id or a
    migration of another type.
    """
    username = username_of(user)
    upstream_type = migration_type.upstream_type
    known = caching.running_rows.get(migration_id)
    if known is not None and known.migration_type == upstream_type:
        live = MigrationApiClient(username=username).active(upstream_type)
        if live.migration_id == migration_id and live.status in IN_PROGRESS_STATUSES:
            # M5 reads this migration's own history row: its status is the row's status.
            return running_progress(replace(known, status=live.status), live)
        # It has ended, or another migration has started since: read its row again.
        caching.running_rows.forget(migration_id)
    # M5 does not depend on M4's answer, so both are asked at once: the page waits for one round
    # trip, not two. M5's answer is simply not used when the migration has ended.
    live_future = upstream.executor().submit(
        lambda: MigrationApiClient(username=username).active(upstream_type)
    )
    migration = migration_get(user=user, migration_type=migration_type, migration_id=migration_id)
    caching.running_rows.remember(migration)
    if migration.status in ENDED_STATUSES or not migration.in_progress:
        return ended_progress(migration)
    return running_progress(migration, live_future.result())


def ended_progress(migration: MigrationHistory) -> Progress:
    """The figures of a migration that is no longer in progress: those its row stores."""
    return Progress(
        migration=migration,
        running=False,
        migrated=migration.records_migrated,
        failed=migration.records_failed,
        still_to_be_processed=None,
        being_processed=None,
        rate_per_minute=None,
        estimated_finish=None,
    )


def running_progress(migration: MigrationHistory, live: InProgressMigration) -> Progress:
    """The live figures (M5) of a migration in progress, with its rate and estimated finish."""
    same = live.migration_id == migration.migration_id
    migrated = (live.records_migrated or 0) if same else 0
    failed = live.records_failed
    rate, finish = _rate_and_finish(migration, migrated, failed or 0)
    return Progress(
        migration=migration,
        running=True,
        migrated=migrated,
        failed=failed,
        still_to_be_processed=live.to_be_processed if same else 0,
        being_processed=live.being_processed if same else 0,
        rate_per_minute=rate,
        estimated_finish=finish,
    )


def _rate_and_finish(
    migration: MigrationHistory, migrated: int, failed: int
) -> tuple[float | None, dt.datetime | None]:
    if migration.status != "STARTED" or migration.when_started is None or migrated <= 0:
        return None, None
    now = london_now()
    minutes = (now - migration.when_started).total_seconds() / 60
    if minutes <= 0:
        return None, None
    rate = migrated / minutes
    remaining = max(migration.estimated_record_count - migrated - failed, 0)
    finish = now + dt.timedelta(minutes=math.ceil(remaining / rate)) if remaining else now
    return rate, finish
