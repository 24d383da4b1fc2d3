"""The courier desk over the mall's store: the AJIB journey, races, forgeries and privacy.

One journey is played once per module through `Mall` and `CourierDesk` with the
Jakarta sample catalogue (an SLF applied for through the courier channel): pickup at
home with the citizen's code, the counter, the agency, the sealed certificate, a
failed visit and the delivery.  Each test checks one thing about it, or plays one
refusal on a fresh desk and compares the store before and after.
"""

from __future__ import annotations

import json
import runpy
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import attrs
import pytest
from desk_support import (
    ADDRESS,
    AGENCY,
    CATALOGUE,
    COUNTER,
    COURIER,
    DESK,
    FRONT,
    HEAD,
    ISSUER,
    KEY,
    MALL,
    ORIGINALS,
    OWNER,
    PERMIT,
    RIDER,
    ROOT,
    TECHNICAL,
    TOKEN,
    VERIFIER,
    apply,
    new_desk,
    picked_up,
    pin,
    scan,
    sha,
    staff_handoff,
    window,
)

import onestop.storage
from onestop.domain.common.actors import Actor, Grant
from onestop.domain.common.parties import Personal
from onestop.domain.courier.flow import TrackingStatus
from onestop.domain.courier.handoffs import (
    Confirmation,
    ConfirmationMethod,
    Packet,
    Party,
    PartyKind,
)
from onestop.domain.courier.jobs import AttemptOutcome
from onestop.exceptions import (
    ApplicationNotFound,
    ConfigurationError,
    GuardFailed,
    InvalidValue,
    JobRefused,
)
from onestop.interop.epcis import EPCIS_CONTEXT
from onestop.ports.events import Append, Batch, NewEvent, StoredEvent
from onestop.storage.memory import MemoryStore
from onestop.usecases.courier.desk import COURIER_ROLE, CourierDesk
from onestop.usecases.courier.writer import index_stream, job_stream, packet_stream, verify_packet
from onestop.usecases.mall import Mall

# --- the journey --------------------------------------------------------------------------


@dataclass
class Journey:
    """What the module's journey produced."""

    mall: Mall
    desk: CourierDesk
    store: MemoryStore
    number: str = ""
    secret: str = ""
    seen: list[tuple[str, str, TrackingStatus]] = field(default_factory=list)
    refusal: GuardFailed | None = None
    values: list[object] = field(default_factory=list)

    def see(self, step: str) -> None:
        state = self.mall.track(self.number, self.secret, language="en").state
        courier = self.desk.track_courier(self.number, self.secret, language="en")
        assert courier.status is not None
        self.seen.append((step, state, courier.status))
        self.values.append(courier)


