"""Courier jobs: booking, one winning claim, visits, rescheduling, the way back to the counter."""

from __future__ import annotations

import pytest
from courier_support import (
    ADDRESS,
    APP,
    CITIZEN,
    COUNTER,
    COURIER,
    DOCUMENTS,
    KEY,
    OTHER_COURIER,
    PERMIT,
    T0,
    assigned_job,
    citizen_confirms,
    code_for,
    handoff,
    minutes,
    sealed_at_counter,
    sha,
    staff,
)

from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import ReturnedToCounter
from onestop.domain.courier.flow import (
    TRACKING_LABELS,
    TrackingStatus,
    collect,
    hand_over,
    tracking_label,
    tracking_status,
)
from onestop.domain.courier.handoffs import Confirmation, Packet
from onestop.domain.courier.jobs import (
    AttemptOutcome,
    CourierJob,
    JobKind,
    JobStatus,
    TimeWindow,
    book,
    claim,
    courier_fact,
    record_attempt,
    reschedule,
)
from onestop.exceptions import (
    AlreadyClaimed,
    ConcurrencyConflict,
    CourierNotAssigned,
    InvalidValue,
    JobRefused,
    TimeWentBackwards,
    WrongCode,
)

WINDOW = TimeWindow(T0 + minutes(60), T0 + minutes(180))


def _booked(kind: JobKind = JobKind.PICKUP, **options: object) -> CourierJob:
    arguments: dict[str, object] = {
        "at": T0,
        "actor": "o-counter-3",
        "window": WINDOW,
        "address": Personal(ADDRESS),
    }
    arguments.update(options)
    return book("job-1", APP, kind, **arguments)  # type: ignore[arg-type]


def _fail(job: CourierJob, at_minute: int) -> CourierJob:
    return record_attempt(
        job, AttemptOutcome.NO_ONE_HOME, courier_id=COURIER.id, at=T0 + minutes(at_minute)
    )


class TestBooking:
    def test_a_pickup_needs_a_window(self) -> None:
        """Booking a pickup without a time window raises InvalidValue."""
        with pytest.raises(InvalidValue, match="window"):
            _booked(window=None)

    def test_a_door_job_needs_the_address_as_personal_data(self) -> None:
        """A bare address string is refused: it must be wrapped in Personal."""
        with pytest.raises(InvalidValue, match="address"):
            _booked(JobKind.DELIVERY, address=ADDRESS)

    def test_the_address_never_shows(self) -> None:
        """Neither the job's nor its booking event's repr shows the address."""
        job = _booked()
        assert ADDRESS not in repr(job)
        assert ADDRESS not in repr(job.events)

    def test_max_attempts_is_bounded(self) -> None:
        """A limit of zero failed visits raises InvalidValue."""
        with pytest.raises(InvalidValue):
            _booked(max_attempts=0)

    def test_a_window_must_not_be_empty(self) -> None:
        """A window that ends when it starts raises InvalidValue."""
        with pytest.raises(InvalidValue):
            TimeWindow(T0, T0)

    def test_a_booked_pickup_is_scheduled(self) -> None:
        """The citizen sees a booked pickup as 'pickup_scheduled'."""
        assert tracking_status(_booked()) is TrackingStatus.PICKUP_SCHEDULED

    def test_a_booked_delivery_is_information_received(self) -> None:
        """Before anything moves, a delivery shows as 'info_received'."""
        assert tracking_status(_booked(JobKind.DELIVERY)) is TrackingStatus.INFO_RECEIVED

    def test_a_stream_starts_with_its_booking(self) -> None:
        """Folding a stream that does not start with the booking raises JobRefused."""
        job = assigned_job(JobKind.PICKUP)
        with pytest.raises(JobRefused):
            CourierJob.from_events(job.events[1:])


