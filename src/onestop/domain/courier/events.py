"""What a courier job is made of: its kinds and statuses, visits, time windows and events.

A `onestop.domain.courier.jobs.CourierJob` is folded from a stream of these frozen events,
`JobBooked` first.  The commands of `onestop.domain.courier.jobs` (re-exported there)
check every value's format before they record an event.  The events themselves check
types only (text is text, a window a `TimeWindow`, an instant an aware `datetime`), not
formats: a command builds new events from values history holds, and history an earlier
release stored (a courier id with a capital letter) keeps loading and being extended.
Each class carries the version of its stored shape, ``SCHEMA_VERSION``; older shapes
are upcast when read (`onestop.usecases.streams`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from onestop.domain.common.formats import ACTOR_ID, int_problem, kind_of
from onestop.domain.common.kinds import check_instant, check_member, type_validator
from onestop.domain.common.parties import Personal
from onestop.exceptions import InvalidValue

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "JOB_EVENT_TYPES",
    "Attempt",
    "AttemptOutcome",
    "AttemptRecorded",
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
]

DEFAULT_MAX_ATTEMPTS = 3
"""Failed visits before a job goes back to the counter, unless the booking says otherwise."""


def _aware(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


_TEXT = type_validator(str)
_OPTIONAL_TEXT = type_validator((str, type(None)))


def address_validator(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: ``None``, or an address as `Personal` text (its format unchecked)."""
    if value is not None and not (
        isinstance(value, Personal) and (not value.is_available or isinstance(value.reveal(), str))
    ):
        shown = "Personal of something else" if isinstance(value, Personal) else kind_of(value)
        reason = f"expected the address as Personal text, not {shown}"
        raise InvalidValue(field=attribute.name, reason=reason)


class JobKind(enum.Enum):
    """What a courier job does."""

    PICKUP = "pickup"
    """Collect the application's documents at the applicant's address."""
    LEG_TO_AGENCY = "leg_to_agency"
    """Carry a packet from the mall to the agency."""
    LEG_TO_MALL = "leg_to_mall"
    """Carry a packet from the agency back to the mall."""
    DELIVERY = "delivery"
    """Deliver the result (the permit) to the applicant's address."""


class JobStatus(enum.Enum):
    """Where a courier job stands."""

    BOOKED = "booked"
    """Waiting for a courier to claim it."""
    ASSIGNED = "assigned"
    """Claimed; the courier holds nothing yet."""
    IN_PROGRESS = "in_progress"
    """The courier holds the packet."""
    ATTEMPT_FAILED = "attempt_failed"
    """The last visit failed; waiting for a new window (`reschedule`)."""
    RETURNING = "returning"
    """Out of attempts; the courier must bring the packet back to the counter."""
    COMPLETED = "completed"
    """The packet reached the job's destination."""
    RETURNED = "returned"
    """Given up and back at the counter."""


class AttemptOutcome(enum.Enum):
    """How a visit went."""

    DONE = "done"
    NO_ONE_HOME = "no_one_home"
    WRONG_ADDRESS = "wrong_address"
    REFUSED = "refused"
    ACCESS_DENIED = "access_denied"
    OTHER = "other"


@attrs.frozen
class TimeWindow:
    """A booked slot for a visit, half-open: ``start <= t < end``.

    Attributes:
        start: The first instant of the slot.
        end: The instant the slot closes; after *start*.
    """

    start: datetime = attrs.field(validator=_aware)
    end: datetime = attrs.field(validator=_aware)

    def __attrs_post_init__(self) -> None:
        """Check that the window is not empty."""
        if self.end <= self.start:
            raise InvalidValue(field="end", reason="a time window must end after it starts")

    def contains(self, at: datetime, /) -> bool:
        """Whether *at* falls in the window.

        Raises:
            onestop.exceptions.InvalidValue: If *at* is not a datetime (a `date` is not
                an instant), or not an instant in UTC.
            onestop.exceptions.NaiveDatetime: If *at* has no time zone.
        """
        check_instant(at, field="at")
        return self.start <= at < self.end


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    problem = int_problem(value, minimum=1)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