@pytest.fixture(scope="module")
def journey() -> Journey:
    store = MemoryStore()
    mall, desk, clock = new_desk(store)
    trip = Journey(mall=mall, desk=desk, store=store)
    app, trip.number, trip.secret = apply(mall)
    keep = trip.values.append
    pickup = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)
    trip.see("booked")
    keep(desk.claim(pickup.id, RIDER))
    clock.advance(minutes=65)
    code = desk.issue_handoff_code(pickup.id, "h-pickup")
    clock.advance(minutes=5)
    keep(
        desk.seal_and_collect(
            pickup.id,
            Packet("S-DOCS", ORIGINALS, 2),
            handoff_id="h-pickup",
            courier=pin(COURIER),
            citizen_code=code,
            proof_sha256=sha("signature at the door"),
        )
    )
    trip.see("collected")
    at = clock.advance(minutes=45)
    keep(
        desk.hand_over("S-DOCS", staff_handoff("h-counter", COURIER, COUNTER, at), job_id=pickup.id)
    )
    mall.act(app, "receive", actor=FRONT)
    mall.attach_document(app, scan("serah-terima-ajib", "ajib-serah-terima", b"form"), actor=FRONT)
    keep(desk.hand_over("S-DOCS", staff_handoff("h-agency", COUNTER, DESK, clock.advance(hours=1))))
    trip.see("at the agency")
    for requirement in ("ktp", "pbg", "laporan", "serah-terima-ajib"):
        mall.check_document(app, requirement, verdict="verified", actor=VERIFIER)
    mall.act(app, "verify", actor=VERIFIER)
    clock.advance(days=1)
    mall.act(app, "recommend", actor=TECHNICAL, inputs={"verdict": "fit_for_use"})
    mall.act(app, "approve", actor=HEAD)
    keep(desk.seal(app, Packet("S-PERMIT", PERMIT, 2), by=pin(ISSUER), place=AGENCY))
    mall.act(app, "dispatch", actor=FRONT)
    delivery = desk.book_delivery(app, window=window(clock), actor=FRONT)
    keep(desk.claim(delivery.id, RIDER))
    out = staff_handoff("h-out", ISSUER, COURIER, clock.advance(minutes=30), PERMIT)
    keep(desk.hand_over("S-PERMIT", out, job_id=delivery.id))
    mall.act(app, "pick_up", actor=RIDER)
    trip.see("out for delivery")
    clock.advance(hours=1)
    keep(desk.record_attempt(delivery.id, AttemptOutcome.NO_ONE_HOME, courier=RIDER))
    mall.act(app, "delivery_failed", actor=RIDER, inputs={"reason": "no one home"})
    trip.see("attempt failed")
    keep(desk.reschedule(delivery.id, window(clock), actor=OWNER))
    mall.act(app, "pick_up", actor=RIDER)
    try:
        mall.act(app, "deliver", actor=RIDER)
    except GuardFailed as refused:
        trip.refusal = refused
    clock.advance(hours=1, minutes=5)
    code = desk.issue_handoff_code(delivery.id, "h-deliver")
    clock.advance(minutes=5)
    keep(
        desk.deliver(
            delivery.id,
            handoff_id="h-deliver",
            courier=pin(COURIER),
            citizen_code=code,
            proof_sha256=sha("signature on delivery"),
            scanned=PERMIT,
        )
    )
    mall.act(app, "deliver", actor=RIDER)
    trip.see("delivered")
    keep(desk.dwell_report())
    keep(desk.epcis())
    return trip


def test_public_status_shows_each_step(journey: Journey) -> None:
    """The application's state and the courier status move together, step by step."""
    assert [(step, state, courier.value) for step, state, courier in journey.seen] == [
        ("booked", "submitted", "pickup_scheduled"),
        ("collected", "submitted", "picked_up"),
        ("at the agency", "verification", "at_agency"),
        ("out for delivery", "out_for_delivery", "out_for_delivery"),
        ("attempt failed", "ready_for_delivery", "attempt_failed"),
        ("delivered", "delivered", "delivered"),
    ]


def test_courier_status_is_localized(journey: Journey) -> None:
    """The courier status speaks Indonesian, with every job listed."""
    tracking = journey.desk.track_courier(journey.number, journey.secret, language="id")
    assert tracking.label == "Telah diterima"
    assert [job.label for job in tracking.jobs] == ["Di instansi", "Telah diterima"]
    assert tracking.jobs[1].failed_attempts == 1


def test_guard_refuses_delivery_before_the_handoff(journey: Journey) -> None:
    """The workflow's deliver action is refused until the courier job is delivered."""
    assert journey.refusal is not None
    assert journey.refusal.guard == "courier_delivered"


def test_application_closes_when_delivery_is_confirmed(journey: Journey) -> None:
    """After the delivery handoff, the deliver action closes the application."""
    status = journey.mall.track(journey.number, journey.secret, language="en")
    assert status.closed
    row = journey.store.find_number(journey.number)
    assert row is not None
    assert "delivered" in set(journey.desk.courier_facts(row.stream_id).values())


@pytest.mark.parametrize("seal_id", ["S-DOCS", "S-PERMIT"])
def test_store_chain_is_the_ledger_chain(journey: Journey, seal_id: str) -> None:
    """The stored packet stream verifies, its ledger verifies, and they are the same entries."""
    ledger = journey.desk.ledger(seal_id)
    stored = journey.store.read(packet_stream(seal_id))
    assert journey.desk.verify_packet(seal_id).ok
    assert ledger.verify().ok
    assert [(r.body, r.hash, r.previous_hash) for r in stored] == [
        (e.body, e.hash, e.previous) for e in ledger.entries
    ]


