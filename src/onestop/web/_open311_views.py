"""The bodies of Open311 GeoReport v2 under ``/open311/v2``, as frozen attrs classes.

`onestop.interop.open311` and `onestop.interop.open311_requests` build GeoReport's
objects as plain dicts; the classes here mirror those dicts key for key, so that the
OpenAPI document describes every answer with a typed schema (never a bare ``object``),
and each ``from_entry`` turns one dict into its class, failing loudly if the two ever
disagree.  `Views` writes them back out, leaving ``values`` out of an attribute that
has none, as the spec describes it (only list attributes have ``values``).

The form of ``POST requests.json`` is read by `read_form` (strictly: UTF-8 only, at most
twice `MAX_FIELDS` fields, repeated keys kept), not by a DTO, so `FormOperation`
describes it in the OpenAPI document: the GeoReport keys, the ``attribute[code]`` keys,
and the two identity attributes a mall needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override
from litestar import MediaType, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.typing import FieldDefinition

from onestop.exceptions import InvalidRequest, Problem
from onestop.interop.open311_forms import (
    FORM_KEYS,
    IDENTITY_NUMBER,
    IDENTITY_SCHEME_CODE,
    MAX_FIELDS,
)
from onestop.web._wire import ConverterDTO

if TYPE_CHECKING:  # Litestar's schema creator lives in a private module: named, not imported
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = [
    "FORM_MEDIA_TYPE",
    "SPECIFICATION",
    "Open311AttributeValue",
    "Open311Discovery",
    "Open311Endpoint",
    "FormOperation",
    "Open311Attribute",
    "Open311Created",
    "Open311Error",
    "Open311Service",
    "Open311ServiceDefinition",
    "Open311Request",
    "Views",
    "error_responses",
    "read_form",
    "unstructure",
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
"""The ``specification`` a GeoReport v2 endpoint names in its discovery document."""

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
"""The only media type ``POST requests.json`` accepts."""

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Open311Error:
    """One entry of GeoReport's error list.

    Attributes:
        code: The HTTP status the list is sent with.
        description: What is wrong, in one line, never quoting a value sent.
    """

    code: int
    description: str


@attrs.frozen(kw_only=True)
class Open311Endpoint:
    """An endpoint the discovery document lists.

    Attributes:
        specification: The specification it implements (`SPECIFICATION`).
        url: Its base URL: a client appends ``/services.json`` and so on.
        changeset: When it last changed (W3C date and time).
        type: ``production`` (or ``test``).
        formats: The media types it answers in: ``application/json`` and ``text/xml``.
    """

    specification: str
    url: str
    changeset: str
    type: str
    formats: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Open311Discovery:
    """The GeoReport discovery document of ``discovery.json``.

    Attributes:
        changeset: When it last changed (W3C date and time).
        contact: Who answers questions about the endpoint.
        key_service: How to get an API key (none is needed here).
        endpoints: The endpoints served.
    """

    changeset: str
    contact: str
    key_service: str
    endpoints: tuple[Open311Endpoint, ...]


@attrs.frozen(kw_only=True)
class Open311Service:
    """A service as ``services.json`` lists it (see `onestop.interop.open311.services`).

    Attributes:
        service_code: The service's code.
        service_name: Its name, in the language served.
        description: What it is ("" when the catalogue says nothing).
        metadata: Whether ``services/{service_code}.json`` has attributes to show.
        type: Always ``realtime``: the request's id comes back at once.
        keywords: Comma-separated keywords.
        group: Its category, or its agency's name.
    """

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Open311Service:
        """The view of one entry of `onestop.interop.open311.services`."""
        return cls(**entry)


@attrs.frozen(kw_only=True)
class Open311AttributeValue:
    """One value a list attribute may take.

    Attributes:
        key: What a client sends.
        name: What a person reads.
    """

    key: str
    name: str


@attrs.frozen(kw_only=True)
class Open311Attribute:
    """One attribute of a service definition: a form field.

    Attributes:
        variable: Always true: the applicant answers it.
        code: The form field's name: send ``attribute[code]``.
        datatype: ``string``, ``number``, ``datetime``, ``text``, ``singlevaluelist``
            or ``multivaluelist``.
        required: Whether an answer is required.
        datatype_description: A hint about the answer expected, or ``null``.
        order: Its place on the form, from 1.
        description: Its label, in the language served.
        values: The values of a list attribute; absent on the others.
    """

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: tuple[Open311AttributeValue, ...] | None = None

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Open311Attribute:
        """The view of one attribute of `onestop.interop.open311.service_definition`."""
        given = dict(entry)
        values = given.pop("values", None)
        return cls(
            **given,
            values=None if values is None else tuple(Open311AttributeValue(**v) for v in values),
        )


@attrs.frozen(kw_only=True)
class Open311ServiceDefinition:
    """The definition of a service, from ``services/{service_code}.json``.

    Attributes:
        service_code: The service's code.
        attributes: Its form's fields, in order (empty when it has no form).
    """

    service_code: str
    attributes: tuple[Open311Attribute, ...]

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Open311ServiceDefinition:
        """The view of `onestop.interop.open311.service_definition`'s answer."""
        return cls(
            service_code=entry["service_code"],
            attributes=tuple(Open311Attribute.from_entry(a) for a in entry["attributes"]),
        )


