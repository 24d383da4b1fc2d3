"""Custody rules: one custodian, both sides confirm, time runs forward, mismatches are recorded."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from courier_support import (
    AGENCY,
    APP,
    CITIZEN,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    KEY,
    OTHER_COURIER,
    T0,
    assigned_job,
    citizen_confirms,
    code_for,
    handoff,
    minutes,
    sealed_at_counter,
    staff,
)

from onestop.domain.common.audit import verify_chain
from onestop.domain.courier.custody import (
    AlertRaised,
    CustodyLedger,
    Delivered,
    HandedOver,
    ManifestMismatch,
    MismatchRecorded,
    Transferred,
    seal,
    transfer,
)
from onestop.domain.courier.flow import TrackingStatus, hand_over, tracking_status
from onestop.domain.courier.handoffs import (
    Confirmation,
    ConfirmationMethod,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import JobKind, JobStatus, book
from onestop.exceptions import (
    AlreadyDelivered,
    CourierNotAssigned,
    HandoffRefused,
    InvalidPacket,
    InvalidValue,
    JobRefused,
    NotCustodian,
    TimeWentBackwards,
)

LATER = T0 + minutes(30)


@pytest.fixture
def ledger() -> CustodyLedger:
    return sealed_at_counter()


def _to_desk(ledger: CustodyLedger, **changes: Any) -> Transferred | MismatchRecorded:
    move = attrs.evolve(handoff("h-1", staff(COUNTER), staff(DESK), LATER, place=AGENCY), **changes)
    return transfer(ledger, move)


class TestPackets:
    def test_item_count_must_match_the_manifest(self) -> None:
        """A packet whose count differs from its manifest raises InvalidPacket saying so."""
        with pytest.raises(InvalidPacket, match="item_count is 2 but the manifest lists 3"):
            Packet("S-1", DOCUMENTS, 2)

    def test_hashes_must_be_sha256(self) -> None:
        """A manifest item whose hash is not 64 hex digits cannot be built."""
        with pytest.raises(InvalidValue, match=r"^sha256: is not a SHA-256 digest"):
            ManifestItem("form", "abc")

    def test_items_must_be_manifest_items(self) -> None:
        """Something other than a manifest item in the manifest is named by its position."""
        with pytest.raises(InvalidPacket, match=r"manifest\[1\] is not a ManifestItem"):
            Packet("S-1", (DOCUMENTS[0], ("form", "ab" * 32)), 2)

    def test_every_problem_is_listed(self) -> None:
        """A bad seal id, an empty manifest and a wrong count are all reported at once."""
        with pytest.raises(InvalidPacket) as caught:
            Packet("bad seal!", (), 1)
        assert len(caught.value.problems) == 3

    def test_hashes_are_stored_in_lower_case(self) -> None:
        """Upper-case hex hashes are accepted and stored in lower case."""
        item = ManifestItem("ktp", DOCUMENTS[0].sha256.upper())
        assert Packet("S-1", (item,), 1).manifest == (DOCUMENTS[0],)

    def test_digest_fingerprints_the_manifest(self) -> None:
        """Equal manifests have equal digests; another order gives another digest."""
        one = Packet("S-1", DOCUMENTS, 3)
        assert one.digest == Packet("S-2", DOCUMENTS, 3).digest
        assert one.digest != Packet("S-1", DOCUMENTS[::-1], 3).digest


class TestPlacesAndParties:
    def test_coordinates_come_in_pairs(self) -> None:
        """A place with a latitude but no longitude raises InvalidValue."""
        with pytest.raises(InvalidValue):
            Place("MPP", lat="-6.1")

    def test_coordinates_are_in_range(self) -> None:
        """A latitude beyond 90 degrees raises InvalidValue."""
        with pytest.raises(InvalidValue):
            Place("MPP", lat="91", lon="0")

    def test_a_citizen_is_shown_without_id(self) -> None:
        """Messages name a citizen as 'citizen', never by account id."""
        assert CITIZEN.shown == "citizen"
        assert COURIER.shown == "courier:c-17"

    def test_confirmation_repr_hides_the_code(self) -> None:
        """A citizen's confirmation never shows the code in its repr."""
        code, issued = code_for("h-1", T0)
        assert code not in repr(Confirmation.by_code(CITIZEN, code, issued))


