"""Firing manual transitions: steps, events, and every kind of typed refusal."""

from __future__ import annotations

import pytest
from workflow_samples import (
    APPLICANT,
    APPROVER,
    FRONT,
    SENIOR,
    VERIFIER,
    licence,
    minimal,
    with_transitions,
)

from onestop.domain.workflow.engine import SYSTEM, Actor, allowed_actions, fire
from onestop.domain.workflow.guards import Facts, GuardRegistry, GuardResult, default_guards
from onestop.domain.workflow.model import Transition, Trigger
from onestop.domain.workflow.steps import EffectRequested, StateChanged
from onestop.exceptions import (
    GuardFailed,
    MissingInput,
    RoleNotAllowed,
    SeparationOfDutiesViolation,
    TransitionNotAllowed,
    UnknownGuard,
)

WORKFLOW = licence()
VERIFIED = Facts(required_documents=("ktp",), documents={"ktp": "verified"})


class TestSteps:
    def test_a_step_names_the_next_state_and_who_did_it(self) -> None:
        """Firing returns the source, target, action, actor and the role used."""
        step = fire(WORKFLOW, "submitted", "start", actor=FRONT)
        assert (step.source, step.target, step.action) == ("submitted", "verifying", "start")
        assert (step.actor, step.role) == ("officer-1", "front_office")
        assert (step.workflow, step.version, step.trigger) == ("licence", 1, Trigger.MANUAL)

    def test_a_step_carries_its_events(self) -> None:
        """A step emits StateChanged, then one EffectRequested per effect, in order."""
        step = fire(WORKFLOW, "verifying", "send_back", actor=VERIFIER, inputs={"reason": "blurry"})
        assert step.events == (
            StateChanged(source="verifying", target="returned", action="send_back"),
            EffectRequested(effect="notify_applicant", action="send_back", state="returned"),
        )
        assert step.effects == ("notify_applicant",)

    def test_inputs_are_kept_read_only(self) -> None:
        """The step keeps a read-only copy of the inputs; changing the original is harmless."""
        given = {"reason": "blurry"}
        step = fire(WORKFLOW, "verifying", "send_back", actor=VERIFIER, inputs=given)
        given["reason"] = "changed"
        assert step.inputs == {"reason": "blurry"}
        with pytest.raises(TypeError):
            step.inputs["reason"] = "x"  # type: ignore[index]

    def test_the_first_listed_role_the_actor_holds_is_used(self) -> None:
        """An actor with several matching roles acts in the first role the transition lists."""
        step = fire(WORKFLOW, "verifying", "verify", actor=SENIOR, facts=VERIFIED)
        assert step.role == "verifier"

    def test_one_action_from_several_sources(self) -> None:
        """A transition with several sources fires from each of them."""
        for source in ("verifying", "at_agency", "escalated"):
            step = fire(WORKFLOW, source, "reject", actor=APPROVER, inputs={"reason": "fraud"})
            assert (step.source, step.target) == (source, "rejected")

    def test_firing_is_pure(self) -> None:
        """The same inputs give equal steps, and the workflow is untouched."""
        before = licence()
        first = fire(WORKFLOW, "submitted", "start", actor=FRONT)
        second = fire(WORKFLOW, "submitted", "start", actor=FRONT)
        assert first == second
        assert before == WORKFLOW


class TestRefusals:
    def test_unknown_action(self) -> None:
        """An action the workflow does not have is refused with a reason and the allowed list."""
        with pytest.raises(TransitionNotAllowed) as caught:
            fire(WORKFLOW, "submitted", "teleport", actor=FRONT)
        error = caught.value
        assert type(error) is TransitionNotAllowed
        assert error.reason == "the workflow has no such action"
        assert (error.workflow, error.state, error.action) == ("licence", "submitted", "teleport")
        assert error.allowed == ("start",)

    def test_action_from_the_wrong_state(self) -> None:
        """An existing action that does not leave the current state is refused."""
        with pytest.raises(TransitionNotAllowed, match="does not leave this state"):
            fire(WORKFLOW, "submitted", "approve", actor=APPROVER)

    def test_action_in_a_final_state(self) -> None:
        """Nothing can be done in a final state, and the error says so."""
        with pytest.raises(TransitionNotAllowed) as caught:
            fire(WORKFLOW, "approved", "reject", actor=APPROVER, inputs={"reason": "x"})
        assert caught.value.reason == "the state is final; nothing more can happen"
        assert caught.value.allowed == ()

    def test_unknown_state(self) -> None:
        """An application in a state the workflow lacks cannot act, and is told why."""
        with pytest.raises(TransitionNotAllowed, match="no such state"):
            fire(WORKFLOW, "lost", "start", actor=FRONT)

    def test_automatic_action_taken_by_hand(self) -> None:
        """A timer, breach or event transition cannot be fired by a person."""
        with pytest.raises(TransitionNotAllowed, match="taken by the system"):
            fire(WORKFLOW, "at_agency", "deem_approved", actor=SENIOR)

    def test_role_not_allowed(self) -> None:
        """An actor holding none of the roles is refused with RoleNotAllowed."""
        with pytest.raises(RoleNotAllowed) as caught:
            fire(WORKFLOW, "submitted", "start", actor=VERIFIER)
        assert "front_office" in caught.value.reason
        assert caught.value.allowed == ()

    def test_missing_input(self) -> None:
        """Required inputs that are absent or blank are listed in MissingInput."""
        for inputs in ({}, {"reason": "   "}, {"reason": None}):
            with pytest.raises(MissingInput) as caught:
                fire(WORKFLOW, "verifying", "send_back", actor=VERIFIER, inputs=inputs)
            assert caught.value.missing == ("reason",)

    def test_guard_failed_explains(self) -> None:
        """A refusing guard raises GuardFailed with the guard's name and explanation."""
        facts = Facts(required_documents=("ktp", "npwp"), documents={"ktp": "verified"})
        with pytest.raises(GuardFailed) as caught:
            fire(WORKFLOW, "verifying", "verify", actor=VERIFIER, facts=facts)
        assert caught.value.guard == "documents_verified"
        assert "npwp" in caught.value.reason
        assert caught.value.allowed == ("send_back",)

    def test_unknown_guard_at_fire_time(self) -> None:
        """A guard missing from the registry raises UnknownGuard, not a silent pass."""
        with pytest.raises(UnknownGuard) as caught:
            fire(WORKFLOW, "verifying", "verify", actor=VERIFIER, guards=GuardRegistry())
        assert caught.value.guard == "documents_verified"

    def test_custom_registry_decides(self) -> None:
        """The registry passed in is the one consulted."""
        lenient = GuardRegistry().with_guard(
            "documents_verified", lambda f, a: GuardResult(ok=True)
        )
        step = fire(WORKFLOW, "verifying", "verify", actor=VERIFIER, guards=lenient)
        assert step.target == "at_agency"


