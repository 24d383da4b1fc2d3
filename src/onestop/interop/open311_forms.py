"""The form of an Open311 GeoReport v2 ``POST requests.json``, read into what a mall submits.

`parse_request_form` takes the fields of the ``application/x-www-form-urlencoded`` body,
decoded by the host (a key maps to its value, or to the list of its values when the
key is repeated), and returns an `Open311Submission`: the service code, the answers
typed by the service's form, the documents named, and the applicant as a `Person`.
It reads no clock and does no I/O: the host resolves the documents and calls the mall.

**What each form field becomes.**

==============================  ==============================================================
``service_code``                the service (required); the version in effect at *at* applies
``attribute[code]``             the answer to form field *code*, typed as the field says
``attribute[code][]``           the same; repeat it (or ``attribute[code]``) for a
                                ``multivaluelist``, whose answer is a tuple
``first_name``, ``last_name``   the applicant's name: both joined by a space (one is required)
``email``, ``phone``            the applicant's contacts (a phone number in international form)
``jurisdiction_id``             an agency code: the service must be provided under that agency
``api_key``                     kept for the host to check; never shown in a repr
``description``, ``lat``,       checked, then **not kept**: a mall handles applications, not
``long``, ``address_string``,   incidents at a place, the form's attributes carry what a
``address_id``, ``media_url``,  service needs, and what is not needed is not stored
``device_id``, ``account_id``
==============================  ==============================================================

Answers are typed from the text as the service definition announced them
(`onestop.interop.open311.DATATYPES`): a ``number`` is an `int` when written without
a point (``12``) and a `~decimal.Decimal` otherwise (``12.5``); a boolean is ``true``
or ``false``; a ``datetime`` is a date ``YYYY-MM-DD`` (a time of day after it is
dropped); a ``document`` field names an upload by its id (the host turns it into a
`DocumentRef` answer, `Open311Submission.document_ids`).  The documents a service's
*requirements* ask for cannot be sent through GeoReport: they are attached afterwards.

**The applicant's identity.**  A mall needs the applicant's identity number and its
scheme, which GeoReport has no field for.  A client sends them as two attributes whose
codes no form field can have (field names hold no dot)::

    attribute[applicant.identity_number]=3171011708450001
    attribute[applicant.identity_scheme]=id-nik

Both are required.  The number is checked against its scheme when the mall submits
(`onestop.domain.applications.submission.submit`); here only its form is.

**Refusals.**  Every problem is reported at once, in one `InvalidApplication` whose
problem paths are the form's own keys (``attribute[floor_area]``, ``first_name``);
messages never quote a value, and a key that is not a plain name is not shown either.
A key that is no GeoReport field, an attribute the form does not have, a key given twice
(but a ``multivaluelist``'s), text with a control character or a lone surrogate, and a
value longer than `MAX_VALUE` characters are all refused.  A ``service_code`` the
catalogue has no service for raises `ServiceNotFound` (a 404 in GeoReport), and a
``jurisdiction_id`` that names no agency `AgencyNotFound`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from onestop.domain.applications.forms import Answer, check_answer, is_answer
from onestop.domain.catalogue.model import Catalogue, ChannelKind, FieldType, FormField, Service
from onestop.domain.common.contacts import normalise_email, normalise_phone
from onestop.domain.common.formats import (
    CATALOGUE_CODE,
    FIELD_NAME,
    IDENTITY_SCHEME,
    KEY,
    MAX_NAME,
    TextFormat,
    kind_of,
    text_problem,
)
from onestop.domain.common.kinds import check_instant, check_type, type_validator
from onestop.domain.common.parties import MAX_ADDRESS, Person, Personal, check_party
from onestop.domain.common.text import is_language_tag
from onestop.exceptions import InvalidApplication, InvalidValue, Problem, ServiceNotFound

__all__ = [
    "FORM_KEYS",
    "IDENTITY_NUMBER",
    "IDENTITY_SCHEME_CODE",
    "MAX_FIELDS",
    "MAX_PROBLEMS",
    "MAX_VALUE",
    "Open311Submission",
    "parse_request_form",
]

IDENTITY_NUMBER: Final = "applicant.identity_number"
"""The attribute code under which a client sends the applicant's identity number."""
IDENTITY_SCHEME_CODE: Final = "applicant.identity_scheme"
"""The attribute code under which a client sends the identity number's scheme (``id-nik``)."""
FORM_KEYS: Final = frozenset(
    {
        "service_code",
        "first_name",
        "last_name",
        "email",
        "phone",
        "description",
        "lat",
        "long",
        "address_string",
        "address_id",
        "device_id",
        "account_id",
        "media_url",
        "api_key",
        "jurisdiction_id",
    }
)
"""The GeoReport v2 form keys read besides ``attribute[...]``; any other key is refused."""
MAX_FIELDS: Final = 1_000
"""The most keys a form may have; more are refused at once, unread."""
MAX_VALUE: Final = 10_000
"""The longest value, in characters (a ``text`` answer's limit); ``description``'s is 4,000."""
MAX_PROBLEMS: Final = 100
"""The most problems one refusal lists; a last one says how many more there were."""

