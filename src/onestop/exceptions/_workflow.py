"""Errors of workflows: definitions, transitions, guards, migrations and versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from onestop.exceptions._base import NotFound, OnestopError, Problem, _shown


class WorkflowError(OnestopError):
    """A workflow definition or a transition is wrong."""


class InvalidWorkflow(WorkflowError, ValueError):
    """A workflow definition failed validation.

    Attributes:
        workflow: The workflow's code.
        problems: Every problem found; each path names the state or action.
    """

    def __init__(self, workflow: str, problems: Iterable[Problem]) -> None:
        self.workflow = workflow
        self.problems: tuple[Problem, ...] = tuple(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"workflow {_shown(workflow)} is invalid: {head}{more}")


class TransitionNotAllowed(WorkflowError):
    """An action cannot be taken now; `allowed` names what this actor may do instead.

    Attributes:
        workflow: The workflow's code.
        state: The current state.
        action: The action tried.
        reason: Why it was refused.
        allowed: The actions this actor may take in this state.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        reason: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.workflow = workflow
        self.state = state
        self.action = action
        self.reason = reason
        self.allowed = tuple(allowed)
        options = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(
            f"{_shown(action)} is not allowed in state {_shown(state)} "
            f"of workflow {_shown(workflow)}: "
            f"{reason} (allowed now: {options})"
        )


class RoleNotAllowed(TransitionNotAllowed):
    """The actor holds none of the roles the action needs, in the application's agency.

    Attributes:
        agency: The code of the agency the roles were needed in (the application's);
            ``None`` when none was given, so that only mall-wide roles counted.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        reason: str,
        allowed: Sequence[str] = (),
        agency: str | None = None,
    ) -> None:
        self.agency = agency
        super().__init__(
            workflow=workflow, state=state, action=action, reason=reason, allowed=allowed
        )


class GuardFailed(TransitionNotAllowed):
    """A guard refused the transition.

    Attributes:
        guard: The guard's name; `reason` holds its explanation.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        guard: str,
        reason: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.guard = guard
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=f"guard {_shown(guard)} refused: {reason}",
            allowed=allowed,
        )


class SeparationOfDutiesViolation(TransitionNotAllowed):
    """One person may not take both actions of a separation-of-duties pair.

    Attributes:
        actor: The actor's id (an officer id, never personal data).
        earlier_action: The action this actor already took on the application.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        actor: str,
        earlier_action: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.actor = actor
        self.earlier_action = earlier_action
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=(
                f"actor {_shown(actor)} already took {_shown(earlier_action)} on this application"
            ),
            allowed=allowed,
        )


class MissingInput(TransitionNotAllowed):
    """The action needs inputs that were not given.

    Attributes:
        missing: The names of the missing inputs.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        missing: Sequence[str],
        allowed: Sequence[str] = (),
    ) -> None:
        self.missing = tuple(missing)
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=f"missing input(s): {', '.join(self.missing)}",
            allowed=allowed,
        )


class UnknownGuard(WorkflowError, LookupError):
    """No guard of this name is registered.

    Attributes:
        guard: The name asked for.
        known: The registered names.
    """

    def __init__(self, guard: str, *, known: Sequence[str] = ()) -> None:
        self.guard = guard
        self.known = tuple(known)
        super().__init__(
            f"no guard named {_shown(guard)}; known: {', '.join(self.known) or 'none'}"
        )


class MigrationError(WorkflowError, ValueError):
    """A migration plan between workflow versions does not fit.

    The message shows the first three problems and counts the rest, as
    `InvalidWorkflow`'s does.

    Attributes:
        problems: Every problem with the plan.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"migration plan is invalid: {head}{more}")


class WorkflowVersionConflict(WorkflowError, ValueError):
    """A published workflow version cannot be replaced by a different definition.

    Publish the change as a new version instead; applications stay on the old one.

    Attributes:
        code: The workflow's code.
        version: The version already published.
    """

    def __init__(self, code: str, version: int) -> None:
        self.code = code
        self.version = version
        super().__init__(
            f"workflow {_shown(code)} version {version} is already published with a different "
            "definition; publish the change as a new version"
        )


class StateNotFound(NotFound):
    """A workflow has no state of this name.

    Attributes:
        workflow: The workflow's code.
        state: The name asked for (shortened in the message if long).
    """

    def __init__(self, *, workflow: str, state: str) -> None:
        self.workflow = workflow
        self.state = state
        super().__init__(f"workflow {_shown(workflow)} has no state {_shown(state)}")


class WorkflowNotFound(NotFound):
    """No workflow has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no workflow with code {_shown(code)}")


class WorkflowVersionNotFound(WorkflowNotFound):
    """The workflow exists, but not in the version asked for.

    Attributes:
        version: The version asked for.
        known: The versions that exist, ascending.
    """

    def __init__(self, code: str, version: int, *, known: Sequence[int] = ()) -> None:
        super().__init__(code)
        self.version = version
        self.known = tuple(known)
        shown = ", ".join(str(v) for v in self.known) or "none"
        self.args = (
            f"no version {_shown(version)} of workflow {_shown(code)}; known versions: {shown}",
        )
