"""Versions on the wire: the ``If-Match`` a change names and the ``ETag`` an answer carries.

Shared by the officers' routes (`onestop.web._officers`), the staff routes
(`onestop.web._staff_routes`) and the courier's (`onestop.web._staff_courier`,
`onestop.web._staff_handoffs`): an application's routes name the application's version,
a courier job's routes the job's.  ``If-Match`` is required on every change (428
without), compared strongly (a weak tag is 412), and must be a version (``"3"``).
"""

from __future__ import annotations

import re
from typing import Annotated, TypeVar, cast

from litestar import Response
from litestar.params import HeaderParameter

from onestop.exceptions import InvalidRequest, Problem, VersionMismatch
from onestop.web._wire import CONVERTER

__all__ = ["ETAG", "IfMatch", "JobIfMatch", "if_match_version", "matching_version", "tagged"]

T = TypeVar("T")

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match", required=False, description='The application\'s version acted on: "3".'
    ),
]
"""The ``If-Match`` header of a change to an application (required: 428 without)."""

JobIfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match", required=False, description='The courier job\'s version acted on: "3".'
    ),
]
"""The ``If-Match`` header of a change to a courier job (required: 428 without)."""


def if_match_version(value: str | None, /, *, of: str = "an application's") -> int:
    """The version an ``If-Match`` header names.

    Raises:
        InvalidRequest: 428 if it is missing, 412 if it is a weak tag (it never matches),
            422 if it is not a version (``*``, a list, ``"03"``).
    """
    if value is None:
        raise InvalidRequest(
            [Problem(path="header.If-Match", message='is required: the version acted on, "3"')],
            status=428,
        )
    text = value.strip()
    if text.startswith("W/"):  # RFC 9110: If-Match compares strongly; a weak tag never matches
        raise InvalidRequest(
            [Problem(path="header.If-Match", message="a weak ETag never matches If-Match")],
            status=412,
        )
    found = ETAG.fullmatch(text)
    if found is None:  # an ETag is quoted, and ours are versions as written: "1", not "01"
        raise InvalidRequest([Problem(path="header.If-Match", message=f"must be {of} ETag")])
    return int(found[1])


ETAG = re.compile(r'"(0|[1-9][0-9]{0,11})"')
"""An ETag of ours: a version, quoted, as written (``"3"``, never ``"03"``)."""


def matching_version(value: str | None, actual: int, /, *, of: str = "an application's") -> int:
    """The version an ``If-Match`` header names, if it is *actual*, the version just read.

    Raises:
        InvalidRequest: As `if_match_version`.
        VersionMismatch: If it names another version (412).
    """
    expected = if_match_version(value, of=of)
    if actual != expected:
        subject = of.removeprefix("an ").removeprefix("a ").removesuffix("'s")
        raise VersionMismatch(expected=expected, actual=actual, subject=subject)
    return expected


def tagged(view: T, version: int) -> Response[T]:
    """*view* as the converter writes it, with *version* as its ``ETag``.

    (Litestar hands a returned `Response`'s content to its JSON encoder as it is, past
    the route's DTO: the converter writes it here, `Personal` values and all.)
    """
    written = Response(CONVERTER.unstructure(view), headers={"ETag": f'"{version}"'})
    return cast("Response[T]", written)
