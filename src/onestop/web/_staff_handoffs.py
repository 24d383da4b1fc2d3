"""Courier handoffs over HTTP, and a courier's own jobs.

``POST /api/v1/staff/courier/jobs/{job_id}/handoffs`` records one transfer of a sealed
packet in the job's course, as the signed-in member of staff, on the job's version named
in ``If-Match`` (428 without, 412 stale, 409 when another handoff or claim won the race).
The caller *gives* the packet to, or *receives* it from, the other party, whose
confirmation the courier desk (`onestop.usecases.courier.custody`) requires:

- **a citizen** confirms with the one-time code issued to them for this handoff
  (`CourierDesk.issue_handoff_code`, sent by SMS): the job's courier *receives* the
  documents at the door, sealing the packet the body describes (a pickup), or *gives*
  the packet it carries (a delivery);
- **a member of staff** (an officer, an agency desk, the job's courier) confirms with
  a handoff code they asked for, signed in on their own device
  (``POST .../handoffs/{handoff_id}/confirmation``): bound to their account, the job,
  its version and the handoff, valid for 5 to 10 minutes, derived from the server's
  secret (any worker checks it; nothing is stored).  Once the handoff is recorded the
  job's version moves on, and the code confirms nothing more.

The caller's own side is confirmed by the credential the request authenticated with.
Who may take part is decided by `onestop.usecases.staff.authorisation.may_hand_over`
(the job's courier, or an officer holding a workflow role at the application's
agency), for the caller and for the other member of staff alike; a job of an
application the caller may not read is answered like a missing job (404).

``GET /api/v1/staff/courier/jobs`` lists the caller's own open jobs: one read-model
query over the open applications of the agencies the caller holds ``courier`` at (the
grants filter in the query itself), then the courier index of each application on the
page: the store queries grow with the page, never with the number of grants.
"""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import attrs
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from onestop.domain.common.formats import KEY
from onestop.domain.courier.events import JobStatus
from onestop.domain.courier.flow import CourierStep
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import CourierJob
from onestop.domain.staff import StaffIdentity
from onestop.exceptions import (
    InvalidRequest,
    NotAuthenticated,
    NotAuthorised,
    Problem,
    WrongCode,
)
from onestop.ports.events import SummaryOrder, SummaryQuery
from onestop.usecases.courier import writer as rec
from onestop.usecases.staff.authorisation import COURIER, may_hand_over
from onestop.web._api import runtime_of
from onestop.web._problems import problem_responses
from onestop.web._staff_access import courier_desk, readable_job
from onestop.web._staff_auth import staff_of, staff_only
from onestop.web._staff_routes import TAG
from onestop.web._staff_views import CourierJobView, job_view
from onestop.web._versions import JobIfMatch, matching_version, tagged
from onestop.web._wire import Body, PathId

__all__ = [
    "ROUTES",
    "HandoffConfirmation",
    "HandoffParty",
    "HandoffRequest",
    "HandoffResult",
    "MyJobs",
    "PacketRequest",
    "PlaceRequest",
    "ScannedItem",
]

_CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.RETURNED})
_BUCKET = 300
"""Seconds per window of a staff handoff code: a code holds in its window and the next."""


@attrs.frozen(kw_only=True)
class ScannedItem:
    """One document of a packet, by reference and the SHA-256 of its scan.

    Attributes:
        document: A reference to the document (a requirement code, a document id).
        sha256: The SHA-256 of its scan, in hex.
    """

    document: str
    sha256: str


@attrs.frozen(kw_only=True)
class PacketRequest:
    """The packet a pickup's courier seals at the door.

    Attributes:
        seal_id: The id printed on the seal.
        manifest: The documents inside.
    """

    seal_id: str
    manifest: tuple[ScannedItem, ...]


@attrs.frozen(kw_only=True)
class PlaceRequest:
    """Where the handoff happened: a public label, never a citizen's address.

    Attributes:
        label: A short public name (``MPP Jakarta, counter 12``).
        lat: Latitude in degrees, if known (with *lon*).
        lon: Longitude in degrees, if known (with *lat*).
    """

    label: str
    lat: float | None = None
    lon: float | None = None


