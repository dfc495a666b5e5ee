"""Core person, official visits, both balances and TAPs on the generic lifecycle.

upstream-api-types §2.5, §2.7 to §2.10, §4 and §5, with §8's later ``CORE_PERSON``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import requests

from .conftest import user_token

API = "/nomis-migration-api"
MAPPING = "/mapping-api"
NOMIS = "/nomis-prisoner-api"
ZZ_PRISONERS = ["A1404ZZ", "A6931ZZ", "B3141ZZ", "G2718ZZ", "H5772ZZ"]


def start(sb, headers, slug, body=None):
    return requests.post(
        f"{sb.url}{API}/migrate/{slug}",
        headers=headers,
        timeout=10,
        **({} if body is None else {"json": body}),
    )


def history(sb, headers, migration_id):
    return requests.get(
        f"{sb.url}{API}/migrate/history/{quote(migration_id)}", headers=headers, timeout=5
    ).json()


def dlq_counts(sb, headers):
    """Every simulated type's DLQ depth (types with nothing on it are left out)."""
    counts = {}
    for migration_type in sb.control("GET", "state")["queues"]:
        count = requests.get(
            f"{sb.url}{API}/migrate/dead-letter-queue/{migration_type}/count",
            headers=headers,
            timeout=5,
        ).json()
        if count:
            counts[migration_type] = count
    return counts


def dlq_bodies(sb, headers, migration_type):
    dlq = requests.get(
        f"{sb.url}{API}/migrate/dead-letter-queue/{migration_type}", headers=headers, timeout=5
    ).json()
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} <= {migration_type}
    return [m["body"]["context"]["body"] for m in dlq["messages"]]


def mapping_count(sb, headers, path, migration_id, *, paged_model=False):
    body = requests.get(
        f"{sb.url}{MAPPING}/mapping/{path}/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=headers,
        timeout=5,
    ).json()
    return body["page"]["totalElements"] if paged_model else body["totalElements"]


def event_names(sb):
    return [e["name"] for e in sb.telemetry()["events"]]


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


def nomis_get(sb, headers, path, **params):
    return requests.get(f"{sb.url}{NOMIS}{path}", params=params, headers=headers, timeout=5)


# -- Core person


def test_core_person_id_ranges_cover_every_prisoner_once(sb, system):
    ranges = nomis_get(sb, system, "/prisoners/id-ranges", size=300).json()
    assert len(ranges) == 7  # 2,000 prisoners in ranges of 300
    assert set(ranges[0]) == {"fromRootOffenderId", "toRootOffenderId"}
    seen = []
    for r in ranges:
        rows = nomis_get(sb, system, "/prisoners/ids-in-range", **r).json()
        assert rows and set(rows[0]) == {"rootOffenderId", "prisonNumber"}
        assert rows[0]["rootOffenderId"] == r["fromRootOffenderId"]
        assert rows[-1]["rootOffenderId"] == r["toRootOffenderId"]
        seen += rows
    every = nomis_get(sb, system, "/prisoners/ids/all", size=2000).json()["content"]
    assert [s["prisonNumber"] for s in seen] == [p["offenderNo"] for p in every]
    ids = [s["rootOffenderId"] for s in seen]
    assert ids == sorted(set(ids))
    assert len(nomis_get(sb, system, "/prisoners/id-ranges").json()) == 2  # size 1000
    assert nomis_get(sb, system, "/prisoners/ids-in-range").status_code == 400
    assert requests.get(f"{sb.url}{NOMIS}/prisoners/id-ranges").status_code == 401
    forbidden = nomis_get(sb, {"Authorization": f"Bearer {user_token(sb)}"}, "/prisoners/id-ranges")
    assert forbidden.json() == {"status": 403}


def test_core_person_migrates_every_prisoner_but_the_failing_ones(sb, system):
    sb.update_settings(page_size=700)
    response = start(sb, system, "core-person")
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "CORE_PERSON" and context["estimatedCount"] == 2000
    assert context["body"] == "" and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert json.loads(row["filter"]) == "" and row["migrationType"] == "CORE_PERSON"
    assert row["recordsMigrated"] == 1995 and row["recordsFailed"] == 5
    assert mapping_count(sb, system, "core-person-religion", migration_id) == 1995
    assert dlq_counts(sb, system) == {"CORE_PERSON": 5}
    failed = sorted(b["prisonNumber"] for b in dlq_bodies(sb, system, "CORE_PERSON"))
    assert failed == ZZ_PRISONERS
    names = event_names(sb)
    assert "coreperson-migration-started" in names and "coreperson-migration-completed" in names
    assert names.count("coreperson-migration-entity-migrated") == 1995
    assert names.count("prisoner-from-nomis-migration-coreperson-sent-to-dlq") == 5

    # A second run skips every mapped prisoner (the failing ones fail again).
    again = start(sb, system, "core-person").json()
    sb.wait_for_status(again["migrationId"], "COMPLETED", timeout=30)
    assert len(log_lines(sb, "Will not migrate the prisoner=")) == 1995
    assert history(sb, system, again["migrationId"])["recordsMigrated"] == 0


def test_core_person_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "core-person", None, "CORE_PERSON")
