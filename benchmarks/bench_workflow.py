"""Workflow engine benchmarks: transitions per second and memory per application.

The workload (performance.md section 7): a 7-state application lifecycle (draft,
submitted, verified, processing, approved, issued, and a 'returned' loop back to
submitted), a role check on every transition and one audit record per transition,
driving many applications held in memory.  Every fifth application is sent back once,
so it takes the loop; the others go straight through.

Contenders, all driven over the same precomputed list of (application, action, actor):

* onestop: one `Workflow` shared by every application; `fire` returns a `Step`, which is
  the audit record; the application keeps only its state name.
* floor: a plain dict table ``(state, action) -> (target, roles)``, a role check and a
  tuple appended as the audit record; the least any engine can do.
* transitions: one shared `Machine` over a reusable model whose state is set per
  application, a role condition per transition and an ``after`` callback for the audit.
* python-statemachine: one shared machine, same binding, ``cond`` callables for the roles
  and an ``after_transition`` hook for the audit.

Memory: tracemalloc over N application records of about 13 fields (nested applicant,
documents, aware datetimes, status), onestop's record (the same data with the state
name and the pinned workflow version instead of a status enum; no machine object)
against a plain attrs record; and onestop's per-application overhead against one
`transitions` machine per application.
"""

from __future__ import annotations

import enum
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from _benchlib import Result, best_seconds, comparison

from onestop.domain.workflow.engine import Actor, fire
from onestop.domain.workflow.model import State, StateKind, Transition, Workflow, validate_workflow
from onestop.domain.workflow.steps import Step

FULL_SIZE = 100_000
QUICK_SIZE = 20_000

# (action, sources, target, role)
LIFECYCLE: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("submit", ("draft",), "submitted", "applicant"),
    ("verify", ("submitted",), "verified", "verifier"),
    ("send_back", ("submitted",), "returned", "verifier"),
    ("resubmit", ("returned",), "submitted", "applicant"),
    ("start", ("verified",), "processing", "processor"),
    ("approve", ("processing",), "approved", "approver"),
    ("issue", ("approved",), "issued", "clerk"),
)
KINDS = {
    "draft": StateKind.INITIAL,
    "submitted": StateKind.ACTIVE,
    "verified": StateKind.ACTIVE,
    "returned": StateKind.WAITING_APPLICANT,
    "processing": StateKind.ACTIVE,
    "approved": StateKind.ACTIVE,
    "issued": StateKind.SUCCESS,
}
ROLE_OF = {action: role for action, _, _, role in LIFECYCLE}
STRAIGHT = ("submit", "verify", "start", "approve", "issue")
LOOPED = ("submit", "send_back", "resubmit", "verify", "start", "approve", "issue")


def build_workflow() -> Workflow:
    """Return the benchmark lifecycle as a validated onestop workflow."""
    return validate_workflow(
        Workflow(
            code="bench",
            version=1,
            roles=tuple(sorted(set(ROLE_OF.values()))),
            states=tuple(State(name=name, kind=kind) for name, kind in KINDS.items()),
            transitions=tuple(
                Transition(action=action, sources=sources, target=target, roles=(role,))
                for action, sources, target, role in LIFECYCLE
            ),
        )
    )


@attrs.define(slots=True)
class Cursor:
    """A mutable slot holding one application's state while it is driven."""

    id: str
    state: str = "draft"


Work = list[tuple[Cursor, str, Actor]]
Drive = Callable[[Work], list[Any]]


def build_work(size: int) -> tuple[list[Cursor], Work]:
    """Return *size* applications and the interleaved list of actions to drive them."""
    actors = {role: Actor(id=f"{role}-1", roles={role}) for role in set(ROLE_OF.values())}
    cursors = [Cursor(id=f"app-{i:07d}") for i in range(size)]
    paths = [LOOPED if i % 5 == 0 else STRAIGHT for i in range(size)]
    work: Work = []
    for step in range(len(LOOPED)):
        for cursor, path in zip(cursors, paths, strict=True):
            if step < len(path):
                action = path[step]
                work.append((cursor, action, actors[ROLE_OF[action]]))
    return cursors, work


