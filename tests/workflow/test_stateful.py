"""Stateful property test: random actors take random actions on generated valid workflows."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from workflow_strategies import READY_GUARD, actors, workflows

from onestop.domain.workflow.engine import Actor, allowed_actions, due_timer, fire, fire_automatic
from onestop.domain.workflow.guards import Facts, split_guard
from onestop.domain.workflow.model import Workflow, check_workflow
from onestop.exceptions import SeparationOfDutiesViolation, TransitionNotAllowed

BOGUS_ACTIONS = ("teleport", "", "A0", "a0 ")


class ApplicationMachine(RuleBasedStateMachine):
    """One application moving through a generated workflow."""

    def __init__(self) -> None:
        super().__init__()
        self.workflow: Workflow
        self.actors: tuple[Actor, ...] = ()
        self.state = ""
        self.facts = Facts()
        self.ready = False
        self.finished_in: str | None = None

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        workflow = data.draw(workflows(), label="workflow")
        assert check_workflow(workflow) == [], check_workflow(workflow)
        self.workflow = workflow
        self.actors = data.draw(actors(workflow.roles), label="actors")
        initial = workflow.initial_state
        assert initial is not None
        self.state = initial

    def current_facts(self) -> Facts:
        answers = {"ready": "yes"} if self.ready else {}
        return Facts(answers=answers, history=self.facts.history)

    @rule(ready=st.booleans())
    def toggle_ready(self, ready: bool) -> None:
        self.ready = ready

    @rule(data=st.data(), with_inputs=st.booleans())
    def act(self, data: st.DataObject, with_inputs: bool) -> None:
        actor = data.draw(st.sampled_from(self.actors), label="actor")
        anything = st.sampled_from(sorted(self.workflow.actions) + list(BOGUS_ACTIONS))
        leaving = [t.action for t in self.workflow.outgoing(self.state)]
        choice = st.one_of(st.sampled_from(leaving), anything) if leaving else anything
        action = data.draw(choice, label="action")
        inputs = {"reason": "because"} if with_inputs else {}
        before = self.state
        facts = self.current_facts()
        refusal: TransitionNotAllowed | None = None
        try:
            step = fire(self.workflow, before, action, actor=actor, inputs=inputs, facts=facts)
        except TransitionNotAllowed as error:
            refusal = error
        if refusal is not None:
            assert self.state == before
            assert (refusal.state, refusal.action) == (before, action)
            manual = {t.action for t in self.workflow.manual_transitions(before)}
            assert set(refusal.allowed) <= manual
            if isinstance(refusal, SeparationOfDutiesViolation):
                assert (refusal.earlier_action, actor.id) in facts.history
            return
        transition = self.workflow.transition(before, action)
        assert transition is not None, "an accepted action is in the definition"
        assert transition.is_manual
        assert step.target == transition.target
        assert step.role in transition.roles
        assert step.role in actor.roles
        assert set(transition.inputs) <= set(inputs)
        if READY_GUARD in transition.guards:
            assert self.ready
        assert not self.workflow.state(before).is_final
        self.state = step.target
        self.facts = self.facts.with_action(action, actor.id)

    @rule(hours=st.integers(min_value=0, max_value=60))
    def wait(self, hours: int) -> None:
        due = due_timer(self.workflow, self.state, elapsed=hours)
        if due is None:
            return
        assert due.after is not None
        assert due.after.in_hours(hours_per_day=8) <= hours
        step = fire_automatic(self.workflow, self.state, due, facts=self.current_facts())
        assert step.actor == "system"
        self.state = step.target

    @precondition(lambda self: bool(self.actors))
    @rule(data=st.data())
    def allowed_means_accepted(self, data: st.DataObject) -> None:
        """Every action allowed_actions offers is accepted when the inputs are given."""
        actor = data.draw(st.sampled_from(self.actors), label="actor")
        facts = self.current_facts()
        offered = allowed_actions(self.workflow, self.state, actor, facts)
        for action in offered:
            fire(
                self.workflow, self.state, action, actor=actor, inputs={"reason": "r"}, facts=facts
            )

    @invariant()
    def state_is_declared(self) -> None:
        if self.actors:
            assert self.workflow.has_state(self.state)

    @invariant()
    def final_states_never_change(self) -> None:
        if not self.actors:
            return
        if self.finished_in is not None:
            assert self.state == self.finished_in
        elif self.workflow.state(self.state).is_final:
            self.finished_in = self.state

    @invariant()
    def separation_of_duties_holds(self) -> None:
        if not self.actors:
            return
        for first, second in self.workflow.separation_of_duties:
            did_first = {who for action, who in self.facts.history if action == first}
            did_second = {who for action, who in self.facts.history if action == second}
            assert not did_first & did_second

    @invariant()
    def guards_are_known(self) -> None:
        if not self.actors:
            return
        for transition in self.workflow.transitions:
            for reference in transition.guards:
                assert split_guard(reference)[0] == "field_has_value"


ApplicationMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestApplicationMachine = ApplicationMachine.TestCase
TestApplicationMachine.__doc__ = (
    "Accepted actions follow the definition; refusals are typed and change nothing."
)
