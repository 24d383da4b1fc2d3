"""The Mall's command for calendar changes: `recount_deadlines`, one recorded event per move.

When a new calendar version takes effect (a joint leave day decreed in mid-year, a
new release of the ``holidays`` package), the due dates of open applications move
through **recorded events**, never by recomputing them behind the read model's back:
`recount_deadlines` appends a ``deadline_recounted`` event
(`onestop.domain.applications.events.DeadlineRecounted`) to each open application
whose due date the version in force moves, and from then on every reader counts that
application on the calendar the event records
(`onestop.domain.applications.recount`).  The event is written like any command's:
hash-chained, with the read-model row (its new due date) and its notice, in one
commit on the version the decision was made on.

The function is bound in the `onestop.usecases.mall.Mall` class body
(``recount_deadlines = _mall_calendars.recount_deadlines``): import the Mall, never
this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from onestop.domain.applications.recount import recount
from onestop.domain.common.actors import Actor
from onestop.domain.common.kinds import check_type
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.versions import CalendarVersion, in_force
from onestop.exceptions import ConcurrencyConflict, InvalidCalendar
from onestop.usecases.applications.queries import agencies_under, every_summary
from onestop.usecases.mall_support import check_batch_size

if TYPE_CHECKING:
    from onestop.usecases.mall import Mall

__all__ = ["recount_deadlines"]


def _versions(versions: object) -> tuple[CalendarVersion, ...]:
    if isinstance(versions, str | bytes) or not isinstance(versions, Sequence):
        raise InvalidCalendar(field="versions", reason="expected a sequence of CalendarVersion")
    for item in versions:
        check_type(item, CalendarVersion, field="versions[]")
    return tuple(versions)


def recount_deadlines(
    self: Mall,
    versions: Sequence[CalendarVersion],
    /,
    *,
    actor: Actor,
    agency: str | None = None,
    batch: int = 200,
) -> tuple[str, ...]:
    """Move open applications onto the calendar versions in force now; return those moved.

    For each open application (of *agency* and the agencies under it, if given), the
    version of *versions* in force today for its agency
    (`onestop.domain.time.versions.in_force`, in the agency's zone) is the target; if
    it moves the application's due date, one ``deadline_recounted`` event records the
    calendar and the due date before and after.  Closed applications, applications
    whose due date does not move, and agencies with no version in force are left as
    they are.  A due date *moves* when the version in force gives another one than
    the calendar the application counts on now, or than the worklist shows (the due
    date written at its last commit): after upgrading the ``holidays`` package, which
    can change how a calendar resolves, run it to bring every reader back to one date.

    Idempotent: a second call with the same versions moves nothing.  Each event is
    committed on the version of the stream it was decided on; an application another
    command changed meanwhile is read again and decided anew (up to the mall's
    ``retries``), so a concurrent command is never overwritten.

    Args:
        versions: Every published calendar version (of every scope).
        actor: Who recounts; their id is recorded on each event.
        agency: Only this agency and those under it; ``None`` for all.
        batch: How many read-model rows to read at a time.

    Raises:
        InvalidCalendar: If *versions* is not a sequence of `CalendarVersion` values.
        InvalidValue: If *actor* is not an `Actor`, or *batch* out of range.
        AgencyNotFound: If the catalogue has no such agency.
        ConcurrencyConflict: If an application kept changing through every retry.
    """
    published = _versions(versions)
    check_type(actor, Actor, field="actor")
    batch = check_batch_size(batch)
    rows = every_summary(
        self.store,
        agencies=agencies_under(self.catalogue, agency),
        include_closed=False,
        page_size=batch,
    )
    shown = {row.stream_id: row.due for row in rows}  # read whole before any write
    moved = [
        stream_id
        for stream_id, due in shown.items()
        if published and _move(self, published, stream_id, actor, due)
    ]
    return tuple(moved)


def _target(
    self: Mall, published: tuple[CalendarVersion, ...], code: str, configured: WorkCalendar
) -> tuple[CalendarVersion, WorkCalendar] | None:
    found = self.catalogue.agency(code)
    now = self.clock.now()
    day = now.astimezone(configured.zone).date()
    version = in_force(published, self.catalogue.lineage(code), day)
    if version is None:
        return None
    calendar = version.calendar
    if calendar.time_zone != found.time_zone:
        calendar = attrs.evolve(calendar, time_zone=found.time_zone)
    return version, calendar


def _move(
    self: Mall,
    published: tuple[CalendarVersion, ...],
    stream_id: str,
    actor: Actor,
    shown: datetime | None,
) -> bool:
    for attempt in range(max(self.retries, 1)):
        now = self.clock.now()
        application, last = self._streams.load(self.store, stream_id)
        configured = self._configured(application)
        target = _target(self, published, application.agency, configured)
        if target is None:
            return False
        version, calendar = target
        event = recount(
            application,
            calendar,
            configured=configured,
            scope=version.scope,
            version=version.version,
            actor=actor.id,
            at=now,
            shown=shown if attempt == 0 else None,
        )
        if event is None:
            return False
        try:
            self._write(application, (event,), now=now, previous_hash=last)
        except ConcurrencyConflict:
            if attempt + 1 == max(self.retries, 1):
                raise
            continue
        return True
    return False  # pragma: no cover - the loop returns or raises
