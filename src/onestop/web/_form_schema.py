"""A service's application form as a JSON Schema (draft 2020-12), in typed attrs classes.

`form_schema` describes the ``answers`` object that ``POST /api/v1/applications``
accepts for a service, field by field (`onestop.domain.applications.forms` checks
them).  The classes are the response type, so the OpenAPI document describes the
schema's shape exactly and has no untyped object; JSON keywords that are not Python
names are renamed on the wire (`onestop.web._renamed`).

Where JSON Schema cannot say everything the server checks, the schema is narrower
than the server where that is possible (an answer valid by the schema is accepted):

- a ``number`` is a JSON integer within the field's bounds, or decimal text whose
  pattern holds the bounds (`onestop.web._ranges`); a JSON fraction is refused, as
  ``0.1`` is not the number a person wrote.
- a ``phone`` answer must also be a valid number in the ITU plan (the pattern checks
  its characters only); an ``email`` answer's syntax is checked by the server
  (``format: email`` is an annotation).
- digits of the catalogue's languages (Khmer, Arabic-Indic, full-width), blank answers
  to optional fields and surrounding spaces are accepted by the server but not
  described.
- a ``document`` field cannot be answered here (documents are uploaded and named in
  ``documents``): it has no property, so a form with a required one is unsatisfiable
  online, as the server is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from onestop.domain.applications.forms import MAX_LONG_TEXT, MAX_TEXT
from onestop.domain.catalogue.model import FieldType, FormField, Service
from onestop.domain.common.contacts import MAX_EMAIL, MAX_PHONE
from onestop.web._ranges import decimal_pattern
from onestop.web._renamed import wire_name
from onestop.web._wire import END

__all__ = [
    "DRAFT_2020_12",
    "ChoiceSchema",
    "FieldSchema",
    "FormSchema",
    "ItemsSchema",
    "NumberSchema",
    "field_schema",
    "form_schema",
]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` of every form schema."""

NUMBER_LIMIT = 10**30 - 1
"""The largest whole number a ``number`` answer may be (30 digits)."""

_NOT_BLANK = r"(?=[\s\S]*\S)"
_LINE = r"[^\x00-\x1f\x7f-\x9f]"  # no control character (Unicode category Cc)
_LINES = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # tabs and line breaks allowed
_DATE = rf"^(?!0000)[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{END}"  # year 0 is no date of Python's


@attrs.frozen(kw_only=True)
class ChoiceSchema:
    """One allowed value of a choice, with its label.

    Attributes:
        const: The value to send.
        title: What the applicant reads, in the language served.
    """

    const: str
    title: str


@attrs.frozen(kw_only=True)
class ItemsSchema:
    """The items of a multiple-choice answer: each one of the choices.

    Attributes:
        type: Always ``string``.
        one_of: The choices (``oneOf``).
    """

    type: str
    one_of: tuple[ChoiceSchema, ...] = wire_name("oneOf", required=True)


@attrs.frozen(kw_only=True)
class NumberSchema:
    """One form a ``number`` answer may take (an item of ``anyOf``).

    Attributes:
        type: ``integer`` or ``string`` (decimal text; a JSON fraction is refused).
        minimum: The smallest whole number accepted, for ``integer``.
        maximum: The largest whole number accepted, for ``integer``.
        pattern: The shape of decimal text, for ``string``.
        description: What the text is, with the field's bounds (which its pattern holds).
    """

    type: str
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True)
class FieldSchema:
    """The JSON Schema of one form field's answer; keywords that do not apply are absent.

    Attributes:
        title: The field's label in the language served.
        field_type: The catalogue's field type (``x-onestop-type``), which says more than
            the JSON type (a ``phone``, a ``long_text``).
        description: The field's help text, if any.
        type: The JSON type; absent for a ``number`` (see ``anyOf``).
        format: ``date`` or ``email``.
        min_length: ``minLength``, the fewest characters.
        max_length: ``maxLength``, the most characters.
        pattern: An ECMA-262 pattern the text must match.
        one_of: ``oneOf``, the choices of a ``choice`` field.
        items: The items of a ``multi_choice`` answer.
        unique_items: ``uniqueItems``: a choice may not be picked twice.
        max_items: ``maxItems``, for a multiple choice without choices (0).
        any_of: ``anyOf``, the forms of a ``number`` answer.
    """

    title: str
    field_type: FieldType = wire_name("x-onestop-type", required=True)  # noqa: RUF009 - a field
    description: str | None = None
    type: str | None = None
    format: str | None = None
    min_length: int | None = wire_name("minLength")
    max_length: int | None = wire_name("maxLength")
    pattern: str | None = None
    one_of: tuple[ChoiceSchema, ...] | None = wire_name("oneOf")
    items: ItemsSchema | None = None
    unique_items: bool | None = wire_name("uniqueItems")
    max_items: int | None = wire_name("maxItems")
    any_of: tuple[NumberSchema, ...] | None = wire_name("anyOf")


