"""Calls to the sandbox's services, shared by the sandbox tests here and the type modules'.

Each takes the sandbox (`sb`) and, where the service needs one, the headers with a token.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

API = "/nomis-migration-api"
MAPPING = "/mapping-api"
NOMIS = "/nomis-prisoner-api"
DPS = "/activities-api"
# The default data's prisoners whose records fail (court sentencing's, read by other types too).
ZZ_PRISONERS = ["A1404ZZ", "A6931ZZ", "B3141ZZ", "G2718ZZ", "H5772ZZ"]


def today() -> date:
    """The sandbox's date: the service's, in Europe/London."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def get(sb, path, headers, **params):
    return requests.get(f"{sb.url}{path}", params=params, headers=headers, timeout=5)


def nomis_get(sb, headers, path, **params):
    return get(sb, f"{NOMIS}{path}", headers, **params)


def start(sb, headers, slug, body=None):
    return requests.post(
        f"{sb.url}{API}/migrate/{slug}",
        headers=headers,
        timeout=10,
        **({} if body is None else {"json": body}),
    )


def put(sb, headers, path, body=None):
    return requests.put(
        f"{sb.url}{API}{path}",
        headers=headers,
        timeout=5,
        **({} if body is None else {"json": body}),
    )


def history(sb, headers, migration_id):
    return get(sb, f"{API}/migrate/history/{quote(migration_id)}", headers).json()


def active(sb, headers, migration_type):
    return get(sb, f"{API}/migrate/history/active/{migration_type}", headers).json()


def dlq_count(sb, headers, migration_type):
    return get(sb, f"{API}/migrate/dead-letter-queue/{migration_type}/count", headers).json()


def dlq_counts(sb, headers) -> dict[str, Any]:
    """Every simulated type's DLQ depth (types with nothing on it are left out)."""
    counts = {}
    for migration_type in sb.control("GET", "state")["queues"]:
        count = dlq_count(sb, headers, migration_type)
        if count:
            counts[migration_type] = count
    return counts


def dlq_bodies(sb, headers, migration_type):
    dlq = get(sb, f"{API}/migrate/dead-letter-queue/{migration_type}", headers).json()
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} <= {migration_type}
    return [m["body"]["context"]["body"] for m in dlq["messages"]]


def mapping_count(sb, headers, path, migration_id, *, paged_model=False):
    body = get(
        sb, f"{MAPPING}/mapping/{path}/migration-id/{quote(migration_id)}", headers, size=1
    ).json()
    return body["page"]["totalElements"] if paged_model else body["totalElements"]


def event_names(sb):
    return [e["name"] for e in sb.telemetry()["events"]]


def events(sb, name):
    return [e for e in sb.telemetry()["events"] if e["name"] == name]


def log_lines(sb, prefix):
    return [m["message"] for m in sb.telemetry()["logs"] if m["message"].startswith(prefix)]


def assert_conflict(sb, headers, slug, body, migration_type):
    """A slow run of the type, a second start refused with 409, then the run cancelled."""
    sb.update_settings(visit_delay_ms=50, workers=1)
    first = start(sb, headers, slug, body)
    assert first.status_code == 202
    again = start(sb, headers, slug, body)
    assert again.status_code == 409
    assert f"{migration_type} migration" in again.json()["userMessage"]
    migration_id = first.json()["migrationId"]
    requests.post(f"{sb.url}{API}/migrate/cancel/{quote(migration_id)}", headers=headers)
    sb.wait_for_status(migration_id, "CANCELLED")
