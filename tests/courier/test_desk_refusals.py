"""The courier desk refuses what it must: racing claims, forged handoffs, guessed codes.

Every refusal is typed and writes nothing: each test compares the store before and
after.  `onestop.testing.courier.claim_race` runs here against the in-memory store,
and against the SQLite store once that adapter can commit batches.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from desk_support import (
    ADDRESS,
    COUNTER,
    COURIER,
    DESK,
    FRONT,
    KEY,
    MALL,
    ORIGINALS,
    OTHER_COURIER,
    OTHER_RIDER,
    OWNER,
    PERMIT,
    RIDER,
    TOKEN,
    Clock,
    apply,
    new_desk,
    out_for_delivery,
    picked_up,
    pin,
    sha,
    snapshot,
    staff_handoff,
    window,
)
from structlog.testing import capture_logs

from onestop.domain.common.parties import Personal
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import JobStatus
from onestop.domain.courier.otp import issue_code
from onestop.exceptions import (
    AlreadyDelivered,
    CodeAlreadyUsed,
    CodeExpired,
    CodeNotIssued,
    ConcurrencyConflict,
    CourierNotAssigned,
    HandoffRefused,
    InvalidValue,
    NotCustodian,
    OnestopError,
    PacketNotFound,
    TooManyWrongCodes,
    WrongCode,
)
from onestop.ports.events import Batch, BatchStore, EventStore, StoredEvent
from onestop.storage.memory import MemoryStore
from onestop.testing.courier import claim_race
from onestop.usecases.courier.desk import CourierDesk

# --- races ---------------------------------------------------------------------------------


class Slow(MemoryStore):
    """A memory store that pauses after each read, so racing claims all read version 1."""

    conflicts = 0

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        records = super().read(stream_id, after=after)
        time.sleep(0.005)
        return records

    def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
        try:
            return super().commit_batch(batch)
        except ConcurrencyConflict:
            type(self).conflicts += 1
            raise


def test_eight_couriers_one_winner() -> None:
    """Eight couriers claim one job at once: one wins, the seven others get AlreadyClaimed."""
    Slow.conflicts = 0
    race = claim_race(Slow, couriers=8)
    assert race.ok, race
    assert race.already_claimed == 7
    assert Slow.conflicts >= 1


def test_racing_with_expected_versions() -> None:
    """Couriers naming the version they saw lose with AlreadyClaimed or ConcurrencyConflict only."""
    race = claim_race(MemoryStore, couriers=8, expected_version=1)
    assert race.ok, race


def _sqlite() -> EventStore:
    sqlite = pytest.importorskip("onestop.storage.sqlite")
    store: EventStore = sqlite.SQLiteStore.open(":memory:")
    if not isinstance(store, BatchStore):
        store.close()
        pytest.skip("SQLiteStore does not implement onestop.ports.BatchStore (commit_batch) yet")
    return store


def test_eight_couriers_one_winner_on_sqlite() -> None:
    """The claim race holds on the SQLite store too."""
    race = claim_race(_sqlite, couriers=8)
    assert race.ok, race


def test_stale_expected_version_is_a_conflict() -> None:
    """A claim naming a version the job is not at is refused, and nothing is written."""
    mall, desk, _clock = new_desk()
    app, _, _ = apply(mall)
    job = desk.book_leg(app, actor=FRONT)
    with pytest.raises(ConcurrencyConflict):
        desk.claim(job.id, RIDER, expected_version=0)
    assert desk.job(job.id).status is JobStatus.BOOKED


# --- forged and refused handoffs ----------------------------------------------------------


def _at_door(desk: CourierDesk, job_id: str, code: str, handoff_id: str = "h-door") -> object:
    return desk.deliver(
        job_id,
        handoff_id=handoff_id,
        courier=pin(COURIER),
        citizen_code=code,
        proof_sha256=sha("signature"),
        scanned=ORIGINALS,
    )


def _forged(desk: CourierDesk, seal_id: str, job_id: str, now: datetime) -> object:
    """The caller brings a code and a record made with its own key."""
    app = desk.ledger(seal_id).application_id
    code, record = issue_code(
        b"an-attacker-own-key-32-bytes!!!!", app, "h-x", now + timedelta(hours=1)
    )
    citizen = Confirmation.by_code(Party(PartyKind.CITIZEN, app), code, record)
    handoff = attrs.evolve(staff_handoff("h-x", COURIER, COUNTER, now), receiver=citizen)
    return desk.hand_over(seal_id, handoff, job_id=job_id)


FORGERIES: dict[
    str, tuple[type[Exception], Callable[[CourierDesk, str, str, str, Clock], object]]
] = {
    "wrong code": (
        WrongCode,
        lambda d, s, j, c, k: _at_door(d, j, "000000" if c != "000000" else "1" * 6),
    ),
    "no code issued": (CodeNotIssued, lambda d, s, j, c, k: _at_door(d, j, c, "h-other")),
    "code issued outside the job": (
        CodeNotIssued,
        lambda d, s, j, c, k: _at_door(d, j, c, "h-counter"),
    ),
    "expired code": (CodeExpired, lambda d, s, j, c, k: (k.advance(minutes=10), _at_door(d, j, c))),
    "record brought by the caller": (
        CodeNotIssued,
        lambda d, s, j, c, k: _forged(d, s, j, k.now()),
    ),
    "courier not assigned": (
        CourierNotAssigned,
        lambda d, s, j, c, k: d.hand_over(
            s, staff_handoff("h-x", COURIER, OTHER_COURIER, k.now()), job_id=j
        ),
    ),
    "giver not custodian": (
        NotCustodian,
        lambda d, s, j, c, k: d.hand_over(s, staff_handoff("h-x", COUNTER, DESK, k.now())),
    ),
    "handoff id replayed": (
        HandoffRefused,
        lambda d, s, j, c, k: d.hand_over(
            s, staff_handoff("h-c", COURIER, COUNTER, k.now()), job_id=j
        ),
    ),
    "dated after the clock": (
        HandoffRefused,
        lambda d, s, j, c, k: d.hand_over(
            s, staff_handoff("h-x", COURIER, COUNTER, k.now() + timedelta(days=1)), job_id=j
        ),
    ),
    "after delivery": (  # the test delivers first
        AlreadyDelivered,
        lambda d, s, j, c, k: d.hand_over(s, staff_handoff("h-x", COURIER, COUNTER, k.now())),
    ),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_handoff_is_refused_and_writes_nothing(case: str) -> None:
    """Each forged handoff is refused with its typed error, and the store is unchanged."""
    store = MemoryStore()
    mall, desk, clock = new_desk(store)
    seal_id, job_id, code = out_for_delivery(mall, desk, clock)
    error, forge = FORGERIES[case]
    if case == "after delivery":
        _at_door(desk, job_id, code)
        clock.advance(minutes=1)
    before = snapshot(store)
    with pytest.raises(error):
        forge(desk, seal_id, job_id, code, clock)
    assert snapshot(store) == before


def test_another_applications_packet_is_answered_as_no_packet() -> None:
    """A handoff on one application's job naming another application's packet is refused
    as a packet that does not exist (PacketNotFound), so seal ids cannot be probed, and
    nothing is written."""
    store = MemoryStore()
    mall, desk, clock = new_desk(store)
    _seal, job_id, _code = out_for_delivery(mall, desk, clock)
    theirs, _job, _their_code = out_for_delivery(mall, desk, clock)
    before = snapshot(store)
    handoff = staff_handoff("h-x", COURIER, COUNTER, clock.now())
    with pytest.raises(PacketNotFound) as named:
        desk.hand_over(theirs, handoff, job_id=job_id)
    with pytest.raises(PacketNotFound) as missing:
        desk.hand_over("SEAL-NOWHERE", handoff, job_id=job_id)
    assert str(named.value).replace(theirs, "") == str(missing.value).replace("SEAL-NOWHERE", "")
    assert snapshot(store) == before


def _pickup(desk: CourierDesk, mall: Any, clock: Any) -> tuple[str, str]:
    """A pickup booked and claimed, and the citizen's code for its handoff: (job id, code)."""
    app, _, _ = apply(mall)
    job = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)
    desk.claim(job.id, RIDER)
    return job.id, desk.issue_handoff_code(job.id, "h-pickup")


