"""Migration service endpoints (§3) and the lifecycle (§5) on worker threads."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
import requests

from sandbox.util import format_ts

from .conftest import user_token

API = "/nomis-migration-api"
MAPPING = "/mapping-api"
NOMIS = "/nomis-prisoner-api"


def start(sb, headers, body):
    return requests.post(f"{sb.url}{API}/migrate/visits", json=body, headers=headers, timeout=10)


def history(sb, headers, migration_id):
    return requests.get(
        f"{sb.url}{API}/migrate/history/{quote(migration_id)}", headers=headers, timeout=5
    ).json()


def active(sb, headers):
    return requests.get(
        f"{sb.url}{API}/migrate/history/active/VISITS", headers=headers, timeout=5
    ).json()


def logs(sb):
    return [line["message"] for line in sb.telemetry()["logs"]]


def expected_outcome(sb, headers, params) -> tuple[int, int, int]:
    """(estimate, to migrate, to fail) computed from the NOMIS and mapping endpoints themselves."""
    ids_url = f"{sb.url}{NOMIS}/visits/ids"
    total = requests.get(ids_url, params={**params, "size": 1}, headers=headers).json()[
        "totalElements"
    ]
    ids = [
        c["visitId"]
        for c in requests.get(ids_url, params={**params, "size": 2000}, headers=headers).json()[
            "content"
        ]
    ]
    assert len(ids) == total
    today = date.today()
    rooms = {
        (m["prisonId"], m["nomisRoomDescription"])
        for prison in ("HEI", "MDI", "BXI", "WWI", "AGI")
        for m in requests.get(
            f"{sb.url}{MAPPING}/prison/{prison}/room-mappings", headers=headers
        ).json()
    }
    migrate = fail = 0
    with requests.Session() as s:
        for visit_id in ids:
            if (
                s.get(
                    f"{sb.url}{MAPPING}/mapping/visits/nomisId/{visit_id}", headers=headers
                ).status_code
                == 200
            ):
                continue
            visit = s.get(f"{sb.url}{NOMIS}/visits/{visit_id}", headers=headers).json()
            day = date.fromisoformat(visit["startDateTime"][:10])
            room = (visit.get("agencyInternalLocation") or {}).get("description")
            if (
                today <= day <= today + timedelta(days=365)
                and (visit["prisonId"], room) not in rooms
            ):
                fail += 1
            else:
                migrate += 1
    return total, migrate, fail


def test_start_returns_202_with_the_migration_context(sb, system):
    response = start(sb, system, {"prisonIds": ["HEI"], "fromDateTime": "2024-01-01T00:00"})
    assert response.status_code == 202
    body = response.json()
    assert body["type"] == "VISITS" and body["properties"] == {}
    assert len(body["migrationId"]) == 19 and body["migrationId"][10] == "T"
    assert body["body"] == {
        "prisonIds": ["HEI"],
        "visitTypes": ["SCON"],
        "fromDateTime": "2024-01-01T00:00:00",
        "ignoreMissingRoom": False,
    }
    assert list(body["body"]) == ["prisonIds", "visitTypes", "fromDateTime", "ignoreMissingRoom"]
    row = history(sb, system, body["migrationId"])
    assert row["filter"] == json.dumps(body["body"], separators=(",", ":"))
    assert row["estimatedRecordCount"] == body["estimatedCount"] > 0
    sb.wait_for_status(body["migrationId"], "COMPLETED")


def test_an_empty_optional_date_in_a_start_body_means_not_given(sb, system):
    # The existing dashboard sends "toDateTime": "" for a blank field; Jackson reads it as null.
    response = start(sb, system, {"prisonIds": ["HEI"], "fromDateTime": "", "toDateTime": ""})
    assert response.status_code == 202
    assert "toDateTime" not in response.json()["body"]
    assert "fromDateTime" not in response.json()["body"]
    sb.wait_for_status(response.json()["migrationId"], "COMPLETED")


def test_timestamps_are_written_with_trailing_zero_fractions_trimmed():
    # As Jackson writes a LocalDateTime (ISO_LOCAL_DATE_TIME): seconds always, minimal fraction.
    assert format_ts(datetime(2022, 3, 14, 10, 13, 56, 878627)) == "2022-03-14T10:13:56.878627"
    assert format_ts(datetime(2022, 3, 14, 10, 13, 56, 870000)) == "2022-03-14T10:13:56.87"
    assert format_ts(datetime(2022, 3, 14, 10, 13, 56, 1000)) == "2022-03-14T10:13:56.001"
    assert format_ts(datetime(2022, 3, 14, 10, 13, 0)) == "2022-03-14T10:13:00"


def test_start_validation_roles_and_conflict(sb, system):
    assert start(sb, {}, {}).status_code == 401
    forbidden = start(sb, {"Authorization": f"Bearer {user_token(sb, 'VISITS_USER')}"}, {})
    assert forbidden.status_code == 403 and forbidden.json() == {"status": 403}
    bad_date = start(sb, system, {"fromDateTime": "202-10-01T09:00:00"})
    assert bad_date.status_code == 400 and bad_date.json()["userMessage"].startswith(
        "Validation failure: "
    )
    broken = requests.post(
        f"{sb.url}{API}/migrate/visits",
        data="{not json",
        headers={**system, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    sb.update_settings(visit_delay_ms=50, workers=1)
    first = start(sb, system, {"prisonIds": ["HEI"]})
    assert first.status_code == 202
    second = start(sb, system, {"prisonIds": ["MDI"]})
    assert second.status_code == 409
    assert second.json()["userMessage"].startswith("Migration already in progress: ")
    migration_id = first.json()["migrationId"]
    assert (
        requests.post(
            f"{sb.url}{API}/migrate/cancel/{quote(migration_id)}", headers=system
        ).status_code
        == 202
    )
    assert start(sb, system, {}).status_code == 409  # CANCELLED_REQUESTED still blocks
    sb.wait_for_status(migration_id, "CANCELLED")


def test_migration_completes_with_expected_counts(sb, system):
    since = (datetime.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S")
    params = {"prisonIds": ["MDI"], "visitTypes": ["SCON"], "fromDateTime": since}
    estimate, migrate, fail = expected_outcome(sb, system, params)
    response = start(sb, system, params)
    migration_id = response.json()["migrationId"]
    assert response.json()["estimatedCount"] == estimate
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == migrate and row["recordsFailed"] == fail
    assert row["whenEnded"] and row["status"] == "COMPLETED"
    live = active(sb, system)
    assert live["migrationId"] == migration_id and live["status"] == "COMPLETED"
    assert live["recordsMigrated"] == migrate and live["toBeProcessedCount"] == 0
    events = [e["name"] for e in sb.telemetry()["events"]]
    assert "visits-migration-started" in events and "visits-migration-completed" in events
    assert events.count("visits-migration-entity-migrated") == migrate
    count = requests.get(
        f"{sb.url}{MAPPING}/mapping/visits/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=system,
    ).json()["totalElements"]
    assert count == migrate


def test_already_migrated_visits_are_skipped_and_logged(sb, system):
    params = {"prisonIds": ["AGI"], "visitTypes": ["SCON"], "toDateTime": "2020-09-01T00:00:00"}
    estimate, migrate, fail = expected_outcome(sb, system, params)
    migration_id = start(sb, system, params).json()["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    skipped = [
        m
        for m in logs(sb)
        if m.startswith("Will not migrate visit since it is migrated already, NOMIS id is ")
    ]
    assert len(skipped) == estimate - migrate - fail > 0
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == migrate and row["estimatedRecordCount"] == estimate


def test_future_visit_without_room_mapping_is_retried_then_dead_lettered(sb, system):
    headers = system
    # Unmap the main MDI room: every future social visit there must fail.
    deleted = requests.delete(
        f"{sb.url}{MAPPING}/prison/MDI/room-mappings/nomis-room-id/MDI-VISITS-SOC_VIS",
        headers=headers,
    )
    assert deleted.status_code == 204
    since = (datetime.now() - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S")
    params = {"prisonIds": ["MDI"], "visitTypes": ["SCON"], "fromDateTime": since}
    _estimate, migrate, fail = expected_outcome(sb, headers, params)
    assert fail > 0
    usage = requests.get(
        f"{sb.url}{API}/migrate/visits/rooms/usage", params=params, headers=headers
    ).json()
    unmapped = [r for r in usage if "vsipRoom" not in r]
    assert "MDI-VISITS-SOC_VIS" in {r["agencyInternalLocationDescription"] for r in unmapped}
    migration_id = start(sb, headers, params).json()["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, headers, migration_id)
    assert row["recordsFailed"] == fail and row["recordsMigrated"] == migrate
    count = requests.get(f"{sb.url}{API}/migrate/dead-letter-queue/VISITS/count", headers=headers)
    assert count.json() == fail
    dlq = requests.get(f"{sb.url}{API}/migrate/dead-letter-queue/VISITS", headers=headers).json()
    assert dlq["messagesFoundCount"] == fail and dlq["messagesReturnedCount"] == fail
    message = dlq["messages"][0]
    assert message["body"]["type"] == "MIGRATE_ENTITY"
    assert message["body"]["context"]["migrationId"] == migration_id
    assert isinstance(message["body"]["context"]["body"]["visitId"], int)
    # Three deliveries each: the failure is logged against the message id three times.
    failures = [m for m in logs(sb) if m.startswith(f"MessageID:{message['messageId']} ")]
    assert len(failures) == 3
    sent = [
        e
        for e in sb.telemetry()["events"]
        if e["name"] == "prisoner-from-nomis-migration-visits-sent-to-dlq"
    ]
    assert len(sent) == fail and sent[0]["properties"]["maxReceiveCount"] == "3"
    assert "nomis-migration-visit-no-room-mapping" in {e["name"] for e in sb.telemetry()["events"]}
    # Reading hides the messages for a while (§13.4), then they are visible again.
    assert (
        requests.get(f"{sb.url}{API}/migrate/dead-letter-queue/VISITS", headers=headers).json()[
            "messagesReturnedCount"
        ]
        == 0
    )
    time.sleep(0.55)
    assert (
        requests.get(
            f"{sb.url}{API}/migrate/dead-letter-queue/VISITS/count", headers=headers
        ).json()
        == fail
    )
    purge = requests.delete(f"{sb.url}{API}/migrate/dead-letter-queue/VISITS", headers=headers)
    assert purge.status_code == 204 and purge.content == b""
    assert (
        requests.get(
            f"{sb.url}{API}/migrate/dead-letter-queue/VISITS/count", headers=headers
        ).json()
        == 0
    )


def test_cancel_midway(sb, system):
    sb.update_settings(visit_delay_ms=5, workers=2)
    migration_id = start(sb, system, {"prisonIds": ["HEI"]}).json()["migrationId"]
    deadline = time.monotonic() + 5
    while active(sb, system)["recordsMigrated"] < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (
        requests.post(
            f"{sb.url}{API}/migrate/cancel/{quote(migration_id)}", headers=system
        ).status_code
        == 202
    )
    assert history(sb, system, migration_id)["status"] == "CANCELLED_REQUESTED"
    sb.wait_for_status(migration_id, "CANCELLED")
    row = history(sb, system, migration_id)
    assert 0 < row["recordsMigrated"] < row["estimatedRecordCount"]
    assert row["whenEnded"]
    events = {e["name"] for e in sb.telemetry()["events"]}
    assert {"visits-migration-cancel-requested", "visits-migration-cancelled"} <= events


def test_refresh_only_for_completed_and_cancel_of_unknown_is_404(sb, system):
    sb.reset("history")
    rows = requests.get(f"{sb.url}{API}/migrate/history/all/VISITS", headers=system).json()
    completed = next(r for r in rows if r["status"] == "COMPLETED")
    cancelled = next(r for r in rows if r["status"] == "CANCELLED")
    ok = requests.post(
        f"{sb.url}{API}/migrate/refresh/{quote(completed['migrationId'])}", headers=system
    )
    assert ok.status_code == 204 and ok.content == b""
    refreshed = history(sb, system, completed["migrationId"])
    assert refreshed["whenEnded"] > completed["whenEnded"]
    assert refreshed["recordsFailed"] == 6  # the DLQ depth now (shared across migrations)
    not_completed = requests.post(
        f"{sb.url}{API}/migrate/refresh/{cancelled['migrationId']}", headers=system
    )
    assert not_completed.status_code == 400
    assert (
        not_completed.json()["userMessage"]
        == f"Bad Request: Migration {cancelled['migrationId']} is not completed"
    )
    assert (
        requests.post(
            f"{sb.url}{API}/migrate/refresh/2000-01-01T00:00:00", headers=system
        ).status_code
        == 404
    )
    assert (
        requests.post(
            f"{sb.url}{API}/migrate/cancel/2000-01-01T00:00:00", headers=system
        ).status_code
        == 404
    )
    missing = requests.get(f"{sb.url}{API}/migrate/history/2000-01-01T00:00:00", headers=system)
    assert (
        missing.status_code == 404
        and missing.json()["userMessage"] == "Not Found: 2000-01-01T00:00:00"
    )
    # Cancel does not check the status (§13.2): a COMPLETED migration goes to CANCELLED.
    requests.post(f"{sb.url}{API}/migrate/cancel/{quote(completed['migrationId'])}", headers=system)
    sb.wait_for_status(completed["migrationId"], "CANCELLED")


def test_history_list_filters_and_quirks(sb, system):
    sb.reset("history")
    url = f"{sb.url}{API}/migrate/history/all/VISITS"
    rows = requests.get(url, headers=system).json()
    assert len(rows) == 8
    assert [r["whenStarted"] for r in rows] == sorted(
        (r["whenStarted"] for r in rows), reverse=True
    )
    assert {r["status"] for r in rows} == {"COMPLETED", "CANCELLED"}
    first = rows[0]
    assert set(first) == {
        "migrationId", "id", "isNew", "whenStarted", "whenEnded", "estimatedRecordCount", "filter",
        "recordsMigrated", "recordsFailed", "migrationType", "status",
    }  # fmt: skip
    assert first["id"] == first["migrationId"] and first["isNew"] is False
    assert isinstance(first["filter"], str) and json.loads(first["filter"])["prisonIds"] == ["HEI"]
    mdi = requests.get(url, params={"prisonId": "MDI"}, headers=system).json()
    assert mdi and all(json.loads(r["filter"])["prisonIds"] == ["MDI"] for r in mdi)
    multi = [r for r in rows if json.loads(r["filter"])["prisonIds"] == ["MDI", "BXI"]]
    assert multi and multi[0] not in mdi  # §13.1: only single-prison runs match
    failures = requests.get(url, params={"includeOnlyFailures": "true"}, headers=system).json()
    assert failures and all(r["recordsFailed"] > 0 for r in failures)
    edge = rows[2]["whenStarted"]
    since = requests.get(url, params={"fromDateTime": edge}, headers=system).json()
    assert [r["migrationId"] for r in since] == [r["migrationId"] for r in rows[:3]]
    until = requests.get(url, params={"toDateTime": edge}, headers=system).json()
    assert [r["migrationId"] for r in until] == [r["migrationId"] for r in rows[2:]]
    assert requests.get(url, params={"fromDateTime": "nope"}, headers=system).status_code == 400
    assert (
        requests.get(url, params={"includeOnlyFailures": "maybe"}, headers=system).status_code
        == 400
    )
    assert (
        requests.get(f"{sb.url}{API}/migrate/history/all/NOT_A_TYPE", headers=system).status_code
        == 400
    )
    assert (
        requests.get(f"{sb.url}{API}/migrate/history/all/ACTIVITIES", headers=system).json() == []
    )
    assert requests.get(url).status_code == 401


def test_history_can_be_grown_for_benchmarks(sb, system):
    sb.reset("history", history_size=2000)
    rows = requests.get(f"{sb.url}{API}/migrate/history/all/VISITS", headers=system).json()
    assert len(rows) == 2000


def test_active_with_no_history_has_null_fields_and_never_404(sb, system):
    sb.reset("empty")
    body = active(sb, system)
    assert body == {
        "recordsMigrated": None,
        "toBeProcessedCount": 0,
        "beingProcessedCount": 0,
        "recordsFailed": 0,
        "migrationId": None,
        "whenStarted": None,
        "estimatedRecordCount": None,
        "migrationType": None,
        "status": None,
    }
    other = requests.get(f"{sb.url}{API}/migrate/history/active/APPOINTMENTS", headers=system)
    assert other.status_code == 200
    assert (
        requests.get(f"{sb.url}{API}/migrate/history/active/BAD", headers=system).status_code == 400
    )


def test_history_scenario_has_leftover_dlq_messages(sb, system):
    sb.reset("history")
    dlq = requests.get(f"{sb.url}{API}/migrate/dead-letter-queue/VISITS", headers=system).json()
    assert dlq["messagesFoundCount"] == 6
    assert {m["body"]["type"] for m in dlq["messages"]} == {"MIGRATE_ENTITY", "MIGRATE_BY_PAGE"}
    assert active(sb, system)["recordsFailed"] == 0  # just hidden by the read (§13.4)
    empty = requests.get(
        f"{sb.url}{API}/migrate/dead-letter-queue/ACTIVITIES/count", headers=system
    )
    assert empty.json() == 0


def test_rooms_usage_pre_check(sb, system):
    url = f"{sb.url}{API}/migrate/visits/rooms/usage"
    rows = requests.get(
        url,
        params={"prisonIds": ["MDI", "AGI"], "size": 1, "ignoreMissingRoom": "false"},
        headers=system,
    ).json()
    keys = [(r["prisonId"], r["agencyInternalLocationDescription"]) for r in rows]
    assert keys == sorted(keys) and {k[0] for k in keys} <= {"MDI", "AGI"}
    assert all(
        ("vsipRoom" in r)
        != r["agencyInternalLocationDescription"].endswith(("FAMILY ROOM", "3RD SECTOR"))
        for r in rows
    )
    forbidden = requests.get(
        url, headers={"Authorization": f"Bearer {user_token(sb, 'VISITS_USER')}"}
    )
    assert forbidden.status_code == 403


def test_migration_service_health_and_info(sb):
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()
    assert (
        health["components"]["migrationvisits-health"]["details"]["dlqName"]
        == "migration_visits_dlq"
    )
    assert requests.get(f"{sb.url}{API}/info", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "path", ["/migrate/cancel/x", "/migrate/refresh/x", "/migrate/dead-letter-queue/VISITS"]
)
def test_every_migrate_endpoint_needs_the_role(sb, path):
    token = user_token(sb, "SYSCON_USER")
    method = requests.delete if "dead-letter" in path else requests.post
    assert method(f"{sb.url}{API}{path}", timeout=5).status_code == 401
    assert method(f"{sb.url}{API}{path}", headers={"Authorization": f"Bearer {token}"}).json() == {
        "status": 403
    }


def test_dlq_retry_moves_messages_back_and_refresh_picks_up_the_successes(sb, system):
    sb.reset("history")
    latest = requests.get(f"{sb.url}{API}/migrate/history/all/VISITS", headers=system).json()[0]
    moved = requests.post(f"{sb.url}/__sandbox/dlq-retry", timeout=5).json()
    assert moved == {"messagesFoundCount": 6}
    deadline = time.monotonic() + 5
    while active(sb, system)["toBeProcessedCount"] or active(sb, system)["beingProcessedCount"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)
    requests.post(f"{sb.url}{API}/migrate/refresh/{quote(latest['migrationId'])}", headers=system)
    refreshed = history(sb, system, latest["migrationId"])
    assert refreshed["recordsMigrated"] > latest["recordsMigrated"]


def test_queue_admin_endpoints_need_their_own_role(sb, system):
    sb.reset("history")
    url = f"{sb.url}{API}/queue-admin/retry-dlq/migration_visits_dlq"
    assert requests.put(url, headers=system, timeout=5).json() == {"status": 403}
    assert requests.put(url, timeout=5).status_code == 401
