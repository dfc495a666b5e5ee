"""What is particular to Appointments, in the dashboard and in the sandbox.

The dashboard: its form, its pre-flight checks, "Activate prison" and its start body. The
sandbox: N3, N4, runs from a date on, and its user (sandbox/entities/appointments/). The pages it
shares with every type are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from
the start form to COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client

from migrations_ui.models import AuditEvent
from migrations_ui.types.appointments.forms import AppointmentsMigrationForm
from sandbox.entities.appointments import build
from tests.factories import InProgressFactory
from tests.sandbox.calls import (
    API,
    MAPPING,
    NOMIS,
    day,
    events,
    get,
    history,
    start,
)
from tests.sandbox.conftest import user_token
from tests.types import Example, Run, classic_total, csv_download
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]

# The run's first date: two days ahead, not tomorrow. The sandbox puts future appointments 2-90
# days after its today and four past ones of each prison on today itself (k = 365, 730, 1095,
# 1460). This date is worked out when the module is imported, so when the run came after
# midnight, tomorrow was the sandbox's today: those four came in and 451 migrated. Two days ahead
# takes the same 450 future ones on either day.
FROM_DATE = (dt.date.today() + dt.timedelta(days=2)).isoformat()


def _mock_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/appointments/ids"), json=classic_total(estimate))
    requests_mock.get(
        re.compile(re.escape(nomis_url("/agency-switches/APPOINTMENTS/agency/")) + "[A-Z]{3}$"),
        status_code=204,
    )
    requests_mock.get(nomis_url("/appointments/counts"), json=[])


EXAMPLE = Example(
    form={"prisonIds": " hei, mdi ", "fromDate": "2020-03-23", "toDate": ""},
    mock_checks=_mock_checks,
    start_body={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
    stored_filter={"fromDate": "2020-03-23", "prisonIds": ["HEI"]},
    filter_text="Prisons: HEI",
    entity={"eventId": 555001},
    entity_id="555001",
)
RUN = Run("APPOINTMENTS_USER", {"prisonIds": "LEI", "fromDate": FROM_DATE}, migrated=447, failed=1)


@pytest.mark.parametrize("days_later", [0, 1], ids=["same day", "after midnight"])
def test_the_runs_first_date_takes_the_same_future_appointments_after_midnight(days_later) -> None:
    today = dt.date.today() + dt.timedelta(days=days_later)
    chosen = build("default", today).select(["LEI"], dt.date.fromisoformat(FROM_DATE), None)
    assert len(chosen) == 450
    assert all(a.event_date > today for a in chosen)


# -- The dashboard


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def form(**values: str) -> AppointmentsMigrationForm:
    data = QueryDict(mutable=True)
    data.update({"prisonIds": "HEI", "fromDate": "", "toDate": "", **values})
    return AppointmentsMigrationForm(data)


def test_prisons_are_split_trimmed_upper_cased_and_blank_dates_left_out() -> None:
    bound = form(prisonIds=" hei,  mdi wwi,hei ")
    assert bound.is_valid()
    assert bound.upstream_filter() == {"prisonIds": ["HEI", "MDI", "WWI"]}


def test_dates_are_sent_when_given() -> None:
    bound = form(fromDate="2020-03-23", toDate=" 2020-03-30 ")
    assert bound.is_valid()
    assert bound.upstream_filter() == {
        "prisonIds": ["HEI"],
        "fromDate": "2020-03-23",
        "toDate": "2020-03-30",
    }


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("prisonIds", "", "Enter the prison codes"),
        ("prisonIds", " , ", "Enter the prison codes"),
        ("prisonIds", "HEI, MD1", "Prison codes must be 3 letters each, like HEI, WWI"),
        ("prisonIds", "HEIX", "Prison codes must be 3 letters each, like HEI, WWI"),
        (
            "fromDate",
            "2020-02-30",
            "Earliest appointment date must be a real date, like 2020-03-23",
        ),
        ("toDate", "23/03/2020", "Latest appointment date must be a real date, like 2020-03-23"),
    ],
)
def test_each_rule_has_its_govuk_message(field, value, message) -> None:
    bound = form(**{field: value})
    assert not bound.is_valid()
    assert bound.error_list() == [{"text": message, "href": f"#{field}"}]


def test_the_dates_must_be_in_order() -> None:
    bound = form(fromDate="2020-03-30", toDate="2020-03-23")
    assert not bound.is_valid()
    assert bound.errors["fromDate"] == [
        "Earliest appointment date must be the same as or before the latest appointment date"
    ]


# -- The preview


def switch_url(prison: str) -> str:
    return nomis_url(f"/agency-switches/APPOINTMENTS/agency/{prison}")


@pytest.fixture
def previewing(client, tokens, syscon_user, requests_mock) -> Client:
    signed_in = sign_in(client, syscon_user)
    response = signed_in.post(
        "/appointments-migration/start", {"prisonIds": "hei, mdi", "fromDate": "2020-03-23"}
    )
    assert response.status_code == 302
    EXAMPLE.mock_checks(requests_mock, 6000)
    requests_mock.get(migration_url("/migrate/dead-letter-queue/APPOINTMENTS/count"), json=0)
    requests_mock.get(
        migration_url("/migrate/history/active/APPOINTMENTS"),
        json=InProgressFactory(migrationType="APPOINTMENTS", status="COMPLETED"),
    )
    return signed_in


def preview(client: Client) -> str:
    return text(client.get("/appointments-migration/start/preview"))


@pytest.mark.django_db
def test_the_checks_are_asked_with_the_filter(previewing, requests_mock) -> None:
    page = preview(previewing)
    assert "Estimated number of appointments to be migrated: 6,000" in page
    assert "There is a problem" not in page
    assert "not turned on" not in page
    history = requests_mock.request_history
    count = next(r for r in history if r.path.endswith("/appointments/ids"))
    assert count.qs == {"prisonids": ["hei", "mdi"], "fromdate": ["2020-03-23"], "size": ["1"]}
    counts = next(r for r in history if r.path.endswith("/appointments/counts"))
    assert counts.qs == {"prisonids": ["hei", "mdi"], "fromdate": ["2020-03-23"]}
    asked = sorted(r.path for r in history if "/agency-switches/" in r.path)
    assert asked == [
        "/nomis-prisoner-api/agency-switches/appointments/agency/hei",
        "/nomis-prisoner-api/agency-switches/appointments/agency/mdi",
    ]


@pytest.mark.django_db
def test_each_switched_off_prison_has_its_line_and_activate_button(
    previewing, requests_mock
) -> None:
    requests_mock.get(switch_url("MDI"), status_code=404)
    page = preview(previewing)
    assert "NOMIS feature switch not turned on for MDI." in page
    assert 'data-qa="activate-prison-button-MDI"' in page
    assert "not turned on for HEI" not in page


@pytest.mark.django_db
def test_each_failed_check_is_its_own_error_line(previewing, requests_mock) -> None:
    requests_mock.get(switch_url("HEI"), status_code=500, json={"userMessage": "switch broke"})
    requests_mock.get(switch_url("MDI"), status_code=404)
    requests_mock.get(nomis_url("/appointments/counts"), status_code=503)
    requests_mock.get(
        migration_url("/migrate/dead-letter-queue/APPOINTMENTS/count"), status_code=500
    )
    page = preview(previewing)
    assert "There is a problem" in page
    assert (
        "Failed to check if the APPOINTMENTS feature switch is turned on in NOMIS for HEI: "
        "the NOMIS prisoner API had a problem (HTTP 500) (switch broke)" in page
    )
    assert (
        "Failed to find appointment summary counts: the NOMIS prisoner API had a problem "
        "(HTTP 503)" in page
    )
    assert "Failed to get the dead letter queue count: the migration service" in page
    # The rest still show.
    assert "NOMIS feature switch not turned on for MDI." in page
    assert "Estimated number of appointments to be migrated: 6,000" in page
    assert "not turned on for HEI" not in page


@pytest.mark.django_db
def test_a_failed_estimate_is_an_error_line_not_a_zero(previewing, requests_mock) -> None:
    requests_mock.get(nomis_url("/appointments/ids"), status_code=400, json={"userMessage": "no"})
    page = preview(previewing)
    assert "Failed to get the count of appointments: the NOMIS prisoner API had a problem" in page
    assert "Estimated number of" not in page


@pytest.mark.django_db
def test_the_counts_are_a_csv_block_with_sorted_lines(previewing, requests_mock) -> None:
    requests_mock.get(
        nomis_url("/appointments/counts"),
        json=[
            {"prisonId": "MDI", "eventSubType": "GYM", "future": True, "count": 3},
            {"prisonId": "HEI", "eventSubType": "ACCA", "future": False, "count": 20},
        ],
    )
    raw = previewing.get("/appointments-migration/start/preview").content.decode()
    match = re.search(r'<textarea[^>]*id="nomisAppointmentCounts"[^>]*>(.*?)</textarea>', raw, re.S)
    assert "readonly" in match.group(0)
    assert match.group(1).strip() == (
        "Prison, Event Sub Type, Future appointment?, Count,\n"
        "HEI, ACCA, false, 20,\n"
        "MDI, GYM, true, 3,"
    )
    assert "Summarised appointment counts for prisons HEI, MDI." in text(
        previewing.get("/appointments-migration/start/preview")
    )


@pytest.mark.django_db
def test_the_counts_download_as_a_csv_file_of_the_previewed_prisons(
    previewing, requests_mock
) -> None:
    requests_mock.get(
        nomis_url("/appointments/counts"),
        json=[{"prisonId": "HEI", "eventSubType": "ACCA", "future": False, "count": 20}],
    )
    raw = previewing.get("/appointments-migration/start/preview").content.decode()

    requests_mock.reset_mock()
    response = csv_download(previewing, raw, "nomisAppointmentCounts")
    assert response["Content-Disposition"] == (
        'attachment; filename="appointments-counts-HEI-MDI.csv"'
    )
    assert response.content.decode() == (
        "Prison, Event Sub Type, Future appointment?, Count,\nHEI, ACCA, false, 20,"
    )
    [call] = requests_mock.request_history
    assert call.path.endswith("/appointments/counts")
    assert call.qs == {"prisonids": ["hei", "mdi"], "fromdate": ["2020-03-23"]}


@pytest.mark.django_db
def test_a_counts_download_with_bad_dates_is_a_400_page(previewing, requests_mock) -> None:
    requests_mock.reset_mock()
    url = "/appointments-migration/start/preview/counts.csv"
    response = previewing.get(url, {"prisonIds": "MDI", "fromDate": "2020-02-30"})
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in text(response)
    assert previewing.get(url, {"prisonIds": ""}).status_code == 400
    assert requests_mock.call_count == 0


@pytest.mark.django_db
def test_a_counts_download_is_refused_without_the_appointments_role(
    client, tokens, activities_user, requests_mock
) -> None:
    url = "/appointments-migration/start/preview/counts.csv?prisonIds=MDI"
    assert sign_in(client, activities_user).get(url).status_code == 403
    assert requests_mock.call_count == 0


@pytest.mark.django_db
def test_activate_prison_is_an_audited_post_for_a_previewed_prison(
    previewing, requests_mock
) -> None:
    post = requests_mock.post(switch_url("MDI"), status_code=201)
    response = previewing.post("/appointments-migration/start/activate-prison", {"prisonId": "mdi"})
    assert response["Location"] == "/appointments-migration/start/preview"
    assert post.call_count == 1
    succeeded = AuditEvent.objects.order_by("id").last()
    assert (succeeded.action, succeeded.outcome) == ("ACTIVATE_PRISON", "SUCCEEDED")
    assert succeeded.subject_id == "APPOINTMENTS MDI"
    assert succeeded.migration_type == "APPOINTMENTS"
    assert "NOMIS feature switch turned on for MDI." in preview(previewing)


@pytest.mark.django_db
def test_activate_prison_refuses_a_prison_not_previewed(previewing, requests_mock) -> None:
    post = requests_mock.post(switch_url("WWI"), status_code=201)
    page = text(
        previewing.post("/appointments-migration/start/activate-prison", {"prisonId": "WWI"})
    )
    assert "Only a prison of this migration&#39;s filter can be activated." in page
    assert post.call_count == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_activate_prison_without_a_csrf_token_is_refused(
    tokens, syscon_user, requests_mock
) -> None:
    strict = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    post = requests_mock.post(switch_url("MDI"), status_code=201)
    response = strict.post("/appointments-migration/start/activate-prison", {"prisonId": "MDI"})
    assert response.status_code == 403
    assert post.call_count == 0


@pytest.mark.django_db
def test_a_failed_activation_is_shown_on_the_preview(previewing, requests_mock) -> None:
    requests_mock.post(switch_url("HEI"), status_code=404, json={"userMessage": "unknown agency"})
    page = text(
        previewing.post("/appointments-migration/start/activate-prison", {"prisonId": "HEI"})
    )
    assert (
        "The NOMIS feature switch could not be turned on for HEI: the NOMIS prisoner API had a "
        "problem (HTTP 404): unknown agency." in page
    )


@pytest.mark.django_db
def test_the_start_body_has_numbers_lists_and_no_blanks(previewing, requests_mock) -> None:
    page = previewing.get("/appointments-migration/start/preview").content.decode()
    token = re.search(r'name="preview_token" value="([^"]+)"', page).group(1)
    start = requests_mock.post(
        migration_url("/migrate/appointments"),
        status_code=202,
        json={"migrationId": "2024-01-01T10:00:00", "estimatedCount": 6000, "body": {}},
    )
    previewing.post("/appointments-migration/start/preview", {"preview_token": token})
    assert json.loads(start.last_request.body) == {
        "prisonIds": ["HEI", "MDI"],
        "fromDate": "2020-03-23",
    }


# -- The sandbox


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


def test_the_empty_scenario_has_no_appointments(sb, system):
    # Split from test_the_three_types_have_queues_summaries_and_no_data_in_empty.
    assert sb.control("GET", "state")["appointments"] == 6000
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert health["migrationappointments-health"]["details"]["dlqName"] == (
        "migration_appointments_dlq"
    )
    assert sb.reset("empty")["appointments"] == 0


# -- Users


def test_appointments_user_signs_in_with_its_role(sb):
    # Split from test_activities_and_appointments_users_sign_in_with_their_roles.
    claims = jwt.decode(user_token(sb, "APPOINTMENTS_USER"), options={"verify_signature": False})
    assert claims["user_name"] == "APPOINTMENTS_USER" and claims["name"] == "Apu Appointments"
    assert claims["authorities"] == ["ROLE_MIGRATE_APPOINTMENTS"]
    users = {u["username"]: u for u in sb.control("GET", "users")}
    assert users["APPOINTMENTS_USER"]["roles"] == ["ROLE_MIGRATE_APPOINTMENTS"]