def _collect(desk: CourierDesk, job_id: str, typed: str) -> object:
    """The pickup's seal and collect at the door, confirmed with the code *typed*."""
    return desk.seal_and_collect(
        job_id,
        Packet("S-1", ORIGINALS, 2),
        handoff_id="h-pickup",
        courier=pin(COURIER),
        citizen_code=typed,
        proof_sha256=sha("p"),
    )


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_wrong_codes_lock_the_handoff_until_a_new_code() -> None:
    """After five wrong codes even the right one is refused, until a new code is issued."""
    mall, desk, clock = new_desk()
    job_id, code = _pickup(desk, mall, clock)
    for _ in range(5):
        with pytest.raises(WrongCode):
            _collect(desk, job_id, _wrong(code))
    with pytest.raises(TooManyWrongCodes):
        _collect(desk, job_id, code)
    _collect(desk, job_id, desk.issue_handoff_code(job_id, "h-pickup"))
    assert desk.job(job_id).status is JobStatus.IN_PROGRESS


def test_wrong_codes_are_counted_across_desks_sharing_a_store() -> None:
    """Desks counting wrong codes in their shared store (a server's workers) allow five
    wrong codes per handoff together, not five each; a new code clears them for all."""
    store = MemoryStore()
    mall, _desk, clock = new_desk(store)
    one, two = (CourierDesk(mall, otp_key=KEY, failures=store) for _ in range(2))
    job_id, code = _pickup(one, mall, clock)
    for desk in (one, two, one, two, one):
        with pytest.raises(WrongCode):
            _collect(desk, job_id, _wrong(code))
    with pytest.raises(TooManyWrongCodes):
        _collect(two, job_id, code)
    _collect(two, job_id, one.issue_handoff_code(job_id, "h-pickup"))
    assert one.job(job_id).status is JobStatus.IN_PROGRESS