_MAX_VALUES = 100  # values of one key: the choices of a multivaluelist
_MAX_DESCRIPTION = 4_000  # the spec's limit
_MAX_LINE = 2_048  # an id, a URL
_MAX_IDENTITY = 64
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]*)\](\[\])?")
_SHOWN_KEY = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_COORDINATE = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{1,15})?")
_RESERVED = (IDENTITY_NUMBER, IDENTITY_SCHEME_CODE)
_ONE_LINE_DROPPED = ("address_id", "device_id", "account_id", "media_url")


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    given: object = value
    return MappingProxyType(dict(value)) if isinstance(given, Mapping) else value


def _mapping_of(check: Any) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, Mapping):
            raise InvalidValue(
                field=attribute.name, reason=f"expected a mapping, not {_kind(value)}"
            )
        for key, item in value.items():
            if not isinstance(key, str) or not check(item):
                raise InvalidValue(field=attribute.name, reason="holds an entry of the wrong type")

    return validate


@attrs.frozen(kw_only=True)
class Open311Submission:
    """What a GeoReport ``POST requests.json`` asks a mall to submit.

    Pass it on as ``mall.submit(s.service, channel=s.channel, applicant=s.applicant,
    answers={**s.answers, **documents}, ...)``, where *documents* maps each of
    `document_ids` to the `DocumentRef` of that upload.

    Attributes:
        service: The service's code.
        applicant: The applicant, with the phone number and e-mail address normalised
            (not in the repr).
        answers: The typed answers, by form field name (not in the repr).
        document_ids: The upload id given for each ``document`` form field.
        channel: Always `ChannelKind.ONLINE`.
        jurisdiction_id: The agency code the client named, if any.
        api_key: The client's API key, if any, for the host to check (not in the repr).
    """

    service: str = attrs.field(validator=type_validator(str))
    applicant: Person = attrs.field(validator=type_validator(Person), repr=False)
    answers: Mapping[str, Answer] = attrs.field(
        converter=_frozen_mapping, validator=_mapping_of(is_answer), repr=False
    )
    document_ids: Mapping[str, str] = attrs.field(
        factory=dict,
        converter=_frozen_mapping,
        validator=_mapping_of(lambda item: isinstance(item, str)),
        repr=False,
    )
    channel: ChannelKind = attrs.field(
        default=ChannelKind.ONLINE, validator=type_validator(ChannelKind)
    )
    jurisdiction_id: str | None = attrs.field(
        default=None, validator=type_validator((str, type(None)))
    )
    api_key: str | None = attrs.field(
        default=None, validator=type_validator((str, type(None))), repr=False
    )


