"""Courier jobs, custody ledgers, the courier index and their events check what they hold.

A value built with a field of the wrong type (``attrs.evolve(job, status="assigned")``,
``attrs.evolve(ledger, used_codes=[...])``) is refused when it is built, with
`InvalidValue` naming the field, so that no later call crashes on it; an aggregate
that does not agree with its events (another id, a version that does not count
them) is refused too.  Formats are not checked there: history keeps loading.  The
recording functions check their arguments the same way.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from courier_support import (
    APP,
    COUNTER,
    COURIER,
    DESK,
    T0,
    assigned_job,
    handoff,
    minutes,
    sealed_at_counter,
    staff,
)
from hostile_support import hostile, outcome_is_typed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.common.audit import GENESIS
from onestop.domain.courier.custody import CustodyLedger, transfer
from onestop.domain.courier.flow import dwell_times, tracking_status
from onestop.domain.courier.index import CourierIndex, JobLinked
from onestop.domain.courier.jobs import (
    CourierJob,
    JobClaimed,
    JobKind,
    JobStatus,
    TimeWindow,
    claim,
    courier_fact,
    record_attempt,
    reschedule,
)
from onestop.exceptions import (
    AlreadyClaimed,
    InvalidValue,
    JobRefused,
    OnestopError,
)
from onestop.interop.epcis import object_events
from onestop.usecases.courier import writer as rec

LATER = T0 + minutes(30)


def _job() -> CourierJob:
    return assigned_job(JobKind.LEG_TO_AGENCY)


def _window() -> TimeWindow:
    return TimeWindow(T0 + minutes(60), T0 + minutes(180))


# --- a field of the wrong type is refused when the value is built -----------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "in_progresś"}, "status"),
        ({"status": "assigned"}, "status"),
        ({"kind": "leg_to_agency"}, "kind"),
        ({"attempts": ["x"]}, "attempts"),
        ({"attempts": iter(())}, "attempts"),
        ({"events": iter(())}, "events"),
        ({"events": ()}, "events"),
        ({"courier_id": b"c-17"}, "courier_id"),
        ({"started": 1}, "started"),
        ({"version": "2"}, "version"),
        ({"version": 2**63}, "version"),
        ({"updated_at": date(2025, 3, 10)}, "updated_at"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_a_job_refuses_a_field_of_the_wrong_type(changes: dict[str, Any], field: str) -> None:
    """A job whose field is of the wrong type cannot be built: InvalidValue names the field."""
    with pytest.raises(InvalidValue) as refused:
        attrs.evolve(_job(), **changes)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "job-2"}, "id"),
        ({"application_id": "app-other"}, "application_id"),
        ({"kind": JobKind.DELIVERY}, "kind"),
        ({"max_attempts": 5}, "max_attempts"),
        ({"version": 7}, "version"),
        ({"attempts": ()}, "attempts"),
    ],
)
def test_a_job_refuses_what_its_events_do_not_say(changes: dict[str, Any], field: str) -> None:
    """A job whose id, application, kind, limit, version or visits are not its events' is
    refused, so that a job's events are never written into another job's stream."""
    job = record_attempt(_job(), "no_one_home", courier_id=COURIER.id, at=LATER)
    with pytest.raises(InvalidValue) as refused:
        attrs.evolve(job, **changes)
    assert refused.value.field == field


def test_a_job_refuses_events_that_are_not_one_booking_first() -> None:
    """Events that do not start with the job's one booking are refused."""
    job = _job()
    with pytest.raises(InvalidValue, match=r"^events: a job's events start with one"):
        attrs.evolve(job, events=job.events[1:] + job.events[:1])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"used_codes": ["digest"]}, "used_codes"),
        ({"handoffs": frozenset({1})}, "handoffs[0]"),
        ({"events": iter([])}, "events"),
        ({"entries": ()}, "entries"),
        ({"custodian": "officer:o-counter-3"}, "custodian"),
        ({"delivered": "no"}, "delivered"),
        ({"latest": date(2025, 3, 10)}, "latest"),
        ({"open_mismatch": "mismatch"}, "open_mismatch"),
        ({"application_id": "app-other"}, "application_id"),
    ],
)
def test_a_ledger_refuses_a_field_it_cannot_hold(changes: dict[str, Any], field: str) -> None:
    """A custody ledger whose field is of the wrong type, or not its seal's, cannot be built."""
    with pytest.raises(InvalidValue) as refused:
        attrs.evolve(sealed_at_counter(), **changes)
    assert refused.value.field == field


