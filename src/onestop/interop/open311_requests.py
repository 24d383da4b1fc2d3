"""Applications as Open311 GeoReport v2 service requests, and GeoReport's error bodies.

`request_entry` builds one service request object, an item of the body of
``GET requests.json`` and ``GET requests/{service_request_id}.json``, from an
application and its `PublicStatus`; `created_entry` builds the item ``POST
requests.json`` answers with; `open311_errors` turns an exception into GeoReport's error
list (``[{"code": 404, "description": "..."}]``) and `open311_status` gives the HTTP
status to send it with.  Everything returned is plain JSON-ready data; serving it is
the host's business.  (`onestop.interop.open311_forms` reads the ``POST`` form.)

**No personal data.**  ``service_request_id`` is the application's id (random and
unguessable), never its number, and an entry holds no answer, no name, no contact
and no officer's note: ``description`` is ``null`` (a citizen's text is personal data),
and so are the location keys.

**Status.**  GeoReport knows two statuses; ours map onto them like this:

=====================================================  ==========
our situation                                          ``status``
=====================================================  ==========
a state of kind ``initial``, ``active``,               ``open``
``waiting_applicant`` or ``waiting_agency``
suspended (in any of those states)                     ``open``
a final state (kind ``success`` or ``failure``)        ``closed``
withdrawn                                              ``closed``
=====================================================  ==========

That is `PublicStatus.closed <onestop.domain.applications.tracking.PublicStatus>`:
closed exactly when nothing more can happen to the application.  The finer state is in
``status_notes``, a JSON text (the spec's own advice for richer statuses) with the keys
``state`` (our state code, or ``withdrawn``), ``label`` (its public label in the
language served), ``language``, ``closed``, ``suspended``, ``paused`` (whether the SLA
clock is paused) and ``due`` (the due date, ISO 8601, or ``null`` while paused or once
closed).

**Dates** are written in W3C form with their offset, as GeoReport requires
(``2026-03-02T09:30:00+07:00``), in the time zone of the providing agency (UTC when
the catalogue names none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

from onestop.domain.applications.application import Application
from onestop.domain.applications.tracking import PublicStatus, served_language
from onestop.domain.catalogue.model import Catalogue, Service
from onestop.domain.common.formats import KEY, kind_of
from onestop.domain.common.kinds import check_type
from onestop.domain.common.text import LocalizedText, is_language_tag
from onestop.exceptions import (
    AgencyNotFound,
    ApplicationNotFound,
    ChannelNotOffered,
    CommandRefused,
    ConcurrencyConflict,
    DocumentError,
    DocumentTooLarge,
    IdempotencyConflict,
    InvalidApplication,
    InvalidIdentityNumber,
    InvalidValue,
    NotFound,
    ServiceNotFound,
    TransientError,
    UnknownIdentityScheme,
    UnsupportedMediaType,
)
from onestop.interop._safety import check_items

__all__ = [
    "LOCATION_KEYS",
    "MAX_DESCRIPTION",
    "MAX_ERRORS",
    "created_entry",
    "open311_errors",
    "one_line",
    "open311_status",
    "request_entry",
]

LOCATION_KEYS: Final = ("address", "address_id", "zipcode", "lat", "long", "media_url")
"""The keys of a GeoReport request that are always ``null`` here.

A one-stop mall handles applications, not incidents at a place: an application has no
location to report, and the applicant's own address is personal data."""

MAX_ERRORS: Final = 50
"""The most entries `open311_errors` lists; a last entry says how many more there were."""

_MULTILINE: Final = frozenset({"service_notice"})
MAX_DESCRIPTION: Final = 300
"""The longest ``description`` of a GeoReport error answered (`one_line`)."""
# Our paths (submission.py, forms.py) and the GeoReport form field that carried the value.
_PATHS: Final[Mapping[str, str]] = {
    "applicant.name": "first_name",
    "applicant.email": "email",
    "applicant.phone": "phone",
    "applicant.identity_number": "attribute[applicant.identity_number]",
    "applicant.identity_scheme": "attribute[applicant.identity_scheme]",
}