def parse_request_form(
    fields: Mapping[str, str | Sequence[str]],
    /,
    *,
    catalogue: Catalogue,
    at: datetime,
    language: str | None = None,
) -> Open311Submission:
    """Read the fields of a GeoReport ``POST requests.json`` into an `Open311Submission`.

    Args:
        fields: The form's keys, each with its value, or the list of its values when
            the key was repeated.
        catalogue: The catalogue that holds the service.
        at: A timezone-aware moment: the service version in effect then types the answers.
        language: The client's language tag, if it sent one; it is checked only (the
            values of a form are language-neutral keys and ASCII digits; digits of
            the catalogue's languages are read too).

    Raises:
        InvalidApplication: Listing every problem of the form (at most `MAX_PROBLEMS`),
            each under the form's own key; no value is ever quoted.
        ServiceNotFound: If no service has the ``service_code`` at *at* (or none under
            ``jurisdiction_id``).
        AgencyNotFound: If ``jurisdiction_id`` names no agency.
        InvalidValue: If *fields* is not a mapping, *catalogue* not a `Catalogue`,
            *language* not a language tag, or *at* not an instant (`NaiveDatetime` if it
            has no time zone).
    """
    check_type(catalogue, Catalogue, field="catalogue")
    moment = check_instant(at, field="at")
    given: object = language
    if given is not None and not (isinstance(given, str) and is_language_tag(given)):
        raise InvalidValue(field="language", reason="expected a BCP 47 tag such as 'id' or 'en'")
    form = _Form.read(fields)
    service = _service(form, catalogue, moment)
    applicant = _applicant(form)
    answers, documents = _answers(form, service, catalogue) if service else ({}, {})
    _dropped(form)
    if form.problems or applicant is None or service is None:
        raise InvalidApplication(_capped(form.problems))
    return Open311Submission(
        service=service.code,
        applicant=applicant,
        answers=answers,
        document_ids=documents,
        jurisdiction_id=form.one("jurisdiction_id"),
        api_key=form.one("api_key"),
    )