def _outcome(value: object) -> AttemptOutcome:
    return check_member(AttemptOutcome, value, field="outcome")


def _job_kind(value: object) -> JobKind:
    return check_member(JobKind, value, field="job_kind")


@attrs.frozen(kw_only=True)
class Attempt:
    """One visit by the courier.

    Attributes:
        number: 1 for the first visit, and so on.
        outcome: How it went (an `AttemptOutcome`, or its value).
        courier_id: Who visited (an actor id, `onestop.domain.common.formats.ACTOR_ID`).
        at: When.
    """

    number: int = attrs.field(validator=_count)
    outcome: AttemptOutcome = attrs.field(converter=_outcome)
    courier_id: str = attrs.field(validator=ACTOR_ID.validator)
    at: datetime = attrs.field(validator=_aware)


# --- job events -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class JobBooked:
    """A job was booked: the first event of every job's stream.

    Attributes:
        job_id: The stream's id.
        application_id: The application it serves.
        job_kind: What it does.
        window: The booked slot, if any yet.
        address: The applicant's address, for pickups and deliveries (personal data).
        max_attempts: Failed visits before it goes back to the counter.
        actor: Who booked it (an officer, the applicant's account).
        at: When.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_booked"] = attrs.field(default="job_booked", init=False)
    job_id: str = attrs.field(validator=_TEXT)
    application_id: str = attrs.field(validator=_TEXT)
    job_kind: JobKind = attrs.field(converter=_job_kind)
    window: TimeWindow | None = attrs.field(
        default=None, validator=type_validator((TimeWindow, type(None)))
    )
    address: Personal[str] | None = attrs.field(
        default=None, repr=False, validator=address_validator
    )
    max_attempts: int = attrs.field(default=DEFAULT_MAX_ATTEMPTS, validator=_count)
    actor: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobClaimed:
    """A courier claimed the job.  Attributes: ``courier_id``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_claimed"] = attrs.field(default="job_claimed", init=False)
    courier_id: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobStarted:
    """The courier took custody of the packet.  Attributes: ``handoff_id``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_started"] = attrs.field(default="job_started", init=False)
    handoff_id: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class AttemptRecorded:
    """A visit was made.  Attributes: ``attempt``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["attempt_recorded"] = attrs.field(default="attempt_recorded", init=False)
    attempt: Attempt = attrs.field(validator=type_validator(Attempt))
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobRescheduled:
    """A new slot was booked.  Attributes: ``window``, ``actor``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_rescheduled"] = attrs.field(default="job_rescheduled", init=False)
    window: TimeWindow = attrs.field(validator=type_validator(TimeWindow))
    actor: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobCompleted:
    """The packet reached the job's destination.  Attributes: ``handoff_id``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_completed"] = attrs.field(default="job_completed", init=False)
    handoff_id: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobReturned:
    """The job went back to the counter; ``handoff_id`` names the return, if one was carried."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_returned"] = attrs.field(default="job_returned", init=False)
    handoff_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=_aware)


JobEvent: TypeAlias = (
    JobBooked
    | JobClaimed
    | JobStarted
    | AttemptRecorded
    | JobRescheduled
    | JobCompleted
    | JobReturned
)
"""Anything that can happen to a courier job."""

JOB_EVENT_TYPES: Mapping[str, type[JobEvent]] = MappingProxyType(
    {
        "job_booked": JobBooked,
        "job_claimed": JobClaimed,
        "job_started": JobStarted,
        "attempt_recorded": AttemptRecorded,
        "job_rescheduled": JobRescheduled,
        "job_completed": JobCompleted,
        "job_returned": JobReturned,
    }
)
"""Each job event class by its ``kind`` tag."""

EVENT_CLASSES = tuple(JOB_EVENT_TYPES.values())
"""The job event classes, for `isinstance` checks."""
