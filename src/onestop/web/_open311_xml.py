"""GeoReport v2 answers in either of its formats, JSON or XML, and its error lists.

GeoReport v2 names the format in the path: ``services.json`` or ``services.xml``,
``requests/{id}.xml``.  XML is the spec's required format; JSON is the same data.  A
route answers in the format its path ends with (`is_xml`), errors too: an ``.xml`` path
gets ``<errors><error><code>404</code><description>...</description></error></errors>``,
any other GeoReport path the JSON list ``[{"code": 404, "description": "..."}]``.

**The XML** is the spec's: the root and item elements of each answer are `ROOTS`'s
(``<services><service>``, ``<service_requests><request>``, ``<service_definition>``,
``<discovery>``, ``<errors><error>``), and a list inside an object is an element holding
one element per item (``<attributes><attribute>``, ``<values><value>``,
``<endpoints><endpoint>``, ``<formats><format>``).  A ``null`` is an empty element, a
boolean ``true`` or ``false``, a number its decimal text.

It is written by `xml_document`, a small writer in which values only ever pass through
`xml.sax.saxutils.escape` (``&``, ``<`` and ``>``, and a carriage return as ``&#13;``, so
that a parser reads back the very text), and element names only come from the fixed keys
of GeoReport's objects (checked against `_NAME`).  Text XML 1.0 cannot carry at all (a
control character other than a tab, line feed or carriage return, U+FFFE, U+FFFF, a lone
surrogate) is refused where it enters: the catalogue's loader and the submission forms
refuse it (`onestop.domain.common.formats.text_problem`), and the exports refuse a
catalogue built in Python with it (`onestop.interop._safety`).  Should any still reach
the writer (a host name from the request's ``Host`` header, say), each such character is
written as U+FFFD: the answer is always well-formed XML, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from xml.sax.saxutils import escape

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException

from onestop.exceptions import InvalidValue, OnestopError, WebError
from onestop.interop import open311_requests
from onestop.web._open311_views import Open311Error
from onestop.web._problems import allow_of, frames, problem_for
from onestop.web._scrub import Sent

__all__ = [
    "ROOTS",
    "XML_MEDIA_TYPE",
    "handle_open311_error",
    "is_xml",
    "open311_errors_of",
    "xml_document",
    "xml_text",
]

XML_MEDIA_TYPE: Final = "text/xml"
"""The media type of GeoReport's XML answers (sent with ``charset=utf-8``)."""