class _SlowCounter:
    """A store's failure counter a round trip away: each call waits, then asks the store."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def count_failure(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        time.sleep(0.02)
        return self._store.count_failure(key, at=at, window=window)

    def failures(self, key: str, /, *, at: datetime, window: timedelta) -> int:
        time.sleep(0.02)
        return self._store.failures(key, at=at, window=window)

    def clear_failures(self, key: str, /) -> None:
        time.sleep(0.02)
        self._store.clear_failures(key)


def test_racing_tries_of_one_handoff_compare_no_more_codes_than_its_tries() -> None:
    """Eight wrong codes sent at once for one handoff allowed one try get one `WrongCode`
    and seven `TooManyWrongCodes`: each try is counted before its code is compared."""
    store = MemoryStore()
    mall, _desk, clock = new_desk(store)
    desk = CourierDesk(mall, otp_key=KEY, code_tries=1, failures=_SlowCounter(store))
    job_id, code = _pickup(desk, mall, clock)
    start = threading.Barrier(8)

    def collect(_: int) -> str:
        start.wait()
        try:
            _collect(desk, job_id, _wrong(code))
        except (WrongCode, TooManyWrongCodes) as refused:
            return type(refused).__name__
        return "collected"

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(collect, range(8)))
    assert answers == ["TooManyWrongCodes"] * 7 + ["WrongCode"]


def test_wrong_codes_of_the_longest_ids_are_counted_in_a_store() -> None:
    """An application and a handoff id each of the longest a key allows are counted in a
    store like any others: the store's key stays within its limit."""
    from onestop.usecases.courier._tries import CodeTries

    store, now = MemoryStore(), datetime(2025, 7, 1, tzinfo=UTC)
    tries = CodeTries(2, store)
    application_id, handoff_id = "a" * 128, "h" * 128
    for _ in range(2):
        tries.take(application_id, handoff_id, now=now)
    with pytest.raises(TooManyWrongCodes):
        tries.take(application_id, handoff_id, now=now)
    tries.clear(application_id, handoff_id)
    tries.take(application_id, handoff_id, now=now)


