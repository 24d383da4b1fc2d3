"""Workflows: the status state machine every application of a service moves through.

A `Workflow` is data: states, transitions between them, the roles that may take each
action, guards, required inputs, effects to emit, and per-state clock behaviour.  It is
written in a catalogue file (``[[workflows]]``) or built in Python, and checked by
`check_workflow` (or `validate_workflow`) before use.

A published ``(code, version)`` is immutable; applications stay pinned to the version
they started under (see `onestop.domain.workflow.versions`).  Firing transitions lives in
`onestop.domain.workflow.engine`; a workflow pre-indexes its transitions when it is built, so
one `Workflow` value serves any number of applications with no machine object each.

>>> wf = Workflow(
...     code="licence",
...     roles=("clerk",),
...     states=(
...         State(name="submitted", kind=StateKind.INITIAL),
...         State(name="issued", kind=StateKind.SUCCESS),
...     ),
...     transitions=(
...         Transition(action="issue", sources=("submitted",), target="issued", roles=("clerk",)),
...     ),
... )
>>> wf.transition("submitted", "issue").target
'issued'
>>> wf.state("submitted").clock_mode
<ClockMode.RUNNING: 'running'>
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs

from onestop.domain.common._typed import as_tuple, check_items, items_of, of
from onestop.domain.common.formats import kind_of
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.domain.workflow.steps import Move
from onestop.exceptions import InvalidValue, InvalidWorkflow, Problem, StateNotFound

__all__ = [
    "ClockMode",
    "State",
    "StateKind",
    "Transition",
    "Trigger",
    "Workflow",
    "check_workflow",
    "validate_workflow",
]


_NO_LABEL = LocalizedText(())
_NOBODY: frozenset[str] = frozenset()


class StateKind(enum.Enum):
    """What a state means for the application and for its SLA clock."""

    INITIAL = "initial"
    """Where every application starts; exactly one per workflow."""
    ACTIVE = "active"
    """An agency is working on the application."""
    WAITING_APPLICANT = "waiting_applicant"
    """The application waits on the applicant (a correction, a payment); the clock pauses."""
    WAITING_AGENCY = "waiting_agency"
    """The application waits on another agency; the clock keeps running."""
    SUCCESS = "success"
    """A final state, in which the service was delivered (issued, approved)."""
    FAILURE = "failure"
    """A final state, in which the service was refused, withdrawn or abandoned."""

    @property
    def is_final(self) -> bool:
        """Whether an application in a state of this kind is finished."""
        return self is StateKind.SUCCESS or self is StateKind.FAILURE

    @property
    def default_clock(self) -> ClockMode:
        """The clock behaviour a state of this kind has unless it says otherwise."""
        if self.is_final:
            return ClockMode.STOPPED
        if self is StateKind.WAITING_APPLICANT:
            return ClockMode.PAUSED
        return ClockMode.RUNNING


class ClockMode(enum.Enum):
    """What the service's SLA clock does while an application is in a state."""

    RUNNING = "running"
    """Working time counts against the service's limit."""
    PAUSED = "paused"
    """Working time does not count (the ball is in the applicant's court)."""
    STOPPED = "stopped"
    """The clock has ended, because the application is finished."""


class Trigger(enum.Enum):
    """What fires a transition."""

    MANUAL = "manual"
    """A person with one of the transition's roles takes the action."""
    TIMER = "timer"
    """The system fires it once the application has spent `Transition.after` in the source."""
    BREACH = "breach"
    """The system fires it once the source state's `State.time_limit` has passed."""
    EVENT = "event"
    """The system fires it when `Transition.event` arrives (e.g. ``agency.approved``)."""


_TEXTS = items_of(str)


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]  # or left for the validator


