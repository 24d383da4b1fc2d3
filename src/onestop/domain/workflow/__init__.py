"""Workflows: the state machine model, its checks, the engine that fires it, guards, versions.

The package re-exports `onestop.domain.workflow.model` (states, transitions, workflows).
"""

from __future__ import annotations

from onestop.domain.workflow.model import (
    ClockMode,
    State,
    StateKind,
    Transition,
    Trigger,
    Workflow,
    check_workflow,
    validate_workflow,
)

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