@attrs.frozen(kw_only=True)
class HandoffParty:
    """The other party of a handoff and their confirmation.

    Attributes:
        kind: ``citizen``, ``officer``, ``courier`` or ``agency_desk``.
        account: The member of staff's account id (``null`` for the citizen).
        code: The citizen's one-time code, or the staff member's handoff code.
    """

    kind: Literal["citizen", "officer", "courier", "agency_desk"]
    code: str
    account: str | None = None


@attrs.frozen(kw_only=True)
class HandoffRequest:
    """A handoff the caller takes part in.

    Attributes:
        handoff_id: The handoff's id (the one the codes were issued for).
        direction: ``give``: the caller hands the packet to the other party;
            ``receive``: the caller takes it from them.
        other: The other party and their confirmation.
        proof_sha256: The SHA-256 of the proof (a photo, a signature image).
        scanned: What the receiver counted, to compare with the manifest.
        packet: The packet sealed at the door (a pickup's courier receiving from the
            citizen); else ``null``.
        seal_id: The packet handed over; the one the job carries when ``null``.
        place: Where; the applicant's address (never spelled out) when ``null``, as
            a handoff with the citizen must be (the custody ledger keeps places for
            good, and a home's address or coordinates are personal data: 422).
        purpose: Why, as a short code (``to_agency``), if given.
    """

    handoff_id: str
    direction: Literal["give", "receive"]
    other: HandoffParty
    proof_sha256: str
    scanned: tuple[ScannedItem, ...] = ()
    packet: PacketRequest | None = None
    seal_id: str | None = None
    place: PlaceRequest | None = None
    purpose: str = ""


@attrs.frozen(kw_only=True)
class HandoffResult:
    """A recorded handoff.

    Attributes:
        handoff_id: Its id.
        seal_id: The packet handed over.
        accepted: Whether custody passed (``false`` when the count did not match the
            manifest: the mismatch is recorded and the giver keeps the packet).
        job: The job afterwards.
    """

    handoff_id: str
    seal_id: str
    accepted: bool
    job: CourierJobView


@attrs.frozen(kw_only=True)
class HandoffConfirmation:
    """A member of staff's code confirming their side of one handoff.

    Attributes:
        job_id: The job.
        handoff_id: The handoff.
        account_id: Whose confirmation it is.
        code: Show it to the other party (it is never stored).
        expires_at: When it stops confirming.
    """

    job_id: str
    handoff_id: str
    account_id: str
    code: str
    expires_at: datetime


@attrs.frozen(kw_only=True)
class MyJobs:
    """The caller's own open courier jobs, a page of applications at a time.

    Attributes:
        items: The jobs (without addresses: read a job for its address).
        next_cursor: Pass it as ``cursor`` for the next page; ``null`` at the end.
    """

    items: tuple[CourierJobView, ...]
    next_cursor: str | None = None


def _job_of(request: Request[Any, Any, Any], job_id: str) -> tuple[CourierJob, str]:
    """The job and its application's agency, if the caller may take part in its handoffs.

    Raises:
        JobNotFound: If there is no such job, or the caller may not read its application.
        NotAuthorised: If the caller may read it but not hand its packets over.
    """
    identity, job, summary = readable_job(request, job_id)
    if not may_hand_over(identity, summary.agency, courier_id=job.courier_id):
        raise NotAuthorised(action="hand over", reason="not the job's courier nor an officer")
    return job, summary.agency


def _secret(request: Request[Any, Any, Any]) -> bytes:
    base = runtime_of(request).csrf_secret.encode()  # from the server's: every worker's
    return hmac.new(base, b"courier-handoff", "sha256").digest()


def _code(secret: bytes, account: str, job: CourierJob, handoff_id: str, bucket: int) -> str:
    fields = ("handoff", account, job.id, str(job.version), handoff_id, str(bucket))
    mac = hmac.new(secret, "\x00".join(fields).encode(), "sha256").digest()
    return base64.b32encode(mac[:10]).decode("ascii").lower()


