"""How the courier desks are wired: a small protocol and given ports, never the Mall itself.

The desks read applications through `CourierMall` (an application by id, an agency's
calendar) and write through the store, clock and ids they are given.  These tests run
a desk against a test double of that protocol, with no `Mall` at all; check that
building a desk changes nothing of a mall; and that the mall learns about courier jobs
only through the facts it is given when it is built.
"""

from __future__ import annotations

import ast
import inspect
import itertools
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from desk_support import (
    ADDRESS,
    CALENDARS,
    CATALOGUE,
    COURIER,
    FRONT,
    KEY,
    MALL,
    ORIGINALS,
    OWNER,
    RIDER,
    ROOT,
    Clock,
    apply,
    new_desk,
    pin,
    scan,
    sha,
    window,
)

from onestop.domain.applications.application import Application
from onestop.domain.applications.commands import decide
from onestop.domain.applications.submission import Submit
from onestop.domain.common.parties import Person, Personal
from onestop.domain.courier.handoffs import Packet
from onestop.domain.courier.jobs import JobKind
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import ApplicationNotFound, ConfigurationError, InvalidValue
from onestop.storage.memory import MemoryStore
from onestop.usecases.applications.codec import secret_digest
from onestop.usecases.courier.custody import CustodyDesk
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.courier.queries import CourierFacts
from onestop.usecases.courier.wiring import CourierMall
from onestop.usecases.mall import Mall

NIK = "3171015708850003"
SCANS = (("ktp", "ktp-el"), ("pbg", "pbg"), ("laporan", "laporan-kelaikan-fungsi"))


@attrs.define
class Applications:
    """A test double of `CourierMall`: applications in a dict, one calendar, calls logged."""

    known: dict[str, Application] = attrs.field(factory=dict)
    calls: list[str] = attrs.field(factory=list)

    def application(self, application_id: str, /) -> Application:
        self.calls.append("application")
        if application_id not in self.known:
            raise ApplicationNotFound(application_id)
        return self.known[application_id]

    def calendar(self, agency: str, /) -> WorkCalendar:
        self.calls.append("calendar")
        return CALENDARS["*"]

    def submit(self, application_id: str, at: datetime) -> str:
        """Fold a courier-channel SLF application from the domain's own events."""
        owner = Person.of(identity_number=NIK, identity_scheme="id-nik", name="Siti")
        command = Submit(
            application_id=application_id,
            number=f"SLF/{application_id}",
            service="slf",
            channel="courier",
            applicant=owner,
            answers={
                "applicant_type": "perorangan",
                "nik": NIK,
                "pbg_number": "PBG-3171-2023-000123",
                "building_address": ADDRESS,
                "inspection_date": date(2025, 7, 1),
            },
            documents=[scan(code, kind, code.encode()) for code, kind in SCANS],
            actor=OWNER,
            secret_digest=secret_digest("secret"),
        )
        events = decide(None, command, catalogue=CATALOGUE, at=at)
        self.known[application_id] = Application.from_events(events)
        return application_id


class Ids:
    """Job ids from a counter."""

    def __init__(self) -> None:
        self.count = itertools.count(1)

    def new_id(self) -> str:
        return f"job-{next(self.count)}"

    def secret(self) -> str:
        return "not-a-secret"


def _double_desk() -> tuple[Applications, CourierDesk, Clock, MemoryStore]:
    clock, store, applications = Clock(), MemoryStore(), Applications()
    desk = CourierDesk(applications, otp_key=KEY, store=store, clock=clock, ids=Ids())
    return applications, desk, clock, store


def _fields(mall: Mall) -> dict[str, Any]:
    return {field.name: getattr(mall, field.name) for field in attrs.fields(Mall)}


