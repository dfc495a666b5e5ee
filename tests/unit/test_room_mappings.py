"""Visit room mappings: the client, forms and pages, with the upstreams mocked at HTTP."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlparse

import pytest
from django.core.cache import cache
from django.test import Client

from migrations_ui.clients.mapping_api import MappingApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.room_mappings.table_rows import query_value
from tests.unit.conftest_visits import nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

USAGE = nomis_url("/visits/rooms/usage-count")
AWKWARD = "MDI-VISITS/ROOM 1 & 'QUIET'"


def mapping_url(path: str) -> str:
    return MappingApiClient(username=None).url(path)


MAPPINGS = mapping_url("/prison/MDI/room-mappings")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visits(client: Any, visits_user: Any, tokens: Any) -> Any:
    return sign_in(client, visits_user)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def mock_rooms(requests_mock: Any, *, usage: list[dict], mappings: list[dict]) -> None:
    requests_mock.get(USAGE, json=usage)
    requests_mock.get(MAPPINGS, json=mappings)


def a_mapping(room: str, dps: str, *, is_open: bool = True) -> dict[str, Any]:
    return {"vsipId": dps, "nomisRoomDescription": room, "prisonId": "MDI", "isOpen": is_open}


PAGES = [
    ("get", "/visits-room-mappings/prison"),
    ("get", "/visits-room-mappings/?prisonId=MDI&futureVisits=true"),
    ("get", "/visits-room-mappings/add?prisonId=MDI&nomisRoomDescription=R1"),
    ("post", "/visits-room-mappings/add"),
    ("get", "/visits-room-mappings/delete?prisonId=MDI&nomisRoomDescription=R1"),
    ("post", "/visits-room-mappings/delete"),
]


@pytest.mark.parametrize("method,path", PAGES)
@pytest.mark.parametrize("persona", ["no_role_user", "sentencing_user"])
def test_every_page_refuses_users_without_a_visits_role(
    request, client, tokens, requests_mock, persona, method, path
) -> None:
    sign_in(client, request.getfixturevalue(persona))
    response = getattr(client, method)(path, {"prisonId": "MDI", "nomisRoomDescription": "R1"})
    assert response.status_code == 403
    assert "MIGRATE_VISITS" in text(response)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    "persona,shown",
    [
        ("visits_user", True),
        ("syscon_user", True),
        ("sentencing_user", False),
        ("no_role_user", False),
    ],
)
def test_the_tile_is_for_visits_and_syscon_users(request, client, tokens, persona, shown) -> None:
    home = text(sign_in(client, request.getfixturevalue(persona)).get("/"))
    assert ('href="/visits-room-mappings/prison"' in home) == shown


def test_choosing_a_prison_starts_with_future_visits_only_and_warns_about_unticking(
    visits,
) -> None:
    page = text(visits.get("/visits-room-mappings/prison"))
    assert "<title>Room mappings - " in page
    assert re.search(r'name="futureVisits" type="checkbox" value="true" checked', page)
    assert "slower and can time out" in page


@pytest.mark.parametrize("code", ["", "MD", "MDII", "M1I", "<b>"])
def test_a_bad_prison_code_is_a_govuk_error_and_calls_nothing(visits, requests_mock, code):
    response = visits.get("/visits-room-mappings/", {"prisonId": code, "futureVisits": "true"})
    page = text(response)
    assert 'class="govuk-error-summary' in page
    # The start forms' words for a prison code.
    expected = "Prison code must be 3 letters, like MDI" if code else "Enter the prison code"
    assert expected in page
    assert requests_mock.call_count == 0


def test_the_table_joins_nomis_usage_with_the_mappings(visits, requests_mock) -> None:
    mock_rooms(
        requests_mock,
        usage=[
            {"agencyInternalLocationDescription": "MDI-ROOM-A", "count": 12345, "prisonId": "MDI"},
            {"agencyInternalLocationDescription": "MDI-ROOM-B", "count": 3, "prisonId": "MDI"},
        ],
        mappings=[
            a_mapping("MDI-ROOM-A", "Main hall"),
            a_mapping("MDI-OLD", "Old room", is_open=False),
        ],
    )
    page = text(visits.get("/visits-room-mappings/", {"prisonId": "mdi", "futureVisits": "true"}))
    assert '<h1 class="govuk-heading-l">Room mappings - MDI</h1>' in page
    rows = re.findall(r'data-qa="room-row">(.*?)</tr>', page)
    assert len(rows) == 3
    assert "MDI-ROOM-A" in rows[0] and "Main hall" in rows[0] and "12,345" in rows[0]
    assert "Delete" in rows[0] and "Add mapping" not in rows[0]
    assert "Not mapped" in rows[1] and "Add mapping" in rows[1]
    # A mapped room with no future visits is still listed, so it can be seen and deleted.
    assert "MDI-OLD" in rows[2] and "Old room" in rows[2] and ">No<" in rows[2]
    assert "Usage (future visits)" in page
    usage_call = next(r for r in requests_mock.request_history if r.url.startswith(USAGE))
    assert usage_call.qs == {
        "prisonids": ["mdi"],
        "visittypes": ["scon"],
        "futurevisitsonly": ["true"],
    }


def test_each_rows_link_keeps_the_tables_query_and_names_its_room(visits, requests_mock) -> None:
    # Room descriptions may hold slashes, ampersands, quotes and spaces; a room with no visits
    # reads "0", an open mapping "Yes".
    other = "MDI-ROOM+2 <b>"
    mock_rooms(
        requests_mock,
        usage=[{"agencyInternalLocationDescription": other, "count": 0, "prisonId": "MDI"}],
        mappings=[a_mapping(AWKWARD, "Quiet room")],
    )
    query = {"prisonId": "MDI", "futureVisits": "true", "back": "preview"}
    page = text(visits.get("/visits-room-mappings/", query))
    rows = re.findall(r'data-qa="room-row">(.*?)</tr>', page)
    assert len(rows) == 2
    links = [re.findall(r'href="([^"]+)" data-qa="(add|delete)-link"', row)[0] for row in rows]
    for (href, kind), room in zip(links, (other, AWKWARD), strict=True):
        url = urlparse(href.replace("&amp;", "&"))
        assert url.path == f"/visits-room-mappings/{kind}"
        assert parse_qs(url.query) == {
            **{name: [value] for name, value in query.items()},
            "nomisRoomDescription": [room],
        }
    assert [kind for _, kind in links] == ["add", "delete"]
    assert 'data-qa="usage">0<' in rows[0] and 'data-qa="open"><' in rows[0]
    assert "MDI-ROOM+2 &lt;b&gt;" in rows[0]
    assert 'data-qa="open">Yes<' in rows[1] and "Quiet room" in rows[1]


@pytest.mark.parametrize(
    "room",
    [
        "HEI-VISITS-ROOM 001",
        "MDI_ROOM.2~b",
        "",
        "  ",
        "A+B",
        "A/B & 'C'",
        "ROOM\tONE",
        "Café 1",
        "a%20b",
        "x=y?z#w",
    ],
)
def test_a_rooms_query_value_is_written_as_quote_plus_writes_it(room: str) -> None:
    assert query_value(room) == quote_plus(room)


def test_no_rooms_says_so_and_to_check_the_code(visits, requests_mock) -> None:
    requests_mock.get(USAGE, json=[])
    requests_mock.get(mapping_url("/prison/XYZ/room-mappings"), json=[])
    page = text(visits.get("/visits-room-mappings/", {"prisonId": "XYZ", "futureVisits": "false"}))
    assert "No mapping records found" in page
    assert "Check the prison code" in page


def test_an_upstream_failure_names_the_service(visits, requests_mock) -> None:
    requests_mock.get(USAGE, json=[])
    requests_mock.get(mapping_url("/prison/MDI/room-mappings"), status_code=500)
    response = visits.get("/visits-room-mappings/", {"prisonId": "MDI", "futureVisits": "true"})
    assert response.status_code == 502
    assert "the mapping service had a problem (HTTP 500)" in text(response)


def test_add_needs_a_dps_description_and_keeps_what_was_ticked(visits, requests_mock) -> None:
    response = visits.post(
        "/visits-room-mappings/add",
        {"prisonId": "MDI", "nomisRoomDescription": "R1", "futureVisits": "true", "isOpen": "true"},
    )
    page = text(response)
    assert "Enter the DPS room description" in page
    assert "VSIP" not in page
    assert re.search(r'name="isOpen" type="checkbox" value="true" checked', page)
    assert requests_mock.call_count == 0


def test_add_posts_the_mapping_audits_it_and_returns_to_the_table(visits, requests_mock) -> None:
    def recorded_first(request, context):
        assert AuditEvent.objects.get().outcome == "REQUESTED"
        context.status_code = 201
        return ""

    post = requests_mock.post(MAPPINGS, text=recorded_first)
    response = visits.post(
        "/visits-room-mappings/add",
        {
            "prisonId": "MDI",
            "nomisRoomDescription": AWKWARD,
            "futureVisits": "false",
            "dpsRoom": "Quiet room",
            "isOpen": "true",
            "back": "preview",
        },
    )
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == "/visits-room-mappings/"
    assert parse_qs(target.query) == {
        "prisonId": ["MDI"],
        "futureVisits": ["false"],
        "back": ["preview"],
    }
    assert json.loads(post.last_request.body) == {
        "vsipId": "Quiet room",
        "nomisRoomDescription": AWKWARD,
        "isOpen": True,
    }
    requested, succeeded = AuditEvent.objects.order_by("id")
    assert (succeeded.action, succeeded.outcome) == ("ADD_ROOM_MAPPING", "SUCCEEDED")
    assert (succeeded.subject_kind, succeeded.subject_id) == ("ROOM_MAPPING", f"MDI / {AWKWARD}")
    assert succeeded.details == {"dpsRoom": "Quiet room", "isOpen": True}
    assert requested.subject_id == succeeded.subject_id
    # The banner on the table names the room.
    mock_rooms(requests_mock, usage=[], mappings=[a_mapping(AWKWARD, "Quiet room")])
    table = text(visits.get(response["Location"]))
    assert "is now mapped to Quiet room" in table
    assert 'data-qa="back-to-preview"' in table


@pytest.mark.parametrize("status", [400, 409])
def test_a_duplicate_is_explained_with_the_values_kept(visits, requests_mock, status) -> None:
    requests_mock.post(
        MAPPINGS,
        status_code=status,
        json={"status": status, "userMessage": "Validation failure: mapping already exists"},
    )
    response = visits.post(
        "/visits-room-mappings/add",
        {
            "prisonId": "MDI",
            "nomisRoomDescription": "R1",
            "futureVisits": "true",
            "dpsRoom": "Hall",
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "Validation failure: mapping already exists" in page
    assert 'value="Hall"' in page
    assert AuditEvent.objects.order_by("id").last().outcome == "FAILED"


def test_delete_asks_first_naming_the_room_and_its_dps_description(visits, requests_mock) -> None:
    mock_rooms(requests_mock, usage=[], mappings=[a_mapping(AWKWARD, "Quiet room")])
    page = text(
        visits.get(
            "/visits-room-mappings/delete",
            {"prisonId": "MDI", "nomisRoomDescription": AWKWARD, "futureVisits": "true"},
        )
    )
    assert "Are you sure you want to delete this room mapping?" in page
    assert "Quiet room" in page
    assert "MDI-VISITS/ROOM 1 &amp; &#39;QUIET&#39;" in page
    assert not any(r.method == "DELETE" for r in requests_mock.request_history)


def test_delete_sends_the_percent_encoded_room_and_audits_it(visits, requests_mock) -> None:
    mock_rooms(requests_mock, usage=[], mappings=[a_mapping(AWKWARD, "Quiet room")])
    deleted = requests_mock.delete(
        mapping_url(
            "/prison/MDI/room-mappings/nomis-room-id/MDI-VISITS%2FROOM%201%20%26%20%27QUIET%27"
        ),
        status_code=204,
    )
    response = visits.post(
        "/visits-room-mappings/delete",
        {"prisonId": "MDI", "nomisRoomDescription": AWKWARD, "futureVisits": "true"},
    )
    assert response.status_code == 302
    assert deleted.call_count == 1
    succeeded = AuditEvent.objects.order_by("id").last()
    assert (succeeded.action, succeeded.outcome) == ("DELETE_ROOM_MAPPING", "SUCCEEDED")
    assert succeeded.details == {"dpsRoom": "Quiet room", "isOpen": True}


def test_room_mapping_actions_can_be_found_on_the_audit_page(client, tokens, syscon_user) -> None:
    from tests.factories import AuditEventFactory

    AuditEventFactory(
        action="ADD_ROOM_MAPPING",
        migration_type="",
        migration_id="",
        subject_kind="ROOM_MAPPING",
        subject_id="MDI / R1",
    )
    AuditEventFactory()
    page = text(sign_in(client, syscon_user).get("/audit/", {"action": "ADD_ROOM_MAPPING"}))
    assert len(re.findall(r'data-qa="audit-row"', page)) == 1
    assert 'data-qa="subject">Room mapping: MDI / R1</span>' in page


def test_the_preview_links_each_prisons_unmapped_rooms_to_its_table(visits, requests_mock) -> None:
    from tests.types import example_of
    from tests.unit.conftest_visits import migration_url

    visits.post("/visits-migration/start", {"prisonIds": "MDI, BXI", "visitTypes": ["SCON"]})
    example_of("visits").mock_checks(requests_mock, 10)
    requests_mock.get(
        migration_url("/migrate/visits/rooms/usage"),
        json=[
            {
                "agencyInternalLocationDescription": "MDI-R",
                "count": 2,
                "prisonId": "MDI",
                "vsipRoom": None,
            },
            {
                "agencyInternalLocationDescription": "BXI-R",
                "count": 1,
                "prisonId": "BXI",
                "vsipRoom": None,
            },
        ],
    )
    requests_mock.get(migration_url("/migrate/dead-letter-queue/VISITS/count"), json=0)
    requests_mock.get(migration_url("/migrate/history/active/VISITS"), json={})
    page = text(visits.get("/visits-migration/start/preview"))
    links = re.findall(r'href="([^"]+)" data-qa="map-rooms-link">Map the rooms of (\w+)', page)
    assert [prison for _, prison in links] == ["BXI", "MDI"]
    assert links[1][0].replace("&amp;", "&") == (
        "/visits-room-mappings/?prisonId=MDI&futureVisits=true&back=preview"
    )


@pytest.mark.parametrize("path", ["/visits-room-mappings/add", "/visits-room-mappings/delete"])
def test_changes_without_a_csrf_token_are_refused(tokens, requests_mock, visits_user, path):
    from django.test import Client

    strict = sign_in(Client(enforce_csrf_checks=True), visits_user)
    response = strict.post(
        path, {"prisonId": "MDI", "nomisRoomDescription": "R1", "dpsRoom": "Hall"}
    )
    assert response.status_code == 403
    assert requests_mock.call_count == 0
    assert AuditEvent.objects.count() == 0


def test_any_other_failure_to_add_is_explained_with_the_values_kept(visits, requests_mock):
    requests_mock.post(MAPPINGS, status_code=503)
    response = visits.post(
        "/visits-room-mappings/add",
        {
            "prisonId": "MDI",
            "nomisRoomDescription": "R1",
            "futureVisits": "true",
            "dpsRoom": "Hall",
        },
    )
    assert response.status_code == 502
    page = text(response)
    assert "The mapping could not be added because the mapping service" in page
    assert 'value="Hall"' in page


# -- Unchanged answers: both are asked every time; the table and rows are made again only when
# either answer changed (kernel.caching.room_tables, room_rows).

TABLE = "/visits-room-mappings/"


def table_rows(visits: Any, **query: str) -> list[str]:
    page = text(visits.get(TABLE, {"prisonId": "MDI", "futureVisits": "true", **query}))
    return re.findall(r'data-qa="room-row">(.*?)</tr>', page)


def usage_of(*rooms: tuple[str, int]) -> list[dict[str, Any]]:
    return [
        {"agencyInternalLocationDescription": room, "count": count, "prisonId": "MDI"}
        for room, count in rooms
    ]


def test_the_table_asks_both_services_every_time_and_shows_what_changed(
    visits, requests_mock
) -> None:
    mock_rooms(requests_mock, usage=usage_of(("MDI-A", 1)), mappings=[a_mapping("MDI-A", "Hall")])
    first = table_rows(visits)
    assert table_rows(visits) == first
    assert requests_mock.call_count == 4  # R1 and N17 for each view: nothing served from memory
    # A mapping added elsewhere, then only NOMIS's usage changing: each shows at the next view.
    requests_mock.get(MAPPINGS, json=[a_mapping("MDI-A", "Hall"), a_mapping("MDI-B", "Annex")])
    rows = table_rows(visits)
    assert len(rows) == 2 and "Annex" in rows[1]
    requests_mock.get(USAGE, json=usage_of(("MDI-A", 7), ("MDI-B", 2)))
    rows = table_rows(visits)
    assert ">7<" in rows[0] and "Annex" in rows[1] and ">2<" in rows[1]
    requests_mock.get(MAPPINGS, json=[a_mapping("MDI-B", "Annex")])
    rows = table_rows(visits)
    assert "Not mapped" in rows[0] and "Hall" not in rows[0] and "Annex" in rows[1]


def test_unchanged_answers_give_the_same_table_and_rows_without_decoding_again(
    visits_user, tokens, requests_mock
) -> None:
    from migrations_ui.room_mappings.table_rows import room_rows_html
    from migrations_ui.selectors.room_mappings import room_table

    mock_rooms(requests_mock, usage=usage_of(("MDI-A", 1)), mappings=[a_mapping("MDI-A", "Hall")])
    query = {"prisonId": "MDI", "futureVisits": "true"}
    first = room_table(user=visits_user, prison_id="MDI", future_only=True)
    rows = room_rows_html(first, query)
    again = room_table(user=visits_user, prison_id="MDI", future_only=True)
    assert again is first and room_rows_html(again, query) is rows
    # Another filter is another table; another query keeps its own links.
    assert room_table(user=visits_user, prison_id="MDI", future_only=False) is not first
    back = room_rows_html(first, {**query, "back": "preview"})
    assert back != rows and "back=preview" in back and "back=preview" not in rows
    # Same content in a new body (other spacing) is a new answer: made again, equal.
    requests_mock.get(MAPPINGS, text=json.dumps([a_mapping("MDI-A", "Hall")], indent=1))
    changed = room_table(user=visits_user, prison_id="MDI", future_only=True)
    assert changed is not first and changed.rows == first.rows
    assert room_rows_html(changed, query) == rows


def test_a_kept_table_page_is_each_users_own_and_a_message_is_shown_once(
    client, visits_user, syscon_user, tokens, requests_mock, pages_written
) -> None:
    # Unchanged answers give the page written last time (kernel.jinja2.kept_page), for the same
    # user: with its own nonce and CSRF token each time, and never a message shown before.
    mock_rooms(requests_mock, usage=usage_of(("MDI-A", 1)), mappings=[a_mapping("MDI-A", "Hall")])
    query = {"prisonId": "MDI", "futureVisits": "true"}
    visits = sign_in(client, visits_user)
    first, second = (visits.get(TABLE, query) for _ in range(2))
    nonce = re.compile(r'nonce="([^"]+)"')
    assert set(nonce.findall(first.content.decode())).isdisjoint(
        nonce.findall(second.content.decode())
    )
    assert "V. Visits" in text(second)
    assert pages_written == ["room_mappings/table.html"]  # once, for both responses
    syscon = text(sign_in(Client(), syscon_user).get(TABLE, query))
    assert "S. Syscon" in syscon and "V. Visits" not in syscon
    requests_mock.post(MAPPINGS, status_code=201)
    visits.post(
        "/visits-room-mappings/add",
        {**query, "nomisRoomDescription": "MDI-B", "dpsRoom": "Annex", "isOpen": "true"},
    )
    assert "is now mapped to Annex" in text(visits.get(TABLE, query))
    assert "is now mapped" not in text(visits.get(TABLE, query))


def test_the_table_page_is_ascii_and_a_room_outside_ascii_is_shown_as_sent(
    visits, requests_mock
) -> None:
    # kernel.jinja2.ascii_html: 193 us to encode the 203-room page with the footer's raw "\u00a9".
    mock_rooms(requests_mock, usage=usage_of(("MDI-A", 1)), mappings=[a_mapping("MDI-A", "Hall")])
    page = visits.get(TABLE, {"prisonId": "MDI", "futureVisits": "true"}).content
    assert page.isascii() and b"&#169; Crown copyright" in page
    requests_mock.get(MAPPINGS, json=[a_mapping("MDI-A", "Salle \u00e9t\u00e9")])
    page = visits.get(TABLE, {"prisonId": "MDI", "futureVisits": "true"}).content
    # Written as references, which a browser reads as the characters sent.
    assert page.isascii() and "Salle \u00e9t\u00e9" in html.unescape(page.decode())


def test_an_unreadable_answer_after_a_good_one_is_still_a_failure(visits, requests_mock) -> None:
    mock_rooms(requests_mock, usage=usage_of(("MDI-A", 1)), mappings=[a_mapping("MDI-A", "Hall")])
    assert len(table_rows(visits)) == 1
    requests_mock.get(MAPPINGS, text="not json")
    response = visits.get(TABLE, {"prisonId": "MDI", "futureVisits": "true"})
    assert response.status_code == 502
    assert "mapping service" in text(response) and 'data-qa="room-row"' not in text(response)
    requests_mock.get(MAPPINGS, status_code=500)
    assert visits.get(TABLE, {"prisonId": "MDI", "futureVisits": "true"}).status_code == 502
