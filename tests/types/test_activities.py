"""What is particular to Activities, in the dashboard and in the sandbox.

The dashboard: its form, its nine pre-flight checks, "Activate prison", its history row's links
and actions ("End NOMIS activities", "Move start date"). The sandbox: the prison settings (N10-N12,
D1-D3), N1, N13-N16, runs of a prison or one course activity, S11 and S12, and its user
(sandbox/entities/activities/). The pages it shares with every type are covered by
tests/unit/test_type_pages.py with EXAMPLE, its run from the start form to COMPLETED by
tests/integration/test_every_type_completes.py with RUN.
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

from migrations_ui.clients.activities_api import ActivitiesApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.types import activities
from migrations_ui.types.activities.forms import ActivitiesMigrationForm
from tests.factories import HistoryRowFactory, InProgressFactory
from tests.sandbox.calls import (
    API,
    DPS,
    MAPPING,
    NOMIS,
    day,
    events,
    get,
    put,
    start,
)
from tests.sandbox.calls import history as run_history
from tests.sandbox.conftest import user_token
from tests.types import Example, Run, classic_total, csv_download
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]


def activities_url(path: str) -> str:
    return ActivitiesApiClient(username=None).url(path)


def _mock_checks(requests_mock: Any, estimate: int, prison: str = "MDI") -> None:
    """The estimate and the nine checks of an activities preview, with nothing to warn about."""
    requests_mock.get(nomis_url("/activities/ids"), json=classic_total(estimate))
    requests_mock.get(
        nomis_url(f"/prisons/{prison}/incentive-levels"),
        json=[{"code": "BAS", "description": "Basic"}, {"code": "STD", "description": "Standard"}],
    )
    requests_mock.get(nomis_url(f"/agency-switches/ACTIVITY/agency/{prison}"), status_code=204)
    requests_mock.get(
        activities_url(f"/rollout/{prison}"),
        json={"prisonCode": prison, "activitiesRolledOut": True, "appointmentsRolledOut": True},
    )
    requests_mock.get(
        activities_url(f"/prison/{prison}/prison-pay-bands"),
        json=[{"id": 1, "displaySequence": 1, "alias": "Low", "nomisPayBand": 1}],
    )
    requests_mock.get(
        activities_url(f"/prison/prison-regime/{prison}"),
        json=[{"id": 1, "prisonCode": prison, "amStart": "08:30", "dayOfWeek": "MONDAY"}],
    )
    for path in (
        "/allocations/suspended",
        "/allocations/missing-pay-bands",
        "/activities/rates-with-unknown-incentives",
        "/activities/without-schedule-rules",
    ):
        requests_mock.get(nomis_url(path), json=[])


EXAMPLE = Example(
    form={"prisonId": "mdi", "activityStartDate": "2099-01-02", "courseActivityId": " 123 "},
    mock_checks=_mock_checks,
    start_body={"prisonId": "MDI", "activityStartDate": "2099-01-02", "courseActivityId": 123},
    stored_filter={"prisonId": "MDI", "activityStartDate": "2099-01-02"},
    filter_text="Prison: MDI",
    entity={"courseActivityId": 123, "activityStartDate": "2099-01-02"},
    entity_id="123",
)
# The start date must be after today: two days ahead, so a test run that crosses midnight (the
# module is imported before it) still starts the migration.
RUN = Run(
    "ACTIVITIES_USER",
    {
        "prisonId": "lei",
        "activityStartDate": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
        "courseActivityId": "12001",
    },
    migrated=1,
)


# -- The dashboard


MIGRATION_ID = "2024-01-01T10:00:00"
ENCODED = quote(MIGRATION_ID, safe="")
FUTURE = "2099-01-02"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def bound(**values: str) -> ActivitiesMigrationForm:
    data = {"prisonId": "MDI", "activityStartDate": FUTURE, "courseActivityId": ""}
    data.update(values)
    query = QueryDict(mutable=True)
    query.update(data)
    return ActivitiesMigrationForm(query)


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


# -- The form


def test_a_blank_course_activity_is_left_out_and_the_prison_upper_cased() -> None:
    form = bound(prisonId=" mdi ")
    assert form.is_valid()
    assert form.upstream_filter() == {"prisonId": "MDI", "activityStartDate": FUTURE}


def test_the_course_activity_is_sent_as_a_number() -> None:
    form = bound(courseActivityId=" 12345 ")
    assert form.is_valid()
    assert form.upstream_filter()["courseActivityId"] == 12345


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("prisonId", "", "Enter the prison code"),
        ("prisonId", "MD", "Prison code must be 3 letters, like MDI"),
        ("prisonId", "MD1", "Prison code must be 3 letters, like MDI"),
        ("prisonId", "MDIX", "Prison code must be 3 letters, like MDI"),
        ("activityStartDate", "", "Enter the activity start date"),
        (
            "activityStartDate",
            "2099-02-30",
            "Activity start date must be a real date, like 2020-03-23",
        ),
        (
            "activityStartDate",
            "2/1/2099",
            "Activity start date must be a real date, like 2020-03-23",
        ),
        (
            "activityStartDate",
            "2099-01-02T10:00",
            "Activity start date must be a real date, like 2020-03-23",
        ),
        ("activityStartDate", "TODAY", "Activity start date must be a real date, like 2020-03-23"),
        ("courseActivityId", "12a", "Course activity ID must be a whole number, like 12345"),
        ("courseActivityId", "1.5", "Course activity ID must be a whole number, like 12345"),
        ("courseActivityId", "-4", "Course activity ID must be a whole number, like 12345"),
        (
            "courseActivityId",
            "0",
            "Course activity ID must be between 1 and 9223372036854775807",
        ),
    ],
)
def test_each_rule_has_its_govuk_message(field, value, message) -> None:
    form = bound(**{field: value})
    assert not form.is_valid()
    assert form.error_list() == [{"text": message, "href": f"#{field}"}]


@pytest.mark.parametrize("days", [-1, 0])
def test_the_start_date_must_be_after_today(days) -> None:
    form = bound(activityStartDate=(today() + dt.timedelta(days=days)).isoformat())
    assert not form.is_valid()
    assert form.errors["activityStartDate"] == ["Activity start date must be after today"]
    assert bound(activityStartDate=(today() + dt.timedelta(days=1)).isoformat()).is_valid()


@pytest.mark.django_db
def test_a_fresh_form_starts_tomorrow(client, tokens, syscon_user) -> None:
    page = text(sign_in(client, syscon_user).get("/activities-migration/start"))
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    assert f'name="activityStartDate" type="text" value="{tomorrow}"' in page
    assert "Which activities should be migrated?" in page


@pytest.mark.django_db
def test_bad_input_never_reaches_an_upstream(client, tokens, syscon_user, requests_mock) -> None:
    signed_in = sign_in(client, syscon_user)
    response = signed_in.post(
        "/activities-migration/start",
        {"prisonId": "M/D", "activityStartDate": "soon", "courseActivityId": "x"},
    )
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Prison code must be 3 letters, like MDI" in page
    assert requests_mock.call_count == 0


# -- The preview: ten checks side by side


def preview_mocks(requests_mock: Any, estimate: int = 87) -> None:
    EXAMPLE.mock_checks(requests_mock, estimate)
    requests_mock.get(migration_url("/migrate/dead-letter-queue/ACTIVITIES/count"), json=0)
    requests_mock.get(
        migration_url("/migrate/history/active/ACTIVITIES"),
        json=InProgressFactory(migrationType="ACTIVITIES", status="COMPLETED"),
    )


@pytest.fixture
def previewing(client, tokens, syscon_user, requests_mock) -> Client:
    signed_in = sign_in(client, syscon_user)
    response = signed_in.post(
        "/activities-migration/start",
        {"prisonId": "mdi", "activityStartDate": FUTURE, "courseActivityId": "123"},
    )
    assert response.status_code == 302
    preview_mocks(requests_mock)
    return signed_in


@pytest.mark.django_db
def test_each_check_is_asked_with_the_filter(previewing, requests_mock) -> None:
    page = text(previewing.get("/activities-migration/start/preview"))
    assert "Estimated number of activities to be migrated: 87" in page
    assert "Active incentive levels for MDI: BAS, STD." in page
    assert "There is a problem" not in page
    count = next(r for r in requests_mock.request_history if r.path.endswith("/activities/ids"))
    assert count.qs == {"prisonid": ["mdi"], "courseactivityid": ["123"], "size": ["1"]}
    assert "prisonId=MDI" in count.url
    suspended = next(r for r in requests_mock.request_history if r.path.endswith("/suspended"))
    assert suspended.qs["activeondate"] == [FUTURE]
    paths = {r.path for r in requests_mock.request_history}
    for expected in (
        "/prisons/MDI/incentive-levels",
        "/agency-switches/ACTIVITY/agency/MDI",
        "/rollout/MDI",
        "/prison/MDI/prison-pay-bands",
        "/prison/prison-regime/MDI",
        "/allocations/suspended",
        "/allocations/missing-pay-bands",
        "/activities/rates-with-unknown-incentives",
        "/activities/without-schedule-rules",
    ):
        assert any(path.endswith(expected.lower()) for path in paths), expected


FAILURES = [
    ("nomis", "/activities/ids", "Failed to get the count of activities: the NOMIS prisoner API"),
    (
        "nomis",
        "/prisons/MDI/incentive-levels",
        "Failed to check incentive levels for MDI: the NOMIS prisoner API",
    ),
    (
        "nomis",
        "/agency-switches/ACTIVITY/agency/MDI",
        "Failed to check if the ACTIVITY feature switch is turned on in NOMIS for MDI: "
        "the NOMIS prisoner API",
    ),
    (
        "dps",
        "/rollout/MDI",
        "Failed to check if prison MDI is switched on in DPS: the Activities API",
    ),
    (
        "dps",
        "/prison/MDI/prison-pay-bands",
        "Failed to check if prison MDI has pay bands in DPS: the Activities API",
    ),
    (
        "dps",
        "/prison/prison-regime/MDI",
        "Failed to check if prison MDI has slot times configured in DPS: the Activities API",
    ),
    (
        "nomis",
        "/allocations/suspended",
        "Failed to find suspended allocations: the NOMIS prisoner API",
    ),
    (
        "nomis",
        "/allocations/missing-pay-bands",
        "Failed to find allocations with missing pay bands: the NOMIS prisoner API",
    ),
    (
        "nomis",
        "/activities/rates-with-unknown-incentives",
        "Failed to find pay rates with unknown incentive: the NOMIS prisoner API",
    ),
    (
        "nomis",
        "/activities/without-schedule-rules",
        "Failed to find activities without schedule rules: the NOMIS prisoner API",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("service,path,line", FAILURES, ids=[f[1] for f in FAILURES])
def test_a_failed_check_is_its_own_error_line_and_the_rest_still_show(
    previewing, requests_mock, service, path, line
) -> None:
    url = nomis_url(path) if service == "nomis" else activities_url(path)
    requests_mock.get(
        url, status_code=400, json={"status": 400, "userMessage": "Bad request: nope"}
    )
    page = text(previewing.get("/activities-migration/start/preview"))
    assert 'class="govuk-error-summary"' in page
    # GOV.UK: a page showing an error summary starts its title with "Error: ".
    assert "<title>Error: Start a new activities migration - preview" in page
    assert f"{line} had a problem (HTTP 400) (Bad request: nope)" in page
    summary = page[
        page.index("govuk-error-summary__list") : page.index(
            "</ul>", page.index("govuk-error-summary__list")
        )
    ]
    assert summary.count("<li>") == 1
    if path != "/prisons/MDI/incentive-levels":
        assert "Active incentive levels for MDI: BAS, STD." in page
    if path != "/activities/ids":
        assert "Estimated number of activities to be migrated: 87" in page
    else:
        assert "Estimated number of" not in page
    # A failed check is never taken for a warning.
    assert "not turned on" not in page and "has no" not in page


@pytest.mark.django_db
def test_every_check_failing_shows_every_line(previewing, requests_mock) -> None:
    for service, path, _line in FAILURES:
        url = nomis_url(path) if service == "nomis" else activities_url(path)
        requests_mock.get(url, status_code=404 if "regime" not in path else 503)
    requests_mock.get(migration_url("/migrate/dead-letter-queue/ACTIVITIES/count"), status_code=503)
    page = text(previewing.get("/activities-migration/start/preview"))
    for _service, path, line in FAILURES:
        if "agency-switches" in path:
            continue  # 404 is a real answer there: the switch is off
        assert line in page, path
    assert "Failed to get the dead letter queue count: the migration service" in page
    assert "NOMIS feature switch not turned on for MDI." in page


@pytest.mark.django_db
def test_the_banner_says_what_is_not_ready(previewing, requests_mock) -> None:
    requests_mock.get(nomis_url("/agency-switches/ACTIVITY/agency/MDI"), status_code=404)
    requests_mock.get(activities_url("/rollout/MDI"), json={"activitiesRolledOut": False})
    requests_mock.get(activities_url("/prison/MDI/prison-pay-bands"), json=[])
    requests_mock.get(activities_url("/prison/prison-regime/MDI"), status_code=404)
    page = text(previewing.get("/activities-migration/start/preview"))
    assert "NOMIS feature switch not turned on for MDI." in page
    assert 'data-qa="activate-prison-button"' in page
    assert 'action="/activities-migration/start/activate-prison"' in page
    assert "DPS feature switch not turned on for MDI." in page
    assert "DPS has no pay bands for prison MDI." in page
    assert "DPS has no slot times configured for prison MDI." in page
    assert "There is a problem" not in page


@pytest.mark.django_db
def test_the_four_csv_blocks_have_their_headers_and_sorted_lines(previewing, requests_mock) -> None:
    requests_mock.get(
        nomis_url("/allocations/suspended"),
        json=[
            {
                "offenderNo": "B2222BB",
                "courseActivityId": 2,
                "courseActivityDescription": "Kitchens PM",
            },
            {"offenderNo": "A1111AA", "courseActivityId": 1, "courseActivityDescription": "Gym AM"},
        ],
    )
    requests_mock.get(
        nomis_url("/allocations/missing-pay-bands"),
        json=[
            {
                "offenderNo": "A1234AA",
                "incentiveLevel": "STD",
                "courseActivityId": 12345,
                "courseActivityDescription": "Kitchens AM",
            }
        ],
    )
    requests_mock.get(
        nomis_url("/activities/rates-with-unknown-incentives"),
        json=[
            {
                "courseActivityDescription": "Kitchens AM",
                "courseActivityId": 12345,
                "payBandCode": "5",
                "incentiveLevelCode": "EN2",
            }
        ],
    )
    requests_mock.get(
        nomis_url("/activities/without-schedule-rules"),
        json=[
            {"courseActivityId": 12347, "courseActivityDescription": "Yard"},
            {"courseActivityId": 12346, "courseActivityDescription": "Gym PM"},
        ],
    )
    raw = previewing.get("/activities-migration/start/preview").content.decode()

    def block(block_id: str) -> str:
        match = re.search(rf'<textarea[^>]*id="{block_id}"[^>]*>(.*?)</textarea>', raw, re.S)
        assert match, block_id
        assert "readonly" in match.group(0)
        return match.group(1).strip()

    assert block("nomisSuspendedAllocations") == (
        "Activity Description, Activity ID, Prisoner Number,\n"
        "Gym AM, 1, A1111AA,\n"
        "Kitchens PM, 2, B2222BB,"
    )
    assert block("nomisAllocationsMissingPayBands") == (
        "Activity Description, Activity ID, Prisoner Number, Incentive Level,\n"
        "Kitchens AM, 12345, A1234AA, STD,"
    )
    assert block("nomisPayRatesUnknownIncentive") == (
        "Activity Description, Activity ID, Pay Band Code, Incentive Level,\n"
        "Kitchens AM, 12345, 5, EN2,"
    )
    assert block("nomisActivitiesWithoutScheduleRules") == (
        "Activity Description, Activity ID,\nGym PM, 12346,\nYard, 12347,"
    )
    page = re.sub(r"\s+", " ", raw)
    assert "Found suspended allocations in NOMIS for prison MDI." in page
    assert "Found allocations missing pay bands in NOMIS for prison MDI." in page
    assert "Found pay rates in NOMIS without an active incentive level for prison MDI." in page
    assert (
        "Found Activities without schedule rules for prison MDI. These will NOT be migrated "
        "and must be ended in NOMIS." in page
    )


@pytest.mark.django_db
def test_no_csv_block_when_nothing_was_found(previewing) -> None:
    page = previewing.get("/activities-migration/start/preview").content.decode()
    assert "<textarea" not in page
    # Every check answered: no error summary, so no "Error: " in the title.
    assert "<title>Start a new activities migration - preview" in page


# -- Download CSV: each block's check asked again for the filter in the link

SUSPENDED = [
    {"offenderNo": "B2222BB", "courseActivityId": 2, "courseActivityDescription": "Kitchens PM"},
    {"offenderNo": "A1111AA", "courseActivityId": 1, "courseActivityDescription": "Gym AM"},
]
CSV_URL = "/activities-migration/start/preview/suspended_allocations.csv"


def csv_query(**values: str) -> str:
    query = QueryDict(mutable=True)
    query.update({"prisonId": "mdi", "activityStartDate": FUTURE, "courseActivityId": "123"})
    query.update(values)
    return query.urlencode()


@pytest.mark.django_db
def test_each_blocks_download_link_gives_the_blocks_text_as_a_csv_file(
    previewing, requests_mock
) -> None:
    requests_mock.get(nomis_url("/allocations/suspended"), json=SUSPENDED)
    raw = previewing.get("/activities-migration/start/preview").content.decode()
    shown = re.search(
        r'<textarea[^>]*id="nomisSuspendedAllocations"[^>]*>(.*?)</textarea>', raw, re.S
    )
    assert shown
    # Only the block with rows has a link; the others had nothing to show.
    assert raw.count("Download CSV") == 1

    requests_mock.reset_mock()
    response = csv_download(previewing, raw, "nomisSuspendedAllocations")
    assert response["Content-Disposition"] == (
        'attachment; filename="activities-suspended-allocations-MDI.csv"'
    )
    assert response.content.decode() == shown.group(1).strip()
    # One call: the block's own check, with the filter the preview used.
    [call] = requests_mock.request_history
    assert call.path.endswith("/allocations/suspended")
    assert call.qs == {"prisonid": ["mdi"], "courseactivityid": ["123"], "activeondate": [FUTURE]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "check,path",
    [
        ("allocations_missing_pay_bands", "/allocations/missing-pay-bands"),
        ("pay_rates_unknown_incentive", "/activities/rates-with-unknown-incentives"),
        ("activities_without_schedule_rules", "/activities/without-schedule-rules"),
    ],
)
def test_every_block_downloads_from_its_own_check(syscon, requests_mock, check, path) -> None:
    requests_mock.get(
        nomis_url(path),
        json=[{"courseActivityId": 7, "courseActivityDescription": "Yard", "offenderNo": "A1"}],
    )
    response = syscon.get(f"/activities-migration/start/preview/{check}.csv?{csv_query()}")
    assert response.status_code == 200
    assert response.content.decode().splitlines()[1].startswith("Yard, 7,")
    [call] = requests_mock.request_history
    assert call.path.endswith(path.lower())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"prisonId": ""},
        {"prisonId": "MDIX"},
        {"activityStartDate": "2001-01-01"},
        {"activityStartDate": "tomorrow"},
        {"courseActivityId": "twelve"},
    ],
    ids=["no prison", "bad prison", "past date", "bad date", "bad course activity"],
)
def test_a_download_with_a_bad_filter_is_a_400_page_and_asks_nothing(
    syscon, requests_mock, values
) -> None:
    response = syscon.get(f"{CSV_URL}?{csv_query(**values)}")
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in text(response)
    assert response["Content-Type"].startswith("text/html")
    assert requests_mock.call_count == 0


@pytest.mark.django_db
def test_a_download_of_a_check_that_is_not_a_block_is_not_found(syscon, requests_mock) -> None:
    for check in ("nomis_switch", "estimate", "nothing"):
        response = syscon.get(f"/activities-migration/start/preview/{check}.csv?{csv_query()}")
        assert response.status_code == 404
    assert requests_mock.call_count == 0


@pytest.mark.django_db
def test_only_those_who_may_start_activities_may_download(
    client, tokens, appointments_user, activities_user, requests_mock
) -> None:
    requests_mock.get(nomis_url("/allocations/suspended"), json=SUSPENDED)
    refused = sign_in(client, appointments_user).get(f"{CSV_URL}?{csv_query()}")
    assert refused.status_code == 403
    assert requests_mock.call_count == 0
    allowed = sign_in(client, activities_user).get(f"{CSV_URL}?{csv_query()}")
    assert allowed.status_code == 200
    assert "Gym AM, 1, A1111AA," in allowed.content.decode()


@pytest.mark.django_db
def test_a_failed_download_names_the_service(syscon, requests_mock) -> None:
    requests_mock.get(nomis_url("/allocations/suspended"), status_code=500)
    response = syscon.get(f"{CSV_URL}?{csv_query()}")
    assert response.status_code == 502
    assert "The NOMIS prisoner API had a problem" in text(response)
    assert not response.get("Content-Disposition")


# -- Activate prison

SWITCH = nomis_url("/agency-switches/ACTIVITY/agency/MDI")


@pytest.mark.django_db
def test_activate_prison_is_an_audited_post_then_the_preview_again(
    previewing, requests_mock
) -> None:
    post = requests_mock.post(SWITCH, status_code=201)
    response = previewing.post("/activities-migration/start/activate-prison", {"prisonId": "MDI"})
    assert response.status_code == 302
    assert response["Location"] == "/activities-migration/start/preview"
    assert post.call_count == 1
    requested, succeeded = AuditEvent.objects.order_by("id")
    assert (requested.outcome, succeeded.outcome) == ("REQUESTED", "SUCCEEDED")
    assert (succeeded.action, succeeded.subject_id) == ("ACTIVATE_PRISON", "ACTIVITY MDI")
    assert succeeded.migration_type == "ACTIVITIES"
    page = text(previewing.get(response["Location"]))
    assert "NOMIS feature switch turned on for MDI." in page
    assert "Estimated number of activities to be migrated: 87" in page


@pytest.mark.django_db
def test_activate_prison_is_never_a_get(previewing, requests_mock) -> None:
    assert (
        previewing.get("/activities-migration/start/activate-prison?prisonId=MDI").status_code
        == 405
    )
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


@pytest.mark.django_db
def test_activate_prison_without_a_csrf_token_is_refused(
    tokens, syscon_user, requests_mock
) -> None:
    strict = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    post = requests_mock.post(SWITCH, status_code=201)
    response = strict.post("/activities-migration/start/activate-prison", {"prisonId": "MDI"})
    assert response.status_code == 403
    assert post.call_count == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_only_the_previewed_prison_can_be_activated(previewing, requests_mock) -> None:
    post = requests_mock.post(nomis_url("/agency-switches/ACTIVITY/agency/LEI"), status_code=201)
    page = text(previewing.post("/activities-migration/start/activate-prison", {"prisonId": "LEI"}))
    assert "Only a prison of this migration&#39;s filter can be activated." in page
    assert post.call_count == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_activation_is_an_error_line_on_the_preview(previewing, requests_mock) -> None:
    requests_mock.post(SWITCH, status_code=500, json={"status": 500, "userMessage": "boom"})
    page = text(previewing.post("/activities-migration/start/activate-prison", {"prisonId": "MDI"}))
    assert "There is a problem" in page
    assert (
        "The NOMIS feature switch could not be turned on for MDI: the NOMIS prisoner API had a "
        "problem (HTTP 500): boom." in page
    )
    assert AuditEvent.objects.order_by("id").last().outcome == "FAILED"


# -- The history: links and follow-up actions


def history(requests_mock: Any, **row: Any) -> None:
    requests_mock.get(
        migration_url("/migrate/history/all/ACTIVITIES"),
        json=[HistoryRowFactory(migrationId=MIGRATION_ID, migrationType="ACTIVITIES", **row)],
    )


def one_migration(requests_mock: Any, **row: Any) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{ENCODED}"),
        json=HistoryRowFactory(migrationId=MIGRATION_ID, migrationType="ACTIVITIES", **row),
    )


@pytest.fixture
def syscon(client, tokens, syscon_user) -> Client:
    return sign_in(client, syscon_user)


@pytest.mark.django_db
def test_each_row_offers_insights_links_and_the_ignored_activities_when_ended_short(
    syscon, requests_mock
) -> None:
    history(
        requests_mock,
        stored_filter={"prisonId": "MDI", "activityStartDate": FUTURE},
        estimatedRecordCount=10,
        recordsMigrated=7,
        recordsFailed=1,
    )
    page = text(syscon.get("/activities-migration/"))
    assert "View all migration events in App Insights" in page
    assert "View failures in App Insights" in page
    assert "View ignored activities in App Insights" in page
    assert 'href="/activities-migration/failures/' not in page
    for label in ("Prison: MDI", f"Activity start date: {FUTURE}"):
        assert label in page


@pytest.mark.django_db
def test_migrate_allocations_links_to_a_prefilled_allocations_start(syscon, requests_mock) -> None:
    history(
        requests_mock,
        stored_filter={"prisonId": "MDI", "activityStartDate": FUTURE, "courseActivityId": 12},
    )
    page = text(syscon.get("/activities-migration/"))
    assert (
        f'href="/allocations-migration/start?prisonId=MDI&amp;activityStartDate={FUTURE}'
        '&amp;courseActivityId=12"' in page
    ) or (
        f'href="/allocations-migration/start?prisonId=MDI&activityStartDate={FUTURE}'
        '&courseActivityId=12"' in page
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,stored,offered",
    [
        ("COMPLETED", {"prisonId": "MDI", "activityStartDate": FUTURE}, True),
        ("STARTED", {"prisonId": "MDI", "activityStartDate": FUTURE}, False),
        ("CANCELLED", {"prisonId": "MDI", "activityStartDate": FUTURE}, False),
        (
            "COMPLETED",
            {"prisonId": "MDI", "activityStartDate": FUTURE, "nomisActivityEndDate": "2099-01-01"},
            False,
        ),
    ],
)
def test_end_nomis_activities_is_offered_only_for_a_completed_run_not_yet_ended(
    syscon, requests_mock, status, stored, offered
) -> None:
    history(requests_mock, status=status, stored_filter=stored)
    page = text(syscon.get("/activities-migration/"))
    assert ('data-qa="end-activities-link"' in page) == offered


@pytest.mark.django_db
def test_end_nomis_activities_asks_first_then_ends_them_once_audited(syscon, requests_mock) -> None:
    one_migration(
        requests_mock, stored_filter={"prisonId": "MDI", "activityStartDate": "2099-03-01"}
    )
    end = requests_mock.put(migration_url(f"/migrate/activities/{ENCODED}/end"), status_code=200)
    confirm = text(syscon.get(f"/activities-migration/{MIGRATION_ID}/end-activities"))
    assert "28 February 2099" in confirm and "2099-02-28" in confirm
    assert end.call_count == 0
    assert AuditEvent.objects.count() == 0

    response = syscon.post(f"/activities-migration/{MIGRATION_ID}/end-activities")
    assert response.status_code == 302
    assert response["Location"] == "/activities-migration/"
    assert end.call_count == 1
    _requested, succeeded = AuditEvent.objects.order_by("id")
    assert (succeeded.action, succeeded.outcome) == ("END_ACTIVITIES", "SUCCEEDED")
    assert succeeded.subject_id == f"ACTIVITIES {MIGRATION_ID}"
    history(requests_mock, stored_filter={"prisonId": "MDI"})
    page = text(syscon.get("/activities-migration/"))
    assert f"OK: the NOMIS activities of migration {MIGRATION_ID} end on 28 February 2099." in page


@pytest.mark.django_db
def test_end_nomis_activities_without_a_csrf_token_is_refused(
    tokens, syscon_user, requests_mock
) -> None:
    strict = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    end = requests_mock.put(migration_url(f"/migrate/activities/{ENCODED}/end"), status_code=200)
    assert strict.post(f"/activities-migration/{MIGRATION_ID}/end-activities").status_code == 403
    assert end.call_count == 0


@pytest.mark.django_db
def test_no_activities_to_end_is_said_plainly(syscon, requests_mock) -> None:
    one_migration(requests_mock, stored_filter={"prisonId": "MDI", "activityStartDate": FUTURE})
    requests_mock.put(
        migration_url(f"/migrate/activities/{ENCODED}/end"),
        status_code=404,
        json={"status": 404, "userMessage": f"Not Found: No migrations found for {MIGRATION_ID}"},
    )
    syscon.post(f"/activities-migration/{MIGRATION_ID}/end-activities")
    history(requests_mock, stored_filter={"prisonId": "MDI"})
    assert "No activities were found to end for this migration" in text(
        syscon.get("/activities-migration/")
    )
    assert AuditEvent.objects.order_by("id").last().outcome == "FAILED"


@pytest.mark.django_db
def test_a_failed_end_names_the_service_on_the_confirmation_page(syscon, requests_mock) -> None:
    one_migration(requests_mock, stored_filter={"prisonId": "MDI", "activityStartDate": FUTURE})
    requests_mock.put(migration_url(f"/migrate/activities/{ENCODED}/end"), status_code=502)
    page = text(syscon.post(f"/activities-migration/{MIGRATION_ID}/end-activities"))
    assert "There is a problem" in page
    assert (
        "The NOMIS activities were not ended: the migration service had a problem (HTTP 502)."
        in page
    )


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["STARTED", "CANCELLED"])
def test_a_run_that_did_not_complete_is_never_ended(syscon, requests_mock, status) -> None:
    one_migration(requests_mock, status=status, stored_filter={"prisonId": "MDI"})
    end = requests_mock.put(migration_url(f"/migrate/activities/{ENCODED}/end"), status_code=200)
    response = syscon.post(f"/activities-migration/{MIGRATION_ID}/end-activities")
    assert response.status_code == 302
    assert end.call_count == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_another_types_run_is_not_found(syscon, requests_mock) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{ENCODED}"),
        json=HistoryRowFactory(migrationId=MIGRATION_ID, migrationType="VISITS"),
    )
    assert syscon.get(f"/activities-migration/{MIGRATION_ID}/end-activities").status_code == 404
    assert syscon.post(f"/activities-migration/{MIGRATION_ID}/move-start-date").status_code == 404


# -- Move start date

ENDED = {"prisonId": "MDI", "activityStartDate": FUTURE, "nomisActivityEndDate": "2099-01-01"}
MOVE = migration_url(f"/migrate/activities/{ENCODED}/move-start-dates")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stored,offered",
    [
        (ENDED, True),
        ({**ENDED, "courseActivityId": 5}, False),
        ({"prisonId": "MDI", "activityStartDate": FUTURE}, False),
        ({**ENDED, "activityStartDate": "2020-01-02"}, False),
    ],
)
def test_move_start_date_is_offered_only_for_an_ended_whole_prison_run_not_started(
    syscon, requests_mock, stored, offered
) -> None:
    history(requests_mock, stored_filter=stored)
    page = text(syscon.get("/activities-migration/"))
    assert ('data-qa="move-start-date-link"' in page) == offered


@pytest.mark.django_db
def test_a_started_run_cannot_have_its_date_moved(syscon, requests_mock) -> None:
    one_migration(requests_mock, stored_filter={**ENDED, "activityStartDate": today().isoformat()})
    move = requests_mock.put(MOVE, json=[])
    page = text(
        syscon.post(
            f"/activities-migration/{MIGRATION_ID}/move-start-date",
            {"newActivityStartDate": FUTURE},
        )
    )
    assert "You cannot move the date for an activity that has already started." in page
    assert 'name="newActivityStartDate"' not in page
    assert move.call_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed,message",
    [
        ("", "Enter the new activity start date"),
        ("2099-13-01", "New activity start date must be a real date, like 2020-03-23"),
        ("tomorrow", "New activity start date must be a real date, like 2020-03-23"),
        (FUTURE, "New activity start date must be after the current start date"),
        ("2099-01-01", "New activity start date must be after the current start date"),
    ],
)
def test_the_new_date_rules(syscon, requests_mock, typed, message) -> None:
    one_migration(requests_mock, stored_filter=ENDED)
    move = requests_mock.put(MOVE, json=[])
    page = text(
        syscon.post(
            f"/activities-migration/{MIGRATION_ID}/move-start-date", {"newActivityStartDate": typed}
        )
    )
    assert "There is a problem" in page
    assert message in page
    assert move.call_count == 0


@pytest.mark.django_db
def test_moving_sends_the_new_date_audited_and_lists_dps_warnings(syscon, requests_mock) -> None:
    one_migration(requests_mock, stored_filter=ENDED)
    form = text(syscon.get(f"/activities-migration/{MIGRATION_ID}/move-start-date"))
    assert '<h1 class="govuk-heading-l">Move activity start date</h1>' in form
    assert "Migration properties:" in form
    move = requests_mock.put(MOVE, json=["Activity 1 has no slots", "Activity <2> moved"])
    response = syscon.post(
        f"/activities-migration/{MIGRATION_ID}/move-start-date",
        {"newActivityStartDate": " 2099-02-01 "},
    )
    assert response.status_code == 302 and response["Location"] == "/activities-migration/"
    assert move.call_count == 1
    assert json.loads(move.last_request.body) == {"newActivityStartDate": "2099-02-01"}
    succeeded = AuditEvent.objects.order_by("id").last()
    assert (succeeded.action, succeeded.outcome) == ("MOVE_START_DATE", "SUCCEEDED")
    assert succeeded.details == {"activityStartDate": FUTURE, "newActivityStartDate": "2099-02-01"}
    history(requests_mock, stored_filter=ENDED)
    page = text(syscon.get("/activities-migration/"))
    assert "Start dates moved, with these warnings from DPS:</p>" in page
    assert "<li>Activity 1 has no slots</li>" in page
    assert "<li>Activity &lt;2&gt; moved</li>" in page


@pytest.mark.django_db
def test_moving_without_warnings_says_so(syscon, requests_mock) -> None:
    one_migration(requests_mock, stored_filter=ENDED)
    requests_mock.put(MOVE, json=[])
    syscon.post(
        f"/activities-migration/{MIGRATION_ID}/move-start-date",
        {"newActivityStartDate": "2099-02-01"},
    )
    history(requests_mock, stored_filter=ENDED)
    assert "Start dates moved to 2099-02-01." in text(syscon.get("/activities-migration/"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,body",
    [
        (
            400,
            {
                "status": 400,
                "userMessage": "Bad Request: The new start date must be after the current "
                "start date 2099-01-02",
            },
        ),
        (
            400,
            {
                "status": 400,
                "userMessage": "Bad Request: Can only move start dates if the NOMIS activities "
                "have been ended",
            },
        ),
        (
            500,
            {"status": 400, "userMessage": "Internal error: Failed to move activity start dates"},
        ),
    ],
)
def test_an_upstream_refusal_shows_its_user_message_on_the_form(
    syscon, requests_mock, status, body
) -> None:
    one_migration(requests_mock, stored_filter=ENDED)
    move = requests_mock.put(MOVE, status_code=status, json=body)
    page = text(
        syscon.post(
            f"/activities-migration/{MIGRATION_ID}/move-start-date",
            {"newActivityStartDate": "2099-02-01"},
        )
    )
    assert body["userMessage"] in page
    assert "undefined" not in page
    assert 'value="2099-02-01"' in page
    assert move.call_count == 1  # a PUT is never retried
    assert AuditEvent.objects.order_by("id").last().outcome == "FAILED"


@pytest.mark.django_db
def test_move_start_date_without_a_csrf_token_is_refused(
    tokens, syscon_user, requests_mock
) -> None:
    strict = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    move = requests_mock.put(MOVE, json=[])
    response = strict.post(
        f"/activities-migration/{MIGRATION_ID}/move-start-date",
        {"newActivityStartDate": "2099-02-01"},
    )
    assert response.status_code == 403
    assert move.call_count == 0


def test_the_ignored_activities_query_joins_the_reason() -> None:
    row = type("M", (), {"migration_id": MIGRATION_ID, "when_started": None, "when_ended": None})()
    query = activities.ignored_activities_query(row)
    assert "| where Name startswith 'activity-migration'" in query
    assert "| where Name endswith 'ignored'" in query
    assert "Will not migrate" in query


# -- The sandbox


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
    row = run_history(sb, system, migration_id)
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
    assert run_history(sb, system, again)["recordsMigrated"] == 0
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
    assert json.loads(run_history(sb, system, migration_id)["filter"]) == {
        "prisonId": "MDI",
        "courseActivityId": 11002,
        "activityStartDate": day(5),
        "nomisActivityEndDate": day(4),
    }
    # A run that mapped nothing (no such course activity) has nothing to end.
    empty_run = run_activities(sb, system, courseActivityId=99999)
    assert run_history(sb, system, empty_run)["estimatedRecordCount"] == 0
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
    assert json.loads(run_history(sb, system, migration_id)["filter"])["activityStartDate"] == day(
        2
    )

    moved = put(sb, system, path, {"newActivityStartDate": day(10)})
    assert moved.status_code == 200
    warnings = moved.json()
    assert isinstance(warnings, list) and len(warnings) == 2
    assert all("was not moved" in w for w in warnings)
    assert json.loads(run_history(sb, system, migration_id)["filter"]) == {
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


def run_activities(sb, headers, **body):
    response = start(sb, headers, "activities", {"prisonId": "MDI", **body})
    assert response.status_code == 202, response.text
    migration_id = response.json()["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    return migration_id


def test_the_empty_scenario_keeps_the_prisons_but_no_activities(sb, system):
    # Split from test_the_three_types_have_queues_summaries_and_no_data_in_empty.
    summary = sb.control("GET", "state")
    assert summary["courseActivities"] == 160
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert health["migrationactivities-health"]["details"]["queueName"] == (
        "migration_activities_queue"
    )
    empty = sb.reset("empty")
    assert empty["courseActivities"] == 0
    # The prisons and their settings are still there: a start finds nothing to migrate.
    context = start(sb, system, "activities", {"prisonId": "MDI"}).json()
    assert context["estimatedCount"] == 0
    assert get(sb, f"{NOMIS}/agency-switches/ACTIVITY/agency/LEI", system).status_code == 204
    assert (
        get(sb, f"{NOMIS}/activities/without-schedule-rules", system, prisonId="MDI").json() == []
    )


# -- Users


def test_activities_user_signs_in_with_its_role(sb):
    # Split from test_activities_and_appointments_users_sign_in_with_their_roles.
    claims = jwt.decode(user_token(sb, "ACTIVITIES_USER"), options={"verify_signature": False})
    assert claims["user_name"] == "ACTIVITIES_USER" and claims["name"] == "Ada Activities"
    assert claims["authorities"] == ["ROLE_MIGRATE_ACTIVITIES"]
    users = {u["username"]: u for u in sb.control("GET", "users")}
    assert users["ACTIVITIES_USER"]["roles"] == ["ROLE_MIGRATE_ACTIVITIES"]
