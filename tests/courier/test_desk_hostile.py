"""The courier desk, its queries and the claim race refuse bad arguments with typed errors.

One world is played once per module (an application whose packet the delivery courier
holds); then each public call is made with good arguments but one, drawn from
`hostile_support.hostile`.  A call returns or raises a short `OnestopError`; a hostile
clock is refused by name too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from desk_support import (
    ADDRESS,
    CALENDARS,
    CATALOGUE,
    COUNTER,
    COURIER,
    FRONT,
    KEY,
    MALL,
    ORIGINALS,
    RIDER,
    Clock,
    apply,
    new_desk,
    out_for_delivery,
    pin,
    sha,
    staff_handoff,
    window,
)
from hostile_support import hostile, outcome_is_typed
from hypothesis import HealthCheck, given, settings

from onestop.domain.common.parties import Personal
from onestop.domain.courier.handoffs import Packet
from onestop.domain.courier.jobs import JobKind
from onestop.exceptions import ConfigurationError, InvalidValue, NaiveDatetime
from onestop.storage.memory import MemoryStore
from onestop.testing.courier import claim_race
from onestop.usecases.courier import writer as rec
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.courier.queries import dwell_report, every_seal, track_courier
from onestop.usecases.mall import Mall

_Call = Callable[..., object]
WRONG = "not-the-lookup-secret"


class World:
    """A mall whose delivery courier holds a packet; built once for the module."""

    def __init__(self) -> None:
        self.mall, self.desk, self.clock = new_desk()
        self.seal_id, self.delivery, self.code = out_for_delivery(self.mall, self.desk, self.clock)
        self.app = self.seal_id.removeprefix("S-")
        self.number = self.mall.application(self.app).number
        self.leg = self.desk.book_leg(self.app, actor=FRONT).id
        self.desk.claim(self.leg, RIDER)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def _method(world: World, name: str, positional: tuple[str, ...], **defaults: Any) -> _Call:
    def call(**given: Any) -> object:
        args = defaults | given
        leading = [args.pop(key) for key in positional]
        return getattr(world.desk, name)(*leading, **args)

    return call


def _entry_points(world: World) -> dict[str, _Call]:
    """Each call by name, with good arguments."""
    app, seal_id, leg, delivery = world.app, world.seal_id, world.leg, world.delivery
    store = world.mall.store
    arrival = world.clock.now() + timedelta(minutes=5)

    def desk(**given: Any) -> object:
        ports = {"store": None, "clock": None, "ids": None, "retries": None}
        args = {"otp_key": KEY, **ports, "code_tries": 5} | given
        return CourierDesk(args.pop("mall", world.mall), **args)

    def function(function: _Call, *positional: str, **defaults: Any) -> _Call:
        def call(**given: Any) -> object:
            args = defaults | given
            leading = [args.pop(key) for key in positional]
            return function(*leading, **args)

        return call

    def method(name: str, *positional: str, **defaults: Any) -> _Call:
        return _method(world, name, positional, **defaults)

    return {
        "CourierDesk": desk,
        "book_pickup": method(
            "book_pickup",
            "application_id",
            application_id=app,
            window=window(world.clock),
            address=Personal(ADDRESS),
            actor=FRONT,
            max_attempts=3,
        ),
        "book_delivery": method("book_delivery", "application_id", application_id=app, actor=FRONT),
        "book_leg": method("book_leg", "application_id", application_id=app, actor=FRONT),
        "claim": method("claim", "job_id", "courier", job_id=leg, courier=RIDER),
        "record_attempt": method(
            "record_attempt",
            "job_id",
            "outcome",
            job_id=leg,
            outcome="no_one_home",
            courier=RIDER,
        ),
        "reschedule": method(
            "reschedule",
            "job_id",
            "window",
            job_id=leg,
            window=window(world.clock),
            actor=FRONT,
        ),
        "job": method("job", "job_id", job_id=leg),
        "jobs": method("jobs", "application_id", application_id=app),
        "courier_facts": method("courier_facts", "application_id", application_id=app),
        "track_courier": method(
            "track_courier",
            "number",
            "secret",
            number=world.number,
            secret=WRONG,
            language="id",
        ),
        "dwell_report": method("dwell_report", application_id=app, seal_ids=None, until=None),
        "epcis": method("epcis", "seal_ids", seal_ids=[seal_id]),
        "issue_handoff_code": method(
            "issue_handoff_code", "job_id", "handoff_id", job_id=delivery, handoff_id="h-door-2"
        ),
        "issue_counter_code": method(
            "issue_counter_code",
            "application_id",
            "handoff_id",
            application_id=app,
            handoff_id="h-counter-2",
        ),
        "seal": method(
            "seal",
            "application_id",
            "packet",
            application_id=app,
            packet=Packet(f"P-{app}", ORIGINALS, 2),
            by=pin(COUNTER),
            place=MALL,
        ),
        "seal_and_collect": method(
            "seal_and_collect",
            "job_id",
            "packet",
            job_id=leg,
            packet=Packet(f"Q-{app}", ORIGINALS, 2),
            handoff_id="h-pickup-2",
            courier=pin(COURIER),
            citizen_code="123456",
            proof_sha256=sha("x"),
            place=None,
        ),
        "hand_over": method(
            "hand_over",
            "seal_id",
            "handoff",
            seal_id=seal_id,
            handoff=staff_handoff("h-back", COURIER, COUNTER, arrival),
            job_id=delivery,
        ),
        "deliver": method(
            "deliver",
            "job_id",
            job_id=delivery,
            handoff_id="h-door",
            courier=pin(COURIER),
            citizen_code="000000",
            proof_sha256=sha("signature"),
            scanned=ORIGINALS,
            place=None,
        ),
        "ledger": method("ledger", "seal_id", seal_id=seal_id),
        "verify_packet": method("verify_packet", "seal_id", seal_id=seal_id),
        "load_job": function(rec.load_job, "store", "job_id", store=store, job_id=leg),
        "load_ledger": function(rec.load_ledger, "store", "seal_id", store=store, seal_id=seal_id),
        "load_index": function(
            rec.load_index, "store", "application_id", store=store, application_id=app
        ),
        "reports.track_courier": function(
            track_courier,
            "store",
            "mall",
            "number",
            "secret",
            store=store,
            mall=world.mall,
            number=world.number,
            secret=WRONG,
            language="en",
        ),
        "reports.dwell_report": function(
            dwell_report,
            "ledgers",
            ledgers=[world.desk.ledger(seal_id)],
            until=arrival,
            calendar=lambda _: CALENDARS["*"],
        ),
        "every_seal": function(every_seal, "store", store=store),
    }


_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "CourierDesk": ("mall", "otp_key", "store", "clock", "ids", "retries", "code_tries"),
    "book_pickup": ("application_id", "window", "address", "actor", "max_attempts"),
    "book_delivery": ("application_id", "actor", "window", "address", "max_attempts"),
    "book_leg": ("application_id", "actor", "kind", "window"),
    "claim": ("job_id", "courier", "expected_version"),
    "record_attempt": ("job_id", "outcome", "courier"),
    "reschedule": ("job_id", "window", "actor"),
    "job": ("job_id",),
    "jobs": ("application_id",),
    "courier_facts": ("application_id",),
    "track_courier": ("number", "secret", "language"),
    "dwell_report": ("application_id", "seal_ids", "until"),
    "epcis": ("seal_ids", "packet_uri"),
    "issue_handoff_code": ("job_id", "handoff_id", "lifetime"),
    "issue_counter_code": ("application_id", "handoff_id", "lifetime"),
    "seal": ("application_id", "packet", "by", "place"),
    "seal_and_collect": (
        "job_id",
        "packet",
        "handoff_id",
        "courier",
        "citizen_code",
        "proof_sha256",
        "place",
    ),
    "hand_over": ("seal_id", "handoff", "job_id"),
    "deliver": (
        "job_id",
        "handoff_id",
        "courier",
        "citizen_code",
        "proof_sha256",
        "scanned",
        "place",
    ),
    "ledger": ("seal_id",),
    "verify_packet": ("seal_id",),
    "load_job": ("job_id",),
    "load_ledger": ("seal_id",),
    "load_index": ("application_id",),
    "reports.track_courier": ("number", "secret", "language"),
    "reports.dwell_report": ("ledgers", "until", "calendar"),
}
"""The arguments of each call, each made hostile in turn."""


def _cases() -> list[Any]:
    return [
        pytest.param(name, argument, id=f"{name}.{argument}")
        for name, arguments in _ARGUMENTS.items()
        for argument in arguments
    ]


@pytest.mark.parametrize(("name", "argument"), _cases())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(value=hostile())
def test_a_hostile_argument_to_the_desk_is_refused_with_a_typed_error(
    world: World, name: str, argument: str, value: object
) -> None:
    """One hostile argument to a desk call: it returns or raises a short, typed error."""
    call = _entry_points(world)[name]
    outcome_is_typed(lambda: call(**{argument: value}), value)


@settings(max_examples=30, deadline=None)
@given(now=hostile())
def test_a_hostile_clock_is_refused_by_name(now: object) -> None:
    """A clock that tells no usable instant is refused, naming ``clock.now()``."""
    mall = Mall(catalogue=CATALOGUE, store=MemoryStore(), clock=Clock(), calendars=CALENDARS)
    app, _, _ = apply(mall)

    class Broken:
        def now(self) -> object:
            return now

    desk = CourierDesk(mall, otp_key=KEY, clock=Broken())  # type: ignore[arg-type]
    error = outcome_is_typed(lambda: desk.issue_counter_code(app, "h-1"), now)
    if isinstance(error, InvalidValue | NaiveDatetime):
        assert "clock.now()" in str(error) or "lifetime" in str(error)


def test_a_code_lifetime_past_the_year_9999_is_refused() -> None:
    """A code that would expire after the year 9999 is refused by name, without OverflowError."""
    mall, desk, clock = new_desk()
    app, _, _ = apply(mall)
    clock.current = datetime.max.replace(tzinfo=UTC) - timedelta(minutes=5)
    with pytest.raises(InvalidValue, match=r"^lifetime: the code would expire after the year"):
        desk.issue_counter_code(app, "h-1")


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(days=8), 600, "10m", True])
def test_a_code_lifetime_is_a_positive_week_at_most(lifetime: object) -> None:
    """A code's lifetime is a `timedelta` from a microsecond to a week."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    with pytest.raises(InvalidValue, match=r"^lifetime: "):
        desk.issue_counter_code(app, "h-1", lifetime=lifetime)  # type: ignore[arg-type]


