"""The catalogue as Open311 GeoReport v2 sees it: the service list and service definitions.

`services` builds the body of ``GET services.json`` and `service_definition` the body
of ``GET services/{service_code}.json``.  Both return plain lists and dicts, ready for
`json.dumps`; serving them over HTTP is the host's business.  `iter_services` and
`iter_service_definitions` give the same lists as JSON text, a service at a time.

**Safety.**  A value is written exactly, or the export refuses the catalogue with one
`InvalidCatalogue` listing every problem: no value holds a control character or a lone
surrogate, and only a service's description and a field's help text hold line breaks.
GeoReport v2 carries no links or e-mail addresses, so none of the catalogue's are
written.

GeoReport v2 has no notion of language, so each call renders its text in one
language (the catalogue's default unless another is asked for), falling back through
the catalogue's declared languages.  Only the service version in effect at the moment
asked about is shown: the spec has no versions either.

How our form fields map onto GeoReport attributes:

============  ===================  ==============================================
FieldType     ``datatype``         notes
============  ===================  ==============================================
text          ``string``
long_text     ``text``
number        ``number``
date          ``datetime``         ``datatype_description`` says a date is enough
boolean       ``singlevaluelist``  values ``true`` and ``false``
choice        ``singlevaluelist``  one value per choice
multi_choice  ``multivaluelist``   one value per choice
document      ``string``           ``datatype_description`` asks for a reference
phone         ``string``           kept in E.164 form (``+6281234567890``)
email         ``string``
============  ===================  ==============================================

After the form's fields, every definition lists the applicant's identity, which every
submission needs and GeoReport has no field for: ``applicant.identity_number`` and
``applicant.identity_scheme`` (required; the number a ``string``, the scheme a
``singlevaluelist`` of the schemes the mall knows); so every service has ``metadata:
true``.  Each ``datatype_description`` states what the mall enforces: a number's bounds, a
text's length, a phone number's and an e-mail address's form, then the field's help.
Every attribute is ``variable`` (the applicant answers it).  ``order`` is renumbered
``1, 2, 3, ...`` by each field's ``(order, position in the form)``, because the spec
expects positive, distinct, ascending orders while our forms allow ties and zero.
``values`` appears only on list attributes, as the spec describes it.

>>> from datetime import UTC, datetime
>>> from onestop.usecases.catalogue.loading import load_catalogue
>>> catalogue = load_catalogue("tests/catalogue/valid/minimal.toml")
>>> at = datetime(2025, 6, 2, tzinfo=UTC)
>>> [s["service_name"] for s in services(catalogue, at=at, language="id")]
['NPWP']
>>> service_definition(catalogue, "tax-id", at=at)["attributes"][0]["datatype"]
'singlevaluelist'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from onestop.domain.applications.forms import MAX_LONG_TEXT, MAX_TEXT
from onestop.domain.catalogue.model import Catalogue, FieldType, FormField, Service
from onestop.domain.common.contacts import MAX_EMAIL, MAX_PHONE
from onestop.domain.common.formats import check_int, kind_of, preview
from onestop.domain.common.parties import default_validators
from onestop.domain.common.text import LocalizedText, is_language_tag
from onestop.exceptions import AgencyNotFound, InvalidValue
from onestop.interop import _json
from onestop.interop._keywords import open311_keywords as _keywords
from onestop.interop._safety import (
    catalogue_shape,
    check_arguments,
    check_code,
    check_items,
    checked,
    shaped,
)
from onestop.interop.open311_forms import IDENTITY_NUMBER, IDENTITY_SCHEME_CODE

__all__ = [
    "DATATYPES",
    "SERVICE_TYPE",
    "iter_service_definitions",
    "iter_services",
    "service_definition",
    "service_definitions",
    "services",
]

DATATYPES: Final[Mapping[FieldType, str]] = {
    FieldType.TEXT: "string",
    FieldType.LONG_TEXT: "text",
    FieldType.NUMBER: "number",
    FieldType.DATE: "datetime",
    FieldType.BOOLEAN: "singlevaluelist",
    FieldType.CHOICE: "singlevaluelist",
    FieldType.MULTI_CHOICE: "multivaluelist",
    FieldType.DOCUMENT: "string",
    FieldType.PHONE: "string",
    FieldType.EMAIL: "string",
}
"""The GeoReport v2 ``datatype`` of each of our field types."""

SERVICE_TYPE: Final = "realtime"
"""The GeoReport ``type`` of every service.

