"""Errors as RFC 9457 problem details, typed from onestop's exception tree, in one place.

Every refusal the API answers is an ``application/problem+json`` body (`ProblemDetails`):
``type`` names the exception class (``urn:onestop:problem:ServiceNotFound``), ``status``
its HTTP status (`status_of`), ``detail`` its message, which onestop's exceptions build
from typed attributes and never from personal data, and ``problems`` every field problem
of a request or an application.  Nothing else of an exception is sent: no stack trace,
no cause, and no value the client sent (`onestop.web._scrub` takes echoes out of the
detail, the messages and the paths).  An exception that is not onestop's is a 500 whose body
says only that; the access log records its class.

A wrong lookup secret and an unknown application number get the same answer, byte for
byte (`NOT_FOUND_DETAIL`): the detail of `ApplicationNotFound` is never its reference.
"""

from __future__ import annotations

import re
import traceback
import weakref
from typing import Any

import attrs
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec

import onestop.exceptions as exc
from onestop.domain.applications.events import Verdict, Visibility
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.courier.events import AttemptOutcome
from onestop.domain.courier.handoffs import PartyKind
from onestop.exceptions import OnestopError
from onestop.web._scrub import Sent

__all__ = [
    "KEY_REUSED_DETAIL",
    "NOT_FOUND_DETAIL",
    "PROBLEM_JSON",
    "FieldProblem",
    "ProblemDetails",
    "allow_of",
    "frames",
    "declared",
    "handle_error",
    "no_html_not_found",
    "problem_responses",
    "status_of",
]

PROBLEM_JSON = "application/problem+json"
"""The media type of every error body."""

NOT_FOUND_DETAIL = "no application matches this reference and secret"
"""The detail of every `ApplicationNotFound`: it never says which part did not match."""

KEY_REUSED_DETAIL = (
    "this Idempotency-Key was used with another request; use a new key for a new application"
)
"""The detail of every `IdempotencyConflict`: never the id of the application the key made,
which whoever learnt another citizen's key could read over Open311."""

_LOG = structlog.get_logger("onestop.web")

_GONE = "client disconnected prematurely"  # Litestar's detail when the body stops short

# Most specific first: the first class an error is an instance of gives its status.
_STATUSES: tuple[tuple[type[OnestopError], int], ...] = (
    (exc.Throttled, 429),
    (exc.AccountLocked, 429),
    (exc.NotAuthenticated, 401),
    (exc.SignInRefused, 401),
    (exc.SecondFactorRequired, 401),
    (exc.CsrfRefused, 403),
    (exc.NotAuthorised, 403),
    (exc.AccountExists, 409),
    (exc.WeakPassword, 422),
    (exc.VersionMismatch, 412),
    (exc.DocumentTooLarge, 413),
    (exc.UnsupportedMediaType, 415),
    (exc.PersonalDataErased, 410),
    (exc.NotFound, 404),
    (exc.IdempotencyConflict, 422),
    (exc.SubmissionInProgress, 409),
    (exc.ConcurrencyConflict, 409),
    (exc.RoleNotAllowed, 403),
    (exc.SeparationOfDutiesViolation, 403),
    (exc.CourierNotAssigned, 403),
    (exc.MissingInput, 422),
    (exc.TransitionNotAllowed, 409),
    (exc.CommandRefused, 409),
    (exc.JobRefused, 409),
    (exc.CourierError, 422),
    (exc.WebhookVerificationError, 401),
    (exc.IdentityNotVerified, 401),
    (exc.IdentityProviderUnavailable, 503),
    (exc.IdentityProviderError, 502),
    (exc.TransientError, 503),
    (exc.InvalidValue, 422),
    (exc.InvalidApplication, 422),
    (exc.ChannelNotOffered, 422),
    (exc.PartyError, 422),
    (exc.DocumentError, 422),
    (exc.CalendarError, 422),
    (exc.CallbackRefused, 422),
    (exc.InvalidStoreInput, 422),
)


@attrs.frozen(kw_only=True)
class FieldProblem:
    """One thing wrong with a request, and where.

    Attributes:
        path: Where: ``body.applicant.name``, ``header.Idempotency-Key``, ``answers.age``.
        message: What is wrong, in one sentence, never quoting the value sent.
    """

    path: str
    message: str


