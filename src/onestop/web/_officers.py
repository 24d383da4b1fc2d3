"""Officers' endpoints: an application's state and version, and workflow actions.

- ``GET /api/v1/applications/{application_id}``: the application's state and version,
  with the version as its ``ETag``;
- ``POST /api/v1/applications/{application_id}/actions``: a workflow action, with
  ``If-Match`` naming the version acted on (required: 428 without).  A stale version is
  412; losing a race in the store to another writer is 409.

Both are for signed-in staff only (`onestop.web._staff_auth`: a session cookie, with its
CSRF token to act, or an API token).  The acting officer is the authenticated one, with
the roles and grants in force at this request, never one a request names; an officer
with no role in force at the application's agency gets the 404 of an unknown id, and the
engine checks the action's role in the agency and separation of duties.  The credential is
checked by a route guard, before the body is read: a request without a known one learns
nothing of what it sent, and the answer to no credential and to a wrong one is the same.

**Races.**  Two officers acting on the same version can both pass the ``If-Match``
check, but only one commit can follow that version: the store refuses the other
(`onestop.exceptions.ConcurrencyConflict`, 409).  An officer whose ``If-Match`` is
already stale when the request arrives gets 412 (`onestop.exceptions.VersionMismatch`)
and nothing is decided.  Since the version is checked before the workflow is asked, a
transition refused because another officer moved the state first is always one of
those two, never a 409 ``TransitionNotAllowed`` or a 422: every lost race is a 409 or a
412, and reloading the application (its new ``ETag``) is the way on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from litestar import Request, Response, get, post
from litestar.params import JSONBody

from onestop.domain.applications.application import Application
from onestop.web._api import runtime_of
from onestop.web._problems import problem_responses
from onestop.web._staff_access import ensure_readable
from onestop.web._staff_auth import staff_of, staff_only
from onestop.web._versions import IfMatch, matching_version
from onestop.web._wire import Body, PathId

__all__ = ["ROUTES", "ActionRequest", "ApplicationView", "answered"]


@attrs.frozen(kw_only=True)
class ApplicationView:
    """An application as an officer's client sees it (no personal data).

    Attributes:
        application_id: Its id.
        number: Its number.
        service: The service's code.
        agency: The agency's code.
        state: Its workflow state.
        version: How many events it has: name it in ``If-Match`` to act on it.
        closed: Whether it is finished.
        suspended: Whether it is suspended.
    """

    application_id: str
    number: str
    service: str
    agency: str
    state: str
    version: int
    closed: bool
    suspended: bool


@attrs.frozen(kw_only=True)
class ActionRequest:
    """A workflow action to take.

    Attributes:
        action: The action's name in the workflow.
        inputs: The action's inputs, as text.
    """

    action: str
    inputs: Mapping[str, str] = attrs.field(factory=dict)


def _view(application: Application) -> ApplicationView:
    return ApplicationView(
        application_id=application.id,
        number=application.number,
        service=application.service,
        agency=application.agency,
        state=application.state,
        version=application.version,
        closed=application.is_closed,
        suspended=application.is_suspended,
    )


def answered(application: Application, /) -> Response[ApplicationView]:
    """The officers' view of *application*, its version as the ``ETag``."""
    return Response(_view(application), headers={"ETag": f'"{application.version}"'})


@get(
    "/api/v1/applications/{application_id:str}",
    return_dto=Body[ApplicationView],
    tags=["staff"],
    guards=[staff_only],
    responses=problem_responses(400, 401, 404),
    summary="Read an application's state and version (staff)",
)
async def read_application(
    request: Request[Any, Any, Any], application_id: PathId
) -> Response[ApplicationView]:
    """An application's state and version, the version as its ETag."""

    def read() -> Response[ApplicationView]:
        ensure_readable(request, application_id)  # another agency's: the 404 of a missing one
        return answered(runtime.mall.application(application_id))

    runtime = runtime_of(request)
    return await runtime.read(read)


@post(
    "/api/v1/applications/{application_id:str}/actions",
    dto=Body[ActionRequest],
    return_dto=Body[ApplicationView],
    tags=["staff"],
    status_code=200,
    guards=[staff_only],
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428),
    summary="Take a workflow action (staff)",
)
async def act(
    request: Request[Any, Any, Any],
    application_id: PathId,
    data: JSONBody[ActionRequest],
    if_match: IfMatch = None,
) -> Response[ApplicationView]:
    """Take a workflow action as the signed-in officer, on the version named in If-Match."""
    runtime = runtime_of(request)
    mall = runtime.mall

    def check() -> int:  # reads only: who acts, on what, at which version
        summary = ensure_readable(request, application_id)  # its read-model row
        # the row is written with every event: its version is the stream's
        return matching_version(if_match, summary.version)

    def write() -> Response[ApplicationView]:
        changed = mall.act(
            application_id,
            data.action,
            actor=staff_of(request).actor,
            inputs=dict(data.inputs),
            expected_version=expected,
        )
        return answered(changed)

    expected = await runtime.read(check)
    return await runtime.write(write)


ROUTES = [read_application, act]
"""The officers' route handlers."""