class TestClaims:
    def test_a_claim_assigns_the_courier(self) -> None:
        """Claiming a booked job assigns it and moves its version on."""
        job = _booked()
        claimed = claim(job, COURIER.id, T0, job.version)
        assert (claimed.status, claimed.courier_id, claimed.version) == (
            JobStatus.ASSIGNED,
            COURIER.id,
            job.version + 1,
        )

    def test_two_claims_on_one_version_one_wins(self) -> None:
        """Of two claims on one version the first is accepted; the second raises AlreadyClaimed."""
        job = _booked()
        version = job.version
        first = claim(job, COURIER.id, T0, version)
        with pytest.raises(AlreadyClaimed) as caught:
            claim(first, OTHER_COURIER.id, T0, version)
        assert first.courier_id == COURIER.id
        assert caught.value.job_id == "job-1"

    def test_the_same_courier_cannot_claim_twice(self) -> None:
        """A second claim by the winner also raises AlreadyClaimed."""
        job = assigned_job(JobKind.PICKUP)
        with pytest.raises(AlreadyClaimed):
            claim(job, COURIER.id, T0, job.version)

    def test_a_stale_version_conflicts(self) -> None:
        """A claim with an expected version that is not the job's raises ConcurrencyConflict."""
        job = _booked()
        with pytest.raises(ConcurrencyConflict):
            claim(job, COURIER.id, T0, job.version + 1)

    def test_a_losing_claim_changes_nothing(self) -> None:
        """The job the losing claim was given is the same afterwards."""
        first = assigned_job(JobKind.PICKUP)
        events = first.events
        with pytest.raises(AlreadyClaimed):
            claim(first, OTHER_COURIER.id, T0, 1)
        assert first.events == events
        assert first.courier_id == COURIER.id


class TestVisits:
    def test_a_failed_visit_asks_for_a_new_window(self) -> None:
        """A failed pickup visit leaves the job 'attempt_failed'."""
        job = _fail(assigned_job(JobKind.PICKUP), 70)
        assert job.status is JobStatus.ATTEMPT_FAILED
        assert tracking_status(job) is TrackingStatus.ATTEMPT_FAILED

    def test_success_is_proven_by_a_handoff(self) -> None:
        """Recording a 'done' visit directly raises JobRefused."""
        with pytest.raises(JobRefused, match="handoff"):
            record_attempt(
                assigned_job(JobKind.PICKUP), AttemptOutcome.DONE, courier_id=COURIER.id, at=T0
            )

    def test_only_the_assigned_courier_records_visits(self) -> None:
        """Another courier recording a visit raises CourierNotAssigned."""
        with pytest.raises(CourierNotAssigned):
            record_attempt(
                assigned_job(JobKind.PICKUP),
                AttemptOutcome.REFUSED,
                courier_id=OTHER_COURIER.id,
                at=T0,
            )

    def test_a_visit_needs_a_new_window_after_a_failure(self) -> None:
        """A second visit without rescheduling raises JobRefused."""
        job = _fail(assigned_job(JobKind.PICKUP), 70)
        with pytest.raises(JobRefused):
            _fail(job, 80)

    def test_rescheduling_sends_the_job_out_again(self) -> None:
        """After a failure, a new window puts the pickup back to 'assigned'."""
        job = _fail(assigned_job(JobKind.PICKUP), 70)
        later = TimeWindow(T0 + minutes(24 * 60), T0 + minutes(26 * 60))
        job = reschedule(job, later, at=T0 + minutes(90), actor="citizen")
        assert (job.status, job.window) == (JobStatus.ASSIGNED, later)

    def test_a_past_window_is_refused(self) -> None:
        """Rescheduling to a window already over raises JobRefused."""
        with pytest.raises(JobRefused):
            reschedule(assigned_job(JobKind.PICKUP), WINDOW, at=T0 + minutes(200), actor="o")

    def test_time_never_runs_backwards_for_jobs(self) -> None:
        """A visit recorded before the job's latest event raises TimeWentBackwards."""
        job = assigned_job(JobKind.PICKUP, at=T0 + minutes(60))
        with pytest.raises(TimeWentBackwards):
            _fail(job, 30)

    def test_a_pickup_out_of_attempts_is_returned(self) -> None:
        """After max_attempts failed pickups the job is back at the counter at once."""
        job = assigned_job(JobKind.PICKUP, max_attempts=2)
        job = _fail(job, 70)
        job = reschedule(job, WINDOW, at=T0 + minutes(75), actor="o")
        job = _fail(job, 80)
        assert job.status is JobStatus.RETURNED
        assert job.events[-1].kind == "job_returned"
        assert job.failed_attempts == 2
        assert tracking_status(job) is TrackingStatus.RETURNED_TO_COUNTER
        assert courier_fact(job) == ("job-1", "returned")


