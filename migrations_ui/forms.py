"""Forms for the migration pages: they validate and normalise input, and never call upstream.

Messages follow the GOV.UK error message patterns; each field's errors are keyed by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms

from migrations_ui import fields
from migrations_ui.fields import PRISON_CODE, ChoicesField, parse_date_time

__all__ = ["PRISON_CODE", "parse_date_time"]


def iso_local(value: dt.datetime | None) -> str | None:
    """The upstream's local date-time form, `2020-03-23T00:00:00` (upstream-api.md §2.2)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


class ParsedTextField(forms.CharField):
    """An optional value typed as free text and parsed by `parse` (None: not a valid value).

    Dates are typed as text on these pages, as users of the existing dashboard type them.
    """

    parse: Callable[[str], Any]

    def __init__(self, *, invalid_message: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.error_messages["invalid"] = invalid_message

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        parsed = type(self).parse(text)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class DateTimeTextField(ParsedTextField):
    """A date with an optional time."""

    parse = staticmethod(parse_date_time)


class GovukForm(forms.Form):
    """Errors in page order, as the GOV.UK error summary wants them."""

    def error_list(self) -> list[dict[str, str]]:
        items = []
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append({"text": str(message), "href": f"#{name}"})
        for message in self.non_field_errors():
            items.append({"text": str(message), "href": "#"})
        return items

    def error_for(self, name: str) -> dict[str, str] | None:
        errors = self.errors.get(name)
        return {"text": str(errors[0])} if errors else None

    def error_text(self, name: str) -> str:
        """The field's first error message, or "" (a plain, hashable value for cached fragments)."""
        errors = self.errors.get(name)
        return str(errors[0]) if errors else ""

    def raw(self, name: str) -> str:
        """The value as typed (for redisplay), trimmed."""
        value = self.data.get(name, "") if self.is_bound else self.initial.get(name, "")
        return str(value or "").strip()


class MigrationFilterForm(GovukForm):
    """A migration type's start form: it gives the upstream filter and the values as typed.

    Each type's form declares its fields (migrations_ui.fields: each says how it is shown and
    what its messages are) and `upstream_filter()` (the filter as the upstream's start endpoint
    takes it); `typed_values()` gives what the user typed, for "Change" links and the preview's
    summary. One template shows every type's fields (`migrations_ui/_start_fields.html`).
    """

    # The fieldset's legend, asking what the fields answer; without one, the fields stand alone.
    question: ClassVar[str] = ""
    # A paragraph before the fields, when the form needs one.
    intro: ClassVar[str] = ""

    upstream_filter: Callable[[], dict[str, Any]]

    def typed_values(self) -> dict[str, Any]:
        """What the user typed, field by field (a list of the boxes ticked, for checkboxes)."""
        return {
            name: self.selected(name) if isinstance(field, ChoicesField) else self.raw(name)
            for name, field in self.fields.items()
        }

    @classmethod
    def initial_from(cls, query: Any) -> dict[str, Any]:
        """A fresh form's values, from defaults and the start page's query (none by default).

        Activities start tomorrow by default; allocations are pre-filled from an activities
        run's link. Whatever comes from the query is validated again when the form is sent.
        """
        return {}

    def selected(self, name: str) -> list[str]:
        """A multiple-choice field's chosen values, bound or from the initial values."""
        if self.is_bound:
            getlist = getattr(self.data, "getlist", None)
            return list(getlist(name)) if getlist else list(self.data.get(name) or [])
        return list(self.initial.get(name) or [])


class NoFilterForm(MigrationFilterForm):
    """The start form of a type that takes no filter: its start page is a plain "Continue"."""

    def upstream_filter(self) -> dict[str, Any]:
        return {}

    def typed_values(self) -> dict[str, Any]:
        return {}


def history_date_message(label: str) -> str:
    """A history filter date's "not a real date" message, in the start forms' words."""
    return fields.message("date", "invalid", label, fields.EXAMPLES["date and time"])


class HistoryFilterForm(GovukForm):
    """The history list's filter sidebar (reference-dashboard.md §4.2)."""

    KEYS = ("prisonId", "fromDateTime", "toDateTime", "includeOnlyFailures")

    @classmethod
    def for_query(cls, query: Any) -> HistoryFilterForm:
        """Bound to the page's query when it filters by anything; else the whole list's form,
        the same unbound form for every request (`caching.unbound_forms`).
        """
        if any(query.get(key) for key in cls.KEYS):
            return cls(query)
        # Imported here: kernel.caching reads settings, and the types' registry imports this
        # module without them (bench.state).
        from kernel import caching

        form = caching.unbound_forms.get(cls)
        if form is None:
            form = cls(None)
            # Its (empty) errors are worked out now, so requests only ever read the form.
            form.full_clean()
            caching.unbound_forms[cls] = form
        return form

    def search_params(self) -> dict[str, Any] | None:
        """M3's query for this filter; None when the filter is not valid (nothing to ask)."""
        if not self.is_bound:
            return {"includeOnlyFailures": "false"}
        return self.upstream_params() if self.is_valid() else None

    def query(self) -> dict[str, str]:
        """The filters in use, as typed, for the page's own links to repeat."""
        if not self.is_bound:
            return {}
        return {key: str(self.data[key]) for key in self.KEYS if self.data.get(key)}

    # The labels of _history_filters.html, which the messages name (the start forms' words).
    prisonId = forms.CharField(required=False, max_length=10, label="Prison code")
    fromDateTime = DateTimeTextField(
        label="Earliest start date", invalid_message=history_date_message("Earliest start date")
    )
    toDateTime = DateTimeTextField(
        label="Latest start date", invalid_message=history_date_message("Latest start date")
    )
    includeOnlyFailures = forms.BooleanField(required=False)

    def clean_prisonId(self) -> str:
        code = str(self.cleaned_data.get("prisonId") or "").strip().upper()
        if code and not PRISON_CODE.match(code):
            raise forms.ValidationError(fields.message("prison code", "invalid", "Prison code"))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        fields.order_error(self, "fromDateTime", "toDateTime", same_allowed=True)
        return cleaned

    def upstream_params(self) -> dict[str, Any]:
        """M3's query: empty values left out, `includeOnlyFailures` always sent."""
        data = self.cleaned_data
        return {
            "prisonId": data.get("prisonId") or None,
            "fromDateTime": iso_local(data.get("fromDateTime")),
            "toDateTime": iso_local(data.get("toDateTime")),
            "includeOnlyFailures": "true" if data.get("includeOnlyFailures") else "false",
        }

    def active_filters(self) -> list[tuple[str, str, str]]:
        """(key, tag label, value) for each filter in use, for the removable tags."""
        if not self.is_bound or not self.is_valid():
            return []
        tags = []
        if self.raw("prisonId"):
            tags.append(("prisonId", f"Prison: {self.raw('prisonId').upper()}", ""))
        if self.raw("fromDateTime"):
            tags.append(("fromDateTime", f"Earliest start: {self.raw('fromDateTime')}", ""))
        if self.raw("toDateTime"):
            tags.append(("toDateTime", f"Latest start: {self.raw('toDateTime')}", ""))
        if self.cleaned_data.get("includeOnlyFailures"):
            tags.append(("includeOnlyFailures", "Failures only", ""))
        return tags