def _bucket(request: Request[Any, Any, Any]) -> int:
    now: datetime = runtime_of(request).mall.clock.now()
    return int(now.timestamp()) // _BUCKET


@post(
    "/api/v1/staff/courier/jobs/{job_id:str}/handoffs/{handoff_id:str}/confirmation",
    return_dto=Body[HandoffConfirmation],
    tags=[TAG],
    guards=[staff_only],
    status_code=201,
    sync_to_thread=True,
    responses=problem_responses(400, 401, 403, 404, 422),
    summary="Ask for a code confirming the caller's side of a handoff",
)
def confirmation(
    request: Request[Any, Any, Any], job_id: PathId, handoff_id: PathId
) -> HandoffConfirmation:
    """A code confirming the caller's side of handoff *handoff_id* of the job at its
    version now: the caller shows it to the member of staff who records the handoff."""
    job, _ = _job_of(request, job_id)
    KEY.check(handoff_id, field="handoff_id")
    account, bucket = staff_of(request).account_id, _bucket(request)
    return HandoffConfirmation(
        job_id=job.id,
        handoff_id=handoff_id,
        account_id=account,
        code=_code(_secret(request), account, job, handoff_id, bucket),
        expires_at=datetime.fromtimestamp((bucket + 2) * _BUCKET, UTC),
    )


def _staff_side(
    request: Request[Any, Any, Any], job: CourierJob, agency: str, handoff_id: str, other: Any
) -> Confirmation:
    """The other member of staff's confirmation, their code and standing checked."""
    account = other.account
    if not isinstance(account, str) or not account:
        problem = Problem(path="body.other.account", message="is required for a member of staff")
        raise InvalidRequest([problem])
    try:
        theirs: StaffIdentity = runtime_of(request).staff.identity(account)
    except NotAuthenticated:  # an unknown or disabled account confirms nothing
        raise WrongCode(handoff_id=handoff_id) from None
    bucket, secret = _bucket(request), _secret(request)
    given = str(other.code).strip().lower().encode("utf-8", "replace")
    if not any(
        hmac.compare_digest(given, _code(secret, account, job, handoff_id, b).encode("ascii"))
        for b in (bucket, bucket - 1)
    ):
        raise WrongCode(handoff_id=handoff_id)
    if not may_hand_over(theirs, agency, courier_id=job.courier_id):
        raise NotAuthorised(action="hand over", reason="the other party may not take part")
    return Confirmation.by_credential(Party(other.kind, account), "staff-handoff-code")


def _items(items: tuple[ScannedItem, ...]) -> tuple[ManifestItem, ...]:
    return tuple(ManifestItem(item.document, item.sha256) for item in items)


