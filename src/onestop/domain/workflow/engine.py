"""Fire workflow transitions: a state and a command in, a `Step` (or a typed refusal) out.

There is no machine object per application.  One `Workflow` value, which pre-indexes
its transitions by ``(state, action)`` when built, serves every application; an
application only keeps the name of its state (and the workflow version it is pinned to).

`fire` takes a person's action.  Its checks run in this order, and the first that fails
raises a subclass of `TransitionNotAllowed` whose ``allowed`` lists the actions the same
actor could take now:

1. the action exists and leaves the current state (`TransitionNotAllowed`);
2. it is taken by a person, not by a timer or an event (`TransitionNotAllowed`);
3. the actor holds one of its roles in the application's agency (`RoleNotAllowed`):
   a role held mall-wide, or granted for that agency (`onestop.domain.common.actors.Grant`);
   when no agency is given, only mall-wide roles count;
4. the actor did not take an action paired with it in a separation-of-duties rule on
   the same application (`SeparationOfDutiesViolation`);
5. every required input is given and not empty (`MissingInput`);
6. every guard passes, in the order listed (`GuardFailed`; `UnknownGuard` if a guard
   is not registered).

Timers, breached time limits and events from other agencies fire automatic
transitions: `due_timer` and `on_event` choose one deterministically, and
`fire_automatic` fires it as the ``system`` actor.

>>> from onestop.domain.workflow.model import State, StateKind, Transition, Workflow
>>> wf = Workflow(
...     code="licence",
...     roles=("verifier",),
...     states=(
...         State(name="submitted", kind=StateKind.INITIAL),
...         State(name="issued", kind=StateKind.SUCCESS),
...     ),
...     transitions=(
...         Transition(
...             action="issue", sources=("submitted",), target="issued",
...             roles=("verifier",), effects=("notify_applicant",),
...         ),
...     ),
... )
>>> step = fire(wf, "submitted", "issue", actor=Actor(id="officer-7", roles={"verifier"}))
>>> step.target, step.role, [type(e).__name__ for e in step.events]
('issued', 'verifier', ['StateChanged', 'EffectRequested'])

A role granted for one agency counts on that agency's applications only:

>>> clerk = Actor(id="officer-8", grants={Grant("verifier", agency="dpmptsp")})
>>> fire(wf, "submitted", "issue", actor=clerk, agency="dpmptsp").target
'issued'
>>> try:
...     fire(wf, "submitted", "issue", actor=clerk, agency="dukcapil")
... except RoleNotAllowed as refused:
...     print(refused.agency, "-", refused.reason)
dukcapil - it needs one of the roles verifier in agency 'dukcapil'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from onestop.domain.common.actors import SYSTEM, Actor, Grant
from onestop.domain.common.formats import CATALOGUE_CODE, INT64_MAX, check_int, kind_of, preview
from onestop.domain.common.kinds import check_type
from onestop.domain.common.values import Duration
from onestop.domain.workflow.guards import NO_FACTS, Facts, GuardRegistry, default_guards
from onestop.domain.workflow.model import Transition, Trigger, Workflow
from onestop.domain.workflow.steps import Step
from onestop.exceptions import (
    GuardFailed,
    InvalidValue,
    MissingInput,
    RoleNotAllowed,
    SeparationOfDutiesViolation,
    TransitionNotAllowed,
)

__all__ = [
    "Actor",
    "allowed_actions",
    "DEFAULT_GUARDS",
    "due_timer",
    "due_timers",
    "fire",
    "fire_automatic",
    "Grant",
    "on_event",
    "SYSTEM",
]

DEFAULT_GUARDS = default_guards()
"""The built-in guards, used when no registry is passed.