@attrs.frozen(kw_only=True)
class FormSchema:
    """A service's form as a JSON Schema (draft 2020-12) of the ``answers`` object.

    Answers valid by it are accepted on submission, with two checks it cannot state: a
    ``phone`` answer must be a valid number in the ITU plan, and an ``email`` answer's
    syntax is checked by the server.  The server also takes a few answers it does not
    describe (digits of the catalogue's languages, blank text for optional fields, spaces
    around a number or a date).  A ``document`` field has no property: documents are
    uploaded and named in a submission's ``documents``.

    Attributes:
        schema_uri: ``$schema``, always draft 2020-12's URI.
        title: The service's name in the language served.
        type: Always ``object``.
        properties: Each answerable field's schema, by field name, in the form's order.
        required: The names of the fields that must be answered.
        additional_properties: ``additionalProperties``: always false, as the server
            refuses answers to fields the form does not declare.
    """

    schema_uri: str = wire_name("$schema", required=True)
    title: str
    type: str
    properties: Mapping[str, FieldSchema]
    required: tuple[str, ...]
    additional_properties: bool = wire_name("additionalProperties", required=True)


def form_schema(service: Service, language: str, /, *, fallbacks: Sequence[str]) -> FormSchema:
    """Return *service*'s form as a JSON Schema, its texts in *language*."""
    fields = sorted(service.form, key=lambda f: (f.order, f.name))
    return FormSchema(
        schema_uri=DRAFT_2020_12,
        title=service.name.get(language, fallbacks=fallbacks),
        type="object",
        properties={
            f.name: field_schema(f, language, fallbacks=fallbacks)
            for f in fields
            if f.type is not FieldType.DOCUMENT
        },
        required=tuple(f.name for f in fields if f.required),
        additional_properties=False,
    )


def field_schema(field: FormField, language: str, /, *, fallbacks: Sequence[str]) -> FieldSchema:
    """Return the schema of one (answerable) form field's answer."""
    title = field.label.get(language, fallbacks=fallbacks)
    help_text = None if field.help is None else field.help.get(language, fallbacks=fallbacks)
    base = FieldSchema(title=title, field_type=field.type, description=help_text)
    kind = field.type
    if kind is FieldType.BOOLEAN:
        return attrs.evolve(base, type="boolean")
    if kind is FieldType.NUMBER:
        return attrs.evolve(base, any_of=_number(field))
    choices = tuple(
        ChoiceSchema(const=c.value, title=c.label.get(language, fallbacks=fallbacks))
        for c in field.choices
    )
    if kind is FieldType.MULTI_CHOICE:
        if not choices:
            return attrs.evolve(base, type="array", max_items=0)
        items = ItemsSchema(type="string", one_of=choices)
        return attrs.evolve(base, type="array", items=items, unique_items=True)
    if kind is FieldType.CHOICE:
        if not choices:
            return attrs.evolve(base, type="string", max_length=0)
        return attrs.evolve(base, type="string", one_of=choices)
    return _text(field, attrs.evolve(base, type="string"))


def _text(field: FormField, base: FieldSchema) -> FieldSchema:
    lead = "^" + (_NOT_BLANK if field.required else "")
    if field.type is FieldType.DATE:
        return attrs.evolve(base, format="date", pattern=_DATE)
    if field.type is FieldType.EMAIL:
        pattern = f"{lead}{_LINE}*{END}"
        return attrs.evolve(base, format="email", max_length=MAX_EMAIL, pattern=pattern)
    if field.type is FieldType.PHONE:
        plus = "" if field.region else r" *\+"
        return attrs.evolve(base, max_length=MAX_PHONE, pattern=f"{lead}{plus}[0-9 +().-]*{END}")
    if field.type is FieldType.LONG_TEXT:
        return attrs.evolve(base, max_length=MAX_LONG_TEXT, pattern=f"{lead}{_LINES}*{END}")
    return attrs.evolve(base, max_length=MAX_TEXT, pattern=f"{lead}{_LINE}*{END}")


def _number(field: FormField) -> tuple[NumberSchema, NumberSchema]:
    low = -NUMBER_LIMIT if field.minimum is None else max(-NUMBER_LIMIT, _ceil(field.minimum))
    high = NUMBER_LIMIT if field.maximum is None else min(NUMBER_LIMIT, _floor(field.maximum))
    bounds = [
        f"at least {field.minimum}" if field.minimum is not None else "",
        f"at most {field.maximum}" if field.maximum is not None else "",
    ]
    said = " and ".join(b for b in bounds if b)
    text = NumberSchema(
        type="string",
        pattern=decimal_pattern(field.minimum, field.maximum),
        description=f"Decimal text, {said}." if said else "Decimal text.",
    )
    return NumberSchema(type="integer", minimum=low, maximum=high), text


def _ceil(value: Decimal | int) -> int:
    return value if isinstance(value, int) else math.ceil(value)


def _floor(value: Decimal | int) -> int:
    return value if isinstance(value, int) else math.floor(value)
