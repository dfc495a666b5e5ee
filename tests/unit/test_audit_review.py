"""The audit log page and its CSV export: access, listing, filters, pagination and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from typing import Any
from unittest import mock

import pytest
from django.conf import settings

from migrations_ui.audit import views as audit_views
from migrations_ui.models import AuditEvent
from tests.unit.conftest_visits import sign_in

pytestmark = pytest.mark.django_db

PAGE = "/audit/"
EXPORT = "/audit/export.csv"
# 10:13 UTC in March is 10:13 in London; 09:00 UTC in June is 10:00 BST.
WINTER = dt.datetime(2022, 3, 14, 10, 13, 56, tzinfo=dt.UTC)
SUMMER = dt.datetime(2022, 6, 1, 9, 0, tzinfo=dt.UTC)


def make_event(occurred_at: dt.datetime | None = None, **fields: Any) -> AuditEvent:
    """Insert one audit event at a given time (auto_now_add would otherwise stamp "now")."""
    values: dict[str, Any] = {
        "username": "SYSCON_USER",
        "display_name": "Sam Syscon",
        "auth_source": "nomis",
        "action": AuditEvent.Action.START_MIGRATION,
        "migration_type": "VISITS",
        "outcome": AuditEvent.Outcome.REQUESTED,
        "attempt_id": uuid.uuid4(),
        "subject_kind": AuditEvent.SubjectKind.MIGRATION,
        **fields,
    }
    values.setdefault(
        "subject_id", f"{values['migration_type']} {values.get('migration_id', '')}".strip()
    )
    event = AuditEvent(**values)
    if occurred_at is None:
        event.save()
        return event
    field = AuditEvent._meta.get_field("occurred_at")
    with mock.patch.object(field, "auto_now_add", False):
        event.occurred_at = occurred_at
        event.save()
    return event


def make_start(
    occurred_at: dt.datetime, migration_id: str, *, username: str = "SYSCON_USER", **fields: Any
) -> tuple[AuditEvent, AuditEvent]:
    """A start as services.py writes it: "requested" without the id, then "succeeded" with it."""
    attempt = uuid.uuid4()
    requested = make_event(occurred_at, username=username, attempt_id=attempt, **fields)
    succeeded = make_event(
        occurred_at + dt.timedelta(seconds=1),
        username=username,
        attempt_id=attempt,
        outcome=AuditEvent.Outcome.SUCCEEDED,
        migration_id=migration_id,
        **fields,
    )
    return requested, succeeded


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def rows(response: Any) -> list[str]:
    return re.findall(r'data-qa="audit-row">(.*?)</tr>', text(response))


@pytest.fixture
def audit_user(db: Any) -> Any:
    from accounts.models import User

    return User.objects.create(
        username="AUDIT_USER", display_name="Aud Itor", roles=[f"ROLE_{settings.AUDIT_ROLE}"]
    )


@pytest.fixture
def syscon_client(client: Any, syscon_user: Any) -> Any:
    return sign_in(client, syscon_user)


# -- Access


@pytest.mark.parametrize("path", [PAGE, EXPORT])
def test_anonymous_users_are_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")


@pytest.mark.parametrize("path", [PAGE, EXPORT])
@pytest.mark.parametrize("persona", ["no_role_user", "visits_user"])
def test_users_without_the_audit_permission_are_refused_naming_the_audit_role(
    client: Any, request: pytest.FixtureRequest, persona: str, path: str
) -> None:
    response = sign_in(client, request.getfixturevalue(persona)).get(path)
    assert response.status_code == 403
    assert "NOMIS_SYNC_DASHBOARD__AUDIT__RO" in response.content.decode()


@pytest.mark.parametrize("path", [PAGE, EXPORT])
@pytest.mark.parametrize("persona", ["syscon_user", "audit_user"])
def test_syscon_and_the_audit_role_may_see_the_log_and_export_it(
    client: Any, request: pytest.FixtureRequest, persona: str, path: str
) -> None:
    response = sign_in(client, request.getfixturevalue(persona)).get(path)
    assert response.status_code == 200


def test_the_audit_role_name_is_a_setting_with_the_documented_default() -> None:
    assert settings.AUDIT_ROLE == "NOMIS_SYNC_DASHBOARD__AUDIT__RO"
    assert "migrations_ui.view_audit_log" in settings.ROLE_PERMISSIONS[settings.AUDIT_ROLE]


def test_the_home_tile_shows_only_to_users_who_may_see_the_log(
    syscon_user: Any,
    audit_user: Any,
    visits_user: Any,
) -> None:
    from kernel.tiles import tiles_for

    def titles(user: Any) -> list[str]:
        return [tile.title for tile in tiles_for(user)]

    assert "Audit log" in titles(syscon_user)
    assert titles(audit_user) == ["Audit log"]
    assert "Audit log" not in titles(visits_user)
    [tile] = tiles_for(audit_user)
    assert tile.href == PAGE


def test_the_home_page_links_to_the_log_for_the_audit_role(client: Any, audit_user: Any) -> None:
    response = sign_in(client, audit_user).get("/")
    assert 'href="/audit/"' in response.content.decode()


# -- The list


def test_events_are_listed_newest_first_with_london_times(syscon_client: Any) -> None:
    make_event(WINTER, username="OLDER_USER")
    make_event(SUMMER, username="NEWER_USER")
    response = syscon_client.get(PAGE)
    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 2
    assert "NEWER_USER" in listed[0] and "1 Jun 2022, 10:00" in listed[0]
    assert "OLDER_USER" in listed[1] and "14 Mar 2022, 10:13" in listed[1]
    assert "<title>Audit log - " in response.content.decode()


def test_each_row_shows_who_what_which_migration_and_the_outcome_tag(syscon_client: Any) -> None:
    make_event(
        WINTER,
        display_name="Sam Syscon",
        action=AuditEvent.Action.CANCEL_MIGRATION,
        migration_id="2022-03-14T10:13:56",
        outcome=AuditEvent.Outcome.FAILED,
        upstream_status=502,
        message="migration service: <b>unavailable</b>",
        filter={"prisonIds": ["HEI", "MDI"], "visitTypes": ["SCON"]},
    )
    [row] = rows(syscon_client.get(PAGE))
    assert 'data-qa="display-name">Sam Syscon<' in row
    assert 'data-qa="username">SYSCON_USER<' in row
    assert "Cancel migration" in row
    assert 'data-qa="migration-type">VISITS<' in row
    assert 'href="/visits-migration/2022-03-14T10%3A13%3A56/"' in row
    assert '<strong class="govuk-tag govuk-tag--red" data-qa="outcome">Failed</strong>' in row
    # The filter and the upstream message sit in a details component, escaped.
    assert 'class="govuk-details' in row
    assert 'data-qa="filter-prisonIds">HEI, MDI<' in row
    assert 'data-qa="upstream-status">502<' in row
    assert "migration service: &lt;b&gt;unavailable&lt;/b&gt;" in row


def test_an_event_without_a_migration_id_or_of_an_unknown_type_has_no_link(
    syscon_client: Any,
) -> None:
    make_event(WINTER, action=AuditEvent.Action.PURGE_DEAD_LETTERS, outcome="SUCCEEDED")
    make_event(SUMMER, migration_type="APPOINTMENTS", migration_id="2022-06-01T09:00:00")
    page = text(syscon_client.get(PAGE))
    assert "/visits-migration/" not in page.split('data-qa="audit-events"')[1]
    assert 'data-qa="migration-id">2022-06-01T09:00:00<' in page


def test_an_empty_log_says_so(syscon_client: Any) -> None:
    page = text(syscon_client.get(PAGE))
    assert "No audit events found" in page
    assert 'data-qa="export-csv"' not in page


def test_pages_hold_50_events_and_keep_the_filters(syscon_client: Any) -> None:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for n in range(120):
        make_event(base + dt.timedelta(minutes=n), request_id=f"req-{n:03d}")
    first = syscon_client.get(PAGE, {"user": "syscon"})
    assert len(rows(first)) == 50
    assert "Events 1 to 50 of 120" in text(first)
    assert 'class="govuk-pagination' in text(first)
    assert "/audit/?user=syscon&amp;page=2" in text(first)
    third = syscon_client.get(PAGE, {"user": "syscon", "page": "3"})
    assert len(rows(third)) == 20
    assert "Events 101 to 120 of 120" in text(third)
    # The oldest event is last on the last page.
    assert "1 Jan 2024, 00:00" in rows(third)[-1]


def test_pages_never_repeat_an_event_when_times_are_equal(syscon_client: Any) -> None:
    for n in range(60):
        make_event(WINTER, request_id=f"same-{n:02d}", migration_id=f"M{n:02d}")
    seen = []
    for number in ("1", "2"):
        page = text(syscon_client.get(PAGE, {"page": number}))
        seen += re.findall(r'data-qa="migration-id">(M\d\d)<', page)
    assert sorted(seen) == [f"M{n:02d}" for n in range(60)]


# -- Filters


@pytest.fixture
def variety() -> None:
    make_event(WINTER, username="ALICE_SMITH", action="START_MIGRATION", outcome="REQUESTED")
    make_event(
        WINTER + dt.timedelta(days=1),
        username="BOB_JONES",
        action="CANCEL_MIGRATION",
        outcome="FAILED",
        migration_id="2022-03-14T10:13:56",
    )
    make_event(SUMMER, username="alice_wong", action="PURGE_DEAD_LETTERS", outcome="SUCCEEDED")
    make_event(SUMMER, username="CAROL", migration_type="OTHER", outcome="SUCCEEDED")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "ALICE"}, {"ALICE_SMITH", "alice_wong"}),
        ({"user": "ice_w"}, {"alice_wong"}),
        ({"action": "CANCEL_MIGRATION"}, {"BOB_JONES"}),
        ({"outcome": "SUCCEEDED"}, {"alice_wong", "CAROL"}),
        ({"migrationType": "VISITS", "outcome": "SUCCEEDED"}, {"alice_wong"}),
        ({"migrationId": "2022-03-14T10:13:56"}, {"BOB_JONES"}),
        ({"dateFrom": "2022-03-15"}, {"BOB_JONES", "alice_wong", "CAROL"}),
        ({"dateTo": "14/3/2022"}, {"ALICE_SMITH"}),
        ({"dateFrom": "2022-06-01", "dateTo": "2022-06-01"}, {"alice_wong", "CAROL"}),
    ],
)
def test_each_filter_narrows_the_list(
    syscon_client: Any, variety: None, query: dict[str, str], expected: set[str]
) -> None:
    listed = rows(syscon_client.get(PAGE, query))
    names = {re.search(r'data-qa="username">([^<]*)<', row) for row in listed}
    assert {name[1] for name in names if name} == expected


def test_the_date_range_is_whole_london_days(syscon_client: Any) -> None:
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST).
    make_event(dt.datetime(2022, 5, 31, 23, 30, tzinfo=dt.UTC), username="JUST_AFTER_MIDNIGHT")
    make_event(dt.datetime(2022, 5, 31, 22, 30, tzinfo=dt.UTC), username="LATE_ON_31_MAY")
    on_first = text(syscon_client.get(PAGE, {"dateFrom": "2022-06-01", "dateTo": "2022-06-01"}))
    assert "JUST_AFTER_MIDNIGHT" in on_first
    assert "LATE_ON_31_MAY" not in on_first


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"dateFrom": "2022-02-30"}, "dateFrom", "Date from must be a real date"),
        ({"dateTo": "yesterday"}, "dateTo", "Date to must be a real date"),
        (
            {"dateFrom": "2022-03-15", "dateTo": "2022-03-14"},
            "dateTo",
            "Date to must be the same as or after date from",
        ),
        ({"action": "DROP_TABLES"}, "action", "Select an action from the list"),
        ({"outcome": "MAYBE"}, "outcome", "Select an outcome from the list"),
    ],
)
def test_invalid_filters_show_gov_uk_errors_and_run_no_query(
    syscon_client: Any, variety: None, query: dict[str, str], field: str, message: str
) -> None:
    with mock.patch(
        "migrations_ui.audit.views.audit_event_list", side_effect=AssertionError("queried")
    ):
        response = syscon_client.get(PAGE, query)
    page = text(response)
    assert response.status_code == 200
    assert "<title>Error: Audit log - " in page
    assert 'class="govuk-error-summary' in page
    assert f'href="#{field}">{message}' in page
    assert f'id="{field}-error"' in page
    assert "Correct the filters to see audit events." in page
    assert rows(response) == []


def test_typed_values_are_kept_when_there_are_errors(syscon_client: Any) -> None:
    page = text(syscon_client.get(PAGE, {"user": "alice", "dateFrom": "32/1/2022"}))
    assert 'name="user" type="text" value="alice"' in page or 'value="alice"' in page
    assert 'value="32/1/2022"' in page


def test_selected_filters_are_removable_tags_and_can_all_be_cleared(
    syscon_client: Any, variety: None
) -> None:
    page = text(
        syscon_client.get(PAGE, {"user": "alice", "outcome": "SUCCEEDED", "dateFrom": "2022-06-01"})
    )
    tags = {
        label.strip(): href
        for href, label in re.findall(
            r'<a class="moj-filter__tag" href="([^"]*)" data-qa="filter-tag">'
            r'<span class="govuk-visually-hidden">Remove this filter</span>([^<]*)</a>',
            page,
        )
    }
    assert tags == {
        "User: alice": "/audit/?outcome=SUCCEEDED&amp;dateFrom=2022-06-01",
        "Outcome: Succeeded": "/audit/?user=alice&amp;dateFrom=2022-06-01",
        "From: 1 June 2022": "/audit/?user=alice&amp;outcome=SUCCEEDED",
    }
    assert 'href="/audit/" data-qa="clear-filters">Clear filters</a>' in page
    assert (
        'href="/audit/export.csv?user=alice&amp;outcome=SUCCEEDED&amp;dateFrom=2022-06-01"' in page
    )
    # The chosen outcome stays selected in its select.
    assert '<option value="SUCCEEDED" selected>' in page


def test_without_filters_there_are_no_tags(syscon_client: Any, variety: None) -> None:
    page = text(syscon_client.get(PAGE))
    assert "Selected filters" not in page
    assert len(rows(syscon_client.get(PAGE))) == 4


# -- CSV export


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_export_is_a_streamed_attachment(syscon_client: Any) -> None:
    make_event(WINTER)
    response = syscon_client.get(EXPORT)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="audit-log-\d{8}T\d{6}Z\.csv"', response["Content-Disposition"]
    )


def test_the_export_has_the_columns_with_utc_iso_times(syscon_client: Any) -> None:
    event = make_event(
        SUMMER,
        display_name="Sam Syscon",
        action="CANCEL_MIGRATION",
        migration_id="2022-06-01T09:00:00",
        outcome="FAILED",
        filter={"visitTypes": ["SCON"], "prisonIds": ["HEI"]},
        estimate=1234,
        upstream_status=502,
        message="migration service: unavailable",
        request_id="req-1",
    )
    header, row = read_csv(syscon_client.get(EXPORT))
    assert header == [
        "Time (UTC)", "Username", "Display name", "Action", "Migration type", "Migration ID",
        "Outcome", "Filter", "Estimate", "Upstream status", "Message", "Request ID", "Attempt ID",
        "Subject kind", "Subject", "Details",
    ]  # fmt: skip
    assert row == [
        "2022-06-01T09:00:00Z", "SYSCON_USER", "Sam Syscon", "CANCEL_MIGRATION", "VISITS",
        "2022-06-01T09:00:00", "FAILED", '{"prisonIds": ["HEI"], "visitTypes": ["SCON"]}',
        "1234", "502", "migration service: unavailable", "req-1", str(event.attempt_id),
        "MIGRATION", "VISITS 2022-06-01T09:00:00", "",
    ]  # fmt: skip


def test_the_export_applies_the_same_filters_newest_first(
    syscon_client: Any, variety: None
) -> None:
    _, *data = read_csv(syscon_client.get(EXPORT, {"user": "alice"}))
    assert [row[1] for row in data] == ["alice_wong", "ALICE_SMITH"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(
    syscon_client: Any, start: str
) -> None:
    make_event(
        WINTER,
        username=f"{start}cmd|' /C calc'!A0",
        display_name=f'{start}HYPERLINK("http://evil")',
        message=f"{start}1+1",
        request_id=f"{start}req",
    )
    _, row = read_csv(syscon_client.get(EXPORT))
    assert row[1] == f"'{start}cmd|' /C calc'!A0"
    assert row[2] == f'\'{start}HYPERLINK("http://evil")'
    assert row[10] == f"'{start}1+1"
    assert row[11] == f"'{start}req"


def test_ordinary_text_is_exported_unchanged(syscon_client: Any) -> None:
    make_event(WINTER, message="Ran 1+1 = 2 checks", migration_id="2022-03-14T10:13:56")
    _, row = read_csv(syscon_client.get(EXPORT))
    assert row[10] == "Ran 1+1 = 2 checks"
    assert row[5] == "2022-03-14T10:13:56"


def test_an_export_with_invalid_filters_goes_back_to_the_page_to_show_them(
    syscon_client: Any,
) -> None:
    response = syscon_client.get(EXPORT, {"dateFrom": "nonsense"})
    assert response.status_code == 302
    assert response["Location"] == "/audit/?dateFrom=nonsense"


def test_the_export_reads_the_rows_in_chunks(syscon_client: Any) -> None:
    make_event(WINTER)
    from django.db.models.query import QuerySet

    with mock.patch.object(
        QuerySet, "iterator", autospec=True, side_effect=QuerySet.iterator
    ) as it:
        read_csv(syscon_client.get(EXPORT))
    assert it.call_args.kwargs == {"chunk_size": 500}


def test_an_action_that_is_not_about_one_migration_shows_and_exports_its_subject(
    syscon_client: Any,
) -> None:
    from tests.factories import AuditEventFactory

    AuditEventFactory(
        action="PURGE_DEAD_LETTERS",
        migration_type="COURT_SENTENCING",
        migration_id="",
        subject_kind="DEAD_LETTER_QUEUE",
        subject_id="COURT_SENTENCING",
        details={"note": "=cmd"},
    )
    page = text(syscon_client.get("/audit/"))
    assert 'data-qa="subject">Dead letter queue: COURT_SENTENCING</span>' in page
    export = b"".join(syscon_client.get("/audit/export.csv").streaming_content).decode()
    header, row = export.lstrip("\ufeff").splitlines()[:2]
    assert header.endswith("Subject kind,Subject,Details")
    # Details are exported as JSON, with a leading formula character neutralised like any text.
    assert row.endswith('DEAD_LETTER_QUEUE,COURT_SENTENCING,"{""note"": ""=cmd""}"')


def test_the_export_is_written_a_few_hundred_lines_at_a_time(syscon_client) -> None:
    from tests.factories import AuditEventFactory

    AuditEventFactory.create_batch(7)
    with mock.patch.object(audit_views, "EXPORT_LINES_PER_WRITE", 3):
        pieces = list(syscon_client.get("/audit/export.csv").streaming_content)
    # The header and 7 events: 8 lines in pieces of 3, 3 and 2 (not one write a line).
    assert [piece.decode().count("\r\n") for piece in pieces] == [3, 3, 2]
    assert b"".join(pieces).decode().lstrip("\ufeff").startswith("Time (UTC)")