:meta hide-value:
"""

_NO_INPUTS: Mapping[str, object] = MappingProxyType({})
_MANUAL = Trigger.MANUAL
_MAPPINGS = (dict, MappingProxyType, Mapping)  # the common ones first: a fast exact check


def fire(
    workflow: Workflow,
    state: str,
    action: str,
    /,
    *,
    actor: Actor,
    agency: str | None = None,
    inputs: Mapping[str, object] = _NO_INPUTS,
    facts: Facts = NO_FACTS,
    guards: GuardRegistry = DEFAULT_GUARDS,
) -> Step:
    """Take *action* in *state* as *actor*, and return the resulting `Step`.

    Args:
        workflow: The workflow version the application is pinned to.
        state: The application's current state.
        action: The action to take.
        actor: Who takes it, with their roles.
        agency: The code of the agency the application belongs to; roles granted for
            another agency do not count, and with ``None`` only mall-wide roles do.
        inputs: The inputs given with the action (``reason``, ``verdict``).
        facts: What guards and separation-of-duties checks may know of the application.
        guards: Where guard names are looked up.

    Raises:
        TransitionNotAllowed: If the action is unknown, automatic, or does not leave
            *state* (which includes every final state).
        RoleNotAllowed: If *actor* holds none of the action's roles in *agency*; its
            ``agency`` says which agency they were needed in.
        SeparationOfDutiesViolation: If *actor* took a paired action on this application.
        MissingInput: If a required input is missing or empty.
        GuardFailed: If a guard refuses; its reason says why.
        UnknownGuard: If a guard named by the transition is not registered.
        InvalidValue: If *workflow*, *actor*, *inputs* or *facts* is not of its type, or *agency*
            neither ``None`` nor an agency code.
    """
    if (
        type(actor) is not Actor
        or type(facts) is not Facts
        or (agency is not None and not CATALOGUE_CODE.matches(agency))
        or (inputs is not _NO_INPUTS and not isinstance(inputs, _MAPPINGS))
    ):
        _check_arguments(actor, inputs, facts, agency)
    check_type(workflow, Workflow, field="workflow")
    move = workflow.move(state, action)
    if move is None or move.transition.trigger is not _MANUAL:
        transition = None if move is None else move.transition
        raise _refusal(workflow, state, action, actor, agency, facts, guards, transition)
    transition = move.transition
    role = None
    # the usual cases without a method call: fire is the hot path (benchmarks/bench_workflow.py)
    held = actor.roles if agency is None or not actor.grants else actor.roles_in(agency)
    for candidate in transition.roles:
        if candidate in held:
            role = candidate
            break
    if role is None:
        raise RoleNotAllowed(
            workflow=workflow.code,
            state=state,
            action=action,
            reason=f"it needs one of the roles {', '.join(transition.roles)}{_in(agency)}",
            allowed=allowed_actions(workflow, state, actor, facts, agency=agency, guards=guards),
            agency=agency,
        )
    if facts.history or transition.inputs or transition.guards:
        _check_conditions(workflow, state, transition, actor, agency, inputs, facts, guards)
    return Step(move, actor.id, role, MappingProxyType(dict(inputs)) if inputs else _NO_INPUTS)


def _in(agency: str | None) -> str:
    return " held mall-wide" if agency is None else f" in agency {preview(agency)}"


def _check_arguments(actor: object, inputs: object, facts: object, agency: object) -> None:
    for name, value, kind in (("actor", actor, Actor), ("inputs", inputs, Mapping)):
        if not isinstance(value, kind):
            raise InvalidValue(field=name, reason=f"expected {kind.__name__}, not {kind_of(value)}")
    if not isinstance(facts, Facts):
        raise InvalidValue(field="facts", reason=f"expected Facts, not {kind_of(facts)}")
    if agency is not None:
        CATALOGUE_CODE.check(agency, field="agency")


def allowed_actions(
    workflow: Workflow,
    state: str,
    actor: Actor,
    facts: Facts = NO_FACTS,
    /,
    *,
    agency: str | None = None,
    guards: GuardRegistry = DEFAULT_GUARDS,
) -> tuple[str, ...]:
    """Return the actions *actor* may take in *state* now, in declaration order.

    An action is listed when it is manual, the actor holds one of its roles in
    *agency* (mall-wide, or granted for *agency*; with ``None``, mall-wide only), no
    separation-of-duties rule forbids it, and all its guards pass.  Required inputs are
    not considered: they come with the action.

    Raises:
        UnknownGuard: If a guard named by a candidate transition is not registered.
        InvalidValue: If *workflow*, *actor* or *facts* is not of its type, or *agency* neither
            ``None`` nor an agency code.
    """
    if (
        type(actor) is not Actor
        or type(facts) is not Facts
        or (agency is not None and not CATALOGUE_CODE.matches(agency))
    ):
        _check_arguments(actor, _NO_INPUTS, facts, agency)
    check_type(workflow, Workflow, field="workflow")
    held = actor.roles_in(agency)
    allowed: list[str] = []
    for transition in workflow.manual_transitions(state):
        if held.isdisjoint(transition.roles):
            continue
        if facts.history and _duty_conflict(workflow, transition.action, actor.id, facts):
            continue
        if all(guards.evaluate(ref, facts).ok for ref in transition.guards):
            allowed.append(transition.action)
    return tuple(allowed)


def _check_conditions(
    workflow: Workflow,
    state: str,
    transition: Transition,
    actor: Actor,
    agency: str | None,
    inputs: Mapping[str, object],
    facts: Facts,
    guards: GuardRegistry,
) -> None:
    action = transition.action
    if facts.history:
        earlier = _duty_conflict(workflow, action, actor.id, facts)
        if earlier is not None:
            raise SeparationOfDutiesViolation(
                workflow=workflow.code,
                state=state,
                action=action,
                actor=actor.id,
                earlier_action=earlier,
                allowed=allowed_actions(
                    workflow, state, actor, facts, agency=agency, guards=guards
                ),
            )
    missing = [name for name in transition.inputs if _is_empty(inputs.get(name))]
    if missing:
        raise MissingInput(
            workflow=workflow.code,
            state=state,
            action=action,
            missing=missing,
            allowed=allowed_actions(workflow, state, actor, facts, agency=agency, guards=guards),
        )
    _check_guards(workflow, state, transition, actor, agency, facts, guards)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _duty_conflict(workflow: Workflow, action: str, actor_id: str, facts: Facts) -> str | None:
    partners = workflow.duty_partners(action)
    if not partners:
        return None
    for earlier, who in facts.history:
        if who == actor_id and earlier in partners:
            return earlier
    return None


def _check_guards(
    workflow: Workflow,
    state: str,
    transition: Transition,
    actor: Actor,
    agency: str | None,
    facts: Facts,
    guards: GuardRegistry,
) -> None:
    for reference in transition.guards:
        result = guards.evaluate(reference, facts)
        if not result.ok:
            raise GuardFailed(
                workflow=workflow.code,
                state=state,
                action=transition.action,
                guard=reference,
                reason=result.reason or "no reason given",
                allowed=allowed_actions(
                    workflow, state, actor, facts, agency=agency, guards=guards
                ),
            )


def _refusal(
    workflow: Workflow,
    state: str,
    action: str,
    actor: Actor,
    agency: str | None,
    facts: Facts,
    guards: GuardRegistry,
    transition: Transition | None,
) -> TransitionNotAllowed:
    allowed: tuple[str, ...] = ()
    if not workflow.has_state(state):
        reason = "the workflow has no such state"
    else:
        allowed = allowed_actions(workflow, state, actor, facts, agency=agency, guards=guards)
        if workflow.state(state).is_final:
            reason = "the state is final; nothing more can happen"
        elif not _is_text(action) or action not in workflow.actions:
            reason = "the workflow has no such action"
        elif transition is None:
            reason = "that action does not leave this state"
        else:
            reason = f"it is taken by the system ({transition.trigger.value}), not by a person"
    return TransitionNotAllowed(
        workflow=workflow.code, state=state, action=action, reason=reason, allowed=allowed
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _threshold(workflow: Workflow, state: str, transition: Transition, hours_per_day: int) -> int:
    limit = transition.after if transition.trigger is Trigger.TIMER else None
    if transition.trigger is Trigger.BREACH:
        limit = workflow.state(state).time_limit
    if limit is None:
        return -1  # never due: check_workflow reports the definition
    return limit.in_hours(hours_per_day=hours_per_day)


def due_timers(
    workflow: Workflow,
    state: str,
    /,
    *,
    elapsed: Duration | int,
    hours_per_day: int = 8,
) -> tuple[Transition, ...]:
    """Return the timer and breach transitions of *state* whose threshold has passed.

    A timer is due once *elapsed* reaches its ``after``; a breach once *elapsed*
    reaches the state's ``time_limit``.  They come earliest threshold first, then in
    declaration order.

    Args:
        workflow: The workflow version the application is pinned to.
        state: The application's current state.
        elapsed: Working time spent in *state*: a `Duration`, or whole working hours.
        hours_per_day: A working day's length, to compare days with hours.

    Raises:
        InvalidValue: If *workflow* is not a `Workflow`, *elapsed* neither a `Duration`
            nor an `int` (a `bool` is not one), or *hours_per_day* is not a whole number
            of hours from 1 to 24.
    """
    check_type(workflow, Workflow, field="workflow")
    check_int(hours_per_day, field="hours_per_day", minimum=1, maximum=24)
    if isinstance(elapsed, Duration):
        hours = elapsed.in_hours(hours_per_day=hours_per_day)
    else:
        hours = check_int(elapsed, field="elapsed", minimum=-INT64_MAX)
    due: list[tuple[int, int, Transition]] = []
    for order, transition in enumerate(workflow.automatic_transitions(state)):
        if transition.trigger is Trigger.EVENT:
            continue
        threshold = _threshold(workflow, state, transition, hours_per_day)
        if 0 <= threshold <= hours:
            due.append((threshold, order, transition))
    due.sort(key=lambda item: (item[0], item[1]))
    return tuple(transition for _, _, transition in due)


def due_timer(
    workflow: Workflow,
    state: str,
    /,
    *,
    elapsed: Duration | int,
    hours_per_day: int = 8,
) -> Transition | None:
    """Return the timer or breach transition to fire now, or ``None``.

    When several are due, the one with the earliest threshold wins; ties go to the one
    declared first.  See `due_timers`.
    """
    due = due_timers(workflow, state, elapsed=elapsed, hours_per_day=hours_per_day)
    return due[0] if due else None


def on_event(workflow: Workflow, state: str, event: str, /) -> Transition | None:
    """Return the transition *event* fires in *state* (the first declared), or ``None``.

    Raises:
        InvalidValue: If *workflow* is not a `Workflow`.
    """
    check_type(workflow, Workflow, field="workflow")
    for transition in workflow.automatic_transitions(state):
        if transition.trigger is Trigger.EVENT and transition.event == event:
            return transition
    return None


def fire_automatic(
    workflow: Workflow,
    state: str,
    transition: Transition,
    /,
    *,
    facts: Facts = NO_FACTS,
    guards: GuardRegistry = DEFAULT_GUARDS,
) -> Step:
    """Fire a timer, breach or event *transition* from *state* as the ``system`` actor.

    Roles and separation of duties do not apply to the system; guards do.

    Raises:
        TransitionNotAllowed: If *transition* is manual or is not this workflow's
            transition out of *state*.
        GuardFailed: If a guard refuses.
        UnknownGuard: If a guard is not registered.
        InvalidValue: If *workflow* is not a `Workflow`, *transition* not a `Transition`,
            or *facts* not `Facts`.
    """
    check_type(workflow, Workflow, field="workflow")
    if not isinstance(transition, Transition):
        raise InvalidValue(
            field="transition", reason=f"expected a Transition, not {kind_of(transition)}"
        )
    if not isinstance(facts, Facts):
        raise InvalidValue(field="facts", reason=f"expected Facts, not {kind_of(facts)}")
    move = workflow.move(state, transition.action)
    if transition.is_manual or move is None or move.transition != transition:
        raise TransitionNotAllowed(
            workflow=workflow.code,
            state=state,
            action=transition.action,
            reason="it is not an automatic transition out of this state",
        )
    if transition.guards:
        _check_guards(workflow, state, transition, SYSTEM, None, facts, guards)
    return Step(move=move, actor=SYSTEM.id, role=None, inputs=_NO_INPUTS)
