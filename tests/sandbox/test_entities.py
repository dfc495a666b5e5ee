"""Visit Slots and Court Sentencing on the generic lifecycle (upstream-api-types §2.4, §2.6, §5)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import jwt
import requests

from .conftest import QUEUE_ADMIN_CLIENT, user_token

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


def start(sb, headers, slug, body=None):
    return requests.post(
        f"{sb.url}{API}/migrate/{slug}",
        headers=headers,
        timeout=10,
        **({} if body is None else {"json": body}),
    )


def dlq_count(sb, headers, migration_type):
    return requests.get(
        f"{sb.url}{API}/migrate/dead-letter-queue/{migration_type}/count", headers=headers
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


# -- Court Sentencing


def test_prisoner_ids_are_a_classic_page_of_about_2000_prisoners(sb, system):
    url = f"{sb.url}{NOMIS}/prisoners/ids/all"
    first = requests.get(url, headers=system).json()
    assert first["size"] == 10 and len(first["content"]) == 10  # the default page size
    assert first["totalElements"] == 2000 and first["totalPages"] == 200
    every = requests.get(url, params={"size": 2000, "sort": "x"}, headers=system).json()["content"]
    numbers = [p["offenderNo"] for p in every]
    assert len(set(numbers)) == 2000
    assert all(re.fullmatch(r"[A-Z]\d{4}[A-Z]{2}", n) for n in numbers)
    second = requests.get(url, params={"page": 1, "size": 10}, headers=system).json()
    assert [p["offenderNo"] for p in second["content"]] == numbers[10:20]
    assert requests.get(url).status_code == 401


def test_court_sentencing_with_an_offender_list_migrates_just_those(sb, system):
    numbers = [
        p["offenderNo"]
        for p in requests.get(
            f"{sb.url}{NOMIS}/prisoners/ids/all", params={"size": 3}, headers=system
        ).json()["content"]
    ]
    body = {"offenderNo": ",".join(numbers), "fromDate": "", "toDate": "2024-01-31"}
    response = start(sb, system, "court-sentencing", body)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "COURT_SENTENCING" and context["estimatedCount"] == 3
    assert context["properties"] == {"deleteExisting": False}
    assert context["body"] == {
        "offenderNo": ",".join(numbers),
        "deleteExisting": False,
        "toDate": "2024-01-31",
    }
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert json.loads(row["filter"]) == context["body"]
    assert row["recordsMigrated"] == 3 and row["recordsFailed"] == 0
    count = requests.get(
        f"{sb.url}{MAPPING}/mapping/court-sentencing/prisoner/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=system,
    ).json()
    assert count["totalElements"] == 3
    names = event_names(sb)
    assert names.count("court-sentencing-migration-entity-migrated") == 3
    assert "court-sentencing-migration-completed" in names
    bad = start(sb, system, "court-sentencing", {"fromDate": "23/03/2020"})
    assert bad.status_code == 400


def test_court_sentencing_of_everyone_dead_letters_the_failing_prisoners(sb, system):
    sb.update_settings(page_size=500)
    context = start(sb, system, "court-sentencing", {"deleteExisting": False}).json()
    assert context["estimatedCount"] == 2000
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"deleteExisting":false}'
    assert row["recordsMigrated"] == 1995 and row["recordsFailed"] == 5
    live = active(sb, system, "COURT_SENTENCING")
    assert live["recordsMigrated"] == 1995 and live["recordsFailed"] == 5
    assert dlq_count(sb, system, "COURT_SENTENCING") == 5
    assert dlq_count(sb, system, "VISITS") == 0
    dlq = requests.get(
        f"{sb.url}{API}/migrate/dead-letter-queue/COURT_SENTENCING", headers=system
    ).json()
    failed = sorted(m["body"]["context"]["body"]["offenderNo"] for m in dlq["messages"])
    assert failed == ["A1404ZZ", "A6931ZZ", "B3141ZZ", "G2718ZZ", "H5772ZZ"]
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} == {"COURT_SENTENCING"}
    sent = [
        e
        for e in sb.telemetry()["events"]
        if e["name"] == "prisoner-from-nomis-migration-courtsentencing-sent-to-dlq"
    ]
    assert len(sent) == 5
    assert sent[0]["properties"]["dlqName"] == "migration_courtsentencing_dlq"
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert health["migrationcourtsentencing-health"]["details"]["messagesOnDlq"] == "0"  # hidden
    assert health["migrationvisits-health"]["details"]["messagesOnDlq"] == "0"


def test_types_run_side_by_side_and_conflict_only_with_their_own(sb, system):
    sb.update_settings(visit_delay_ms=20, workers=2)
    court = start(sb, system, "court-sentencing", {})
    assert court.status_code == 202
    visits = start(sb, system, "visits", {"prisonIds": ["HEI"]})
    assert visits.status_code == 202
    again = start(sb, system, "court-sentencing", {"offenderNo": "A1404ZZ"})
    assert again.status_code == 409
    assert "COURT_SENTENCING migration" in again.json()["userMessage"]
    court_id, visits_id = court.json()["migrationId"], visits.json()["migrationId"]
    assert court_id != visits_id
    deadline = time.monotonic() + 5
    while active(sb, system, "VISITS")["recordsMigrated"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancel = requests.post(f"{sb.url}{API}/migrate/cancel/{quote(court_id)}", headers=system)
    assert cancel.status_code == 202
    sb.wait_for_status(court_id, "CANCELLED")
    # Cancelling court sentencing purged only its own queue: visits go on.
    assert history(sb, system, visits_id)["status"] == "STARTED"
    before = active(sb, system, "VISITS")["recordsMigrated"]
    deadline = time.monotonic() + 5
    while active(sb, system, "VISITS")["recordsMigrated"] <= before:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert active(sb, system, "COURT_SENTENCING")["toBeProcessedCount"] == 0
    requests.post(f"{sb.url}{API}/migrate/cancel/{quote(visits_id)}", headers=system)
    sb.wait_for_status(visits_id, "CANCELLED")
    names = event_names(sb)
    assert "court-sentencing-migration-cancelled" in names
    assert "visits-migration-cancelled" in names


def test_queue_names_and_state_summary_per_type(sb, system):
    summary = sb.control("GET", "state")
    assert summary["timeSlots"] == 84 and summary["prisoners"] == 2000
    assert {"VISITS", "VISIT_SLOTS", "COURT_SENTENCING"} <= set(summary["queues"])
    empty = sb.reset("empty")
    assert empty["visits"] == empty["timeSlots"] == empty["prisoners"] == 0
    context = start(sb, system, "visitslots").json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    assert start(sb, system, "not-a-type").status_code == 404


def test_sentencing_user_signs_in_with_the_sentencing_role(sb):
    claims = jwt.decode(user_token(sb, "SENTENCING_USER"), options={"verify_signature": False})
    assert claims["user_name"] == "SENTENCING_USER"
    assert claims["authorities"] == ["ROLE_MIGRATE_SENTENCING"]
    users = {u["username"]: u for u in sb.control("GET", "users")}
    assert users["SENTENCING_USER"]["roles"] == ["ROLE_MIGRATE_SENTENCING"]


def test_queue_admin_works_on_each_types_own_queues(sb, system):
    token = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=QUEUE_ADMIN_CLIENT,
        timeout=5,
    ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    migration_id = start(sb, system, "court-sentencing", {"offenderNo": "A1404ZZ,G2718ZZ"}).json()[
        "migrationId"
    ]
    sb.wait_for_status(migration_id, "COMPLETED")
    url = f"{sb.url}{API}/queue-admin"
    found = requests.get(f"{url}/get-dlq-messages/migration_courtsentencing_dlq", headers=admin)
    assert found.json()["messagesFoundCount"] == 2
    visits = requests.get(f"{url}/get-dlq-messages/migration_visits_dlq", headers=admin)
    assert visits.json()["messagesFoundCount"] == 0
    time.sleep(0.55)  # the read hid the messages for a while (§13.4)
    purged = requests.put(f"{url}/purge-queue/migration_courtsentencing_dlq", headers=admin)
    assert purged.json() == {"messagesFoundCount": 2}
    assert dlq_count(sb, system, "COURT_SENTENCING") == 0
    assert requests.put(f"{url}/purge-queue/migration_nope_dlq", headers=admin).status_code == 404
