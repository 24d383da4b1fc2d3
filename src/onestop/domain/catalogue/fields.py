"""The typed fields of a service's application form.

A `FormField` says what one answer is (its `FieldType`), whether it is required, and
for some types more: the choices of a choice field, the bounds of a number, the
default region of a phone number, the evidence type of a document.  How answers are
checked against fields is `onestop.domain.applications.forms`; the rules that span a catalogue
(a bound on a text field, a region the phone metadata does not know) are
`onestop.domain.catalogue.checks`.  `onestop.domain.catalogue.model` re-exports these names.

>>> FormField(name="floor_area", label=LocalizedText.of(en="Area"), type=FieldType.NUMBER,
...           minimum=0, maximum="1000.5").maximum
Decimal('1000.5')
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from onestop.domain.common.kinds import parse_number, typed_fields
from onestop.domain.common.text import LocalizedText

__all__ = ["Choice", "FieldType", "FormField"]


class FieldType(enum.Enum):
    """The type of an application form's field."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DOCUMENT = "document"
    PHONE = "phone"
    """A phone number, kept in E.164 form (`onestop.domain.common.contacts`)."""
    EMAIL = "email"
    """An e-mail address, its syntax checked and normalised (`onestop.domain.common.contacts`)."""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Choice:
    """One option of a choice field."""

    value: str
    label: LocalizedText


def _minimum(value: Decimal | int | str | None) -> Decimal | int | None:
    """Convert a lower bound: a number, or decimal text, into an `int` or `Decimal`."""
    return None if value is None else parse_number(value, field="minimum")


def _maximum(value: Decimal | int | str | None) -> Decimal | int | None:
    """Convert an upper bound: a number, or decimal text, into an `int` or `Decimal`."""
    return None if value is None else parse_number(value, field="maximum")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FormField:
    """One typed field of a service's application form.

    Attributes:
        name: The answer's key, ``[a-z_][a-z0-9_]*``; rules refer to it by this name.
        label: What the applicant reads.
        type: The kind of answer expected.
        required: Whether an answer must be given.
        order: Position on the form; fields are shown by ascending order.
        choices: The options of a choice or multiple-choice field.
        personal_data: Whether answers hold personal data (never logged or sent out).
        help: An optional hint shown under the field.
        evidence_type: For document fields, the evidence type expected.
        minimum: For number fields, the smallest answer accepted, if any: an `int`, a
            `Decimal` or a decimal string (which becomes a `Decimal`).
        maximum: For number fields, the largest answer accepted, if any.
        region: For phone fields, the country (ISO 3166, ``ID``) whose national
            numbers are accepted besides international ones.

    Raises:
        InvalidValue: If a bound is not a number (a float, a boolean, a string that is
            not plain decimal); `onestop.domain.catalogue.checks.check_catalogue` reports the rest.
    """

    name: str
    label: LocalizedText
    type: FieldType
    required: bool = False
    order: int = 0
    choices: tuple[Choice, ...] = ()
    personal_data: bool = False
    help: LocalizedText | None = None
    evidence_type: str | None = None
    minimum: Decimal | int | None = attrs.field(default=None, converter=_minimum)
    maximum: Decimal | int | None = attrs.field(default=None, converter=_maximum)
    region: str | None = None
