"""The fields start forms are made of: each reads one kind of value as typed, normalises it, and
says how it is shown (a GOV.UK label, hint and width), so a type's form is a list of declarations
and one template (`components/fields.html`) renders every type's fields.

Each kind of field has its messages here, keyed by code ("required", "invalid", ...); a form
may say one differently for its field (`messages=`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

PRISON_CODE = re.compile(r"^[A-Z]{3}$")
PRISONER_NUMBER = re.compile(r"^[A-Z][0-9]{4}[A-Z]{2}$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$")
# Values typed as a list: commas, spaces or new lines between them.
_LIST_SEPARATORS = re.compile(r"[\s,]+")
# The largest id the services store (a signed 64-bit number).
LARGEST_ID = 2**63 - 1


def parse_date(text: str) -> dt.date | None:
    """`2020-03-23` only (`date.fromisoformat` would also take `20200323` and week dates)."""
    match = _ISO_DATE.match(text.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_date_time(text: str) -> dt.datetime | None:
    """`2020-03-23` (midnight), `2020-03-23T12`, `…T12:00` or `…T12:00:00`; None if not real."""
    match = _DATE_TIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def typed_list(text: str) -> list[str]:
    """Values typed with commas, spaces or new lines between them, upper-cased, in order, once."""
    return list(dict.fromkeys(part.upper() for part in _LIST_SEPARATORS.split(text) if part))


class TypedField(forms.Field):
    """A value typed as text: shown back exactly as typed, cleaned into what the upstream takes.

    Blank is "not given" (the kind's empty value) unless the field is required.
    """

    kind: ClassVar[str] = "input"
    default_messages: ClassVar[dict[str, str]] = {}
    # The input's width class; a field may set its own.
    default_width: ClassVar[str] = "govuk-input--width-10"
    spellcheck: ClassVar[bool | None] = None
    inputmode: ClassVar[str | None] = None
    # Longer input than this is not even looked at (no real value is that long).
    default_longest: ClassVar[int] = 200

    def __init__(
        self,
        *,
        label: str,
        hint: str = "",
        required: bool = False,
        messages: Mapping[str, str] | None = None,
        label_classes: str = "govuk-label--s",
        width: str | None = None,
        longest: int | None = None,
    ) -> None:
        super().__init__(required=False, label=label)
        self.hint = hint
        self.must_be_given = required
        self.label_classes = label_classes
        self.messages = {**type(self).default_messages, **(messages or {})}
        self.width = width or self.default_width
        self.longest = longest or self.default_longest
        # More attributes for the input (a read-only value, a `data-qa` hook).
        self.attributes: dict[str, str] = {}

    def empty(self) -> Any:
        return None

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def fail(self, code: str) -> forms.ValidationError:
        return forms.ValidationError(self.messages[code], code=code)

    def clean(self, value: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            if self.must_be_given:
                raise self.fail("required")
            return self.empty()
        if len(text) > self.longest:
            raise self.fail("invalid")
        return self.parse(text)


class PrisonCodeField(TypedField):
    """One 3 letter prison code, upper-cased ("" when optional and blank)."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter a prison code",
        "invalid": "Enter a prison code of 3 letters, like MDI",
    }
    default_width = "govuk-input--width-4"
    spellcheck = False

    def empty(self) -> str:
        return ""

    def parse(self, text: str) -> str:
        code = text.upper()
        if not PRISON_CODE.match(code):
            raise self.fail("invalid")
        return code


class PrisonCodesField(TypedField):
    """One or more 3 letter prison codes, upper-cased, in the order typed, each once."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter one or more prison codes",
        "invalid": "Enter prison codes of 3 letters, like HEI or HEI, MDI",
    }
    default_width = "govuk-input--width-20"
    spellcheck = False
    default_longest = 2_000

    def empty(self) -> list[str]:
        return []

    def parse(self, text: str) -> list[str]:
        codes = typed_list(text)
        if not codes:
            if self.must_be_given:
                raise self.fail("required")
            return []
        if any(not PRISON_CODE.match(code) for code in codes):
            raise self.fail("invalid")
        return codes


class PrisonerNumberField(TypedField):
    """One prisoner number, like A1234BC, upper-cased ("" when optional and blank)."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter a prisoner number",
        "invalid": "Enter a prisoner number in the correct format, like A1234BC",
    }
    spellcheck = False

    def empty(self) -> str:
        return ""

    def parse(self, text: str) -> str:
        number = text.upper()
        if not PRISONER_NUMBER.match(number):
            raise self.fail("invalid")
        return number


class PrisonerNumbersField(TypedField):
    """Prisoner numbers, upper-cased, in the order typed, each once (a box of a few lines)."""

    kind: ClassVar[str] = "textarea"
    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter one or more prisoner numbers",
        "invalid": "Enter prisoner numbers in the correct format, like A1234BC, "
        "separated by commas or spaces",
    }
    default_width = "govuk-input--width-30"
    spellcheck = False
    default_longest = 10_000

    def empty(self) -> list[str]:
        return []

    def parse(self, text: str) -> list[str]:
        numbers = typed_list(text)
        if any(not PRISONER_NUMBER.match(number) for number in numbers):
            raise self.fail("invalid")
        return numbers


class DateField(TypedField):
    """A date typed as `2020-03-23`."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter a date",
        "invalid": "Enter a real date, like 2020-03-23",
    }

    def parse(self, text: str) -> dt.date:
        date = parse_date(text)
        if date is None:
            raise self.fail("invalid")
        return date


class DateTimeField(TypedField):
    """A date with an optional time: `2020-03-23`, `2020-03-23T12:00:00`."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter a date",
        "invalid": "Enter a real date, like 2020-03-23 or 2020-03-23T12:00:00",
    }
    default_width = "govuk-input--width-20"

    def parse(self, text: str) -> dt.datetime:
        value = parse_date_time(text)
        if value is None:
            raise self.fail("invalid")
        return value


class IdField(TypedField):
    """A whole number that names a record, like 12345: 1 or more."""

    default_messages: ClassVar[dict[str, str]] = {
        "required": "Enter an ID",
        "invalid": "Enter an ID that is a whole number, like 12345",
        "range": "Enter an ID that is 1 or more",
    }
    inputmode = "numeric"

    def parse(self, text: str) -> int:
        if not text.isdigit():
            raise self.fail("invalid")
        number = int(text)
        if number < 1 or number > LARGEST_ID:
            raise self.fail("range")
        return number


class ChoicesField(forms.MultipleChoiceField):
    """Checkboxes: one or more of a few fixed values (the label is the fieldset's question)."""

    kind: ClassVar[str] = "checkboxes"

    def __init__(
        self,
        *,
        label: str,
        choices: list[tuple[str, str]],
        hint: str = "",
        messages: Mapping[str, str] | None = None,
    ) -> None:
        wording = dict(messages or {})
        super().__init__(
            label=label,
            choices=choices,
            error_messages={
                "required": wording.get("required", "Select at least one"),
                "invalid_choice": wording.get("required", "Select at least one"),
            },
        )
        self.hint = hint
