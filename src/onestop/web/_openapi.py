"""The OpenAPI document, finished: what Litestar cannot say from the handlers alone.

Litestar generates the document from the route handlers and our attrs classes
(`onestop.web._wire`'s schema plugins); `refine` then edits that generated `OpenAPI`
object once, when the application starts and before it is first served:

- every object schema of ours says ``additionalProperties: false``: the converter refuses
  unknown keys, and a client (or schemathesis) must know it; a field the domain checks
  against a `TextFormat` (an identity scheme) has its pattern;
- every error response of the API is a `ProblemDetails` as ``application/problem+json``
  (Litestar's default 400 body is replaced: `handle_error` answers every error),
  every operation documents the 503 of the time limit (each 503 its ``Retry-After``),
  the 415 and 501 of the header check, and every operation taking a body the 413 of the
  body limit;
- a response Litestar could not name the media type of (a handler returning a
  ``Response``) is ``application/json``, as it is sent;
- a submission's replay (200, the earlier receipt) is documented beside its 201;
- the uploads' body (raw bytes of a PDF, JPEG or PNG) is described; every staff route
  (tagged ``staff``, but signing in) names its two security schemes, an API token
  (``Authorization: Bearer``) or a browser session (the ``onestop_session`` cookie, with
  ``X-CSRF-Token`` to change anything); an action requires ``If-Match``, whose absence
  is answered 428;
- ``links`` say how one answer feeds the next request (a receipt to tracking and to an
  officer's read, an upload to a submission, a read's ``ETag`` to an action), so a client
  generator or a stateful tester can chain them.

Routes under ``/open311/`` answer errors in Open311's own format and are left as they are,
but for the format: a path ending with ``.xml`` answers ``text/xml`` (GeoReport's XML,
described as text), and a ``{file}`` path, whose file ends with ``.json`` or ``.xml``,
either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from onestop.domain.common.formats import IDENTITY_SCHEME
from onestop.web._problems import PROBLEM_JSON, ProblemDetails
from onestop.web._versions import ETAG
from onestop.web._wire import END

__all__ = ["BEARER_SCHEME", "SESSION_SCHEME", "UPLOAD_TYPES", "refine"]

BEARER_SCHEME = "staffToken"
"""The security scheme of an agency's API token (``Authorization: Bearer``)."""

SESSION_SCHEME = "staffSession"
"""The security scheme of a signed-in browser (the ``onestop_session`` cookie)."""

_SIGN_IN = ("/api/v1/staff/session", "post")

_SIGN_IN_ELSEWHERE = "/api/v1/staff/oidc/"

STAFF_PREFIX = "/api/v1/staff/"
"""Where the staff endpoints are."""

_NO_ETAG = ("/chain", "/courier-jobs", "/confirmation")
"""Staff reads of one thing that answer no version of it."""
_JOB_PREFIX = STAFF_PREFIX + "courier/jobs/"

UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png", "application/octet-stream")
"""The media types an upload may declare (octet-stream: let the bytes tell)."""

_PROBLEM = Reference(ref=f"#/components/schemas/{ProblemDetails.__name__}")
_JSON = "application/json"
_ETAG = f"^{ETAG.pattern}{END}"
_IF_MATCH = f"^(W/)?{ETAG.pattern}{END}"
_METHODS = ("get", "put", "post", "delete", "patch")
_FORMATS = {("Person", "identity_scheme"): IDENTITY_SCHEME}
"""Fields the domain checks against a `TextFormat`: the schema says the same pattern."""
_NON_EMPTY = (
    ("Organisation", "business_number"),
    ("Organisation", "name"),
    ("Representative", "authorisation"),
)
"""Fields the domain refuses empty (or blank: that a schema cannot say portably)."""

_SUBMIT = ("/api/v1/applications", "post")
_TRACK = ("/api/v1/tracking", "get")
_UPLOAD = ("/api/v1/uploads", "post")
_READ = ("/api/v1/applications/{application_id}", "get")
_ACT = ("/api/v1/applications/{application_id}/actions", "post")


def _operations(openapi: OpenAPI) -> Iterator[tuple[str, str, Operation]]:
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                yield path, method, operation


def _find(openapi: OpenAPI, where: tuple[str, str]) -> Operation | None:
    item = (openapi.paths or {}).get(where[0])
    found = getattr(item, where[1], None) if item is not None else None
    return found if isinstance(found, Operation) else None


def _problem_content() -> dict[str, OpenAPIMediaType]:
    return {PROBLEM_JSON: OpenAPIMediaType(schema=_PROBLEM)}


def _close_objects(components: Components) -> None:
    for schema in components.schemas.values():
        if schema.properties is not None and schema.additional_properties is None:
            schema.additional_properties = False