def test_a_leg_given_a_door_kind_as_text_is_refused() -> None:
    """``book_leg(kind="pickup")`` is refused: a pickup is booked with its address and window."""
    mall, desk, _ = new_desk()
    app, _, _ = apply(mall)
    with pytest.raises(InvalidValue, match=r"^kind: a leg is leg_to_agency or leg_to_mall"):
        desk.book_leg(app, actor=FRONT, kind="pickup")  # type: ignore[arg-type]
    assert desk.book_leg(app, actor=FRONT, kind="leg_to_mall").kind is JobKind.LEG_TO_MALL  # type: ignore[arg-type]


def test_seal_ids_are_several_texts_not_one() -> None:
    """One seal id given where several are expected is refused, not read letter by letter."""
    _, desk, _ = new_desk()
    with pytest.raises(InvalidValue, match=r"^seal_ids: expected a list of seal ids, not text"):
        desk.epcis("S-1")  # type: ignore[arg-type]


def test_an_unknown_job_id_of_any_length_is_not_found_briefly() -> None:
    """A lookup by a 5,000-character job id is not found, and the message stays short."""
    _, desk, _ = new_desk()
    error = outcome_is_typed(lambda: desk.job("j" * 5000), "j" * 5000)
    assert type(error).__name__ == "JobNotFound"


@pytest.mark.parametrize(
    "arguments",
    [
        {"couriers": 10**6},
        {"couriers": True},
        {"couriers": "8"},
        {"timeout": float("nan")},
        {"timeout": -1},
        {"expected_version": 2**63},
        {"store_factory": None},
    ],
)
def test_the_claim_race_refuses_bad_settings(arguments: dict[str, Any]) -> None:
    """`claim_race` refuses a bad setting with a typed error before it starts a thread."""
    factory = arguments.pop("store_factory", MemoryStore)
    with pytest.raises((InvalidValue, ConfigurationError)):
        claim_race(factory, **arguments)
