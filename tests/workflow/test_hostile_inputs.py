"""Workflow lookups, the engine, guards and versions raise only onestop's typed errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workflow_samples import FRONT, licence, minimal

from onestop.domain.workflow.engine import (
    allowed_actions,
    due_timers,
    fire,
    fire_automatic,
    on_event,
)
from onestop.domain.workflow.guards import Facts, GuardRegistry, default_guards, split_guard
from onestop.domain.workflow.model import State, Transition, Workflow, check_workflow
from onestop.domain.workflow.versions import MigrationPlan, WorkflowSet
from onestop.exceptions import (
    ConfigurationError,
    InvalidValue,
    OnestopError,
    StateNotFound,
    UnknownGuard,
)

WORKFLOW = licence()

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.binary(max_size=4),
    st.lists(st.text(max_size=3), max_size=3),
    st.tuples(st.text(max_size=3), st.integers()),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.sampled_from(["submitted", "verifying", "start", "send_back", "x" * 300]),
)

CALLS: dict[str, Callable[[object, object], object]] = {
    "fire": lambda a, b: fire(WORKFLOW, a, b, actor=FRONT),  # type: ignore[arg-type]
    "fire with actor": lambda a, b: fire(WORKFLOW, "submitted", "start", actor=a),  # type: ignore[arg-type]
    "fire with inputs": lambda a, b: fire(
        WORKFLOW, "verifying", "send_back", actor=FRONT, inputs=a
    ),  # type: ignore[arg-type]
    "fire with facts": lambda a, b: fire(WORKFLOW, "submitted", "start", actor=FRONT, facts=a),  # type: ignore[arg-type]
    "allowed actions": lambda a, b: allowed_actions(WORKFLOW, a, FRONT),  # type: ignore[arg-type]
    "due timers": lambda a, b: due_timers(WORKFLOW, "verifying", elapsed=a, hours_per_day=b),  # type: ignore[arg-type]
    "on event": lambda a, b: on_event(WORKFLOW, a, b),  # type: ignore[arg-type]
    "fire automatic": lambda a, b: fire_automatic(WORKFLOW, a, b),  # type: ignore[arg-type]
    "state": lambda a, b: WORKFLOW.state(a),  # type: ignore[arg-type]
    "move": lambda a, b: WORKFLOW.move(a, b),  # type: ignore[arg-type]
    "transitions": lambda a, b: (WORKFLOW.manual_transitions(a), WORKFLOW.automatic_transitions(b)),  # type: ignore[arg-type]
    "duty partners": lambda a, b: WORKFLOW.duty_partners(a),  # type: ignore[arg-type]
    "facts": lambda a, b: Facts(answers=a, history=b),  # type: ignore[arg-type]
    "facts lists": lambda a, b: Facts(required_documents=a, documents=b),  # type: ignore[arg-type]
    "split guard": lambda a, b: split_guard(a),  # type: ignore[arg-type]
    "evaluate guard": lambda a, b: default_guards().evaluate(a, Facts()),  # type: ignore[arg-type]
    "register guard": lambda a, b: default_guards().with_guard(a, b),  # type: ignore[arg-type]
    "published version": lambda a, b: WorkflowSet(workflows=(WORKFLOW,)).get(a, b),  # type: ignore[arg-type]
    "latest version": lambda a, b: WorkflowSet(workflows=(WORKFLOW,)).latest(a),  # type: ignore[arg-type]
    "contains": lambda a, b: (a, b) in WorkflowSet(workflows=(WORKFLOW,)),
    "migration": lambda a, b: MigrationPlan(source=WORKFLOW, target=WORKFLOW, state_map=a).check(),  # type: ignore[arg-type]
    "migrate": lambda a, b: MigrationPlan(source=WORKFLOW, target=WORKFLOW).dry_run(a),  # type: ignore[arg-type]
    "apply migration": lambda a, b: MigrationPlan(source=WORKFLOW, target=WORKFLOW).apply(a),  # type: ignore[arg-type]
    "workflow set": lambda a, b: WorkflowSet(workflows=a),  # type: ignore[arg-type]
    "publish": lambda a, b: WorkflowSet().with_workflow(a, known_guards=b),  # type: ignore[arg-type]
    "check": lambda a, b: check_workflow(WORKFLOW, known_guards=a, hours_per_day=b),  # type: ignore[arg-type]
    "check limit": lambda a, b: check_workflow(WORKFLOW, service_limit=a),  # type: ignore[arg-type]
    "workflow": lambda a, b: Workflow(code="w", states=a, transitions=b),  # type: ignore[arg-type]
    "workflow roles": lambda a, b: Workflow(code=a, roles=b),  # type: ignore[arg-type]
    "duties": lambda a, b: minimal(separation_of_duties=(a, b)),
    "state part": lambda a, b: State(name=a, kind=b),  # type: ignore[arg-type]
    "transition": lambda a, b: Transition(action="a", sources=a, target="t", guards=b),  # type: ignore[arg-type]
    "guard mapping": lambda a, b: GuardRegistry(guards=a),  # type: ignore[arg-type]
}


@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@given(first=HOSTILE, second=HOSTILE)
def test_hostile_arguments_give_a_result_or_an_onestop_error(
    call: Callable[[object, object], object], first: object, second: object
) -> None:
    """No bad type, huge value or unhashable key escapes as ValueError, TypeError or KeyError."""
    message = ""
    try:
        call(first, second)
    except OnestopError as error:
        message = str(error)
    assert "x" * 100 not in message


def test_an_unknown_state_is_a_state_not_found() -> None:
    """Asking a workflow for a state it lacks raises StateNotFound (a LookupError), not KeyError."""
    with pytest.raises(StateNotFound) as caught:
        WORKFLOW.state("nowhere")
    assert (caught.value.workflow, caught.value.state) == ("licence", "nowhere")
    assert isinstance(caught.value, LookupError)


@pytest.mark.parametrize("elapsed", [True, "3", 1.5, None])
def test_elapsed_time_is_a_duration_or_whole_hours(elapsed: object) -> None:
    """A bool is not one working hour: due_timers refuses it, naming the argument."""
    with pytest.raises(InvalidValue) as caught:
        due_timers(WORKFLOW, "verifying", elapsed=elapsed)  # type: ignore[arg-type]
    assert caught.value.field == "elapsed"


@pytest.mark.parametrize("name", [7, None, "", "a:b", " a"])
def test_a_guard_name_is_non_empty_text_without_a_colon(name: object) -> None:
    """Registering a guard under a name that is not one is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        default_guards().with_guard(name, lambda facts, argument: None)  # type: ignore[arg-type]


