"""Open311 GeoReport v2 under ``/open311/v2``, so that existing Open311 clients work unchanged.

The routes, each in GeoReport's two formats, ``.xml`` and ``.json`` (the suffix of the
path chooses; `onestop.web._open311_xml` writes the XML and both formats' errors):

- ``GET discovery.json``: the discovery document;
- ``GET services.json`` and ``GET services/{service_code}.json``: the catalogue
  (`onestop.interop.open311`);
- ``POST requests.json``: a form-encoded request (`onestop.interop.open311_forms`),
  submitted as an anonymous online application, answered with its id;
- ``GET requests/{service_request_id}.json`` and ``GET requests.json?service_request_id=
  ID[,ID...]``: the status of applications (`onestop.interop.open311_requests`).

An optional ``jurisdiction_id`` (an agency code) narrows every answer to the services of
that agency and the agencies below it.  Text comes in the language of ``?lang=``, else of
``Accept-Language``, else the catalogue's default, as in the citizen API.

**Errors** are GeoReport's list, ``[{"code": 404, "description": "..."}]`` (in XML,
``<errors><error>``), sent with the HTTP status in ``code``
(`onestop.interop.open311_requests.open311_status`; the server's own refusals, such as
405, 413, 415 and 429, with theirs): not RFC 9457, because Open311 clients expect their
spec's format.  Descriptions never quote a value sent.

**Who may read a request: the id is the capability.**  A ``service_request_id`` is the
application's id, a random UUID (`onestop.usecases.mall.RandomIds`, 122 random bits), and
never its number, which is sequential.  Whoever holds the id may read the request's
public status, which holds no personal data (no name, answer or note: see
`onestop.interop.open311_requests`); nobody can find one by guessing.  So:

- ``GET requests.json`` without ids is an empty list, whatever its filters: listing
  requests would hand out every id;
- an unknown id and a malformed one are answered alike (404 for one id; left out of a
  list), and each counts as a failed lookup under the same limit as tracking
  (`onestop.web._limits.Limits`, per client and per id), so a guesser is cut off too;
- at most `MAX_IDS` ids are read per request.

The capability is only as good as the store's ids: a store filled by a seeded
generator (``onestop demo``'s, whose people are invented) has ids that can be
recomputed.

**Submissions** are made as the signed-in citizen (`onestop.web._citizens`), or
anonymously, through the online channel,
and counted by the same per-address limit as the API's.  GeoReport has no idempotency
key, so a ``POST`` is not idempotent: a client that sends the same form twice makes two
applications.  A client that can send an ``Idempotency-Key`` header (16 to 128 URL-safe
characters) gets the API's behaviour: a retry answers 200 with the same id, a different
form under the same key is refused.  The identity number and its scheme come as
``attribute[applicant.identity_number]`` and ``attribute[applicant.identity_scheme]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
from litestar import MediaType, Request, Response, Router, get, post, route
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, PathParameter, QueryParameter

from onestop.domain.applications.forms import Answer, DocumentRef
from onestop.domain.applications.submission import find_workflow
from onestop.domain.applications.tracking import public_status
from onestop.domain.catalogue.model import FieldType
from onestop.domain.common.actors import Actor
from onestop.domain.common.formats import CATALOGUE_CODE
from onestop.exceptions import (
    ApplicationNotFound,
    InvalidApplication,
    InvalidRequest,
    Problem,
    ServiceNotFound,
)
from onestop.interop import open311, open311_requests
from onestop.interop.open311_forms import Open311Submission, parse_request_form
from onestop.usecases.catalogue.built_in import shipped_texts
from onestop.web._api import IDEMPOTENCY_KEY, Lang, language_of, runtime_of
from onestop.web._citizens import acting_citizen
from onestop.web._inflight import InFlight, holding_key, holding_uploads
from onestop.web._intake import NOT_USABLE, attach, replay_of, usable
from onestop.web._limits import Limits
from onestop.web._open311_views import (
    SPECIFICATION,
    FormOperation,
    Open311Created,
    Open311Discovery,
    Open311Endpoint,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Views,
    error_responses,
    read_form,
    unstructure,
)
from onestop.web._open311_xml import XML_MEDIA_TYPE, handle_open311_error, is_xml, xml_document
from onestop.web._runtime import Runtime
from onestop.web._wire import END

__all__ = ["MAX_IDS", "PREFIX", "ROUTER", "handle_open311_error"]

PREFIX = "/open311/v2"
"""Where GeoReport v2 is served."""

MAX_IDS = 20
"""The most ``service_request_id`` values one ``GET requests.json`` reads."""

_SUFFIXES = (".json", ".xml")

Jurisdiction = Annotated[
    str | None,
    QueryParameter(
        name="jurisdiction_id",
        max_length=64,
        pattern=rf"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}{END}",
        description="An agency code: only what that agency and those below it provide.",
    ),
]
File = Annotated[
    str,
    PathParameter(
        description=(
            "The code or id, followed by `.json` or `.xml` (the format of the answer), as "
            "GeoReport writes the URL; anything else (or over 200 characters) is a 404."
        ),
    ),
]
_MAX_FILE = 200


# --- errors ----------------------------------------------------------------------------


def _jurisdiction(value: str | None) -> str | None:
    """*value* if it is a catalogue code; else a 400 that does not quote it."""
    if value is None or CATALOGUE_CODE.matches(value):
        return value
    problem = Problem(path="jurisdiction_id", message=f"is not {CATALOGUE_CODE.name}")
    raise InvalidRequest([problem], status=400)


# --- the catalogue ---------------------------------------------------------------------


def _file_stem(file: str) -> str | None:
    """The code or id of a ``{stem}.json`` or ``{stem}.xml`` path segment, or ``None``."""
    if len(file) > _MAX_FILE or not file.endswith(_SUFFIXES):
        return None
    return file.removeprefix("/").rpartition(".")[0] or None


def _stem(file: str) -> str:
    """The service code of a ``{code}.json`` (or ``.xml``) segment; a 404 for anything else."""
    code = _file_stem(file)
    if code is None or not CATALOGUE_CODE.matches(code):
        raise ServiceNotFound("unknown")
    return code


def _answer(
    request: Request[Any, Any, Any], kind: str, view: Any, status: int = 200
) -> Response[Any]:
    """*view* as the answer of *request*: the view itself (`Views` writes its JSON), or, for
    a path ending with ``.xml``, its GeoReport XML (`onestop.web._open311_xml`)."""
    if not is_xml(request):
        return Response(view, status_code=status)
    body = xml_document(kind, unstructure(view))
    return Response(body, status_code=status, media_type=XML_MEDIA_TYPE)


def _changeset(runtime: Runtime) -> str:
    """When the catalogue's files last changed, in W3C form."""
    root = Path(runtime.settings.catalogue)
    try:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        newest = max((p.stat().st_mtime for p in files), default=0.0)
    except OSError:
        newest = runtime.started.timestamp()
    return datetime.fromtimestamp(newest or runtime.started.timestamp(), UTC).isoformat(
        timespec="seconds"
    )


