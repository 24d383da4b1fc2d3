"""What firing a transition produces: a `Step`, and the events it carries.

A `Move` is everything about a transition taken from one state that does not depend on
who takes it: the workflow and version, source and target, the action, its effects and
the events it emits.  A `Workflow` builds one `Move` per ``(state, action)`` when it is
constructed, so firing a transition only adds a small `Step` (who, in which role, with
which inputs) on top of a shared, immutable `Move`.

>>> from onestop.domain.workflow.model import Transition
>>> move = Move.of(
...     "licence",
...     1,
...     "verified",
...     Transition(action="approve", sources=("verified",), target="approved",
...                effects=("notify_applicant",)),
... )
>>> [type(event).__name__ for event in move.events]
['StateChanged', 'EffectRequested']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

import attrs

from onestop.domain.common.kinds import check_type

if TYPE_CHECKING:
    from onestop.domain.workflow.model import Transition, Trigger

__all__ = ["EffectRequested", "Move", "StateChanged", "Step", "WorkflowEvent"]


@attrs.frozen(kw_only=True)
class StateChanged:
    """An application moved from one state to another.

    Attributes:
        source: The state it left.
        target: The state it entered (may equal `source` for a self-loop).
        action: The action that moved it.
    """

    source: str
    target: str
    action: str


@attrs.frozen(kw_only=True)
class EffectRequested:
    """A transition asks the world to do something (notify, forward, send a courier).

    Attributes:
        effect: The effect's name, as listed on the transition (``notify_applicant``).
        action: The action that requested it.
        state: The state the application entered.
    """

    effect: str
    action: str
    state: str


WorkflowEvent: TypeAlias = StateChanged | EffectRequested
"""What a step emits, which is one `StateChanged`, then one `EffectRequested` per effect."""


@attrs.frozen(kw_only=True)
class Move:
    """A transition taken from one source state, independent of who takes it.

    Attributes:
        workflow: The workflow's code.
        version: The workflow's version.
        source: The state left.
        transition: The transition taken.
        events: `StateChanged` followed by one `EffectRequested` per effect.
    """

    workflow: str
    version: int
    source: str
    transition: Transition
    events: tuple[WorkflowEvent, ...]

    @classmethod
    def of(cls, workflow: str, version: int, source: str, transition: Transition) -> Move:
        """Build the move *transition* makes from *source*, with its events.

        Raises:
            InvalidValue: If *transition* is not a `Transition`.
        """
        from onestop.domain.workflow.model import Transition  # noqa: PLC0415 - model imports steps

        check_type(transition, Transition, field="transition")
        target, action = transition.target, transition.action
        events: tuple[WorkflowEvent, ...] = (
            StateChanged(source=source, target=target, action=action),
            *(EffectRequested(effect=e, action=action, state=target) for e in transition.effects),
        )
        return cls(
            workflow=workflow, version=version, source=source, transition=transition, events=events
        )

    @property
    def target(self) -> str:
        """The state entered."""
        return self.transition.target

    @property
    def action(self) -> str:
        """The action taken."""
        return self.transition.action


@attrs.frozen
class Step:
    """The result of firing a transition: the next state and the events to record.

    A step is also the audit record of the transition: who, in which role, did what,
    from where to where, with which inputs.  Unlike the other records it accepts
    positional arguments, because the engine builds one per transition and a positional
    call costs a third less in CPython.

    Attributes:
        move: The transition taken and from where (shared by every step that takes it).
        actor: The actor's id (``system`` for automatic transitions).
        role: The role the action was taken in, or ``None`` for the system.
        inputs: The inputs given (a read-only view).
    """

    move: Move
    actor: str
    role: str | None
    inputs: Mapping[str, object]

    @property
    def workflow(self) -> str:
        """The workflow's code."""
        return self.move.workflow

    @property
    def version(self) -> int:
        """The workflow version the application is pinned to."""
        return self.move.version

    @property
    def source(self) -> str:
        """The state before."""
        return self.move.source

    @property
    def target(self) -> str:
        """The state after."""
        return self.move.transition.target

    @property
    def action(self) -> str:
        """The action taken."""
        return self.move.transition.action

    @property
    def effects(self) -> tuple[str, ...]:
        """The effects requested, in the order listed on the transition."""
        return self.move.transition.effects

    @property
    def trigger(self) -> Trigger:
        """What fired the transition."""
        return self.move.transition.trigger

    @property
    def events(self) -> tuple[WorkflowEvent, ...]:
        """`StateChanged` followed by one `EffectRequested` per effect."""
        return self.move.events