def _step(
    request: Request[Any, Any, Any], job: CourierJob, agency: str, data: HandoffRequest
) -> tuple[str, CourierStep]:
    """Record the handoff *data* names on *job* as read (its version, which the desk checks
    again as it writes: a change decided since is 409, not overtaken)."""
    identity = staff_of(request)
    mine = PartyKind.COURIER if job.courier_id == identity.account_id else PartyKind.OFFICER
    me = Confirmation.by_credential(Party(mine, identity.account_id), f"staff-{identity.method}")
    place = None if data.place is None else Place(data.place.label, data.place.lat, data.place.lon)
    desk, other = courier_desk(request), data.other
    if other.kind == "citizen":
        if place is not None:  # the ledger keeps places for good, beyond any erasure
            message = "a handoff with the citizen is at the applicant's address: give none"
            raise InvalidRequest([Problem(path="body.place", message=message)])
        if data.direction == "receive" and data.packet is not None:
            manifest = _items(data.packet.manifest)
            packet = Packet(data.packet.seal_id, manifest, len(manifest))
            step = desk.seal_and_collect(
                job.id,
                packet,
                handoff_id=data.handoff_id,
                courier=me,
                citizen_code=other.code,
                proof_sha256=data.proof_sha256,
                place=place,
                expected_version=job.version,
            )
            return packet.seal_id, step
        if data.direction == "give":
            step = desk.deliver(
                job.id,
                handoff_id=data.handoff_id,
                courier=me,
                citizen_code=other.code,
                proof_sha256=data.proof_sha256,
                scanned=_items(data.scanned),
                place=place,
                expected_version=job.version,
            )
            return step.ledger.seal_id, step
        problem = Problem(path="body.packet", message="a collection at the door names its packet")
        raise InvalidRequest([problem])
    them = _staff_side(request, job, agency, data.handoff_id, other)
    seal_id = data.seal_id
    if seal_id is None:
        seal_id = rec.load_index(runtime_of(request).mall.store, job.application_id).carrying.get(
            job.id
        )
    if seal_id is None:
        problem = Problem(path="body.seal_id", message="the job carries no packet: name one")
        raise InvalidRequest([problem])
    giver, receiver = (me, them) if data.direction == "give" else (them, me)
    handoff = Handoff(
        id=data.handoff_id,
        giver=giver,
        receiver=receiver,
        at=runtime_of(request).mall.clock.now(),
        place=place if place is not None else Place("agency counter"),
        proof_sha256=data.proof_sha256,
        scanned=_items(data.scanned),
        purpose=data.purpose,
    )
    return seal_id, desk.hand_over(seal_id, handoff, job_id=job.id, expected_version=job.version)


@post(
    "/api/v1/staff/courier/jobs/{job_id:str}/handoffs",
    dto=Body[HandoffRequest],
    return_dto=Body[HandoffResult],
    tags=[TAG],
    guards=[staff_only],
    status_code=200,
    sync_to_thread=True,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428),
    summary="Record a handoff of the job's packet",
)
def hand_over(
    request: Request[Any, Any, Any],
    job_id: PathId,
    data: JSONBody[HandoffRequest],
    if_match: JobIfMatch = None,
) -> Response[HandoffResult]:
    """Record a handoff the caller takes part in, the other party confirming, on the
    job's version named in If-Match."""
    job, agency = _job_of(request, job_id)
    matching_version(if_match, job.version, of="a courier job's")
    seal_id, step = _step(request, job, agency, data)
    after = step.job if step.job is not None else courier_desk(request).job(job_id)
    result = HandoffResult(
        handoff_id=data.handoff_id,
        seal_id=seal_id,
        accepted=step.accepted,
        job=job_view(after, personal=False),
    )
    return tagged(result, after.version)


@get(
    "/api/v1/staff/courier/jobs",
    return_dto=Body[MyJobs],
    tags=[TAG],
    guards=[staff_only],
    sync_to_thread=True,
    responses=problem_responses(400, 401, 422),
    summary="The caller's own open courier jobs",
)
def my_jobs(
    request: Request[Any, Any, Any],
    cursor: Annotated[
        str | None, QueryParameter(name="cursor", min_length=1, max_length=512)
    ] = None,
    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
) -> MyJobs:
    """The open jobs the caller claimed, of the open applications of the agencies it
    holds ``courier`` at (one read-model query per page, whatever the grants)."""
    identity = staff_of(request)
    actor = identity.actor
    agencies: tuple[str, ...] | None = None
    if COURIER not in actor.roles:
        agencies = tuple(sorted({g.agency for g in actor.grants if g.role == COURIER and g.agency}))
        if not agencies:
            return MyJobs(items=())
    query = SummaryQuery(agencies=agencies, order=SummaryOrder.UPDATED, limit=limit, cursor=cursor)
    page = runtime_of(request).mall.store.summaries(query)
    desk = courier_desk(request)
    items = tuple(
        job_view(job, personal=False)
        for summary in page.items
        for job in desk.jobs(summary.stream_id)
        if job.courier_id == identity.account_id and job.status not in _CLOSED
    )
    return MyJobs(items=items, next_cursor=page.next_cursor)


ROUTES = [confirmation, hand_over, my_jobs]
"""The handoff and own-jobs route handlers."""
