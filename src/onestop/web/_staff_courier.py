"""The courier's staff endpoints: an application's courier jobs, a job, its claim and
failed visits.

They act, like every staff endpoint (`onestop.web._staff_routes`), as the member of staff
the request authenticated, and ask `onestop.usecases.staff.authorisation` who may see
what: a job is readable by whom may read its application, and a job of another agency's
application is answered exactly like a missing job (404).  The address a job visits is
personal data: it is sent only to whom ``may_see_job_address`` allows (whom
``may_see_personal_data`` allows at the application's agency, and the job's own courier,
once it claimed the job), and each time it is sent the read is recorded in the access
record.
Claiming a job and recording a failed visit need the ``courier`` role at that agency
(403 without; the courier desk checks it again on the authenticated actor).  Both name the
job's version in ``If-Match`` (428 without, 412 stale): of two couriers claiming one job
at once exactly one wins, and a failed visit sent twice is counted once.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import JSONBody

from onestop.domain.applications.submission import COURIER_ROLE
from onestop.domain.courier.jobs import CourierJob
from onestop.exceptions import NotAuthorised
from onestop.usecases.staff.authorisation import may_see_job_address
from onestop.web._api import runtime_of
from onestop.web._problems import problem_responses
from onestop.web._staff_access import (
    courier_desk,
    ensure_readable,
    readable_job,
    record_access,
)
from onestop.web._staff_auth import staff_of, staff_only
from onestop.web._staff_routes import TAG
from onestop.web._staff_views import AttemptRequest, CourierJobList, CourierJobView, job_view
from onestop.web._versions import JobIfMatch, matching_version, tagged
from onestop.web._wire import Body, PathId

__all__ = ["ROUTES"]


def _readable_job(request: Request[Any, Any, Any], job_id: str) -> tuple[CourierJob, bool]:
    """The job, and whether the caller may see its personal data.

    Raises:
        JobNotFound: If there is no such job, or the caller may not read its application.
    """
    identity, job, summary = readable_job(request, job_id)
    return job, may_see_job_address(identity, summary.agency, job.courier_id)


def _couriers_job(request: Request[Any, Any, Any], job_id: str, if_match: str | None) -> int:
    """The version named in If-Match of job *job_id*, which the caller, a courier at its
    application's agency, changes.

    Raises:
        JobNotFound: If there is no such job, or the caller may not read its application.
        NotAuthorised: If the caller holds no ``courier`` role there (403: who may, not
            the job's state).
        InvalidRequest: 428 without If-Match, 422 if it is not a job's ETag.
        VersionMismatch: If the job is at another version (412).
    """
    identity, job, summary = readable_job(request, job_id)
    if not identity.actor.holds(COURIER_ROLE, agency=summary.agency):
        raise NotAuthorised(action="courier work", reason="it needs the courier role there")
    return matching_version(if_match, job.version, of="a courier job's")


def _shown(request: Request[Any, Any, Any], job: CourierJob, *, personal: bool) -> CourierJobView:
    if personal and runtime_of(request).mall.application(job.application_id).erased is not None:
        # Erased, perhaps by another process while this one still holds the subject's
        # key in its cache: the address is gone, whatever the key could still open.
        personal = False
    view = job_view(job, personal=personal)
    if view.address is not None:  # recorded when an address is sent (none once erased)
        record_access(request, job.application_id, "courier_address")
    return view


@get(
    "/api/v1/staff/applications/{application_id:str}/courier-jobs",
    return_dto=Body[CourierJobList],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="An application's courier jobs",
)
def application_jobs(request: Request[Any, Any, Any], application_id: PathId) -> CourierJobList:
    """The application's courier jobs, in booking order; the addresses only for staff
    allowed to see them, each read recorded."""
    summary = ensure_readable(request, application_id)
    identity = staff_of(request)
    jobs = courier_desk(request).jobs(application_id)
    return CourierJobList(
        items=tuple(
            _shown(
                request,
                job,
                personal=may_see_job_address(identity, summary.agency, job.courier_id),
            )
            for job in jobs
        )
    )


@get(
    "/api/v1/staff/courier/jobs/{job_id:str}",
    return_dto=Body[CourierJobView],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 404, 422),
    summary="Read a courier job",
)
def read_job(request: Request[Any, Any, Any], job_id: PathId) -> Response[CourierJobView]:
    """A courier job, its version as the ETag; the address only for staff allowed to see it."""
    job, personal = _readable_job(request, job_id)
    return tagged(_shown(request, job, personal=personal), job.version)


_CHANGE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 422, 428)


@post(
    "/api/v1/staff/courier/jobs/{job_id:str}/claim",
    return_dto=Body[CourierJobView],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=_CHANGE_PROBLEMS,
    summary="Claim a courier job",
)
def claim(
    request: Request[Any, Any, Any], job_id: PathId, if_match: JobIfMatch = None
) -> Response[CourierJobView]:
    """Claim the job as the caller (a courier at the application's agency), on the job's
    version named in If-Match; of several claims at once, one wins (409 for the others)."""
    expected = _couriers_job(request, job_id, if_match)
    claimed = courier_desk(request).claim(
        job_id, staff_of(request).actor, expected_version=expected
    )
    return tagged(job_view(claimed, personal=False), claimed.version)


@post(
    "/api/v1/staff/courier/jobs/{job_id:str}/attempts",
    dto=Body[AttemptRequest],
    return_dto=Body[CourierJobView],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=_CHANGE_PROBLEMS,
    summary="Record a failed visit",
)
def attempt(
    request: Request[Any, Any, Any],
    job_id: PathId,
    data: JSONBody[AttemptRequest],
    if_match: JobIfMatch = None,
) -> Response[CourierJobView]:
    """Record a failed visit by the caller, the job's courier, on the job's version named
    in If-Match (a retried request is 412, not a second failure)."""
    expected = _couriers_job(request, job_id, if_match)
    visited = courier_desk(request).record_attempt(
        job_id, data.outcome, courier=staff_of(request).actor, expected_version=expected
    )
    return tagged(job_view(visited, personal=False), visited.version)


ROUTES = [application_jobs, read_job, claim, attempt]
"""The courier's staff route handlers."""
