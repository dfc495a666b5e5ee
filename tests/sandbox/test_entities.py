"""Visit Slots and Court Sentencing on the generic lifecycle (upstream-api-types §2.4, §2.6, §5)."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import requests

from .conftest import user_token

API = "/nomis-migration-api"
MAPPING = "/mapping-api"
NOMIS = "/nomis-prisoner-api"


def history(sb, headers, migration_id):
    return requests.get(
        f"{sb.url}{API}/migrate/history/{quote(migration_id)}", headers=headers, timeout=5
    ).json()


def active(sb, headers, migration_type):
    return requests.get(
        f"{sb.url}{API}/migrate/history/active/{migration_type}", headers=headers, timeout=5
    ).json()


def event_names(sb):
    return [e["name"] for e in sb.telemetry()["events"]]


# -- Visit Slots


def test_time_slot_ids_are_a_paged_model_of_84_slots(sb, system):
    url = f"{sb.url}{NOMIS}/visits/configuration/time-slots/ids"
    counted = requests.get(url, params={"size": 1}, headers=system).json()
    assert counted == {
        "content": [{"prisonId": "MDI", "dayOfWeek": "MON", "timeSlotSequence": 1}],
        "page": {"size": 1, "number": 0, "totalElements": 84, "totalPages": 84},
    }
    last = requests.get(url, params={"page": 4, "size": 20}, headers=system).json()
    assert len(last["content"]) == 4 and last["page"]["totalPages"] == 5
    every = requests.get(url, params={"size": 100}, headers=system).json()["content"]
    assert {s["prisonId"] for s in every} == {"MDI", "LEI", "BXI", "HEI"}
    assert {s["dayOfWeek"] for s in every} == {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}
    assert len({(s["prisonId"], s["dayOfWeek"], s["timeSlotSequence"]) for s in every}) == 84
    assert requests.get(url).status_code == 401
    forbidden = requests.get(url, headers={"Authorization": f"Bearer {user_token(sb)}"})
    assert forbidden.json() == {"status": 403}


def test_visit_slots_migration_runs_to_completion(sb, system):
    response = requests.post(f"{sb.url}{API}/migrate/visitslots", headers=system, timeout=5)
    assert response.status_code == 202
    body = response.json()
    assert body["type"] == "VISIT_SLOTS" and body["estimatedCount"] == 84
    assert body["body"] == "" and body["properties"] == {}
    migration_id = body["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["migrationType"] == "VISIT_SLOTS" and json.loads(row["filter"]) == ""
    assert row["recordsMigrated"] == 84 and row["recordsFailed"] == 0
    assert row["estimatedRecordCount"] == 84 and row["whenEnded"]
    live = active(sb, system, "VISIT_SLOTS")
    assert live["migrationId"] == migration_id and live["recordsMigrated"] == 84
    assert live["toBeProcessedCount"] == 0 and live["status"] == "COMPLETED"
    count = requests.get(
        f"{sb.url}{MAPPING}/mapping/visit-slots/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=system,
    ).json()
    assert count["totalElements"] == 84 and len(count["content"]) == 1
    names = event_names(sb)
    assert "visitslots-migration-started" in names and "visitslots-migration-completed" in names
    assert names.count("visitslots-migration-entity-migrated") == 84
    # Visits were untouched: their history and queue know nothing of this run.
    assert active(sb, system, "VISITS")["migrationId"] is None
    listed = requests.get(f"{sb.url}{API}/migrate/history/all/VISIT_SLOTS", headers=system).json()
    assert [r["migrationId"] for r in listed] == [migration_id]

    # A second run finds every slot mapped: all skipped with the upstream's log line.
    again = requests.post(f"{sb.url}{API}/migrate/visitslots", headers=system, timeout=5).json()
    sb.wait_for_status(again["migrationId"], "COMPLETED")
    skipped = [
        line["message"]
        for line in sb.telemetry()["logs"]
        if line["message"].startswith("Will not migrate the nomis visit time slot=")
    ]
    assert len(skipped) == 84
    assert history(sb, system, again["migrationId"])["recordsMigrated"] == 0
