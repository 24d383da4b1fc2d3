"""Moving due dates when the calendar changes: recorded, never recomputed behind anyone's back.

A government changes its calendar in the middle of a year (a joint leave day decreed
in June, a regional holiday moved, a new ``holidays`` release), and the deadlines of
open applications move with it.  If every reader simply counted on the calendar
configured *now*, the officer's worklist (whose due dates were written when each
application last changed) and the citizen's tracking page (counted afresh) would
disagree until each application happened to change again; and an SLA report would
quietly re-judge applications closed long ago.

So a deadline is counted on **the calendar the stream records**: an application
counts on its agency's configured calendar until a `DeadlineRecounted` event records
another one, and from then on on the recorded calendar, whatever is configured
(`onestop.domain.applications.application.Application.counting_calendar`).  Every
reader (the read model's due column written with each commit, tracking, the deadline
trace, the SLA report, the timers) asks that one method, so they all agree.

`recount` decides whether a new calendar moves an application's due date, and gives
the event that records the move: the calendar version (scope and number), the whole
calendar counted on from then on (`trimmed` of what never counts again), and the due
date before and after.  Nothing is recorded for a closed application (its verdict,
on time or late, is history) or when the due date does not move.  While the clock is
paused the due date is not known; it is compared as the one the application would
have if it were resumed at the recount (`projected_due`).

The event carries no personal data: codes, a version number, a calendar and instants.

>>> from datetime import UTC, date, datetime
>>> from onestop.domain.time.calendar import WorkCalendar
>>> calendar = WorkCalendar(time_zone="Asia/Jakarta", holidays=[date(2020, 1, 1), date(2025, 6, 2)])
>>> sorted(trimmed(calendar, datetime(2025, 5, 1, tzinfo=UTC)).holidays)
[datetime.date(2025, 6, 2)]
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs

from onestop.domain.applications.application import Application, DeadlineRecounted
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import due_date
from onestop.exceptions import DateOutOfRange

__all__ = ["projected_due", "recount", "trimmed"]

_MARGIN = timedelta(days=1)
_EARLIEST = datetime.min.replace(tzinfo=UTC) + _MARGIN


def trimmed(calendar: WorkCalendar, received: datetime, /) -> WorkCalendar:
    """*calendar* without the holidays and closures that end before the day of *received*.

    A deadline is counted from receipt onwards, so they never count for an
    application received at *received*; a recorded calendar leaves them out, so that
    a calendar declared for decades does not grow every event that records it.  (A
    day of margin is kept before the day of receipt.)

    Raises:
        InvalidValue: If *calendar* is not a `WorkCalendar` or *received* not an
            instant (`NaiveDatetime` if naive).
    """
    check_type(calendar, WorkCalendar, field="calendar")
    check_instant(received, field="received")
    try:
        day = received.astimezone(calendar.zone).date()
    except OverflowError:  # the last hours of 9999 in a zone east of UTC
        day = received.astimezone(UTC).date()
    first = day - _MARGIN if day > date.min else day
    since = received - _MARGIN if received.astimezone(UTC) > _EARLIEST else received
    holidays = frozenset(day for day in calendar.holidays if day >= first)
    closures = tuple(c for c in calendar.closures if c.end >= since)
    if holidays == calendar.holidays and closures == calendar.closures:
        return calendar
    return attrs.evolve(calendar, holidays=holidays, closures=closures)


def projected_due(application: Application, calendar: WorkCalendar, at: datetime, /) -> datetime:
    """The due date of *application* on *calendar*, as if a pause open at *at* ended then.

    While the clock runs (or once it stopped for good) this is simply the deadline's
    due date; while a pause holds it, the due date it would have if resumed at *at*.

    Raises:
        InvalidValue: If an argument is of the wrong type, or *at* not an instant.
        DateOutOfRange: If that due date lies beyond the year 9999.
    """
    check_type(application, Application, field="application")
    check_type(calendar, WorkCalendar, field="calendar")
    check_instant(at, field="at")
    pauses = tuple(
        p if p.end is not None else attrs.evolve(p, end=max(at, p.start))
        for p in application.pauses()
    )
    deadline = due_date(
        calendar,
        received=application.received,
        limit=application.time_limit,
        pauses=pauses,
        explain=False,
    )
    assert deadline.due is not None  # noqa: S101 - every pause has ended
    return deadline.due


def recount(
    application: Application,
    target: WorkCalendar,
    /,
    *,
    configured: WorkCalendar,
    scope: str,
    version: int,
    actor: str,
    at: datetime,
    role: str | None = None,
    shown: datetime | None = None,
) -> DeadlineRecounted | None:
    """The event that moves *application* onto calendar *target*, or ``None`` if none is due.

    Args:
        application: The application, as stored.
        target: The calendar of the version now in force for its agency, in the
            agency's zone.
        configured: Its agency's configured calendar, which it counts on if its
            stream records none (`Application.counting_calendar`).
        scope: The scope of *target*'s version (``"*"`` or an agency code).
        version: The number of *target*'s version.
        actor: The id of who recounts (an operator, or a system id).
        at: The instant of the recount.
        role: The role they act in, if any.
        shown: The due date the read model shows for it (written at its last commit),
            if known.  When it differs from the due date on *target*, the move is
            recorded even if the calendar counted on now gives the same date: that is
            how a new release of the ``holidays`` package, which changes how the
            configured calendar resolves, is brought back to one due date.

    ``None`` when the application is closed, or its due date (`projected_due` at *at*)
    is the same on *target* as on the calendar it counts on now (and as *shown*).

    Raises:
        InvalidValue: If an argument is of the wrong type (as the event's fields say).
        DateOutOfRange: If a due date lies beyond the year 9999, or *shown* cannot be
            told in the agency's time zone.
    """
    check_type(application, Application, field="application")
    check_type(target, WorkCalendar, field="target")
    current = application.counting_calendar(
        check_type(configured, WorkCalendar, field="configured")
    )
    if shown is not None:
        check_instant(shown, field="shown")
    if application.is_closed:
        return None
    before = projected_due(application, current, at)
    after = projected_due(application, target, at)
    if shown is not None and shown != after:
        try:
            before = shown.astimezone(after.tzinfo)  # stores read instants back in UTC
        except OverflowError:  # at an end of the years 1 to 9999, told in another zone
            reason = "lies outside the years 1 to 9999 in the agency's time zone"
            raise DateOutOfRange(field="shown", reason=reason) from None
    if before == after:
        return None
    return DeadlineRecounted(
        scope=scope,
        version=version,
        calendar=trimmed(target, application.received),
        due_before=before,
        due_after=after,
        actor=actor,
        role=role,
        at=at,
    )