def test_a_ledger_refuses_events_that_do_not_start_with_the_seal() -> None:
    """A ledger whose events start with a transfer instead of the seal is refused."""
    ledger = transfer(
        sealed_at_counter(), handoff("h-1", staff(COUNTER), staff(DESK), LATER)
    ).ledger
    with pytest.raises(InvalidValue, match=r"^events: a ledger's events start with one"):
        attrs.evolve(ledger, events=ledger.events[::-1])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jobs": (("job-1", "pickup"),)}, "jobs[0]"),
        ({"packets": ["S-1"]}, "packets"),
        ({"carrying": {"job-1": 1}}, "carrying"),
        ({"version": -1}, "version"),
        ({"head": "not a hash"}, "head"),
    ],
)
def test_an_index_refuses_a_field_it_cannot_hold(changes: dict[str, Any], field: str) -> None:
    """A courier index whose field is of the wrong type cannot be built."""
    with pytest.raises(InvalidValue) as refused:
        attrs.evolve(CourierIndex(application_id=APP), **changes)
    assert refused.value.field == field


def test_an_index_event_refuses_a_kind_that_would_not_decode() -> None:
    """A job kind spelled with Cyrillic look-alike letters is refused when the index event
    is built, so it is never written and then found undecodable."""
    with pytest.raises(InvalidValue, match=r"^job_kind: "):
        JobLinked(job_id="job-1", job_kind="l\u0435g_t\u043e_\u0430g\u0435n\u0441y", at=T0)
    assert JobLinked(job_id="job-1", job_kind="pickup", at=T0).job_kind is JobKind.PICKUP


def test_an_event_refuses_a_field_of_the_wrong_type() -> None:
    """A job event holding bytes where its courier id belongs is refused when built."""
    with pytest.raises(InvalidValue, match=r"^courier_id: expected str, not"):
        JobClaimed(courier_id=b"c-17", at=T0)  # type: ignore[arg-type]


# --- whatever evolve accepts, the commands handle ------------------------------------------

_JOB_FIELDS = [f.name for f in attrs.fields(CourierJob)]
_LEDGER_FIELDS = [f.name for f in attrs.fields(CustodyLedger)]


def _built(value: object, **changes: object) -> Any:
    try:
        return attrs.evolve(value, **changes)
    except OnestopError:
        return value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_JOB_FIELDS), value=hostile())
def test_every_command_takes_a_job_evolve_accepted(field: str, value: object) -> None:
    """A job built with any value in one field is refused with a typed error, or every
    command on it returns or raises a typed error."""
    job = _built(_job(), **{field: value})
    for call in (
        lambda: claim(job, COURIER.id, LATER, job.version),
        lambda: record_attempt(job, "no_one_home", courier_id=COURIER.id, at=LATER),
        lambda: reschedule(job, _window(), at=LATER, actor="officer-ana"),
        lambda: courier_fact(job),
        lambda: tracking_status(job, None),
        lambda: rec.job_append(job, since=1, head=GENESIS),
    ):
        outcome_is_typed(call, value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_LEDGER_FIELDS), value=hostile())
def test_every_call_takes_a_ledger_evolve_accepted(field: str, value: object) -> None:
    """A ledger built with any value in one field is refused with a typed error, or every
    call on it returns or raises a typed error."""
    ledger = _built(sealed_at_counter(), **{field: value})
    for call in (
        lambda: transfer(ledger, handoff("h-1", staff(COUNTER), staff(DESK), LATER)),
        lambda: dwell_times(ledger, until=LATER),
        lambda: object_events(ledger),
        lambda: rec.packet_append(ledger, since=0),
        lambda: ledger.verify(),
    ):
        outcome_is_typed(call, value)


