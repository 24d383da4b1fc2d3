"""Every public call of the courier domain refuses a bad argument with a typed error.

Each call is made with good arguments but one, which Hypothesis draws from
`hostile_support.hostile`: it must return, or raise an `OnestopError` with a short
message that does not repeat the value (never an `AttributeError`, a `TypeError`,
an `OverflowError` or a bare `ValueError`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from courier_support import (
    ADDRESS,
    APP,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    KEY,
    MALL,
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
from hostile_support import EXTREME_INSTANTS, hostile, outcome_is_typed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.common.audit import GENESIS, Checkpoint, chain_hash, seal_entries, verify_chain
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.parties import Personal
from onestop.domain.courier.custody import CustodyLedger, custody_body, seal, transfer
from onestop.domain.courier.flow import (
    TrackingStatus,
    collect,
    dwell_times,
    hand_over,
    tracking_label,
    tracking_status,
)
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import (
    CourierJob,
    JobKind,
    TimeWindow,
    book,
    claim,
    courier_fact,
    record_attempt,
    reschedule,
)
from onestop.domain.courier.otp import OneTimeCode, issue_code, verify_code
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import InvalidValue, NaiveDatetime, OnestopError
from onestop.interop.epcis import (
    epcis_document,
    giai_urn,
    object_events,
    packet_urn,
    party_urn,
    place_uri,
)

LATER = T0 + minutes(30)
CALENDAR = WorkCalendar(time_zone="Asia/Jakarta")
_Call = Callable[..., object]


def _window() -> TimeWindow:
    return TimeWindow(T0 + minutes(60), T0 + minutes(180))


def _pickup() -> CourierJob:
    return assigned_job(JobKind.PICKUP)


def _collect(**given: Any) -> object:
    args: dict[str, Any] = {
        "job": _pickup(),
        "packet": Packet("S-9", DOCUMENTS, len(DOCUMENTS)),
        "handoff_id": "h-pickup",
        "citizen": citizen_confirms("h-pickup", LATER),
        "courier": staff(COURIER),
        "at": LATER,
        "proof_sha256": sha("signature"),
        "otp_key": KEY,
        "place": None,
    } | given
    job, packet = args.pop("job"), args.pop("packet")
    return collect(job, packet, **args)


def _transfer(**given: Any) -> object:
    args: dict[str, Any] = {
        "ledger": sealed_at_counter(),
        "handoff": handoff("h-1", staff(COUNTER), staff(DESK), LATER),
        "otp_key": None,
        "assigned_courier": None,
        "returning": False,
    } | given
    return transfer(args.pop("ledger"), args.pop("handoff"), **args)


def _hand_over(**given: Any) -> object:
    args: dict[str, Any] = {
        "ledger": sealed_at_counter(),
        "handoff": handoff("h-1", staff(COUNTER), staff(COURIER), LATER),
        "job": assigned_job(JobKind.LEG_TO_AGENCY),
        "otp_key": None,
    } | given
    return hand_over(args.pop("ledger"), args.pop("handoff"), **args)


def _keywords(function: _Call, *positional: str, **defaults: Any) -> _Call:
    """Call *function* with *defaults*, the names in *positional* passed by position."""

    def call(**given: Any) -> object:
        args = defaults | given
        leading = [args.pop(name) for name in positional]
        return function(*leading, **args)

    return call


ENTRY_POINTS: dict[str, _Call] = {
    "Party": _keywords(Party, "kind", "id", kind=PartyKind.COURIER, id="c-17"),
    "Place": _keywords(Place, "label", "lat", "lon", label="MPP", lat="-6.1", lon="106.8"),
    "ManifestItem": _keywords(ManifestItem, "document", "sha256", document="ktp", sha256=sha("x")),
    "Packet": _keywords(
        Packet,
        "seal_id",
        "manifest",
        "item_count",
        seal_id="S-1",
        manifest=DOCUMENTS,
        item_count=3,
    ),
    "Confirmation": _keywords(
        Confirmation, party=COURIER, method="pin", credential="pin-ok", code=None
    ),
    "Handoff": _keywords(
        Handoff,
        id="h-1",
        giver=staff(COUNTER),
        receiver=staff(DESK),
        at=LATER,
        place=MALL,
        proof_sha256=sha("p"),
        scanned=DOCUMENTS,
        purpose="to_agency",
    ),
    "TimeWindow": _keywords(TimeWindow, "start", "end", start=T0, end=LATER),
    "OneTimeCode": _keywords(
        OneTimeCode, application_id=APP, handoff_id="h", expires_at=LATER, digest=sha("d")
    ),
    "issue_code": _keywords(
        issue_code,
        "secret_key",
        "application_id",
        "handoff_id",
        "expires_at",
        secret_key=KEY,
        application_id=APP,
        handoff_id="h",
        expires_at=LATER,
        digits=6,
    ),
    "verify_code": _keywords(
        verify_code,
        "issued",
        "code",
        issued=code_for("h", T0)[1],
        code=code_for("h", T0)[0],
        secret_key=KEY,
        application_id=APP,
        handoff_id="h",
        at=T0,
        used=frozenset(),
    ),
    "book": _keywords(
        book,
        "job_id",
        "application_id",
        "kind",
        job_id="job-1",
        application_id=APP,
        kind="pickup",
        at=T0,
        actor="officer-ana",
        window=_window(),
        address=Personal(ADDRESS),
        max_attempts=3,
    ),
    "claim": _keywords(
        claim,
        "job",
        "courier_id",
        "at",
        "expected_version",
        job=book("job-1", APP, JobKind.LEG_TO_AGENCY, at=T0, actor="officer-ana"),
        courier_id="c-17",
        at=T0,
        expected_version=1,
    ),
    "record_attempt": _keywords(
        record_attempt,
        "job",
        "outcome",
        job=assigned_job(JobKind.LEG_TO_AGENCY),
        outcome="no_one_home",
        courier_id="c-17",
        at=LATER,
    ),
    "reschedule": _keywords(
        reschedule,
        "job",
        "window",
        job=assigned_job(JobKind.LEG_TO_AGENCY),
        window=_window(),
        at=LATER,
        actor="officer-ana",
    ),
    "courier_fact": _keywords(courier_fact, "job", job=_pickup()),
    "CourierJob.from_events": _keywords(CourierJob.from_events, "events", events=_pickup().events),
    "seal": _keywords(
        seal,
        "packet",
        packet=Packet("S-9", DOCUMENTS, 3),
        application_id=APP,
        by=staff(COUNTER),
        at=T0,
        place=MALL,
        collected=None,
        handoff_id=None,
        proof_sha256=None,
        otp_key=None,
    ),
    "transfer": _transfer,
    "CustodyLedger.from_events": _keywords(
        CustodyLedger.from_events, "events", events=sealed_at_counter().events
    ),
    "custody_body": _keywords(
        custody_body, "seal_id", "event", seal_id="S-1", event=sealed_at_counter().events[0]
    ),
    "collect": _collect,
    "hand_over": _hand_over,
    "tracking_status": _keywords(tracking_status, "job", "ledger", job=_pickup(), ledger=None),
    "tracking_label": _keywords(
        tracking_label,
        "status",
        "language",
        status=TrackingStatus.DELIVERED,
        language="id",
        fallbacks=("en",),
    ),
    "dwell_times": _keywords(
        dwell_times, "ledger", ledger=sealed_at_counter(), until=LATER, calendar=CALENDAR
    ),
    "epcis_document": _keywords(
        epcis_document,
        "ledgers",
        ledgers=[sealed_at_counter()],
        created_at=LATER,
        packet_uri=packet_urn,
    ),
    "object_events": _keywords(
        object_events, "ledger", ledger=sealed_at_counter(), packet_uri=packet_urn
    ),
    "packet_urn": _keywords(packet_urn, "seal_id", seal_id="S-1"),
    "giai_urn": _keywords(giai_urn, "company_prefix", company_prefix="8991234"),
    "party_urn": _keywords(party_urn, "party", party=COURIER),
    "place_uri": _keywords(place_uri, "place", place=MALL),
    "chain_hash": _keywords(
        chain_hash, "previous", "version", "body", previous=GENESIS, version=1, body=b"{}"
    ),
    "seal_entries": _keywords(
        seal_entries, "entries", entries=[(1, b"{}")], after=Checkpoint(0, GENESIS)
    ),
    "verify_chain": _keywords(
        verify_chain,
        "entries",
        entries=seal_entries([(1, b"{}")]),
        after=Checkpoint(0, GENESIS),
        anchor=None,
    ),
    "Checkpoint": _keywords(Checkpoint, "version", "hash", version=1, hash=GENESIS),
    "canonical_bytes": _keywords(canonical_bytes, "value", value={"a": 1}),
}


_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Party": ("kind", "id"),
    "Place": ("label", "lat", "lon"),
    "ManifestItem": ("document", "sha256"),
    "Packet": ("seal_id", "manifest", "item_count"),
    "Confirmation": ("party", "method", "credential", "code"),
    "Handoff": (
        "id",
        "giver",
        "receiver",
        "at",
        "place",
        "proof_sha256",
        "scanned",
        "purpose",
    ),
    "TimeWindow": ("start", "end"),
    "OneTimeCode": ("application_id", "handoff_id", "expires_at", "digest"),
    "issue_code": ("secret_key", "application_id", "handoff_id", "expires_at", "digits"),
    "verify_code": (
        "issued",
        "code",
        "secret_key",
        "application_id",
        "handoff_id",
        "at",
        "used",
    ),
    "book": (
        "job_id",
        "application_id",
        "kind",
        "at",
        "actor",
        "window",
        "address",
        "max_attempts",
    ),
    "claim": ("job", "courier_id", "at", "expected_version"),
    "record_attempt": ("job", "outcome", "courier_id", "at"),
    "reschedule": ("job", "window", "at", "actor"),
    "courier_fact": ("job",),
    "CourierJob.from_events": ("events",),
    "seal": (
        "packet",
        "application_id",
        "by",
        "at",
        "place",
        "collected",
        "handoff_id",
        "proof_sha256",
        "otp_key",
    ),
    "transfer": ("ledger", "handoff", "otp_key", "assigned_courier", "returning"),
    "CustodyLedger.from_events": ("events",),
    "custody_body": ("seal_id", "event"),
    "collect": (
        "job",
        "packet",
        "handoff_id",
        "citizen",
        "courier",
        "at",
        "proof_sha256",
        "otp_key",
        "place",
    ),
    "hand_over": ("ledger", "handoff", "job", "otp_key"),
    "tracking_status": ("job", "ledger"),
    "tracking_label": ("status", "language", "fallbacks"),
    "dwell_times": ("ledger", "until", "calendar"),
    "epcis_document": ("ledgers", "created_at", "packet_uri"),
    "object_events": ("ledger", "packet_uri"),
    "packet_urn": ("seal_id",),
    "giai_urn": ("company_prefix",),
    "party_urn": ("party",),
    "place_uri": ("place",),
    "chain_hash": ("previous", "version", "body"),
    "seal_entries": ("entries", "after"),
    "verify_chain": ("entries", "after", "anchor"),
    "Checkpoint": ("version", "hash"),
    "canonical_bytes": ("value",),
}


def _arguments() -> list[Any]:
    return [
        pytest.param(name, argument, id=f"{name}.{argument}")
        for name, arguments in _ARGUMENTS.items()
        for argument in arguments
    ]


@pytest.mark.parametrize(("name", "argument"), _arguments())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile())
def test_a_hostile_argument_is_refused_with_a_typed_error(
    name: str, argument: str, value: object
) -> None:
    """One hostile argument: the call returns or raises a short, typed error."""
    call = ENTRY_POINTS[name]
    outcome_is_typed(lambda: call(**{argument: value}), value)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_the_good_arguments_are_accepted(name: str) -> None:
    """The arguments the hostile test starts from are good ones: the call succeeds."""
    result = ENTRY_POINTS[name]()
    assert not isinstance(result, OnestopError)


@pytest.mark.parametrize("at", EXTREME_INSTANTS)
def test_extreme_instants_are_refused_or_kept_without_overflow(at: datetime) -> None:
    """An instant near the years 1 or 9999 is kept if it is one in UTC, else refused by name."""
    try:
        at.astimezone(UTC)
    except OverflowError:
        with pytest.raises(InvalidValue, match=r"^at: lies outside the years 1 to 9999 in UTC$"):
            book("job-1", APP, JobKind.LEG_TO_AGENCY, at=at, actor="officer-ana")
    else:
        job = book("job-1", APP, JobKind.LEG_TO_AGENCY, at=at, actor="officer-ana")
        assert canonical_bytes(job.events[0])  # what a store writes


def test_a_span_past_the_century_is_refused_not_counted() -> None:
    """Working time is not counted over centuries: dwell time up to the year 9999 is refused."""
    with pytest.raises(InvalidValue, match=r"^until: a span of custody longer than a century"):
        dwell_times(sealed_at_counter(), until=datetime.max.replace(tzinfo=UTC), calendar=CALENDAR)


def test_a_naive_until_is_named() -> None:
    """A naive end of the dwell span raises NaiveDatetime naming ``until``."""
    with pytest.raises(NaiveDatetime, match=r"^until "):
        dwell_times(sealed_at_counter(), until=datetime(2025, 3, 10, 9))  # noqa: DTZ001


def test_an_outcome_given_as_done_text_is_refused_as_done() -> None:
    """``"done"`` as text is the ``done`` outcome, which only a proven handoff records."""
    job = assigned_job(JobKind.LEG_TO_AGENCY)
    with pytest.raises(OnestopError, match="a success is recorded by the handoff"):
        record_attempt(job, "done", courier_id=COURIER.id, at=LATER)


def test_a_kind_given_as_text_is_its_enum_member() -> None:
    """A job kind given by its value is stored as the `JobKind` member, not as text."""
    job = book(
        "job-1",
        APP,
        "pickup",
        at=T0,
        actor="officer-ana",
        window=_window(),
        address=Personal(ADDRESS),
    )
    assert job.kind is JobKind.PICKUP


def test_an_address_with_a_nul_is_refused_without_quoting_it() -> None:
    """An address holding a NUL is refused; the message names the field, not the address."""
    with pytest.raises(InvalidValue) as refused:
        book(
            "job-1",
            APP,
            JobKind.DELIVERY,
            at=T0,
            actor="officer-ana",
            address=Personal(ADDRESS + "\x00"),
        )
    assert refused.value.field == "address"
    assert ADDRESS not in str(refused.value)


@given(st.integers(min_value=-(10**30), max_value=10**30) | st.just(10**5000))
def test_huge_coordinates_are_refused_by_range(degrees: int) -> None:
    """An integer latitude beyond 90 degrees is refused by range, whatever its size."""
    if -90 <= degrees <= 90:
        assert Place("MPP", degrees, 0).lat == Decimal(degrees)
    else:
        with pytest.raises(InvalidValue, match=r"^lat: must be from -90 to 90"):
            Place("MPP", degrees, 0)


def test_a_manifest_of_more_than_a_thousand_items_is_refused() -> None:
    """A manifest is read up to its cap, so an endless one is refused, not read forever."""
    endless = (ManifestItem(f"doc-{n}", sha(str(n))) for n in range(10**9))
    with pytest.raises(OnestopError, match="more than 1000"):
        Packet("S-1", endless, 10**9)


def test_a_lifetime_near_the_end_of_time_does_not_overflow() -> None:
    """A code expiring at the last instant of the year 9999 is issued and checked."""
    last = datetime.max.replace(tzinfo=UTC)
    code, issued = issue_code(KEY, APP, "h", last)
    verify_code(
        issued, code, secret_key=KEY, application_id=APP, handoff_id="h", at=last - timedelta(1)
    )
