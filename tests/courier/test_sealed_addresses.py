"""Courier job addresses are sealed under the applicant's subject, as the application is."""

from __future__ import annotations

from desk_support import ADDRESS, CALENDARS, CATALOGUE, KEY, OWNER, Clock, apply, window

from onestop.domain.common.parties import Personal
from onestop.domain.common.subjects import subject_id
from onestop.storage.memory import MemoryStore
from onestop.usecases import streams
from onestop.usecases.courier import writer as rec
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.courier.queries import CourierFacts
from onestop.usecases.mall import Mall
from sealing_support import FakeKeys, forms


def _desk(keys: FakeKeys) -> tuple[Mall, CourierDesk, Clock, MemoryStore]:
    clock, store = Clock(), MemoryStore()
    mall = Mall(
        catalogue=CATALOGUE,
        store=store,
        clock=clock,
        calendars=CALENDARS,
        courier_facts=CourierFacts(store),
        keys=keys,
    )
    return mall, CourierDesk(mall, otp_key=KEY), clock, store


def test_a_booked_address_is_stored_sealed_and_read_back() -> None:
    """The desk borrows the mall's keys: the stored job holds no address, loading opens it."""
    keys = FakeKeys()
    mall, desk, clock, store = _desk(keys)
    app, _, _ = apply(mall)
    job = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)

    bodies = b"".join(r.body for r in store.read(rec.job_stream(job.id)))

    assert [form for form in forms(ADDRESS) if form in bodies] == []
    assert desk.job(job.id).address == Personal(ADDRESS)


def test_an_erased_applicant_leaves_the_job_loadable_and_verifiable() -> None:
    """After erasure the job loads with its address erased and its chain still verifies."""
    keys = FakeKeys()
    mall, desk, clock, store = _desk(keys)
    app, _, _ = apply(mall)
    job = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)
    keys.erase(subject_id(app))

    loaded, _ = rec.load_job(store, job.id, keys=keys)
    records = store.read(rec.job_stream(job.id))

    assert loaded.address is not None
    assert loaded.address.is_erased
    assert loaded.status == job.status
    assert streams.audit(rec.JOBS, rec.job_stream(job.id), records, keys=keys).ok
    assert streams.audit(rec.JOBS, rec.job_stream(job.id), records).ok