@attrs.frozen(kw_only=True)
class Open311Request:
    """A service request: an application, as GeoReport sees it (no personal data).

    See `onestop.interop.open311_requests.request_entry` for what each key holds.

    Attributes:
        service_request_id: The application's id (random, unguessable).
        status: ``open``, or ``closed`` once nothing more can happen to it.
        status_notes: A JSON text with the finer state: ``state``, ``label``,
            ``language``, ``closed``, ``suspended``, ``paused`` and ``due``.
        service_name: The service's name.
        service_code: The service's code.
        description: Always ``null``: a citizen's text is personal data.
        agency_responsible: The providing agency's name.
        service_notice: What the service issues, or ``null``.
        requested_datetime: When it was received (W3C, with its offset).
        updated_datetime: When its public status last changed.
        expected_datetime: Its due date, or ``null`` while paused or once closed.
        address: Always ``null``: an application has no incident location.
        address_id: Always ``null``.
        zipcode: Always ``null``.
        lat: Always ``null``.
        long: Always ``null``.
        media_url: Always ``null``.
    """

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: None
    agency_responsible: str
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: None
    address_id: None
    zipcode: None
    lat: None
    long: None
    media_url: None

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Open311Request:
        """The view of `onestop.interop.open311_requests.request_entry`'s answer."""
        return cls(**entry)


@attrs.frozen(kw_only=True)
class Open311Created:
    """The item ``POST requests.json`` answers with.

    Attributes:
        service_request_id: The new application's id: read it back at
            ``requests/{service_request_id}.json``.
        service_notice: What the service issues, or ``null``.
        account_id: Always ``null``: a mall keeps no accounts for GeoReport clients.
    """

    service_request_id: str
    service_notice: str | None
    account_id: None

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Open311Created:
        """The view of `onestop.interop.open311_requests.created_entry`'s answer."""
        return cls(**entry)


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(
        Open311Attribute,
        make_dict_unstructure_fn(Open311Attribute, conv, values=override(omit_if_default=True)),
    )
    return conv


_OUT = _converter()


def unstructure(view: object, /) -> Any:
    """*view* (a view or a list of them) as the plain data `Views` writes out as JSON."""
    return _OUT.unstructure(view)


_FORMS_ONLY = Problem(path="body", message="GeoReport takes application/x-www-form-urlencoded")


class Views(ConverterDTO[T], Generic[T]):
    """Answers out as GeoReport writes them; schemas from the handler's return type
    (a list of a class, or one), through Litestar's attrs plugin."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        """The schema of what the handler returns: a list of views or one view."""
        if field_definition.origin is Response and field_definition.inner_types:
            field_definition = field_definition.inner_types[0]  # Response[list[X]]: list[X]
        return schema_creator.for_field_definition(field_definition)

    def decode_bytes(self, value: bytes) -> Any:  # pragma: no cover - answers only
        """Refuse: GeoReport's request bodies are forms, which the route reads itself."""
        raise InvalidRequest([_FORMS_ONLY], status=415)

    def decode_builtins(self, value: dict[str, Any]) -> Any:  # pragma: no cover
        """Refuse, as `decode_bytes`."""
        raise InvalidRequest([_FORMS_ONLY], status=415)

    def data_to_encodable_type(self, data: Any) -> Any:
        """Unstructure an answer: a `Response`'s content, unless it is written already (the
        bytes of an XML answer)."""
        if isinstance(data, Response):
            if not isinstance(data.content, bytes):
                data.content = _OUT.unstructure(data.content)
            return data
        return _OUT.unstructure(data)


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI responses of a route that answers *statuses* with GeoReport's errors."""
    return {
        status: ResponseSpec(
            data_container=list[Open311Error],
            description="GeoReport v2 errors: a list of {code, description}",
            media_type=MediaType.JSON,
            generate_examples=False,
        )
        for status in statuses
    }


