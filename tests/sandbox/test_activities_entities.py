"""Activities, Allocations and Appointments, their NOMIS checks and the Activities API.

upstream-api-types §2.1 to §2.3, §4 and §5. The data these tests rely on is described in
``sandbox/entities/activities/data.py`` and ``sandbox/entities/appointments/__init__.py``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jwt
import requests

from .conftest import user_token

API = "/nomis-migration-api"
MAPPING = "/mapping-api"
NOMIS = "/nomis-prisoner-api"
DPS = "/activities-api"


def today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def get(sb, path, headers, **params):
    return requests.get(f"{sb.url}{path}", params=params, headers=headers, timeout=5)


def start(sb, headers, slug, body):
    return requests.post(f"{sb.url}{API}/migrate/{slug}", json=body, headers=headers, timeout=10)


def history(sb, headers, migration_id):
    return get(sb, f"{API}/migrate/history/{quote(migration_id)}", headers).json()


def put(sb, headers, path, body=None):
    return requests.put(
        f"{sb.url}{API}{path}",
        headers=headers,
        timeout=5,
        **({} if body is None else {"json": body}),
    )


def events(sb, name):
    return [e for e in sb.telemetry()["events"] if e["name"] == name]


def run_activities(sb, headers, **body):
    response = start(sb, headers, "activities", {"prisonId": "MDI", **body})
    assert response.status_code == 202, response.text
    migration_id = response.json()["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    return migration_id


# -- Prison settings: NOMIS N10-N12


def test_incentive_levels_per_prison(sb, system):
    levels = get(sb, f"{NOMIS}/prisons/MDI/incentive-levels", system)
    assert levels.json() == [
        {"code": "BAS", "description": "Basic"},
        {"code": "STD", "description": "Standard"},
        {"code": "ENH", "description": "Enhanced"},
    ]
    assert [
        lv["code"] for lv in get(sb, f"{NOMIS}/prisons/HEI/incentive-levels", system).json()
    ] == [
        "BAS",
        "STD",
    ]
    assert get(sb, f"{NOMIS}/prisons/XYZ/incentive-levels", system).status_code == 404
    assert get(sb, f"{NOMIS}/prisons/MDI/incentive-levels", {}).status_code == 401


def test_agency_switches_are_on_for_some_prisons_and_n12_turns_one_on(sb, system):
    def status(service, agency):
        return get(sb, f"{NOMIS}/agency-switches/{service}/agency/{agency}", system).status_code

    assert {p: status("ACTIVITY", p) for p in ("MDI", "LEI", "BXI", "HEI")} == {
        "MDI": 404,
        "LEI": 204,
        "BXI": 204,
        "HEI": 404,
    }
    assert {p: status("APPOINTMENTS", p) for p in ("MDI", "LEI", "BXI", "HEI")} == {
        "MDI": 204,
        "LEI": 204,
        "BXI": 404,
        "HEI": 404,
    }
    assert status("NOPE", "MDI") == 404
    url = f"{sb.url}{NOMIS}/agency-switches/ACTIVITY/agency/MDI"
    turned_on = requests.post(url, headers=system, timeout=5)
    assert turned_on.status_code == 201 and turned_on.content == b""
    assert status("ACTIVITY", "MDI") == 204
    assert requests.post(url, headers=system, timeout=5).status_code == 201  # idempotent
    unknown_service = requests.post(
        f"{sb.url}{NOMIS}/agency-switches/NOPE/agency/MDI", headers=system, timeout=5
    )
    assert unknown_service.status_code == 404 and unknown_service.json()["status"] == 404
    unknown_agency = requests.post(
        f"{sb.url}{NOMIS}/agency-switches/ACTIVITY/agency/XYZ", headers=system, timeout=5
    )
    assert unknown_agency.status_code == 404
    forbidden = requests.post(url, headers={"Authorization": f"Bearer {user_token(sb)}"}, timeout=5)
    assert forbidden.json() == {"status": 403}
    # A reset restores the scenario's switches.
    sb.reset("default")
    assert status("ACTIVITY", "MDI") == 404


# -- Activities: NOMIS N1, N13-N16


def test_activity_ids_are_a_classic_page_with_schedule_rule_flags(sb, system):
    url = f"{NOMIS}/activities/ids"
    counted = get(sb, url, system, prisonId="MDI", size=1).json()
    assert counted["totalElements"] == 40 and counted["size"] == 1
    assert counted["content"] == [{"courseActivityId": 11001, "hasScheduleRules": True}]
    every = get(sb, url, system, prisonId="LEI", size=100).json()["content"]
    assert len(every) == 40 and all(12000 < a["courseActivityId"] <= 12040 for a in every)
    assert sum(not a["hasScheduleRules"] for a in every) == 4
    second = get(sb, url, system, prisonId="MDI", page=1, size=20).json()
    assert second["number"] == 1 and second["content"][0]["courseActivityId"] == 11021
    one = get(sb, url, system, prisonId="MDI", courseActivityId=11007).json()
    assert one["content"] == [{"courseActivityId": 11007, "hasScheduleRules": False}]
    unknown = get(sb, url, system, prisonId="XYZ")
    assert unknown.status_code == 400
    assert unknown.json()["userMessage"] == "Bad request: Prison with id=XYZ does not exist"
    assert get(sb, url, system).status_code == 400
    assert get(sb, url, system, prisonId="MDI", courseActivityId="x").status_code == 400


def test_pre_flight_checks_have_rows_for_mdi_and_none_elsewhere(sb, system):
    suspended = get(sb, f"{NOMIS}/allocations/suspended", system, prisonId="MDI").json()
    assert len(suspended) == 3
    assert set(suspended[0]) == {"offenderNo", "courseActivityId", "courseActivityDescription"}
    assert {r["courseActivityId"] for r in suspended} == {11001, 11004, 11010}
    missing = get(sb, f"{NOMIS}/allocations/missing-pay-bands", system, prisonId="MDI").json()
    assert len(missing) == 2
    assert set(missing[0]) == {
        "offenderNo",
        "incentiveLevel",
        "courseActivityId",
        "courseActivityDescription",
    }
    rates = get(sb, f"{NOMIS}/activities/rates-with-unknown-incentives", system, prisonId="MDI")
    assert [(r["courseActivityId"], r["incentiveLevelCode"]) for r in rates.json()] == [
        (11003, "EN2"),
        (11008, "EN2"),
    ]
    assert set(rates.json()[0]) == {
        "courseActivityDescription",
        "courseActivityId",
        "payBandCode",
        "incentiveLevelCode",
    }
    only = get(
        sb, f"{NOMIS}/allocations/suspended", system, prisonId="MDI", courseActivityId=11004
    ).json()
    assert [r["courseActivityId"] for r in only] == [11004]
    for prison in ("LEI", "BXI", "HEI"):
        for path in (
            "allocations/suspended",
            "allocations/missing-pay-bands",
            "activities/rates-with-unknown-incentives",
        ):
            assert get(sb, f"{NOMIS}/{path}", system, prisonId=prison).json() == []
    # N16 lists exactly the activities without schedule rules, in every prison.
    for prison in ("MDI", "HEI"):
        ids = get(sb, f"{NOMIS}/activities/ids", system, prisonId=prison, size=100).json()
        expected = [a["courseActivityId"] for a in ids["content"] if not a["hasScheduleRules"]]
        rows = get(
            sb,
            f"{NOMIS}/activities/without-schedule-rules",
            system,
            prisonId=prison,
            activeOnDate=day(1),
        ).json()
        assert [r["courseActivityId"] for r in rows] == expected and len(expected) == 4
        assert all(r["courseActivityDescription"] for r in rows)
    bad = get(sb, f"{NOMIS}/allocations/suspended", system, prisonId="XYZ")
    assert bad.status_code == 400
    assert get(sb, f"{NOMIS}/activities/without-schedule-rules", {}).status_code == 401


# -- Activities API D1-D3


def test_activities_api_rollout_pay_bands_and_regime(sb, system):
    rollout = get(sb, f"{DPS}/rollout/LEI", system).json()
    assert rollout == {
        "prisonCode": "LEI",
        "activitiesRolledOut": True,
        "appointmentsRolledOut": True,
        "externalActivitiesRolledOut": False,
        "maxDaysToExpiry": 21,
        "prisonLive": True,
    }
    assert get(sb, f"{DPS}/rollout/MDI", system).json()["activitiesRolledOut"] is False
    unknown = get(sb, f"{DPS}/rollout/ZZZ", system)
    assert unknown.status_code == 200 and unknown.json()["activitiesRolledOut"] is False
    own = get(sb, f"{DPS}/prison/MDI/prison-pay-bands", system).json()
    assert [b["alias"] for b in own] == ["Low", "Medium", "High"]
    assert set(own[0]) == {
        "id",
        "displaySequence",
        "alias",
        "description",
        "nomisPayBand",
        "prisonCode",
    }
    fallback = get(sb, f"{DPS}/prison/HEI/prison-pay-bands", system).json()
    assert fallback and {b["prisonCode"] for b in fallback} == {"DEFAULT"}
    regime = get(sb, f"{DPS}/prison/prison-regime/MDI", system).json()
    assert len(regime) == 7 and regime[0]["dayOfWeek"] == "MONDAY"
    assert regime[0]["amStart"] == "08:30" and regime[0]["prisonCode"] == "MDI"
    missing = get(sb, f"{DPS}/prison/prison-regime/HEI", system)
    assert missing.status_code == 404 and missing.json()["status"] == 404
    user = {"Authorization": f"Bearer {user_token(sb)}"}
    assert get(sb, f"{DPS}/rollout/MDI", user).json() == {"status": 403}
    assert get(sb, f"{DPS}/prison/prison-regime/MDI", user).status_code == 403
    assert get(sb, f"{DPS}/rollout/MDI", {}).status_code == 401
    sb.add_fault("activitiesApi", "/prison/prison-regime", status=503, times=1)
    assert get(sb, f"{DPS}/prison/prison-regime/MDI", system).status_code == 503
    assert get(sb, f"{DPS}/prison/prison-regime/MDI", system).status_code == 200
    assert any(e["path"] == f"{DPS}/rollout/MDI" for e in sb.journal())


# -- Activities migration (S1, P1, S11, S12)


def test_activities_start_validates_the_prison_and_the_body(sb, system):
    unknown = start(sb, system, "activities", {"prisonId": "XYZ"})
    assert unknown.status_code == 400
    assert (
        unknown.json()["userMessage"]
        == "Bad Request: Bad request: Prison with id=XYZ does not exist"
    )
    assert start(sb, system, "activities", {"activityStartDate": day(1)}).status_code == 400
    bad_id = start(sb, system, "activities", {"prisonId": "MDI", "courseActivityId": "abc"})
    assert bad_id.status_code == 400
    assert get(sb, f"{API}/migrate/history/all/ACTIVITIES", system).json() == []


def test_activities_run_of_one_prison_counts_only_those_with_schedule_rules(sb, system):
    context = start(
        sb,
        system,
        "activities",
        {"prisonId": "MDI", "activityStartDate": day(3), "courseActivityId": ""},
    ).json()
    assert context["type"] == "ACTIVITIES" and context["estimatedCount"] == 40
    assert context["body"] == {"prisonId": "MDI", "activityStartDate": day(3)}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == 36 and row["recordsFailed"] == 0
    assert json.loads(row["filter"]) == {"prisonId": "MDI", "activityStartDate": day(3)}
    count = get(
        sb,
        f"{MAPPING}/mapping/activities/migration-count/migration-id/{quote(migration_id)}",
        system,
        includeIgnored="false",
    )
    assert count.json() == 36
    everything = get(
        sb,
        f"{MAPPING}/mapping/activities/migration-count/migration-id/{quote(migration_id)}",
        system,
        includeIgnored="true",
    )
    assert everything.json() == 40
    ignored = events(sb, "activity-migration-entity-ignored")
    assert sorted(int(e["properties"]["nomisCourseActivityId"]) for e in ignored) == [
        11007,
        11017,
        11027,
        11037,
    ]
    migrated = events(sb, "activity-migration-entity-migrated")
    assert len(migrated) == 36 and {e["properties"]["prisonId"] for e in migrated} == {"MDI"}
    mapping = get(
        sb, f"{MAPPING}/mapping/activities/migration/nomis-course-activity-id/11008", system
    ).json()
    assert mapping["activityId"] and mapping["activityId2"]  # a split regime: two DPS activities
    unmapped = get(
        sb, f"{MAPPING}/mapping/activities/migration/nomis-course-activity-id/11007", system
    ).json()
    assert unmapped["activityId"] is None and unmapped["label"] == migration_id

    # One activity again: already mapped, so skipped with the upstream's log line.
    again = run_activities(sb, system, courseActivityId=11001)
    assert history(sb, system, again)["recordsMigrated"] == 0
    skipped = [
        line["message"]
        for line in sb.telemetry()["logs"]
        if line["message"].startswith("Will not migrate the courseActivityId=11001")
    ]
    assert len(skipped) == 1


def test_a_second_activities_start_conflicts_while_one_runs(sb, system):
    sb.update_settings(visit_delay_ms=100, workers=1)
    first = start(sb, system, "activities", {"prisonId": "LEI"})
    assert first.status_code == 202
    second = start(sb, system, "activities", {"prisonId": "BXI"})
    assert second.status_code == 409
    assert "ACTIVITIES migration" in second.json()["userMessage"]
    requests.post(
        f"{sb.url}{API}/migrate/cancel/{quote(first.json()['migrationId'])}", headers=system
    )
    sb.wait_for_status(first.json()["migrationId"], "CANCELLED")


def test_end_activities_adds_the_end_date_to_the_filter(sb, system):
    migration_id = run_activities(sb, system, activityStartDate=day(5), courseActivityId=11002)
    ended = put(sb, system, f"/migrate/activities/{quote(migration_id)}/end")
    assert ended.status_code == 200 and ended.content == b""
    assert json.loads(history(sb, system, migration_id)["filter"]) == {
        "prisonId": "MDI",
        "courseActivityId": 11002,
        "activityStartDate": day(5),
        "nomisActivityEndDate": day(4),
    }
    # A run that mapped nothing (no such course activity) has nothing to end.
    empty_run = run_activities(sb, system, courseActivityId=99999)
    assert history(sb, system, empty_run)["estimatedRecordCount"] == 0
    for unmapped in (empty_run, "2020-01-01T00:00:00"):
        missing = put(sb, system, f"/migrate/activities/{quote(unmapped)}/end")
        assert missing.status_code == 404
        assert missing.json()["userMessage"] == f"Not Found: No migrations found for {unmapped}"
    assert put(sb, {}, f"/migrate/activities/{quote(migration_id)}/end").status_code == 401


def test_move_start_dates_refuses_then_moves_with_warnings(sb, system):
    migration_id = run_activities(sb, system, activityStartDate=day(2))
    path = f"/migrate/activities/{quote(migration_id)}/move-start-dates"

    past = put(sb, system, path, {"newActivityStartDate": day(0)})
    assert past.status_code == 400
    assert past.json()["userMessage"].startswith("Validation failure: ")
    not_ended = put(sb, system, path, {"newActivityStartDate": day(10)})
    assert not_ended.status_code == 400
    assert (
        not_ended.json()["userMessage"]
        == "Bad Request: Can only move start dates if the NOMIS activities have been ended"
    )
    assert put(sb, system, f"/migrate/activities/{quote(migration_id)}/end").status_code == 200
    too_early = put(sb, system, path, {"newActivityStartDate": day(2)})
    assert too_early.status_code == 400
    assert too_early.json()["userMessage"] == (
        f"Bad Request: The new start date must be after the current start date {day(2)}"
    )
    sb.add_fault("activitiesApi", "/migrate/MDI/move-activity-start-dates", status=500, times=1)
    failed = put(sb, system, path, {"newActivityStartDate": day(10)})
    assert failed.status_code == 500
    assert failed.json()["status"] == 400
    assert failed.json()["userMessage"] == "Internal error: Failed to move activity start dates"
    assert json.loads(history(sb, system, migration_id)["filter"])["activityStartDate"] == day(2)

    moved = put(sb, system, path, {"newActivityStartDate": day(10)})
    assert moved.status_code == 200
    warnings = moved.json()
    assert isinstance(warnings, list) and len(warnings) == 2
    assert all("was not moved" in w for w in warnings)
    assert json.loads(history(sb, system, migration_id)["filter"]) == {
        "prisonId": "MDI",
        "activityStartDate": day(10),
        "nomisActivityEndDate": day(9),
    }
    missing = put(
        sb,
        system,
        "/migrate/activities/2020-01-01T00:00:00/move-start-dates",
        {"newActivityStartDate": day(10)},
    )
    assert missing.status_code == 404


# -- Allocations (N2, S2, P2)


def test_allocation_ids_are_active_on_a_day_and_filtered_by_activity(sb, system):
    url = f"{NOMIS}/allocations/ids"
    counted = get(sb, url, system, prisonId="MDI", size=1).json()
    assert counted["size"] == 1 and len(counted["content"]) == 1
    # 36 activities with schedule rules, 10 to 14 allocations each (12 on average).
    assert 36 * 10 <= counted["totalElements"] <= 36 * 14
    one = get(sb, url, system, prisonId="MDI", courseActivityId=11001, size=100).json()
    assert [a["allocationId"] for a in one["content"]] == [1100100 + k for k in range(1, 12)]
    # One allocation of 11003 ends in 30 days; the default activeOnDate is tomorrow.
    assert (
        get(sb, url, system, prisonId="MDI", courseActivityId=11003).json()["totalElements"] == 13
    )
    later = get(sb, url, system, prisonId="MDI", courseActivityId=11003, activeOnDate=day(60))
    assert later.json()["totalElements"] == 12
    # Activities without schedule rules never reach DPS, so NOMIS leaves out their allocations.
    assert get(sb, url, system, prisonId="MDI", courseActivityId=11007).json()["totalElements"] == 0
    unknown = get(sb, url, system, prisonId="XYZ")
    assert unknown.status_code == 400
    assert unknown.json()["userMessage"] == "Bad request: Prison with id=XYZ does not exist"


def test_allocations_of_a_migrated_activity_complete(sb, system):
    run_activities(sb, system, courseActivityId=11001, activityStartDate=day(2))
    response = start(
        sb,
        system,
        "allocations",
        {"prisonId": "MDI", "courseActivityId": "11001", "activityStartDate": day(2)},
    )
    assert response.status_code == 202, response.text
    context = response.json()
    assert context["type"] == "ALLOCATIONS" and context["estimatedCount"] == 11
    assert context["body"] == {
        "prisonId": "MDI",
        "courseActivityId": 11001,
        "activityStartDate": day(2),
    }
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == 11 and row["recordsFailed"] == 0
    page = get(
        sb,
        f"{MAPPING}/mapping/allocations/migration/migration-id/{quote(migration_id)}",
        system,
        size=1,
    ).json()
    assert page["totalElements"] == 11
    assert set(page["content"][0]) >= {"nomisAllocationId", "activityAllocationId", "activityId"}
    assert len(events(sb, "activity-allocation-migration-entity-migrated")) == 11
    # The start estimate uses activeOnDate = activityStartDate.
    later = start(
        sb,
        system,
        "allocations",
        {"prisonId": "MDI", "courseActivityId": 11003, "activityStartDate": day(60)},
    )
    assert later.json()["estimatedCount"] == 12
    sb.wait_for_status(later.json()["migrationId"], "COMPLETED")
    # A run again over 11001 skips what is mapped.
    again = start(sb, system, "allocations", {"prisonId": "MDI", "courseActivityId": 11001})
    sb.wait_for_status(again.json()["migrationId"], "COMPLETED")
    skipped = [
        line
        for line in sb.telemetry()["logs"]
        if line["message"].startswith("Will not migrate the allocationId=11001")
    ]
    assert len(skipped) == 11


def test_allocations_of_an_unmigrated_activity_are_dead_lettered(sb, system):
    context = start(sb, system, "allocations", {"prisonId": "MDI", "courseActivityId": 11002})
    assert context.status_code == 202
    migration_id = context.json()["migrationId"]
    assert context.json()["estimatedCount"] == 12
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 12
    dlq = get(sb, f"{API}/migrate/dead-letter-queue/ALLOCATIONS", system).json()
    assert dlq["messagesFoundCount"] == 12
    bodies = [m["body"]["context"]["body"] for m in dlq["messages"]]
    assert sorted(b["allocationId"] for b in bodies) == [1100200 + k for k in range(1, 13)]
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} == {"ALLOCATIONS"}
    failed = events(sb, "activity-allocation-migration-entity-failed")
    assert failed and "No DPS activity" in failed[0]["properties"]["reason"]
    sent = events(sb, "prisoner-from-nomis-migration-allocations-sent-to-dlq")
    assert len(sent) == 12 and sent[0]["properties"]["dlqName"] == "migration_allocations_dlq"
    assert get(sb, f"{API}/migrate/dead-letter-queue/ACTIVITIES/count", system).json() == 0
    bad = start(sb, system, "allocations", {"prisonId": "XYZ"})
    assert bad.status_code == 400
    assert bad.json()["userMessage"].startswith("Bad Request: Bad request: Prison with id=XYZ")


# -- Appointments (N3, N4, S3, P3)


def test_appointment_ids_and_counts_by_prison_and_date(sb, system):
    url = f"{NOMIS}/appointments/ids"
    counted = get(sb, url, system, prisonIds="MDI", size=1).json()
    assert counted["totalElements"] == 1500 and counted["content"] == [{"eventId": 500001}]
    both = get(sb, url, system, prisonIds=["MDI", "HEI"], size=1).json()
    assert both["totalElements"] == 3000
    assert get(sb, url, system, prisonIds="MDI,HEI", size=1).json()["totalElements"] == 3000
    future = get(sb, url, system, prisonIds="LEI", fromDate=day(1), size=1).json()
    assert future["totalElements"] == 450  # 30% from tomorrow on
    past = get(sb, url, system, prisonIds="LEI", fromDate="", toDate=day(0), size=1).json()
    assert past["totalElements"] == 1050
    assert get(sb, url, system, prisonIds="XYZ").json()["totalElements"] == 0
    assert get(sb, url, system).status_code == 400
    assert get(sb, url, system, prisonIds="MDI", fromDate="23/03/2020").status_code == 400

    counts = get(sb, f"{NOMIS}/appointments/counts", system, prisonIds=["MDI", "BXI"]).json()
    assert set(counts[0]) == {"prisonId", "eventSubType", "future", "count"}
    assert {c["prisonId"] for c in counts} == {"MDI", "BXI"}
    mdi = [c for c in counts if c["prisonId"] == "MDI"]
    assert sum(c["count"] for c in mdi) == 1500
    assert sum(c["count"] for c in mdi if c["future"]) == 450
    assert len({c["eventSubType"] for c in mdi}) == 6
    assert counts == sorted(counts, key=lambda c: (c["prisonId"], c["eventSubType"], c["future"]))
    windowed = get(
        sb, f"{NOMIS}/appointments/counts", system, prisonIds="MDI", fromDate=day(1)
    ).json()
    assert all(c["future"] for c in windowed) and sum(c["count"] for c in windowed) == 450


def test_future_appointments_migrate_except_the_ignored_and_the_failing(sb, system):
    response = start(
        sb, system, "appointments", {"prisonIds": ["MDI"], "fromDate": day(1), "toDate": ""}
    )
    assert response.status_code == 202, response.text
    context = response.json()
    assert context["type"] == "APPOINTMENTS" and context["estimatedCount"] == 450
    assert context["body"] == {"fromDate": day(1), "prisonIds": ["MDI"]}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=20)
    row = history(sb, system, migration_id)
    assert row["filter"] == json.dumps(context["body"], separators=(",", ":"))
    # 450 future appointments: 2 ignored by DPS (500101, 501101), 1 failing (500702).
    assert row["recordsMigrated"] == 447 and row["recordsFailed"] == 1
    count = get(
        sb, f"{MAPPING}/mapping/appointments/migration-id/{quote(migration_id)}", system, size=1
    ).json()
    assert count["totalElements"] == 447
    assert set(count["content"][0]) >= {"nomisEventId", "appointmentInstanceId", "mappingType"}
    ignored = events(sb, "appointments-migration-entity-ignored")
    assert sorted(e["properties"]["nomisEventId"] for e in ignored) == ["500101", "501101"]
    assert len(events(sb, "appointments-migration-entity-migrated")) == 447
    dlq = get(sb, f"{API}/migrate/dead-letter-queue/APPOINTMENTS", system).json()
    assert [m["body"]["context"]["body"] for m in dlq["messages"]] == [{"eventId": 500702}]
    for ignored_id in (500101, 500702):
        mapping = get(sb, f"{MAPPING}/mapping/appointments/nomis-event-id/{ignored_id}", system)
        assert mapping.status_code == 404

    # The past ones of the same prison: none of the special ids is among them.
    past = start(sb, system, "appointments", {"prisonIds": ["MDI"], "toDate": day(0)}).json()
    assert past["estimatedCount"] == 1050
    sb.wait_for_status(past["migrationId"], "COMPLETED", timeout=20)
    assert history(sb, system, past["migrationId"])["recordsMigrated"] == 1050

    # Everything again: every mapped appointment is skipped with the upstream's log line.
    sb.update_settings(max_deliveries=1)
    again = start(sb, system, "appointments", {"prisonIds": ["MDI"]}).json()
    sb.wait_for_status(again["migrationId"], "COMPLETED", timeout=20)
    skipped = [
        line
        for line in sb.telemetry()["logs"]
        if line["message"].startswith(
            "Will not migrate the appointment since it is migrated already, NOMIS event id is"
        )
    ]
    assert len(skipped) == 1497
    assert history(sb, system, again["migrationId"])["recordsMigrated"] == 0


def test_appointments_start_needs_prisons(sb, system):
    response = start(sb, system, "appointments", {"prisonIds": []})
    assert response.status_code == 400
    assert start(sb, system, "appointments", {"prisonIds": "MDI"}).status_code == 400


def test_the_three_types_have_queues_summaries_and_no_data_in_empty(sb, system):
    summary = sb.control("GET", "state")
    assert {"ACTIVITIES", "ALLOCATIONS", "APPOINTMENTS"} <= set(summary["queues"])
    assert summary["courseActivities"] == 160 and summary["appointments"] == 6000
    assert 1500 <= summary["allocations"] <= 2200
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert health["migrationappointments-health"]["details"]["dlqName"] == (
        "migration_appointments_dlq"
    )
    assert health["migrationactivities-health"]["details"]["queueName"] == (
        "migration_activities_queue"
    )
    empty = sb.reset("empty")
    assert empty["courseActivities"] == empty["allocations"] == empty["appointments"] == 0
    # The prisons and their settings are still there: a start finds nothing to migrate.
    context = start(sb, system, "activities", {"prisonId": "MDI"}).json()
    assert context["estimatedCount"] == 0
    assert get(sb, f"{NOMIS}/agency-switches/ACTIVITY/agency/LEI", system).status_code == 204
    assert (
        get(sb, f"{NOMIS}/activities/without-schedule-rules", system, prisonId="MDI").json() == []
    )


# -- Users


def test_activities_and_appointments_users_sign_in_with_their_roles(sb):
    for username, name, role in (
        ("ACTIVITIES_USER", "Ada Activities", "ROLE_MIGRATE_ACTIVITIES"),
        ("APPOINTMENTS_USER", "Apu Appointments", "ROLE_MIGRATE_APPOINTMENTS"),
    ):
        claims = jwt.decode(user_token(sb, username), options={"verify_signature": False})
        assert claims["user_name"] == username and claims["name"] == name
        assert claims["authorities"] == [role]
    users = {u["username"]: u for u in sb.control("GET", "users")}
    assert users["ACTIVITIES_USER"]["roles"] == ["ROLE_MIGRATE_ACTIVITIES"]
    assert users["APPOINTMENTS_USER"]["roles"] == ["ROLE_MIGRATE_APPOINTMENTS"]
