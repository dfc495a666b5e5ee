"""The generic pages, for every registered migration type, with the upstreams mocked at HTTP.

A type's own tests cover only what is particular to it; these cover what every type's pages do,
with the worked example (`EXAMPLE`) of each type's module, tests/types/test_<slug>.py.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kernel import caching
from migrations_ui import types
from migrations_ui.models import AuditEvent
from migrations_ui.types.base import SYSCON_ROLE, MigrationType
from tests.factories import DlqMessageFactory, HistoryRowFactory, InProgressFactory, dead_letters
from tests.types import example_of
from tests.unit.conftest_visits import migration_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

EVERY_TYPE = pytest.mark.parametrize("t", types.REGISTERED, ids=lambda t: t.slug)
WITH_FAILURES_PAGE = pytest.mark.parametrize(
    "t", [t for t in types.REGISTERED if t.has_failures_page], ids=lambda t: t.slug
)
WITHOUT_FAILURES_PAGE = pytest.mark.parametrize(
    "t", [t for t in types.REGISTERED if not t.has_failures_page], ids=lambda t: t.slug
)
MIGRATION_ID = "2024-01-01T10:00:00"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def syscon(client: Any, syscon_user: Any, tokens: Any) -> Any:
    return sign_in(client, syscon_user)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def prefix(t: MigrationType) -> str:
    return f"/{t.url_prefix}/"


def mock_preview(requests_mock: Any, t: MigrationType, *, estimate: int = 1234) -> None:
    example_of(t.slug).mock_checks(requests_mock, estimate)
    requests_mock.get(migration_url(f"/migrate/dead-letter-queue/{t.upstream_type}/count"), json=0)
    requests_mock.get(
        migration_url(f"/migrate/history/active/{t.upstream_type}"),
        json=InProgressFactory(migrationType=t.upstream_type, status="COMPLETED"),
    )


def mock_migration(requests_mock: Any, t: MigrationType, status: str) -> None:
    """M4 answers MIGRATION_ID as a migration of the type, in that status."""
    requests_mock.get(
        migration_url(f"/migrate/history/{quote(MIGRATION_ID, safe='')}"),
        json=HistoryRowFactory(
            migrationId=MIGRATION_ID, migrationType=t.upstream_type, status=status
        ),
    )


def test_every_type_has_an_example_for_these_tests() -> None:
    # A registered type without its module or EXAMPLE fails here, saying what to add.
    for t in types.REGISTERED:
        assert example_of(t.slug).entity_id, t.slug


@EVERY_TYPE
def test_the_history_names_the_type_and_shows_each_migrations_filter(syscon, requests_mock, t):
    example = example_of(t.slug)
    requests_mock.get(
        migration_url(f"/migrate/history/all/{t.upstream_type}"),
        json=[
            HistoryRowFactory(
                migrationId=MIGRATION_ID,
                migrationType=t.upstream_type,
                stored_filter=example.stored_filter,
            )
        ],
    )
    page = text(syscon.get(prefix(t)))
    assert f"<title>{t.name} migrations" in page
    assert f'<h1 class="govuk-heading-l">{t.name} migrations</h1>' in page
    assert f'data-qa="migration-id">{MIGRATION_ID}</span>' in page
    assert example.filter_text in page
    assert f'href="{prefix(t)}start"' in page


@EVERY_TYPE
def test_home_and_each_history_page_are_ascii_with_the_footers_sign_as_a_reference(
    syscon, requests_mock, t
) -> None:
    # A single character outside ASCII makes Python encode the whole page character by character
    # (kernel.jinja2.ascii_html): our own words and the kept fragments are written in ASCII.
    requests_mock.get(
        migration_url(f"/migrate/history/all/{t.upstream_type}"),
        json=[HistoryRowFactory(migrationType=t.upstream_type)],
    )
    for path in ("/", prefix(t), f"{prefix(t)}?prisonId=MD%C3%8F"):
        page = syscon.get(path).content
        assert page.isascii(), path
        assert b"&#169; Crown copyright" in page
    # A typed value outside ASCII comes back as a reference, which the browser reads as typed.
    page = text(syscon.get(f"{prefix(t)}?prisonId=MD%C3%8F"))
    value = re.search(r'name="prisonId"[^>]*value="([^"]*)"', page)
    assert value and html.unescape(value.group(1)) == "MD\u00cf"


# The old dashboard's "How do I run ..." help (GOV.UK details above the list), and a step of each
# that must be there: only these three types have one (upstream-api-types.md §2.1, §2.2, §2.10).
HISTORY_HELP = {
    "activities": ("How do I run an Activities migration?", "End NOMIS activities"),
    "allocations": ("How do I run an Allocations migration?", "Migrate allocations"),
    "taps": (
        "How do I run a Temporary Absence repair migration?",
        "applications, schedules, movements and unscheduled movements",
    ),
}


@EVERY_TYPE
def test_the_how_do_i_run_help_is_on_exactly_the_lists_that_had_it(syscon, requests_mock, t):
    requests_mock.get(migration_url(f"/migrate/history/all/{t.upstream_type}"), json=[])
    page = text(syscon.get(prefix(t)))
    summaries = re.findall(
        r'<details[^>]*class="govuk-details"[^>]*>.*?<span class="govuk-details__summary-text">'
        r"\s*(.*?)\s*</span>(.*?)</details>",
        page,
    )
    if t.slug not in HISTORY_HELP:
        assert summaries == []
        return
    summary, step = HISTORY_HELP[t.slug]
    [(shown, body)] = summaries
    assert shown == summary
    assert step in body
    assert '<ol class="govuk-list govuk-list--number">' in body


@EVERY_TYPE
def test_start_preview_and_start_send_the_types_body_once_and_audit_it(
    syscon, requests_mock, t
) -> None:
    example = example_of(t.slug)
    start_page = text(syscon.get(f"{prefix(t)}start"))
    assert f"Start a new {t.lower_name} migration</h1>" in start_page

    response = syscon.post(f"{prefix(t)}start", example.form)
    assert response.status_code == 302
    assert response["Location"] == f"{prefix(t)}start/preview"

    mock_preview(requests_mock, t)
    preview = text(syscon.get(f"{prefix(t)}start/preview"))
    assert f"Estimated number of {t.records} to be migrated: 1,234" in preview
    token = re.search(r'name="preview_token" value="([^"]+)"', preview).group(1)

    start = requests_mock.post(
        migration_url(f"/migrate/{t.start_path}"),
        status_code=202,
        json={"migrationId": MIGRATION_ID, "estimatedCount": 1230, "body": {}},
    )
    response = syscon.post(f"{prefix(t)}start/preview", {"preview_token": token})
    assert response["Location"] == f"{prefix(t)}start/confirmation"
    assert syscon.post(f"{prefix(t)}start/preview", {"preview_token": token}).status_code == 302
    assert start.call_count == 1
    sent = start.last_request
    if example.start_body is None:
        assert sent.body is None
    else:
        assert json.loads(sent.body) == example.start_body

    # The repeated submit found the first one's migration; its estimate is read back from M4.
    requests_mock.get(
        migration_url(f"/migrate/history/{quote(MIGRATION_ID, safe='')}"),
        json=HistoryRowFactory(migrationId=MIGRATION_ID, migrationType=t.upstream_type),
    )
    confirmation = text(syscon.get(f"{prefix(t)}start/confirmation"))
    assert f"{t.name} migration has successfully started" in confirmation
    assert f"Estimated number of {t.records} to be migrated" in confirmation
    requested, succeeded = AuditEvent.objects.order_by("id")
    assert (requested.outcome, succeeded.outcome) == ("REQUESTED", "SUCCEEDED")
    assert succeeded.subject_kind == "MIGRATION"
    assert succeeded.subject_id == f"{t.upstream_type} {MIGRATION_ID}"
    assert succeeded.migration_type == t.upstream_type


@EVERY_TYPE
def test_each_types_sample_form_is_a_valid_start_form(syscon, t) -> None:
    # The benchmark starts a migration of every type with it (bench/state.py).
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = syscon.post(f"{prefix(t)}start", t.sample_form(tomorrow))
    assert response.status_code == 302
    assert response["Location"] == f"{prefix(t)}start/preview"


@EVERY_TYPE
def test_a_failed_estimate_is_never_shown_as_a_number(syscon, requests_mock, t) -> None:
    syscon.post(f"{prefix(t)}start", example_of(t.slug).form)
    mock_preview(requests_mock, t)
    # Every NOMIS call fails: the estimate, whichever endpoint the type counts with.
    requests_mock.get(re.compile(r".*/nomis-prisoner-api/.*"), status_code=500)
    page = text(syscon.get(f"{prefix(t)}start/preview"))
    assert 'data-qa="estimate-failed"' in page
    assert "Estimated number of" not in page
    assert 'data-qa="start-migration-button"' in page and "disabled" in page


@EVERY_TYPE
def test_a_check_that_could_not_be_made_is_an_error_that_takes_focus(
    syscon, requests_mock, t
) -> None:
    syscon.post(f"{prefix(t)}start", example_of(t.slug).form)
    mock_preview(requests_mock, t)
    requests_mock.get(
        migration_url(f"/migrate/dead-letter-queue/{t.upstream_type}/count"), status_code=500
    )
    page = text(syscon.get(f"{prefix(t)}start/preview"))
    assert "<title>Error: " in page
    summary = re.search(r'<div class="govuk-error-summary"(.*?)</div> </div>', page)
    assert summary, "no error summary"
    # The GOV.UK component, which moves focus to itself, naming the check and the service.
    assert 'data-module="govuk-error-summary"' in summary.group(0)
    assert 'data-qa="check-errors"' in summary.group(0)
    assert "dead letter queue" in summary.group(0) and "migration service" in summary.group(0)
    # Only the optional count failed: the migration can still start.
    assert f"Estimated number of {t.records} to be migrated: 1,234" in page


@EVERY_TYPE
def test_a_preview_whose_checks_all_ran_has_no_error(syscon, requests_mock, t) -> None:
    syscon.post(f"{prefix(t)}start", example_of(t.slug).form)
    mock_preview(requests_mock, t)
    page = text(syscon.get(f"{prefix(t)}start/preview"))
    assert "<title>Error: " not in page and "govuk-error-summary" not in page


@EVERY_TYPE
def test_cancel_of_a_migration_no_longer_running_says_why(syscon, requests_mock, t) -> None:
    mock_migration(requests_mock, t, "COMPLETED")
    requests_mock.get(
        migration_url(f"/migrate/history/active/{t.upstream_type}"),
        json=InProgressFactory(migrationType=t.upstream_type, status="COMPLETED"),
    )
    response = syscon.get(f"{prefix(t)}{MIGRATION_ID}/cancel")
    assert response.status_code == 302
    assert response["Location"] == f"{prefix(t)}{MIGRATION_ID}/"
    details = text(syscon.get(response["Location"]))
    assert "The migration is COMPLETED, so it was not cancelled." in details
    assert "Only a migration that is still running (STARTED) can be cancelled." in details
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


@EVERY_TYPE
def test_home_lists_the_type_under_migrations_with_its_description(syscon, t) -> None:
    page = text(syscon.get("/"))
    groups = re.findall(r'data-qa="tile-group">([^<]*)<', page)
    assert groups == ["Migrations", "Administration"]
    migrations, administration = page.split('data-qa="tile-group">')[1:]
    tile = re.search(
        rf'href="{prefix(t)}">{re.escape(t.tile_title)}</a>.*?'
        r'data-qa="tile-description">([^<]*)<',
        migrations,
    )
    assert tile and html.unescape(tile.group(1)) == t.description
    assert t.tile_title not in administration


def test_home_lists_the_admin_tools_under_administration(syscon) -> None:
    page = text(syscon.get("/"))
    administration = page.split('data-qa="tile-group">Administration<')[1]
    titles = re.findall(r'govuk-link--no-visited-state" href="[^"]*">([^<]*)</a>', administration)
    assert titles == ["Audit log", "Visit room mappings"]
    assert administration.count('data-qa="tile-description"') == 2


@EVERY_TYPE
def test_details_of_a_running_migration_show_its_live_figures(syscon, requests_mock, t) -> None:
    mock_migration(requests_mock, t, "STARTED")
    requests_mock.get(
        migration_url(f"/migrate/history/active/{t.upstream_type}"),
        json=InProgressFactory(
            migrationId=MIGRATION_ID, migrationType=t.upstream_type, recordsMigrated=4321
        ),
    )
    page = text(syscon.get(f"{prefix(t)}{MIGRATION_ID}/"))
    assert f'<h1 class="govuk-heading-l">{t.name} migration details</h1>' in page
    assert 'data-qa="migratedCount">4,321</dd>' in page
    assert f"the {t.records} migrated successfully by this run" in page
    # Only a type that skips records already migrated says so (the help is kept per its words).
    skipped = f"It includes {t.records} that were already migrated, which are skipped."
    assert (skipped in page) == bool(t.already_migrated_log)
    fragment = text(syscon.get(f"{prefix(t)}{MIGRATION_ID}/progress"))
    assert 'data-qa="migratedCount">4,321</dd>' in fragment
    assert "What do all the numbers mean?" not in fragment


@WITH_FAILURES_PAGE
def test_the_failures_page_shows_each_messages_entity_id_as_the_type_names_it(
    syscon, requests_mock, t
) -> None:
    example = example_of(t.slug)
    requests_mock.get(
        migration_url(f"/migrate/dead-letter-queue/{t.upstream_type}"),
        json=dead_letters(DlqMessageFactory(type=t.upstream_type, entity=example.entity)),  # type: ignore[arg-type]
    )
    page = text(syscon.get(f"{prefix(t)}failures/"))
    assert f'<th scope="col" class="govuk-table__header">{t.entity_id_label}</th>' in page
    assert f'data-qa="entity-id">{example.entity_id}</td>' in page


@WITHOUT_FAILURES_PAGE
def test_a_type_without_a_failures_page_has_none(syscon, requests_mock, t) -> None:
    # App Insights links stand in for it (upstream-api-types.md §1.2); the path is not a page.
    assert syscon.get(f"{prefix(t)}failures/").status_code == 404
    assert requests_mock.call_count == 0


# -- A migration belongs to its type


ACTIONS = {
    "details": ("get", "{id}/"),
    "progress": ("get", "{id}/progress"),
    "cancel-form": ("get", "{id}/cancel"),
    "cancel": ("post", "{id}/cancel"),
    "refresh-counts": ("post", "{id}/refresh-counts"),
}
PAIRS = [(a, b) for a, b in itertools.permutations(types.REGISTERED, 2)]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("page_type,other", PAIRS, ids=lambda t: t.slug)
def test_another_types_migration_is_not_found_before_anything_is_audited_or_sent(
    syscon, requests_mock, page_type, other, action
) -> None:
    encoded = quote(MIGRATION_ID, safe="")
    requests_mock.get(
        migration_url(f"/migrate/history/{encoded}"),
        json=HistoryRowFactory(
            migrationId=MIGRATION_ID, migrationType=other.upstream_type, status="STARTED"
        ),
    )
    requests_mock.get(
        migration_url(f"/migrate/history/active/{page_type.upstream_type}"),
        json=InProgressFactory(migrationId=None, status=None),
    )
    method, path = ACTIONS[action]
    response = getattr(syscon, method)(prefix(page_type) + path.format(id=MIGRATION_ID))
    assert response.status_code == 404
    assert AuditEvent.objects.count() == 0
    assert all(r.method == "GET" for r in requests_mock.request_history)


# -- Roles: who may use which type follows from each type's `roles`, not from a list here

TYPE_ROLES = sorted({role for t in types.REGISTERED for role in t.roles})


@pytest.mark.parametrize("role", [SYSCON_ROLE, *TYPE_ROLES, None], ids=lambda r: r or "no role")
def test_each_persona_sees_and_may_open_only_its_types(client, tokens, requests_mock, role) -> None:
    # A user holding only `role` may use exactly the types that name it, SYSCON every type, a
    # user without a role none.
    from accounts.models import User

    allowed = {t.slug for t in types.REGISTERED if role == SYSCON_ROLE or role in t.roles}
    assert (role is None) == (not allowed)
    user = User.objects.create(
        username=f"{role or 'NO_ROLE'}_USER",
        display_name="Pat Persona",
        auth_source="nomis",
        roles=[f"ROLE_{role}"] if role else [],
    )
    sign_in(client, user)
    home = text(client.get("/"))
    for t in types.REGISTERED:
        assert (f'href="{prefix(t)}"' in home) == (t.slug in allowed), t.slug
        requests_mock.get(migration_url(f"/migrate/history/all/{t.upstream_type}"), json=[])
        requests_mock.get(
            migration_url(f"/migrate/dead-letter-queue/{t.upstream_type}"), json=dead_letters()
        )
        requests_mock.get(
            migration_url(f"/migrate/history/{quote(MIGRATION_ID, safe='')}"),
            json=HistoryRowFactory(migrationId=MIGRATION_ID, migrationType=t.upstream_type),
        )
        # A type without a failures page has no "failures/" (its 404 is tested below).
        failures = ("failures/",) if t.has_failures_page else ()
        for path in ("", "start", *failures, "failures/delete", f"{MIGRATION_ID}/"):
            status = client.get(prefix(t) + path).status_code
            if t.slug in allowed:
                assert status != 403, (t.slug, path)
            else:
                assert status == 403, (t.slug, path)
        # A completed migration is not cancelled: allowed users are sent back to its details.
        cancel = client.post(f"{prefix(t)}{MIGRATION_ID}/cancel").status_code
        assert cancel == (302 if t.slug in allowed else 403), t.slug


@pytest.mark.parametrize(
    "persona", ["visits_user", "sentencing_user", "activities_user", "appointments_user"]
)
def test_each_sandbox_persona_holds_one_of_the_types_roles(request, persona) -> None:
    # The personas sign in as the sandbox's users do; each role they hold is a type's.
    (role,) = request.getfixturevalue(persona).roles
    assert role.removeprefix("ROLE_") in TYPE_ROLES


def test_the_tiles_are_sorted_by_heading(client, tokens, syscon_user) -> None:
    home = text(sign_in(client, syscon_user).get("/"))
    titles = [t.tile_title for t in types.REGISTERED]
    # Whole link texts: "Visits migration" is also the end of "Official visits migration".
    positions = [home.index(f">{title}</a>") for title in sorted(titles, key=str.lower)]
    assert positions == sorted(positions)


# -- Home: a "Running" tag on each type's tile while one of its migrations is in progress


@pytest.mark.running_tags
def test_a_tile_says_running_while_its_type_has_a_migration_in_progress(
    client, tokens, requests_mock, syscon_user
) -> None:
    statuses = {"VISITS": "STARTED", "VISIT_SLOTS": "COMPLETED"}
    for t in types.REGISTERED:
        status = statuses.get(t.upstream_type)
        if status is None:
            requests_mock.get(
                migration_url(f"/migrate/history/active/{t.upstream_type}"), status_code=503
            )
        else:
            requests_mock.get(
                migration_url(f"/migrate/history/active/{t.upstream_type}"),
                json=InProgressFactory(migrationType=t.upstream_type, status=status),
            )
    home = text(sign_in(client, syscon_user).get("/"))
    # Running for visits only; no tag where the answer was COMPLETED, "Status unavailable" where
    # it could not be had.
    assert home.count('data-qa="tile-status">Running</strong>') == 1
    unavailable = len(types.REGISTERED) - len(statuses)
    assert home.count('data-qa="tile-status">Status unavailable</strong>') == unavailable
    # The tag is on the visits tile: after its link, before the next tile.
    visits = home.index('href="/visits-migration/"')
    next_tile = home.find('data-qa="tile"', visits)
    running = home.index('data-qa="tile-status">Running')
    assert visits < running and (next_tile == -1 or running < next_tile)


@pytest.mark.running_tags
def test_home_kept_tiles_follow_the_tags_and_the_user(
    client, tokens, requests_mock, syscon_user, sentencing_user
) -> None:
    # Home's tiles are written once per set of tiles and tags (kernel.tiles.tiles_html): a tag
    # that changes, or another user's roles, must still show at once.
    active = {
        t.upstream_type: requests_mock.get(
            migration_url(f"/migrate/history/active/{t.upstream_type}"),
            json=InProgressFactory(migrationType=t.upstream_type, status="COMPLETED"),
        )
        for t in types.REGISTERED
    }
    signed_in = sign_in(client, syscon_user)
    assert 'data-qa="tile-status"' not in text(signed_in.get("/"))
    active["VISITS"] = requests_mock.get(
        migration_url("/migrate/history/active/VISITS"),
        json=InProgressFactory(migrationType="VISITS", status="STARTED"),
    )
    caching.running_types.clear()  # the tags' own few seconds, over
    home = text(signed_in.get("/"))
    assert home.count('data-qa="tile-status">Running</strong>') == 1
    assert home.count('data-qa="tile"') == len(types.REGISTERED) + 2  # and rooms, the audit log
    other = text(sign_in(Client(), sentencing_user).get("/"))
    assert 'data-qa="tile-status"' not in other
    assert other.count('data-qa="tile"') == 1 and 'href="/visits-migration/"' not in other


def test_home_is_kept_but_each_response_has_its_own_nonce_and_csrf_token(
    tokens, syscon_user, pages_written
) -> None:
    # Home is written once per user name, permissions and tags (kernel.jinja2.kept_page).
    signed_in = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    seen = []
    for _ in range(2):
        response = signed_in.get("/")
        page = response.content.decode()
        [header_nonce] = re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        nonces = re.findall(r'nonce="([^"]*)"', page)
        assert len(nonces) == 4 and set(nonces) == {header_nonce}
        [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert "<csp-nonce>" not in page and "<csrf-input>" not in page
        seen.append((header_nonce, token))
    [(nonce_1, token_1), (nonce_2, token_2)] = seen
    assert nonce_1 != nonce_2 and token_1 != token_2
    assert pages_written == ["home.html"]  # once, for both responses
    # The token written into the kept page is one the sign-out form's POST is taken with.
    assert signed_in.post("/sign-out", {"csrfmiddlewaretoken": token_2}).status_code == 302


def test_home_kept_for_one_user_is_not_shown_to_another_with_the_same_roles(
    client, tokens, syscon_user
) -> None:
    from accounts.models import User

    assert "S. Syscon" in text(sign_in(client, syscon_user).get("/"))
    # A name that reads like the page's hole for the nonce is shown as written, not filled in.
    other = User.objects.create(
        username="OTHER_SYSCON", display_name="Olive <csp-nonce>", roles=syscon_user.roles
    )
    page = text(sign_in(Client(), other).get("/"))
    assert 'data-qa="header-user-name">O. &lt;csp-nonce&gt;</a>' in page
    assert "S. Syscon" not in page


@pytest.mark.running_tags
def test_running_tags_are_asked_once_per_type_and_kept_briefly(
    client, tokens, requests_mock, syscon_user, settings
) -> None:
    mocks = [
        requests_mock.get(
            migration_url(f"/migrate/history/active/{t.upstream_type}"),
            json=InProgressFactory(migrationType=t.upstream_type, status="COMPLETED"),
        )
        for t in types.REGISTERED
    ]
    signed_in = sign_in(client, syscon_user)
    for _ in range(3):
        assert signed_in.get("/").status_code == 200
    # The tags are kept for HOME_RUNNING_TAG_SECONDS (5 s by default): one call per type.
    assert [m.call_count for m in mocks] == [1] * len(types.REGISTERED)


@pytest.mark.running_tags
def test_only_the_types_a_user_may_see_are_asked(
    client, tokens, requests_mock, sentencing_user
) -> None:
    court = requests_mock.get(
        migration_url("/migrate/history/active/COURT_SENTENCING"),
        json=InProgressFactory(migrationType="COURT_SENTENCING", status="CANCELLED_REQUESTED"),
    )
    home = text(sign_in(client, sentencing_user).get("/"))
    assert 'data-qa="tile-status">Running</strong>' in home
    assert court.call_count == 1
    assert len(requests_mock.request_history) == 1


@pytest.mark.parametrize(
    "t", [t for t in types.REGISTERED if not t.has_failures_page], ids=lambda t: t.slug
)
def test_a_type_without_a_failures_page_answers_404_without_asking_upstream(
    syscon, requests_mock, t
) -> None:
    assert syscon.get(f"{prefix(t)}failures/").status_code == 404
    assert requests_mock.call_count == 0


# -- Upstream bodies read strictly where a default would mislead (issue 14, item 8)


@pytest.mark.parametrize(
    "t", [t for t in types.REGISTERED if t.slug == "visits"], ids=lambda t: t.slug
)
@pytest.mark.parametrize("total", [None, "absent", "12", True])
def test_an_estimate_without_an_integer_total_is_malformed_not_zero(
    syscon, requests_mock, t, total
) -> None:
    from tests.unit.conftest_visits import nomis_url

    syscon.post(f"{prefix(t)}start", example_of(t.slug).form)
    mock_preview(requests_mock, t)
    body: dict = {"content": []}
    if total != "absent":
        body["totalElements"] = total
    requests_mock.get(nomis_url("/visits/ids"), json=body)
    page = text(syscon.get(f"{prefix(t)}start/preview"))
    assert 'data-qa="estimate-failed"' in page
    assert "sent a response the dashboard could not read" in page
    assert "to be migrated: 0" not in page


@EVERY_TYPE
def test_null_queue_figures_of_a_running_migration_show_as_unknown(syscon, requests_mock, t):
    encoded = quote(MIGRATION_ID, safe="")
    requests_mock.get(
        migration_url(f"/migrate/history/{encoded}"),
        json=HistoryRowFactory(
            migrationId=MIGRATION_ID, migrationType=t.upstream_type, status="STARTED"
        ),
    )
    requests_mock.get(
        migration_url(f"/migrate/history/active/{t.upstream_type}"),
        json=InProgressFactory(
            migrationId=MIGRATION_ID,
            migrationType=t.upstream_type,
            toBeProcessedCount=None,
            beingProcessedCount=None,
            recordsFailed=None,
        ),
    )
    page = text(syscon.get(f"{prefix(t)}{MIGRATION_ID}/progress"))
    for figure in ("stillToBeProcessedCount", "beingProcessedCount", "failedCount"):
        assert f'data-qa="{figure}">unknown</dd>' in page
