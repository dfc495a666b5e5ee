"""One voice across every registered type (issue 28, items 1 and 2).

Each start form says the same thing about the same kind of field, in the words of
`migrations_ui.fields`, naming the field by its label, with its errors listed in the order the
fields come on the page; and every page's title is its h1 and the service name, with "Error: "
first when errors show. The types come from the registry, so a new type is covered as it is
registered.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from migrations_ui import fields, types
from migrations_ui.fields import ChoicesField, TypedField
from migrations_ui.types.base import MigrationType
from tests.factories import HistoryRowFactory, InProgressFactory, dead_letters
from tests.types import example_of
from tests.unit.conftest_visits import migration_url, sign_in
from tests.unit.test_type_pages import MIGRATION_ID, mock_preview, prefix

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

WITH_A_FILTER = [t for t in types.REGISTERED if t.has_filter]
EVERY_FORM = pytest.mark.parametrize("t", WITH_A_FILTER, ids=lambda t: t.slug)
EVERY_TYPE = pytest.mark.parametrize("t", types.REGISTERED, ids=lambda t: t.slug)

# A value each kind of field refuses as not its kind (checkboxes: a value not offered).
NOT_ITS_KIND = {
    "prison code": "M1",
    "prison codes": "HEI, M1",
    "prisoner number": "1234",
    "prisoner numbers": "A1234BC, 1234",
    "date": "2020-02-30",
    "id": "x",
}


@pytest.fixture
def syscon(client: Any, syscon_user: Any, tokens: Any) -> Any:
    return sign_in(client, syscon_user)


def page_of(response: Any) -> str:
    return str(re.sub(r"\s+", " ", response.content.decode()))


def summary_errors(page: str) -> list[tuple[str, str]]:
    """(field name, text) of each link of the error summary, in order."""
    start = page.index('class="govuk-error-summary"')
    end = page.index("</ul>", start)
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', page[start:end])
    return [(name, html.unescape(words).strip()) for name, words in links]


def order_on_page(page: str, names: list[str]) -> list[str]:
    """The fields' names in the order their inputs come on the page."""
    return sorted(names, key=lambda name: page.index(f'name="{name}"'))


def start_fields(t: MigrationType) -> dict[str, Any]:
    return dict(t.form.base_fields)


# -- Item 1: one message per kind of field


def test_the_messages_name_the_field_from_its_label() -> None:
    # Two dates differ only by their names; "(optional)" is not part of the name.
    assert fields.message("date", "required", "Start date") == "Enter the start date"
    assert fields.message("date", "required", "End date (optional)") == "Enter the end date"
    assert (
        fields.message("date", "invalid", "Start date")
        == "Start date must be a real date, like 2020-03-23"
    )
    assert fields.message("prison code", "invalid", "Prison code") == (
        "Prison code must be 3 letters, like MDI"
    )
    # A label that starts with an acronym keeps its capitals inside a sentence.
    assert fields.name_of("DPS room (optional)") == "DPS room"
    assert (
        fields.example_hint("MDI", "", "Leave this empty.") == "For example, MDI. Leave this empty."
    )


@EVERY_FORM
def test_every_field_has_a_short_label_a_small_label_and_an_example_hint(t) -> None:
    for name, field in start_fields(t).items():
        label = str(field.label)
        # A name, not a sentence or a question: the messages are built from it.
        assert not label.endswith(("?", ".", ":")), (t.slug, name, label)
        assert len(fields.name_of(label).split()) <= 4, (t.slug, name, label)
        if isinstance(field, TypedField):
            assert field.label_classes == "govuk-label--s", (t.slug, name)
            assert field.hint.startswith(f"For example, {field.example}."), (t.slug, name)
        else:
            assert isinstance(field, ChoicesField), (t.slug, name)
            assert field.hint == "Select all that apply."