class TestTransfers:
    def test_a_transfer_moves_custody(self, ledger: CustodyLedger) -> None:
        """A confirmed handoff makes the receiver the one custodian."""
        outcome = _to_desk(ledger)
        assert isinstance(outcome, Transferred)
        assert outcome.ledger.custodian == DESK
        assert isinstance(outcome.events[0], HandedOver)

    def test_the_old_ledger_is_unchanged(self, ledger: CustodyLedger) -> None:
        """Transferring returns a new ledger and leaves the one given as it was."""
        before = attrs.evolve(ledger)
        _to_desk(ledger)
        assert ledger == before
        assert ledger.custodian == COUNTER

    def test_only_the_custodian_can_give(self, ledger: CustodyLedger) -> None:
        """A handoff from someone who does not hold the packet raises NotCustodian."""
        with pytest.raises(NotCustodian, match="officer:o-dpmptsp-9 does not hold"):
            _to_desk(ledger, giver=staff(Party(PartyKind.OFFICER, "o-dpmptsp-9")))

    def test_time_never_runs_backwards(self, ledger: CustodyLedger) -> None:
        """A handoff at or before the latest event raises TimeWentBackwards."""
        with pytest.raises(TimeWentBackwards):
            _to_desk(ledger, at=T0)

    def test_nobody_hands_to_themselves(self, ledger: CustodyLedger) -> None:
        """A handoff whose giver is its receiver raises HandoffRefused."""
        with pytest.raises(HandoffRefused):
            _to_desk(ledger, receiver=staff(COUNTER))

    def test_staff_confirm_with_a_credential(self, ledger: CustodyLedger) -> None:
        """Staff confirming without a verified credential raises HandoffRefused."""
        bare = Confirmation(party=DESK, method=ConfirmationMethod.PIN)
        with pytest.raises(HandoffRefused):
            _to_desk(ledger, receiver=bare)

    def test_citizens_confirm_with_their_code_only(self, ledger: CustodyLedger) -> None:
        """A citizen confirming by PIN raises HandoffRefused."""
        with pytest.raises(HandoffRefused):
            _to_desk(ledger, receiver=Confirmation.by_pin(CITIZEN, "pin"))

    def test_a_handoff_id_is_used_once(self, ledger: CustodyLedger) -> None:
        """Recording a second handoff under an id already used raises HandoffRefused."""
        at_desk = _to_desk(ledger).ledger
        back = handoff("h-1", staff(DESK), staff(COUNTER), LATER + minutes(5))
        with pytest.raises(HandoffRefused, match="already recorded"):
            transfer(at_desk, back)

    def test_an_unassigned_courier_cannot_receive(self, ledger: CustodyLedger) -> None:
        """A courier other than the job's raises CourierNotAssigned."""
        move = handoff("h-1", staff(COUNTER), staff(OTHER_COURIER), LATER)
        with pytest.raises(CourierNotAssigned):
            transfer(ledger, move, assigned_courier=COURIER.id)

    def test_a_delivery_ends_the_ledger(self, ledger: CustodyLedger) -> None:
        """After a delivery to the citizen, any handoff raises AlreadyDelivered."""
        give = handoff("h-give", staff(COUNTER), citizen_confirms("h-give", LATER), LATER)
        delivered = transfer(ledger, give, otp_key=KEY).ledger
        assert isinstance(delivered.events[-1], Delivered)
        again = handoff("h-2", staff(COUNTER), staff(DESK), LATER + minutes(1))
        with pytest.raises(AlreadyDelivered):
            transfer(delivered, again)

    def test_citizen_codes_need_the_key(self, ledger: CustodyLedger) -> None:
        """A citizen's code cannot be checked without the code key: HandoffRefused."""
        give = handoff("h-give", staff(COUNTER), citizen_confirms("h-give", LATER), LATER)
        with pytest.raises(HandoffRefused):
            transfer(ledger, give)

    def test_refusals_never_quote_the_code(self, ledger: CustodyLedger) -> None:
        """A refused code's message names the handoff, not the code or the citizen."""
        code, issued = code_for("h-other", LATER)
        give = handoff("h-give", staff(COUNTER), Confirmation.by_code(CITIZEN, code, issued), LATER)
        with pytest.raises(Exception, match="another handoff") as caught:
            transfer(ledger, give, otp_key=KEY)
        assert code not in str(caught.value)
        assert CITIZEN.id not in str(caught.value)

    def test_a_stream_starts_with_its_seal(self, ledger: CustodyLedger) -> None:
        """Folding custody events that do not start with the sealing raises HandoffRefused."""
        moved = _to_desk(ledger).ledger
        with pytest.raises(HandoffRefused):
            CustodyLedger.from_events(moved.events[1:])

    def test_a_pickup_needs_a_proof_hash(self) -> None:
        """Sealing at a pickup without a SHA-256 proof raises HandoffRefused."""
        packet = Packet("S-1", DOCUMENTS, 3)
        with pytest.raises(HandoffRefused, match="proof"):
            seal(
                packet,
                application_id=APP,
                by=staff(COURIER),
                at=T0,
                place=Place.applicant_address(),
                collected=citizen_confirms("h-pickup", T0),
                handoff_id="h-pickup",
                proof_sha256="not a hash",
                otp_key=KEY,
            )