A centre stores an application and returns its id in the same call that submits it,
which is what ``realtime`` promises.  ``batch`` (a token first, the id later) and
``blackbox`` (no id at all) describe back ends that cannot do that.
"""

_LIST_MULTILINE: Final = frozenset({"description"})
"""The keys of a service list entry whose text may hold line breaks: the description."""
_DEFINITION_MULTILINE: Final = frozenset({"datatype_description"})
"""The keys of a definition whose text may hold line breaks: help texts (a ``description``
there is a form field's label, one line)."""
_LIST_TYPES: Final = frozenset({"singlevaluelist", "multivaluelist"})
_BOOLEAN_VALUES: Final = ({"key": "true", "name": "true"}, {"key": "false", "name": "false"})
_DATE_HINT: Final = "A date (YYYY-MM-DD); a time of day, if given, is ignored."
_DOCUMENT_HINT: Final = "A reference to an uploaded document is expected"
_IDENTITY_NUMBER_HINT: Final = (
    "The applicant's identity number, as written on the identity document: "
    "at most 64 characters, checked against its scheme."
)
_IDENTITY_SCHEME_HINT: Final = "The scheme of the identity number: one of the keys listed."
_NUMBER_HINT: Final = "A decimal number written with the digits 0-9, such as 12 or 12.5"
_EMAIL_HINT: Final = f"An e-mail address such as name@example.org, at most {MAX_EMAIL} characters."


def services(
    catalogue: Catalogue,
    *,
    at: datetime,
    language: str | None = None,
    jurisdiction_id: str | None = None,
) -> list[dict[str, Any]]:
    """Return the GeoReport v2 service list: the body of ``GET services.json``.

    Each entry has ``service_code``, ``service_name``, ``description``, ``metadata``
    (true when the service has a form, so `service_definition` has attributes to
    show), ``type`` (always `SERVICE_TYPE`), ``keywords`` (comma-separated) and
    ``group`` (the service's category code, or else its agency's name).

    Args:
        catalogue: The catalogue to list.
        at: A timezone-aware moment; each service appears in its version in effect
            then, and services with no version in effect are left out.
        language: The language of the text; defaults to the catalogue's default
            language.  The catalogue's languages are the fallbacks.
        jurisdiction_id: An agency code; when given, only the services of that agency
            and the agencies below it are listed.

    Raises:
        NaiveDatetime: If *at* is naive (a `ValueError`).
        DateOutOfRange: If *at* lies outside 0001-01-02 .. 9999-12-30 UTC.
        InvalidValue: If *catalogue*, *language* or *jurisdiction_id* is of the wrong
            type or form.
        onestop.exceptions.AgencyNotFound: If *jurisdiction_id* names no agency.
        InvalidCatalogue: If a value to be written holds a line break (outside a
            description), a control character or a lone surrogate; every one is listed.
    """
    entries = list(_entries(catalogue, at, language, jurisdiction_id))
    check_items(entries, multiline=_LIST_MULTILINE, prefix="", identifier="service_code")
    return entries


def iter_services(
    catalogue: Catalogue,
    *,
    at: datetime,
    language: str | None = None,
    jurisdiction_id: str | None = None,
    indent: int | None = 2,
) -> Iterator[str]:
    """Yield the service list `services` returns as JSON text, one service at a time.

    Joined, the pieces are ``json.dumps(services(...), ensure_ascii=False,
    indent=indent)``; the list is never held in memory.  The arguments are checked
    before this returns; the text of each service as it is written.

    Raises:
        NaiveDatetime, DateOutOfRange, InvalidValue, AgencyNotFound: As `services`, at
            once.
        InvalidCatalogue: While iterating, as `iter_jsonld
            <onestop.interop.cpsv.iter_jsonld>` does: nothing more is yielded from the
            first service with a problem on, and the error lists every problem.
    """
    entries = _entries(catalogue, at, language, jurisdiction_id)
    return _stream(entries, indent, _LIST_MULTILINE)


def service_definition(
    catalogue: Catalogue, code: str, /, *, at: datetime, language: str | None = None
) -> dict[str, Any]:
    """Return the definition of service *code*: the body of ``GET services/{code}.json``.

    Its form's fields come first, then the applicant's identity number and scheme
    (the only attributes of a service without a form).

    Args:
        catalogue: The catalogue holding the service.
        code: The service code.
        at: A timezone-aware moment that decides which version is described.
        language: The language of the text; defaults to the catalogue's default.

    Raises:
        NaiveDatetime: If *at* is naive (a `ValueError`).
        DateOutOfRange: If *at* lies outside 0001-01-02 .. 9999-12-30 UTC.
        InvalidValue: If *catalogue*, *code* or *language* is of the wrong type or form.
        onestop.exceptions.ServiceNotFound: If no version of *code* is in effect at *at*.
        InvalidCatalogue: As `services`.
    """
    moment = check_arguments(catalogue, at)
    lang = _language(catalogue, language)
    checked_code = check_code(code, "code")
    with catalogue_shape():
        service = catalogue.service(checked_code, at=moment)
        definition = _definition(catalogue, service, lang)
    check_items([definition], multiline=_DEFINITION_MULTILINE, prefix="", identifier="service_code")
    return definition


def service_definitions(
    catalogue: Catalogue,
    *,
    at: datetime,
    language: str | None = None,
    jurisdiction_id: str | None = None,
) -> list[dict[str, Any]]:
    """Return the definition of every service `services` marks with ``metadata: true``.

    The arguments mean what they mean for `services`; the definitions come in the
    same order as the service list.

    Raises:
        NaiveDatetime, DateOutOfRange, InvalidValue, AgencyNotFound, InvalidCatalogue:
            As `services`.
    """
    definitions = list(_definitions(catalogue, at, language, jurisdiction_id))
    check_items(definitions, multiline=_DEFINITION_MULTILINE, prefix="", identifier="service_code")
    return definitions


def iter_service_definitions(
    catalogue: Catalogue,
    *,
    at: datetime,
    language: str | None = None,
    jurisdiction_id: str | None = None,
    indent: int | None = 2,
) -> Iterator[str]:
    """Yield the definitions `service_definitions` returns as JSON text, one at a time.

    As `iter_services`: joined, the pieces are ``json.dumps`` of the list.

    Raises:
        NaiveDatetime, DateOutOfRange, InvalidValue, AgencyNotFound, InvalidCatalogue:
            As `iter_services`.
    """
    definitions = _definitions(catalogue, at, language, jurisdiction_id)
    return _stream(definitions, indent, _DEFINITION_MULTILINE)


def _selected(
    catalogue: Catalogue, at: datetime, language: str | None, jurisdiction_id: str | None
) -> tuple[tuple[Service, ...], str]:
    """The services in effect at *at* under *jurisdiction_id*, and the language, checked."""
    moment = check_arguments(catalogue, at)
    lang = _language(catalogue, language)
    agency = None if jurisdiction_id is None else check_code(jurisdiction_id, "jurisdiction_id")
    with catalogue_shape():
        return catalogue.find(at=moment, agency=agency), lang


def _entries(
    catalogue: Catalogue, at: datetime, language: str | None, jurisdiction_id: str | None
) -> Iterator[dict[str, Any]]:
    found, lang = _selected(catalogue, at, language, jurisdiction_id)
    return shaped(_service_entry(catalogue, service, lang) for service in found)


def _definitions(
    catalogue: Catalogue, at: datetime, language: str | None, jurisdiction_id: str | None
) -> Iterator[dict[str, Any]]:
    found, lang = _selected(catalogue, at, language, jurisdiction_id)
    return shaped(_definition(catalogue, service, lang) for service in found)


def _stream(
    items: Iterator[dict[str, Any]], indent: int | None, multiline: frozenset[str]
) -> Iterator[str]:
    if indent is not None:
        check_int(indent, field="indent", maximum=16)

    def encode(item: Mapping[str, Any]) -> str:
        return _json.dumps(item, indent=indent, level=1)

    groups = checked(
        ([item] for item in items),
        encode=encode,
        multiline=multiline,
        prefix="",
        identifier="service_code",
    )
    return _json.array(groups, indent=indent)


def _language(catalogue: Catalogue, language: object) -> str:
    if language is None:
        return catalogue.default_language
    if not isinstance(language, str) or not is_language_tag(language):
        shown = preview(language) if isinstance(language, str) else kind_of(language)
        raise InvalidValue(field="language", reason=f"{shown} is not a BCP 47 language tag")
    return language


def _text(catalogue: Catalogue, text: LocalizedText | None, language: str) -> str:
    if text is None:
        return ""
    return text.get(language, fallbacks=catalogue.languages)


def _service_entry(catalogue: Catalogue, service: Service, language: str) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": _text(catalogue, service.name, language),
        "description": _text(catalogue, service.description, language),
        "metadata": True,  # every definition lists at least the applicant's identity
        "type": SERVICE_TYPE,
        "keywords": _keywords(service.keywords),
        "group": service.category or _agency_name(catalogue, service.agency, language),
    }


