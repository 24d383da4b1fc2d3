"""Streams the previous release wrote keep loading, although new commands now refuse their values.

The previous release stored ids with capitals or a final line break, free-text
credentials, place labels with a tab, and manifests listing a document twice.  New
commands refuse all of these (`onestop.domain.common.formats`); the desk still reads them
back, and the stored chain still verifies.  Such values are built here as the
previous release built them, without today's checks, and written with the same
encoding it used.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

import attrs
import pytest
from desk_support import FRONT, ORIGINALS, Clock, apply, new_desk, sha

from onestop.domain.common.audit import GENESIS
from onestop.domain.courier.custody import CustodyLedger, PacketSealed
from onestop.domain.courier.handoffs import (
    ConfirmationMethod,
    Confirmed,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import (
    Attempt,
    AttemptOutcome,
    AttemptRecorded,
    CourierJob,
    JobBooked,
    JobClaimed,
    JobKind,
    JobStatus,
    TimeWindow,
)
from onestop.domain.courier.otp import OneTimeCode
from onestop.exceptions import InvalidPacket, InvalidValue
from onestop.ports.events import Batch
from onestop.usecases.courier import writer as rec
from onestop.usecases.mall import Mall

_T = TypeVar("_T")


def as_stored(cls: type[_T], **values: Any) -> _T:
    """Build *cls* from *values* as the previous release could: without today's checks."""
    instance = object.__new__(cls)
    for field in attrs.fields(cls):  # type: ignore[misc]
        value = values.get(field.name, field.default)
        object.__setattr__(instance, field.name, value)
    return instance


OFFICER = as_stored(Party, kind=PartyKind.OFFICER, id="O-Counter-3")
COURIER = as_stored(Party, kind=PartyKind.COURIER, id="c-17\n")
TWICE = as_stored(Packet, seal_id="S-legacy", manifest=(ORIGINALS[0], ORIGINALS[0]), item_count=2)
LOKET = as_stored(Place, label="Loket\t3", lat=None, lon=None)


def _write(mall: Mall, *appends: Any) -> None:
    mall.store.commit_batch(  # type: ignore[attr-defined]
        Batch(appends=appends, recorded_at=Clock().now())
    )


@pytest.fixture
def legacy() -> tuple[Mall, Any, str]:
    """A desk over a store holding a legacy packet, job and code record of one application."""
    mall, desk, clock = new_desk()
    app, _, _ = apply(mall)
    at = clock.now()
    sealed = PacketSealed(
        application_id=app,
        packet=TWICE,
        custodian=OFFICER,
        confirmed=as_stored(
            Confirmed, party=OFFICER, method=ConfirmationMethod.PIN, reference="badge ok"
        ),
        at=at,
        place=LOKET,
    )
    ledger = CustodyLedger.from_events((sealed,))
    booked = JobBooked(
        job_id="job-legacy",
        application_id=app,
        job_kind=JobKind.LEG_TO_AGENCY,
        actor="Officer-Ana",
        at=at,
    )
    claimed = JobClaimed(courier_id="c-17\n", at=at)
    visit = as_stored(
        Attempt, number=1, outcome=AttemptOutcome.NO_ONE_HOME, courier_id="c-17\n", at=at
    )
    job = CourierJob.from_events((booked, claimed, AttemptRecorded(attempt=visit, at=at)))
    record = as_stored(
        OneTimeCode,
        application_id=app,
        handoff_id="h-door\n",
        expires_at=at + timedelta(1),
        digest=sha("digest"),
    )
    index = rec.load_index(mall.store, app)
    _write(
        mall,
        rec.packet_append(ledger, since=0),
        rec.job_append(job, since=0, head=GENESIS),
        rec.index_append(
            index,
            [
                rec.PacketLinked(seal_id="S-legacy", at=at),
                rec.JobLinked(job_id="job-legacy", job_kind=JobKind.LEG_TO_AGENCY, at=at),
                rec.CodeIssued(job_id=None, record=record, at=at),
            ],
        ),
    )
    return mall, desk, app


def test_a_legacy_packet_loads_and_verifies(legacy: tuple[Mall, Any, str]) -> None:
    """A packet sealed by ``O-Counter-3`` at ``Loket\\t3``, listing a document twice, loads."""
    _, desk, _ = legacy
    ledger = desk.ledger("S-legacy")
    assert ledger.custodian.id == "O-Counter-3"
    assert ledger.packet.manifest == (ORIGINALS[0], ORIGINALS[0])
    assert ledger.events[0].place.label == "Loket\t3"
    assert desk.verify_packet("S-legacy").ok


def test_a_legacy_job_loads(legacy: tuple[Mall, Any, str]) -> None:
    """A job claimed by ``c-17`` with a final line break loads, with its visit."""
    _, desk, app = legacy
    job = desk.job("job-legacy")
    assert (job.courier_id, job.status) == ("c-17\n", JobStatus.ATTEMPT_FAILED)
    assert job.attempts[0].courier_id == "c-17\n"
    assert [j.id for j in desk.jobs(app)] == ["job-legacy"]


def test_a_legacy_job_is_extended(legacy: tuple[Mall, Any, str]) -> None:
    """A job whose stored ids today's formats refuse still takes a new command: the job
    checks the types of what it holds, not the formats of its history."""
    mall, desk, _ = legacy
    clock = mall.clock
    start = clock.now() + timedelta(hours=1)
    moved = desk.reschedule(
        "job-legacy", TimeWindow(start, start + timedelta(hours=2)), actor=FRONT
    )
    assert (moved.courier_id, moved.status, moved.version) == ("c-17\n", JobStatus.ASSIGNED, 4)
    assert desk.job("job-legacy") == moved


def test_a_legacy_code_record_loads(legacy: tuple[Mall, Any, str]) -> None:
    """The index keeps a code record whose handoff id ends with a line break."""
    mall, _, app = legacy
    assert set(rec.load_index(mall.store, app).codes) == {"h-door\n"}


def test_the_legacy_packet_exports(legacy: tuple[Mall, Any, str]) -> None:
    """The EPCIS export of a legacy packet names its parties and place, percent-encoded."""
    _, desk, _ = legacy
    event = desk.epcis(["S-legacy"])["epcisBody"]["eventList"][0]
    assert event["destinationList"][0]["destination"] == "urn:onestop:party:officer:O-Counter-3"
    assert event["readPoint"]["id"] == "urn:onestop:place:Loket%093"


def test_new_commands_refuse_what_history_holds() -> None:
    """The values history keeps cannot be given to a new command."""
    with pytest.raises(InvalidValue):
        Party(PartyKind.OFFICER, "O-Counter-3")
    with pytest.raises(InvalidPacket):
        Packet("S-new", (ORIGINALS[0], ORIGINALS[0]), 2)
    with pytest.raises(InvalidValue):
        Place("Loket\t3")
    with pytest.raises(InvalidValue):
        ManifestItem("ktp", sha("x") + "\n")