class TestCollect:
    def _collect(self, job: CourierJob, **changes: object) -> object:
        at = T0 + minutes(70)
        code, issued = code_for("h-pickup", at)
        arguments: dict[str, object] = {
            "handoff_id": "h-pickup",
            "citizen": Confirmation.by_code(CITIZEN, code, issued),
            "courier": staff(COURIER),
            "at": at,
            "proof_sha256": sha("signature"),
            "otp_key": KEY,
        }
        arguments.update(changes)
        packet = Packet("S-1", DOCUMENTS, 3)
        return collect(job, packet, **arguments)  # type: ignore[arg-type]

    def test_collecting_starts_the_job(self) -> None:
        """A collected pickup is in progress, with one successful visit."""
        step = self._collect(assigned_job(JobKind.PICKUP))
        job = step.job  # type: ignore[attr-defined]
        assert job.status is JobStatus.IN_PROGRESS
        assert [a.outcome for a in job.attempts] == [AttemptOutcome.DONE]

    def test_only_the_assigned_courier_collects(self) -> None:
        """Another courier collecting raises CourierNotAssigned."""
        with pytest.raises(CourierNotAssigned):
            self._collect(assigned_job(JobKind.PICKUP), courier=staff(OTHER_COURIER))

    def test_only_a_pickup_collects(self) -> None:
        """Collecting on a delivery job raises JobRefused."""
        with pytest.raises(JobRefused):
            self._collect(assigned_job(JobKind.DELIVERY))

    def test_collecting_needs_the_citizens_code(self) -> None:
        """A wrong code at the door raises WrongCode and starts nothing."""
        job = assigned_job(JobKind.PICKUP)
        _, issued = code_for("h-pickup", T0 + minutes(70))
        with pytest.raises(WrongCode):
            self._collect(job, citizen=Confirmation.by_code(CITIZEN, "000000", issued))
        assert job.status is JobStatus.ASSIGNED


class TestReturnToCounter:
    def _out_for_delivery(self) -> tuple[CourierJob, object]:
        job = assigned_job(JobKind.DELIVERY, max_attempts=1)
        ledger = sealed_at_counter(items=PERMIT)
        step = hand_over(
            ledger,
            handoff("h-out", staff(COUNTER), staff(COURIER), T0 + minutes(10), scanned=PERMIT),
            job=job,
        )
        assert step.job is not None
        return step.job, step.ledger

    def test_a_delivery_out_of_attempts_must_come_back(self) -> None:
        """A delivery's last failed visit leaves the courier 'returning' the packet."""
        job, _ = self._out_for_delivery()
        assert _fail(job, 70).status is JobStatus.RETURNING

    def test_handing_back_returns_it_to_the_counter(self) -> None:
        """The courier's handoff to the counter is a ReturnedToCounter; the job is returned."""
        job, ledger = self._out_for_delivery()
        job = _fail(job, 70)
        back = handoff("h-back", staff(COURIER), staff(COUNTER), T0 + minutes(120), scanned=PERMIT)
        step = hand_over(ledger, back, job=job)  # type: ignore[arg-type]
        assert isinstance(step.custody_events[0], ReturnedToCounter)
        assert step.job is not None
        assert step.job.status is JobStatus.RETURNED
        assert tracking_status(step.job, step.ledger) is TrackingStatus.RETURNED_TO_COUNTER

    def test_the_citizen_can_still_collect_at_the_counter(self) -> None:
        """After the return, the counter can hand the permit to the citizen without a courier."""
        job, ledger = self._out_for_delivery()
        back = handoff("h-back", staff(COURIER), staff(COUNTER), T0 + minutes(120), scanned=PERMIT)
        step = hand_over(ledger, back, job=_fail(job, 70))  # type: ignore[arg-type]
        at = T0 + minutes(24 * 60)
        give = handoff(
            "h-counter", staff(COUNTER), citizen_confirms("h-counter", at), at, scanned=PERMIT
        )
        assert hand_over(step.ledger, give, otp_key=KEY).ledger.delivered


class TestLabels:
    def test_every_status_has_three_languages(self) -> None:
        """Each tracking status is labelled in Indonesian, English and Khmer."""
        for status in TrackingStatus:
            assert TRACKING_LABELS[status].missing(("id", "en", "km")) == ()

    def test_khmer_labels_are_khmer_script(self) -> None:
        """The Khmer labels are written in the Khmer script."""
        for status in TrackingStatus:
            label = tracking_label(status, "km")
            assert all("\u1780" <= ch <= "\u17ff" for ch in label if not ch.isspace())

    def test_unknown_languages_fall_back_to_english(self) -> None:
        """A language without labels reads in English."""
        assert tracking_label(TrackingStatus.AT_AGENCY, "ko") == "At the agency"

    def test_regional_tags_fall_back_to_the_language(self) -> None:
        """'id-ID' reads the Indonesian label."""
        assert tracking_label(TrackingStatus.DELIVERED, "id-ID") == "Telah diterima"
