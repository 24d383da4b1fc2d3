"""The citizen API under ``/api/v1``: uploads, submission and tracking (the catalogue is
`onestop.web._catalogue`), and what its handlers share (`Lang`, `language_of`, `runtime_of`).

Handlers that call the blocking core run in the worker's thread pool
(``sync_to_thread=True``).
Errors are answered by `onestop.web._problems.handle_error`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from onestop.domain.applications.forms import DocumentRef
from onestop.domain.applications.tracking import PublicStatus, served_language
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.actors import Actor
from onestop.exceptions import (
    DocumentNotFound,
    DocumentTooLarge,
    InvalidApplication,
    Problem,
)
from onestop.usecases.mall_support import Receipt
from onestop.web._limits import Limits
from onestop.web._problems import problem_responses
from onestop.web._runtime import Runtime
from onestop.web._views import (
    ReceiptView,
    SubmissionRequest,
    UploadRef,
    UploadView,
)
from onestop.web._wire import Body

__all__ = [
    "CITIZEN",
    "ROUTES",
    "Lang",
    "accepted_languages",
    "language_of",
    "runtime_of",
]

CITIZEN = Actor(id="citizen:online", roles={"applicant"})
"""The actor of an anonymous online submission (until a citizen identity provider signs in)."""

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_-]{16,128}$"
"""What an ``Idempotency-Key`` must look like: 16 to 128 URL-safe characters (a UUID fits)."""

LOOKUP_SECRET = r"^[\x21-\x7e]{1,128}$"  # noqa: S105 - a pattern, not a secret

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
    """The language to answer in: ``lang``, else the most wanted language of
    ``Accept-Language`` (`accepted_languages`) the catalogue declares, or whose primary
    subtag it declares (``en-GB`` is served as ``en``), else the catalogue's default
    (also for ``*``)."""
    if lang is not None:
        return served_language(catalogue, lang)
    declared = {tag.lower(): tag for tag in catalogue.languages}
    for tag in accepted_languages(request.headers.get("accept-language", "")):
        if tag == "*":
            break
        for candidate in (tag, tag.split("-")[0]):
            if candidate.lower() in declared:
                return declared[candidate.lower()]
    return catalogue.default_language


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

    document = await anyio.to_thread.run_sync(
        lambda: runtime.desk.put(chunks(), declared_type=declared, file_name=file_name)
    )
    assert document.sha256 is not None  # noqa: S101 - a new upload is never erased
    return UploadView(
        document_id=document.document_id,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
    )


async def _next(stream: AsyncIterator[bytes]) -> bytes:
    return await stream.__anext__()


def _documents(runtime: Runtime, data: SubmissionRequest) -> tuple[DocumentRef, ...]:
    service = runtime.mall.catalogue.service(data.service, at=datetime.now(UTC))
    evidence = {r.code: r.evidence_type for r in service.requirements_for(data.channel)}
    refs: list[DocumentRef] = []
    problems: list[Problem] = []
    for index, given in enumerate(data.documents):
        where = f"documents[{index}]"
        if given.requirement not in evidence:
            problems.append(Problem(path=f"{where}.requirement", message="is not a requirement"))
            continue
        try:
            document = runtime.desk.describe(given.document_id)
        except DocumentNotFound:
            problems.append(Problem(path=f"{where}.document_id", message="no such upload"))
            continue
        if document.sha256 is None:
            problems.append(Problem(path=f"{where}.document_id", message="was erased"))
            continue
        refs.append(
            DocumentRef(
                requirement=given.requirement,
                evidence_type=evidence[given.requirement],
                sha256=document.sha256,
                media_type=document.media_type,
                size=document.size,
            )
        )
    if problems:
        raise InvalidApplication(problems)
    return tuple(refs)


def _attach(runtime: Runtime, documents: tuple[UploadRef, ...], application_id: str) -> None:
    for given in documents:
        runtime.desk.attach(given.document_id, application_id)


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
    receipt, and a different body with the same key is refused (422)."""
    runtime = runtime_of(request)
    secret = runtime.secrets.derive(CITIZEN.id, idempotency_key)

    def blocking() -> Receipt:  # in a thread, once it is this submission's turn
        documents = _documents(runtime, data)
        with runtime.secrets.giving(secret), runtime.submitting(data.service):
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
        _attach(runtime, data.documents, receipt.application_id)
        return receipt

    async with runtime.turn(data.service):
        receipt = await anyio.to_thread.run_sync(blocking)
    view = ReceiptView(
        application_id=receipt.application_id,
        number=receipt.number,
        lookup_secret=secret,
        due=receipt.due,
        required_documents=receipt.required_documents,
        replayed=receipt.replayed,
    )
    return Response(view, status_code=200 if receipt.replayed else 201)


@get(
    "/api/v1/tracking",
    return_dto=Body[PublicStatus],
    tags=["applications"],
    responses=problem_responses(400, 404, 429),
    summary="Track an application by its number and lookup secret",
)
async def track(
    request: Request[Any, Any, Any],
    number: Annotated[str, QueryParameter(name="number", min_length=1, max_length=128)],
    lookup_secret: Annotated[
        str,
        HeaderParameter(
            name="Lookup-Secret",
            pattern=LOOKUP_SECRET,
            description="The secret of the receipt; never put it in a URL.",
        ),
    ],
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
    )


ROUTES = [upload, submit, track]
"""The citizen API's route handlers."""
