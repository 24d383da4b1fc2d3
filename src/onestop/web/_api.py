"""The citizen API under ``/api/v1``: the catalogue, uploads, submission and tracking.

Handlers hand whatever calls the blocking core to the worker's thread pool
(``anyio.to_thread``); the catalogue is in memory and answered on the event loop.
Errors are answered by `onestop.web._problems.handle_error`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import InternalServerException
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from onestop.domain.applications.tracking import PublicStatus, served_language
from onestop.domain.catalogue.model import Catalogue, Service
from onestop.domain.common.actors import Actor
from onestop.domain.documents.media import MEDIA_TYPES
from onestop.exceptions import (
    ApplicationNotFound,
    DocumentTooLarge,
    InvalidRequest,
    Problem,
    SubmissionInProgress,
    UnsupportedMediaType,
)
from onestop.web import _intake
from onestop.web._inflight import InFlight
from onestop.web._intake import attach_all, documents_of
from onestop.web._limits import Limits
from onestop.web._problems import problem_responses
from onestop.web._runtime import Runtime
from onestop.web._views import (
    DocumentGiven,
    ReceiptView,
    ServiceList,
    ServiceSummary,
    SubmissionRequest,
    UploadView,
)
from onestop.web._wire import Body

__all__ = ["CITIZEN", "ROUTES"]

CITIZEN = Actor(id="citizen:online", roles={"applicant"})
"""The actor of an anonymous online submission (until a citizen identity provider signs in)."""

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_-]{16,128}$"
"""What an ``Idempotency-Key`` must look like: 16 to 128 URL-safe characters (a UUID fits)."""

LOOKUP_SECRET = r"^[\x21-\x7e]{1,128}$"  # noqa: S105 - a pattern, not a secret

APPLICATION_NUMBER = r"^[\x21-\x7e]{1,128}$"
"""What an application number may look like: 1 to 128 visible ASCII characters."""

Lang = Annotated[
    str | None,
    QueryParameter(
        name="lang",
        pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,7}$",
        description="The language wanted (BCP 47); else `Accept-Language`, else the default.",
    ),
]


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    """Return the worker's `Runtime`."""
    found: Runtime = request.app.state.runtime
    return found


def language_of(catalogue: Catalogue, request: Request[Any, Any, Any], lang: str | None) -> str:
    """The language to answer in: ``lang``, else the first of ``Accept-Language`` the
    catalogue declares, else its default."""
    if lang is not None:
        return served_language(catalogue, lang)
    header = request.headers.get("accept-language", "")
    declared = {tag.lower() for tag in catalogue.languages}
    for part in header.split(",")[:16]:
        tag = part.split(";")[0].strip()
        if tag and tag.lower() in declared:
            return tag
        if tag and tag.split("-")[0].lower() in declared:
            return tag.split("-")[0]
    return catalogue.default_language


def _summary(catalogue: Catalogue, service: Service, language: str) -> ServiceSummary:
    fallbacks = catalogue.languages
    agency = catalogue.agency(service.agency)
    return ServiceSummary(
        code=service.code,
        version=service.version,
        agency=service.agency,
        agency_name=agency.name.get(language, fallbacks=fallbacks),
        name=service.name.get(language, fallbacks=fallbacks),
        description=(
            None
            if service.description is None
            else service.description.get(language, fallbacks=fallbacks)
        ),
        channels=service.channel_kinds,
        time_limit=str(service.time_limit),
    )


@get(
    "/api/v1/services",
    return_dto=Body[ServiceList],
    tags=["catalogue"],
    responses=problem_responses(400),
    summary="List the services in effect now",
)
async def list_services(request: Request[Any, Any, Any], lang: Lang = None) -> ServiceList:
    """The services in effect now, in the caller's language."""
    catalogue = runtime_of(request).mall.catalogue
    language = language_of(catalogue, request, lang)
    now = datetime.now(UTC)
    services = sorted(catalogue.current_services(at=now), key=lambda s: s.code)
    return ServiceList(
        language=language,
        services=tuple(_summary(catalogue, service, language) for service in services),
    )


@post(
    "/api/v1/uploads",
    return_dto=Body[UploadView],
    tags=["documents"],
    status_code=201,
    request_max_body_size=None,
    responses=problem_responses(400, 413, 415, 422, 429),
    summary="Upload a document, to name in a submission",
)
async def upload(
    request: Request[Any, Any, Any],
    file_name: Annotated[
        str | None, HeaderParameter(name="Upload-Filename", max_length=255, required=False)
    ] = None,
) -> UploadView:
    """Keep an uploaded document, sealed; it is swept if no submission names it in time.

    The body is the document's bytes; ``Content-Type`` is the type the uploader declares,
    and the type sniffed from the bytes must agree with it.  Location metadata is
    stripped from images before anything is kept.
    """
    runtime = runtime_of(request)
    limit = runtime.desk.limit
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:  # refused before a byte is read
        raise DocumentTooLarge(limit=limit, size=int(length))
    declared = request.headers.get("content-type", "").split(";")[0].strip() or None
    stream = request.stream().__aiter__()

    def chunks() -> Iterator[bytes]:  # the body, pulled from the event loop by the desk
        while True:
            try:
                yield anyio.from_thread.run(_next, stream)
            except StopAsyncIteration:
                return

    try:
        document = await anyio.to_thread.run_sync(
            lambda: runtime.desk.put(chunks(), declared_type=declared, file_name=file_name)
        )
    except UnsupportedMediaType as error:  # name a declared type only if it is one we know
        shown = error.declared if error.declared in _NAMED_TYPES else None
        raise UnsupportedMediaType(
            declared=shown, sniffed=error.sniffed, reason=error.reason
        ) from None
    assert document.sha256 is not None  # noqa: S101 - a new upload is never erased
    return UploadView(
        document_id=document.document_id,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
    )


