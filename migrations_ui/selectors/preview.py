"""The preview's pre-flight checks, run side by side; each failure is kept, not raised."""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.utils import timezone

import upstream
from migrations_ui.clients.migration_api import InProgressMigration, MigrationApiClient
from migrations_ui.selectors import username_of
from migrations_ui.types.base import MigrationType
from upstream import deadline

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class CheckResult(Generic[T]):
    """One pre-flight check's value, or the failure that stopped it."""

    value: T | None = None
    error: upstream.ApiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        return isinstance(self.error, upstream.Timeout)

    @property
    def problem(self) -> str:
        """A sentence naming the service and what went wrong, for the preview page."""
        return describe_failure(self.error) if self.error else ""


def describe_failure(error: upstream.ApiError) -> str:
    """What went wrong in plain words, naming the service ("the NOMIS prisoner API ...")."""
    service = f"the {error.service}"
    if isinstance(error, upstream.Timeout):
        return f"{service} did not respond in time"
    if isinstance(error, upstream.Unavailable):
        return f"{service} could not be reached"
    if isinstance(error, (upstream.Unauthorised, upstream.Forbidden)):
        return f"{service} refused the dashboard's request"
    if isinstance(error, upstream.MalformedResponse):
        return f"{service} sent a response the dashboard could not read"
    return (
        f"{service} had a problem (HTTP {error.status})"
        if error.status
        else f"{service} had a problem"
    )


@dataclass
class Preview:
    filter: dict[str, Any]
    estimate: CheckResult[int] = field(default_factory=CheckResult)
    dead_letters: CheckResult[int] = field(default_factory=CheckResult)
    active: CheckResult[InProgressMigration] = field(default_factory=CheckResult)
    # The type's own checks (visits: unmapped rooms), by name.
    extra: dict[str, CheckResult[Any]] = field(default_factory=dict)
    # Seconds the checks took together (the slowest, as they run side by side).
    seconds: float = 0.0

    @property
    def running_migration_id(self) -> str | None:
        active = self.active.value
        return active.migration_id if active is not None and active.in_progress else None

    @property
    def all_ok(self) -> bool:
        """Every check gave an answer (whatever it says)."""
        checks: list[CheckResult[Any]] = [self.estimate, self.dead_letters, self.active]
        return all(check.ok for check in [*checks, *self.extra.values()])

    @property
    def can_start(self) -> bool:
        """Starting needs an estimate and no migration of the type in progress."""
        return self.estimate.ok and self.running_migration_id is None


def _checks(migration_type: MigrationType) -> dict[str, Callable[[str | None, Any], Any]]:
    """Every check the type's preview runs: the three every type has, then its own."""
    upstream_type = migration_type.upstream_type
    return {
        "estimate": migration_type.estimate,
        "dead_letters": lambda username, _filter: MigrationApiClient(
            username=username
        ).dead_letter_count(upstream_type),
        "active": lambda username, _filter: MigrationApiClient(username=username).active(
            upstream_type
        ),
        **migration_type.extra_checks,
    }


# Checks the preview can do without (deadline.UpstreamCalls): the dead letter count only warns.
# Each gets the optional budget; past it the page shows "Status unavailable" in its place.
OPTIONAL_CHECKS = frozenset({"dead_letters"})


def migration_preview(
    *, user: Any, migration_type: MigrationType, filter: Mapping[str, Any]
) -> Preview:
    """Run the type's pre-flight checks side by side; each failure is kept, not raised.

    Each check has its own client (a `requests.Session` is not shared between threads), so the
    page takes as long as the slowest check rather than the sum (reference-dashboard.md §13.11).
    The optional ones (OPTIONAL_CHECKS) end within the optional budget.
    """
    started = timezone.now()
    preview = Preview(filter=dict(filter))
    username = username_of(user)
    pool = upstream.executor()
    at = deadline.optional_deadline()
    futures = {
        name: pool.submit(deadline.run_until, at, check, username, dict(filter))
        if name in OPTIONAL_CHECKS
        else pool.submit(check, username, dict(filter))
        for name, check in _checks(migration_type).items()
    }
    for name, future in futures.items():
        result: CheckResult[Any] = CheckResult()
        try:
            if name in OPTIONAL_CHECKS:
                result.value = future.result(timeout=max(0.0, at - time.monotonic()))
            else:
                result.value = future.result()
        except concurrent.futures.TimeoutError:
            logger.warning("Pre-flight check %s had no answer within its budget", name)
            result.error = upstream.Timeout(MigrationApiClient.service, "did not answer in time")
        except upstream.ApiError as error:
            logger.warning("Pre-flight check %s failed: %s", name, error)
            result.error = error
        if name in ("estimate", "dead_letters", "active"):
            setattr(preview, name, result)
        else:
            preview.extra[name] = result
    preview.seconds = (timezone.now() - started).total_seconds()
    return preview


def preview_check(
    *, user: Any, migration_type: MigrationType, name: str, filter: Mapping[str, Any]
) -> Any:
    """One of the type's own checks alone, for the filter (a preview's CSV block downloaded).

    Upstream failures are raised, not kept: the one answer asked for is the whole page.
    """
    return migration_type.extra_checks[name](username_of(user), dict(filter))
