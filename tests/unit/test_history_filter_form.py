"""The history filter and the dates it reads: GOV.UK messages, normalised values, no upstream.

Visits' start form, which these shared a module with, is tested in tests/types/test_visits.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from migrations_ui.forms import HistoryFilterForm, parse_date_time


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


def test_a_page_without_a_filter_shares_one_unbound_form_and_a_filter_gets_its_own() -> None:
    whole = HistoryFilterForm.for_query(QueryDict(""))
    assert HistoryFilterForm.for_query(QueryDict("page=2")) is whole
    assert not whole.is_bound and not whole.errors and whole.search_params() is not None
    bad = HistoryFilterForm.for_query(QueryDict("fromDateTime=1971-67-12"))
    assert bad is not whole and bad.is_bound and not bad.is_valid()
    # A filtered page's form, and its errors, never reach the shared one.
    assert bad.error_text("fromDateTime")
    assert not whole.errors and whole.error_list() == [] and whole.raw("fromDateTime") == ""
    assert HistoryFilterForm.for_query(QueryDict("")) is whole