@attrs.define
class _Form:
    """The form's values by key, split into plain keys and attributes, and the problems."""

    plain: dict[str, list[str]]
    attributes: dict[str, list[str]]
    problems: list[Problem]

    @classmethod
    def read(cls, fields: object) -> _Form:
        if not isinstance(fields, Mapping):
            raise InvalidValue(field="fields", reason=f"expected a mapping, not {_kind(fields)}")
        if len(fields) > MAX_FIELDS:
            too_many = Problem(path="", message=f"the form has more than {MAX_FIELDS} fields")
            raise InvalidApplication([too_many])
        form = cls({}, {}, [])
        for key, value in fields.items():
            form.add(key, value)
        return form

    def add(self, key: object, value: object) -> None:
        found = _ATTRIBUTE.fullmatch(key) if isinstance(key, str) else None
        if found is None and key not in FORM_KEYS:
            self.problem(_shown_key(key), "is not a GeoReport v2 form field")
            return
        path = _attribute_path(found.group(1)) if found else str(key)
        values = self.values(path, value)
        if values is None:
            return
        if found is None:
            self.plain[path] = values
        else:
            self.attributes.setdefault(found.group(1), []).extend(values)

    def values(self, path: str, value: object) -> list[str] | None:
        """The non-blank values of one key, each checked as text; ``None`` after a problem."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            self.problem(path, f"expected text, not {_kind(value)}")
            return None
        if len(items) > _MAX_VALUES:
            self.problem(path, f"is given more than {_MAX_VALUES} times")
            return None
        for item in items:
            reason = text_problem(item, max_length=MAX_VALUE, multiline=True, empty=True)
            if reason is not None:
                self.problem(path, f"the text {reason}" if isinstance(item, str) else reason)
                return None
        return [item.strip() for item in items if item.strip()]

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    def failed(self, *paths: str) -> bool:
        """Whether a problem was found with any of *paths*."""
        return any(problem.path in paths for problem in self.problems)

    def one(self, key: str) -> str | None:
        """The one value of plain *key*, or ``None`` (absent, blank, or given twice)."""
        values = self.plain.get(key, [])
        return values[0] if len(values) == 1 else None

    def line(self, key: str, max_length: int, *, multiline: bool = False) -> str | None:
        """The one value of plain *key* checked as text; ``None`` with a problem if it fails."""
        values = self.plain.get(key, [])
        if len(values) > 1:
            self.problem(key, "is given more than once")
            return None
        if not values:
            return None
        reason = text_problem(values[0], max_length=max_length, multiline=multiline)
        if reason is not None:
            self.problem(key, f"the text {reason}")
            return None
        return values[0]


def _kind(value: object) -> str:
    return "a list" if isinstance(value, list | tuple) else kind_of(value)


def _shown_key(key: object) -> str:
    if isinstance(key, str) and _SHOWN_KEY.fullmatch(key):
        return key
    if isinstance(key, str) and key.startswith("attribute["):
        return "attribute[(a code not shown)]"
    return "(a key not shown)"


def _attribute_path(code: str) -> str:
    shown = code if code in _RESERVED or FIELD_NAME.matches(code) else "(a code not shown)"
    return f"attribute[{shown}]"


def _format(form: _Form, key: str, value: str, fmt: TextFormat) -> str | None:
    """*value* if it is of *fmt*; else a problem (which never quotes it) and ``None``."""
    if fmt.matches(value):
        return value
    form.problem(key, f"is not {fmt.name}: {fmt.hint}")
    return None


def _service(form: _Form, catalogue: Catalogue, at: datetime) -> Service | None:
    """The service in effect at *at*, or ``None`` with a problem; raise if it is unknown."""
    code = form.line("service_code", CATALOGUE_CODE.max_length)
    jurisdiction = form.line("jurisdiction_id", CATALOGUE_CODE.max_length)
    if jurisdiction is not None:
        jurisdiction = _format(form, "jurisdiction_id", jurisdiction, CATALOGUE_CODE)
    if form.line("api_key", KEY.max_length) is not None:
        _format(form, "api_key", form.plain["api_key"][0], KEY)
    if code is None:
        if not form.failed("service_code"):
            form.problem("service_code", "is required")
        return None
    if _format(form, "service_code", code, CATALOGUE_CODE) is None:
        return None
    service = catalogue.service(code, at=at)
    if jurisdiction is not None:
        offered = {found.code for found in catalogue.find(at=at, agency=jurisdiction)}
        if service.code not in offered:
            raise ServiceNotFound(code, at=at)
    return service


def _applicant(form: _Form) -> Person | None:
    """The applicant from the name, contacts and identity; ``None`` after a problem."""
    name = _name(form)
    email = _contact(form, "email", normalise_email, "e-mail address")
    phone = _contact(form, "phone", normalise_phone, "phone number")
    number = _reserved(form, IDENTITY_NUMBER, _MAX_IDENTITY)
    scheme = _reserved(form, IDENTITY_SCHEME_CODE, IDENTITY_SCHEME.max_length)
    if scheme is not None:
        scheme = _format(form, _attribute_path(IDENTITY_SCHEME_CODE), scheme, IDENTITY_SCHEME)
    if name is None or number is None or scheme is None or form.failed("email", "phone"):
        return None
    person = Person(
        identity_number=Personal(number),
        identity_scheme=scheme,
        name=Personal(name),
        phone=None if phone is None else Personal(phone),
        email=None if email is None else Personal(email),
    )
    checked, problems = check_party(person)
    for field, reason in problems:
        form.problem("first_name" if field == "name" else field, reason)
    return None if problems else checked


def _name(form: _Form) -> str | None:
    first = form.line("first_name", MAX_NAME)
    last = form.line("last_name", MAX_NAME)
    if form.failed("first_name", "last_name"):
        return None
    name = " ".join(part for part in (first, last) if part)
    if not name:
        form.problem("first_name", "a name is required: first_name, last_name or both")
        return None
    if len(name) > MAX_NAME:
        form.problem("last_name", f"the name is longer than {MAX_NAME} characters in all")
        return None
    return name


def _contact(
    form: _Form, key: str, normalise: Callable[[object], tuple[str | None, str | None]], what: str
) -> str | None:
    value = form.line(key, MAX_VALUE)
    if value is None:
        return None
    kept, reason = normalise(value)
    if kept is None:
        form.problem(key, f"the {what} {reason}")
    return kept


def _reserved(form: _Form, code: str, max_length: int) -> str | None:
    path = _attribute_path(code)
    values = form.attributes.pop(code, [])
    if len(values) > 1:
        form.problem(path, "is given more than once")
    elif not values:
        form.problem(path, "is required: the applicant's identity number and its scheme")
    elif (reason := text_problem(values[0], max_length=max_length)) is not None:
        form.problem(path, f"the text {reason}")
    else:
        return values[0]
    return None


def _answers(
    form: _Form, service: Service, catalogue: Catalogue
) -> tuple[dict[str, Answer], dict[str, str]]:
    """The typed answers and the document ids, by field name; problems go to *form*."""
    declared = {field.name: field for field in service.form}
    for code in sorted(set(form.attributes) - set(declared)):
        form.problem(_attribute_path(code), "the form has no such field")
    answers: dict[str, Answer] = {}
    documents: dict[str, str] = {}
    for field in sorted(service.form, key=lambda f: (f.order, f.name)):
        values = form.attributes.get(field.name, [])
        path = _attribute_path(field.name)
        if not values:
            if field.required:
                form.problem(path, "a required answer is missing")
            continue
        if len(values) > 1 and field.type is not FieldType.MULTI_CHOICE:
            form.problem(path, "is given more than once")
        elif field.type is FieldType.DOCUMENT:
            documents[field.name] = _format(form, path, values[0], KEY) or ""
        else:
            answer, reason = _typed(field, values, catalogue.languages)
            if reason is not None:
                form.problem(path, reason)
            elif answer is not None:
                answers[field.name] = answer
    return answers, {k: v for k, v in documents.items() if v}


def _typed(field: FormField, values: list[str], languages: Sequence[str]) -> tuple[Any, str | None]:
    """Type one field's text as its definition announced it, then check it as the mall will."""
    value: object = values[0]
    if field.type is FieldType.MULTI_CHOICE:
        value = tuple(values)
    elif field.type is FieldType.BOOLEAN:
        if values[0] not in ("true", "false"):
            return None, "expected true or false"
        value = values[0] == "true"
    elif field.type is FieldType.DATE and len(values[0]) > 10:
        if not _is_datetime(values[0]):
            return None, "expected a date of the form YYYY-MM-DD, or a date and time"
        value = values[0][:10]  # the service definition says a time of day is ignored
    answer, reason = check_answer(field, value, languages=languages)
    if isinstance(answer, Decimal) and answer.as_tuple().exponent == 0:
        answer = int(answer)  # written without a point: a whole number
    return answer, reason


