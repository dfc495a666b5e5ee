"""`/metrics`: the audit log's attempts with no known result, for Prometheus to alert on.

Prometheus scrapes each pod at its own address, so this is answered only to a request whose Host
is not one the dashboard serves (kernel.middleware.ProbeHostMiddleware). Through the ingress,
which always sends the public host, the path does not exist, and the chart's NetworkPolicy lets
only the monitoring namespace (besides the ingress controllers) reach a pod. Every pod reports the
same shared figures: alert on their maximum.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from migrations_ui.selectors.audit import audit_left_unknown_counts

logger = logging.getLogger(__name__)

# An UNKNOWN outcome keeps the alert firing for a day: long enough for someone to check upstream.
WINDOW = dt.timedelta(hours=24)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
GAUGES = {
    "unknown": (
        "nomis_sync_dashboard_audit_outcome_unknown",
        "Audit events of the last 24 hours whose outcome is UNKNOWN (sent, the answer lost).",
    ),
    "missing": (
        "nomis_sync_dashboard_audit_outcome_missing",
        "Actions requested in the last 24 hours with no outcome recorded 15 minutes on.",
    ),
}


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    try:
        counts = audit_left_unknown_counts(window=WINDOW)
    except DatabaseError:
        # A failed scrape (Prometheus records `up` 0) rather than a figure that looks like none.
        logger.exception("/metrics: the audit log could not be read from PostgreSQL")
        return HttpResponse(
            "The audit log could not be read: the database did not answer.\n",
            status=503,
            content_type=CONTENT_TYPE,
        )
    lines = []
    for kind, (name, help_text) in GAUGES.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {counts[kind]}"]
    return HttpResponse("\n".join(lines) + "\n", content_type=CONTENT_TYPE)