class Tampered:
    """A store whose packet stream has one body altered, as an attacker with the database would."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        records = list(self.store.read(stream_id, after=after))
        if stream_id == packet_stream("S-DOCS"):
            body = records[1].body.replace(b"h-counter", b"h-c0unter")
            records[1] = attrs.evolve(records[1], body=body)
        return tuple(records)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_verify_packet_names_an_altered_entry(journey: Journey) -> None:
    """An altered stored entry fails verification, naming the entry."""
    report = verify_packet(Tampered(journey.store), "S-DOCS")
    assert (report.ok, report.first_bad, report.version) == (False, 1, 2)


def test_courier_streams_have_no_read_model_row(journey: Journey) -> None:
    """Courier jobs, packets and indexes stay out of the applications' read model."""
    row = journey.store.find_number(journey.number)
    assert row is not None
    streams = [index_stream(row.stream_id), packet_stream("S-PERMIT")]
    streams += [job_stream(job.id) for job in journey.desk.jobs(row.stream_id)]
    assert all(journey.store.read(s) and journey.store.summary(s) is None for s in streams)


def test_epcis_export_is_valid_json_ld(journey: Journey) -> None:
    """The EPCIS export is JSON with its context, one ObjectEvent per custody event, unique ids."""
    document = json.loads(json.dumps(journey.desk.epcis()))
    events = document["epcisBody"]["eventList"]
    assert document["@context"][0] == EPCIS_CONTEXT
    assert document["type"] == "EPCISDocument"
    assert [e["bizStep"] for e in events] == ["commissioning", "accepting", "accepting"] * 2
    assert len({e["eventID"] for e in events}) == len(events) == 6
    assert {e["type"] for e in events} == {"ObjectEvent"}


def test_epcis_export_expands_offline(journey: Journey) -> None:
    """Expanded with pyld and a local context, the delivery keeps its packet and its step."""
    jsonld = pytest.importorskip("pyld.jsonld")
    epcis = "https://ref.gs1.org/epcis/"
    context = {
        "@context": {
            "epcis": epcis,
            "type": "@type",
            "id": "@id",
            "EPCISDocument": "epcis:EPCISDocument",
            "ObjectEvent": "epcis:ObjectEvent",
            "epcisBody": "epcis:epcisBody",
            "eventList": {"@id": "epcis:eventList", "@container": "@set"},
            "epcList": {"@id": "epcis:epcList", "@type": "@id", "@container": "@set"},
            "bizStep": "epcis:bizStep",
        }
    }

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        assert url == EPCIS_CONTEXT
        return {"contextUrl": None, "documentUrl": url, "document": context}

    expanded = jsonld.expand(journey.desk.epcis(["S-PERMIT"]), {"documentLoader": loader})
    events = expanded[0][epcis + "epcisBody"][0][epcis + "eventList"]
    assert events[-1][epcis + "epcList"] == [{"@id": "urn:onestop:packet:S-PERMIT"}]
    assert events[-1][epcis + "bizStep"] == [{"@value": "accepting"}]


def test_dwell_report_per_custodian_and_leg(journey: Journey) -> None:
    """The dwell report has one leg per custody span and sums them per custodian."""
    report = journey.desk.dwell_report(seal_ids=["S-DOCS"])
    assert [(leg.custodian, leg.duration) for leg in report.legs[:2]] == [
        ("courier:ajib-rider-17", timedelta(minutes=45)),
        ("officer:mpp-front-07", timedelta(hours=1)),
    ]
    assert report.legs[-1].open
    assert report.legs[-1].custodian == "agency_desk:dpmptsp-intake"
    rider = next(
        r for r in journey.desk.dwell_report().custodians if r.custodian.startswith("courier")
    )
    assert (rider.legs, rider.working) == (2, timedelta(hours=2, minutes=55))