def _reset(cursors: list[Cursor]) -> Callable[[], None]:
    """Return a function that puts every application back in 'draft'."""

    def reset() -> None:
        for cursor in cursors:
            cursor.state = "draft"

    return reset


def drive_onestop(workflow: Workflow, work: Work) -> list[Step]:
    """Fire every action with onestop's engine; the steps are the audit trail."""
    audit: list[Step] = []
    append = audit.append
    for cursor, action, actor in work:
        step = fire(workflow, cursor.state, action, actor=actor)
        cursor.state = step.target
        append(step)
    return audit


class AuditRecord:
    """The floor's audit record: a plain class with slots, the cheapest record object."""

    __slots__ = ("action", "actor", "application", "source", "target")

    def __init__(self, application: str, action: str, source: str, target: str, actor: str):
        self.application = application
        self.action = action
        self.source = source
        self.target = target
        self.actor = actor


def _floor_table() -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    return {
        (source, action): (target, frozenset({role}))
        for action, sources, target, role in LIFECYCLE
        for source in sources
    }


def drive_floor(work: Work) -> list[AuditRecord]:
    """Fire every action with a dict table, a role check and a slotted audit record."""
    table = _floor_table()
    audit: list[AuditRecord] = []
    append = audit.append
    for cursor, action, actor in work:
        source = cursor.state
        entry = table.get((source, action))
        if entry is None:
            raise LookupError(action)
        target, roles = entry
        if roles.isdisjoint(actor.roles):
            raise PermissionError(action)
        append(AuditRecord(cursor.id, action, source, target, actor.id))
        cursor.state = target
    return audit


def drive_tuple_floor(work: Work) -> list[tuple[str, str, str, str, str]]:
    """Like `drive_floor`, with a bare tuple as the audit record: the absolute floor."""
    table = _floor_table()
    audit: list[tuple[str, str, str, str, str]] = []
    append = audit.append
    for cursor, action, actor in work:
        source = cursor.state
        entry = table.get((source, action))
        if entry is None:
            raise LookupError(action)
        target, roles = entry
        if roles.isdisjoint(actor.roles):
            raise PermissionError(action)
        append((cursor.id, action, source, target, actor.id))
        cursor.state = target
    return audit


def make_transitions_driver() -> Callable[[Work], list[Any]]:
    """Return a driver using one shared `transitions.Machine`."""
    from transitions import Machine

    audit: list[Any] = []

    class Model:
        state = "draft"
        app_id = ""

    def role_check(role: str) -> Callable[[Any], bool]:
        return lambda event: role in event.kwargs["actor"].roles

    def record(event: Any) -> None:
        audit.append(
            (
                event.model.app_id,
                event.event.name,
                event.transition.source,
                event.transition.dest,
                event.kwargs["actor"].id,
            )
        )

    model = Model()
    Machine(
        model=model,
        states=list(KINDS),
        transitions=[
            {
                "trigger": action,
                "source": list(sources),
                "dest": target,
                "conditions": [role_check(role)],
                "after": record,
            }
            for action, sources, target, role in LIFECYCLE
        ],
        initial="draft",
        auto_transitions=False,
        send_event=True,
    )
    trigger = model.trigger  # type: ignore[attr-defined]

    def drive(work: Work) -> list[Any]:
        audit.clear()
        for cursor, action, actor in work:
            model.state = cursor.state
            model.app_id = cursor.id
            if not trigger(action, actor=actor):
                raise PermissionError(action)
            cursor.state = model.state
        return audit

    return drive


def make_statemachine_driver() -> Callable[[Work], list[Any]]:
    """Return a driver using one shared python-statemachine machine."""
    from statemachine import State as SMState
    from statemachine import StateMachine

    audit: list[Any] = []

    def role(name: str) -> Callable[..., bool]:
        return lambda actor: name in actor.roles

    class Lifecycle(StateMachine):
        # 'issued' is not marked final: reaching a final state stops a machine for
        # good, and this one machine serves every application in turn.
        validate_trap_states = False
        draft = SMState(initial=True)
        submitted = SMState()
        verified = SMState()
        returned = SMState()
        processing = SMState()
        approved = SMState()
        issued = SMState()

        submit = draft.to(submitted, cond=role("applicant"))
        verify = submitted.to(verified, cond=role("verifier"))
        send_back = submitted.to(returned, cond=role("verifier"))
        resubmit = returned.to(submitted, cond=role("applicant"))
        start = verified.to(processing, cond=role("processor"))
        approve = processing.to(approved, cond=role("approver"))
        issue = approved.to(issued, cond=role("clerk"))

        def after_transition(self, event: str, source: Any, target: Any, actor: Actor) -> None:
            audit.append((self.model.app_id, event, source.id, target.id, actor.id))

    class Model:
        state = "draft"
        app_id = ""

    model = Model()
    machine = Lifecycle(model=model)

    def drive(work: Work) -> list[Any]:
        audit.clear()
        send = machine.send
        for cursor, action, actor in work:
            model.state = cursor.state
            model.app_id = cursor.id
            send(action, actor=actor)
            cursor.state = model.state
        return audit

    return drive


def _rates(drivers: dict[str, tuple[Drive, int]], *, repeats: int) -> dict[str, float]:
    """Return transitions per second for each ``name: (driver, applications)``.

    The repeats are interleaved (A B C, A B C, ...) and the best of each kept, so a
    burst of load on the machine does not land on one contender only.
    """
    prepared = {name: (drive, *build_work(size)) for name, (drive, size) in drivers.items()}
    best = dict.fromkeys(drivers, float("inf"))
    for _ in range(repeats):
        for name, (drive, cursors, work) in prepared.items():
            audit: list[int] = []

            def once(drive: Drive = drive, work: Work = work, audit: list[int] = audit) -> None:
                audit.append(len(drive(work)))

            seconds = best_seconds(once, repeats=1, setup=_reset(cursors))
            if audit != [len(work)] or any(c.state != "issued" for c in cursors):
                raise AssertionError(f"{name} did not take every application to 'issued'")
            best[name] = min(best[name], seconds)
    return {name: len(prepared[name][2]) / best[name] for name in drivers}


