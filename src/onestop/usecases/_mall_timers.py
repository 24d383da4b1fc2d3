"""The Mall's automatic transitions: `notify_event` (another agency's event) and
`fire_timers` (timers and breaches that are due).

The functions are bound in the `onestop.usecases.mall.Mall` class body
(``fire_timers = _mall_timers.fire_timers``): import the Mall, never this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestop.domain.applications.application import Application
from onestop.domain.applications.automatic import due_timer_events, event_events
from onestop.domain.applications.commands import find_workflow
from onestop.exceptions import ConcurrencyConflict
from onestop.ports.events import SummaryOrder, SummaryQuery
from onestop.usecases.applications.queries import agencies_under
from onestop.usecases.mall_support import check_batch_size

if TYPE_CHECKING:
    from onestop.usecases.mall import Mall

__all__ = ["fire_timers", "notify_event"]


def notify_event(self: Mall, application_id: str, event: str, /) -> Application:
    """Fire the transition that another agency's *event* triggers in the current state.

    Raises:
        ApplicationNotFound: If there is no such application.
        TransitionNotAllowed: If no transition of the current state listens for it.
        CommandRefused: If the application is closed or suspended.
    """
    now = self.clock.now()
    application = self.application(application_id)
    workflow = find_workflow(self.catalogue, application.workflow, application.workflow_version)
    events = event_events(application, event, workflow=workflow, at=now, guards=self.guards)
    return self._write(application, events, now=now)


def fire_timers(self: Mall, *, agency: str | None = None, batch: int = 200) -> tuple[str, ...]:
    """Fire every timer and breach transition due now; return the applications moved.

    Deterministic for a given clock: each open application is judged on its agency's
    calendar from the moment it entered its state.  An application another command
    changed at the same time is left for the next call.
    """
    batch = check_batch_size(batch)
    moved: list[str] = []
    cursor: str | None = None
    now = self.clock.now()
    while True:
        query = SummaryQuery(
            agencies=agencies_under(self.catalogue, agency),
            order=SummaryOrder.UPDATED,
            limit=batch,
            cursor=cursor,
        )
        page = self.store.summaries(query)
        for row in page.items:
            application = self.application(row.stream_id)
            workflow = find_workflow(
                self.catalogue, application.workflow, application.workflow_version
            )
            calendar = self._counting(application)
            events = due_timer_events(
                application, workflow=workflow, calendar=calendar, at=now, guards=self.guards
            )
            if events:
                try:
                    self._write(application, events, now=now)
                except ConcurrencyConflict:
                    continue
                moved.append(row.stream_id)
        if page.next_cursor is None:
            return tuple(moved)
        cursor = page.next_cursor