def _text(description: str, *, max_length: int = 10_000) -> Schema:
    return Schema(type=OpenAPIType.STRING, max_length=max_length, description=description)


def _form_schema() -> Schema:
    described = {
        "service_code": "The service's code, from services.json.",
        "first_name": "The applicant's first name (first_name, last_name or both).",
        "last_name": "The applicant's last name.",
        "email": "The applicant's e-mail address.",
        "phone": "The applicant's phone number, in international form.",
        "jurisdiction_id": "An agency code: the service must be provided under it.",
        "api_key": "Not needed; checked for form and not kept.",
    }
    dropped = "Checked and not kept: a mall handles applications, not incidents at a place."
    properties: dict[str, Schema | Reference] = {
        key: _text(described.get(key, dropped)) for key in sorted(FORM_KEYS)
    }
    properties[f"attribute[{IDENTITY_NUMBER}]"] = _text(
        "The applicant's identity number (required).", max_length=64
    )
    properties[f"attribute[{IDENTITY_SCHEME_CODE}]"] = _text(
        "The identity number's scheme, such as id-nik (required).", max_length=64
    )
    answer = _text("The answer to the form field named between the brackets.")
    return Schema(
        type=OpenAPIType.OBJECT,
        properties=properties,
        pattern_properties={r"^attribute\[[a-z_][a-z0-9_]*\](\[\])?$": answer},
        additional_properties=False,
        required=[
            "service_code",
            f"attribute[{IDENTITY_NUMBER}]",
            f"attribute[{IDENTITY_SCHEME_CODE}]",
        ],
        description=(
            "A GeoReport v2 service request. Repeat attribute[code] (or attribute[code][]) "
            "for each value of a multivaluelist."
        ),
    )


@dataclass
class FormOperation(Operation):
    """The OpenAPI operation of ``POST requests.json``, with its form described."""

    def __post_init__(self) -> None:
        """Describe the form the route reads."""
        self.request_body = RequestBody(
            content={FORM_MEDIA_TYPE: OpenAPIMediaType(schema=_form_schema())},
            required=True,
            description="The request, form-encoded as GeoReport v2 says.",
        )


def read_form(content_type: str, body: bytes, /) -> dict[str, str | list[str]]:
    """The fields of a form-encoded *body* sent as *content_type*: each key's value, or the
    list of its values when it is repeated (`parse_request_form` reads them).

    Raises:
        InvalidRequest: 415 for another media type (or a charset other than UTF-8), 400
            for a body that is not UTF-8 or has more than twice `MAX_FIELDS` fields.
    """
    media_type, _, parameters = content_type.partition(";")
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media_type.strip().lower() != FORM_MEDIA_TYPE or charset not in ("", "utf-8", "utf8"):
        problem = Problem(path="header.Content-Type", message=f"must be {FORM_MEDIA_TYPE}")
        raise InvalidRequest([problem], status=415)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS * 2,
        )
    except UnicodeDecodeError:
        reason = "is not UTF-8 text, or percent-encodes what is not"
    except ValueError:
        reason = f"has more than {MAX_FIELDS * 2} fields"
    else:
        fields: dict[str, str | list[str]] = {}
        for key, value in pairs:
            given = fields.get(key)
            if given is None:
                fields[key] = value
            elif isinstance(given, list):
                given.append(value)
            else:
                fields[key] = [given, value]
        return fields
    raise InvalidRequest([Problem(path="body", message=reason)], status=400)