def _agency_name(catalogue: Catalogue, code: str, language: str) -> str:
    try:
        agency = catalogue.agency(code)
    except AgencyNotFound:
        return code
    return _text(catalogue, agency.name, language)


def _definition(catalogue: Catalogue, service: Service, language: str) -> dict[str, Any]:
    ordered = sorted(enumerate(service.form), key=lambda pair: (pair[1].order, pair[0]))
    attributes = [
        _attribute(catalogue, field, position, language)
        for position, (_, field) in enumerate(ordered, start=1)
    ]
    return {
        "service_code": service.code,
        "attributes": attributes + _identity_attributes(catalogue, len(attributes)),
    }


def _identity_attributes(catalogue: Catalogue, before: int) -> list[dict[str, Any]]:
    """The applicant's identity number and its scheme, which every submission needs and
    GeoReport has no field for: the last two attributes of every definition.  The scheme is
    a ``singlevaluelist`` of the schemes the mall knows (its catalogue's and the built-in
    validators'), each named as the catalogue names it (else by its code)."""
    declared = {s.code: s.name for s in catalogue.identity_schemes}
    schemes = sorted({*default_validators().schemes, *declared})
    language = catalogue.default_language
    return [
        {
            "variable": True,
            "code": IDENTITY_NUMBER,
            "datatype": "string",
            "required": True,
            "datatype_description": _IDENTITY_NUMBER_HINT,
            "order": before + 1,
            "description": "Identity number",
        },
        {
            "variable": True,
            "code": IDENTITY_SCHEME_CODE,
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": _IDENTITY_SCHEME_HINT,
            "order": before + 2,
            "description": "Identity scheme",
            "values": [
                {
                    "key": code,
                    "name": _text(catalogue, declared[code], language)
                    if code in declared
                    else code,
                }
                for code in schemes
            ],
        },
    ]