@EVERY_FORM
def test_every_form_asks_its_question(syscon, t) -> None:
    # The fieldset's legend is the question; the labels under it are names.
    assert t.form.question.startswith(("Which ", "Whose ")), t.slug
    assert t.form.question.endswith("?"), t.slug
    page = page_of(syscon.get(f"{prefix(t)}start"))
    legends = re.findall(r'govuk-fieldset__legend--m">(.*?)</legend>', page)
    assert [html.unescape(legend) for legend in legends] == [t.form.question]


@EVERY_FORM
def test_an_empty_submit_asks_for_each_required_field_in_page_order(syscon, t) -> None:
    form = dict.fromkeys(start_fields(t), "")
    response = syscon.post(f"{prefix(t)}start", form)
    required = {
        name: field
        for name, field in start_fields(t).items()
        if getattr(field, "must_be_given", False) or isinstance(field, ChoicesField)
    }
    if not required:
        # Every field optional: an empty form is a valid one (it migrates everything).
        assert response.status_code == 302
        return
    page = page_of(response)
    assert "<title>Error: " in page
    errors = summary_errors(page)
    assert [name for name, _ in errors] == order_on_page(page, list(required))
    for name, words in errors:
        field = required[name]
        if isinstance(field, ChoicesField):
            assert words == fields.message("choices", "required", str(field.label))
        else:
            assert words == f"Enter the {fields.name_of(str(field.label))}"
            assert words == fields.message(field.words, "required", str(field.label))
        # The same words sit by the field.
        assert f'<span class="govuk-visually-hidden">Error:</span> {html.escape(words)}' in page


@EVERY_FORM
def test_a_value_of_the_wrong_kind_is_named_in_the_shared_words_in_page_order(syscon, t) -> None:
    form = dict(example_of(t.slug).form)
    expected = {}
    for name, field in start_fields(t).items():
        if isinstance(field, ChoicesField):
            form[name] = "NOT-OFFERED"
            expected[name] = fields.message("choices", "required", str(field.label))
        else:
            form[name] = NOT_ITS_KIND[field.words]
            expected[name] = field.message("invalid")
            # The name starts the sentence, as GOV.UK's "[whatever] must be ...".
            name_of_field = fields.name_of(str(field.label))
            assert expected[name].startswith(name_of_field[:1].upper() + name_of_field[1:])
    page = page_of(syscon.post(f"{prefix(t)}start", form))
    errors = summary_errors(page)
    assert [name for name, _ in errors] == order_on_page(page, list(expected))
    assert dict(errors) == expected


# -- Item 2: titles, words and back links


SERVICE = settings.SERVICE_NAME


def title_and_h1(page: str) -> tuple[str, str]:
    (title,) = re.findall(r"<title>(.*?)</title>", page)
    (h1,) = re.findall(r"<h1[^>]*>(.*?)</h1>", page)
    return html.unescape(title.strip()), html.unescape(h1.strip())


def assert_titled_by_its_h1(page: str, *, error: bool = False) -> None:
    title, h1 = title_and_h1(page)
    assert title == f"{'Error: ' if error else ''}{h1} - {SERVICE}"
    assert ("Migration id" not in page) and ("Migration Id" not in page)


def back_link(page: str) -> tuple[str, str]:
    (href, words) = re.findall(r'<a href="([^"]*)" class="govuk-back-link">(.*?)</a>', page)[0]
    return href, words


def mock_one_migration(requests_mock: Any, t: MigrationType, status: str) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{quote(MIGRATION_ID, safe='')}"),
        json=HistoryRowFactory(
            migrationId=MIGRATION_ID,
            migrationType=t.upstream_type,
            status=status,
            stored_filter=example_of(t.slug).stored_filter,
        ),
    )
    requests_mock.get(
        migration_url(f"/migrate/history/active/{t.upstream_type}"),
        json=InProgressFactory(migrationId=MIGRATION_ID, migrationType=t.upstream_type),
    )
    requests_mock.get(
        migration_url(f"/migrate/history/all/{t.upstream_type}"),
        json=[HistoryRowFactory(migrationId=MIGRATION_ID, migrationType=t.upstream_type)],
    )
    requests_mock.get(
        migration_url(f"/migrate/dead-letter-queue/{t.upstream_type}"), json=dead_letters()
    )