def _duties(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A list of pairs becomes a tuple of tuples; `check_workflow` judges each pair."""
    rules = as_tuple(value)
    if isinstance(rules, tuple):
        return tuple(as_tuple(rule) for rule in rules)
    return rules  # type: ignore[no-any-return]  # for the validator to refuse


def _duty_rules(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A rule given as a list or tuple names actions (text).  A rule of another length
    than two, or not a list at all, is a problem `check_workflow` reports."""
    if not isinstance(value, tuple):
        reason = f"expected a list or tuple of rules, not {kind_of(value)}"
        raise InvalidValue(field=attribute.name, reason=reason)
    for index, rule in enumerate(value):
        if isinstance(rule, tuple):
            check_items(rule, str, field=f"{attribute.name}[{index}]")


@attrs.frozen(kw_only=True)
class State:
    """One status an application can be in.

    Attributes:
        name: The state's identifier, unique in its workflow (``submitted``).
        kind: What the state means; decides finality and the default clock.
        label: What officers read, in several languages.
        clock: The SLA clock's behaviour here; ``None`` means the kind's default
            (paused while waiting on the applicant, stopped in final states, else running).
        time_limit: How long an application may stay here; breach transitions use it.
        public_label: What the applicant reads when tracking, if it differs from `label`.
        description: A longer explanation for officers, if any.
    """

    name: str = attrs.field(validator=of(str))
    kind: StateKind = attrs.field(validator=of(StateKind))
    label: LocalizedText = attrs.field(default=_NO_LABEL, validator=of(LocalizedText))
    clock: ClockMode | None = attrs.field(default=None, validator=of(ClockMode, optional=True))
    time_limit: Duration | None = attrs.field(default=None, validator=of(Duration, optional=True))
    public_label: LocalizedText | None = attrs.field(
        default=None, validator=of(LocalizedText, optional=True)
    )
    description: LocalizedText | None = attrs.field(
        default=None, validator=of(LocalizedText, optional=True)
    )

    @property
    def is_final(self) -> bool:
        """Whether the application is finished in this state."""
        return self.kind.is_final

    @property
    def clock_mode(self) -> ClockMode:
        """The effective clock behaviour, which is `clock` if given, else the kind's default."""
        return self.clock if self.clock is not None else self.kind.default_clock


@attrs.frozen(kw_only=True)
class Transition:
    """An action that moves an application from one of `sources` to `target`.

    Attributes:
        action: The action's name (``verify``); unique per source state.
        sources: The states it may be taken from.
        target: The state it leads to.
        roles: The roles that may take it (any one suffices); ignored for automatic
            triggers, which the system takes.
        guards: Guard references, ``"name"`` or ``"name:argument"``
            (``"field_has_value:npwp"``); all must pass.
        inputs: Inputs the actor must give (``reason``, ``verdict``).
        effects: Names of effects to emit when it fires (``notify_applicant``).
        trigger: What fires it: a person, a timer, a breached time limit or an event.
        after: For timers, the working time spent in the source state before it fires.
        event: For event triggers, the event's name (``agency.approved``).
        label: What officers read on the action's button, in several languages.
    """

    action: str = attrs.field(validator=of(str))
    sources: tuple[str, ...] = attrs.field(converter=_texts, validator=_TEXTS)
    target: str = attrs.field(validator=of(str))
    roles: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_TEXTS)
    guards: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_TEXTS)
    inputs: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_TEXTS)
    effects: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_TEXTS)
    trigger: Trigger = attrs.field(default=Trigger.MANUAL, validator=of(Trigger))
    after: Duration | None = attrs.field(default=None, validator=of(Duration, optional=True))
    event: str | None = attrs.field(default=None, validator=of(str, optional=True))
    label: LocalizedText | None = attrs.field(
        default=None, validator=of(LocalizedText, optional=True)
    )

    @property
    def is_manual(self) -> bool:
        """Whether a person takes this action (rather than the system)."""
        return self.trigger is Trigger.MANUAL


def _states(value: Iterable[State]) -> tuple[State, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]  # or left for the validator


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]  # or left for the validator


