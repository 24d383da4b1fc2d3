"""The world `onestop.cli.demo` plays: a mall's staff, citizens and couriers, and their days.

Private to `onestop.cli.demo`.  A `Simulation` keeps a queue of what happens next, in time
order, on a `ManualClock`.  Each application's next step is chosen from its workflow's
transitions where it stands (``send_back`` some of the time, ``reject`` rarely,
``dispatch`` for the courier channel...), taken by an officer who holds the role and
whom separation of duties allows, and followed by the next one after a delay drawn
from the state's time limit.  Courier trips go through a
`onestop.usecases.courier.desk.CourierDesk` when there is one.
"""

from __future__ import annotations

import hashlib
import heapq
import random
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.applications.application import Application, Verdict
from onestop.domain.applications.forms import DocumentRef, check_answers, requirement_statuses
from onestop.domain.applications.submission import find_service
from onestop.domain.catalogue.model import ChannelKind, FieldType, FormField, Service
from onestop.domain.common.parties import Person, Personal
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
    Place,
)
from onestop.domain.courier.jobs import TimeWindow
from onestop.domain.workflow.engine import DEFAULT_GUARDS, Actor
from onestop.domain.workflow.guards import DOCUMENT_REJECTED, Facts, GuardResult
from onestop.domain.workflow.model import StateKind, Transition, Trigger, Workflow
from onestop.exceptions import ConfigurationError, OnestopError, ServiceNotFound
from onestop.ports.events import BatchStore
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.mall import Mall

__all__ = [
    "GUARDS",
    "GUARDS_WITHOUT_DESK",
    "ManualClock",
    "Progress",
    "SeededIds",
    "Simulation",
    "START",
    "WIB",
]

WIB = ZoneInfo("Asia/Jakarta")
"""Western Indonesian Time, the sample mall's zone."""
START = datetime(2025, 7, 14, 8, 0, tzinfo=WIB)
"""When the demo's clock starts: Monday 14 July 2025, 08:00 WIB, no holiday near it."""

Progress = Callable[[int, int], None]
"""Told ``(done, total)``, in simulated minutes, as the clock moves."""

_MALL = Place("MPP DKI Jakarta, AJIB counter", "-6.2216", "106.8320")
_REASONS = ("scan-illegible", "document-expired", "signature-missing", "name-mismatch")
_INPUTS = {"reason": "dokumen-perlu-diperbaiki", "verdict": "memenuhi-syarat"}
_NAMES = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Ayu", "Hendra", "Putri", "Rizky")
_FAMILY = ("Lestari", "Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Nasution")
_CHANNELS = {"counter": 55, "online": 30, "courier": 15, "post": 5}
_PREFER = {"courier": ("dispatch",), "online": ("publish",), "counter": ("hand_over",)}
_AVOID = {"online": ("dispatch",), "counter": ("dispatch", "publish")}
_NEVER = frozenset({"withdraw", "return_to_counter"})
_REFUSE, _CORRECT, _WITHDRAW, _NEGLECT, _SLOW, _UNPAID, _NOT_HOME = (
    0.03, 0.15, 0.01, 0.012, 0.08, 0.1, 0.1
)  # fmt: skip


def _picked_up(facts: Facts, argument: str | None) -> GuardResult:
    picked = any(action == "pick_up" for action, _ in facts.history)
    return GuardResult.check(picked, "no courier has picked the result up")


GUARDS = DEFAULT_GUARDS
"""The guards the demo's mall uses over a store that keeps courier streams: the built-in ones."""
GUARDS_WITHOUT_DESK = GUARDS.with_guard("courier_delivered", _picked_up, replace=True)
"""`GUARDS`, with a stand-in for the courier desk: a courier picked the result up."""


@attrs.define
class ManualClock:
    """A clock the simulation moves by hand."""

    current: datetime

    def now(self) -> datetime:
        """Return the simulated instant."""
        return self.current


