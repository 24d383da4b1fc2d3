"""How `onestop.domain.workflow.model.check_workflow` finds every problem of a workflow.

`find_problems` runs each family of checks in turn (states, roles, transitions,
separation of duties, the graph) and collects every problem with its path; it never
stops at the first.  Call it through `onestop.domain.workflow.model.check_workflow` or
`onestop.domain.workflow.model.validate_workflow`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from onestop.domain.common.formats import ROLE, check_int, int_problem, kind_of, preview
from onestop.domain.common.kinds import check_type
from onestop.domain.common.values import Duration
from onestop.domain.workflow.guards import split_guard
from onestop.domain.workflow.model import ClockMode, State, StateKind, Transition, Trigger, Workflow
from onestop.exceptions import InvalidValue, Problem

__all__ = ["find_problems"]


def find_problems(
    workflow: Workflow,
    /,
    *,
    service_limit: Duration | None,
    known_guards: Collection[str] | None,
    hours_per_day: int,
) -> list[Problem]:
    """Return every problem with *workflow*; see `onestop.domain.workflow.model.check_workflow`.

    Raises:
        InvalidValue: If an argument is of the wrong type: *workflow* not a `Workflow`,
            *service_limit* not a `Duration` or ``None``, *known_guards* not a
            collection of names (text), or *hours_per_day* not an `int` from 1 to 24.
    """
    check_type(workflow, Workflow, field="workflow")
    check_type(service_limit, (Duration, type(None)), field="service_limit")
    check_int(hours_per_day, field="hours_per_day", minimum=1, maximum=24)
    known = None if known_guards is None else _guard_names(known_guards)
    checker = _Checker(workflow, hours_per_day=hours_per_day)
    checker.check_states(service_limit)
    checker.check_roles()
    checker.check_transitions(known)
    checker.check_duties()
    checker.check_graph()
    return checker.problems


def _guard_names(known_guards: object) -> frozenset[str]:
    given: object = known_guards
    if isinstance(given, str | bytes) or not isinstance(given, Collection):
        reason = f"expected a collection of guard names, not {kind_of(given)}"
        raise InvalidValue(field="known_guards", reason=reason)
    for name in given:
        if not isinstance(name, str):
            reason = f"expected guard names as text, not {kind_of(name)}"
            raise InvalidValue(field="known_guards", reason=reason)
    return frozenset(given)


_SHOWN_GUARDS = 10
"""How many known guard names a problem lists before '...'."""


class _Checker:
    """Collects the problems of one workflow; each method runs one family of checks."""

    def __init__(self, workflow: Workflow, *, hours_per_day: int) -> None:
        self.workflow = workflow
        self.hours_per_day = hours_per_day
        self.problems: list[Problem] = []
        self.where = f"workflow {preview(workflow.code)}"
        self.positions: dict[str, int] = {}
        for i, state in enumerate(workflow.states):
            self.positions.setdefault(state.name, i)

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=f"{self.where}: {message}"))

    def check_states(self, service_limit: Duration | None) -> None:
        wf = self.workflow
        if not wf.code:
            self.add("code", "the workflow has no code")
        reason = int_problem(wf.version, minimum=1)
        if reason is not None:
            self.add("version", f"the version: {reason}")
        if not wf.states:
            self.add("states", "the workflow has no states")
        initials = [i for i, s in enumerate(wf.states) if s.kind is StateKind.INITIAL]
        if wf.states and not initials:
            self.add("states", "no state is of kind 'initial'")
        for i in initials[1:]:
            first = wf.states[initials[0]].name
            self.add(
                f"states[{i}].kind",
                f"state {preview(wf.states[i].name)} is a second initial state "
                f"(the first is {preview(first)})",
            )
        if wf.states and not any(s.is_final for s in wf.states):
            self.add("states", "no state is final (of kind 'success' or 'failure')")
        for i, state in enumerate(wf.states):
            self._check_state(i, state, service_limit)

    def _check_state(self, i: int, state: State, service_limit: Duration | None) -> None:
        path = f"states[{i}]"
        if not state.name:
            self.add(f"{path}.name", "a state has an empty name")
        first = self.positions[state.name]
        if first != i:
            self.add(
                f"{path}.name", f"duplicate state {preview(state.name)} (first at states[{first}])"
            )
        if state.is_final and state.clock not in (None, ClockMode.STOPPED):
            self.add(
                f"{path}.clock", f"final state {preview(state.name)} cannot have a running clock"
            )
        if not state.is_final and state.clock is ClockMode.STOPPED:
            self.add(
                f"{path}.clock", f"only final states stop the clock, not {preview(state.name)}"
            )
        limit = state.time_limit
        if limit is not None and state.is_final:
            self.add(
                f"{path}.time_limit", f"final state {preview(state.name)} cannot have a time limit"
            )
        elif (
            limit is not None
            and service_limit is not None
            and limit.exceeds(service_limit, hours_per_day=self.hours_per_day)
        ):
            self.add(
                f"{path}.time_limit",
                f"state {preview(state.name)} allows {limit}, longer than the service's "
                f"limit of {service_limit}",
            )

    def check_roles(self) -> None:
        seen: set[str] = set()
        declared: tuple[object, ...] = self.workflow.roles
        for i, role in enumerate(declared):
            reason = ROLE.problem(role)
            if not isinstance(role, str) or reason is not None:
                self.add(f"roles[{i}]", f"role {reason}" if isinstance(role, str) else str(reason))
            elif role in seen:
                self.add(f"roles[{i}]", f"role {preview(role)} is declared twice")
            else:
                seen.add(role)

    def check_transitions(self, known_guards: frozenset[str] | None) -> None:
        taken: dict[tuple[str, str], int] = {}
        listening: dict[tuple[str, str], int] = {}
        for j, transition in enumerate(self.workflow.transitions):
            path = f"transitions[{j}]"
            self._check_ends(path, transition)
            self._check_trigger(path, transition)
            self._check_roles_of(path, transition)
            self._check_guards(path, transition, known_guards)
            for source in transition.sources:
                self._check_unique(path, j, transition, source, taken)
                if transition.trigger is Trigger.EVENT and transition.event:
                    earlier = listening.setdefault((source, transition.event), j)
                    if earlier != j:
                        self.add(
                            path,
                            f"event {preview(transition.event)} in state {preview(source)} "
                            "fires both "
                            f"transitions[{earlier}] and action {preview(transition.action)}",
                        )

    def _check_ends(self, path: str, transition: Transition) -> None:
        action = transition.action
        if not action:
            self.add(f"{path}.action", "a transition has an empty action name")
        if not transition.sources:
            self.add(f"{path}.sources", f"action {preview(action)} has no source state")
        for k, source in enumerate(transition.sources):
            if source not in self.positions:
                self.add(
                    f"{path}.sources[{k}]",
                    f"action {preview(action)} leaves unknown state {preview(source)}",
                )
            elif self.workflow.state(source).is_final:
                self.add(
                    f"{path}.sources[{k}]",
                    f"final state {preview(source)} has an outgoing transition {preview(action)}",
                )
        if transition.target not in self.positions:
            self.add(
                f"{path}.target",
                f"action {preview(action)} leads to unknown state {preview(transition.target)}",
            )

    def _check_trigger(self, path: str, transition: Transition) -> None:
        action, trigger = transition.action, transition.trigger
        if trigger is Trigger.TIMER and transition.after is None:
            self.add(f"{path}.after", f"timer action {preview(action)} has no 'after' duration")
        if trigger is not Trigger.TIMER and transition.after is not None:
            self.add(f"{path}.after", f"'after' only applies to timers, not to {preview(action)}")
        if trigger is Trigger.EVENT and not transition.event:
            self.add(f"{path}.event", f"event action {preview(action)} names no 'event'")
        if trigger is not Trigger.EVENT and transition.event is not None:
            self.add(
                f"{path}.event", f"'event' only applies to event triggers, not to {preview(action)}"
            )
        if trigger is Trigger.BREACH:
            for k, source in enumerate(transition.sources):
                if source in self.positions and self.workflow.state(source).time_limit is None:
                    self.add(
                        f"{path}.sources[{k}]",
                        f"breach action {preview(action)} leaves state {preview(source)}, "
                        "which has no time limit",
                    )

    def _check_roles_of(self, path: str, transition: Transition) -> None:
        declared = set(self.workflow.roles)
        for k, role in enumerate(transition.roles):
            if role not in declared:
                self.add(
                    f"{path}.roles[{k}]",
                    f"action {preview(transition.action)} uses undeclared role {preview(role)}",
                )
        if transition.is_manual and not transition.roles:
            self.add(f"{path}.roles", f"no role may take action {preview(transition.action)}")

    def _check_guards(
        self, path: str, transition: Transition, known_guards: frozenset[str] | None
    ) -> None:
        for k, reference in enumerate(transition.guards):
            name, _ = split_guard(reference)
            if not name:
                self.add(
                    f"{path}.guards[{k}]",
                    f"action {preview(transition.action)} has a guard with no name: "
                    f"{preview(reference)}",
                )
            elif known_guards is not None and name not in known_guards:
                names = sorted(known_guards)
                known = ", ".join(preview(n) for n in names[:_SHOWN_GUARDS]) or "none"
                if len(names) > _SHOWN_GUARDS:
                    known += f", ... ({len(names)} in all)"
                self.add(
                    f"{path}.guards[{k}]",
                    f"action {preview(transition.action)} uses unknown guard {preview(name)} "
                    f"(known: {known})",
                )

    def _check_unique(
        self,
        path: str,
        j: int,
        transition: Transition,
        source: str,
        taken: dict[tuple[str, str], int],
    ) -> None:
        earlier = taken.setdefault((source, transition.action), j)
        if earlier == j:
            return
        other = self.workflow.transitions[earlier]
        if other.target != transition.target:
            what = f"leads to both {preview(other.target)} and {preview(transition.target)}"
        else:
            what = f"is declared twice (first at transitions[{earlier}])"
        self.add(path, f"action {preview(transition.action)} from state {preview(source)} {what}")

    def check_duties(self) -> None:
        actions = self.workflow.actions
        rules: tuple[object, ...] = self.workflow.separation_of_duties
        for k, pair in enumerate(rules):
            path = f"separation_of_duties[{k}]"
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                self.add(path, "a separation-of-duties rule names two actions, as [first, second]")
                continue
            for action in pair:
                if action not in actions:
                    self.add(path, f"separation of duties names unknown action {preview(action)}")
            if pair[0] == pair[1] and pair[0] in actions:
                self.add(
                    path,
                    f"separation of duties names action {preview(pair[0])} twice; "
                    "a rule pairs two different actions",
                )

    def check_graph(self) -> None:
        wf = self.workflow
        forward: dict[str, set[str]] = {name: set() for name in self.positions}
        backward: dict[str, set[str]] = {name: set() for name in self.positions}
        for transition in wf.transitions:
            if transition.target not in forward:
                continue
            for source in transition.sources:
                if source in forward:
                    forward[source].add(transition.target)
                    backward[transition.target].add(source)
        initial = wf.initial_state
        if initial is not None:
            reached = _closure({initial}, forward)
            for name, i in self.positions.items():
                if name not in reached:
                    self.add(
                        f"states[{i}]",
                        f"state {preview(name)} cannot be reached from {preview(initial)}",
                    )
        finals = {s.name for s in wf.states if s.is_final}
        if not finals:
            return  # check_states reported it; every state would be a trap
        rescued = _closure(finals, backward)
        for name, i in self.positions.items():
            if name in rescued:
                continue
            if forward[name]:
                message = (
                    f"state {preview(name)} leads only into states that never reach a final state"
                )
            else:
                message = f"state {preview(name)} is not final and has no way out"
            self.add(f"states[{i}]", message)


def _closure(start: set[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
