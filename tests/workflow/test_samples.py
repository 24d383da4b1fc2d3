"""The sample catalogues' workflows: every service has one, and they behave as defined."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.workflow.engine import Actor, fire
from onestop.domain.workflow.guards import Facts, default_guards
from onestop.domain.workflow.model import Trigger, Workflow, check_workflow
from onestop.domain.workflow.render import to_dot, to_mermaid
from onestop.exceptions import (
    GuardFailed,
    MissingInput,
    RoleNotAllowed,
    TransitionNotAllowed,
)
from onestop.usecases.catalogue.loading import load_catalogue

ROOT = Path(__file__).parent.parent.parent
SAMPLES = {
    "jakarta": ROOT / "examples" / "jakarta",
    "cambodia": ROOT / "examples" / "cambodia",
    "korea": ROOT / "examples" / "korea",
    "egypt": ROOT / "examples" / "egypt",
    "tutorial": ROOT / "examples" / "tutorial",
}
NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def catalogue(request: pytest.FixtureRequest) -> Catalogue:
    return load_catalogue(SAMPLES[request.param], known_guards=default_guards().names())


def test_every_current_service_has_a_valid_workflow(catalogue: Catalogue) -> None:
    """Every service in effect names a workflow that exists and passes validation."""
    services = catalogue.current_services(at=NOW)
    assert services
    for service in services:
        assert service.workflow is not None, service.code
        workflow = catalogue.workflow(service.workflow)
        assert check_workflow(workflow, service_limit=service.time_limit) == []


def _full_facts() -> Facts:
    """Facts under which every built-in guard passes, so only roles decide."""
    return Facts(
        required_documents=(),
        documents={},
        payments=("receipt-1",),
        courier_jobs={"job-1": "delivered"},
        answers={},
    )


def _matrix(workflow: Workflow) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """Fire every role x state x action and split the triples into allowed and refused."""
    allowed: set[tuple[str, str, str]] = set()
    refused: set[tuple[str, str, str]] = set()
    actions = sorted({t.action for t in workflow.transitions} | {"no-such-action"})
    for role, state, action in itertools.product(workflow.roles, workflow.state_names, actions):
        inputs = {"reason": "incomplete", "verdict": "verified", "reason_code": "R1"}
        try:
            step = fire(
                workflow,
                state,
                action,
                actor=Actor(id="officer-1", roles=frozenset({role})),
                inputs=inputs,
                facts=_full_facts(),
            )
        except GuardFailed:
            allowed.add((role, state, action))  # the role may act; a guard on the facts refused
        except (RoleNotAllowed, MissingInput, TransitionNotAllowed):
            refused.add((role, state, action))
        else:
            assert step.source == state
            allowed.add((role, state, action))
    return allowed, refused


def _expected(workflow: Workflow) -> set[tuple[str, str, str]]:
    return {
        (role, source, t.action)
        for t in workflow.transitions
        if t.trigger is Trigger.MANUAL
        for source in t.sources
        for role in t.roles
    }


def test_role_state_action_matrix_matches_the_definitions(catalogue: Catalogue) -> None:
    """Exhaustively, a role may take an action in a state exactly when a transition says so."""
    checked = 0
    for workflow in catalogue.workflows:
        allowed, refused = _matrix(workflow)
        assert allowed == _expected(workflow), workflow.code
        assert not allowed & refused
        checked += len(allowed) + len(refused)
    assert checked > 0


def test_final_states_allow_nothing(catalogue: Catalogue) -> None:
    """No role can act in a final state of any sample workflow."""
    for workflow in catalogue.workflows:
        for state in workflow.states:
            if state.is_final:
                assert workflow.manual_transitions(state.name) == ()


@pytest.mark.parametrize("language", ["en", "id", "km", "ko"])
def test_every_sample_service_renders_as_mermaid_and_dot(
    catalogue: Catalogue, language: str
) -> None:
    """Each service's workflow renders as Mermaid and as DOT naming every state."""
    for service in catalogue.current_services(at=NOW):
        assert service.workflow is not None
        workflow = catalogue.workflow(service.workflow)
        mermaid = to_mermaid(workflow, language=language, fallbacks=catalogue.languages)
        dot = to_dot(workflow, language=language, fallbacks=catalogue.languages)
        assert mermaid.startswith("stateDiagram-v2")
        assert dot.startswith("digraph")
        assert dot.rstrip().endswith("}")
        for state in workflow.state_names:
            assert state in mermaid
            assert f'"{state}"' in dot