def test_notifications_are_thin(journey: Journey) -> None:
    """Courier notifications carry ids, kinds, statuses and instants only."""
    allowed = {"application_id", "job_id", "job_kind", "status", "kind", "version", "at", "seal_id"}
    allowed |= {"custodian", "handoff_id", "expires_at", "alert"}
    courier = [n for n in journey.store.notifications(limit=1000) if ":" in n.stream_id]
    assert len(courier) > 20
    assert all(set(json.loads(n.body)) <= allowed for n in courier)


def test_personal_data_never_leaks(journey: Journey) -> None:
    """The address and the applicant's name appear in no notification, repr or returned value."""
    notes = journey.store.notifications(limit=1000)
    text = "\n".join([repr(v) + str(v) for v in journey.values] + [n.body.decode() for n in notes])
    text += json.dumps(journey.desk.epcis()) + repr(journey.desk) + repr(journey.store)
    assert TOKEN not in text
    assert "Kanari" not in text


# --- wiring and small rules ---------------------------------------------------------------


def test_desk_needs_a_batch_store() -> None:
    """A store that cannot commit several streams at once is refused when the desk is made."""
    mall = Mall(catalogue=CATALOGUE, store=MemoryStore())
    mall.store = object()  # type: ignore[assignment]  # an EventStore without commit_batch
    with pytest.raises(ConfigurationError):
        CourierDesk(mall, otp_key=KEY)


def test_desk_needs_a_long_key_and_never_shows_it() -> None:
    """A short code key is refused; the desk's repr does not show the key."""
    mall = Mall(catalogue=CATALOGUE, store=MemoryStore())
    with pytest.raises(InvalidValue):
        CourierDesk(mall, otp_key=b"short")
    assert "courier-desk" not in repr(CourierDesk(mall, otp_key=KEY))


def test_delivery_goes_to_the_pickup_address_by_default() -> None:
    """A delivery booked without an address uses the pickup's, and without one it is refused."""
    mall, desk, clock = new_desk()
    app, _ = picked_up(mall, desk, clock)
    assert desk.book_delivery(app, actor=FRONT).address == Personal(ADDRESS)
    other, _, _ = apply(mall)
    with pytest.raises(InvalidValue):
        desk.book_delivery(other, actor=FRONT)


def test_only_couriers_claim() -> None:
    """An officer cannot claim a courier job."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    job = desk.book_leg(app, actor=FRONT)
    with pytest.raises(JobRefused):
        desk.claim(job.id, FRONT)


def test_citizen_collects_at_the_counter_with_a_counter_code() -> None:
    """The counter hands the permit to the citizen who came in, against an application's code."""
    mall, desk, clock = new_desk()
    app, _, _ = apply(mall)
    desk.seal(app, Packet("S-P", PERMIT, 2), by=pin(COUNTER), place=MALL)
    code = desk.issue_counter_code(app, "h-collect")
    citizen = Confirmation(
        party=Party(PartyKind.CITIZEN, app), method=ConfirmationMethod.ONE_TIME_CODE, code=code
    )
    handoff = attrs.evolve(
        staff_handoff("h-collect", COUNTER, COUNTER, clock.advance(minutes=5), PERMIT),
        receiver=citizen,
    )
    assert desk.hand_over("S-P", handoff).accepted
    assert desk.ledger("S-P").delivered


def test_an_unknown_visit_outcome_is_a_typed_error() -> None:
    """A visit outcome that is not one of AttemptOutcome's values is refused as InvalidValue."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    job = desk.book_leg(app, actor=FRONT)
    desk.claim(job.id, RIDER)
    with pytest.raises(InvalidValue):
        desk.record_attempt(job.id, "eaten_by_dog", courier=RIDER)


def test_codes_are_for_door_jobs_only() -> None:
    """A leg between offices gets no citizen's code."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    with pytest.raises(JobRefused):
        desk.issue_handoff_code(desk.book_leg(app, actor=FRONT).id, "h-1")


