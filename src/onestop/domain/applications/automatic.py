"""Automatic transitions on applications: timers, breaches and other agencies' events.

A workflow may move an application without a person acting: a *timer* transition
fires once a given working time has passed in a state (a deemed decision after ten
working days), a *breach* transition once the state's own time limit has passed (an
escalation), and an *event* transition when another agency reports something
(``agency.approved``).  These functions decide, purely, which transition is due and
return the `ActionTaken` event to record, with the ``system`` actor; the caller
(`onestop.usecases.mall.Mall.fire_timers` and `onestop.usecases.mall.Mall.notify_event`) writes it.

The working time spent in a state is counted on the agency's calendar from the moment
the application entered the state, so the same history, calendar and instant always
fire the same transition: the earliest threshold first, then declaration order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from onestop.domain.applications.application import ActionTaken, Application
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_type
from onestop.domain.time.calendar import WorkCalendar, require_aware
from onestop.domain.workflow.engine import DEFAULT_GUARDS, due_timers, fire_automatic, on_event
from onestop.domain.workflow.guards import GuardRegistry
from onestop.domain.workflow.model import Workflow
from onestop.domain.workflow.steps import Step
from onestop.exceptions import CommandRefused, TransitionNotAllowed

__all__ = ["due_timer_events", "event_events", "working_hours_in_state"]

_HOUR = timedelta(hours=1)


def working_hours_in_state(
    application: Application, calendar: WorkCalendar, at: datetime, /
) -> int:
    """Return the whole working hours *application* has spent in its current state at *at*.

    Raises:
        InvalidValue: If *application* is not an `Application`, or *calendar* not a
            `WorkCalendar`.
    """
    require_aware(at, "at")
    check_type(application, Application, field="application")
    check_type(calendar, WorkCalendar, field="calendar")
    spent = calendar.working_time_between(application.state_since, at)
    return max(int(spent / _HOUR), 0)


def _recorded(step: Step, workflow: Workflow, at: datetime) -> ActionTaken:
    return ActionTaken(
        action=step.action,
        source=step.source,
        target=step.target,
        clock=workflow.state(step.target).clock_mode,
        effects=step.effects,
        trigger=step.trigger,
        actor=step.actor,
        role=step.role,
        at=at,
    )


def due_timer_events(
    application: Application,
    /,
    *,
    workflow: Workflow,
    calendar: WorkCalendar,
    at: datetime,
    guards: GuardRegistry = DEFAULT_GUARDS,
) -> tuple[ActionTaken, ...]:
    """Return the event of the timer or breach transition due at *at*, or nothing.

    Nothing fires on a closed or suspended application.  When several transitions are
    due, the one with the earliest threshold fires (then the first declared); a due
    transition whose guard refuses is skipped in favour of the next one.

    Raises:
        NaiveDatetime: If *at* has no time zone (`InvalidCalendar` if not a datetime).
        InvalidValue: If *application*, *workflow* or *calendar* is not of its type.
    """
    require_aware(at, "at")
    check_type(application, Application, field="application")
    check_type(workflow, Workflow, field="workflow")
    if application.is_closed or application.is_suspended:
        return ()
    hours = working_hours_in_state(application, calendar, at)
    due = due_timers(
        workflow, application.state, elapsed=hours, hours_per_day=_hours_per_day(calendar)
    )
    facts = application.facts()
    for transition in due:
        try:
            step = fire_automatic(
                workflow, application.state, transition, facts=facts, guards=guards
            )
        except TransitionNotAllowed:
            continue
        return (_recorded(step, workflow, at),)
    return ()


def event_events(
    application: Application,
    event: str,
    /,
    *,
    workflow: Workflow,
    at: datetime,
    guards: GuardRegistry = DEFAULT_GUARDS,
) -> tuple[ActionTaken, ...]:
    """Return the event of the transition that *event* fires in the current state.

    Raises:
        CommandRefused: If the application is closed or suspended.
        TransitionNotAllowed: If no transition of the current state listens for *event*,
            or its guard refuses (`onestop.exceptions.GuardFailed`).
        InvalidValue: If *application* is not an `Application`, or *workflow* not a
            `Workflow`.
    """
    require_aware(at, "at")
    check_type(application, Application, field="application")
    check_type(workflow, Workflow, field="workflow")
    if application.is_closed or application.is_suspended:
        situation = "closed" if application.is_closed else "suspended"
        raise CommandRefused(command="notify_event", reason=f"the application is {situation}")
    given: object = event
    transition = on_event(workflow, application.state, event) if isinstance(given, str) else None
    if transition is None:
        shown = event if isinstance(given, str) and len(event) <= 64 else preview(given)
        raise TransitionNotAllowed(
            workflow=workflow.code,
            state=application.state,
            action=f"on {shown}",
            reason="no transition of this state listens for that event",
        )
    step = fire_automatic(
        workflow, application.state, transition, facts=application.facts(), guards=guards
    )
    return (_recorded(step, workflow, at),)


def _hours_per_day(calendar: WorkCalendar) -> int:
    return max(round(calendar.hours_per_day), 1)
