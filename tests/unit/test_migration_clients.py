"""The migration service and NOMIS clients: paths, tokens, typed payloads, malformed bodies."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

import upstream
from migrations_ui.clients.migration_api import MigrationApiClient
from tests.unit.conftest_visits import active_json, dlq_message_json, history_json, page_json

# Fixtures shared by the visits tests.
pytest_plugins = ["tests.unit.conftest_visits"]


def test_every_call_carries_the_users_system_token(migration_api, tokens, requests_mock) -> None:
    requests_mock.get(migration_api.url("/migrate/history/all/VISITS"), json=[])
    migration_api.history("VISITS")
    assert requests_mock.last_request.headers["Authorization"] == "Bearer token-1-VISITS_USER"
    assert tokens.issued == [("VISITS_USER", "token-1-VISITS_USER")]


def test_a_401_drops_the_token_and_retries_once_even_for_a_post(
    migration_api, tokens, requests_mock
) -> None:
    requests_mock.post(
        migration_api.url("/migrate/visits"),
        [
            {"status_code": 401},
            {
                "status_code": 202,
                "json": {"migrationId": "2024-01-01T10:00:00", "estimatedCount": 5},
            },
        ],
    )
    context = migration_api.start("visits", {"prisonIds": ["HEI"]})
    assert context.migration_id == "2024-01-01T10:00:00"
    assert tokens.dropped == [("VISITS_USER", "token-1-VISITS_USER")]
    assert requests_mock.request_history[1].headers["Authorization"] == "Bearer token-2-VISITS_USER"
    assert requests_mock.call_count == 2


def test_a_second_401_is_an_error(migration_api, tokens, requests_mock) -> None:
    requests_mock.post(migration_api.url("/migrate/visits"), status_code=401)
    with pytest.raises(upstream.Unauthorised):
        migration_api.start("visits", {})
    assert requests_mock.call_count == 2


def test_the_base_url_is_read_when_the_client_is_built(settings, tokens) -> None:
    settings.NOMIS_MIGRATION_API_URL = "http://elsewhere.test/api"
    assert MigrationApiClient(username=None).url("/x") == "http://elsewhere.test/api/x"


def test_history_is_parsed_with_its_filter_string(migration_api, requests_mock) -> None:
    requests_mock.get(
        migration_api.url("/migrate/history/all/VISITS"),
        json=[
            history_json(filter='{"prisonIds":["MDI","HEI"],"fromDateTime":"2016-03-23T00:00:00"}')
        ],
    )
    [migration] = migration_api.history("VISITS", {"includeOnlyFailures": "false"})
    assert requests_mock.last_request.qs == {"includeonlyfailures": ["false"]}
    assert migration.migration_id == "2022-03-14T10:13:56"
    assert migration.when_started == dt.datetime(2022, 3, 14, 10, 13, 56, 878627)
    assert migration.filter == {"prisonIds": ["MDI", "HEI"], "fromDateTime": "2016-03-23T00:00:00"}


def test_an_unchanged_history_body_is_not_decoded_again(migration_api, requests_mock) -> None:
    url = migration_api.url("/migrate/history/all/VISITS")
    requests_mock.get(url, json=[history_json()])
    digest, first = migration_api.history_if_changed("VISITS", None, known_digest=None)
    assert first is not None and first[0].migration_id == "2022-03-14T10:13:56"
    # The same body again: the caller keeps what it decoded.
    assert migration_api.history_if_changed("VISITS", None, known_digest=digest) == (digest, None)
    # A changed body (here, one more migration) is decoded, with its own digest.
    requests_mock.get(url, json=[history_json("2022-03-15T10:00:00"), history_json()])
    changed, second = migration_api.history_if_changed("VISITS", None, known_digest=digest)
    assert changed != digest
    assert second is not None and [m.migration_id for m in second] == [
        "2022-03-15T10:00:00",
        "2022-03-14T10:13:56",
    ]
    # Still read and checked each time: a body that is not a list is still refused.
    requests_mock.get(url, json={"not": "a list"})
    with pytest.raises(upstream.MalformedResponse):
        migration_api.history_if_changed("VISITS", None, known_digest=changed)


@pytest.mark.parametrize("stored", ['""', "not json", "[1, 2]", None])
def test_a_filter_that_is_not_an_object_reads_as_empty(
    stored, migration_api, requests_mock
) -> None:
    # Visit slots store the JSON text "" (upstream-api-types.md §4.1); nothing odd breaks a list.
    requests_mock.get(
        migration_api.url("/migrate/history/all/VISIT_SLOTS"), json=[history_json(filter=stored)]
    )
    [migration] = migration_api.history("VISIT_SLOTS")
    assert migration.filter == {}


def test_migration_ids_are_percent_encoded_in_paths(migration_api, requests_mock) -> None:
    url = migration_api.url("/migrate/history/2022-03-14T10%3A13%3A56")
    requests_mock.get(url, json=history_json())
    assert migration_api.migration("2022-03-14T10:13:56").status == "COMPLETED"
    assert requests_mock.last_request.url == url


def test_active_accepts_nulls_when_there_is_no_history(migration_api, requests_mock) -> None:
    requests_mock.get(
        migration_api.url("/migrate/history/active/VISITS"),
        json=active_json(None, status=None, migrated=None, estimated=None),
    )
    active = migration_api.active("VISITS")
    assert active.migration_id is None and not active.in_progress


@pytest.mark.parametrize("body", ["5", '"5"'])
def test_dead_letter_count_accepts_a_bare_number_or_a_numeric_string(
    migration_api, requests_mock, body
) -> None:
    requests_mock.get(migration_api.url("/migrate/dead-letter-queue/VISITS/count"), text=body)
    assert migration_api.dead_letter_count("VISITS") == 5


def test_dead_letters_tolerate_other_message_types(migration_api, requests_mock) -> None:
    requests_mock.get(
        migration_api.url("/migrate/dead-letter-queue/VISITS"),
        json={
            "messagesFoundCount": 353,
            "messagesReturnedCount": 2,
            "messages": [
                dlq_message_json("m1", "2024-01-01T10:00:00", 42),
                dlq_message_json("m2", "x", None),
            ],
        },
    )
    result = migration_api.dead_letters("VISITS")
    assert result.messages_found == 353
    assert [(m.message_id, m.entity, m.message_type) for m in result.messages] == [
        ("m1", {"visitId": 42}, "MIGRATE_ENTITY"),
        ("m2", {"pageNumber": 3}, "MIGRATE_BY_PAGE"),
    ]


@pytest.mark.parametrize("status", [204, 200])
def test_purge_accepts_an_empty_204_or_a_200_with_a_count(
    migration_api, requests_mock, status
) -> None:
    kwargs = {"json": {"messagesFoundCount": 3}} if status == 200 else {}
    requests_mock.delete(
        migration_api.url("/migrate/dead-letter-queue/VISITS"), status_code=status, **kwargs
    )
    migration_api.purge_dead_letters("VISITS")


@pytest.mark.parametrize(
    ("method", "path", "call", "body"),
    [
        ("GET", "/migrate/history/all/VISITS", lambda c: c.history("VISITS"), {"not": "a list"}),
        ("GET", "/migrate/history/x", lambda c: c.migration("x"), [1, 2]),
        (
            "GET",
            "/migrate/history/x",
            lambda c: c.migration("x"),
            {"migrationId": 5, "status": "STARTED"},
        ),
        ("GET", "/migrate/history/active/VISITS", lambda c: c.active("VISITS"), "nope"),
        (
            "GET",
            "/migrate/dead-letter-queue/VISITS/count",
            lambda c: c.dead_letter_count("VISITS"),
            {"n": 1},
        ),
        (
            "GET",
            "/migrate/dead-letter-queue/VISITS",
            lambda c: c.dead_letters("VISITS"),
            {"messages": 3},
        ),
        ("GET", "/migrate/visits/rooms/usage", lambda c: c.visit_rooms_usage({}), [{"count": 1}]),
        ("POST", "/migrate/visits", lambda c: c.start("visits", {}), {"estimatedCount": 1}),
    ],
)
def test_bodies_of_the_wrong_shape_are_malformed_responses(
    migration_api, requests_mock, method, path, call, body
) -> None:
    requests_mock.register_uri(method, migration_api.url(path), json=body)
    with pytest.raises(upstream.MalformedResponse) as raised:
        call(migration_api)
    assert raised.value.service == "migration service"


def test_unreadable_json_is_a_malformed_response(migration_api, requests_mock) -> None:
    requests_mock.get(
        migration_api.url("/migrate/history/all/VISITS"), text='{"status":"UP","content":['
    )
    with pytest.raises(upstream.MalformedResponse):
        migration_api.history("VISITS")


def test_starting_is_never_retried(migration_api, requests_mock) -> None:
    requests_mock.post(migration_api.url("/migrate/visits"), exc=requests.ConnectionError)
    with pytest.raises(upstream.Unavailable):
        migration_api.start("visits", {})
    assert requests_mock.call_count == 1


def test_the_visits_count_asks_for_one_row_and_reads_total_elements(
    nomis_api, requests_mock
) -> None:
    requests_mock.get(nomis_api.url("/visits/ids"), json=page_json(100988))
    count = nomis_api.total(
        "/visits/ids",
        {"prisonIds": ["HEI", "MDI"], "visitTypes": ["SCON"], "page": 0},
        what="visit count",
        paged_model=False,
    )
    assert count == 100988
    assert requests_mock.last_request.qs == {
        "prisonids": ["hei", "mdi"],
        "visittypes": ["scon"],
        "page": ["0"],
        "size": ["1"],
    }
    assert requests_mock.last_request.headers["Authorization"].startswith("Bearer token-")


def test_a_visits_count_of_the_wrong_type_is_malformed(nomis_api, requests_mock) -> None:
    requests_mock.get(nomis_api.url("/visits/ids"), json={"totalElements": "lots"})
    with pytest.raises(upstream.MalformedResponse) as raised:
        nomis_api.total("/visits/ids", {}, what="visit count", paged_model=False)
    assert raised.value.service == "NOMIS prisoner API"