@get(
    ["/discovery.json", "/discovery.xml"],
    return_dto=Views[Open311Discovery],
    responses=error_responses(400),
    summary="The GeoReport v2 discovery document",
)
async def discovery(
    request: Request[Any, Any, Any], lang: Lang = None
) -> Response[Open311Discovery]:
    """Where the GeoReport v2 endpoint is and what it speaks: XML and JSON, no key needed."""
    runtime = runtime_of(request)
    catalogue = runtime.mall.catalogue
    language = language_of(catalogue, request, lang)
    state = request.app.state
    known = state.get("open311_changeset")
    changeset = (
        known if isinstance(known, str) else await anyio.to_thread.run_sync(_changeset, runtime)
    )
    state["open311_changeset"] = changeset
    name = catalogue.name.get(language, fallbacks=catalogue.languages)
    base = (runtime.settings.public_url or str(request.base_url)).rstrip("/")
    document = Open311Discovery(
        changeset=changeset,
        contact=open311_requests.one_line(f"{name}: each service's agency answers for it"),
        key_service="No API key is needed: anonymous requests are limited per client address.",
        endpoints=(
            Open311Endpoint(
                specification=SPECIFICATION,
                url=f"{base}{PREFIX}",
                changeset=changeset,
                type="production",
                formats=("application/json", XML_MEDIA_TYPE),
            ),
        ),
    )
    return _answer(request, "discovery", document)


