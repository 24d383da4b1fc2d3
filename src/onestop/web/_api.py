"""The citizen API under ``/api/v1``: uploads, submission and tracking (the catalogue is
`onestop.web._catalogue`), and what its handlers share (`Lang`, `language_of`, `runtime_of`).

Handlers hand whatever calls the blocking core to the worker's thread pool
(``anyio.to_thread``).  Errors are answered by `onestop.web._problems.handle_error`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache, partial
from typing import Annotated, Any
from urllib.parse import quote, unquote

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import InternalServerException
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from onestop.domain.applications._permissions import require_open
from onestop.domain.applications.tracking import PublicStatus
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.common.actors import Actor
from onestop.domain.documents.media import MEDIA_TYPES
from onestop.exceptions import (
    DocumentTooLarge,
    InvalidApplication,
    InvalidRequest,
    Problem,
    UnsupportedMediaType,
)
from onestop.usecases.applications.codec import secret_digest
from onestop.web import _intake
from onestop.web._citizens import CITIZEN, acting_citizen
from onestop.web._inflight import InFlight, holding_key, holding_uploads
from onestop.web._intake import attach_all, documents_of
from onestop.web._limits import Limits
from onestop.web._problems import problem_responses
from onestop.web._runtime import Runtime
from onestop.web._views import (
    ReceiptView,
    SubmissionRequest,
    UploadRef,
    UploadView,
)
from onestop.web._wire import END, Body

__all__ = [
    "CITIZEN",
    "ROUTES",
    "Lang",
    "accepted_languages",
    "language_of",
    "runtime_of",
]

IDEMPOTENCY_KEY = rf"^[A-Za-z0-9_-]{{16,128}}{END}"
"""What an ``Idempotency-Key`` must look like: 16 to 128 URL-safe characters (a UUID fits)."""

LOOKUP_SECRET = rf"^[\x21-\x7e]{{1,128}}{END}"

APPLICATION_NUMBER = rf"^[\x21-\x7e]{{1,128}}{END}"
"""What an application number may look like: 1 to 128 visible ASCII characters."""

Lang = Annotated[
    str | None,
    QueryParameter(
        name="lang",
        pattern=rf"^[A-Za-z]{{2,8}}(-[A-Za-z0-9]{{1,8}}){{0,7}}{END}",
        description="The language wanted (BCP 47); else `Accept-Language`, else the default.",
    ),
]


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    """Return the worker's `Runtime`."""
    found: Runtime = request.app.state.runtime
    return found


_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*")
_QUALITY = re.compile(r"q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.IGNORECASE)
_MAX_RANGES = 16  # of Accept-Language, read; the rest is ignored


def accepted_languages(header: str, /) -> list[str]:
    """The language ranges of an ``Accept-Language`` *header*, most wanted first.

    Ranges are ordered by their quality (``q``, default 1; equal ones keep their order);
    a range with ``q=0`` (not wanted) or a malformed tag or quality is left out, other
    parameters are ignored, and only the first 16 ranges are read.

    >>> accepted_languages("id;q=0.4, en-GB, fr;q=0, km;q=0.9")
    ['en-GB', 'km', 'id']
    """
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",", _MAX_RANGES)[:_MAX_RANGES]):
        tag, *params = (p.strip() for p in part.split(";"))
        if not _TAG.fullmatch(tag):
            continue
        quality = 1.0
        for param in (p.replace(" ", "") for p in params):
            if param[:2].lower() == "q=":  # other parameters are not ours to read
                found = _QUALITY.fullmatch(param)
                quality = float(found.group(1)) if found else -1.0
        if quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def language_of(catalogue: Catalogue, request: Request[Any, Any, Any], lang: str | None) -> str:
    """The language to answer in, as the catalogue declares it: ``lang`` if the catalogue
    declares it or its primary subtag (``en-GB`` is served as ``en``), else the most wanted
    such language of ``Accept-Language`` (`accepted_languages`), else the catalogue's
    default (also for ``*``, and for a ``lang`` it does not declare).

    The answers for the last 1,024 headers of up to 256 characters are remembered (each
    request of a browser sends the same one): parsing it cost more than the lookup it
    chose the language of."""
    header = "" if lang is not None else request.headers.get("accept-language", "")
    chosen = _remembered_language if len(header) <= _REMEMBERED_HEADER else _language
    return chosen(catalogue.languages, catalogue.default_language, lang, header)


_REMEMBERED_HEADER = 256


def _language(languages: tuple[str, ...], default: str, lang: str | None, header: str) -> str:
    declared = {tag.lower(): tag for tag in languages}
    wanted = [lang] if lang is not None else accepted_languages(header)
    for tag in wanted:
        if tag == "*":
            break
        for candidate in (tag, tag.split("-")[0]):
            if candidate.lower() in declared:
                return declared[candidate.lower()]
    return default