def _formats(components: Components) -> None:
    for (name, field), text_format in _FORMATS.items():
        schema = components.schemas.get(name)
        found = (schema.properties or {}).get(field) if schema is not None else None
        if isinstance(found, Schema) and found.type == OpenAPIType.STRING:
            found.pattern = f"^{text_format.pattern.pattern}$"
            found.max_length = text_format.max_length
    for name, field in _NON_EMPTY:
        schema = components.schemas.get(name)
        found = (schema.properties or {}).get(field) if schema is not None else None
        if isinstance(found, Schema) and found.type == OpenAPIType.STRING:
            found.min_length = 1


def _responses(path: str, operation: Operation) -> None:
    responses = operation.responses if operation.responses is not None else {}
    operation.responses = responses
    for status, response in list(responses.items()):
        if not isinstance(response, OpenAPIResponse):
            continue
        if response.content is not None and "" in response.content:
            response.content[_JSON] = response.content.pop("")
        if status in ("204", "302", "303"):  # no body (a redirect's is empty), no media type
            response.content = None
        if status[0] in "45" and not path.startswith("/open311/"):
            # A 5xx may keep a JSON body of its own (readiness: `Health`) beside the problem.
            content = response.content or {}
            kept = {_JSON: content[_JSON]} if status[0] == "5" and _JSON in content else {}
            response.content = {**kept, **_problem_content()}
        if status == "429":
            response.headers = _retry_after(required=True)
        if status == "503" and not path.startswith("/open311/") and not response.headers:
            response.headers = _retry_after(required=False)
    if path.startswith("/open311/"):
        return
    if "503" not in responses:
        responses["503"] = OpenAPIResponse(
            description="The request took longer than the server's time limit, the server is "
            "stopping, or a service it needs is unavailable",
            content=_problem_content(),
            headers=_retry_after(required=False),
        )
    if operation.request_body is not None and "413" not in responses:
        responses["413"] = OpenAPIResponse(
            description="The body is larger than the server takes",
            content=_problem_content(),
        )
    # The header check of every route (`onestop.web._headers.check_headers`).
    for status, description in _HEADER_REFUSALS:
        if status not in responses:
            responses[status] = OpenAPIResponse(description=description, content=_problem_content())


_HEADER_REFUSALS = (
    (
        "415",
        (
            "A body sent in a content coding (Content-Encoding), or, where the route reads "
            "JSON, declared of another type or a charset other than UTF-8"
        ),
    ),
    ("501", "A body sent in a transfer coding other than chunked"),
)


_XML = "text/xml"
_GEOREPORT_XML = Schema(
    type=OpenAPIType.STRING,
    description="GeoReport v2 XML (UTF-8): the same data as the JSON answer, or <errors>.",
)


def _georeport_xml(path: str, operation: Operation) -> None:
    """The XML answers of GeoReport: an ``.xml`` path's only, a ``{file}`` path's beside
    its JSON (the file's suffix chooses)."""
    if not path.startswith("/open311/"):
        return
    for response in (operation.responses or {}).values():
        if not isinstance(response, OpenAPIResponse) or response.content is None:
            continue
        xml = {_XML: OpenAPIMediaType(schema=_GEOREPORT_XML)}
        if path.endswith(".xml"):
            response.content = xml
        elif path.endswith("{file}"):
            response.content = {**response.content, **xml}


def _retry_after(*, required: bool) -> dict[str, OpenAPIHeader | Reference]:
    return {
        "Retry-After": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]+$"),
            description="Seconds to wait before trying again.",
            required=required,
        )
    }


def _replay(operation: Operation) -> None:
    responses = operation.responses or {}
    created = responses.get("201")
    if isinstance(created, OpenAPIResponse):
        created.headers = _location_header()
        responses["200"] = OpenAPIResponse(
            description="A replay: the receipt of the earlier request with the same key and body",
            content=created.content,
            headers=_location_header(),
        )


def _location_header() -> dict[str, OpenAPIHeader | Reference]:
    return {
        "Location": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, pattern=r"^/api/v1/tracking\?number=[^&]+$"),
            description="Where the application is tracked (the lookup secret goes in a header).",
            required=True,
        )
    }


def _upload_body(operation: Operation) -> None:
    binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    operation.request_body = RequestBody(
        description="The document's bytes; the type its first bytes show must be the declared one.",
        content={media: OpenAPIMediaType(schema=binary) for media in UPLOAD_TYPES},
        required=True,
    )


def _etag_header(of: str = "The application's") -> dict[str, OpenAPIHeader | Reference]:
    return {
        "ETag": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, pattern=_ETAG),
            description=f"{of} version: send it back in `If-Match`.",
            required=True,
        )
    }


def _staff(openapi: OpenAPI) -> None:
    schemes = openapi.components.security_schemes or {}
    schemes[BEARER_SCHEME] = SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API token issued to a staff account (`onestop staff token issue`).",
    )
    schemes[SESSION_SCHEME] = SecurityScheme(
        type="apiKey",
        security_scheme_in="cookie",
        name="onestop_session",
        description=(
            "A signed-in browser's session (`POST /api/v1/staff/session`); a request that "
            "changes something also sends the session's CSRF token in `X-CSRF-Token`."
        ),
    )
    openapi.components.security_schemes = schemes
    sign_in = _find(openapi, _SIGN_IN)
    for path, _, operation in _operations(openapi):
        if path.startswith(_SIGN_IN_ELSEWHERE):  # signing in through the identity provider
            continue
        if "staff" in (operation.tags or []) and operation is not sign_in:
            operation.security = [{BEARER_SCHEME: []}, {SESSION_SCHEME: []}]


def _officers(read: Operation | None, act: Operation | None) -> None:
    for operation in (read, act):
        if operation is None:
            continue
        ok = (operation.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.headers = _etag_header()
    for parameter in (act.parameters or []) if act is not None else []:
        if isinstance(parameter, Parameter) and parameter.name == "If-Match":
            parameter.required = True
            parameter.schema = Schema(
                type=OpenAPIType.STRING,
                pattern=_IF_MATCH,
                description='The version acted on, as the ETag says it: "3" (428 without).',
            )


def _if_match_required(operation: Operation) -> None:
    for parameter in operation.parameters or []:
        if isinstance(parameter, Parameter) and parameter.name == "If-Match":
            parameter.required = True
            parameter.schema = Schema(
                type=OpenAPIType.STRING,
                pattern=_IF_MATCH,
                description='The version acted on, as the ETag says it: "3" (428 without).',
            )


def _staff_changes(openapi: OpenAPI) -> None:
    """The staff endpoints under `STAFF_PREFIX`: If-Match required where they change
    something, the ETag of the one thing they answer."""
    for path, _, operation in _operations(openapi):
        if not path.startswith(STAFF_PREFIX):
            continue
        _if_match_required(operation)
        ok = (operation.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and "{" in path and not path.endswith(_NO_ETAG):
            job = path.startswith(_JOB_PREFIX)
            ok.headers = _etag_header("The courier job's" if job else "The application's")


def _link(
    source: Operation | None,
    statuses: tuple[str, ...],
    name: str,
    target: Operation | None,
    **fields: Any,
) -> None:
    if source is None or target is None or target.operation_id is None:
        return
    for status in statuses:
        response = (source.responses or {}).get(status)
        if isinstance(response, OpenAPIResponse):
            links = response.links if response.links is not None else {}
            links[name] = Link(operation_id=target.operation_id, **fields)
            response.links = links


def _links(openapi: OpenAPI) -> None:
    submit, track, upload = _find(openapi, _SUBMIT), _find(openapi, _TRACK), _find(openapi, _UPLOAD)
    read, act = _find(openapi, _READ), _find(openapi, _ACT)
    receipt = ("201", "200")
    _link(
        submit,
        receipt,
        "TrackTheApplication",
        track,
        parameters={
            "query.number": "$response.body#/number",
            "header.Lookup-Secret": "$response.body#/lookup_secret",
        },
        description="Track the application with the receipt's number and lookup secret.",
    )
    _link(
        submit,
        receipt,
        "ReadTheApplication",
        read,
        parameters={"path.application_id": "$response.body#/application_id"},
        description="An officer reads the application submitted.",
    )
    _link(
        upload,
        ("201",),
        "SubmitWithTheDocument",
        submit,
        request_body={"documents": [{"document_id": "$response.body#/document_id"}]},
        description="Name the uploaded document in a submission.",
    )
    view = {
        "path.application_id": "$response.body#/application_id",
        "header.If-Match": "$response.header.ETag",
    }
    _link(
        read,
        ("200",),
        "ActOnTheApplication",
        act,
        parameters=view,
        description="Act on the version just read.",
    )
    _link(
        act,
        ("200",),
        "ActAgain",
        act,
        parameters=view,
        description="Take the next action on the version the action left.",
    )
    _link(
        act,
        ("200",),
        "ReadAgain",
        read,
        parameters={"path.application_id": "$response.body#/application_id"},
        description="Read the application the action changed.",
    )


def refine(openapi: OpenAPI, /) -> OpenAPI:
    """Finish Litestar's generated *openapi* in place (see the module); return it.

    Idempotent: refining a refined document changes nothing.
    """
    _close_objects(openapi.components)
    _formats(openapi.components)
    for path, _, operation in _operations(openapi):
        _responses(path, operation)
        _georeport_xml(path, operation)
    submit, upload = _find(openapi, _SUBMIT), _find(openapi, _UPLOAD)
    if submit is not None:
        _replay(submit)
    if upload is not None:
        _upload_body(upload)
    _staff(openapi)
    _staff_changes(openapi)
    _officers(_find(openapi, _READ), _find(openapi, _ACT))
    _links(openapi)
    return openapi
