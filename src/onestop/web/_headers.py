"""Request headers checked before a route reads them: given twice, or a coding no route
decodes.

- Litestar reads the first of a header given twice and ignores the rest, while a proxy
  or a cache in front may read the last, or join them: two ``Idempotency-Key`` headers
  made an application under one key, and two ``If-Match`` headers (a list, which is
  refused when sent in one line) acted on the first version named.  `HeaderCheck`
  refuses such a request (400, naming the header) before anything reads it; two
  ``Host`` headers too, as RFC 9112 (3.2) has it and uvicorn does not do.
- No route decodes a ``Content-Encoding``: a gzip body was read as it came (400, not
  UTF-8) and a ``br`` one as if it were not encoded (201).  A body in any coding but
  ``identity`` is refused (415, RFC 9110 15.5.16); none is ever inflated.  Nor does
  uvicorn decode a ``Transfer-Encoding`` but ``chunked``: ``gzip, chunked`` made an
  application of the body as sent; it is refused (501, RFC 9112 6.1).
- A route that reads a JSON body read any body as JSON, whatever type it was declared:
  ``text/plain`` or a form made applications.  A body declared of another type, or JSON
  in a charset other than UTF-8, is refused (415) by `check_headers`; a body declared
  of no type is still read as JSON.
- A query parameter given twice was read as its last value (``?number=A&number=B``
  looked B up, where a proxy or a firewall in front may read A); `check_query` refuses a
  parameter the route reads given more than once (400).
- Litestar answers a CORS preflight it refuses (an origin, a method or a header not
  allowed) with a bare ``text/plain`` "Disallowed CORS Origin"; `preflight_problems`
  answers it as every other refusal is, a problem naming what was not allowed.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import parse_qsl

import attrs
from litestar.enums import RequestEncodingType, ScopeType
from litestar.params import ParameterKwarg, QueryParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from onestop.exceptions import InvalidRequest, Problem
from onestop.web._problems import PROBLEM_JSON, problem_for

__all__ = [
    "SINGLE",
    "HeaderCheck",
    "check_headers",
    "check_query",
    "is_json_type",
    "preflight_problems",
]

SINGLE: Final = {
    b"authorization": "Authorization",
    b"content-encoding": "Content-Encoding",
    b"content-length": "Content-Length",
    b"content-type": "Content-Type",
    b"host": "Host",
    b"idempotency-key": "Idempotency-Key",
    b"if-match": "If-Match",
    b"lookup-secret": "Lookup-Secret",
    b"upload-filename": "Upload-Filename",
    b"x-csrf-token": "X-CSRF-Token",
}
"""The headers a request may give once at most, by their lower-case name as ASGI has it."""


def _refused(name: str, message: str, status: int) -> InvalidRequest:
    return InvalidRequest([Problem(path=f"header.{name}", message=message)], status=status)


def check_headers(scope: Scope) -> None:
    """Check the request headers of *scope*, in one pass over them.

    Raises:
        InvalidRequest: 400 if a header of `SINGLE` is given more than once; 415 if a
            ``Content-Encoding`` other than ``identity`` is given; 501 if a
            ``Transfer-Encoding`` names a coding other than ``chunked``, which the
            server would not decode either (RFC 9112 6.1); 415 if the route reads JSON
            and ``Content-Type`` names another type, or a charset other than UTF-8.
    """
    seen: set[bytes] = set()
    transfer = b""
    for raw, value in scope["headers"]:
        name = bytes(raw).lower()
        if name in SINGLE:
            if name in seen:
                raise _refused(SINGLE[name], "is given more than once", 400)
            seen.add(name)
            if name == b"content-encoding" and bytes(value).strip().lower() not in (
                b"",
                b"identity",
            ):
                raise _refused("Content-Encoding", "is not accepted: send the body unencoded", 415)
            if name == b"content-type":
                declared = bytes(value).decode("latin-1")
                if declared.strip() and not is_json_type(declared) and _takes_json(scope):
                    raise _refused("Content-Type", "must be application/json, in UTF-8", 415)
        elif name == b"transfer-encoding":  # several lines are one list (RFC 9110 5.3)
            transfer = b",".join(filter(None, (transfer, bytes(value).strip().lower())))
    if transfer and any(coding.strip() != b"chunked" for coding in transfer.split(b",")):
        raise _refused("Transfer-Encoding", "names a coding other than chunked", 501)


def _takes_json(scope: Scope) -> bool:
    """Whether the route *scope* was routed to reads its body as JSON (its ``data``)."""
    handler = scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    data = None if signature is None else signature.parameters.get("data")
    kwarg = getattr(data, "kwarg_definition", None)
    return getattr(kwarg, "media_type", None) == RequestEncodingType.JSON


def is_json_type(content_type: str, /) -> bool:
    """Whether *content_type* declares JSON in UTF-8: ``application/json`` or a
    ``+json`` type, with no charset or ``utf-8``."""
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            return False
    return True


def _query_names(scope: Scope) -> frozenset[str]:
    """The names of the query parameters the route *scope* was routed to reads."""
    signature = getattr(scope.get("route_handler"), "parsed_fn_signature", None)
    names: set[str] = set()
    for name, field in () if signature is None else signature.parameters.items():
        kwarg = getattr(field, "kwarg_definition", None)
        if isinstance(kwarg, QueryParameter):
            names.add(kwarg.name or name)
        elif isinstance(kwarg, ParameterKwarg) and kwarg.query:
            names.add(kwarg.query)
    return frozenset(names)


def check_query(scope: Scope) -> None:
    """Check that no query parameter the route reads is given twice in *scope*.

    Raises:
        InvalidRequest: 400 naming the first parameter given more than once.
    """
    query = bytes(scope.get("query_string", b""))
    if b"&" not in query:
        return
    names = _query_names(scope)
    seen: set[str] = set()
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="replace")
    for name, _ in pairs:
        if name in names:
            if name in seen:
                problem = Problem(path=f"query.{name}", message="is given more than once")
                raise InvalidRequest([problem], status=400)
            seen.add(name)


class HeaderCheck:
    """ASGI middleware: `check_headers` and `check_query` on every HTTP request, before
    it goes on."""

    def __init__(self, app: ASGIApp) -> None:
        """Check the requests *app* is given."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request on, or refuse it before anything is read."""
        if scope["type"] == ScopeType.HTTP:
            check_headers(scope)
            check_query(scope)
        await self.app(scope, receive, send)


