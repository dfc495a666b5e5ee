"""What is particular to Core Person: no filter, its estimate, its entity id and its log line.

The pages it shares with every type are covered by test_type_pages.py.
"""

from __future__ import annotations

import pytest

from migrations_ui.types import core_person
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = core_person.TYPE


def test_it_is_the_generalised_core_person_type_at_the_old_religion_prefix() -> None:
    # upstream-api-types.md §8: CORE_PERSON, POST /migrate/core-person; §1.2: SYSCON only.
    assert (TYPE.upstream_type, TYPE.start_path) == ("CORE_PERSON", "core-person")
    assert TYPE.url_prefix == "coreperson-religion-migration"
    assert TYPE.roles == ()


def test_it_has_no_filter_so_the_start_sends_no_body() -> None:
    assert TYPE.has_filter is False
    assert TYPE.form().upstream_filter() == {}
    assert TYPE.summary({}) == []


def test_the_estimate_is_every_nomis_prisoner(tokens, requests_mock) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json={"content": [], "totalElements": 2000})
    assert core_person.estimate("SYSCON_USER", {}) == 2000
    assert requests_mock.last_request.qs == {"page": ["0"], "size": ["1"]}


@pytest.mark.parametrize("body", [{"totalElements": "2000"}, [2000], {"totalElements": 1.5}])
def test_a_malformed_count_is_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=body)
    with pytest.raises(MalformedResponse):
        core_person.estimate("SYSCON_USER", {})


def test_a_failure_is_named_by_the_prisoners_prison_number() -> None:
    assert TYPE.entity_id_label == "Prisoner number"
    assert TYPE.entity_id({"rootOffenderId": 1234567, "prisonNumber": "A1234BC"}) == "A1234BC"
    assert TYPE.entity_id("A1234BC") == ""


def test_the_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    # upstream-api-types.md §5 and §6.6: not the old dashboard's "core person religion" snippet.
    assert TYPE.already_migrated_log == "Will not migrate the prisoner="


@pytest.mark.parametrize("stored", [{}, {"prisonIds": ["MDI"]}])
def test_a_stored_filter_shows_no_lines(stored) -> None:
    # The service stores "" (no body); the history reads it as {}.
    assert TYPE.filter_lines(stored) == []