# --- arguments of the calls ----------------------------------------------------------------


@pytest.mark.parametrize("at", [date(2025, 3, 10), "2025-03-10T09:00+07:00", None])
def test_a_window_refuses_to_compare_what_is_not_an_instant(at: object) -> None:
    """Whether a window contains a date, text or nothing is refused with InvalidValue."""
    with pytest.raises(InvalidValue, match=r"^at: expected a timezone-aware datetime"):
        _window().contains(at)  # type: ignore[arg-type]


def test_a_window_contains_its_start_but_not_its_end() -> None:
    """A window is half-open: its start is in it, its end is not."""
    window = _window()
    assert window.contains(window.start)
    assert not window.contains(window.end)


@pytest.mark.parametrize("since", ["1", 1.0, True, -1, 3, 2**64])
def test_a_job_append_refuses_a_since_that_is_not_a_stored_version(since: object) -> None:
    """``since`` is an integer from 0 to the job's version: anything else is InvalidValue."""
    with pytest.raises(InvalidValue) as refused:
        rec.job_append(_job(), since=since, head=GENESIS)  # type: ignore[arg-type]
    assert refused.value.field == "since"


@pytest.mark.parametrize("since", ["0", -1, 2, None])
def test_a_packet_append_refuses_a_since_that_is_not_a_stored_version(since: object) -> None:
    """``since`` is an integer from 0 to the ledger's version: anything else is InvalidValue."""
    with pytest.raises(InvalidValue) as refused:
        rec.packet_append(sealed_at_counter(), since=since)  # type: ignore[arg-type]
    assert refused.value.field == "since"


@pytest.mark.parametrize(
    ("events", "field"), [(("a",), "events[0]"), ("a", "events"), ([None], "events[0]")]
)
def test_an_index_append_refuses_what_is_not_index_events(events: object, field: str) -> None:
    """Only a list of index events is appended to the index: text or other values are
    refused with InvalidValue naming them."""
    with pytest.raises(InvalidValue) as refused:
        rec.index_append(CourierIndex(application_id=APP), events)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_appends_of_good_values_still_chain() -> None:
    """The checks let good appends through: a claimed job's second event follows its first."""
    job = _job()
    append = rec.job_append(job, since=1, head=GENESIS)
    assert [event.kind for event in append.events] == ["job_claimed"]
    index = CourierIndex(application_id=APP)
    linked = JobLinked(job_id=job.id, job_kind=job.kind, at=T0)
    assert rec.index_append(index, [linked]).expected_version == 0


# --- refusals do not repeat a huge id -----------------------------------------------------


def test_a_refusal_shortens_a_huge_job_id() -> None:
    """A job booked (by hand) with a 70,000-character id is refused with a short message."""
    job = claim(
        CourierJob.from_events(
            (attrs.evolve(_job().events[0], job_id="9" * 70_000),)  # type: ignore[misc]
        ),
        COURIER.id,
        LATER,
        1,
    )
    with pytest.raises(AlreadyClaimed) as refused:
        claim(job, "c-23", LATER, job.version)
    assert len(str(refused.value)) < 200
    assert refused.value.job_id == "9" * 70_000
    assert isinstance(refused.value, JobRefused)


def test_a_job_the_commands_fold_agrees_with_its_events() -> None:
    """A job after a failed visit is rebuilt unchanged by its own checks, and refuses a
    second visit while it waits for a new window."""
    job = record_attempt(_job(), "no_one_home", courier_id=COURIER.id, at=LATER)
    assert job.status is JobStatus.ATTEMPT_FAILED
    assert attrs.evolve(job) == job
    with pytest.raises(OnestopError):
        record_attempt(job, "no_one_home", courier_id=COURIER.id, at=LATER + timedelta(1))