_PREFLIGHT_REFUSED = b"Disallowed CORS "
_CORS_PLACES = {
    b"Origin": Problem(path="header.Origin", message="is not allowed to call this API"),
    b"method": Problem(
        path="header.Access-Control-Request-Method", message="is not a method of the API"
    ),
    b"headers": Problem(
        path="header.Access-Control-Request-Headers",
        message="names a header the API does not take",
    ),
}


def _preflight_problem(text: bytes) -> bytes | None:
    """The problem body of Litestar's refusal *text*, or ``None`` if it is not one."""
    if not text.startswith(_PREFLIGHT_REFUSED):
        return None
    names = [name.strip() for name in text.removeprefix(_PREFLIGHT_REFUSED).split(b",")]
    problems = [_CORS_PLACES[name] for name in names if name in _CORS_PLACES]
    problem = problem_for(InvalidRequest(problems, status=400))
    return json.dumps(attrs.asdict(problem), separators=(",", ":")).encode()


def preflight_problems(app: ASGIApp) -> ASGIApp:
    """Middleware around Litestar's CORS middleware: a refused preflight answered as a
    problem (400, naming the origin, method or headers refused), not as bare text."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        text = bytearray()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 400:
                held.update(message)  # perhaps a refused preflight: see its body first
                return
            if not held or message["type"] != "http.response.body":
                await send(message)
                return
            text.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            problem = _preflight_problem(bytes(text))
            body = bytes(text) if problem is None else problem
            dropped = (
                {b"content-length"} if problem is None else {b"content-length", b"content-type"}
            )
            given: Any = held.get("headers") or ()
            headers = [h for h in given if bytes(h[0]).lower() not in dropped]
            if problem is not None:
                headers.append((b"content-type", PROBLEM_JSON.encode()))
            headers.append((b"content-length", str(len(body)).encode()))
            start: Any = {**held, "headers": headers}
            await send(start)
            end: Any = {"type": "http.response.body", "body": body}
            await send(end)

        await app(scope, receive, sending)

    return wrapped