@attrs.frozen(kw_only=True)
class _Index:
    """Lookups a workflow builds once, so firing a transition is a few dict reads."""

    states: Mapping[str, State]
    moves: Mapping[tuple[str, str], Move]
    manual_by_source: Mapping[str, tuple[Transition, ...]]
    automatic_by_source: Mapping[str, tuple[Transition, ...]]
    actions: frozenset[str]
    duty_partners: Mapping[str, frozenset[str]]
    initial: str | None


def _build_index(workflow: Workflow) -> _Index:
    states: dict[str, State] = {}
    for state in workflow.states:
        states.setdefault(state.name, state)
    moves: dict[tuple[str, str], Move] = {}
    manual: dict[str, list[Transition]] = {}
    automatic: dict[str, list[Transition]] = {}
    for transition in workflow.transitions:
        for source in transition.sources:
            if (source, transition.action) in moves:
                continue  # check_workflow reports the ambiguity; the first one wins here
            moves[source, transition.action] = Move.of(
                workflow.code, workflow.version, source, transition
            )
            bucket = manual if transition.is_manual else automatic
            bucket.setdefault(source, []).append(transition)
    partners: dict[str, set[str]] = {}
    rules: tuple[object, ...] = workflow.separation_of_duties
    for rule in rules:
        if not isinstance(rule, tuple | list) or len(rule) != 2:
            continue  # check_workflow reports a rule that is not a pair
        first, second = rule
        partners.setdefault(first, set()).add(second)
        partners.setdefault(second, set()).add(first)
    initials = [s.name for s in workflow.states if s.kind is StateKind.INITIAL]
    return _Index(
        states=states,
        moves=moves,
        manual_by_source={k: tuple(v) for k, v in manual.items()},
        automatic_by_source={k: tuple(v) for k, v in automatic.items()},
        actions=frozenset(t.action for t in workflow.transitions),
        duty_partners={k: frozenset(v) for k, v in partners.items()},
        initial=initials[0] if initials else None,
    )


@attrs.frozen(kw_only=True)
class Workflow:
    """One immutable version of a service's status state machine.

    Building a workflow never raises for a wrong definition: run `check_workflow`
    (or `validate_workflow`) to find every problem.  Where a definition is
    ambiguous, lookups take the first declaration.  Building one checks the types of
    its parts only (as `State` and `Transition` do): a transition that is not a
    `Transition`, or a role that is not text, is `onestop.exceptions.InvalidValue`
    naming it, so that a definition of the wrong shape never fails later in a lookup.

    Attributes:
        code: The workflow's identifier, which services refer to.
        version: The published version; applications stay pinned to it.
        roles: The roles declared for this workflow's actions.
        states: Its states; exactly one is of kind ``initial``.
        transitions: Its transitions, in declaration order.
        separation_of_duties: Pairs of actions one person may not both take on the
            same application (``("verify", "approve")``).
        name: A human-readable name, in several languages.
    """

    code: str = attrs.field(validator=of(str))
    version: int = attrs.field(default=1, validator=of(int))
    roles: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_TEXTS)
    states: tuple[State, ...] = attrs.field(
        default=(), converter=_states, validator=items_of(State)
    )
    transitions: tuple[Transition, ...] = attrs.field(
        default=(), converter=_transitions, validator=items_of(Transition)
    )
    separation_of_duties: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_duties, validator=_duty_rules
    )
    name: LocalizedText | None = attrs.field(
        default=None, validator=of(LocalizedText, optional=True)
    )
    _index: _Index = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        """Pre-index states and transitions for constant-time lookups."""
        object.__setattr__(self, "_index", _build_index(self))

    @property
    def initial_state(self) -> str | None:
        """The name of the (first) initial state, or ``None`` if there is none."""
        return self._index.initial

    @property
    def state_names(self) -> tuple[str, ...]:
        """The names of the states, in declaration order."""
        return tuple(state.name for state in self.states)

    @property
    def actions(self) -> frozenset[str]:
        """Every action named by a transition."""
        return self._index.actions

    def has_state(self, name: str) -> bool:
        """Return whether a state called *name* is declared (never, for a name not text)."""
        given: object = name
        return isinstance(given, str) and name in self._index.states

    def state(self, name: str) -> State:
        """Return the state called *name*.

        Raises:
            StateNotFound: If no such state is declared.
        """
        found = self._index.states.get(name) if self.has_state(name) else None
        if found is None:
            raise StateNotFound(workflow=self.code, state=str(name))
        return found

    def transition(self, source: str, action: str) -> Transition | None:
        """Return the transition *action* takes from *source*, or ``None``."""
        move = self.move(source, action)
        return None if move is None else move.transition

    def move(self, source: str, action: str) -> Move | None:
        """Return the pre-built `Move` *action* makes from *source*, or ``None``."""
        try:
            return self._index.moves.get((source, action))
        except TypeError:  # a source or action that cannot be a key (a list): no such move
            return None

    def manual_transitions(self, source: str) -> tuple[Transition, ...]:
        """Return the manual transitions leaving *source*, in declaration order."""
        return self._index.manual_by_source.get(source, ()) if self.has_state(source) else ()

    def automatic_transitions(self, source: str) -> tuple[Transition, ...]:
        """Return the timer, breach and event transitions leaving *source*, in order."""
        return self._index.automatic_by_source.get(source, ()) if self.has_state(source) else ()

    def duty_partners(self, action: str) -> frozenset[str]:
        """Return the actions that whoever takes *action* may not also take."""
        given: object = action
        return self._index.duty_partners.get(action, _NOBODY) if isinstance(given, str) else _NOBODY

    def outgoing(self, source: str) -> tuple[Transition, ...]:
        """Return every transition leaving *source*, in declaration order."""
        return tuple(t for t in self.transitions if source in t.sources)