def _is_datetime(text: str) -> bool:
    if len(text) > 64 or not text.isascii() or text[10] not in "T ":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _dropped(form: _Form) -> None:
    """Check the fields that are read and not kept (location, device, description)."""
    form.line("description", _MAX_DESCRIPTION, multiline=True)
    form.line("address_string", MAX_ADDRESS, multiline=True)
    for key in _ONE_LINE_DROPPED:
        form.line(key, _MAX_LINE)
    lat, long = form.line("lat", 32), form.line("long", 32)
    for key, value, limit in (("lat", lat, 90), ("long", long, 180)):
        if value is not None and not _coordinate(value, limit):
            form.problem(key, f"expected a decimal number of degrees from -{limit} to {limit}")
    if (lat is None) != (long is None) and not form.failed("lat", "long"):
        form.problem(
            "lat" if lat is None else "long", "lat and long are given together or not at all"
        )


def _coordinate(value: str, limit: int) -> bool:
    return _COORDINATE.fullmatch(value) is not None and abs(Decimal(value)) <= limit


def _capped(problems: list[Problem]) -> list[Problem]:
    if not problems:  # a refusal always says something
        return [Problem(path="", message="the form could not be read")]
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = Problem(path="", message=f"and {len(problems) - MAX_PROBLEMS} more problem(s)")
    return [*problems[:MAX_PROBLEMS], more]
