"""The workflow model: data shaped like the catalogue files, with pre-built lookups."""

from __future__ import annotations

import tomllib

import attrs
from workflow_samples import licence, minimal

from onestop.domain.common.values import Duration
from onestop.domain.workflow.model import ClockMode, StateKind, Trigger, Workflow
from onestop.domain.workflow.steps import Move
from onestop.serialization import make_converter

FRAGMENT = """
[[workflows]]
code = "passport"
version = 2
roles = ["clerk", "officer"]
separation_of_duties = [["interview", "approve"]]
name = { en = "Passport", id = "Paspor" }

[[workflows.states]]
name = "submitted"
kind = "initial"
label = { en = "Submitted" }

[[workflows.states]]
name = "interviewing"
kind = "active"
label = { en = "Interview" }
time_limit = "3 working days"

[[workflows.states]]
name = "waiting_photo"
kind = "waiting_applicant"
label = { en = "Waiting for a photo" }
clock = "running"

[[workflows.states]]
name = "issued"
kind = "success"
label = { en = "Issued" }
public_label = { en = "Ready for pick-up" }

[[workflows.transitions]]
action = "interview"
sources = ["submitted", "waiting_photo"]
target = "interviewing"
roles = ["clerk"]

[[workflows.transitions]]
action = "ask_photo"
sources = ["interviewing"]
target = "waiting_photo"
roles = ["officer"]
inputs = ["reason"]
effects = ["notify_applicant"]

[[workflows.transitions]]
action = "approve"
sources = ["interviewing"]
target = "issued"
roles = ["officer"]
guards = ["documents_verified", "field_has_value:passport_type"]
effects = ["notify_applicant", "request_courier_delivery"]

[[workflows.transitions]]
action = "deem_issued"
sources = ["interviewing"]
target = "issued"
trigger = "timer"
after = "20 working days"
"""


def load_fragment() -> Workflow:
    data = tomllib.loads(FRAGMENT)["workflows"][0]
    workflow = make_converter().structure(data, Workflow)
    assert isinstance(workflow, Workflow)
    return workflow


def test_catalogue_keys_structure_into_the_model() -> None:
    """A ``[[workflows]]`` table structures into the classes, keys matching attribute names."""
    workflow = load_fragment()
    assert (workflow.code, workflow.version, workflow.roles) == (
        "passport",
        2,
        ("clerk", "officer"),
    )
    assert workflow.separation_of_duties == (("interview", "approve"),)
    interviewing = workflow.state("interviewing")
    assert interviewing.time_limit == Duration.working_days(3)
    assert workflow.state("waiting_photo").clock_mode is ClockMode.RUNNING
    assert workflow.state("issued").public_label is not None
    timer = workflow.transition("interviewing", "deem_issued")
    assert timer is not None
    assert (timer.trigger, timer.after) == (Trigger.TIMER, Duration.working_days(20))


def test_round_trip_through_the_converter() -> None:
    """Unstructuring and structuring again gives an equal workflow, with working lookups."""
    converter = make_converter()
    workflow = load_fragment()
    again = converter.structure(converter.unstructure(workflow), Workflow)
    assert again == workflow
    assert again.transition("submitted", "interview") is not None


def test_the_index_is_private_data() -> None:
    """The pre-built lookups take no part in equality, repr or the unstructured form."""
    workflow = licence()
    assert "_index" not in repr(workflow)
    assert "_index" not in make_converter().unstructure(workflow)
    assert hash(workflow) == hash(licence())


def test_lookups() -> None:
    """A workflow answers its states, transitions and moves by name, and its initial state."""
    workflow = licence()
    assert workflow.initial_state == "submitted"
    assert workflow.state("returned").kind is StateKind.WAITING_APPLICANT
    assert workflow.transition("verifying", "verify") is workflow.transitions[3]
    assert workflow.transition("submitted", "verify") is None
    move = workflow.move("escalated", "verify")
    assert isinstance(move, Move)
    assert (move.workflow, move.version, move.source, move.target) == (
        "licence",
        1,
        "escalated",
        "at_agency",
    )
    assert [t.action for t in workflow.manual_transitions("at_agency")] == ["approve", "reject"]
    assert [t.action for t in workflow.automatic_transitions("at_agency")] == [
        "deem_approved",
        "agency_approved",
        "agency_rejected",
    ]
    assert workflow.duty_partners("approve") == {"verify"}
    assert workflow.duty_partners("start") == frozenset()


def test_evolve_rebuilds_the_lookups() -> None:
    """A workflow derived with attrs.evolve indexes its own transitions."""
    changed = attrs.evolve(minimal(), transitions=minimal().transitions[:1])
    assert changed.transition("working", "finish") is None
    assert minimal().transition("working", "finish") is not None


def test_ambiguous_definitions_take_the_first_declaration() -> None:
    """Until validation rejects it, an ambiguous action resolves to its first declaration."""
    first, second = minimal().transitions
    duplicate = attrs.evolve(second, target="new")
    workflow = attrs.evolve(minimal(), transitions=(first, second, duplicate))
    found = workflow.transition("working", "finish")
    assert found is not None
    assert found.target == "done"


def test_no_initial_state_is_none() -> None:
    """A workflow without an initial state says so instead of raising."""
    workflow = attrs.evolve(minimal(), states=minimal().states[1:])
    assert workflow.initial_state is None
