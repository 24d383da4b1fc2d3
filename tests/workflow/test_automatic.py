"""Timer, breach and event transitions: which one is due, and firing it as the system."""

from __future__ import annotations

import pytest
from workflow_samples import licence, minimal, with_transitions

from onestop.domain.common.values import Duration
from onestop.domain.workflow.engine import due_timer, due_timers, fire_automatic, on_event
from onestop.domain.workflow.guards import Facts
from onestop.domain.workflow.model import State, StateKind, Transition, Trigger, Workflow
from onestop.exceptions import GuardFailed, TransitionNotAllowed

WORKFLOW = licence()


def racing() -> Workflow:
    """A state with two timers and a breach whose thresholds can tie."""
    working = State(name="working", kind=StateKind.ACTIVE, time_limit=Duration.working_days(2))
    base = minimal(states=(minimal().states[0], working, minimal().states[2]))
    return with_transitions(
        base,
        Transition(
            action="late_timer",
            sources=("working",),
            target="done",
            trigger=Trigger.TIMER,
            after=Duration.working_days(3),
        ),
        Transition(
            action="breach",
            sources=("working",),
            target="done",
            trigger=Trigger.BREACH,
        ),
        Transition(
            action="same_as_breach",
            sources=("working",),
            target="done",
            trigger=Trigger.TIMER,
            after=Duration.working_hours(16),
        ),
    )


class TestDue:
    def test_nothing_due_before_the_threshold(self) -> None:
        """No timer is due while the elapsed working time is below every threshold."""
        assert due_timer(WORKFLOW, "at_agency", elapsed=Duration.working_days(9)) is None

    def test_timer_due_at_its_threshold(self) -> None:
        """A timer is due once the elapsed working time reaches its 'after'."""
        due = due_timer(WORKFLOW, "at_agency", elapsed=Duration.working_days(10))
        assert due is not None
        assert due.action == "deem_approved"

    def test_elapsed_in_whole_hours(self) -> None:
        """Elapsed time may be given as working hours, converted with the day's length."""
        assert due_timer(WORKFLOW, "at_agency", elapsed=79) is None
        assert due_timer(WORKFLOW, "at_agency", elapsed=80) is not None
        assert due_timer(WORKFLOW, "at_agency", elapsed=70, hours_per_day=7) is not None

    def test_breach_uses_the_state_time_limit(self) -> None:
        """A breach transition is due once the state's own time limit has passed."""
        assert due_timer(WORKFLOW, "verifying", elapsed=15) is None
        due = due_timer(WORKFLOW, "verifying", elapsed=16)
        assert due is not None
        assert due.action == "escalate"

    def test_earliest_threshold_first_then_declaration_order(self) -> None:
        """When several are due, the earliest threshold wins; ties go to the first declared."""
        workflow = racing()
        order = due_timers(workflow, "working", elapsed=Duration.working_days(3))
        assert [t.action for t in order] == ["breach", "same_as_breach", "late_timer"]
        chosen = due_timer(workflow, "working", elapsed=Duration.working_days(3))
        assert chosen is not None
        assert chosen.action == "breach"

    def test_choice_is_deterministic(self) -> None:
        """The same inputs always choose the same transition."""
        workflow = racing()
        choices = {due_timer(workflow, "working", elapsed=24) for _ in range(20)}
        assert len(choices) == 1

    def test_events_are_matched_by_name(self) -> None:
        """on_event returns the transition the event fires in this state, or None."""
        heard = on_event(WORKFLOW, "at_agency", "agency.rejected")
        assert heard is not None
        assert heard.target == "rejected"
        assert on_event(WORKFLOW, "at_agency", "agency.shrugged") is None
        assert on_event(WORKFLOW, "verifying", "agency.approved") is None

    def test_manual_transitions_are_never_due(self) -> None:
        """Timers ignore manual and event transitions, however long it has been."""
        assert due_timer(WORKFLOW, "returned", elapsed=10_000) is None


class TestFireAutomatic:
    def test_fired_by_the_system(self) -> None:
        """An automatic step is recorded as taken by 'system', in no role."""
        due = due_timer(WORKFLOW, "at_agency", elapsed=Duration.working_days(10))
        assert due is not None
        step = fire_automatic(WORKFLOW, "at_agency", due)
        assert (step.actor, step.role, step.trigger) == ("system", None, Trigger.TIMER)
        assert (step.source, step.target) == ("at_agency", "approved")
        assert step.effects == ("notify_applicant",)

    def test_event_step(self) -> None:
        """An event transition fires as the system too."""
        heard = on_event(WORKFLOW, "at_agency", "agency.approved")
        assert heard is not None
        step = fire_automatic(WORKFLOW, "at_agency", heard)
        assert (step.target, step.trigger) == ("approved", Trigger.EVENT)

    def test_manual_transition_refused(self) -> None:
        """fire_automatic refuses a manual transition."""
        manual = WORKFLOW.transition("submitted", "start")
        assert manual is not None
        with pytest.raises(TransitionNotAllowed, match="not an automatic transition"):
            fire_automatic(WORKFLOW, "submitted", manual)

    def test_wrong_state_refused(self) -> None:
        """fire_automatic refuses a transition that does not leave the given state."""
        timer = WORKFLOW.transition("at_agency", "deem_approved")
        assert timer is not None
        with pytest.raises(TransitionNotAllowed):
            fire_automatic(WORKFLOW, "verifying", timer)

    def test_guards_apply_to_the_system(self) -> None:
        """Automatic transitions still respect their guards."""
        guarded = Transition(
            action="auto_close",
            sources=("working",),
            target="done",
            trigger=Trigger.EVENT,
            event="paid",
            guards=("payment_recorded",),
        )
        workflow = with_transitions(minimal(), guarded)
        with pytest.raises(GuardFailed):
            fire_automatic(workflow, "working", guarded)
        step = fire_automatic(workflow, "working", guarded, facts=Facts(payments=("p1",)))
        assert step.target == "done"