@pytest.mark.parametrize("module", ["custody", "desk", "queries", "wiring"])
def test_the_courier_use_cases_do_not_import_the_mall(module: str) -> None:
    """No courier use-case module imports `onestop.usecases.mall`: they know the protocol only."""
    source = ROOT / "src" / "onestop" / "usecases" / "courier" / f"{module}.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    assert imported
    assert not any(name.startswith("onestop.usecases.mall") for name in imported)


def test_the_mall_is_a_courier_mall() -> None:
    """A `Mall` satisfies the desks' protocol as it is, at run time and for mypy."""
    mall: CourierMall = Mall(catalogue=CATALOGUE, store=MemoryStore())
    assert isinstance(mall, CourierMall)


def test_a_desk_runs_a_pickup_for_a_test_double_without_a_mall() -> None:
    """Against the protocol's test double, a desk books, claims, seals at the door and reports."""
    applications, desk, clock, store = _double_desk()
    app = applications.submit("app-1", clock.now())
    job = desk.book_pickup(app, window=window(clock), address=Personal(ADDRESS), actor=OWNER)
    assert (job.id, job.kind) == ("job-1", JobKind.PICKUP)
    desk.claim(job.id, RIDER)
    clock.advance(minutes=65)
    code = desk.issue_handoff_code(job.id, "h-pickup")
    step = desk.seal_and_collect(
        job.id,
        Packet("S-1", ORIGINALS, 2),
        handoff_id="h-pickup",
        courier=pin(COURIER),
        citizen_code=code,
        proof_sha256=sha("signature"),
    )
    assert step.accepted
    assert desk.verify_packet("S-1").ok
    assert desk.courier_facts(app) == {"job-1": "in_progress"} == CourierFacts(store)(app)
    report = desk.dwell_report(application_id=app, until=clock.advance(hours=1))
    assert [leg.custodian for leg in report.legs] == [f"courier:{RIDER.id}"]
    assert set(applications.calls) == {"application", "calendar"}


def test_a_desk_asks_the_protocol_whether_an_application_exists() -> None:
    """An id the test double does not know is refused with its `ApplicationNotFound`."""
    desk = _double_desk()[1]
    with pytest.raises(ApplicationNotFound):
        desk.book_leg("app-unknown", actor=FRONT)
    with pytest.raises(ApplicationNotFound):
        desk.issue_counter_code("app-unknown", "h-1")


def test_a_custody_desk_stands_alone_on_the_protocol() -> None:
    """A `CustodyDesk` over the test double issues counter codes and seals packets."""
    clock, store, applications = Clock(), MemoryStore(), Applications()
    custody = CustodyDesk(applications, otp_key=KEY, store=store, clock=clock, ids=Ids())
    app = applications.submit("app-2", clock.now())
    assert custody.issue_counter_code(app, "h-counter").isdigit()
    ledger = custody.seal(app, Packet("S-2", ORIGINALS, 2), by=pin(COURIER), place=MALL)
    assert ledger.application_id == app
    assert custody.verify_packet("S-2").ok


@pytest.mark.parametrize("port", ["store", "clock", "ids"])
def test_a_port_missing_from_both_desk_and_protocol_is_refused_by_name(port: str) -> None:
    """A port neither given to the desk nor lent by the mall is a `ConfigurationError` naming it."""
    ports: dict[str, Any] = {"store": MemoryStore(), "clock": Clock(), "ids": Ids()}
    del ports[port]
    with pytest.raises(ConfigurationError, match=rf"^the courier desk's {port} must be"):
        CourierDesk(Applications(), otp_key=KEY, **ports)


@pytest.mark.parametrize("retries", [-1, 101, True, 2.5, "5"])
def test_retries_out_of_range_are_refused(retries: object) -> None:
    """A desk's ``retries`` is an integer from 0 to 100, else `InvalidValue` naming it."""
    with pytest.raises(InvalidValue, match=r"^retries: "):
        CourierDesk(
            Applications(),
            otp_key=KEY,
            store=MemoryStore(),
            clock=Clock(),
            ids=Ids(),
            retries=retries,  # type: ignore[arg-type]
        )


