"""Workflows built in Python for the workflow tests, and small helpers to vary them."""

from __future__ import annotations

from typing import Any

import attrs

from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.domain.workflow.engine import Actor
from onestop.domain.workflow.model import State, StateKind, Transition, Trigger, Workflow

ROLES = ("front_office", "verifier", "approver", "applicant")


def licence() -> Workflow:
    """A business licence: verification, a loop back to the applicant, another agency."""
    return Workflow(
        code="licence",
        version=1,
        roles=ROLES,
        separation_of_duties=(("verify", "approve"),),
        name=LocalizedText.of(en="Business licence", id="Izin usaha"),
        states=(
            State(
                name="submitted",
                kind=StateKind.INITIAL,
                label=LocalizedText.of(en="Submitted", id="Diajukan"),
            ),
            State(
                name="verifying",
                kind=StateKind.ACTIVE,
                label=LocalizedText.of(en="Being verified", id="Diverifikasi"),
                time_limit=Duration.working_days(2),
            ),
            State(
                name="returned",
                kind=StateKind.WAITING_APPLICANT,
                label=LocalizedText.of(en="Returned for correction", id="Dikembalikan"),
            ),
            State(
                name="at_agency",
                kind=StateKind.WAITING_AGENCY,
                label=LocalizedText.of(en="With the ministry", id="Di kementerian"),
            ),
            State(
                name="escalated",
                kind=StateKind.ACTIVE,
                label=LocalizedText.of(en="Escalated", id="Dieskalasi"),
            ),
            State(
                name="approved",
                kind=StateKind.SUCCESS,
                label=LocalizedText.of(en="Approved", id="Disetujui"),
            ),
            State(
                name="rejected",
                kind=StateKind.FAILURE,
                label=LocalizedText.of(en="Rejected", id="Ditolak"),
            ),
        ),
        transitions=(
            Transition(
                action="start",
                sources=("submitted",),
                target="verifying",
                roles=("front_office",),
            ),
            Transition(
                action="send_back",
                sources=("verifying",),
                target="returned",
                roles=("verifier",),
                inputs=("reason",),
                effects=("notify_applicant",),
            ),
            Transition(
                action="resubmit",
                sources=("returned",),
                target="verifying",
                roles=("applicant",),
            ),
            Transition(
                action="verify",
                sources=("verifying", "escalated"),
                target="at_agency",
                roles=("verifier", "approver"),
                guards=("documents_verified",),
                effects=("forward_to_agency",),
            ),
            Transition(
                action="approve",
                sources=("at_agency",),
                target="approved",
                roles=("approver",),
                guards=("payment_recorded",),
                effects=("notify_applicant", "request_courier_delivery"),
            ),
            Transition(
                action="reject",
                sources=("verifying", "at_agency", "escalated"),
                target="rejected",
                roles=("approver",),
                inputs=("reason",),
                effects=("notify_applicant",),
            ),
            Transition(
                action="escalate",
                sources=("verifying",),
                target="escalated",
                trigger=Trigger.BREACH,
                effects=("notify_supervisor",),
            ),
            Transition(
                action="deem_approved",
                sources=("at_agency",),
                target="approved",
                trigger=Trigger.TIMER,
                after=Duration.working_days(10),
                effects=("notify_applicant",),
            ),
            Transition(
                action="agency_approved",
                sources=("at_agency",),
                target="approved",
                trigger=Trigger.EVENT,
                event="agency.approved",
            ),
            Transition(
                action="agency_rejected",
                sources=("at_agency",),
                target="rejected",
                trigger=Trigger.EVENT,
                event="agency.rejected",
            ),
        ),
    )


def minimal(**changes: Any) -> Workflow:
    """A valid three-state workflow; keyword arguments replace its attributes."""
    base = Workflow(
        code="mini",
        roles=("clerk",),
        states=(
            State(name="new", kind=StateKind.INITIAL),
            State(name="working", kind=StateKind.ACTIVE),
            State(name="done", kind=StateKind.SUCCESS),
        ),
        transitions=(
            Transition(action="take", sources=("new",), target="working", roles=("clerk",)),
            Transition(action="finish", sources=("working",), target="done", roles=("clerk",)),
        ),
    )
    return attrs.evolve(base, **changes)


def with_states(workflow: Workflow, *states: State) -> Workflow:
    """Return *workflow* with *states* appended."""
    return attrs.evolve(workflow, states=(*workflow.states, *states))


def with_transitions(workflow: Workflow, *transitions: Transition) -> Workflow:
    """Return *workflow* with *transitions* appended."""
    return attrs.evolve(workflow, transitions=(*workflow.transitions, *transitions))


FRONT = Actor(id="officer-1", roles={"front_office"})
VERIFIER = Actor(id="officer-2", roles={"verifier"})
APPROVER = Actor(id="officer-3", roles={"approver"})
SENIOR = Actor(id="officer-4", roles={"verifier", "approver"})
APPLICANT = Actor(id="applicant-9", roles={"applicant"})