@attrs.define
class SeededIds:
    """Ids and secrets from a seeded generator: repeatable, so never for real use."""

    rng: random.Random

    def new_id(self) -> str:
        """Return a version 4 UUID drawn from the generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def secret(self) -> str:
        """Return 128 bits drawn from the generator, in hex."""
        return self.rng.getrandbits(128).to_bytes(16, "big").hex()


@attrs.define
class _Case:
    """One application, as the simulation follows it."""

    id: str
    serial: int
    channel: str
    agent: Actor  # acts for the applicant: the citizen online, else a counter clerk
    agency: str
    courier: Actor  # the AJIB courier who serves it, if it goes by courier
    job: str = ""  # the courier desk's current job
    corrections: int = 0
    failed_visits: int = 0


def _nik(rng: random.Random) -> str:
    day = rng.randint(1, 28) + (40 if rng.random() < 0.5 else 0)
    year = rng.randint(50, 99) if rng.random() < 0.8 else rng.randint(0, 5)
    region = f"31{rng.randint(71, 75)}{rng.randint(1, 10):02d}"
    return f"{region}{day:02d}{rng.randint(1, 12):02d}{year:02d}{rng.randint(1, 9999):04d}"


def _answer(field: FormField, rng: random.Random, serial: int) -> object:
    kind, name = field.type, field.name
    if kind is FieldType.TEXT:
        return _nik(rng) if "nik" in name else f"{name.replace('_', ' ')} {serial}"
    if kind is FieldType.LONG_TEXT:
        return f"Jl. Contoh No. {serial % 200 + 1}, Jakarta"
    if kind is FieldType.NUMBER:
        if any(word in name for word in ("capital", "income", "value", "area", "grams")):
            return rng.randint(100, 5000) * (100_000 if "capital" in name else 1)
        return rng.randint(1, 4)
    if kind is FieldType.DATE:
        days = rng.randint(30, 400) * (40 if "birth" in name else 1)
        return START.date() - timedelta(days=-days if "expiry" in name else days)
    if kind is FieldType.BOOLEAN:
        return rng.random() < 0.3
    values = [choice.value for choice in field.choices]
    if kind is FieldType.CHOICE:
        return rng.choice(values)
    if kind is FieldType.MULTI_CHOICE:
        return rng.sample(values, rng.randint(1, min(2, len(values))))
    return _scan(name, field.evidence_type or "document", f"{serial}")


def _scan(requirement: str, evidence_type: str, tag: str) -> DocumentRef:
    content = f"demo scan {requirement} {tag}".encode()
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pin(actor: Actor) -> Confirmation:
    return Confirmation.by_pin(Party(PartyKind.COURIER, actor.id), f"pin-verified:{actor.id}")


def _badge(actor: Actor) -> Confirmation:
    return Confirmation.by_credential(Party(PartyKind.OFFICER, actor.id), f"badge:{actor.id}")


class Simulation:
    """The mall, its staff, its citizens, its couriers and the queue of what happens next.

    Args:
        mall: The mall to play, on *clock*.
        clock: The clock the simulation moves.
        rng: Where every random choice comes from.
        end: Nothing queued after this instant happens.
    """

    def __init__(self, mall: Mall, clock: ManualClock, rng: random.Random, end: datetime) -> None:
        self.mall, self.clock, self.rng, self.end = mall, clock, rng, end
        self.calendar = mall.calendar(mall.catalogue.agencies[0].code)
        self.start = clock.now()
        self.zone = self.start.tzinfo
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.secrets: list[tuple[str, str]] = []
        self.counts: Counter[str] = Counter()
        self.couriers = [Actor(id=f"ajib-courier-{i:02d}", roles={"courier"}) for i in range(4)]
        self.system = Actor(id="mall-gateway", roles={"system"})
        self.desk: CourierDesk | None = None
        if isinstance(mall.store, BatchStore):
            self.desk = CourierDesk(mall, otp_key=_sha("onestop demo: codes").encode())

    def at(self, when: datetime, task: Callable[[], None]) -> None:
        if when <= self.end:
            self.counts["queued"] += 1
            heapq.heappush(self.queue, (when, self.counts["queued"], task))

    def after(self, hours: float, task: Callable[[], None]) -> None:
        """Queue *task* after *hours* of working time."""
        delay = timedelta(hours=hours)
        self.at(self.calendar.add_working_time(self.clock.now(), delay), task)

    def staff(self, agency: str, role: str) -> list[Actor]:
        senior = role in ("verifier", "approver")
        title = "senior" if senior else role.replace("_", "-")
        roles = {"verifier", "approver"} if senior else {role}
        return [Actor(id=f"{agency}-{title}-{i}", roles=roles) for i in range(1, 3 + senior)]

    def workflow(self, app: Application) -> Workflow:
        key = (app.workflow, app.workflow_version)
        return next(w for w in self.mall.catalogue.workflows if (w.code, w.version) == key)

    def trip(self) -> CourierDesk:
        """The courier desk, which every courier trip needs."""
        if self.desk is None:  # pragma: no cover - trips are queued only with a desk
            raise ConfigurationError("the courier desk is not available")
        return self.desk

    # --- arrivals and the courier's trips --------------------------------------------

    def arrive(self, service: Service, channel: str, serial: int) -> None:
        rng = self.rng
        answers = {
            field.name: _answer(field, rng, serial)
            for field in service.form
            if field.required or rng.random() < 0.5
        }
        kind = ChannelKind(channel)
        applies = requirement_statuses(service, kind, check_answers(service, answers)[0])
        documents = [_scan(s.code, s.evidence_type, f"{serial}-1") for s in applies if s.applies]
        citizen = Actor(id=f"citizen-{serial:05d}", roles={"applicant"})
        front = rng.choice(self.staff(service.agency, "front_office"))
        agent = citizen if channel == "online" else front
        person = Person.of(
            identity_number=str(answers.get("nik") or _nik(rng)),
            identity_scheme="id-nik",
            name=f"{rng.choice(_NAMES)} {rng.choice(_FAMILY)}",
        )
        receipt = self.mall.submit(
            service.code,
            channel=kind,
            applicant=person,
            answers=answers,
            actor=agent,
            documents=documents,
            idempotency_key=f"demo-form-{serial:06d}",
        )
        self.secrets.append((receipt.number, receipt.lookup_secret or ""))
        courier = rng.choice(self.couriers)
        case = _Case(receipt.application_id, serial, channel, agent, service.agency, courier)
        if self.desk is not None and channel == "courier":
            window = TimeWindow(self.clock.now(), self.clock.now() + timedelta(hours=4))
            address = Personal(f"Jl. Contoh No. {serial % 200 + 1}, Jakarta")
            job = self.desk.book_pickup(case.id, window=window, address=address, actor=front)
            self.desk.claim(job.id, courier)
            case.job = job.id
            self.after(rng.uniform(0.5, 3), lambda: self.collect(case))
        else:
            self.later(case, self.mall.application(case.id))

    def collect(self, case: _Case) -> None:
        """At the door: the courier seals the documents; then hands them in at the mall."""
        desk = self.trip()
        app, handoff = self.mall.application(case.id), f"{case.job}-door"
        items = tuple(ManifestItem(code, doc.sha256) for code, doc in app.documents.items())
        seal = f"P{case.serial:06d}-documents"
        code = desk.issue_handoff_code(case.job, handoff)
        desk.seal_and_collect(
            case.job,
            Packet(seal, items, len(items)),
            handoff_id=handoff,
            courier=_pin(case.courier),
            citizen_code=code,
            proof_sha256=_sha(f"signature {handoff}"),
        )
        self.counts["courier_pickups"] += 1
        self.after(self.rng.uniform(0.5, 1.5), lambda: self.hand_in(case, seal, items))

    def hand_in(self, case: _Case, seal: str, items: tuple[ManifestItem, ...]) -> None:
        self.trip().hand_over(
            seal,
            Handoff(
                id=f"{case.job}-counter",
                giver=_pin(case.courier),
                receiver=_badge(case.agent),
                at=self.clock.now(),
                place=_MALL,
                proof_sha256=_sha(f"photo {seal} counter"),
                scanned=items,
            ),
            job_id=case.job,
        )
        self.later(case, self.mall.application(case.id))

    def send_out(self, case: _Case, app: Application) -> None:
        """The result is sealed at the mall and handed to the courier who will deliver it."""
        desk = self.trip()
        job = desk.book_delivery(case.id, actor=case.agent)
        desk.claim(job.id, case.courier)
        case.job, seal = job.id, f"P{case.serial:06d}-result"
        permit = (ManifestItem(f"{app.service}-result", _sha(f"result {case.id}")),)
        desk.seal(case.id, Packet(seal, permit, 1), by=_badge(case.agent), place=_MALL)
        self.clock.current += timedelta(minutes=self.rng.randint(2, 20))
        handoff = Handoff(
            id=f"{job.id}-out",
            giver=_badge(case.agent),
            receiver=_pin(case.courier),
            at=self.clock.now(),
            place=_MALL,
            proof_sha256=_sha(f"photo {seal} out"),
            scanned=permit,
        )
        desk.hand_over(seal, handoff, job_id=job.id)

    def door(self, case: _Case, app: Application, delivered: bool) -> None:
        """At the door: the citizen takes the result with a code, or nobody is home."""
        desk = self.trip()
        if not delivered:
            desk.record_attempt(case.job, "no_one_home", courier=case.courier)
            window = TimeWindow(self.clock.now(), self.end + timedelta(days=7))
            desk.reschedule(case.job, window, actor=case.agent)
            return
        handoff = f"{case.job}-door-{app.version}"
        desk.deliver(
            case.job,
            handoff_id=handoff,
            courier=_pin(case.courier),
            citizen_code=desk.issue_handoff_code(case.job, handoff),
            proof_sha256=_sha(f"signature {handoff}"),
            scanned=(ManifestItem(f"{app.service}-result", _sha(f"result {case.id}")),),
        )

    # --- one step of one application ------------------------------------------------

    def later(self, case: _Case, app: Application) -> None:
        """Queue *case*'s next step, or leave it pending: forgotten, or never paid."""
        rng, workflow = self.rng, self.workflow(app)
        state = workflow.state(app.state)
        if app.is_closed or rng.random() < _NEGLECT:
            return
        if state.kind is StateKind.WAITING_APPLICANT:
            automatic = workflow.automatic_transitions(state.name)
            paying = any(t.trigger is Trigger.EVENT for t in automatic)
            if paying and rng.random() < _UNPAID:
                return
            hours = rng.uniform(0.1, 1.5) if paying else rng.uniform(1, 16)
        elif state.time_limit is not None:
            limit = state.time_limit.in_hours(hours_per_day=8)
            hours = limit * (
                rng.uniform(1.05, 1.8) if rng.random() < _SLOW else rng.uniform(0.05, 0.4)
            )
        else:
            hours = rng.uniform(0.2, 2)
        self.after(hours, lambda: self.step(case))

    def step(self, case: _Case) -> None:
        app = self.mall.application(case.id)
        if app.is_closed or app.is_suspended:
            return
        if app.state == self.workflow(app).initial_state and self.rng.random() < _WITHDRAW:
            self.mall.withdraw(case.id, actor=case.agent, reason="no-longer-needed")
            return
        for transition in self.choose(case, app):
            try:
                app = self.take(case, app, transition)
            except OnestopError as exc:
                self.counts[f"refused:{type(exc).__name__}:{transition.action}"] += 1
                app = self.mall.application(case.id)
                continue
            self.later(case, app)
            return
        self.counts["stuck"] += 1

    def choose(self, case: _Case, app: Application) -> list[Transition]:
        """The transitions to try now: the one chosen, then fallbacks."""
        workflow, rng = self.workflow(app), self.rng
        options = [t for t in workflow.manual_transitions(app.state) if t.action not in _NEVER]
        options += [t for t in workflow.automatic_transitions(app.state) if t.event]
        kinds = {t.action: workflow.state(t.target).kind for t in options}
        refuse = [t for t in options if kinds[t.action] is StateKind.FAILURE]
        correct = [
            t for t in options if t.inputs and kinds[t.action] is StateKind.WAITING_APPLICANT
        ]
        retry = [t for t in options if t.action == "delivery_failed"]
        happy = [t for t in options if t not in refuse + correct + retry]
        happy = [t for t in happy if t.action not in _AVOID.get(case.channel, ())] or happy
        rng.shuffle(happy)
        happy.sort(key=lambda t: t.action not in _PREFER.get(case.channel, ()))
        draw = rng.random()
        if refuse and draw < _REFUSE:
            return [rng.choice(refuse)]
        if correct and case.corrections == 0 and draw < _REFUSE + _CORRECT:
            return [rng.choice(correct), *happy]
        if retry and case.failed_visits == 0 and draw < _NOT_HOME:
            case.failed_visits += 1
            return retry
        return happy + correct + refuse

    def take(self, case: _Case, app: Application, transition: Transition) -> Application:
        mall, action = self.mall, transition.action
        if transition.event is not None:
            if transition.event.startswith("payment.") and not app.facts().payments:
                self.pay(case, app)
            return mall.notify_event(case.id, transition.event)
        actor = self.actor(case, app, transition)
        target = self.workflow(app).state(transition.target).kind
        if "payment_recorded" in transition.guards and not app.facts().payments:
            self.pay(case, app)
        if self.workflow(app).state(app.state).kind is StateKind.WAITING_APPLICANT:
            for code, check in app.checks.items():  # corrected copies of refused documents
                if check.verdict is Verdict.REJECTED:
                    tag = f"{case.serial}-{app.version}"
                    copy = _scan(code, app.documents[code].evidence_type, tag)
                    mall.attach_document(case.id, copy, actor=case.agent)
        elif transition.inputs and target is StateKind.WAITING_APPLICANT:
            self.reject_one(case, app, actor)
        elif any(g.startswith("documents_verified") for g in transition.guards):
            for code in app.required:
                if code in app.documents and app.verdict(code) != "verified":
                    self.clock.current += timedelta(minutes=self.rng.randint(1, 4))
                    mall.check_document(case.id, code, verdict=Verdict.VERIFIED, actor=actor)
        if self.desk is not None and case.job and action in ("deliver", "delivery_failed"):
            self.door(case, app, delivered=action == "deliver")
        inputs = {name: _INPUTS.get(name, "ok") for name in transition.inputs}
        after = mall.act(case.id, action, actor=actor, inputs=inputs)
        if self.desk is not None and action == "dispatch" and case.job:
            self.send_out(case, after)
        self.counts[f"action:{action}"] += 1
        return after

    def pay(self, case: _Case, app: Application) -> None:
        """The citizen pays the fees due; the bank's gateway records the payment."""
        service = find_service(self.mall.catalogue, app.service, app.service_version)
        due = service.fees_due(app.channel, app.answers)
        amount = sum((money.amount for money in due), Decimal(0))
        currency = due[0].currency if due else "IDR"
        role = next(r for r in self.workflow(app).roles if r != "applicant")
        gateway = Actor(id="bank-dki-gateway", roles={role})
        reference = f"BILL-{case.serial:06d}"
        self.mall.record_payment(
            case.id, reference, amount=amount, currency=currency, actor=gateway
        )
        self.counts["payments"] += 1

    def reject_one(self, case: _Case, app: Application, actor: Actor) -> None:
        given = [code for code in app.required if code in app.documents]
        if given and not any(app.verdict(code) == DOCUMENT_REJECTED for code in given):
            code, reason = self.rng.choice(given), self.rng.choice(_REASONS)
            verdict = Verdict.REJECTED
            self.mall.check_document(case.id, code, verdict=verdict, reason=reason, actor=actor)
        case.corrections += 1
        self.counts["sent_back"] += 1

    def actor(self, case: _Case, app: Application, transition: Transition) -> Actor:
        roles = transition.roles
        if case.agent.roles & set(roles):
            return case.agent
        if "courier" in roles:
            return case.courier
        if "system" in roles and "front_office" not in roles:
            return self.system
        partners = self.workflow(app).duty_partners(transition.action)
        barred = {step.actor for step in app.steps if step.action in partners}
        for role in roles:
            staff = [a for a in self.staff(case.agency, role) if a.id not in barred]
            if role != "applicant" and staff:
                return self.rng.choice(staff)
        return self.system

    def timers(self) -> None:
        self.counts["timers_fired"] += len(self.mall.fire_timers())

    def run(self, progress: Progress | None) -> None:
        """Do what is queued, in time order, until nothing is left before the end."""
        origin = self.clock.now()
        total = max(int((self.end - origin).total_seconds() // 60), 1)
        reported = 0
        while self.queue:
            when, _, task = heapq.heappop(self.queue)
            self.clock.current = max(when, self.clock.current)
            task()
            done = min(int((self.clock.current - origin).total_seconds() // 60), total)
            if progress is not None and done - reported >= 30:
                progress(done, total)
                reported = done
        if progress is not None:
            progress(total, total)

    def plan(self, days: list[date], *, arriving: int, per_day: int) -> None:
        """Queue the arrivals of the first *arriving* of *days*, and the timers of each."""
        catalogue, rng = self.mall.catalogue, self.rng
        current: list[Service] = []
        for code in catalogue.service_codes():
            try:
                current.append(catalogue.service(code, at=self.start))
            except ServiceNotFound:  # no version in effect then (a later tariff's only)
                continue
        offer = [
            (service, variant.channel.value)
            for service in current
            if service.workflow is not None
            for variant in service.channels
        ]
        if not offer:
            raise ConfigurationError("the catalogue has no service with a workflow to play")
        weights = [
            (3 if s.kind.value == "non_licensing" else 1) * _CHANNELS.get(c, 5) for s, c in offer
        ]
        serial = 0
        for day in days[:arriving]:
            opening = datetime.combine(day, time(8), self.zone)
            for service, channel in rng.choices(offer, weights, k=per_day):
                serial += 1
                hours = rng.uniform(0, 14 if channel == "online" else 7)
                self.at(opening + timedelta(hours=hours), _Arrival(self, service, channel, serial))
        for day in days:
            for hour in (8, 12):
                self.at(datetime.combine(day, time(hour), self.zone), self.timers)


@attrs.frozen
class _Arrival:
    sim: Simulation
    service: Service
    channel: str
    serial: int

    def __call__(self) -> None:
        self.sim.arrive(self.service, self.channel, self.serial)