_remembered_language = lru_cache(maxsize=1024)(_language)


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
    upload_filename: Annotated[  # named as the header: a refusal names it so
        str | None,
        HeaderParameter(
            name="Upload-Filename",
            max_length=_LONGEST_NAME_HEADER,
            required=False,
            description=(
                "The file's name, kept as metadata: as RFC 8187 spells a name outside ASCII"
                " (UTF-8'' then percent-encoded UTF-8), or as raw UTF-8."
            ),
        ),
    ] = None,
) -> UploadView:
    """Keep an uploaded document, sealed; it is swept if no submission names it in time.

    The body is the document's bytes; ``Content-Type`` is the type the uploader declares,
    and the type sniffed from the bytes must agree with it.  Location metadata is
    stripped from images before anything is kept.
    """
    file_name = None if upload_filename is None else _file_name(upload_filename)
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
_LONGEST_NAME_HEADER = 4096  # 255 characters of 4 UTF-8 bytes, each percent-encoded: 3,060
_EXT_VALUE = re.compile(r"utf-8''(?P<encoded>[A-Za-z0-9!#$&+.^_`|~%-]*)", re.IGNORECASE)


def _file_name(header: str) -> str:
    """The ``Upload-Filename`` header's name: an RFC 8187 ``UTF-8''`` value decoded, else
    raw UTF-8 (which the server read as Latin-1), else the header as it came.

    Raises:
        InvalidRequest: If an RFC 8187 value is not percent-encoded UTF-8.
    """
    if (ext := _EXT_VALUE.fullmatch(header)) is not None:
        try:
            return unquote(ext["encoded"], encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            problem = Problem(path="header.Upload-Filename", message="is not UTF-8 once decoded")
            raise InvalidRequest([problem], status=400) from None
    try:
        return header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header


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
    responses=problem_responses(400, 401, 404, 409, 422, 429, 502),
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
    if data.channel is not ChannelKind.ONLINE:  # a counter or courier intake is an officer's
        raise InvalidApplication(
            [Problem(path="body.channel", message="this API takes online applications only")]
        )
    runtime = runtime_of(request)
    actor = await acting_citizen(
        runtime.citizens,
        request.headers,
        applicant=data.applicant,
        representative=data.representative,
    )
    inflight: InFlight = request.app.state.inflight
    uploads = (given.document_id for given in data.documents)
    async with holding_key(inflight, actor.id, idempotency_key), holding_uploads(inflight, uploads):
        return await runtime.write(partial(_submitted, runtime, data, actor, idempotency_key))


def _submitted(
    runtime: Runtime, data: SubmissionRequest, actor: Actor, idempotency_key: str
) -> Response[ReceiptView]:
    documents = documents_of(
        runtime,
        service=data.service,
        channel=data.channel,
        documents=data.documents,
        actor=actor,
        idempotency_key=idempotency_key,
    )
    secret = runtime.secrets.derive(actor.id, idempotency_key)
    with runtime.secrets.giving(secret), runtime.submitting(data.service):
        receipt = runtime.mall.submit(
            data.service,
            channel=data.channel,
            applicant=data.applicant,
            representative=data.representative,
            answers=dict(data.answers),
            documents=documents,
            actor=actor,
            idempotency_key=idempotency_key,
        )
    attach_all(runtime, data.documents, receipt.application_id)
    # A replay derives the secret again: under a changed server secret, another one.
    opens = not receipt.replayed or _opens(runtime, receipt.application_id, secret)
    view = ReceiptView(
        application_id=receipt.application_id,
        number=receipt.number,
        lookup_secret=secret if opens else None,
        due=receipt.due,
        required_documents=receipt.required_documents,
        replayed=receipt.replayed,
    )
    location = f"/api/v1/tracking?number={quote(receipt.number, safe='/')}"
    return Response(
        view, status_code=200 if receipt.replayed else 201, headers={"Location": location}
    )


def _opens(runtime: Runtime, application_id: str, secret: str) -> bool:
    """Whether *secret* is the lookup secret of *application_id*."""
    stored = runtime.mall.application(application_id).secret_digest
    return hmac.compare_digest(secret_digest(secret), stored)


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
    language = language_of(runtime.mall.catalogue, request, lang)
    return await limits.tracked(  # counted unless it succeeds
        client=client,
        number=number,
        call=lambda: runtime.mall.track(number, lookup_secret, language=language),
        inline=runtime.local_store,
    )


@post(
    "/api/v1/tracking/documents",
    dto=Body[UploadRef],
    return_dto=Body[PublicStatus],
    tags=["applications"],
    status_code=200,
    responses=problem_responses(400, 401, 404, 409, 422, 429, 502),
    summary="Give a document after submission, by number and lookup secret",
)
async def give_document(
    request: Request[Any, Any, Any],
    data: JSONBody[UploadRef],
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
    language = language_of(runtime.mall.catalogue, request, lang)
    application_id = await limits.tracked(  # counted as tracking counts, unless it succeeds
        client=client,
        number=number,
        call=lambda: _intake.application_of(runtime, number, lookup_secret),
    )

    application = await runtime.read(partial(runtime.mall.application, application_id))
    require_open(application, "attach_document", active=True)  # before whose it is: 409
    actor = await acting_citizen(  # signed in, the citizen who applied; else anonymous
        runtime.citizens,
        request.headers,
        applicant=application.applicant,
        representative=application.representative,
        at=runtime.mall.clock.now(),
    )

    def given() -> PublicStatus:
        _intake.give_document(runtime, application_id, data, actor=actor)
        return runtime.mall.track(number, lookup_secret, language=language)

    # The upload is held across workers as a submission holds it: one application takes it.
    async with holding_uploads(request.app.state.inflight, [data.document_id]):
        return await runtime.write(given)


ROUTES = [upload, submit, track, give_document]
"""The citizen API's route handlers."""
