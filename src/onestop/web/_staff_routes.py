"""The staff endpoints under ``/api/v1/staff``: worklists, reading, verdicts, notes,
assignment, hash chains and the SLA report.

Every handler acts as the member of staff the request authenticated
(`onestop.web._staff_auth.staff_of`: a session cookie or an API token); no request names
its actor.  Who may do what is decided in one place,
`onestop.usecases.staff.authorisation`; the handlers only ask it:

- **Reading** an application needs a role in force at its agency (or mall-wide).
  Another agency's application is answered exactly like a missing one: the same 404,
  byte for byte but for ``X-Request-Id``, so ids cannot be probed.
- **Personal data** (the applicant, the answers, the notes' texts) is sent only to
  whom ``may_see_personal_data`` allows (an inspector needs ``personal_data`` beside
  ``inspector``), and each time it is sent the read is appended to the access record
  (who, which application, what, the route template and the request's id).
- **Worklists** are filtered by the caller's grants in the store query itself
  (``worklist_agencies``): one read-model query per page, whatever the number of grants.
- **Changes** (a verdict, a note, an assignment) name the version acted on in
  ``If-Match``: 428 without, 412 when stale, 409 when another writer won the race,
  exactly like ``POST /api/v1/applications/{id}/actions``.  The role and the separation
  of duties are then checked by the workflow engine on the authenticated officer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import attrs
from litestar import Request, Response, get, post, put
from litestar.params import JSONBody, QueryParameter

from onestop.domain.applications._permissions import officer_roles
from onestop.domain.applications.application import Application
from onestop.domain.applications.submission import find_workflow
from onestop.domain.staff.accounts import StaffIdentity
from onestop.exceptions import (
    InvalidRequest,
    InvalidValue,
    NotAuthenticated,
    Problem,
)
from onestop.ports.events import Page
from onestop.usecases.applications.queries import agencies_under, worklist_query
from onestop.usecases.staff.authorisation import may_see_personal_data, worklist_agencies
from onestop.web._api import runtime_of
from onestop.web._officers import ApplicationView, answered
from onestop.web._problems import problem_responses
from onestop.web._runtime import Runtime
from onestop.web._staff_access import ensure_readable, record_access
from onestop.web._staff_auth import staff_of, staff_only
from onestop.web._staff_views import (
    AssignmentRequest,
    ChainView,
    NoteRequest,
    SlaReportView,
    SlaRow,
    StaffApplicationView,
    VerdictRequest,
    WorklistPage,
    history_of,
    personal_of,
    row_of,
)
from onestop.web._versions import IfMatch, matching_version, tagged
from onestop.web._wire import END, Body, PathId

__all__ = ["ROUTES", "TAG"]

_CODE = rf"^[a-z0-9][a-z0-9_-]{{0,63}}{END}"

TAG = "staff"
"""The OpenAPI tag of the staff endpoints."""


def _staff_view(application: Application, *, personal: bool) -> StaffApplicationView:
    """The staff's view of *application*; with *personal*, its personal data, unless it
    was erased (the view then says when, and holds none)."""
    erased = application.erased
    return StaffApplicationView(
        application_id=application.id,
        number=application.number,
        service=application.service,
        agency=application.agency,
        channel=application.channel.value,
        state=application.state,
        version=application.version,
        closed=application.is_closed,
        suspended=application.is_suspended,
        assignee=application.assignee,
        received=application.received,
        required=application.required,
        documents=tuple(application.documents),
        verdicts={code: check.verdict for code, check in application.checks.items()},
        history=history_of(application),
        erased_at=None if erased is None else erased.at,
        personal=personal_of(application) if personal and erased is None else None,
    )


@get(
    "/api/v1/staff/worklist",
    return_dto=Body[WorklistPage],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="The open applications the caller may work on, earliest due first",
)
def worklist(
    request: Request[Any, Any, Any],
    in_state: Annotated[str | None, QueryParameter(name="state", pattern=_CODE)] = None,
    agency: Annotated[str | None, QueryParameter(name="agency", pattern=_CODE)] = None,
    assignee: Annotated[
        str | None, QueryParameter(name="assignee", min_length=1, max_length=128)
    ] = None,
    cursor: Annotated[
        str | None, QueryParameter(name="cursor", min_length=1, max_length=512)
    ] = None,
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
) -> WorklistPage:
    """Open applications of the agencies the caller holds a role at (and the state,
    agency, with its sub-agencies, and assignee asked), in one store query."""
    identity = staff_of(request)
    mall = runtime_of(request).mall
    query = worklist_query(
        mall.catalogue,
        now=mall.clock.now(),
        agency=agency,
        state=in_state,
        assignee=assignee,
        limit=limit,
        cursor=cursor,
    )
    scope = worklist_agencies(identity)
    if scope is not None:
        asked = query.agencies if query.agencies is not None else tuple(sorted(scope))
        kept = tuple(code for code in asked if code in scope)
        if not kept:
            return WorklistPage(items=(), next_cursor=None)
        query = attrs.evolve(query, agencies=kept)
    page: Page = mall.store.summaries(query)
    return WorklistPage(items=tuple(row_of(s) for s in page.items), next_cursor=page.next_cursor)


@get(
    "/api/v1/staff/applications/{application_id:str}",
    return_dto=Body[StaffApplicationView],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="Read an application: its history, and its personal data if allowed",
)
def read(request: Request[Any, Any, Any], application_id: PathId) -> Response[StaffApplicationView]:
    """An application with its history; its personal data only for staff allowed to see
    it, each read recorded in the access record."""
    summary = ensure_readable(request, application_id)
    personal = may_see_personal_data(staff_of(request), summary.agency)
    application = runtime_of(request).mall.application(application_id)
    view = _staff_view(application, personal=personal)
    if view.personal is not None:  # recorded when personal data is sent, and only then
        record_access(request, application_id, "application")
    return tagged(view, application.version)


@get(
    "/api/v1/staff/applications/{application_id:str}/chain",
    return_dto=Body[ChainView],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="Check an application's hash chain",
)
def chain(request: Request[Any, Any, Any], application_id: PathId) -> ChainView:
    """Whether the application's stored events still form an unbroken hash chain."""
    ensure_readable(request, application_id)
    report = runtime_of(request).mall.verify(application_id)
    return ChainView(
        application_id=application_id,
        ok=report.ok,
        first_bad=report.first_bad,
        version=report.version,
        problem=report.problem,
    )