def _attribute(catalogue: Catalogue, field: FormField, order: int, language: str) -> dict[str, Any]:
    datatype = DATATYPES[field.type]
    attribute: dict[str, Any] = {
        "variable": True,
        "code": field.name,
        "datatype": datatype,
        "required": field.required,
        "datatype_description": _datatype_description(catalogue, field, language),
        "order": order,
        "description": _text(catalogue, field.label, language),
    }
    if datatype in _LIST_TYPES:
        attribute["values"] = _values(catalogue, field, language)
    return attribute


def _values(catalogue: Catalogue, field: FormField, language: str) -> list[dict[str, str]]:
    if field.type is FieldType.BOOLEAN:
        return [dict(value) for value in _BOOLEAN_VALUES]
    return [
        {"key": choice.value, "name": _text(catalogue, choice.label, language)}
        for choice in field.choices
    ]


def _datatype_description(catalogue: Catalogue, field: FormField, language: str) -> str | None:
    """What the answer must look like, as the mall checks it (bounds, formats, lengths),
    then the field's help text; ``None`` for a list, whose values say it all, without help."""
    parts: list[str] = []
    if field.type is FieldType.DOCUMENT:
        evidence = _evidence_name(catalogue, field.evidence_type, language)
        parts.append(f"{_DOCUMENT_HINT} ({evidence})." if evidence else f"{_DOCUMENT_HINT}.")
    elif field.type is FieldType.DATE:
        parts.append(_DATE_HINT)
    elif field.type is FieldType.NUMBER:
        parts.append(_number_hint(field))
    elif field.type is FieldType.TEXT:
        parts.append(f"Text of at most {MAX_TEXT:,} characters, on one line.")
    elif field.type is FieldType.LONG_TEXT:
        parts.append(f"Text of at most {MAX_LONG_TEXT:,} characters; line breaks are kept.")
    elif field.type is FieldType.PHONE:
        parts.append(_phone_hint(field))
    elif field.type is FieldType.EMAIL:
        parts.append(_EMAIL_HINT)
    help_text = _text(catalogue, field.help, language)
    if help_text:
        parts.append(help_text)
    return " ".join(parts) or None


def _number_hint(field: FormField) -> str:
    """The bounds of a number field, in words: ``at least 1 and at most 10``."""
    bounds = [
        f"{word} {bound}"
        for word, bound in (("at least", field.minimum), ("at most", field.maximum))
        if bound is not None
    ]
    return f"{_NUMBER_HINT}, {' and '.join(bounds)}." if bounds else f"{_NUMBER_HINT}."


def _phone_hint(field: FormField) -> str:
    """The phone numbers a phone field takes, as `normalise_phone` reads them."""
    national = f", or a national number of {field.region}" if field.region else ""
    return (
        "A phone number in international form, starting with + and the country code "
        f"(+6281234567890){national}: digits, spaces and +-.() only, at most {MAX_PHONE} "
        "characters."
    )


def _evidence_name(catalogue: Catalogue, code: str | None, language: str) -> str:
    for evidence_type in catalogue.evidence_types:
        if evidence_type.code == code:
            return _text(catalogue, evidence_type.name, language)
    return ""