class TestSeparationOfDuties:
    def test_the_verifier_may_not_approve(self) -> None:
        """Who verified an application may not approve it, whatever roles they hold."""
        facts = VERIFIED.with_action("verify", SENIOR.id)
        paid = Facts(payments=("pay-1",), history=facts.history)
        with pytest.raises(SeparationOfDutiesViolation) as caught:
            fire(WORKFLOW, "at_agency", "approve", actor=SENIOR, facts=paid)
        assert (caught.value.actor, caught.value.earlier_action) == ("officer-4", "verify")

    def test_the_pair_works_both_ways(self) -> None:
        """Who approved may not verify either (the pair is symmetric)."""
        workflow = minimal(separation_of_duties=(("take", "finish"),))
        clerk = Actor(id="c1", roles={"clerk"})
        facts = Facts(history=(("finish", "c1"),))
        with pytest.raises(SeparationOfDutiesViolation):
            fire(workflow, "new", "take", actor=clerk, facts=facts)

    def test_another_officer_may_approve(self) -> None:
        """A different actor holding the role is allowed."""
        facts = Facts(payments=("pay-1",), history=(("verify", SENIOR.id),))
        step = fire(WORKFLOW, "at_agency", "approve", actor=APPROVER, facts=facts)
        assert step.target == "approved"


class TestAllowedActions:
    def test_lists_what_the_actor_may_do_now(self) -> None:
        """allowed_actions lists manual actions by role, duty and guard, in declaration order."""
        assert allowed_actions(WORKFLOW, "verifying", SENIOR, VERIFIED) == (
            "send_back",
            "verify",
            "reject",
        )
        unchecked = Facts(required_documents=("ktp",))
        assert allowed_actions(WORKFLOW, "verifying", SENIOR, unchecked) == ("send_back", "reject")
        assert allowed_actions(WORKFLOW, "returned", APPLICANT) == ("resubmit",)
        assert allowed_actions(WORKFLOW, "approved", SENIOR) == ()

    def test_system_takes_no_manual_action(self) -> None:
        """The system actor holds no role, so it may take no manual action."""
        assert allowed_actions(WORKFLOW, "at_agency", SYSTEM) == ()

    def test_respects_separation_of_duties(self) -> None:
        """An action forbidden by separation of duties is not offered."""
        facts = Facts(payments=("p",), history=(("verify", APPROVER.id),))
        assert allowed_actions(WORKFLOW, "at_agency", APPROVER, facts) == ("reject",)

    def test_uses_the_registry_given(self) -> None:
        """allowed_actions consults the registry passed in."""
        lenient = default_guards().with_guard(
            "payment_recorded", lambda f, a: GuardResult(ok=True), replace=True
        )
        assert allowed_actions(WORKFLOW, "at_agency", APPROVER, guards=lenient) == (
            "approve",
            "reject",
        )


def test_self_loop_is_a_step() -> None:
    """A transition back into its own state is a step like any other."""
    workflow = with_transitions(
        minimal(),
        Transition(action="note", sources=("working",), target="working", roles=("clerk",)),
    )
    step = fire(workflow, "working", "note", actor=Actor(id="c", roles=["clerk"]))
    assert (step.source, step.target) == ("working", "working")


def test_a_single_role_string_is_one_role() -> None:
    """Actor(roles="clerk") holds the role 'clerk', not the letters of it."""
    assert Actor(id="c", roles="clerk").roles == {"clerk"}
