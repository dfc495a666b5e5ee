"""The audit log in Chromium: SYSCON_USER signs in, filters the log, and axe finds nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from migrations_ui.models import AuditEvent
from tests.browser.axe import assert_no_axe_violations
from tests.browser.test_sign_in import sign_in
from tests.unit.test_audit_review import WINTER, make_event, make_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def events() -> None:
    make_start(WINTER, "2022-03-14T10:13:56", filter={"prisonIds": ["HEI"], "visitTypes": ["SCON"]})
    make_event(
        WINTER + dt.timedelta(hours=1),
        username="VISITS_USER",
        display_name="Vera Visits",
        action=AuditEvent.Action.CANCEL_MIGRATION,
        migration_id="2022-03-14T10:13:56",
        outcome=AuditEvent.Outcome.FAILED,
        upstream_status=502,
        message="migration service: unavailable",
    )


def test_syscon_reviews_and_filters_the_audit_log_accessibly(
    page: Any, dashboard: Any, events: None
) -> None:
    sign_in(page, dashboard, "SYSCON_USER", start="/audit/")
    assert page.locator("h1").inner_text() == "Audit log"
    assert page.locator("[data-qa=audit-row]").count() == 3
    page.locator("[data-qa=event-details] summary").first.click()
    assert_no_axe_violations(page)

    page.select_option("#outcome", "FAILED")
    page.fill("#user", "visits")
    page.click("[data-qa=apply-filters]")
    page.wait_for_url("**/audit/?*")
    assert page.locator("[data-qa=audit-row]").count() == 1
    assert page.locator("[data-qa=filter-tag]").count() == 2
    assert_no_axe_violations(page)

    page.locator("[data-qa=filter-tag]", has_text="Outcome: Failed").click()
    page.wait_for_url("**/audit/?user=visits")
    assert page.locator("[data-qa=filter-tag]").count() == 1
    page.click("[data-qa=clear-filters]")
    page.wait_for_url("**/audit/")
    assert page.locator("[data-qa=audit-row]").count() == 3


def test_invalid_dates_show_accessible_errors(page: Any, dashboard: Any, events: None) -> None:
    sign_in(page, dashboard, "SYSCON_USER", start="/audit/")
    page.fill("#dateFrom", "2022-02-30")
    page.click("[data-qa=apply-filters]")
    page.wait_for_url("**/audit/?*")
    assert page.title().startswith("Error: Audit log")
    assert "Date from must be a real date" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#dateFrom-error").is_visible()
    assert_no_axe_violations(page)


def test_the_csv_downloads_from_the_page(page: Any, dashboard: Any, events: None) -> None:
    sign_in(page, dashboard, "SYSCON_USER", start="/audit/?action=CANCEL_MIGRATION")
    with page.expect_download() as download_info:
        page.click("[data-qa=export-csv]")
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("Time (UTC),Username")
    assert "VISITS_USER" in content and "SYSCON_USER" not in content


def test_checking_what_happened_to_a_lost_answer_accessibly(page: Any, dashboard: Any) -> None:
    """An hour ago MDI's ACTIVITY switch was to be turned on, and the answer was lost."""
    attempt, an_hour_ago = uuid.uuid4(), timezone.now() - dt.timedelta(hours=1)
    fields = {
        "attempt_id": attempt,
        "action": AuditEvent.Action.ACTIVATE_PRISON,
        "migration_type": "ACTIVITIES",
        "subject_kind": AuditEvent.SubjectKind.AGENCY_SWITCH,
        "subject_id": "ACTIVITY MDI",
        "details": {"serviceCode": "ACTIVITY", "prisonId": "MDI"},
    }
    make_event(an_hour_ago, **fields)
    unknown = make_event(
        an_hour_ago + dt.timedelta(seconds=60),
        outcome=AuditEvent.Outcome.UNKNOWN,
        message="NOMIS prisoner API: did not answer in time once asked",
        **fields,
    )
    sign_in(page, dashboard, "SYSCON_USER", start=f"/audit/{unknown.pk}/")
    assert page.locator("h1").inner_text() == "Activate prison"
    assert_no_axe_violations(page)

    page.click("[data-qa=check-what-happened]")
    page.wait_for_url("**/?checked=1")
    assert page.locator("[data-qa=checked-outcome]").inner_text() == "Confirmed not done"
    assert "switch is off for MDI" in page.locator("[data-qa=checked-evidence]").inner_text()
    assert page.locator("[data-qa=attempt-row]").count() == 3
    assert page.locator("[data-qa=check-what-happened]").count() == 0
    assert_no_axe_violations(page)

    page.goto(f"{dashboard.url}/audit/")
    assert "Confirmed not done" in page.locator("[data-qa=settled-outcome]").inner_text()