def throughput(size: int, *, repeats: int) -> list[Result]:
    """Measure transitions per second for onestop, the floors and both peers.

    python-statemachine runs over a tenth of the applications (at least 200) to keep
    the run short: it is two orders of magnitude slower, and one shared machine keeps
    no per-application state.
    """
    workflow = build_workflow()
    sample = max(200, size // 10)
    rate = _rates(
        {
            "onestop": (lambda w: drive_onestop(workflow, w), size),
            "floor": (drive_floor, size),
            "tuple floor": (drive_tuple_floor, size),
        },
        repeats=repeats,
    )
    rate |= _rates(
        {
            "transitions": (make_transitions_driver(), size),
            "python-statemachine": (make_statemachine_driver(), min(size, sample)),
        },
        repeats=1,
    )
    unit = "transitions/s"
    return [
        comparison(
            "workflow.transition_vs_transitions",
            value=rate["onestop"],
            unit=unit,
            peer="transitions (shared machine, guarded)",
            peer_value=rate["transitions"],
            at_least=3.0,
        ),
        comparison(
            "workflow.transition_vs_python_statemachine",
            value=rate["onestop"],
            unit=unit,
            peer=f"python-statemachine (shared machine, guarded; {min(size, sample)} applications)",
            peer_value=rate["python-statemachine"],
        ),
        comparison(
            "workflow.transition_vs_floor",
            value=rate["onestop"],
            unit=unit,
            peer="plain dict table + role check + slotted audit record",
            peer_value=rate["floor"],
            at_least=0.15,
        ),
        comparison(
            "workflow.transition_vs_tuple_floor",
            value=rate["onestop"],
            unit=unit,
            peer="plain dict table + role check + audit tuple",
            peer_value=rate["tuple floor"],
        ),
    ]


class Status(enum.Enum):
    """The plain record's status."""

    DRAFT = "draft"
    ISSUED = "issued"


@attrs.frozen(kw_only=True)
class Applicant:
    """The nested applicant of a benchmark record."""

    name: str
    national_id: str
    phone: str
    address: str


@attrs.frozen(kw_only=True)
class Document:
    """One submitted document of a benchmark record."""

    code: str
    sha256: str


@attrs.frozen(kw_only=True)
class PlainRecord:
    """An application record with a status enum: the memory baseline."""

    id: str
    service: str
    agency: str
    channel: str
    language: str
    reference: str
    applicant: Applicant
    documents: tuple[Document, ...]
    fee: Decimal
    submitted_at: datetime
    updated_at: datetime
    notes: str
    status: Status


@attrs.frozen(kw_only=True)
class OnestopRecord:
    """The same record as onestop keeps it: the state name and the pinned workflow version."""

    id: str
    service: str
    agency: str
    channel: str
    language: str
    reference: str
    applicant: Applicant
    documents: tuple[Document, ...]
    fee: Decimal
    submitted_at: datetime
    updated_at: datetime
    notes: str
    state: str
    workflow_version: int


_EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def _fields(i: int) -> dict[str, Any]:
    return {
        "id": f"app-{i:07d}",
        "service": "business-licence",
        "agency": "dpmptsp",
        "channel": "counter",
        "language": "id",
        "reference": f"MPP/{i:07d}/2025",
        "applicant": Applicant(
            name=f"Applicant {i}",
            national_id=f"{3171000000000000 + i}",
            phone=f"+62812{i:08d}",
            address=f"Jl. Example No. {i}, Jakarta",
        ),
        "documents": tuple(
            Document(code=code, sha256=f"{i:064x}") for code in ("ktp", "npwp", "nib")
        ),
        "fee": Decimal(50_000 + i % 7),
        "submitted_at": _EPOCH + timedelta(minutes=i),
        "updated_at": _EPOCH + timedelta(minutes=i, seconds=30),
        "notes": "",
    }


def _bytes_per(build: Callable[[int], object], count: int) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [build(i) for i in range(count)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / count


def memory(size: int) -> list[Result]:
    """Measure bytes per application for onestop's record, the plain record, a machine."""
    state = build_workflow().initial_state or "draft"
    plain = _bytes_per(lambda i: PlainRecord(**_fields(i), status=Status.DRAFT), size)
    mine = _bytes_per(lambda i: OnestopRecord(**_fields(i), state=state, workflow_version=1), size)
    from transitions import Machine

    class Model:
        pass

    def machine(_: int) -> object:
        model = Model()
        Machine(
            model=model,
            states=list(KINDS),
            transitions=[{"trigger": a, "source": list(s), "dest": t} for a, s, t, _ in LIFECYCLE],
            initial="draft",
            auto_transitions=False,
        )
        return model

    per_machine = _bytes_per(machine, max(50, size // 200))
    return [
        comparison(
            "workflow.memory_per_application",
            value=mine,
            unit="bytes/application",
            peer="plain attrs record with a status enum",
            peer_value=plain,
            at_most=1.25,
        ),
        comparison(
            "workflow.state_overhead_per_application",
            value=max(mine - plain, 0.0),
            unit="bytes/application",
            peer="transitions machine per application",
            peer_value=per_machine,
            at_most=0.05,
        ),
    ]


def run(quick: bool, size: int | None = None) -> list[Result]:
    """Run the workflow benchmarks: *size* applications, or 100,000 (20,000 if *quick*)."""
    count = size if size is not None else (QUICK_SIZE if quick else FULL_SIZE)
    repeats = 3 if quick else 5
    return [*throughput(count, repeats=repeats), *memory(min(count, 20_000))]