def check_workflow(
    workflow: Workflow,
    /,
    *,
    service_limit: Duration | None = None,
    known_guards: Collection[str] | None = None,
    hours_per_day: int = 8,
) -> list[Problem]:
    """Return every problem with *workflow*, each with a path such as ``transitions[4]``.

    The checks: exactly one initial state; unique state names; transitions between
    declared states; no transition out of a final state; one target per action and
    source state; declared roles, with at least one on each manual transition; a timer
    with ``after``, an event transition with ``event``, a breach from a state with a
    time limit; separation-of-duties pairs naming known actions; every state reachable
    from the initial state, and every non-final state able to reach a final one; state
    time limits within *service_limit*; and, when *known_guards* is given, only guard
    names it holds.

    Args:
        workflow: The definition to check.
        service_limit: The shortest statutory limit of the services using it, if any.
        known_guards: Guard names that may be used; ``None`` skips that check.
        hours_per_day: A working day's length, to compare limits in days and hours.

    Returns:
        The problems found, in document order within each check; empty when valid.

    Raises:
        InvalidValue: If an argument is of the wrong type (known guards that are not
            text, hours per day that are not an `int` from 1 to 24, ...).
    """
    # The checker needs this module's classes, so it is imported when first used.
    from onestop.domain.workflow.checks import find_problems  # noqa: PLC0415

    return find_problems(
        workflow,
        service_limit=service_limit,
        known_guards=known_guards,
        hours_per_day=hours_per_day,
    )


def validate_workflow(
    workflow: Workflow,
    /,
    *,
    service_limit: Duration | None = None,
    known_guards: Collection[str] | None = None,
    hours_per_day: int = 8,
) -> Workflow:
    """Return *workflow* unchanged if `check_workflow` finds nothing wrong with it.

    Raises:
        InvalidWorkflow: Naming the workflow and listing every problem.
    """
    problems = check_workflow(
        workflow,
        service_limit=service_limit,
        known_guards=known_guards,
        hours_per_day=hours_per_day,
    )
    if problems:
        raise InvalidWorkflow(workflow.code, problems)
    return workflow