def _current(request: Request[Any, Any, Any], application_id: str, if_match: str | None) -> int:
    """The version named in If-Match, checked against the application's, after the caller
    was found allowed to read it."""
    ensure_readable(request, application_id)
    return matching_version(if_match, runtime_of(request).mall.application(application_id).version)


_CHANGE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 422, 428)


@post(
    "/api/v1/staff/applications/{application_id:str}/verdicts",
    dto=Body[VerdictRequest],
    return_dto=Body[ApplicationView],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=_CHANGE_PROBLEMS,
    summary="Accept or reject one requirement's document",
)
def verdict(
    request: Request[Any, Any, Any],
    application_id: PathId,
    data: JSONBody[VerdictRequest],
    if_match: IfMatch = None,
) -> Response[ApplicationView]:
    """Record the caller's verdict on a document (a reason code to reject it), on the
    version named in If-Match."""
    expected = _current(request, application_id, if_match)
    changed = runtime_of(request).mall.check_document(
        application_id,
        data.requirement,
        verdict=data.verdict,
        reason=data.reason,
        actor=staff_of(request).actor,
        expected_version=expected,
    )
    return answered(changed)


@post(
    "/api/v1/staff/applications/{application_id:str}/notes",
    dto=Body[NoteRequest],
    return_dto=Body[ApplicationView],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=_CHANGE_PROBLEMS,
    summary="Write a note on an application",
)
def note(
    request: Request[Any, Any, Any],
    application_id: PathId,
    data: JSONBody[NoteRequest],
    if_match: IfMatch = None,
) -> Response[ApplicationView]:
    """Write a note as the caller, on the version named in If-Match."""
    expected = _current(request, application_id, if_match)
    changed = runtime_of(request).mall.add_note(
        application_id,
        data.text,
        visibility=data.visibility,
        actor=staff_of(request).actor,
        expected_version=expected,
    )
    return answered(changed)


