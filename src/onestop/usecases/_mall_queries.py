"""The read side of the `Mall` (`onestop.usecases.mall`): applications, tracking, reports.

The Mall's commands (`onestop.usecases.mall`) decide and write; these queries only read the
store, the catalogue and the clock.  Each function here is one of the Mall's methods,
bound in the `onestop.usecases.mall.Mall` class body (``track = _mall_queries.track``), so
that ``mall.track(...)`` is the whole of the public API: import `onestop.usecases.mall.Mall`,
never this module.  The query builders they hand to the store are
`onestop.usecases.applications.queries`'.
"""

from __future__ import annotations

import hmac
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.applications.commands import find_workflow
from onestop.domain.applications.tracking import PublicStatus, SlaReportRow, public_status
from onestop.domain.common.audit import GENESIS, ChainReport
from onestop.domain.common.formats import preview
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import Deadline, SlaStatus
from onestop.domain.time.versions import in_force
from onestop.exceptions import ApplicationNotFound, ConfigurationError, OnestopError
from onestop.ports.events import Page
from onestop.usecases.applications.codec import secret_digest
from onestop.usecases.applications.queries import changes_query, report, worklist_query
from onestop.usecases.applications.writer import verify_stream
from onestop.usecases.catalogue.built_in import shipped_texts
from onestop.usecases.mall_support import NO_CALENDARS, check_application_id, check_instant

if TYPE_CHECKING:
    from onestop.usecases.mall import Mall

__all__ = [
    "application",
    "calendar",
    "changed",
    "deadline",
    "overdue",
    "sla_report",
    "track",
    "verify",
    "worklist",
]


# --- reading ---------------------------------------------------------------------------


def application(self: Mall, application_id: str, /) -> Application:
    """Return the application's current state, folded from its stored events.

    Raises:
        ApplicationNotFound: If there is no such application.
        InvalidApplication: If *application_id* is not an id (a `KEY`).
        StorageError: If a stored event does not decode.
    """
    return self._streams.load(self.store, check_application_id(application_id))[0]


def calendar(self: Mall, agency: str, /, *, at: datetime | None = None) -> WorkCalendar:
    """Return the work calendar of *agency* at *at* (default: now), in the agency's zone.

    With ``calendar_versions``, the version in force on *at*'s day for the agency
    (`onestop.domain.time.versions.in_force`: its own, else its parent's, ..., else
    the mall's); else ``calendars[agency]``, its parent's, ..., ``calendars["*"]``.

    Raises:
        AgencyNotFound: If the catalogue has no such agency.
        ConfigurationError: If ``calendar_versions`` has none in force for the agency
            on that day (the first ``effective_from`` is later), or the Mall was given
            no calendar at all for a catalogue that declares ``[[calendars]]``.
        NaiveDatetime: If *at* has no time zone.
    """
    found = self.catalogue.agency(agency)
    lineage = self.catalogue.lineage(found.code)
    given = (self.calendars.get(code) for code in (*lineage, "*"))
    source = next((calendar for calendar in given if calendar is not None), None)
    if not self.calendar_versions and not self.calendars and self.catalogue.calendars:
        raise ConfigurationError(f"Mall.calendar_versions {NO_CALENDARS}")
    if self.calendar_versions:
        when = self.clock.now() if at is None else check_instant(at, argument="at")
        day = when.astimezone(ZoneInfo(found.time_zone)).date()
        version = in_force(self.calendar_versions, lineage, day)
        if version is None:
            raise ConfigurationError(
                "no calendar of Mall.calendar_versions is in force for agency "
                f"{preview(found.code)} "
                f"on {day.isoformat()}: declare one effective from that day or before"
            )
        source = version.calendar
    key = (found.code, found.time_zone, id(source))
    kept = self._zoned.get(key)
    if kept is not None and kept[0] is source:
        return kept[1]
    if source is None:
        made = WorkCalendar(time_zone=found.time_zone, name=found.code)
    elif source.time_zone != found.time_zone:
        made = attrs.evolve(source, time_zone=found.time_zone)
    else:
        made = source
    self._zoned[key] = (source, made)
    return made


def configured(self: Mall, application: Application, /) -> WorkCalendar:
    """The calendar configured for *application*: its agency's, in force on the day it was
    received (so that a version that takes effect later moves it only by a recount).

    An application received before the first of ``calendar_versions`` took effect (one
    stored before the calendars were declared) counts on the first version in force for
    its agency, so that it can still be read, reported on and recounted.
    """
    try:
        return self.calendar(application.agency, at=application.received)
    except ConfigurationError:
        zone = ZoneInfo(self.catalogue.agency(application.agency).time_zone)
        received = application.received.astimezone(zone).date()
        for day in sorted({v.effective_from for v in self.calendar_versions}):
            if day > received:
                try:
                    return self.calendar(
                        application.agency, at=datetime.combine(day, time(12), tzinfo=zone)
                    )
                except ConfigurationError:
                    continue
        raise


def _counting(self: Mall, application: Application) -> WorkCalendar:
    """The calendar *application* counts on: its recorded one, else `configured`."""
    return application.counting_calendar(configured(self, application))


def deadline(self: Mall, application_id: str, /) -> Deadline:
    """Return the application's deadline, with its trace.

    It is counted on the calendar the application counts on: the one its last
    ``deadline_recounted`` event recorded, else its agency's (`calendar`).
    """
    application = self.application(application_id)
    return self._deadlines(application, _counting(self, application))