@get(
    ["/services.json", "/services.xml"],
    return_dto=Views[Open311Service],
    responses=error_responses(400, 404),
    summary="List the services as GeoReport v2 services",
)
async def list_services(
    request: Request[Any, Any, Any], lang: Lang = None, jurisdiction_id: Jurisdiction = None
) -> Response[list[Open311Service]]:
    """The services in effect now, in the caller's language."""
    catalogue = runtime_of(request).mall.catalogue
    language = language_of(catalogue, request, lang)
    entries = open311.services(
        catalogue,
        at=datetime.now(UTC),
        language=language,
        jurisdiction_id=_jurisdiction(jurisdiction_id),
    )
    return _answer(request, "services", [Open311Service.from_entry(entry) for entry in entries])


@get(
    "/services/{file:path}",
    return_dto=Views[Open311ServiceDefinition],
    responses=error_responses(400, 404),
    summary="A service's definition: its form as GeoReport v2 attributes",
)
async def define_service(
    request: Request[Any, Any, Any],
    file: File,
    lang: Lang = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response[Open311ServiceDefinition]:
    """The definition of ``services/{service_code}.json`` (or ``.xml``): the attributes to send."""
    catalogue = runtime_of(request).mall.catalogue
    code = _stem(file)
    language = language_of(catalogue, request, lang)
    now = datetime.now(UTC)
    if _jurisdiction(jurisdiction_id) is not None:
        offered = open311.services(catalogue, at=now, jurisdiction_id=jurisdiction_id)
        if code not in {entry["service_code"] for entry in offered}:
            raise ServiceNotFound(code[:64], at=now)
    entry = open311.service_definition(catalogue, code, at=now, language=language)
    definition = Open311ServiceDefinition.from_entry(entry)
    return _answer(request, "service_definition", definition)


# --- requests --------------------------------------------------------------------------


def _read_entry(
    runtime: Runtime, application_id: str, language: str, jurisdiction: str | None
) -> dict[str, Any] | None:
    """The GeoReport request of *application_id*, or ``None`` if there is none to show."""
    mall = runtime.mall
    catalogue = mall.catalogue
    try:
        application = mall.application(application_id)
        deadline = mall.deadline(application_id)
    except (ApplicationNotFound, InvalidApplication):
        return None
    if jurisdiction is not None and jurisdiction not in catalogue.lineage(application.agency):
        return None
    workflow = find_workflow(catalogue, application.workflow, application.workflow_version)
    status = public_status(
        application,
        catalogue=catalogue,
        workflow=workflow,
        deadline=deadline,
        language=language,
        shipped=shipped_texts(),
    )
    return open311_requests.request_entry(
        application, status=status, catalogue=catalogue, language=language
    )


async def _read(
    request: Request[Any, Any, Any], ids: Sequence[str], lang: str | None, jurisdiction: str | None
) -> list[Open311Request]:
    """The requests of *ids* that exist; each missing one counts as a failed lookup."""
    runtime = runtime_of(request)
    catalogue = runtime.mall.catalogue
    language = language_of(catalogue, request, lang)
    if jurisdiction is not None:
        catalogue.agency(_jurisdiction(jurisdiction) or "")  # AgencyNotFound: a 404
    limits: Limits = request.app.state.limits
    client = limits.client_of(request)
    found: list[Open311Request] = []
    for application_id in ids:
        try:
            entry = await limits.tracked(  # failures count, as tracking's do
                client=client,
                number=application_id,
                call=partial(_found_entry, runtime, application_id, language, jurisdiction),
                inline=runtime.local_store,
            )
        except ApplicationNotFound:
            continue
        found.append(Open311Request.from_entry(entry))
    return found


def _found_entry(
    runtime: Runtime, application_id: str, language: str, jurisdiction: str | None
) -> dict[str, Any]:
    """`_read_entry`, raising `ApplicationNotFound` for an id that names none."""
    entry = _read_entry(runtime, application_id, language, jurisdiction)
    if entry is None:
        raise ApplicationNotFound(None)
    return entry


@get(
    ["/requests.json", "/requests.xml"],
    return_dto=Views[Open311Request],
    responses=error_responses(400, 404, 429),
    summary="The service requests of the ids given (none without ids)",
)
async def list_requests(
    request: Request[Any, Any, Any],
    service_request_id: Annotated[
        str | None,
        QueryParameter(
            name="service_request_id",
            max_length=MAX_IDS * 130,
            description=f"Comma-separated ids (at most {MAX_IDS}); without ids, none is shown.",
        ),
    ] = None,
    lang: Lang = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response[list[Open311Request]]:
    """The requests whose ids are given; an unknown id is left out.

    Without ``service_request_id`` the list is empty, whatever else is asked: an id is
    what entitles a client to see a request, so requests are never listed.
    """
    ids = list(dict.fromkeys(i.strip() for i in (service_request_id or "").split(",")))
    ids = [i for i in ids if i]
    if len(ids) > MAX_IDS:
        problem = Problem(path="service_request_id", message=f"names more than {MAX_IDS} ids")
        raise InvalidRequest([problem], status=400)
    found = await _read(request, ids, lang, jurisdiction_id)
    return _answer(request, "service_requests", found)


@get(
    "/requests/{file:path}",
    return_dto=Views[Open311Request],
    responses=error_responses(400, 404, 429),
    summary="One service request, by its id",
)
async def read_request(
    request: Request[Any, Any, Any],
    file: File,
    lang: Lang = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response[list[Open311Request]]:
    """``requests/{service_request_id}.json`` (or ``.xml``): a list of the one request
    (GeoReport's form)."""
    application_id = _file_stem(file)
    if application_id is None:
        raise ApplicationNotFound(None)
    found = await _read(request, [application_id], lang, jurisdiction_id)
    if not found:
        raise ApplicationNotFound(None)
    return _answer(request, "service_requests", found)


# --- submission ------------------------------------------------------------------------


def _documents(
    runtime: Runtime, submission: Open311Submission, at: datetime, replay: str | None
) -> dict[str, DocumentRef]:
    """The `DocumentRef` answer of each ``document`` field that names an upload, checked as
    the API checks them (`onestop.web._intake.usable`), before anything is submitted."""
    if not submission.document_ids:
        return {}
    service = runtime.mall.catalogue.service(submission.service, at=at)
    fields = {f.name: f for f in service.form if f.type is FieldType.DOCUMENT}
    refs: dict[str, DocumentRef] = {}
    problems: list[Problem] = []
    for name, document_id in submission.document_ids.items():
        document = usable(runtime, document_id, replay)
        if document is None or document.sha256 is None:
            problems.append(Problem(path=f"attribute[{name}]", message=NOT_USABLE))
            continue
        refs[name] = DocumentRef(
            requirement=name,
            evidence_type=fields[name].evidence_type or name,
            sha256=document.sha256,
            media_type=document.media_type,
            size=document.size,
        )
    if problems:
        raise InvalidApplication(problems)
    return refs


def _submit(
    runtime: Runtime,
    submission: Open311Submission,
    now: datetime,
    language: str,
    idempotency_key: str | None,
    actor: Actor,
) -> tuple[dict[str, Any], bool]:
    """Submit the parsed form as *actor*; return the GeoReport item of the new
    application, and whether it answers a retry (the same ``Idempotency-Key``)."""
    catalogue = runtime.mall.catalogue
    replay = replay_of(runtime, actor, idempotency_key)
    documents = _documents(runtime, submission, now, replay)
    answers: dict[str, Answer] = {**submission.answers, **documents}
    # As the API submits: the same lookup secret for the same key, one turn per counter.
    secret = runtime.secrets.derive(actor.id, idempotency_key) if idempotency_key else None
    with runtime.secrets.giving(secret), runtime.submitting(submission.service):
        receipt = runtime.mall.submit(
            submission.service,
            channel=submission.channel,
            applicant=submission.applicant,
            answers=answers,
            actor=actor,
            idempotency_key=idempotency_key,
        )
    for document_id in submission.document_ids.values():
        attach(runtime, document_id, receipt.application_id)
    service = catalogue.service(submission.service, at=now)
    entry = open311_requests.created_entry(
        receipt.application_id, service=service, catalogue=catalogue, language=language
    )
    return entry, receipt.replayed


@post(
    ["/requests.json", "/requests.xml"],
    return_dto=Views[Open311Created],
    status_code=201,
    media_type=MediaType.JSON,
    response_description="The new request's id, in a list of one",
    operation_class=FormOperation,
    responses={
        200: ResponseSpec(
            data_container=list[Open311Created],
            description="A retry under the same Idempotency-Key: the same request",
            generate_examples=False,
        ),
        **error_responses(400, 404, 409, 413, 415, 422, 429, 503),
    },
    summary="Submit a service request (an online application), form-encoded",
)
async def create_request(
    request: Request[Any, Any, Any],
    lang: Lang = None,
    jurisdiction_id: Jurisdiction = None,
    idempotency_key: Annotated[
        str | None,
        HeaderParameter(
            name="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY,
            required=False,
            description="Optional: GeoReport has none; send one to make a retry safe.",
        ),
    ] = None,
) -> Response[list[Open311Created]]:
    """Submit the form as an anonymous online application; answer with its id.

    Without an ``Idempotency-Key`` the request is not idempotent: sending it twice makes
    two applications.  The applicant's identity number and its scheme are sent as
    ``attribute[applicant.identity_number]`` and ``attribute[applicant.identity_scheme]``.
    """
    runtime = runtime_of(request)
    fields = read_form(request.headers.get("content-type", ""), await request.body())
    if jurisdiction_id is not None:
        given = fields.setdefault("jurisdiction_id", _jurisdiction(jurisdiction_id) or "")
        if given != jurisdiction_id:
            problem = Problem(path="jurisdiction_id", message="differs in the query and the form")
            raise InvalidRequest([problem], status=400)
    language = language_of(runtime.mall.catalogue, request, lang)
    now = datetime.now(UTC)
    submission = await anyio.to_thread.run_sync(
        lambda: parse_request_form(
            fields, catalogue=runtime.mall.catalogue, at=now, language=language
        )
    )
    actor = await acting_citizen(
        runtime.citizens, request.headers, applicant=submission.applicant, representative=None
    )
    # The key and the uploads named are held until done, as the API holds them.
    inflight: InFlight = request.app.state.inflight
    uploads = submission.document_ids.values()
    async with holding_key(inflight, actor.id, idempotency_key), holding_uploads(inflight, uploads):
        entry, replayed = await runtime.write(
            partial(_submit, runtime, submission, now, language, idempotency_key, actor)
        )
    created = [Open311Created.from_entry(entry)]
    return _answer(request, "service_requests", created, 200 if replayed else 201)


@route(
    "/{rest:path}",
    http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def elsewhere(rest: Annotated[str, PathParameter()]) -> None:
    """Anything else under the prefix: GeoReport's 404."""
    raise NotFoundException()


@route(
    ["/", "/services", "/requests"],
    http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def nowhere() -> None:
    """The prefix itself and the folders of GeoReport's paths: GeoReport's 404."""
    raise NotFoundException()


@route(["/requests.json", "/requests.xml"], http_method=["OPTIONS"], include_in_schema=False)
async def requests_options() -> Response[None]:
    """The methods of ``requests.json`` and ``requests.xml``.  (Litestar makes its own
    answer for a path's first handler and keeps it when a second is added, so it would list
    GET alone.)"""
    return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})


ROUTER = Router(
    PREFIX,
    route_handlers=[
        discovery,
        list_services,
        define_service,
        requests_options,  # first: registered later, Litestar keeps a stale OPTIONS of its own
        list_requests,
        create_request,
        read_request,
        elsewhere,
        nowhere,
    ],
    exception_handlers={Exception: handle_open311_error},
    tags=["open311"],
)
"""The GeoReport v2 routes, with their own exception handler."""
