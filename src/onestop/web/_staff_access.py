"""Who may read an application, through the staff API: the checks every staff route
(and the officers' read and actions) makes before it touches one, and the access record.

`ensure_readable` authenticates the request (`onestop.web._staff_auth.staff_of`), reads
the application's read-model row and asks `onestop.usecases.staff.authorisation` whether
the caller may read it: another agency's application is answered exactly like a missing
one (`ApplicationNotFound`, one 404 body), so ids cannot be probed.  `record_access`
appends a read of personal data to the access record, with the route template and the
request's id (the ``X-Request-Id`` the access log writes).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from onestop.domain.common.formats import KEY
from onestop.domain.courier.jobs import CourierJob
from onestop.domain.staff import StaffIdentity
from onestop.exceptions import ApplicationNotFound, JobNotFound
from onestop.ports.events import Summary
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.staff.authorisation import AccessLog, may_read, require_read
from onestop.web._api import runtime_of
from onestop.web._ops import route_of
from onestop.web._staff_auth import staff_of

__all__ = ["courier_desk", "ensure_readable", "readable_job", "record_access", "request_id_of"]


def request_id_of(request: Request[Any, Any, Any]) -> str:
    """The request's ``X-Request-Id`` (set by the access-log middleware), or ``""``."""
    found = request.scope.get("state", {}).get("onestop_request_id")
    return found if isinstance(found, str) else ""


def ensure_readable(request: Request[Any, Any, Any], application_id: str) -> Summary:
    """The read-model row of *application_id*, if the caller may read it.

    Raises:
        NotAuthenticated: If the request is not a signed-in member of staff's.
        ApplicationNotFound: If there is no such application, or it is another agency's
            (the same answer: existence is not revealed).
    """
    identity = staff_of(request)
    KEY.check(application_id, field="application_id")
    summary = runtime_of(request).mall.store.summary(application_id)
    if summary is None:
        raise ApplicationNotFound(application_id)
    require_read(identity, summary)
    return summary


def record_access(request: Request[Any, Any, Any], application_id: str, what: str) -> None:
    """Append the caller's read of *what* personal data of *application_id* to the access
    record, with the route template and the request's id."""
    runtime = runtime_of(request)
    AccessLog(staff=runtime.mall.store, clock=runtime.mall.clock).record(  # type: ignore[arg-type]
        staff_of(request),
        application_id,
        what,
        route_of(request.scope),
        request_id_of(request),
    )


def courier_desk(request: Request[Any, Any, Any]) -> CourierDesk:
    """The worker's courier desk."""
    desk: CourierDesk = runtime_of(request).courier
    return desk


def readable_job(
    request: Request[Any, Any, Any], job_id: str
) -> tuple[StaffIdentity, CourierJob, Summary]:
    """The caller, courier job *job_id* and its application's read-model row, if the
    caller may read that application.

    Raises:
        NotAuthenticated: If the request is not a signed-in member of staff's.
        JobNotFound: If there is no such job, or the caller may not read its application
            (the same answer: existence is not revealed).
    """
    identity = staff_of(request)
    KEY.check(job_id, field="job_id")
    job = courier_desk(request).job(job_id)
    summary = runtime_of(request).mall.store.summary(job.application_id)
    if summary is None or not may_read(identity, summary):
        raise JobNotFound(job_id)
    return identity, job, summary