@EVERY_TYPE
def test_every_page_of_a_type_is_titled_by_its_h1(syscon, requests_mock, t) -> None:
    mock_one_migration(requests_mock, t, "STARTED")
    paths = ["", "start", f"{MIGRATION_ID}/", f"{MIGRATION_ID}/cancel", "failures/delete"]
    if t.has_failures_page:
        paths.append("failures/")
    for path in paths:
        response = syscon.get(prefix(t) + path)
        assert response.status_code == 200, path
        assert_titled_by_its_h1(page_of(response))

    # The start, its preview (with an example) and the confirmation.
    assert syscon.post(f"{prefix(t)}start", example_of(t.slug).form).status_code == 302
    mock_preview(requests_mock, t)
    preview = page_of(syscon.get(f"{prefix(t)}start/preview"))
    assert_titled_by_its_h1(preview, error="govuk-error-summary" in preview)
    token = re.search(r'name="preview_token" value="([^"]+)"', preview).group(1)
    requests_mock.post(
        migration_url(f"/migrate/{t.start_path}"),
        status_code=202,
        json={"migrationId": MIGRATION_ID, "estimatedCount": 1, "body": {}},
    )
    syscon.post(f"{prefix(t)}start/preview", {"preview_token": token})
    assert_titled_by_its_h1(page_of(syscon.get(f"{prefix(t)}start/confirmation")))


@EVERY_FORM
def test_a_start_form_with_errors_says_error_first_in_its_title(syscon, t) -> None:
    form = dict.fromkeys(start_fields(t), "NOT-A-VALUE")
    assert_titled_by_its_h1(page_of(syscon.post(f"{prefix(t)}start", form)), error=True)


@EVERY_TYPE
def test_back_links_step_back_or_return_to_the_types_list(syscon, requests_mock, t) -> None:
    mock_one_migration(requests_mock, t, "STARTED")
    history = prefix(t)
    # From details and failures: back to the type's list, named.
    to_list = [f"{MIGRATION_ID}/", *(["failures/"] if t.has_failures_page else [])]
    for path in to_list:
        assert back_link(page_of(syscon.get(history + path))) == (
            history,
            f"Back to {t.lower_name} migrations",
        )
    # Within a flow: "Back", to the step before.
    assert back_link(page_of(syscon.get(f"{history}start"))) == (history, "Back")
    cancel = back_link(page_of(syscon.get(f"{history}{MIGRATION_ID}/cancel")))
    assert cancel == (f"{history}{MIGRATION_ID}/", "Back")


def test_home_is_titled_with_the_service_name_alone(syscon) -> None:
    title, h1 = title_and_h1(page_of(syscon.get("/")))
    assert title == h1 == SERVICE


@pytest.mark.parametrize("path", ["/audit/", "/visits-room-mappings/prison"])
def test_the_other_pages_are_titled_by_their_h1(syscon, path) -> None:
    response = syscon.get(path)
    assert response.status_code == 200
    assert_titled_by_its_h1(page_of(response))


def test_a_missing_page_is_titled_by_its_h1(syscon) -> None:
    assert_titled_by_its_h1(page_of(syscon.get("/no-such-page/")))


def test_a_field_kind_without_its_parser_cannot_be_made() -> None:
    """`parse` is abstract: a new kind of field that forgets it fails when a form is built."""

    class Unparsed(TypedField):
        words = "prison code"

    with pytest.raises(TypeError, match="parse"):
        Unparsed(label="Prison code")  # type: ignore[abstract]  # mypy catches it too
