"""Every exception onestop raises derives from `OnestopError`.

The tree::

    OnestopError
    ├── ConfigurationError              a setting or wiring is wrong (unknown store URL scheme, ...)
    ├── CatalogueError                  a catalogue could not be read or is not valid
    │   ├── CatalogueReadError (OSError)    a path is missing or unreadable; `.path`
    │   ├── InvalidCatalogue (ValueError)   `.problems` lists every `Problem` found
    │   ├── RuleSyntaxError (ValueError)    a requirement's condition does not parse
    │   └── InvalidValue (ValueError)       a value object got a bad value; `.field`, `.reason`
    ├── NotFound (LookupError)
    │   ├── AgencyNotFound                  `.code`
    │   ├── ServiceNotFound                 `.code`, `.at`
    │   └── WorkflowNotFound                `.code`
    └── WorkflowError
        ├── InvalidWorkflow (ValueError)    `.workflow`, `.problems`
        ├── TransitionNotAllowed            `.workflow`, `.state`, `.action`, `.reason`, `.allowed`
        │   ├── RoleNotAllowed              the actor holds none of the action's roles
        │   ├── GuardFailed                 `.guard`; a guard refused, with its explanation
        │   ├── SeparationOfDutiesViolation `.actor`, `.earlier_action`
        │   └── MissingInput                `.missing`: required inputs not given
        ├── UnknownGuard                    `.guard`: no guard of that name is registered
        └── MigrationError                  `.problems`: a migration plan does not fit

Every error carries typed attributes; its message is built from them and never contains
personal data.  Catch `OnestopError` to catch everything onestop raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

__all__ = [
    "AgencyNotFound",
    "CatalogueError",
    "CatalogueReadError",
    "ConfigurationError",
    "GuardFailed",
    "InvalidCatalogue",
    "InvalidValue",
    "InvalidWorkflow",
    "MigrationError",
    "MissingInput",
    "NotFound",
    "OnestopError",
    "Problem",
    "RoleNotAllowed",
    "RuleSyntaxError",
    "SeparationOfDutiesViolation",
    "ServiceNotFound",
    "TransitionNotAllowed",
    "UnknownGuard",
    "WorkflowError",
    "WorkflowNotFound",
]


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with a catalogue or workflow, and where it is.

    Attributes:
        path: Where in the document, e.g. ``services[3].fees[0].amount``;
            empty for the whole document.
        message: What is wrong, in one sentence.
        file: The file it was read from, or ``None`` when it was built in Python.
    """

    path: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        """Render as ``file: path: message``, leaving out the parts that are empty."""
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])

    def located(self, file: str | None, prefix: str = "") -> Problem:
        """Return this problem re-anchored in *file*, with *prefix* joined before its path."""
        path = _join_path(prefix, self.path)
        return Problem(path=path, message=self.message, file=file)


def _join_path(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


class OnestopError(Exception):
    """The root of every exception onestop raises."""


class ConfigurationError(OnestopError):
    """A setting or the wiring of components is wrong."""


class CatalogueError(OnestopError):
    """A catalogue could not be read or is not valid."""


class CatalogueReadError(CatalogueError, OSError):
    """A catalogue path is missing or cannot be read.

    Attributes:
        path: The path as given.
        reason: Why it could not be read.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class InvalidCatalogue(CatalogueError, ValueError):
    """A catalogue has problems; `problems` lists every one found, not just the first.

    Attributes:
        problems: Each problem with its file and path.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"catalogue has {count} problem(s): {head}{more}")


class RuleSyntaxError(CatalogueError, ValueError):
    """A rule expression does not parse, or passes a safety limit.

    Attributes:
        expression: The rule as written.
        position: The character offset where the problem was found.
        reason: What is wrong there.
    """

    def __init__(self, *, expression: str, position: int, reason: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"{reason} at position {position} in rule {shown!r}")


class InvalidValue(CatalogueError, ValueError):
    """A value object was given a value it cannot hold.

    Attributes:
        field: The name of the offending attribute.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class NotFound(OnestopError, LookupError):
    """Something asked for by its code or id does not exist."""


class AgencyNotFound(NotFound):
    """No agency has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no agency with code {code!r}")


class ServiceNotFound(NotFound):
    """No service has this code, or none of its versions applies at the time asked.

    Attributes:
        code: The code asked for.
        at: The time asked for, if any.
        known: Some known codes, to help the caller.
    """

    def __init__(self, code: str, *, at: datetime | None = None, known: Sequence[str] = ()) -> None:
        self.code = code
        self.at = at
        self.known = tuple(known)
        when = f" in effect at {at.isoformat()}" if at is not None else ""
        hint = f"; known: {', '.join(self.known[:10])}" if self.known else ""
        super().__init__(f"no published service {code!r}{when}{hint}")


class WorkflowNotFound(NotFound):
    """No workflow has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no workflow with code {code!r}")


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
        super().__init__(f"workflow {workflow!r} is invalid: {head}{more}")


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
            f"{action!r} is not allowed in state {state!r} of workflow {workflow!r}: "
            f"{reason} (allowed now: {options})"
        )


class RoleNotAllowed(TransitionNotAllowed):
    """The actor holds none of the roles the action needs."""


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
            reason=f"guard {guard!r} refused: {reason}",
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
            reason=f"actor {actor!r} already took {earlier_action!r} on this application",
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
        super().__init__(f"no guard named {guard!r}; known: {', '.join(self.known) or 'none'}")


class MigrationError(WorkflowError, ValueError):
    """A migration plan between workflow versions does not fit.

    Attributes:
        problems: Every problem with the plan.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("migration plan is invalid: " + "; ".join(str(p) for p in self.problems))