def test_something_without_the_queries_is_not_a_mall() -> None:
    """An object without ``application`` and ``calendar`` is refused as ``mall``."""
    with pytest.raises(InvalidValue, match=r"^mall: expected a mall"):
        CourierDesk(object(), otp_key=KEY, store=MemoryStore())  # type: ignore[arg-type]


def test_ports_given_to_the_desk_win_over_the_mall_s() -> None:
    """A clock given to the desk tells the time of its commands, not the mall's."""
    mall, _, mall_clock = new_desk()
    app, _, _ = apply(mall)
    own = Clock()
    own.current = mall_clock.now() + timedelta(days=3)
    desk = CourierDesk(mall, otp_key=KEY, clock=own)
    assert desk.book_leg(app, actor=FRONT).updated_at == own.current


def test_building_a_desk_changes_no_attribute_of_the_mall() -> None:
    """Every field of the mall is the same object after desks are built on it."""
    store = MemoryStore()
    for facts in (None, CourierFacts(store)):
        mall = Mall(catalogue=CATALOGUE, store=store, courier_facts=facts)
        before = _fields(mall)
        CourierDesk(mall, otp_key=KEY)
        CustodyDesk(mall, otp_key=KEY)
        after = _fields(mall)
        assert all(after[name] is value for name, value in before.items())
        assert mall.courier_facts is facts


def test_nothing_rewires_the_mall_s_courier_facts() -> None:
    """The courier facts are set when the mall is built; assigning them later is refused."""
    mall = Mall(catalogue=CATALOGUE, store=MemoryStore())
    with pytest.raises(attrs.exceptions.FrozenAttributeError):
        mall.courier_facts = CourierFacts(mall.store)  # type: ignore[misc]
    assert mall.courier_facts is None


def test_a_mall_reads_the_courier_facts_it_was_given() -> None:
    """On each workflow action, the mall asks the facts it was built with about the application."""
    asked: list[str] = []

    def facts(application_id: str) -> dict[str, str]:
        asked.append(application_id)
        return {}

    store = MemoryStore()
    mall = Mall(
        catalogue=CATALOGUE, store=store, clock=Clock(), calendars=CALENDARS, courier_facts=facts
    )
    app, _, _ = apply(mall)
    mall.act(app, "receive", actor=FRONT)
    assert asked == [app]


def test_courier_facts_need_a_store() -> None:
    """`CourierFacts` over something that is not an event store is a `ConfigurationError`."""
    with pytest.raises(ConfigurationError, match="EventStore"):
        CourierFacts(object())  # type: ignore[arg-type]


def test_courier_facts_refuse_an_id_that_is_not_text() -> None:
    """`CourierFacts` names ``application_id`` when it is not text."""
    with pytest.raises(InvalidValue, match=r"^application_id: "):
        CourierFacts(MemoryStore())(5)  # type: ignore[arg-type]


def test_the_courier_desk_holds_a_custody_desk_and_offers_each_operation() -> None:
    """`CourierDesk` is no `CustodyDesk`, yet offers each custody operation with its signature."""
    _, desk, _ = new_desk()
    assert not isinstance(desk, CustodyDesk)
    public = [name for name in vars(CustodyDesk) if not name.startswith("_")]
    assert public, "CustodyDesk has public operations"
    for name in public:
        ours, theirs = getattr(CourierDesk, name), getattr(CustodyDesk, name)
        assert inspect.signature(ours) == inspect.signature(theirs), name
        assert ours.__doc__.splitlines()[0] == theirs.__doc__.splitlines()[0], name


def test_the_desk_s_repr_names_the_store_never_the_key() -> None:
    """A desk built on the test double shows its store and hides its key."""
    _, desk, _, store = _double_desk()
    assert repr(store) in repr(desk)
    assert KEY.decode() not in repr(desk)
