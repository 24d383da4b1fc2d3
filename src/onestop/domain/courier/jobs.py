"""Courier jobs: pickups at the applicant's door, legs between offices, deliveries of results.

A `CourierJob` belongs to one application.  Like an application it is a stream of
frozen events, folded by `CourierJob.from_events`; every command is a pure function
that takes the job and returns a new one, leaving the old one as it was (the new
events are ``new.events[old.version:]``).  A job's status moves through::

    booked --claim--> assigned --(courier takes the packet)--> in_progress --> completed
                        |  ^                                     |  ^
           failed attempt  reschedule                failed attempt  reschedule
                        v  |                                     v  |
                    attempt_failed     after max_attempts: returning --> returned

A job is ``completed`` when its packet reached its destination: the counter for a
pickup, the other office for a leg, the citizen for a delivery.

* `book` creates a job; `claim` assigns it to one courier: the first claim wins, a
  second raises `AlreadyClaimed`, and a claim on a stale version raises
  `ConcurrencyConflict` (the store makes concurrent claims safe the same way);
* `record_attempt` records a failed visit; after `max_attempts` failures the job goes
  back to the counter; `reschedule` books a new window;
* successes are proven by custody: `onestop.domain.courier.flow.collect` (a pickup)
  and `onestop.domain.courier.flow.hand_over` (a transfer) move the job along.

The workflow's ``courier_delivered`` guard reads `courier_fact`.  The job's kinds,
statuses, visits, windows and events live in `onestop.domain.courier.events`
(re-exported here).

>>> from datetime import UTC, datetime
>>> at = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
>>> job = book("job-1", "app-1", JobKind.LEG_TO_AGENCY, at=at, actor="officer:o-1")
>>> job = claim(job, "c-17", at, job.version)
>>> job.status, job.courier_id, courier_fact(job)
(<JobStatus.ASSIGNED: 'assigned'>, 'c-17', ('job-1', 'assigned'))
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from onestop.domain.common.formats import ACTOR_ID, KEY, check_text, int_problem, preview
from onestop.domain.common.kinds import check_instant, check_member, check_type, type_validator
from onestop.domain.common.parties import Personal
from onestop.domain.courier.events import (
    DEFAULT_MAX_ATTEMPTS,
    EVENT_CLASSES,
    JOB_EVENT_TYPES,
    Attempt,
    AttemptOutcome,
    AttemptRecorded,
    JobBooked,
    JobClaimed,
    JobCompleted,
    JobEvent,
    JobKind,
    JobRescheduled,
    JobReturned,
    JobStarted,
    JobStatus,
    TimeWindow,
    address_validator,
)
from onestop.exceptions import (
    AlreadyClaimed,
    ConcurrencyConflict,
    CourierNotAssigned,
    InvalidValue,
    JobRefused,
    TimeWentBackwards,
)

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "JOB_EVENT_TYPES",
    "MAX_ADDRESS",
    "Attempt",
    "AttemptOutcome",
    "AttemptRecorded",
    "CourierJob",
    "JobBooked",
    "JobClaimed",
    "JobCompleted",
    "JobEvent",
    "JobKind",
    "JobRescheduled",
    "JobReturned",
    "JobStarted",
    "JobStatus",
    "TimeWindow",
    "book",
    "claim",
    "courier_fact",
    "record_attempt",
    "reschedule",
]

MAX_ADDRESS = 500
"""The longest address a pickup or delivery may carry, in characters (line breaks allowed)."""


_CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.RETURNED})


def _max_attempts(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    problem = int_problem(value, minimum=1, maximum=10)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


def _version(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    problem = int_problem(value, minimum=1)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


_TEXT = type_validator(str)


@attrs.frozen(kw_only=True)
class CourierJob:
    """A courier job's state, derived from its events; build one with `book` or `from_events`.

    A job checks what it is made of when it is built (by `from_events`, `apply` or
    ``attrs.evolve``): each attribute's type, that *events* start with the one
    `JobBooked`, that *version* counts them, and that the id, application, kind and
    attempts are the booking's.  It does not check formats (an id's spelling), which
    the commands check on input: a job folded from history an earlier release stored
    keeps loading.

    Raises:
        onestop.exceptions.InvalidValue: If an attribute is of the wrong type, or the
            job does not agree with its events.

    Attributes:
        id: The stream's id.
        application_id: The application it serves.
        kind: What it does.
        status: Where it stands.
        window: The booked slot, if any.
        address: The applicant's address (personal data; not in the repr).
        max_attempts: Failed visits before it goes back to the counter.
        courier_id: The assigned courier, once claimed.
        attempts: The visits, oldest first.
        started: Whether the courier has taken custody of a packet.
        version: How many events the stream holds.
        updated_at: The instant of the latest event.
        events: Every event, oldest first (not in the repr).
    """

    id: str = attrs.field(validator=_TEXT)
    application_id: str = attrs.field(validator=_TEXT)
    kind: JobKind = attrs.field(validator=type_validator(JobKind))
    status: JobStatus = attrs.field(validator=type_validator(JobStatus))
    window: TimeWindow | None = attrs.field(validator=type_validator((TimeWindow, type(None))))
    address: Personal[str] | None = attrs.field(repr=False, validator=address_validator)
    max_attempts: int = attrs.field(validator=_max_attempts)
    courier_id: str | None = attrs.field(default=None, validator=type_validator((str, type(None))))
    attempts: tuple[Attempt, ...] = attrs.field(
        default=(), validator=type_validator(tuple, items=Attempt)
    )
    started: bool = attrs.field(default=False, validator=type_validator(bool))
    version: int = attrs.field(validator=_version)
    updated_at: datetime = attrs.field(validator=_instant)
    events: tuple[JobEvent, ...] = attrs.field(
        repr=False, validator=type_validator(tuple, items=EVENT_CLASSES)
    )

    def __attrs_post_init__(self) -> None:
        """Check that the job agrees with its events."""
        first = self.events[0] if self.events else None
        if not isinstance(first, JobBooked) or any(
            isinstance(event, JobBooked) for event in self.events[1:]
        ):
            raise InvalidValue(field="events", reason="a job's events start with one 'job_booked'")
        if self.version != len(self.events):
            reason = f"is {preview(self.version)}, but the job holds {len(self.events)} events"
            raise InvalidValue(field="version", reason=reason)
        booked = {
            "id": first.job_id,
            "application_id": first.application_id,
            "kind": first.job_kind,
            "max_attempts": first.max_attempts,
        }
        for name, value in booked.items():
            if getattr(self, name) != value:
                raise InvalidValue(field=name, reason="is not the one its 'job_booked' event has")
        recorded = sum(isinstance(event, AttemptRecorded) for event in self.events)
        if len(self.attempts) != recorded:
            reason = f"lists {len(self.attempts)}, but the job's events record {recorded}"
            raise InvalidValue(field="attempts", reason=reason)

    @classmethod
    def from_events(cls, events: Iterable[JobEvent], /) -> CourierJob:
        """Fold *events*, oldest first, into the job's state.

        Raises:
            onestop.exceptions.JobRefused: If the stream does not start with one `JobBooked`.
            onestop.exceptions.InvalidValue: If *events* is not an iterable of job events.
        """
        check_type(events, Iterable, field="events")
        iterator = iter(events)
        first = next(iterator, None)
        if not isinstance(first, JobBooked):
            raise JobRefused(
                job_id="?", command="load", status="-", reason="a job starts with 'job_booked'"
            )
        job = cls(
            id=first.job_id,
            application_id=first.application_id,
            kind=first.job_kind,
            status=JobStatus.BOOKED,
            window=first.window,
            address=first.address,
            max_attempts=first.max_attempts,
            version=1,
            updated_at=first.at,
            events=(first,),
        )
        for event in iterator:
            job = job.apply(event)
        return job

    @property
    def failed_attempts(self) -> int:
        """How many visits failed."""
        return sum(a.outcome is not AttemptOutcome.DONE for a in self.attempts)

    def apply(self, event: JobEvent, /) -> CourierJob:
        """Return the state after *event*.

        Raises:
            onestop.exceptions.JobRefused: If *event* is a second `JobBooked`.
            onestop.exceptions.InvalidValue: If *event* is not a job event.
        """
        check_type(event, EVENT_CLASSES, field="event")
        changes: dict[str, object] = {}
        if isinstance(event, JobBooked):
            raise JobRefused(
                job_id=self.id, command="load", status=self.status.value, reason="booked twice"
            )
        if isinstance(event, JobClaimed):
            changes = {"courier_id": event.courier_id, "status": JobStatus.ASSIGNED}
        elif isinstance(event, JobStarted):
            changes = {"started": True, "status": JobStatus.IN_PROGRESS}
        elif isinstance(event, AttemptRecorded):
            changes = {"attempts": (*self.attempts, event.attempt)}
            if event.attempt.outcome is not AttemptOutcome.DONE:
                changes["status"] = self._after_failure(self.failed_attempts + 1)
        elif isinstance(event, JobRescheduled):
            changes = {"window": event.window}
            if self.status is JobStatus.ATTEMPT_FAILED:
                changes["status"] = JobStatus.IN_PROGRESS if self.started else JobStatus.ASSIGNED
        elif isinstance(event, JobCompleted):
            changes = {"status": JobStatus.COMPLETED}
        else:
            changes = {"status": JobStatus.RETURNED}
        return attrs.evolve(
            self,
            version=self.version + 1,
            updated_at=max(self.updated_at, event.at),
            events=(*self.events, event),
            **changes,  # type: ignore[arg-type]
        )

    def apply_all(self, events: Iterable[JobEvent], /) -> CourierJob:
        """Return the state after *events*, in order."""
        check_type(events, Iterable, field="events")
        job = self
        for event in events:
            job = job.apply(event)
        return job

    def check_time(self, at: datetime, /) -> None:
        """Check that *at* is an aware instant, not before the job's latest event.

        Raises:
            onestop.exceptions.TimeWentBackwards: If it is before.
            onestop.exceptions.NaiveDatetime: If *at* has no time zone.
            onestop.exceptions.InvalidValue: If *at* is not an instant.
        """
        check_instant(at, field="at")
        if at < self.updated_at:
            raise TimeWentBackwards(at=at, latest=self.updated_at)

    def _after_failure(self, failures: int) -> JobStatus:
        return JobStatus.ATTEMPT_FAILED if failures < self.max_attempts else JobStatus.RETURNING


def _refuse(job: CourierJob, command: str, reason: str) -> JobRefused:
    return JobRefused(job_id=job.id, command=command, status=job.status.value, reason=reason)


def _append(job: CourierJob, *events: JobEvent) -> CourierJob:
    return job.apply_all(events)


def book(
    job_id: str,
    application_id: str,
    kind: JobKind,
    /,
    *,
    at: datetime,
    actor: str,
    window: TimeWindow | None = None,
    address: Personal[str] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> CourierJob:
    """Book a job.  A pickup needs a window and the address; a delivery needs the address.

    The job's and the application's ids are keys (`onestop.domain.common.formats.KEY`), the
    actor's an actor id (`onestop.domain.common.formats.ACTOR_ID`); *kind* is a `JobKind` or
    its value.  The address is free text of at most `MAX_ADDRESS` characters, line
    breaks allowed, with no other control character.

    Raises:
        onestop.exceptions.InvalidValue: If an id or *kind* is not valid, a needed
            window or address is missing, the address is not `Personal` text, or
            *max_attempts* is not 1 to 10.
        onestop.exceptions.NaiveDatetime: If *at* has no time zone.
    """
    KEY.check(job_id, field="job_id")
    KEY.check(application_id, field="application_id")
    job_kind = check_member(JobKind, kind, field="kind")
    check_instant(at, field="at")
    ACTOR_ID.check(actor, field="actor")
    check_type(window, (TimeWindow, type(None)), field="window")
    check_type(address, (Personal, type(None)), field="address")
    door = job_kind in (JobKind.PICKUP, JobKind.DELIVERY)
    if door and address is None:
        raise InvalidValue(
            field="address", reason=f"a {job_kind.value} needs the address, as Personal"
        )
    if door and address is not None:
        check_text(address.reveal(), field="address", max_length=MAX_ADDRESS, multiline=True)
        if not address.reveal().strip():
            raise InvalidValue(field="address", reason="is blank")
    if job_kind is JobKind.PICKUP and window is None:
        raise InvalidValue(field="window", reason="a pickup needs a booked time window")
    if int_problem(max_attempts, minimum=1, maximum=10) is not None:
        raise InvalidValue(field="max_attempts", reason="must be from 1 to 10")
    event = JobBooked(
        job_id=job_id,
        application_id=application_id,
        job_kind=job_kind,
        window=window,
        address=address if door else None,
        max_attempts=max_attempts,
        actor=actor,
        at=at,
    )
    return CourierJob.from_events((event,))


def claim(job: CourierJob, courier_id: str, at: datetime, expected_version: int) -> CourierJob:
    """Assign *job* to *courier_id*, if nobody claimed it first: one claim wins.

    Two couriers claiming the same version: the store accepts the first append; the
    second reloads, claims again, and gets `AlreadyClaimed`.

    Raises:
        onestop.exceptions.AlreadyClaimed: If the job is claimed already (also by the
            same courier), or no longer open.
        onestop.exceptions.ConcurrencyConflict: If *expected_version* is not the job's.
        onestop.exceptions.TimeWentBackwards: If *at* is before the job's latest event.
        onestop.exceptions.InvalidValue: If *courier_id* is not an actor id
            (`onestop.domain.common.formats.ACTOR_ID`), *expected_version* not an integer
            from 0 to 2**63 - 1, or *at* not an instant.
    """
    check_type(job, CourierJob, field="job")
    ACTOR_ID.check(courier_id, field="courier_id")
    version_problem = int_problem(expected_version)
    if version_problem is not None:
        raise InvalidValue(field="expected_version", reason=version_problem)
    check_instant(at, field="at")
    if job.courier_id is not None or job.status is not JobStatus.BOOKED:
        raise AlreadyClaimed(job_id=job.id, status=job.status.value)
    if expected_version != job.version:
        raise ConcurrencyConflict(
            stream_id=f"courier-job:{job.id}", expected=expected_version, actual=job.version
        )
    job.check_time(at)
    return _append(job, JobClaimed(courier_id=courier_id, at=at))


def record_attempt(
    job: CourierJob, outcome: AttemptOutcome, /, *, courier_id: str, at: datetime
) -> CourierJob:
    """Record a failed visit by the assigned courier.

    After the job's ``max_attempts``-th failure it goes back to the counter: straight
    to ``returned`` (with a `JobReturned` event) when the courier carries nothing (a
    pickup), else to ``returning`` until the courier hands the packet back
    (`onestop.domain.courier.flow.hand_over`).

    Raises:
        onestop.exceptions.JobRefused: If *outcome* is ``done`` (a success is recorded
            by `collect` or `hand_over`, which prove it) or the job is not out.
        onestop.exceptions.CourierNotAssigned: If *courier_id* is not the job's courier.
        onestop.exceptions.TimeWentBackwards: If *at* is before the job's latest event.
        onestop.exceptions.InvalidValue: If *outcome* is not an `AttemptOutcome` or its
            value, or *courier_id* is not an actor id.
    """
    check_type(job, CourierJob, field="job")
    outcome = check_member(AttemptOutcome, outcome, field="outcome")
    ACTOR_ID.check(courier_id, field="courier_id")
    check_instant(at, field="at")
    if outcome is AttemptOutcome.DONE:
        raise _refuse(job, "record_attempt", "a success is recorded by the handoff that proves it")
    out = JobStatus.IN_PROGRESS if job.started else JobStatus.ASSIGNED
    if job.status is not out:
        raise _refuse(job, "record_attempt", f"the job must be {out.value}")
    if courier_id != job.courier_id:
        raise CourierNotAssigned(courier_id=courier_id, job_id=job.id)
    job.check_time(at)
    attempt = Attempt(number=len(job.attempts) + 1, outcome=outcome, courier_id=courier_id, at=at)
    job = _append(job, AttemptRecorded(attempt=attempt, at=at))
    if job.status is JobStatus.RETURNING and not job.started:
        job = _append(job, JobReturned(at=at))
    return job


def reschedule(job: CourierJob, window: TimeWindow, /, *, at: datetime, actor: str) -> CourierJob:
    """Book a new window; after a failed visit this sends the job out again.

    Raises:
        onestop.exceptions.JobRefused: If the job is closed or returning, or the window
            is over already.
        onestop.exceptions.TimeWentBackwards: If *at* is before the job's latest event.
        onestop.exceptions.InvalidValue: If *window* is not a `TimeWindow`, *at* not an
            instant, or *actor* not an actor id.
    """
    check_type(job, CourierJob, field="job")
    check_type(window, TimeWindow, field="window")
    check_instant(at, field="at")
    ACTOR_ID.check(actor, field="actor")
    if job.status in _CLOSED or job.status is JobStatus.RETURNING:
        raise _refuse(job, "reschedule", "the job is no longer out")
    if window.end <= at:
        raise _refuse(job, "reschedule", "the new window is already over")
    job.check_time(at)
    return _append(job, JobRescheduled(window=window, actor=actor, at=at))


def courier_fact(job: CourierJob, /) -> tuple[str, str]:
    """Return ``(job id, status)`` for the workflow's ``courier_delivered`` guard.

    The status is ``"delivered"`` once a delivery job's packet reached the citizen,
    and the job's status value otherwise (a finished pickup or leg is ``"completed"``,
    so it never satisfies the guard).  Feed the pairs of the application's jobs into
    `onestop.domain.workflow.guards.Facts.courier_jobs`.

    Raises:
        onestop.exceptions.InvalidValue: If *job* is not a `CourierJob`.
    """
    check_type(job, CourierJob, field="job")
    delivered = job.kind is JobKind.DELIVERY and job.status is JobStatus.COMPLETED
    return job.id, "delivered" if delivered else job.status.value
