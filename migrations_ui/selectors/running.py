"""Which migration types have a migration in progress, for the home page's "Running" tags."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import upstream
from kernel import caching
from kernel.tiles import Tile
from migrations_ui import types
from migrations_ui.clients.migration_api import MigrationApiClient
from migrations_ui.selectors import username_of
from upstream import deadline

logger = logging.getLogger(__name__)

RUNNING = "Running"


def _in_progress(username: str | None, upstream_type: str) -> bool:
    return MigrationApiClient(username=username).active(upstream_type).in_progress


def running_tags(user: Any, tiles: list[Tile]) -> dict[str, str]:
    """ "Running" for each shown type's tile while a migration of the type is in progress.

    M5 for every type shown, side by side, each answer kept briefly (caching.running_types) so
    the home page stays cheap. The tags are optional (deadline.UpstreamCalls): all of them get
    one OPTIONAL_CALL_BUDGET_SECONDS, and a type whose answer could not be had by then, or at
    all, is tagged "Status unavailable". The tile still works, and its own pages say what is
    wrong.
    """
    hrefs = {tile.href for tile in tiles}
    shown = [t for t in types.REGISTERED if t.home_href in hrefs]
    username = username_of(user)
    at = deadline.optional_deadline()
    futures = [
        (
            t.home_href,
            caching.running_types.submit(
                t.upstream_type,
                functools.partial(deadline.run_until, at, _in_progress, username, t.upstream_type),
            ),
        )
        for t in shown
    ]
    tags: dict[str, str] = {}
    for href, future in futures:
        # One look at a future already done (the usual case: answers are kept a few seconds);
        # for the others, what is left of the budget.
        try:
            running = future.result(timeout=max(0.0, at - time.monotonic()))
        except TimeoutError:
            logger.warning("No answer in time to whether the migration at %s is running", href)
            tags[href] = deadline.STATUS_UNAVAILABLE
            continue
        except upstream.ApiError as error:
            logger.warning("Could not tell whether the migration at %s is running: %s", href, error)
            tags[href] = deadline.STATUS_UNAVAILABLE
            continue
        if running:
            tags[href] = RUNNING
    return tags
