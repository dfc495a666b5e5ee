"""Work each worker process would otherwise do during its first requests, done once at start-up.

gunicorn loads the application before forking its workers (`preload_app`), so whatever is done
here is shared by every worker. Without it, a new worker compiles each Jinja2 template (and the
GOV.UK macros they import) on first use, on every thread that gets there at once: its first burst
of requests took about half a second each in the benchmark.
"""

from __future__ import annotations

import logging
import time

from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import engines
from django.urls import get_resolver

logger = logging.getLogger(__name__)


def warm_up() -> None:
    started = time.perf_counter()
    environment = engines["jinja2"].env  # type: ignore[attr-defined]
    templates = environment.list_templates(extensions=("html", "njk"))
    for name in templates:
        environment.get_template(name)
    # URL patterns are resolved and reversed on every page; the resolver fills itself on first use.
    get_resolver().reverse_dict  # noqa: B018 - touching it populates the resolver
    # The hashed-name manifest is read when the storage is first used.
    staticfiles_storage.hashed_files  # type: ignore[attr-defined]  # noqa: B018
    logger.info(
        "warmed up",
        extra={"templates": len(templates), "ms": round((time.perf_counter() - started) * 1000)},
    )
