"""The AJIB courier: jobs, their events, custody ledgers, handoffs and one-time codes.

The package re-exports `onestop.domain.courier.jobs` (courier jobs and their fold).
"""

from __future__ import annotations

from onestop.domain.courier.jobs import (
    DEFAULT_MAX_ATTEMPTS,
    JOB_EVENT_TYPES,
    MAX_ADDRESS,
    Attempt,
    AttemptOutcome,
    AttemptRecorded,
    CourierJob,
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
    book,
    claim,
    courier_fact,
    record_attempt,
    reschedule,
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
