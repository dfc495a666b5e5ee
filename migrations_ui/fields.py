"""The fields start forms are made of: each reads one kind of value as typed, normalises it, and
says how it is shown (a GOV.UK label, hint and width), so a type's form is a list of declarations
and one template (`components/fields.html`) renders every type's fields.

Every message and hint pattern lives here, once per kind of value (`MESSAGES`), in the GOV.UK
error message style: each names its field, taken from the field's label ("Activity start date"
gives "Enter the activity start date" and "Activity start date must be a real date, like
2020-03-23"), so no two types say the same thing differently. Forms that are not start forms
(the history filter, room mappings) ask `message()` for the same words.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
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

# Each kind's messages by code; `{name}` is the field's name inside a sentence, `{Name}` the same
# starting a sentence, `{example}` a valid value (the hint's "For example, ...").
MESSAGES: dict[str, dict[str, str]] = {
    "prison code": {
        "required": "Enter the {name}",
        "invalid": "{Name} must be 3 letters, like {example}",
    },
    "prison codes": {
        "required": "Enter the {name}",
        "invalid": "{Name} must be 3 letters each, like {example}",
    },
    "prisoner number": {
        "required": "Enter the {name}",
        "invalid": "{Name} must be a letter, 4 numbers and 2 letters, like {example}",
    },
    "prisoner numbers": {
        "required": "Enter the {name}",
        "invalid": "{Name} must each be a letter, 4 numbers and 2 letters, like {example}",
    },
    "date": {
        "required": "Enter the {name}",
        "invalid": "{Name} must be a real date, like {example}",
        "after_today": "{Name} must be after today",
    },
    "id": {
        "required": "Enter the {name}",
        "invalid": "{Name} must be a whole number, like {example}",
        "range": "{Name} must be between 1 and " + str(LARGEST_ID),
    },
    "choices": {"required": "Select the {name}"},
    # Two dates of one form in the wrong order (`order_error`).
    "order": {
        "before": "{Name} must be before the {other}",
        "same_or_before": "{Name} must be the same as or before the {other}",
    },
}
# Each kind's example value, shown in its hint and its messages.
EXAMPLES = {
    "prison code": "MDI",
    "prison codes": "HEI, WWI",
    "prisoner number": "A1234BC",
    "prisoner numbers": "A1234BC, B2345CD",
    "date": "2020-03-23",
    "date and time": "2020-03-23 or 2020-03-23T12:00:00",
    "id": "12345",
}
_OPTIONAL = " (optional)"


def name_of(label: str) -> str:
    """A label as a name inside a sentence: "Activity start date (optional)" -> "activity start
    date"; a label starting with an acronym ("DPS room") keeps its capitals."""
    name = label.removesuffix(_OPTIONAL)
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def message(kind: str, code: str, label: str, example: str = "", **more: str) -> str:
    """The kind's message `code` for the field labelled `label` (the one wording everywhere)."""
    name = name_of(label)
    return MESSAGES[kind][code].format(
        name=name, Name=name[:1].upper() + name[1:], example=example or EXAMPLES.get(kind), **more
    )


def example_hint(example: str, *more: str) -> str:
    """Every hint's pattern: "For example, MDI." and then what else the field needs said."""
    return " ".join((f"For example, {example}.", *(text for text in more if text)))


def order_error(form: forms.Form, first: str, second: str, *, same_allowed: bool) -> None:
    """Adds "<first> must be (the same as or) before the <second>" to `first` when the two
    dates, both valid, are the wrong way round."""
    start, end = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if start is None or end is None or (start < end or (same_allowed and start == end)):
        return
    text = message(
        "order",
        "same_or_before" if same_allowed else "before",
        str(form.fields[first].label or first),
        other=name_of(str(form.fields[second].label or second)),
    )
    form.add_error(first, forms.ValidationError(text, code="order"))


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


class TypedField(forms.Field, metaclass=abc.ABCMeta):
    """A value typed as text: shown back exactly as typed, cleaned into what the upstream takes.

    Blank is "not given" (the kind's empty value) unless the field is required. The label is a
    short name ("Prison codes", with " (optional)" when it may be left blank): the messages
    name the field with it. The hint is always "For example, <example>." then the field's own
    words (`hint`).
    """

    kind: ClassVar[str] = "input"
    # The key of the kind's messages and example (`MESSAGES`, `EXAMPLES`).
    words: ClassVar[str] = ""
    examples: ClassVar[str] = ""
    # What every field of the kind says after its example (how to type a list).
    instruction: ClassVar[str] = ""
    # Every start form field's label is the same size.
    label_classes: ClassVar[str] = "govuk-label--s"
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
        example: str = "",
        required: bool = False,
        width: str | None = None,
        longest: int | None = None,
    ) -> None:
        super().__init__(required=False, label=label)
        self.example = example or EXAMPLES[self.examples or self.words]
        self.hint = example_hint(self.example, self.instruction, hint)
        self.must_be_given = required
        self.width = width or self.default_width
        self.longest = longest or self.default_longest
        # More attributes for the input (a read-only value, a `data-qa` hook).
        self.attributes: dict[str, str] = {}

    def empty(self) -> Any:
        return None

    @abc.abstractmethod
    def parse(self, text: str) -> Any:
        """The typed value of non-blank text no longer than `longest`, or `fail(code)`."""

    def message(self, code: str) -> str:
        return message(self.words, code, str(self.label or ""), self.example)

    def fail(self, code: str) -> forms.ValidationError:
        return forms.ValidationError(self.message(code), code=code)

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

    words = "prison code"
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

    words = "prison codes"
    instruction = "Separate codes with commas or spaces."
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

    words = "prisoner number"
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
    words = "prisoner numbers"
    instruction = "Separate numbers with commas or spaces."
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

    words = "date"

    def parse(self, text: str) -> dt.date:
        date = parse_date(text)
        if date is None:
            raise self.fail("invalid")
        return date


class DateTimeField(TypedField):
    """A date with an optional time: `2020-03-23`, `2020-03-23T12:00:00`."""

    words = "date"
    examples = "date and time"
    default_width = "govuk-input--width-20"

    def parse(self, text: str) -> dt.datetime:
        value = parse_date_time(text)
        if value is None:
            raise self.fail("invalid")
        return value


class IdField(TypedField):
    """A whole number that names a record, like 12345: 1 or more."""

    words = "id"
    inputmode = "numeric"

    def parse(self, text: str) -> int:
        if not text.isdigit():
            raise self.fail("invalid")
        number = int(text)
        if number < 1 or number > LARGEST_ID:
            raise self.fail("range")
        return number


class ChoicesField(forms.MultipleChoiceField):
    """Checkboxes: one or more of a few fixed values (the label is the fieldset's legend)."""

    kind: ClassVar[str] = "checkboxes"

    def __init__(self, *, label: str, choices: list[tuple[str, str]]) -> None:
        required = message("choices", "required", label)
        super().__init__(
            label=label,
            choices=choices,
            error_messages={"required": required, "invalid_choice": required},
        )
        self.hint = "Select all that apply."