def test_an_unhashable_guard_name_is_unknown() -> None:
    """Looking up a guard by a list is an UnknownGuard, not a TypeError."""
    with pytest.raises(UnknownGuard):
        default_guards().get(["documents_verified"])  # type: ignore[arg-type]


def test_a_non_pair_state_map_is_a_plan_problem() -> None:
    """A migration state map entry that is not a pair is reported by check(), not crashed on."""
    source = minimal()
    target = minimal(version=2)
    plan = MigrationPlan(source=source, target=target, state_map=(("new",), "ab"))  # type: ignore[arg-type]
    assert [p.path for p in plan.check()] == ["state_map[0]", "state_map[1]"]


@pytest.mark.parametrize(
    "guards",
    [{7: lambda facts, argument: None}, {"ok": 5}, {"a:b": lambda facts, argument: None}, "x"],
    ids=["name not text", "not callable", "colon", "not a mapping"],
)
def test_a_guard_table_is_checked_as_with_guard_checks(guards: object) -> None:
    """GuardRegistry(guards=...) refuses what with_guard refuses: ConfigurationError, not a
    TypeError when the names are sorted."""
    with pytest.raises(ConfigurationError):
        GuardRegistry(guards=guards)  # type: ignore[arg-type]


def test_parts_of_the_wrong_type_are_refused_when_a_workflow_is_built() -> None:
    """A transition that is a list, or a state that is text, is InvalidValue naming it."""
    with pytest.raises(InvalidValue) as caught:
        minimal(transitions=(["take"],))
    assert caught.value.field == "transitions[0]"
    with pytest.raises(InvalidValue) as caught:
        minimal(states="new")
    assert caught.value.field == "states"
    with pytest.raises(InvalidValue) as caught:
        WorkflowSet(workflows="pick_up")  # type: ignore[arg-type]
    assert caught.value.field == "workflows"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"known_guards": [["documents_verified"]]}, "known_guards"),
        ({"known_guards": [b"documents_verified"]}, "known_guards"),
        ({"known_guards": "documents_verified"}, "known_guards"),
        ({"hours_per_day": 10**20}, "hours_per_day"),
        ({"hours_per_day": True}, "hours_per_day"),
        ({"service_limit": "5 working days"}, "service_limit"),
    ],
)
def test_the_checks_arguments_have_their_types(arguments: dict[str, object], field: str) -> None:
    """check_workflow refuses known guards that are not names, or odd hours, with InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        check_workflow(WORKFLOW, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_many_known_guards_are_listed_ten_at_most() -> None:
    """An unknown guard's problem lists ten known names, then how many there are."""
    known = [f"guard_{i:04d}" for i in range(5000)]
    workflow = minimal(
        transitions=(
            Transition(
                action="take", sources=("new",), target="working", roles=("clerk",), guards=("x",)
            ),
            *minimal().transitions[1:],
        )
    )
    (problem,) = check_workflow(workflow, known_guards=known)
    assert "(5000 in all)" in problem.message
    assert len(problem.message) < 400