ROOTS: Final[Mapping[str, tuple[str, str | None]]] = {
    "discovery": ("discovery", None),
    "services": ("services", "service"),
    "service_definition": ("service_definition", None),
    "service_requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
"""Each answer's root element, and the element of each of its items when it is a list."""

_ITEMS: Final[Mapping[str, str]] = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
"""The element of each item of a list inside an object, by the list's key."""

_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ENTITIES: Final = {"\r": "&#13;"}
_LOG = structlog.get_logger("onestop.web")


def is_xml(request: Request[Any, Any, Any]) -> bool:
    """Whether *request*'s path asks for GeoReport's XML (it ends with ``.xml``)."""
    path: str = request.scope.get("path", "")
    return path.endswith(".xml")


def xml_text(text: str, /) -> str:
    """*text* with each character XML 1.0 cannot carry written as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _scalar(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return xml_text(str(value))
    raise InvalidValue(field=where, reason="is no GeoReport value (text, number, boolean, null)")


def _tag(name: object) -> str:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise InvalidValue(field="key", reason="is not a GeoReport element name")
    return name


def _write(parts: list[str], name: str, value: object) -> None:
    """Append element *name* holding *value* to *parts*."""
    tag = _tag(name)
    if isinstance(value, Mapping):
        parts.append(f"<{tag}>")
        for key, item in value.items():
            _write(parts, key, item)
        parts.append(f"</{tag}>")
    elif isinstance(value, list | tuple):
        item_tag = _ITEMS.get(tag)
        if item_tag is None:
            raise InvalidValue(field=tag, reason="is a list GeoReport has no item element for")
        parts.append(f"<{tag}>")
        for item in value:
            _write(parts, item_tag, item)
        parts.append(f"</{tag}>")
    else:
        text = _scalar(value, tag)
        parts.append(f"<{tag}>{escape(text, _ENTITIES)}</{tag}>" if text else f"<{tag}/>")


def xml_document(kind: str, data: object, /) -> bytes:
    """The GeoReport XML of *data* (JSON-ready: dicts, lists, text, numbers, booleans,
    ``None``), as answer *kind* of `ROOTS`, encoded in UTF-8 with its declaration.

    Raises:
        InvalidValue: If *kind* is not one of `ROOTS`, or *data* holds what GeoReport's
            XML has no element for (the caller's mistake, not the client's).
    """
    if kind not in ROOTS:
        raise InvalidValue(field="kind", reason=f"is not one of {', '.join(ROOTS)}")
    root, item = ROOTS[kind]
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
    if item is None:
        _write(parts, root, data)
    else:
        if not isinstance(data, list | tuple):
            raise InvalidValue(field="data", reason=f"{kind} is a list")
        parts.append(f"<{root}>")
        for entry in data:
            _write(parts, item, entry)
        parts.append(f"</{root}>")
    return "".join(parts).encode("utf-8")


# --- errors ----------------------------------------------------------------------------


def open311_errors_of(error: BaseException, /) -> tuple[int, list[Open311Error]]:
    """The HTTP status and GeoReport error list *error* is answered with.

    Errors onestop's interop knows (`open311_requests.open311_status`) are answered as
    it says; the server's own refusals (an unreadable request, a body too large, a rate
    limit, a method the path does not have) with their problem details' status, each
    problem one entry.
    """
    known = isinstance(error, OnestopError) and open311_requests.open311_status(error) != 500
    if known and not isinstance(error, WebError):
        status = open311_requests.open311_status(error)
        entries = open311_requests.open311_errors(error)
        return status, [Open311Error(code=e["code"], description=e["description"]) for e in entries]
    problem = problem_for(error)
    found = [
        open311_requests.one_line(f"{p.path}: {_PARAMETERS.get(p.path, p.message)}")
        for p in problem.problems[:50]
    ]
    descriptions = found or [open311_requests.one_line(problem.detail)]
    return problem.status, [Open311Error(code=problem.status, description=d) for d in descriptions]


_PARAMETERS: Final[Mapping[str, str]] = {
    "query.lang": "is not a language tag (BCP 47) such as id, en or en-GB",
    "query.jurisdiction_id": (
        "is not an agency code: a letter or digit, then up to 63 letters, digits or ._-"
    ),
    "header.Idempotency-Key": "must be 16 to 128 letters, digits, hyphens or underscores",
}
"""What a parameter Litestar refused must be, in words: never its regular expression."""


def _retry_after(error: BaseException, status: int) -> str:
    """The seconds a client waits after a 429 or a 503 before it tries again."""
    retry = getattr(error, "retry_after", None)
    if isinstance(retry, int):  # onestop's own limits
        return str(retry)
    given = (error.headers or {}) if isinstance(error, HTTPException) else {}
    reset = given.get("Retry-After") or given.get("RateLimit-Reset") or ""
    if reset.isdigit() and int(reset) > 0:  # Litestar's limit: when its window resets
        return reset
    return "1" if status == 503 else "60"


def handle_open311_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's exception handler of the GeoReport paths: GeoReport's error list, in XML
    for a path ending with ``.xml``, else in JSON (a 405's ``Allow`` header kept)."""
    status, entries = open311_errors_of(error)
    headers = {"Retry-After": _retry_after(error, status)} if status in (429, 503) else {}
    allow = allow_of(error)
    if allow is not None:
        headers["Allow"] = allow
    request.scope.setdefault("state", {})["onestop_error"] = type(error).__name__
    if status >= 500:
        _LOG.error("request_failed", error=type(error).__name__, where=frames(error))
    sent = Sent(request)  # no description quotes what the client sent (onestop.web._scrub)
    content = [{"code": e.code, "description": sent.scrub(e.description)} for e in entries]
    if is_xml(request):
        body = xml_document("errors", content)
        return Response(body, status_code=status, media_type=XML_MEDIA_TYPE, headers=headers)
    return Response(content, status_code=status, media_type=MediaType.JSON, headers=headers)