@attrs.frozen(kw_only=True)
class ProblemDetails:
    """An RFC 9457 problem details object.

    Attributes:
        type: A URN naming the kind of problem: ``urn:onestop:problem:<exception class>``.
        title: A short summary of the kind of problem.
        status: The HTTP status code.
        detail: What went wrong this time, without personal data.
        problems: Every field problem, for a request or application that does not fit.
    """

    type: str
    title: str
    status: int
    detail: str
    problems: tuple[FieldProblem, ...] = ()


def status_of(error: BaseException, /) -> int:
    """Return the HTTP status *error* is answered with (500 for what is not onestop's)."""
    if isinstance(error, exc.InvalidRequest):
        return error.status
    for kind, status in _STATUSES:
        if isinstance(error, kind):
            return status
    return 500


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    501: "Not implemented",
    502: "Bad gateway",
    503: "Service unavailable",
}


def _problems(error: BaseException) -> tuple[FieldProblem, ...]:
    found = getattr(error, "problems", ())
    if not isinstance(error, exc.InvalidRequest | exc.InvalidApplication):
        return ()
    return tuple(FieldProblem(path=p.path, message=p.message) for p in found)


_MISSING = re.compile(
    r"Missing required (header|query|path|cookie) parameter '([A-Za-z0-9_-]{1,64})'"
)