_NAMED_TYPES = frozenset({*MEDIA_TYPES, "application/zip"})


async def _next(stream: AsyncIterator[bytes]) -> bytes:
    try:
        return await stream.__anext__()
    except InternalServerException:  # Litestar's word for a client gone mid-body
        raise InvalidRequest(
            [Problem(path="body", message="the upload ended before all of it was sent")],
            status=400,
        ) from None


@post(
    "/api/v1/applications",
    dto=Body[SubmissionRequest],
    return_dto=Body[ReceiptView],
    tags=["applications"],
    status_code=201,
    responses=problem_responses(400, 404, 409, 422, 429),
    summary="Submit an application",
)
async def submit(
    request: Request[Any, Any, Any],
    data: JSONBody[SubmissionRequest],
    idempotency_key: Annotated[
        str,
        HeaderParameter(
            name="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY,
            description="A new random key per application (a UUID); repeat it to retry.",
        ),
    ],
) -> Response[ReceiptView]:
    """Submit an application; repeating the request with the same key returns the same
    receipt (200), a different body with the same key is refused (422), and a request
    while another with the same key is still being submitted is refused (409)."""
    runtime = runtime_of(request)
    inflight: InFlight = request.app.state.inflight
    token = await inflight.claim(CITIZEN.id, idempotency_key)
    if token is None:
        raise SubmissionInProgress
    try:
        return await anyio.to_thread.run_sync(_submitted, runtime, data, idempotency_key)
    finally:
        await inflight.release(CITIZEN.id, idempotency_key, token)


def _submitted(
    runtime: Runtime, data: SubmissionRequest, idempotency_key: str
) -> Response[ReceiptView]:
    documents = documents_of(
        runtime,
        service=data.service,
        channel=data.channel,
        documents=data.documents,
        actor=CITIZEN,
        idempotency_key=idempotency_key,
    )
    secret = runtime.secrets.derive(CITIZEN.id, idempotency_key)
    with runtime.secrets.giving(secret):
        receipt = runtime.mall.submit(
            data.service,
            channel=data.channel,
            applicant=data.applicant,
            representative=data.representative,
            answers=dict(data.answers),
            documents=documents,
            actor=CITIZEN,
            idempotency_key=idempotency_key,
        )
    attach_all(runtime, data.documents, receipt.application_id)
    view = ReceiptView(
        application_id=receipt.application_id,
        number=receipt.number,
        lookup_secret=secret,
        due=receipt.due,
        required_documents=receipt.required_documents,
        replayed=receipt.replayed,
    )
    return Response(view, status_code=200 if receipt.replayed else 201)


Number = Annotated[
    str,
    QueryParameter(
        name="number",
        pattern=APPLICATION_NUMBER,
        description="The application number of the receipt.",
    ),
]
Secret = Annotated[
    str,
    HeaderParameter(
        name="Lookup-Secret",
        pattern=LOOKUP_SECRET,
        description="The secret of the receipt; never put it in a URL.",
    ),
]


@get(
    "/api/v1/tracking",
    return_dto=Body[PublicStatus],
    tags=["applications"],
    responses=problem_responses(400, 404, 429),
    summary="Track an application by its number and lookup secret",
)
async def track(
    request: Request[Any, Any, Any],
    number: Number,
    lookup_secret: Secret,
    lang: Lang = None,
) -> PublicStatus:
    """The public status of an application.  A wrong secret is answered exactly as an
    unknown number is, and failed lookups are limited per client and per number."""
    runtime = runtime_of(request)
    limits: Limits = request.app.state.limits
    client = limits.client_of(request)
    await limits.check_lookups(client=client, number=number)
    language = language_of(runtime.mall.catalogue, request, lang)
    try:
        return await anyio.to_thread.run_sync(
            lambda: runtime.mall.track(number, lookup_secret, language=language)
        )
    except ApplicationNotFound:
        await limits.failed_lookup(client=client, number=number)
        raise


@post(
    "/api/v1/tracking/documents",
    dto=Body[DocumentGiven],
    return_dto=Body[PublicStatus],
    tags=["applications"],
    status_code=200,
    responses=problem_responses(400, 404, 409, 422, 429),
    summary="Give a document after submission, by number and lookup secret",
)
async def give_document(
    request: Request[Any, Any, Any],
    data: JSONBody[DocumentGiven],
    number: Number,
    lookup_secret: Secret,
    lang: Lang = None,
) -> PublicStatus:
    """Attach an upload to an application for one of its requirements (a document
    missing or asked for again), and answer its public status.  The number and secret
    are checked, and failed checks limited, exactly as tracking does."""
    runtime = runtime_of(request)
    limits: Limits = request.app.state.limits
    client = limits.client_of(request)
    await limits.check_lookups(client=client, number=number)
    language = language_of(runtime.mall.catalogue, request, lang)
    try:
        application_id = await anyio.to_thread.run_sync(
            _intake.application_of, runtime, number, lookup_secret
        )
    except ApplicationNotFound:
        await limits.failed_lookup(client=client, number=number)
        raise

    def given() -> PublicStatus:
        _intake.give_document(runtime, application_id, data, actor=CITIZEN)
        return runtime.mall.track(number, lookup_secret, language=language)

    return await anyio.to_thread.run_sync(given)


ROUTES = [list_services, upload, submit, track, give_document]
"""The citizen API's route handlers."""
