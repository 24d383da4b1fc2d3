"""Who may run an officer's command on an application, and whether it is open to one.

The workflow's roles are its officers', but `APPLICANT_ROLE` (the applicant's) and
`COURIER_ROLE` (a courier takes the transitions that name it, never an officer's work).
Kept apart from `onestop.domain.applications.commands`, which decides each command.
"""

from __future__ import annotations

from onestop.domain.applications.application import Application
from onestop.domain.applications.submission import APPLICANT_ROLE, COURIER_ROLE, role_of
from onestop.domain.common.formats import preview
from onestop.domain.workflow.engine import Actor, allowed_actions
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import CommandRefused, RoleNotAllowed

__all__ = ["officer_role", "officer_roles", "require_open", "submitter_or_officer"]


def officer_roles(workflow: Workflow) -> tuple[str, ...]:
    """The officers' roles of *workflow*: its roles but the applicant's and the courier's."""
    return tuple(role for role in workflow.roles if role not in (APPLICANT_ROLE, COURIER_ROLE))


def officer_role(application: Application, actor: Actor, workflow: Workflow, command: str) -> str:
    """The officer's role *actor* holds in *application*'s agency, to run *command*.

    Raises:
        RoleNotAllowed: If it holds none, naming the officers' roles.
    """
    officers = officer_roles(workflow)
    agency = application.agency
    held = actor.roles_in(agency)
    for role in officers:
        if role in held:
            return role
    raise RoleNotAllowed(
        workflow=workflow.code,
        state=application.state,
        action=command,
        reason=(
            f"it needs one of the officers' roles {', '.join(officers)} in agency {preview(agency)}"
        ),
        allowed=allowed_actions(
            workflow, application.state, actor, application.facts(), agency=agency
        ),
        agency=agency,
    )


def submitter_or_officer(
    application: Application, actor: Actor, workflow: Workflow, command: str
) -> str | None:
    """*actor*'s role if it submitted *application* (the applicant's, or none), else the
    officer's role it holds there.

    Raises:
        RoleNotAllowed: If it neither submitted the application nor is an officer there.
    """
    if actor.id == application.submitted_by:
        return role_of(actor, workflow, agency=application.agency)
    return officer_role(application, actor, workflow, command)


def require_open(application: Application, command: str, *, active: bool = False) -> None:
    """Refuse *command* on a withdrawn or closed application (or, *active*, a suspended one).

    Raises:
        CommandRefused: Saying which.
    """
    if application.withdrawal is not None:
        raise CommandRefused(command=command, reason="the application was withdrawn")
    if application.is_closed:
        raise CommandRefused(
            command=command,
            reason=f"the application is closed in state {preview(application.state)}",
        )
    if active and application.is_suspended:
        raise CommandRefused(command=command, reason="the application is suspended")