def _parameter_problems(error: ValidationException) -> tuple[FieldProblem, ...]:
    """The parameters Litestar refused, by place and name; never the value, nor the URL
    its message quotes (a query string may hold an application number)."""
    found: list[FieldProblem] = []
    for item in error.extra if isinstance(error.extra, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        source = getattr(item.get("source"), "value", "body")
        message = str(item.get("message", "is not valid"))
        pattern = message.partition("matching regex ")[2]
        shown = f"must match {pattern}" if pattern else "is not valid"
        if message.startswith("Expected `") and not pattern:
            shown = "is not " + message.removeprefix("Expected ").split(",")[0].replace("`", "")
        key = item["key"][:64]
        if source == "header":  # the header's name, not its parameter's: lookup_secret
            key = "-".join(word.capitalize() for word in key.split("_"))
        found.append(FieldProblem(path=f"{source}.{key}", message=shown))
    missing = _MISSING.match(str(error.detail))
    if missing is not None:
        found.append(FieldProblem(path=f"{missing[1]}.{missing[2]}", message="is required"))
    return tuple(found)


def problem_for(error: BaseException, /) -> ProblemDetails:
    """Return the problem details *error* is answered with."""
    status = status_of(error)
    if isinstance(error, InternalServerException) and error.detail == _GONE:
        return ProblemDetails(  # the client hung up mid-body: not the server's failure
            type="urn:onestop:problem:InvalidRequest",
            title=_TITLES[400],
            status=400,
            detail="body: the request ended before all of it was sent",
        )
    if isinstance(error, HTTPException):  # Litestar's own: routing, methods, body size
        status = error.status_code
        name = "HTTPError" if status not in _TITLES else type(error).__name__
        detail = _TITLES.get(status, "HTTP error")
        found = _parameter_problems(error) if isinstance(error, ValidationException) else ()
        if status == 400:
            detail = "; ".join(f"{p.path}: {p.message}" for p in found) or "unreadable request"
        return ProblemDetails(
            type=f"urn:onestop:problem:{name}",
            title=_TITLES.get(status, "HTTP error"),
            status=status,
            detail=detail,
            problems=found,
        )
    if not isinstance(error, OnestopError):
        return ProblemDetails(
            type="urn:onestop:problem:InternalError",
            title=_TITLES[500],
            status=500,
            detail="the server failed; the failure was logged without the request's data",
        )
    detail = str(error)
    if isinstance(error, exc.ApplicationNotFound):
        detail = NOT_FOUND_DETAIL
    elif isinstance(error, exc.IdempotencyConflict):
        detail = KEY_REUSED_DETAIL
    return ProblemDetails(
        type=f"urn:onestop:problem:{type(error).__name__}",
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        problems=_problems(error),
    )


def _scrubbed(problem: ProblemDetails, sent: Sent) -> ProblemDetails:
    return attrs.evolve(
        problem,
        detail=sent.scrub(problem.detail),
        problems=tuple(
            FieldProblem(path=sent.scrub(p.path), message=sent.scrub(p.message))
            for p in problem.problems
        ),
    )


def allow_of(error: BaseException, /) -> str | None:
    """The ``Allow`` header Litestar's 405 carries, which RFC 9110 requires in the answer."""
    if not isinstance(error, HTTPException) or not error.headers:
        return None
    return {k.lower(): v for k, v in error.headers.items()}.get("allow")


def handle_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's exception handler: answer *error* as problem details, with no value
    the request carried quoted back (`onestop.web._scrub`)."""
    problem = _scrubbed(problem_for(error), Sent(request, declared=lambda: declared(request)))
    headers: dict[str, str] = {}
    if isinstance(error, exc.Throttled | exc.AccountLocked):
        headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, exc.TransientError):
        headers["Retry-After"] = "1"
    elif isinstance(error, exc.InvalidRequest) and any(
        p.path == "header.Content-Encoding" for p in error.problems
    ):
        headers["Accept-Encoding"] = "identity"  # RFC 9110 12.5.3: the codings taken
    elif isinstance(error, HTTPException) and error.headers:
        given = {k.lower(): v for k, v in error.headers.items()}
        allow = allow_of(error)
        if allow is not None:
            headers["Allow"] = allow
        # Litestar's rate limiter says when its window resets; a client reads Retry-After.
        wait = given.get("retry-after") or given.get("ratelimit-reset")
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait))) if wait.isdigit() else wait
    request.scope.setdefault("state", {})["onestop_error"] = type(error).__name__
    if problem.status >= 500 and not isinstance(error, exc.InvalidRequest):  # not a 501
        _LOG.error("request_failed", error=type(error).__name__, where=frames(error))
    return Response(
        content=attrs.asdict(problem),
        status_code=problem.status,
        media_type=MediaType.JSON,
        headers={**headers, "Content-Type": PROBLEM_JSON},
    )


_DECLARED: weakref.WeakKeyDictionary[object, frozenset[str]] = weakref.WeakKeyDictionary()


_API_WORDS = frozenset(
    value.value
    for kind in (ChannelKind, Verdict, Visibility, AttemptOutcome, PartyKind)
    for value in kind
) | {"give", "receive"}
"""The closed vocabularies of the API's bodies: words of the server's, not the client's."""


def declared(request: Request[Any, Any, Any]) -> frozenset[str]:
    """The words of the worker's catalogue and API, lower-cased (kept per catalogue): form
    field names, the codes of services, requirements, agencies, workflows and identity
    schemes, workflow actions and states, and the API's closed vocabularies.  A problem
    keeps them even where the client sent them: they are the schema's, never personal."""
    runtime = getattr(request.app.state, "runtime", None)
    mall = getattr(runtime, "mall", None)
    catalogue = getattr(mall, "catalogue", None)
    if catalogue is None:
        return frozenset()
    found = _DECLARED.get(catalogue)
    if found is None:
        words = {field.name for service in catalogue.services for field in service.form}
        for service in catalogue.services:
            words.add(service.code)
            words.update(r.code for r in service.requirements)
        words.update(agency.code for agency in catalogue.agencies)
        words.update(scheme.code for scheme in catalogue.identity_schemes)
        words.update(getattr(getattr(mall, "validators", None), "schemes", ()))
        for workflow in catalogue.workflows:
            words.add(workflow.code)
            words.update(state.name for state in workflow.states)
            words.update(transition.action for transition in workflow.transitions)
        names = frozenset(word.lower() for word in words | _API_WORDS)
        found = _DECLARED.setdefault(catalogue, names)
    return found


async def no_html_not_found(response: Response[Any]) -> Response[Any]:
    """Answer Litestar's HTML page for an unknown path under ``/api`` as the problem every
    other unknown path gets (the OpenAPI router serves that page itself, not by raising)."""
    if response.status_code != 404 or response.media_type != MediaType.HTML:
        return response
    problem = problem_for(NotFoundException())
    return Response(
        content=attrs.asdict(problem),
        status_code=404,
        media_type=MediaType.JSON,
        headers={"Content-Type": PROBLEM_JSON},
    )


def frames(error: BaseException) -> list[str]:
    """Where *error* was raised, as ``file:line function`` entries: never its message,
    which an exception not of onestop's may have built from the request's data."""
    return [
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)[-8:]
    ]


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI responses of a route that answers *statuses* with problem details."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            description=_TITLES.get(status, "Error"),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }
