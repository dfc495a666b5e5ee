"""Reads for the overview: each shown type's latest migration and failures waiting, side by side.

Per type, the migration service is asked for M5, the latest migration's live figures, which also
carry the depth of the type's dead letter queue (`recordsFailed`, upstream-api.md §3.6: the same
figure M9 answers, so M9 is not asked as well), and then M4 for that migration's row (filter,
end, stored counts) unless this worker has seen it in progress already: a running migration's
row does not change but for its status, which M5 gives (caching.running_rows, as details uses).

The migration service allows one migration in progress per type (upstream-api.md §5.1), so the
latest migration is both the type's last run and, while STARTED or CANCELLED_REQUESTED, the one
in flight.

Every type's calls run at once and all of them together get the optional budget
(OPTIONAL_CALL_BUDGET_SECONDS, 1 s): a type that fails or has not answered by then is
"unavailable" on its own rows and the others still show. What was read is the same for every
user, so it is shared through the Django cache (Redis when deployed: every worker and replica)
by type for OVERVIEW_FIGURES_SECONDS (at most 5 s), and is read again at once after a
dashboard action (the generation, kernel.caching).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.urls import reverse
from django.utils.timesince import timesince

import upstream
from kernel import caching
from migrations_ui import types
from migrations_ui.clients.migration_api import (
    IN_PROGRESS_STATUSES,
    InProgressMigration,
    MigrationApiClient,
    MigrationHistory,
)
from migrations_ui.models import AuditEvent
from migrations_ui.selectors import username_of
from migrations_ui.selectors.audit import audit_started_by
from migrations_ui.selectors.progress import (
    Progress,
    ended_progress,
    london_now,
    running_progress,
)
from migrations_ui.types.base import Link, MigrationType
from upstream import deadline

logger = logging.getLogger(__name__)

# Versioned: a release that changes TypeFigures never reads what the one before it wrote.
FIGURES_KEY = "overview:v1:figures:{}"


@dataclass(frozen=True)
class TypeFigures:
    """What the migration service said of one type, and when: the same for every user."""

    upstream_type: str
    live: InProgressMigration
    # The latest migration's row, its status as M5 gave it; None if the type has never run.
    latest: MigrationHistory | None
    read_at: float  # time.time()
    generation: int


@dataclass(frozen=True)
class TypeOverview:
    """One type's part of the overview; `figures` is None when they could not be read in time."""

    migration_type: MigrationType
    figures: TypeFigures | None
    started_by: AuditEvent | None = None

    @property
    def available(self) -> bool:
        return self.figures is not None

    @property
    def latest(self) -> MigrationHistory | None:
        return self.figures.latest if self.figures else None

    @property
    def in_flight(self) -> bool:
        return self.latest is not None and self.latest.in_progress

    @cached_property
    def progress(self) -> Progress | None:
        """The latest migration's figures as its details page shows them."""
        if self.latest is None or self.figures is None:
            return None
        if self.in_flight:
            return running_progress(self.latest, self.figures.live)
        return ended_progress(self.latest)

    @property
    def dead_letters(self) -> int | None:
        """Messages on the type's dead letter queue; None when the service could not count."""
        return self.figures.live.records_failed if self.figures else None

    @property
    def details_href(self) -> str | None:
        if self.latest is None:
            return None
        return reverse(f"{self.migration_type.namespace}:details", args=[self.latest.migration_id])

    @property
    def history_href(self) -> str:
        return reverse(f"{self.migration_type.namespace}:history")

    @property
    def started_ago(self) -> str:
        """How long ago the latest migration started ("3 minutes ago")."""
        if self.latest is None or self.latest.when_started is None:
            return ""
        now = london_now()
        if now - self.latest.when_started < dt.timedelta(minutes=1):
            return "less than a minute ago"
        return f"{timesince(self.latest.when_started, now, depth=1)} ago"

    @property
    def failures_link(self) -> Link | None:
        """Where the type's failures are read: its failures page, or App Insights for the
        types without one (the latest run's failure events, as its history row links them).
        """
        t = self.migration_type
        if t.has_failures_page:
            return Link("failures", "View failures", reverse(f"{t.namespace}:failures"), False)
        if self.latest is None or t.row_links is None:
            return None
        # The row's stored count is 0 while it runs (upstream-api.md §13.6): the queue's depth
        # now says whether there are failures to look for.
        row = replace(self.latest, records_failed=self.dead_letters or 0)
        links = {link.key: link for link in t.row_links(row)}
        return links.get("insights-failures") or links.get("all-events")


@dataclass(frozen=True)
class Overview:
    types: list[TypeOverview]
    # True when the audit log could not be read in time: no "started by" is shown.
    started_by_unavailable: bool

    @property
    def in_flight(self) -> list[TypeOverview]:
        return [t for t in self.types if t.in_flight]

    @property
    def unavailable(self) -> list[TypeOverview]:
        return [t for t in self.types if not t.available]

    @property
    def read_at(self) -> tuple[float, float] | None:
        """When the figures shown were read: the earliest and the latest time, if any were."""
        times = [t.figures.read_at for t in self.types if t.figures is not None]
        return (min(times), max(times)) if times else None


def visible_types(user: Any) -> list[MigrationType]:
    """The types whose pages the user may see, in the registry's order (SYSCON: every type)."""
    # Once: each has_perm() would work the user's permissions out from their roles again.
    permissions = user.get_all_permissions()
    return [t for t in types.REGISTERED if t.view_permission in permissions]


def overview_read(*, user: Any) -> Overview:
    """Every type the user may see, with its latest migration and failures waiting.

    No upstream call is made for any other type. Each type's figures are None ("unavailable")
    when the migration service failed or had not answered within the optional budget.
    """
    shown = visible_types(user)
    figures, generation = _figures(username_of(user), shown)
    rows = [TypeOverview(t, figures.get(t.upstream_type)) for t in shown]
    try:
        starters = _starters(rows, generation)
    except DatabaseError:
        logger.exception("Audit log unreadable: the overview is shown without 'Started by'")
        return Overview(rows, started_by_unavailable=True)
    return Overview(
        [replace(row, started_by=starters.get(row.migration_type.upstream_type)) for row in rows],
        started_by_unavailable=False,
    )


def _read(username: str | None, upstream_type: str, generation: int) -> TypeFigures:
    """M5, then M4 for a latest migration this worker has not yet seen in progress."""
    client = MigrationApiClient(username=username)
    live = client.active(upstream_type)
    latest = None
    if live.migration_id:
        known = caching.running_rows.get(live.migration_id)
        if (
            known is not None
            and known.migration_type == upstream_type
            and live.status in IN_PROGRESS_STATUSES
        ):
            latest = replace(known, status=live.status)
        else:
            latest = client.migration(live.migration_id)
            caching.running_rows.remember(latest)
    return TypeFigures(upstream_type, live, latest, time.time(), generation)


def _figures(
    username: str | None, shown: list[MigrationType]
) -> tuple[dict[str, TypeFigures], int]:
    """Each shown type's figures that could be had: shared ones still fresh, the rest read now,
    side by side, within the optional budget; and the generation they were read under.
    """
    seconds = settings.OVERVIEW_FIGURES_SECONDS
    found: dict[str, TypeFigures] = {}
    keys = {t.upstream_type: FIGURES_KEY.format(t.upstream_type) for t in shown}
    # One round trip to the cache for the generation (which "started by" needs too) and, when
    # they are shared, every type's figures.
    values = cache.get_many([caching.GENERATION_KEY, *(keys.values() if seconds > 0 else ())])
    counter = values.get(caching.GENERATION_KEY)
    generation = counter if isinstance(counter, int) else 0
    if seconds > 0:
        now = time.time()
        for upstream_type, key in keys.items():
            shared = values.get(key)
            if (
                isinstance(shared, TypeFigures)
                and shared.generation == generation
                and now - shared.read_at < seconds
            ):
                found[upstream_type] = shared
    missing = [t.upstream_type for t in shown if t.upstream_type not in found]
    if not missing:
        return found, generation
    at = deadline.optional_deadline()
    futures = {
        upstream_type: upstream.executor().submit(
            functools.partial(deadline.run_until, at, _read, username, upstream_type, generation)
        )
        for upstream_type in missing
    }
    fresh: dict[str, TypeFigures] = {}
    for upstream_type, future in futures.items():
        # What is left of the one budget: the calls run side by side, so it is shared.
        try:
            fresh[upstream_type] = future.result(timeout=max(0.0, at - time.monotonic()))
        except TimeoutError:
            logger.warning("No answer in time for the overview of %s migrations", upstream_type)
        except upstream.ApiError as error:
            logger.warning("Overview of %s migrations unavailable: %s", upstream_type, error)
    if fresh and seconds > 0:
        cache.set_many(
            {FIGURES_KEY.format(upstream_type): f for upstream_type, f in fresh.items()},
            timeout=seconds,
        )
    return {**found, **fresh}, generation


def _starters(rows: list[TypeOverview], generation: int) -> dict[str, AuditEvent]:
    """Who started each type's latest migration through the dashboard, by upstream type.

    From the audit log, each migration's once per generation (caching.started_by: only a
    dashboard action can change it), so a steady overview queries nothing.
    """
    found: dict[str, AuditEvent] = {}
    for row in rows:
        if row.latest is None:
            continue
        upstream_type = row.migration_type.upstream_type
        migration_id = row.latest.migration_id
        started = caching.started_by.get(
            (upstream_type, (migration_id,)),
            functools.partial(
                audit_started_by, migration_type=upstream_type, migration_ids=[migration_id]
            ),
            generation=generation,
        )
        if migration_id in started:
            found[upstream_type] = started[migration_id]
    return found
