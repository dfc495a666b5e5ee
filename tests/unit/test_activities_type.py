"""What is particular to Activities: its form, its ten checks, the CSV blocks and the follow-up
actions (Activate prison, End NOMIS activities, Move start date).

The pages every type shares are covered by test_type_pages.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client

from migrations_ui.models import AuditEvent
from migrations_ui.types import activities
from migrations_ui.types.activities.forms import ActivitiesMigrationForm
from tests.factories import HistoryRowFactory, InProgressFactory
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in
from tests.unit.type_examples import EXAMPLES, activities_url

pytest_plugins = ["tests.unit.conftest_visits"]

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
        ("prisonId", "", "Enter a prison ID."),
        ("prisonId", "MD", "The prison ID must contain 3 letters."),
        ("prisonId", "MD1", "The prison ID must contain 3 letters."),
        ("prisonId", "MDIX", "The prison ID must contain 3 letters."),
        ("activityStartDate", "", "Enter a date."),
        ("activityStartDate", "2099-02-30", "Enter a valid date."),
        ("activityStartDate", "2/1/2099", "Enter a valid date."),
        ("activityStartDate", "2099-01-02T10:00", "Enter a valid date."),
        ("activityStartDate", "TODAY", "Enter a valid date."),
        ("courseActivityId", "12a", "The Course Activity ID must be an integer."),
        ("courseActivityId", "1.5", "The Course Activity ID must be an integer."),
        ("courseActivityId", "-4", "The Course Activity ID must be an integer."),
        ("courseActivityId", "0", "The Course Activity ID must be a whole number greater than 0."),
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
    assert form.errors["activityStartDate"] == ["The activity start date must be after today."]
    assert bound(activityStartDate=(today() + dt.timedelta(days=1)).isoformat()).is_valid()


@pytest.mark.django_db
def test_a_fresh_form_starts_tomorrow(client, tokens, syscon_user) -> None:
    page = text(sign_in(client, syscon_user).get("/activities-migration/start"))
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    assert f'name="activityStartDate" type="text" value="{tomorrow}"' in page
    assert "Enter the filter details for the Activities entities you want to migrate" in page


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
    assert "The prison ID must contain 3 letters." in page
    assert requests_mock.call_count == 0


# -- The preview: ten checks side by side


def preview_mocks(requests_mock: Any, estimate: int = 87) -> None:
    EXAMPLES["activities"].mock_checks(requests_mock, estimate)
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
        ("", "Enter a date."),
        ("2099-13-01", "Enter a valid date."),
        ("tomorrow", "Enter a valid date."),
        (FUTURE, "The new activity start date must be after the existing start date."),
        ("2099-01-01", "The new activity start date must be after the existing start date."),
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