@pytest.mark.parametrize("in_store", [False, True], ids=["memory", "store"])
def test_a_try_that_went_through_forgets_the_handoffs_tries(in_store: bool) -> None:
    """Once a code taken for a handoff went through, its earlier tries no longer count
    (a try decided again after another command wrote first is not a second failure)."""
    from onestop.usecases.courier._tries import CodeTries

    tries, now = CodeTries(2, MemoryStore() if in_store else None), datetime(2025, 7, 1, tzinfo=UTC)
    tries.take("app-1", "h-1", now=now)
    tries.take("app-1", "h-1", now=now)
    tries.passed("app-1", "h-1")
    tries.take("app-1", "h-1", now=now)
    tries.take("app-1", "h-1", now=now)
    with pytest.raises(TooManyWrongCodes):
        tries.take("app-1", "h-1", now=now)


def test_a_desk_refuses_a_failure_counter_that_counts_nothing() -> None:
    """``failures`` that cannot count failures is refused with InvalidValue naming it."""
    mall, _desk, _clock = new_desk()
    with pytest.raises(InvalidValue) as refused:
        CourierDesk(mall, otp_key=KEY, failures=object())  # type: ignore[arg-type]
    assert refused.value.field == "failures"


def test_manifest_mismatch_is_recorded_and_alerted() -> None:
    """A short count is recorded, the courier keeps the packet, and staff are alerted."""
    store = MemoryStore()
    mall, desk, clock = new_desk(store)
    app, job_id = picked_up(mall, desk, clock)
    short = staff_handoff("h-c", COURIER, COUNTER, clock.advance(minutes=5), ORIGINALS[:1])
    step = desk.hand_over(f"S-{app}", short, job_id=job_id)
    alert = json.loads(store.notifications(limit=1000)[-1].body)
    assert not step.accepted
    assert desk.ledger(f"S-{app}").custodian == COURIER
    assert alert["kind"] == "alert_raised"
    assert alert["alert"] == "manifest_mismatch"
    assert desk.verify_packet(f"S-{app}").ok


# --- personal data in errors and logs --------------------------------------------------


def test_errors_and_logs_never_leak(caplog: pytest.LogCaptureFixture) -> None:
    """Refusals with the canary address around say nothing of it, and the desk logs nothing."""
    mall, desk, clock = new_desk()
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        app, job_id = picked_up(mall, desk, clock)
        errors: list[OnestopError] = []
        plain: Any = ADDRESS  # not wrapped in Personal: refused, without quoting it
        attempts: list[Callable[[], object]] = [
            lambda: desk.book_pickup(app, window=window(clock), address=plain, actor=OWNER),
            lambda: desk.book_delivery("no-such-app", actor=FRONT, address=Personal(ADDRESS)),
            lambda: desk.claim(job_id, OTHER_RIDER),
            lambda: desk.record_attempt(job_id, "no_one_home", courier=OTHER_RIDER),
        ]
        for attempt in attempts:
            with pytest.raises(OnestopError) as caught:
                attempt()
            errors.append(caught.value)
    text = "\n".join(f"{e!r} {e}" for e in errors) + caplog.text + repr(logs)
    assert TOKEN not in text
    assert "Kanari" not in text
    assert not logs
    assert not caplog.records


# --- the claim race on PostgreSQL ----------------------------------------------------------


