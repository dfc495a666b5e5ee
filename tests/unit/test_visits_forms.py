"""The start form and the history filter: GOV.UK messages, normalised values, no upstream."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from migrations_ui.forms import HistoryFilterForm, parse_date_time
from migrations_ui.types.visits.forms import VisitsMigrationForm


def form(**data: str | list[str]) -> VisitsMigrationForm:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return VisitsMigrationForm(query)


def test_an_empty_form_asks_for_visit_types_and_prisons_in_the_pages_order() -> None:
    f = form()
    assert not f.is_valid()
    assert f.error_list() == [
        {"text": "Select the type of visits to migrate", "href": "#visitTypes"},
        {"text": "Enter one or more prison codes", "href": "#prisonIds"},
    ]


@pytest.mark.parametrize("typed", ["hei, mdi", "HEI MDI", " hei,mdi ,", "HEI,\tMDI, hei"])
def test_prison_codes_are_split_on_commas_or_spaces_and_upper_cased(typed) -> None:
    f = form(prisonIds=typed, visitTypes="SCON")
    assert f.is_valid(), f.errors
    assert f.upstream_filter()["prisonIds"] == ["HEI", "MDI"]


@pytest.mark.parametrize("typed", ["HEIX", "H1", "HE", "HEI; MDI"])
def test_each_prison_code_must_be_three_letters(typed) -> None:
    f = form(prisonIds=typed, visitTypes="SCON")
    assert not f.is_valid()
    assert f.errors["prisonIds"] == ["Prison codes must be 3 letters, like HEI or HEI, MDI"]


def test_a_valid_form_gives_the_upstream_filter() -> None:
    f = form(
        prisonIds="HEI",
        visitTypes=["SCON", "OFFI"],
        fromDateTime="2020-03-23",
        toDateTime="2020-03-24T12",
    )
    assert f.is_valid(), f.errors
    assert f.upstream_filter() == {
        "prisonIds": ["HEI"],
        "visitTypes": ["SCON", "OFFI"],
        "fromDateTime": "2020-03-23T00:00:00",
        "toDateTime": "2020-03-24T12:00:00",
        "ignoreMissingRoom": False,
    }
    # What was typed is kept for "Change".
    assert f.typed_values() == {
        "prisonIds": "HEI",
        "visitTypes": ["SCON", "OFFI"],
        "fromDateTime": "2020-03-23",
        "toDateTime": "2020-03-24T12",
    }


@pytest.mark.parametrize(
    "typed", ["invalid", "124-01-01", "2020-02-30", "1971-67-12", "2020-03-23T25:00"]
)
def test_dates_must_be_real(typed) -> None:
    f = form(prisonIds="HEI", visitTypes="SCON", fromDateTime=typed)
    assert not f.is_valid()
    assert f.errors["fromDateTime"][0].startswith("Enter a real date")


def test_created_after_must_be_before_created_before() -> None:
    f = form(prisonIds="HEI", visitTypes="SCON", fromDateTime="2021-01-01", toDateTime="2020-01-01")
    assert not f.is_valid()
    assert f.errors["fromDateTime"] == [
        "The created after date must be before the created before date"
    ]


def test_unknown_visit_types_are_refused() -> None:
    f = form(prisonIds="HEI", visitTypes="XXXX")
    assert not f.is_valid()
    assert f.errors["visitTypes"] == ["Select the type of visits to migrate"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-03-23", dt.datetime(2020, 3, 23)),
        ("2020-03-23T12", dt.datetime(2020, 3, 23, 12)),
        ("2020-03-23T12:30", dt.datetime(2020, 3, 23, 12, 30)),
        ("2020-03-23 12:30:15", dt.datetime(2020, 3, 23, 12, 30, 15)),
    ],
)
def test_dates_take_an_optional_time(text, expected) -> None:
    assert parse_date_time(text) == expected


def test_history_filter_sends_iso_dates_and_always_the_failures_flag() -> None:
    f = HistoryFilterForm(QueryDict("prisonId=hei&fromDateTime=2020-03-23"))
    assert f.is_valid()
    assert f.upstream_params() == {
        "prisonId": "HEI",
        "fromDateTime": "2020-03-23T00:00:00",
        "toDateTime": None,
        "includeOnlyFailures": "false",
    }


@pytest.mark.parametrize("typed", ["invalid", "1971-67-12"])
def test_history_filter_dates_must_be_real(typed) -> None:
    f = HistoryFilterForm(QueryDict(f"toDateTime={typed}"))
    assert not f.is_valid()
    assert f.error_list()[0]["href"] == "#toDateTime"
