"""Links into Log Analytics that open a prepared query (upstream-api.md §12.3-§12.4).

The query travels compressed: UTF-8 -> gzip -> base64 -> percent-encoded, inside the portal's
"share link to query" URL for the workspace named by the APPINSIGHTS_* settings.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from kernel.formatting import LONDON

ROLE_NAME = "hmpps-prisoner-from-nomis-migration"
_BLADE = "#blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView"


def workspace_resource_id() -> str:
    """`/subscriptions/<sub>/resourcegroups/<rg>/providers/.../workspaces/<component>`."""
    return (
        f"/subscriptions/{settings.APPINSIGHTS_SUBSCRIPTION_ID}"
        f"/resourcegroups/{settings.APPINSIGHTS_RESOURCE_GROUP}"
        f"/providers/microsoft.operationalinsights/workspaces/{settings.APPINSIGHTS_COMPONENT}"
    )


def compress_query(query: str) -> str:
    """gzip + base64 + percent-encoding; `mtime=0` keeps the link stable for the same query."""
    packed = base64.b64encode(gzip.compress(query.encode("utf-8"), mtime=0)).decode("ascii")
    return quote(packed, safe="")


def log_analytics_url(query: str, *, timespan: str | None = None) -> str:
    """The Log Analytics share link for `query`, optionally limited to an ISO-8601 duration."""
    url = (
        f"{settings.APPINSIGHTS_PORTAL_URL.rstrip('/')}/{_BLADE}"
        f"/resourceId/{quote(workspace_resource_id(), safe='')}"
        f"/source/LogsBlade.AnalyticsShareLinkToQuery/q/{compress_query(query)}"
    )
    if timespan:
        url += f"/timespan/{timespan}"
    return url + "/limit/1000"


def utc_text(local: dt.datetime | None) -> str:
    """An upstream local time (naive, London) as `2025-02-03T01:02:03.000Z`; None means now."""
    if local is None:
        moment = timezone.now()
    elif timezone.is_naive(local):
        moment = local.replace(tzinfo=LONDON)
    else:
        moment = local
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def already_migrated_query(
    log_line: str, started: dt.datetime | None, ended: dt.datetime | None
) -> str:
    """Query A: distinct "already migrated" log lines between a run's start and end (or now).

    `log_line` is the start of the line the migration service writes when it skips a record of
    the type (each type's package names it, as the service really writes it).
    """
    safe_line = log_line.replace("'", "").replace("\\", "")
    return "\n".join(
        [
            "AppTraces",
            f"| where AppRoleName == '{ROLE_NAME}'",
            f"| where Message contains '{safe_line}'",
            f"| where TimeGenerated between (datetime({utc_text(started)}) .. "
            f"datetime({utc_text(ended)}))",
            "| summarize dcount(Message)",
        ]
    )


def dead_letter_query(message_id: str) -> str:
    """Query B: the exception logged for one dead-letter message, newest first."""
    # Message ids are SQS UUIDs; quotes are stripped so an odd id cannot end the KQL string.
    safe_id = message_id.replace('"', "").replace("\\", "")
    return "\n".join(
        [
            "AppExceptions",
            f"| where AppRoleName == '{ROLE_NAME}'",
            f'| where Properties.["Logger Message"] == "MessageID:{safe_id}"',
            "| order by TimeGenerated desc",
        ]
    )


def already_migrated_url(
    log_line: str, started: dt.datetime | None, ended: dt.datetime | None
) -> str:
    return log_analytics_url(already_migrated_query(log_line, started, ended))


def dead_letter_url(message_id: str) -> str:
    return log_analytics_url(dead_letter_query(message_id), timespan="P1D")


def migration_events_query(
    event_prefix: str,
    migration_id: str,
    started: dt.datetime | None,
    ended: dt.datetime | None,
    *,
    failures_only: bool = False,
) -> str:
    """Query C: one migration's custom events (upstream-api.md §12.4), optionally failures only.

    `event_prefix` is the type's telemetry prefix (`temporary-absences`, `activity`, ...), so the
    names matched are `<prefix>-migration...` as the service writes them.
    """
    safe_prefix = event_prefix.replace("'", "").replace("\\", "")
    safe_id = migration_id.replace("'", "").replace("\\", "")
    clauses = [
        "AppEvents",
        f"| where AppRoleName == '{ROLE_NAME}'",
        f"| where TimeGenerated between (datetime({utc_text(started)}) .. "
        + (f"datetime({utc_text(ended)}))" if ended else "now())"),
        f"| where Properties.migrationId startswith '{safe_id}'",
        f"| where Name startswith '{safe_prefix}-migration'",
    ]
    if failures_only:
        clauses.append('| where (Name endswith "failed" or Name endswith "error")')
    return "\n".join(clauses)


def migration_events_url(
    event_prefix: str,
    migration_id: str,
    started: dt.datetime | None,
    ended: dt.datetime | None,
    *,
    failures_only: bool = False,
) -> str:
    return log_analytics_url(
        migration_events_query(
            event_prefix, migration_id, started, ended, failures_only=failures_only
        )
    )