def request_entry(
    application: Application,
    /,
    *,
    status: PublicStatus,
    catalogue: Catalogue,
    language: str | None = None,
) -> dict[str, Any]:
    """Return the GeoReport v2 service request object for *application*.

    The keys are those of the spec: ``service_request_id`` (the application's id),
    ``status`` (``open`` or ``closed``, as the module's table says), ``status_notes``
    (a JSON text: see the module), ``service_name``, ``service_code``, ``description``
    (always ``null``: it would be personal data), ``agency_responsible`` (the agency's
    name), ``service_notice`` (see `created_entry`), ``requested_datetime`` (receipt),
    ``updated_datetime`` (the last public step), ``expected_datetime`` (the due date,
    ``null`` while the clock is paused or once closed), and the `LOCATION_KEYS`, all
    ``null``: a mall has no incident location.

    Args:
        application: The application.
        status: Its public status, from `onestop.domain.applications.tracking.public_status`
            (or the mall's ``track``); its labels are in the language it was served in.
        catalogue: The catalogue (agency names, service outputs).
        language: The language asked for; when given it must be served as *status* was.

    Raises:
        InvalidValue: If an argument is of the wrong type, *language* is not a
            language tag or not the one *status* was served in, or *status* is not the
            status of *application*.
        InvalidCatalogue: If a text to be written holds a control character or a lone
            surrogate, or a line break outside ``service_notice``.
    """
    check_type(application, Application, field="application")
    check_type(status, PublicStatus, field="status")
    check_type(catalogue, Catalogue, field="catalogue")
    _check_match(application, status, catalogue, language)
    zone = _zone(catalogue, application.agency)
    entry: dict[str, Any] = {
        "service_request_id": application.id,
        "status": "closed" if status.closed else "open",
        "status_notes": _status_notes(application, status, zone),
        "service_name": status.service_name,
        "service_code": application.service,
        "description": None,
        "agency_responsible": _agency_name(catalogue, application.agency, status.language),
        "service_notice": _notice(catalogue, _version(catalogue, application), status.language),
        "requested_datetime": _w3c(status.received, zone),
        "updated_datetime": _w3c(_updated(status), zone),
        "expected_datetime": None if status.due is None else _w3c(status.due, zone),
    }
    entry.update(dict.fromkeys(LOCATION_KEYS))
    check_items([entry], multiline=_MULTILINE, prefix="", identifier="service_request_id")
    return entry


def created_entry(
    application_id: str, /, *, service: Service, catalogue: Catalogue, language: str | None = None
) -> dict[str, Any]:
    """Return the item of the ``POST requests.json`` answer for a new application.

    ``{"service_request_id": ..., "service_notice": ..., "account_id": null}``: the
    answer is a list of one such item.  ``service_notice`` names what the service
    issues (its outputs, in *language*), or is ``null`` when it issues nothing; it says
    what the applicant can expect, which is what the spec asks of it.  ``account_id``
    is always ``null``: a mall keeps no accounts for GeoReport clients.

    Args:
        application_id: The id of the application the mall's ``submit`` returned.
        service: The service version applied for.
        catalogue: The catalogue.
        language: The language of the notice; the catalogue's default when ``None``.

    Raises:
        InvalidValue: If an argument is of the wrong type, *application_id* is not a key
            (visible ASCII, as the mall's ids are), or *language* is not a tag.
        InvalidCatalogue: If the notice holds a control character or a lone surrogate.
    """
    KEY.check(application_id, field="application_id")
    check_type(service, Service, field="service")
    check_type(catalogue, Catalogue, field="catalogue")
    lang = _language(catalogue, language)
    entry = {
        "service_request_id": application_id,
        "service_notice": _notice(catalogue, service, lang),
        "account_id": None,
    }
    check_items([entry], multiline=_MULTILINE, prefix="", identifier="service_request_id")
    return entry


def _w3c(moment: datetime, zone: tzinfo = UTC, /) -> str:
    """Write *moment* in W3C form with its offset, in *zone*: ``2026-03-02T09:30:00+07:00``.

    Fractions of a second are dropped; an instant too near the ends of the calendar to
    be read in *zone* is written in UTC.
    """
    try:
        local = moment.astimezone(zone)
    except (OverflowError, ValueError):
        local = moment.astimezone(UTC)
    return local.isoformat(timespec="seconds")


def open311_errors(exc: BaseException, /) -> list[dict[str, Any]]:
    """Return GeoReport's error list for *exc*: ``[{"code": 400, "description": "..."}]``.

    Every entry's ``code`` is the HTTP status `open311_status` gives.  An
    `InvalidApplication` gives one entry per problem (at most `MAX_ERRORS`, then one
    saying how many more), its path named as the GeoReport form names the field
    (``answers.floor_area`` is ``attribute[floor_area]``, ``applicant.name`` is
    ``first_name``).  The descriptions are built from the errors' typed attributes and
    never quote a value the client sent; an error onestop does not know (not an
    `OnestopError`, or an unexpected one) is a 500 that says nothing more.
    """
    code = open311_status(exc)
    if isinstance(exc, InvalidApplication):
        return _problem_entries(exc, code)
    return [{"code": code, "description": _description(exc)}]


def open311_status(exc: BaseException, /) -> int:
    """Return the HTTP status to send `open311_errors` with.

    400 for anything wrong with the request, 404 for an unknown service, jurisdiction or
    service request, 409 when a conflict may pass on a retry, 413 and 415 for uploads,
    503 when the store is unavailable, 500 for anything else.
    """
    for kind, status in _STATUSES:
        if isinstance(exc, kind):
            return status
    return 500


_STATUSES: Final[tuple[tuple[type[BaseException], int], ...]] = (
    (NotFound, 404),
    (DocumentTooLarge, 413),
    (UnsupportedMediaType, 415),
    (TransientError, 503),
    (ConcurrencyConflict, 409),
    (IdempotencyConflict, 422),
    (InvalidApplication, 400),
    (ChannelNotOffered, 400),
    (CommandRefused, 400),
    (InvalidIdentityNumber, 400),
    (UnknownIdentityScheme, 400),
    (InvalidValue, 400),
    (DocumentError, 400),
)