def test_tracking_needs_the_secret() -> None:
    """The courier status of an application is refused with a wrong secret."""
    mall, desk, _ = new_desk()
    _, number, _ = apply(mall)
    with pytest.raises(ApplicationNotFound):
        desk.track_courier(number, "guess", language="en")


def test_batch_to_an_application_stream_is_refused() -> None:
    """The store refuses a batch that would append to an application's stream."""
    store = MemoryStore()
    mall, _, clock = new_desk(store)
    app, _, _ = apply(mall)
    event = NewEvent(kind="x", body=b"{}", hash="1" * 64, previous_hash="0" * 64, notice=b"{}")
    append = Append(stream_id=app, expected_version=1, events=(event,))
    with pytest.raises(ValueError, match="read-model row"):
        store.commit_batch(Batch(appends=(append,), recorded_at=clock.now()))


def test_example_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The AJIB example tells the whole journey and checks both chains."""
    runpy.run_path(str(ROOT / "examples" / "ajib_walkthrough.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "[en] Application received | courier: Pickup scheduled" in out
    assert "[id] Izin sedang diantar | courier: Sedang diantar" in out
    assert "refused before the door: guard 'courier_delivered' refused" in out
    assert "[en] Licence delivered to the applicant | courier: Delivered" in out
    assert "S-AJIB-0002: store ok True, ledger ok True" in out
    assert "courier:ajib-rider-17        2 leg(s)  4:40:00" in out
    assert "EPCIS 2.0 export: 6 events" in out


@pytest.mark.postgres
def test_example_walkthrough_runs_on_postgres(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The AJIB example, run on a PostgreSQL store, tells the same journey; every chain verifies.

    The store lives in a fresh schema, dropped afterwards.  The stored packet streams
    are the ledger's entries, hold no read-model row, and the log is gap-free.
    """
    postgres = pytest.importorskip("onestop.storage.postgres")
    psycopg = pytest.importorskip("psycopg")
    schema = f"onestop_test_{secrets.token_hex(6)}"
    store = postgres.PostgresStore.connect(postgres_url, schema=schema)
    try:
        monkeypatch.setattr(onestop.storage, "from_url", lambda url: store)
        runpy.run_path(str(ROOT / "examples" / "ajib_walkthrough.py"), run_name="__main__")
        out = capsys.readouterr().out
        assert "[en] Licence delivered to the applicant | courier: Delivered" in out
        assert "refused before the door: guard 'courier_delivered' refused" in out
        for seal_id in ("S-AJIB-0001", "S-AJIB-0002"):
            assert f"{seal_id}: store ok True, ledger ok True" in out
            ledger = CourierDesk(Mall(catalogue=CATALOGUE, store=store), otp_key=KEY).ledger(
                seal_id
            )
            stored = store.read(packet_stream(seal_id))
            assert [(r.body, r.hash, r.previous_hash) for r in stored] == [
                (e.body, e.hash, e.previous) for e in ledger.entries
            ]
            assert verify_packet(store, seal_id).ok
            assert store.summary(packet_stream(seal_id)) is None
        assert "Application audit chain intact: True" in out
        assert "EPCIS 2.0 export: 6 events" in out
        log = store.notifications(limit=1000)
        assert [n.position for n in log] == list(range(1, len(log) + 1))
        assert {n.stream_id.partition(":")[0] for n in log} >= {"courier-job", "packet", "courier"}
    finally:
        store.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            name = psycopg.sql.Identifier(schema)
            conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


def test_a_courier_granted_for_the_applications_agency_claims_and_one_of_another_does_not() -> None:
    """A courier role scoped to an agency claims that agency's jobs only; the refusal says so."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    agency = mall.application(app).agency
    job = desk.book_leg(app, actor=FRONT)
    other = Actor(id="rider-other", grants={Grant(COURIER_ROLE, agency="another-agency")})
    with pytest.raises(JobRefused, match="for the application's agency"):
        desk.claim(job.id, other)
    scoped = Actor(id="rider-scoped", grants={Grant(COURIER_ROLE, agency=agency)})
    claimed = desk.claim(job.id, scoped)
    assert claimed.courier_id == "rider-scoped"