class TestMismatch:
    SHORT = DOCUMENTS[:2]

    def test_a_short_count_is_recorded_not_accepted(self, ledger: CustodyLedger) -> None:
        """A count that misses an item records a ManifestMismatch and custody stays put."""
        outcome = _to_desk(ledger, scanned=self.SHORT)
        assert isinstance(outcome, MismatchRecorded)
        assert not outcome.accepted
        assert outcome.ledger.custodian == COUNTER
        mismatch = outcome.ledger.events[-1]
        assert isinstance(mismatch, ManifestMismatch)
        assert mismatch.missing == ("land-certificate",)
        assert (mismatch.expected, mismatch.counted) == (3, 2)

    def test_a_mismatch_raises_an_alert(self, ledger: CustodyLedger) -> None:
        """The returned events end with an AlertRaised naming the packet and handoff."""
        outcome = _to_desk(ledger, scanned=self.SHORT)
        alert = outcome.events[-1]
        assert isinstance(alert, AlertRaised)
        assert (alert.alert, alert.seal_id, alert.handoff_id) == (
            "manifest_mismatch",
            "S-0001",
            "h-1",
        )

    def test_a_different_hash_is_a_mismatch(self, ledger: CustodyLedger) -> None:
        """A document whose hash differs from the sealed one counts as missing and unexpected."""
        swapped = (*DOCUMENTS[:2], ManifestItem("land-certificate", "0" * 64))
        outcome = _to_desk(ledger, scanned=swapped)
        mismatch = outcome.ledger.events[-1]
        assert isinstance(mismatch, ManifestMismatch)
        assert mismatch.missing == mismatch.unexpected == ("land-certificate",)

    def test_the_mismatch_is_part_of_the_chain(self, ledger: CustodyLedger) -> None:
        """The exception entry is chained like any other and the ledger still verifies."""
        outcome = _to_desk(ledger, scanned=self.SHORT)
        assert outcome.ledger.version == ledger.version + 1
        assert verify_chain(outcome.ledger.entries).ok

    def test_order_of_scanning_does_not_matter(self, ledger: CustodyLedger) -> None:
        """Items counted in another order match the manifest."""
        assert isinstance(_to_desk(ledger, scanned=DOCUMENTS[::-1]), Transferred)

    def test_tracking_shows_an_exception_until_resolved(self) -> None:
        """The citizen sees 'exception' after a mismatch, and the next transfer clears it."""
        job = assigned_job(JobKind.LEG_TO_AGENCY)
        ledger = sealed_at_counter()
        short = handoff("h-1", staff(COUNTER), staff(COURIER), LATER, scanned=self.SHORT)
        step = hand_over(ledger, short, job=job)
        assert step.job == job
        assert step.alerts
        assert tracking_status(job, step.ledger) is TrackingStatus.EXCEPTION
        full = handoff("h-1", staff(COUNTER), staff(COURIER), LATER + minutes(5))
        step = hand_over(step.ledger, full, job=job)
        assert step.job is not None
        assert tracking_status(step.job, step.ledger) is TrackingStatus.PICKED_UP