def _description(exc: BaseException) -> str:
    if isinstance(exc, ServiceNotFound):
        return "service_code: no service with this code is offered now"
    if isinstance(exc, AgencyNotFound):
        return "jurisdiction_id: no such jurisdiction"
    if isinstance(exc, ApplicationNotFound):
        return "service_request_id: no such service request"
    if isinstance(exc, ChannelNotOffered):
        return "service_code: this service cannot be applied for online"
    if isinstance(exc, IdempotencyConflict):
        return "Idempotency-Key: used with another request; use a new key for a new request"
    if isinstance(exc, InvalidIdentityNumber):
        return f"{_PATHS['applicant.identity_number']}: not a valid number of its scheme"
    if isinstance(exc, UnknownIdentityScheme):
        return f"{_PATHS['applicant.identity_scheme']}: no such identity scheme"
    if isinstance(exc, InvalidValue):
        return one_line(f"{_open311_path(exc.field)}: {exc.reason}")
    return _GENERIC.get(open311_status(exc), "the request could not be handled")


_GENERIC: Final[Mapping[int, str]] = {
    404: "not found",
    409: "the request conflicts with another one; try again",
    413: "the upload is too large",
    415: "the upload's type is not accepted",
    503: "the service is unavailable now; try again later",
    400: "the request was refused",
}


def _problem_entries(exc: InvalidApplication, code: int) -> list[dict[str, Any]]:
    shown = exc.problems[:MAX_ERRORS]
    entries: list[dict[str, Any]] = [
        {"code": code, "description": one_line(f"{_open311_path(p.path)}: {p.message}")}
        for p in shown
    ]
    if len(exc.problems) > len(shown):
        more = len(exc.problems) - len(shown)
        entries.append({"code": code, "description": f"and {more} more problem(s)"})
    return entries or [{"code": code, "description": "the request was refused"}]


def _open311_path(path: str) -> str:
    if path in _PATHS:
        return _PATHS[path]
    if path.startswith("answers."):
        return f"attribute[{path.removeprefix('answers.')}]"
    return path


def one_line(text: str) -> str:
    """*text* as one printable line of a GeoReport error's ``description``: each character
    that is not printable (a newline, a control) a space, and at most
    `MAX_DESCRIPTION` characters, cut with ``...``.

    Raises:
        InvalidValue: If *text* is not a `str`.
    """
    check_type(text, str, field="text")
    printable = "".join(c if c.isprintable() else " " for c in text)
    if len(printable) <= MAX_DESCRIPTION:
        return printable
    return printable[: MAX_DESCRIPTION - 3] + "..."


def _check_match(
    application: Application, status: PublicStatus, catalogue: Catalogue, language: object
) -> None:
    same = (
        status.number == application.number
        and status.service == application.service
        and status.closed == application.is_closed
    )
    if not same:
        raise InvalidValue(field="status", reason="is not the status of this application")
    if language is None:
        return
    if not isinstance(language, str) or not is_language_tag(language):
        raise InvalidValue(field="language", reason=f"expected a BCP 47 tag, not {_kind(language)}")
    if served_language(catalogue, language) != status.language:
        raise InvalidValue(field="language", reason="is not the language the status was served in")


def _kind(value: object) -> str:
    return "text of another form" if isinstance(value, str) else kind_of(value)


def _language(catalogue: Catalogue, language: object) -> str:
    if language is None:
        return catalogue.default_language
    if not isinstance(language, str) or not is_language_tag(language):
        raise InvalidValue(field="language", reason=f"expected a BCP 47 tag, not {_kind(language)}")
    return served_language(catalogue, language)


def _status_notes(application: Application, status: PublicStatus, zone: tzinfo) -> str:
    notes = {
        "state": status.state,
        "label": status.label,
        "language": status.language,
        "closed": status.closed,
        "suspended": application.is_suspended,
        "paused": status.paused,
        "due": None if status.due is None else _w3c(status.due, zone),
    }
    return json.dumps(notes, ensure_ascii=False, separators=(",", ":"))


def _updated(status: PublicStatus) -> datetime:
    return max((step.at for step in status.history), default=status.received)


def _zone(catalogue: Catalogue, agency: str) -> tzinfo:
    try:
        return ZoneInfo(catalogue.agency(agency).time_zone)
    except (AgencyNotFound, ValueError, KeyError, OSError):
        return UTC


def _text(catalogue: Catalogue, text: LocalizedText, language: str) -> str:
    return text.get(language, fallbacks=catalogue.languages)


def _agency_name(catalogue: Catalogue, code: str, language: str) -> str:
    try:
        return _text(catalogue, catalogue.agency(code).name, language)
    except AgencyNotFound:
        return code


def _version(catalogue: Catalogue, application: Application) -> Service | None:
    for service in catalogue.versions(application.service):
        if service.version == application.service_version:
            return service
    return None


def _notice(catalogue: Catalogue, service: Service | None, language: str) -> str | None:
    if service is None or not service.outputs:
        return None
    return ", ".join(_text(catalogue, output.name, language) for output in service.outputs)
