"""Core person, official visits, both balances and TAPs on the generic lifecycle.

upstream-api-types §2.5, §2.7 to §2.10, §4 and §5, with §8's later ``CORE_PERSON``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
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


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/migrate/history/all/{type}"),
        ("GET", "/migrate/history/active/{type}"),
        ("GET", "/migrate/dead-letter-queue/{type}"),
        ("GET", "/migrate/dead-letter-queue/{type}/count"),
        ("DELETE", "/migrate/dead-letter-queue/{type}"),
    ],
)
@pytest.mark.parametrize("old_type", ["CORE_PERSON_RELIGION", "INCIDENTS"])
def test_the_old_type_names_are_refused_as_the_upstream_now_refuses_them(
    sb, system, method, path, old_type
):
    """upstream-api-types.md §7, §8: neither is a MigrationType any more; CORE_PERSON is."""
    response = requests.request(
        method, f"{sb.url}{API}{path.format(type=old_type)}", headers=system, timeout=5
    )
    assert response.status_code == 400, response.text
    assert response.json()["userMessage"] == f"Bad Request: unknown migration type {old_type}"
    current = requests.request(
        method, f"{sb.url}{API}{path.format(type='CORE_PERSON')}", headers=system, timeout=5
    )
    assert current.status_code in (200, 204)


def test_the_old_religion_start_path_is_not_found(sb, system):
    response = start(sb, system, "core-person/religion")
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert (
        requests.get(f"{sb.url}{API}/migrate/history/all/CORE_PERSON", headers=system).json() == []
    )


# -- Official visits


def test_official_visit_ids_are_a_paged_model_filtered_by_prison_and_creation_date(sb, system):
    counted = nomis_get(sb, system, "/official-visits/ids", size=1).json()
    assert counted == {
        "content": [{"visitId": 30001}],
        "page": {"size": 1, "number": 0, "totalElements": 1500, "totalPages": 1500},
    }
    url = f"{sb.url}{NOMIS}/official-visits/ids"
    two = requests.get(f"{url}?prisonIds=MDI&prisonIds=LEI&size=1", headers=system).json()
    assert two["page"]["totalElements"] == 750
    blank = requests.get(f"{url}?prisonIds=&size=1", headers=system).json()
    assert blank["page"]["totalElements"] == 1500  # a blank entry counts as absent
    untrimmed = requests.get(f"{url}?prisonIds=%20MDI&size=1", headers=system).json()
    assert untrimmed["page"]["totalElements"] == 0  # others are not trimmed
    year = nomis_get(sb, system, "/official-visits/ids", fromDate="2024-01-01", toDate="2024-12-31")
    in_2024 = year.json()["page"]["totalElements"]
    assert 400 < in_2024 < 600  # created over about three years
    before = nomis_get(sb, system, "/official-visits/ids", toDate="2023-12-31", size=1).json()
    after = nomis_get(sb, system, "/official-visits/ids", fromDate="2025-01-01", size=1).json()
    assert before["page"]["totalElements"] + in_2024 + after["page"]["totalElements"] == 1500
    last = nomis_get(sb, system, "/official-visits/ids", page=7, size=200).json()
    assert last["content"][-1] == {"visitId": 31500} and len(last["content"]) == 100
    assert nomis_get(sb, system, "/official-visits/ids", fromDate="2024-13-01").status_code == 400
    from_id = nomis_get(sb, system, "/official-visits/ids/all-from-id", visitId=30010, size=3)
    assert from_id.json() == {"ids": [{"visitId": 30011}, {"visitId": 30012}, {"visitId": 30013}]}
    assert requests.get(url).status_code == 401


def test_official_visits_migration_of_one_prison_and_quarter(sb, system):
    body = {"prisonIds": ["HEI"], "fromDate": "2024-01-01", "toDate": "2024-03-31"}
    expected = nomis_get(sb, system, "/official-visits/ids", size=1, **body).json()
    expected = expected["page"]["totalElements"]
    assert 20 < expected < 50
    response = start(sb, system, "official-visits", {**body, "_csrf": "ignored"})
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "OFFICIAL_VISITS" and context["estimatedCount"] == expected
    assert context["body"] == body and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonIds":["HEI"],"fromDate":"2024-01-01","toDate":"2024-03-31"}'
    assert row["recordsMigrated"] == expected and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "official-visits", migration_id) == expected
    names = event_names(sb)
    assert names.count("officialvisits-migration-entity-migrated") == expected
    assert "officialvisits-migration-started" in names
    assert "officialvisits-migration-completed" in names
    # Every prison by default; stored with the empty list.
    everything = start(sb, system, "official-visits", {"fromDate": "", "toDate": None}).json()
    assert everything["estimatedCount"] == 1500 and everything["body"] == {"prisonIds": []}
    sb.wait_for_status(everything["migrationId"], "COMPLETED", timeout=30)
    skipped = log_lines(sb, "Will not migrate the nomis official visit id=")
    assert len(skipped) == expected
    assert start(sb, system, "official-visits", {"fromDate": "23/03/2020"}).status_code == 400


def test_official_visits_failing_visit_lands_on_its_own_dlq(sb, system):
    # Visit 30123 is at BXI, created 2023-03-28; blank prison entries are ignored.
    body = {"prisonIds": ["", "BXI"], "fromDate": "2023-03-01", "toDate": "2023-04-30"}
    context = start(sb, system, "official-visits", body).json()
    estimate = context["estimatedCount"]
    assert estimate > 10 and context["body"]["prisonIds"] == ["", "BXI"]
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == estimate - 1 and row["recordsFailed"] == 1
    assert dlq_counts(sb, system) == {"OFFICIAL_VISITS": 1}
    assert dlq_bodies(sb, system, "OFFICIAL_VISITS") == [{"visitId": 30123}]


def test_official_visits_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "official-visits", {"prisonIds": ["MDI"]}, "OFFICIAL_VISITS")


# -- Prison balance


def test_prison_ids_are_a_bare_array_of_six_caseloads(sb, system):
    ids = nomis_get(sb, system, "/finance/prison/ids").json()
    assert ids == ["BXI", "CADM", "HEI", "LEI", "MDI", "TRN"]
    assert requests.get(f"{sb.url}{NOMIS}/finance/prison/ids").status_code == 401


def test_prison_balance_of_every_caseload_and_of_one(sb, system):
    form = {"_csrf": "x", "prisonId": "", "action": "startMigration", "estimatedCount": "6"}
    response = start(sb, system, "prison-balance", form)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "PRISON_BALANCE" and context["estimatedCount"] == 6
    assert context["body"] == {"prisonId": ""} and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonId":""}'
    assert row["recordsMigrated"] == 6 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "prison-balance", migration_id, paged_model=True) == 6
    names = event_names(sb)
    assert names.count("prisonbalance-migration-entity-migrated") == 6
    assert "prisonbalance-migration-started" in names
    assert "prisonbalance-migration-completed" in names

    one = start(sb, system, "prison-balance", {"prisonId": "MDI"}).json()
    assert one["estimatedCount"] == 1 and one["body"] == {"prisonId": "MDI"}
    sb.wait_for_status(one["migrationId"], "COMPLETED")
    assert history(sb, system, one["migrationId"])["recordsMigrated"] == 0
    assert log_lines(sb, "Will not migrate the nomis id=") == [
        "Will not migrate the nomis id=MDI since it is migrated already"
    ]
    nothing = start(sb, system, "prison-balance", {}).json()
    assert nothing["body"] == {} and nothing["estimatedCount"] == 6
    assert history(sb, system, nothing["migrationId"])["filter"] == "{}"


def test_prison_balance_of_an_unknown_prison_lands_on_its_own_dlq(sb, system):
    context = start(sb, system, "prison-balance", {"prisonId": "XYZ"}).json()
    assert context["estimatedCount"] == 1  # trusted, no NOMIS call
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 1
    assert dlq_counts(sb, system) == {"PRISON_BALANCE": 1}
    assert dlq_bodies(sb, system, "PRISON_BALANCE") == ["XYZ"]


def test_prison_balance_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "prison-balance", {}, "PRISON_BALANCE")


# -- Prisoner balance


def test_prisoner_balance_ids_are_a_paged_model_of_bare_ids_per_prison(sb, system):
    counted = nomis_get(sb, system, "/finance/prisoners/ids", size=1).json()
    assert counted["page"] == {"size": 1, "number": 0, "totalElements": 1200, "totalPages": 1200}
    assert isinstance(counted["content"][0], int)
    url = f"{sb.url}{NOMIS}/finance/prisoners/ids"
    for prison in ("MDI", "LEI", "BXI", "HEI"):
        one = requests.get(url, params={"prisonId": prison, "size": 1}, headers=system).json()
        assert one["page"]["totalElements"] == 300
    two = requests.get(f"{url}?prisonId=MDI&prisonId=LEI&prisonId=&size=1", headers=system)
    assert two.json()["page"]["totalElements"] == 600
    blank = requests.get(f"{url}?prisonId=&_csrf=x&size=1", headers=system).json()
    assert blank["page"]["totalElements"] == 1200
    assert requests.get(url, params={"prisonId": "TRN"}, headers=system).json()["content"] == []
    ids = requests.get(url, params={"size": 2000}, headers=system).json()["content"]
    assert ids == sorted(set(ids)) and len(ids) == 1200
    second = requests.get(url, params={"page": 1, "size": 50}, headers=system).json()
    assert second["content"] == ids[50:100]
    assert requests.get(url).status_code == 401


def test_prisoner_balance_of_one_prison_completes(sb, system):
    response = start(sb, system, "prisoner-balance", {"prisonId": "LEI", "_csrf": "x"})
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "PRISONER_BALANCE" and context["estimatedCount"] == 300
    assert context["body"] == {"prisonId": "LEI"}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonId":"LEI"}'
    assert row["recordsMigrated"] == 300 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "prisoner-balance", migration_id, paged_model=True) == 300
    names = event_names(sb)
    assert names.count("prisonerbalance-migration-entity-migrated") == 300
    assert "prisonerbalance-migration-completed" in names
    again = start(sb, system, "prisoner-balance", {"prisonId": "LEI"}).json()
    sb.wait_for_status(again["migrationId"], "COMPLETED")
    assert len(log_lines(sb, "Will not migrate the nomis root offender id=")) == 300
    every = start(sb, system, "prisoner-balance", {"prisonId": ""}).json()
    assert every["estimatedCount"] == 1200 and every["body"] == {"prisonId": ""}


def test_prisoner_balance_failures_are_the_zz_prisoners_on_its_own_dlq(sb, system):
    context = start(sb, system, "prisoner-balance", {"prisonId": "MDI"}).json()
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 295 and row["recordsFailed"] == 5
    assert dlq_counts(sb, system) == {"PRISONER_BALANCE": 5}
    failed = dlq_bodies(sb, system, "PRISONER_BALANCE")
    (whole,) = nomis_get(sb, system, "/prisoners/id-ranges", size=2000).json()
    numbers = {
        p["rootOffenderId"]: p["prisonNumber"]
        for p in nomis_get(sb, system, "/prisoners/ids-in-range", **whole).json()
    }
    assert sorted(numbers[root] for root in failed) == ZZ_PRISONERS


def test_prisoner_balance_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "prisoner-balance", {"prisonId": "BXI"}, "PRISONER_BALANCE")


# -- Temporary Absence repair (TAPs)


def test_taps_of_one_prisoner_replaces_its_mappings(sb, system):
    form = {"_csrf": "x", "prisonerNumber": "B7718YJ", "action": "startMigration"}
    response = start(sb, system, "taps", form)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "EXTERNAL_MOVEMENTS" and context["estimatedCount"] == 1
    assert context["body"] == {"prisonerNumber": "B7718YJ"} and context["properties"] == {}
    first = context["migrationId"]
    sb.wait_for_status(first, "COMPLETED")
    row = history(sb, system, first)
    assert row["filter"] == '{"prisonerNumber":"B7718YJ"}'
    assert row["recordsMigrated"] == 1 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "taps", first) == 1
    # Never skipped: a second run replaces the prisoner's mappings.
    second = start(sb, system, "taps", {"prisonerNumber": "B7718YJ"}).json()["migrationId"]
    sb.wait_for_status(second, "COMPLETED")
    assert history(sb, system, second)["recordsMigrated"] == 1
    assert mapping_count(sb, system, "taps", second) == 1
    assert mapping_count(sb, system, "taps", first) == 0
    names = event_names(sb)
    assert names.count("temporary-absences-migration-entity-migrated") == 2
    assert "temporary-absences-migration-started" in names
    assert "temporary-absences-migration-completed" in names


def test_taps_prisoner_without_taps_is_neither_migrated_nor_failed(sb, system):
    context = start(sb, system, "taps", {"prisonerNumber": "H3977UK"}).json()
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 0
    assert dlq_counts(sb, system) == {}
    (ignored,) = [
        e
        for e in sb.telemetry()["events"]
        if e["name"] == "temporary-absences-migration-entity-ignored"
    ]
    assert ignored["properties"]["offenderNo"] == "H3977UK"


def test_taps_of_everyone_migrates_some_ignores_most_and_fails_the_zz_prisoners(sb, system):
    with_taps = sb.control("GET", "state")["prisonersWithTaps"]
    assert 200 < with_taps < 400  # about 15% of 2,000
    context = start(sb, system, "taps", {"prisonerNumber": ""}).json()
    assert context["estimatedCount"] == 2000 and context["body"] == {"prisonerNumber": ""}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == with_taps and row["recordsFailed"] == 5
    assert mapping_count(sb, system, "taps", migration_id) == with_taps
    assert dlq_counts(sb, system) == {"EXTERNAL_MOVEMENTS": 5}
    failed = sorted(b["offenderNo"] for b in dlq_bodies(sb, system, "EXTERNAL_MOVEMENTS"))
    assert failed == ZZ_PRISONERS
    events = sb.telemetry()["events"]
    names = [e["name"] for e in events]
    assert names.count("temporary-absences-migration-entity-ignored") == 2000 - with_taps - 5
    failures = [e for e in events if e["name"] == "temporary-absences-migration-entity-failed"]
    assert {e["properties"]["offenderNo"] for e in failures} == set(ZZ_PRISONERS)
    assert all("rejected" in e["properties"]["reason"] for e in failures)
    assert names.count("prisoner-from-nomis-migration-externalmovements-sent-to-dlq") == 5


def test_taps_of_an_unknown_prisoner_is_trusted_then_fails(sb, system):
    context = start(sb, system, "taps", {"prisonerNumber": "A0000AA"}).json()
    assert context["estimatedCount"] == 1
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    assert history(sb, system, context["migrationId"])["recordsFailed"] == 1
    assert dlq_bodies(sb, system, "EXTERNAL_MOVEMENTS") == [{"offenderNo": "A0000AA"}]


def test_taps_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "taps", {}, "EXTERNAL_MOVEMENTS")


# -- All of them


def test_empty_scenario_has_no_data_of_the_new_types(sb, system):
    summary = sb.reset("empty")
    for key in ("officialVisits", "prisonBalances", "prisonerBalances", "prisonersWithTaps"):
        assert summary[key] == 0
    assert nomis_get(sb, system, "/prisoners/id-ranges").json() == []
    assert nomis_get(sb, system, "/finance/prison/ids").json() == []
    for slug in ("core-person", "official-visits", "prison-balance", "prisoner-balance", "taps"):
        context = start(sb, system, slug, None if slug == "core-person" else {}).json()
        assert context["estimatedCount"] == 0
        sb.wait_for_status(context["migrationId"], "COMPLETED")
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    for queue_id in (
        "migrationcoreperson",
        "migrationofficialvisits",
        "migrationprisonbalance",
        "migrationprisonerbalance",
        "migrationexternalmovements",
    ):
        assert f"{queue_id}-health" in health