class TestJobsInHandoffs:
    def test_a_courier_receives_only_for_a_job(self, ledger: CustodyLedger) -> None:
        """A courier receiving without a job raises CourierNotAssigned."""
        with pytest.raises(CourierNotAssigned):
            hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER))

    def test_the_job_must_be_the_couriers(self, ledger: CustodyLedger) -> None:
        """A courier receiving for another courier's job raises CourierNotAssigned."""
        job = assigned_job(JobKind.LEG_TO_AGENCY, courier=OTHER_COURIER)
        with pytest.raises(CourierNotAssigned, match="c-17"):
            hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)

    def test_an_unclaimed_job_assigns_nobody(self, ledger: CustodyLedger) -> None:
        """A courier receiving for a job nobody claimed raises CourierNotAssigned."""
        job = book("job-1", APP, JobKind.LEG_TO_AGENCY, at=T0, actor="o-counter-3")
        with pytest.raises(CourierNotAssigned):
            hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)

    def test_the_job_must_be_for_the_same_application(self, ledger: CustodyLedger) -> None:
        """A job for another application cannot move this packet: HandoffRefused."""
        job = assigned_job(JobKind.LEG_TO_AGENCY, application_id="app-other")
        with pytest.raises(HandoffRefused):
            hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)

    def test_receiving_starts_the_job(self, ledger: CustodyLedger) -> None:
        """When the assigned courier receives the packet, the job is in progress."""
        job = assigned_job(JobKind.LEG_TO_AGENCY)
        step = hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)
        assert step.job is not None
        assert step.job.status is JobStatus.IN_PROGRESS
        assert [e.kind for e in step.job_events] == ["job_started"]

    def test_a_closed_job_moves_nothing(self, ledger: CustodyLedger) -> None:
        """A completed job cannot be used for another handoff: JobRefused."""
        job = assigned_job(JobKind.LEG_TO_AGENCY)
        step = hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)
        assert step.job is not None
        arrive = handoff("h-2", staff(COURIER), staff(DESK), LATER + minutes(30), place=AGENCY)
        done = hand_over(step.ledger, arrive, job=step.job)
        assert done.job is not None
        assert done.job.status is JobStatus.COMPLETED
        back = handoff("h-3", staff(DESK), staff(COURIER), LATER + minutes(40), place=AGENCY)
        with pytest.raises(JobRefused):
            hand_over(done.ledger, back, job=done.job)

    def test_only_a_delivery_reaches_the_citizen(self, ledger: CustodyLedger) -> None:
        """A leg's courier handing the packet to the citizen raises JobRefused."""
        job = assigned_job(JobKind.LEG_TO_AGENCY)
        step = hand_over(ledger, handoff("h-1", staff(COUNTER), staff(COURIER), LATER), job=job)
        assert step.job is not None
        at = LATER + minutes(30)
        give = handoff("h-2", staff(COURIER), citizen_confirms("h-2", at), at)
        with pytest.raises(JobRefused):
            hand_over(step.ledger, give, job=step.job, otp_key=KEY)