@put(
    "/api/v1/staff/applications/{application_id:str}/assignee",
    dto=Body[AssignmentRequest],
    return_dto=Body[ApplicationView],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=_CHANGE_PROBLEMS,
    summary="Assign an application to an officer, or unassign it",
)
def assign(
    request: Request[Any, Any, Any],
    application_id: PathId,
    data: JSONBody[AssignmentRequest],
    if_match: IfMatch = None,
) -> Response[ApplicationView]:
    """Assign the application (``null`` unassigns), on the version named in If-Match, to an
    active member of staff holding one of its workflow's officers' roles at its agency."""
    expected = _current(request, application_id, if_match)
    if data.assignee is not None:
        _check_assignee(runtime_of(request), application_id, data.assignee, staff_of(request))
    changed = runtime_of(request).mall.assign(
        application_id,
        data.assignee,
        actor=staff_of(request).actor,
        expected_version=expected,
    )
    return answered(changed)


def _check_assignee(
    runtime: Runtime, application_id: str, assignee: str, caller: StaffIdentity
) -> None:
    """Refuse (422) an assignee who could not work on the application: no active staff
    account (a citizen's or an agency's id, ``system``, a typo), or one holding none of
    its workflow's officers' roles at its agency (another agency's officer, a courier).
    A caller who may not assign at all is left to the mall's own refusal (403)."""
    mall = runtime.mall
    application = mall.application(application_id)
    workflow = find_workflow(mall.catalogue, application.workflow, application.workflow_version)
    officers = set(officer_roles(workflow))
    if not caller.actor.roles_in(application.agency) & officers:
        return
    try:
        held = runtime.staff.identity(assignee).actor.roles_in(application.agency)
    except (NotAuthenticated, InvalidValue):
        held = frozenset()
    if not held & officers:
        message = f"is no active member of staff with an officers' role at {application.agency}"
        raise InvalidRequest([Problem(path="body.assignee", message=message)])


def _seconds(paused: object) -> int:
    return int(paused.total_seconds()) if hasattr(paused, "total_seconds") else 0


@get(
    "/api/v1/staff/sla-report",
    return_dto=Body[SlaReportView],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="The SLA report of the agencies the caller holds a role at",
)
def sla_report(
    request: Request[Any, Any, Any],
    agency: Annotated[str | None, QueryParameter(name="agency", pattern=_CODE)] = None,
) -> SlaReportView:
    """Applications on time, late, open and overdue per agency and service: only the
    agencies the caller holds a role at (and *agency*'s, with its sub-agencies)."""
    identity = staff_of(request)
    mall = runtime_of(request).mall
    now: datetime = mall.clock.now()
    scope = worklist_agencies(identity)
    if scope is None:  # a mall-wide role: the mall's, or the agency's asked for
        rows = mall.sla_report(agency=agency, now=now)
    else:  # each agency held (and asked for), never the whole mall's applications
        held = (
            scope if agency is None else scope & set(agencies_under(mall.catalogue, agency) or ())
        )
        rows = tuple(
            r
            for code in sorted(held)  # each its own, not its sub-agencies' (held or not)
            for r in mall.sla_report(agency=code, now=now, subtree=False)
        )
    return SlaReportView(
        at=now,
        rows=tuple(
            SlaRow(
                agency=r.agency,
                service=r.service,
                on_time=r.on_time,
                late=r.late,
                open=r.open,
                overdue=r.overdue,
                withdrawn=r.withdrawn,
                paused_seconds=_seconds(r.paused),
            )
            for r in sorted(rows, key=lambda r: (r.agency, r.service))
        ),
    )


ROUTES = [worklist, read, chain, verdict, note, assign, sla_report]
"""The staff route handlers (the courier's are `onestop.web._staff_courier`'s)."""