class PostgresStores:
    """Makes PostgreSQL stores for `claim_race`, each in a fresh schema; drops them after.

    Each store pauses after each read, so that the racing claims all read the job at
    the same version, and counts the batches it refused on a stale version.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.schemas: list[str] = []
        self.conflicts = 0
        postgres = pytest.importorskip("onestop.storage.postgres")
        stores = self

        class SlowPostgres(postgres.PostgresStore):  # type: ignore[misc, name-defined]
            def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
                records: tuple[StoredEvent, ...] = super().read(stream_id, after=after)
                time.sleep(0.005)
                return records

            def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
                try:
                    stored: tuple[StoredEvent, ...] = super().commit_batch(batch)
                except ConcurrencyConflict:
                    stores.conflicts += 1
                    raise
                return stored

        self.kind = SlowPostgres

    def __call__(self) -> EventStore:
        self.schemas.append(f"onestop_test_{secrets.token_hex(6)}")
        store: EventStore = self.kind.connect(self.url, schema=self.schemas[-1])
        return store

    def drop(self) -> None:
        psycopg = pytest.importorskip("psycopg")
        with psycopg.connect(self.url, autocommit=True) as conn:
            for schema in self.schemas:
                name = psycopg.sql.Identifier(schema)
                conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


@pytest.fixture
def postgres_stores(postgres_url: str) -> Iterator[PostgresStores]:
    """PostgreSQL stores in fresh schemas, dropped when the test ends."""
    stores = PostgresStores(postgres_url)
    yield stores
    stores.drop()


@pytest.mark.postgres
def test_eight_couriers_one_winner_on_postgres(postgres_stores: PostgresStores) -> None:
    """Eight couriers claim one job at once on PostgreSQL: one wins, seven get AlreadyClaimed.

    The losers' batches are refused by the store (ConcurrencyConflict, from the
    events' key); the desk reloads and the domain answers AlreadyClaimed.
    """
    race = claim_race(postgres_stores, couriers=8)
    assert race.ok, race
    assert race.already_claimed == 7
    assert postgres_stores.conflicts >= 1


@pytest.mark.postgres
def test_racing_with_expected_versions_on_postgres(postgres_stores: PostgresStores) -> None:
    """On PostgreSQL, couriers naming the version they saw lose cleanly too."""
    race = claim_race(postgres_stores, couriers=8, expected_version=1)
    assert race.ok, race


def test_a_delivery_decided_on_a_stale_version_is_a_conflict_and_writes_nothing() -> None:
    """A delivery (or a failed visit) named on a version the job left since, a failed visit
    recorded meanwhile, is `ConcurrencyConflict` and writes nothing: it is not recorded on
    top of the change it did not see."""
    store = MemoryStore()
    mall, desk, clock = new_desk(store)
    _, delivery, code = out_for_delivery(mall, desk, clock)
    seen = desk.job(delivery).version
    desk.record_attempt(delivery, "no_one_home", courier=RIDER, expected_version=seen)
    before = snapshot(store)
    with pytest.raises(ConcurrencyConflict):
        desk.deliver(
            delivery,
            handoff_id="h-door",
            courier=pin(COURIER),
            citizen_code=code,
            proof_sha256=sha("signature"),
            scanned=ORIGINALS,
            expected_version=seen,
        )
    with pytest.raises(ConcurrencyConflict):
        desk.record_attempt(delivery, "no_one_home", courier=RIDER, expected_version=seen)
    assert snapshot(store) == before


@pytest.mark.parametrize("version", [-1, True, 2**63, "3"])
def test_an_expected_version_that_is_no_version_is_refused(version: Any) -> None:
    """`expected_version` of a handoff must be a version number: InvalidValue naming it."""
    mall, desk, clock = new_desk()
    _, delivery, _ = out_for_delivery(mall, desk, clock)
    with pytest.raises(InvalidValue) as refused:
        desk.record_attempt(delivery, "no_one_home", courier=RIDER, expected_version=version)
    assert refused.value.field == "expected_version"


# --- codes spent, dated, carried (found by a review of the courier) -------------------------


def _to_citizen(app: str, code: str, at: datetime, scanned: Any) -> Handoff:
    """The counter hands a packet to the citizen, who gives *code* (handoff ``h-counter``)."""
    citizen = Confirmation(party=Party(PartyKind.CITIZEN, app), method="one_time_code", code=code)
    return Handoff(
        id="h-counter",
        giver=pin(COUNTER),
        receiver=citizen,
        at=at,
        place=MALL,
        proof_sha256=sha("signature"),
        scanned=scanned,
    )


def test_a_counter_code_spent_on_one_packet_is_refused_for_another() -> None:
    """A citizen's code that confirmed the delivery of one packet is refused as a replay
    when the same handoff is recorded again for another packet of the application, and
    that packet stays at the counter."""
    mall, desk, clock = new_desk()
    app, _, _ = apply(mall)
    desk.seal(app, Packet("S-PERMIT", PERMIT, 2), by=pin(COUNTER), place=MALL)
    code = desk.issue_counter_code(app, "h-counter")
    clock.advance(minutes=1)
    first = desk.hand_over("S-PERMIT", _to_citizen(app, code, clock.now(), PERMIT))
    desk.seal(app, Packet("S-THIRD", ORIGINALS, 2), by=pin(COUNTER), place=MALL)
    clock.advance(minutes=1)
    before = snapshot(mall.store)
    with pytest.raises(CodeAlreadyUsed):
        desk.hand_over("S-THIRD", _to_citizen(app, code, clock.now(), ORIGINALS))
    assert first.ledger.delivered
    assert snapshot(mall.store) == before
    assert not desk.ledger("S-THIRD").delivered


def test_a_handoff_dated_before_its_code_or_after_its_expiry_is_refused() -> None:
    """A handoff backdated to before its code was issued is refused as having no code,
    and a code the desk's clock says expired is refused as expired, whatever instant the
    caller gives the handoff."""
    mall, desk, clock = new_desk()
    app, _, _ = apply(mall)
    desk.seal(app, Packet("S-PERMIT", PERMIT, 2), by=pin(COUNTER), place=MALL)
    sealed = clock.now()
    clock.advance(hours=2)
    code = desk.issue_counter_code(app, "h-counter")
    clock.advance(minutes=1)
    with pytest.raises(CodeNotIssued):
        desk.hand_over("S-PERMIT", _to_citizen(app, code, sealed + timedelta(minutes=1), PERMIT))
    clock.advance(hours=3)
    with pytest.raises(CodeExpired):
        desk.hand_over("S-PERMIT", _to_citizen(app, code, clock.now() - timedelta(hours=3), PERMIT))
    assert not desk.ledger("S-PERMIT").delivered


def test_a_delivery_job_cannot_deliver_a_packet_it_does_not_carry() -> None:
    """A rider holding the originals under the pickup job cannot hand them to the citizen
    under a delivery job that never took a packet: refused, and neither job moves."""
    mall, desk, clock = new_desk()
    app, pickup = picked_up(mall, desk, clock)
    carrying = desk.job(pickup).status
    delivery = desk.book_delivery(app, actor=FRONT)
    desk.claim(delivery.id, RIDER)
    code = desk.issue_handoff_code(delivery.id, "h-door")
    clock.advance(minutes=1)
    door = Handoff(
        id="h-door",
        giver=pin(COURIER),
        receiver=Confirmation(
            party=Party(PartyKind.CITIZEN, app), method="one_time_code", code=code
        ),
        at=clock.now(),
        place=Place.applicant_address(),
        proof_sha256=sha("signature"),
        scanned=ORIGINALS,
    )
    before = snapshot(mall.store)
    with pytest.raises(HandoffRefused, match="does not carry"):
        desk.hand_over(f"S-{app}", door, job_id=delivery.id)
    assert snapshot(mall.store) == before
    assert desk.job(delivery.id).status is not JobStatus.COMPLETED
    assert desk.job(pickup).status is carrying