def track(self: Mall, number: str, secret: str, /, *, language: str) -> PublicStatus:
    """Return the public status of application *number*, in *language*.

    A *language* the catalogue does not declare is served in the catalogue's default
    language (`PublicStatus.language` says which); onestop's own texts (history labels,
    rejection reasons) come from the catalogue's ``[[messages]]``, then the shipped ones.

    Raises:
        ApplicationNotFound: If no application has this number, or the secret does
            not match; both give the same error, so existence is not revealed.
    """
    given: tuple[object, object] = (number, secret)
    valid = isinstance(given[0], str) and isinstance(given[1], str)
    summary = self.store.find_number(number) if valid else None
    offered = secret_digest(secret) if valid else GENESIS
    if summary is None:
        hmac.compare_digest(offered, GENESIS)
        raise ApplicationNotFound(None)
    # A status made at the version the row names is current (`PublicStatuses`).
    known = self._statuses.get(summary.stream_id, summary.version, language)
    if known is not None:
        if not hmac.compare_digest(offered, known[0]):
            raise ApplicationNotFound(None)
        return known[1]
    # The row just read says the stream's version: a kept application at it is current.
    kept = self._streams.kept(summary.stream_id, summary.version)
    application = kept if kept is not None else self.application(summary.stream_id)
    if not hmac.compare_digest(offered, application.secret_digest):
        raise ApplicationNotFound(None)
    status = status_of(self, application, language)
    self._statuses.put(application, language, status)
    return status


def status_of(self: Mall, application: Application, language: str) -> PublicStatus:
    """The public status of *application* (folded, at its version) in *language*."""
    workflow = find_workflow(self.catalogue, application.workflow, application.workflow_version)
    return public_status(
        application,
        catalogue=self.catalogue,
        workflow=workflow,
        # No trace: the status shows none, and the writer memoised this very deadline.
        deadline=self._deadlines(application, _counting(self, application), explain=False),
        language=language,
        shipped=shipped_texts(),
    )


def carry_statuses(self: Mall, application: Application) -> None:
    """Make again, at *application*'s new version, the statuses kept of an earlier one.

    The writer has the application folded in hand; a lookup after the write would fold
    it again from the store if it left the cache meanwhile.  Should a status fail to
    make, the kept ones are dropped and the next lookup makes it (and raises) itself.
    """
    try:
        for language in self._statuses.languages(application.id):
            self._statuses.put(application, language, status_of(self, application, language))
    except OnestopError:
        self._statuses.forget(application.id)


def verify(self: Mall, application_id: str, /) -> ChainReport:
    """Check the application's hash chain; the report names the first bad entry.

    Raises:
        ApplicationNotFound: If there is no such application.
        InvalidApplication: If *application_id* is not an id (a `KEY`).
    """
    return verify_stream(self.store, check_application_id(application_id))


# --- worklists and reports -----------------------------------------------------------


def worklist(
    self: Mall,
    *,
    agency: str | None = None,
    role: str | None = None,
    state: str | None = None,
    assignee: str | None = None,
    sla: SlaStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Open applications, earliest due first, filtered by what is given.

    Args:
        agency: An agency code; its sub-agencies are included.
        role: Only services and states in which this role can act.
        state: Only applications in this state.
        assignee: Only those assigned to this officer.
        sla: Only those with this SLA status now.
        limit: At most this many rows.
        cursor: The `Page.next_cursor` of the previous page.
    """
    query = worklist_query(
        self.catalogue,
        now=self.clock.now(),
        agency=agency,
        role=role,
        state=state,
        assignee=assignee,
        sla=sla,
        limit=limit,
        cursor=cursor,
    )
    return self.store.summaries(query)


def overdue(
    self: Mall, *, agency: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page:
    """Open applications past their due date now, most overdue first."""
    return self.worklist(agency=agency, sla=SlaStatus.OVERDUE, limit=limit, cursor=cursor)


def changed(
    self: Mall,
    since: datetime,
    /,
    *,
    agency: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> Page:
    """Applications (open or closed) updated after *since*, least recently updated first.

    For systems that mirror the read model by polling.

    Raises:
        NaiveDatetime: If *since* is not a timezone-aware datetime.
        InvalidValue: If *since* lies outside the years 1 to 9999 in UTC.
        InvalidStoreInput: If *limit* or *cursor* is malformed.
        AgencyNotFound: If the catalogue has no such agency.
    """
    since = check_instant(since, argument="since")
    query = changes_query(self.catalogue, since, agency=agency, limit=limit, cursor=cursor)
    return self.store.summaries(query)


def sla_report(
    self: Mall, *, agency: str | None = None, now: datetime | None = None, subtree: bool = True
) -> tuple[SlaReportRow, ...]:
    """Count, per agency and service, applications on time, late, open and overdue.

    Each application is judged from its own history on its agency's calendar, at
    *now* (the clock's time when ``None``); paused working time is summed too.  With
    *agency*, its sub-agencies' applications are counted too, unless *subtree* is false
    (then only the agency's own are read: a caller holding that agency alone).

    Raises:
        AgencyNotFound: If the catalogue has no such agency.
        InvalidValue: If *subtree* is not a `bool`.
    """
    return report(
        self.store,
        self.catalogue,
        now=self.clock.now() if now is None else check_instant(now, argument="now"),
        load=self.application,
        calendar=self._configured,
        agency=agency,
        subtree=subtree,
    )
