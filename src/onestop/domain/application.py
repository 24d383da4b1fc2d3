"""Applications as streams of events, and their state derived by folding them.

An application is one applicant's request for one service version.  Nothing about it
is ever updated in place: each thing that happens is a frozen event, and
`Application.from_events` folds the events, oldest first, into the current state.
The commands that produce events live in `onestop.domain.commands`.

Every event carries a ``kind`` tag, the id of the actor who caused it (an officer,
applicant or system id, never personal data), the role they acted in, and the
instant it happened.  Reprs of events and applications leave out answers, the
applicant and note texts, so that printing one in a log or traceback leaks no
personal data.

The SLA clock is derived too: `Application.pauses` lists the periods the clock was
stopped (while the application sat in a state whose clock is paused, such as
*waiting on the applicant*, and while it was suspended), and `Application.deadline`
hands them to `onestop.domain.sla.due_date`.  Each `ActionTaken` records the clock
mode of the state it entered, so the history explains itself without the workflow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, TypeAlias

import attrs

from onestop.domain.calendar import WorkCalendar, require_aware
from onestop.domain.catalogue import ChannelKind
from onestop.domain.formats import kind_of
from onestop.domain.forms import Answer, DocumentRef
from onestop.domain.guards import DOCUMENT_PENDING, Facts
from onestop.domain.parties import Applicant, Representative
from onestop.domain.sla import Deadline, Pause, due_date
from onestop.domain.values import Duration
from onestop.domain.workflow import ClockMode, Trigger
from onestop.exceptions import CommandRefused

__all__ = [
    "ActionTaken",
    "Application",
    "Assigned",
    "DocumentAttached",
    "DocumentChecked",
    "Event",
    "EVENT_TYPES",
    "NoteAdded",
    "PaymentRecorded",
    "Resumed",
    "Submitted",
    "Suspended",
    "Verdict",
    "Visibility",
    "Withdrawn",
]

_NO_ANSWERS: Mapping[str, Answer] = MappingProxyType({})
_NO_INPUTS: Mapping[str, str] = MappingProxyType({})


def _aware(_: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    require_aware(value, attribute.name)


def _answers(value: Mapping[str, Answer]) -> Mapping[str, Answer]:
    return MappingProxyType(dict(value)) if value else _NO_ANSWERS


def _documents(value: Iterable[DocumentRef]) -> tuple[DocumentRef, ...]:
    return tuple(d.without_content() for d in value)


def _document(value: DocumentRef) -> DocumentRef:
    return value.without_content()


def _inputs(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value)) if value else _NO_INPUTS


class Verdict(enum.Enum):
    """An officer's verdict on one document."""

    VERIFIED = "verified"
    REJECTED = "rejected"


class Visibility(enum.Enum):
    """Who may read a note."""

    INTERNAL = "internal"
    """Officers only."""
    APPLICANT = "applicant"
    """Officers and the applicant (through the tracked status)."""
    PUBLIC = "public"
    """Anyone who may see the application's public status."""


@attrs.frozen(kw_only=True)
class Submitted:
    """The application was received: the first event of every stream.

    Attributes:
        application_id: The stream's id, chosen by the caller (never sequential).
        number: The human-readable application number (``DPMPTSP/SIP/2025/000042``).
        service: The service's code.
        service_version: The service version applied for; the application stays on it.
        agency: The providing agency's code.
        channel: The channel it came in through.
        workflow: The workflow's code.
        workflow_version: The workflow version it is pinned to.
        state: The workflow's initial state.
        clock: The clock mode of the initial state.
        time_limit: The statutory time limit on the channel, fixed at receipt.
        answers: The normalised answers (may hold personal data; not in the repr).
        documents: The documents given (their bytes are dropped).
        required: The codes of the requirements that apply to the answers.
        applicant: Who applies (masks its personal data in its own repr).
        representative: Who acts for the applicant under a power of attorney, if anyone.
        secret_digest: The SHA-256 of the lookup secret given to the applicant.
        idempotency_digest: The digest of the client's idempotency key, if any.
        actor: Who submitted it (the applicant's account, a counter clerk, a courier).
        role: The role they submitted in, if any.
        at: The instant of receipt.
    """

    kind: Literal["submitted"] = attrs.field(default="submitted", init=False)
    application_id: str
    number: str
    service: str
    service_version: int
    agency: str
    channel: ChannelKind
    workflow: str
    workflow_version: int
    state: str
    clock: ClockMode
    time_limit: Duration
    answers: Mapping[str, Answer] = attrs.field(default=_NO_ANSWERS, converter=_answers, repr=False)
    documents: tuple[DocumentRef, ...] = attrs.field(default=(), converter=_documents)
    required: tuple[str, ...] = ()
    applicant: Applicant = attrs.field(repr=False)
    representative: Representative | None = attrs.field(default=None, repr=False)
    secret_digest: str = attrs.field(repr=False)
    idempotency_digest: str | None = attrs.field(default=None, repr=False)
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class DocumentAttached:
    """A document was given after submission (a correction, or one shown later).

    It replaces any earlier document for the same requirement, whose verdict is cleared.

    Attributes:
        document: The document (its bytes are dropped).
    """

    kind: Literal["document_attached"] = attrs.field(default="document_attached", init=False)
    document: DocumentRef = attrs.field(converter=_document)
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class DocumentChecked:
    """An officer checked one document.

    Attributes:
        requirement: The requirement the document answers.
        verdict: Verified or rejected.
        reason: A reason code (``blurry``, ``expired``); required when rejected.
    """

    kind: Literal["document_checked"] = attrs.field(default="document_checked", init=False)
    requirement: str
    verdict: Verdict
    reason: str | None = None
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class ActionTaken:
    """A workflow transition fired: the engine's `onestop.domain.engine.Step`, recorded.

    Attributes:
        action: The action taken.
        source: The state before.
        target: The state after.
        clock: The clock mode of `target`.
        inputs: The inputs given (``reason``); text only.
        effects: The effects the transition requested, in order.
        trigger: What fired it (a person, a timer, a breach, an event).
    """

    kind: Literal["action_taken"] = attrs.field(default="action_taken", init=False)
    action: str
    source: str
    target: str
    clock: ClockMode
    inputs: Mapping[str, str] = attrs.field(default=_NO_INPUTS, converter=_inputs)
    effects: tuple[str, ...] = ()
    trigger: Trigger = Trigger.MANUAL
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class NoteAdded:
    """Someone wrote a note on the application.

    Attributes:
        text: The note (free text: not in the repr, never sent to transports).
        visibility: Who may read it.
    """

    kind: Literal["note_added"] = attrs.field(default="note_added", init=False)
    text: str = attrs.field(repr=False)
    visibility: Visibility
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class Assigned:
    """The application was assigned to an officer, or unassigned.

    Attributes:
        assignee: The officer's id, or ``None`` to unassign.
    """

    kind: Literal["assigned"] = attrs.field(default="assigned", init=False)
    assignee: str | None
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class Suspended:
    """Work on the application stopped, and its clock with it.

    Attributes:
        reason: A reason code (``court_order``, ``system_outage``).
    """

    kind: Literal["suspended"] = attrs.field(default="suspended", init=False)
    reason: str
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class Resumed:
    """Work on a suspended application started again; so did its clock."""

    kind: Literal["resumed"] = attrs.field(default="resumed", init=False)
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class Withdrawn:
    """The applicant withdrew the application; it is closed and its clock stopped.

    Attributes:
        reason: A reason code, if one was given.
    """

    kind: Literal["withdrawn"] = attrs.field(default="withdrawn", init=False)
    reason: str | None = None
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class PaymentRecorded:
    """A payment for the application was received (at the counter, or from a payment gateway).

    Attributes:
        reference: The payment's reference (a billing code or receipt number).
        amount: The amount paid.
        currency: Its ISO 4217 code.
    """

    kind: Literal["payment_recorded"] = attrs.field(default="payment_recorded", init=False)
    reference: str
    amount: Decimal
    currency: str
    actor: str
    role: str | None = None
    at: datetime = attrs.field(validator=_aware)


Event: TypeAlias = (
    Submitted
    | DocumentAttached
    | DocumentChecked
    | ActionTaken
    | NoteAdded
    | Assigned
    | Suspended
    | Resumed
    | Withdrawn
    | PaymentRecorded
)
"""Anything that can happen to an application."""

EVENT_TYPES: Mapping[str, type[Event]] = MappingProxyType(
    {
        "submitted": Submitted,
        "document_attached": DocumentAttached,
        "document_checked": DocumentChecked,
        "action_taken": ActionTaken,
        "note_added": NoteAdded,
        "assigned": Assigned,
        "suspended": Suspended,
        "resumed": Resumed,
        "withdrawn": Withdrawn,
        "payment_recorded": PaymentRecorded,
    }
)
"""Each event class by its ``kind`` tag."""

_EVENT_CLASSES = tuple(EVENT_TYPES.values())


@attrs.frozen(kw_only=True)
class Application:
    """An application's current state, derived from its events; build it with `from_events`.

    Attributes:
        id: The stream's id.
        number: The human-readable number.
        service: The service's code.
        service_version: The service version it was submitted under.
        agency: The providing agency's code.
        channel: The channel it came through.
        workflow: The workflow's code.
        workflow_version: The workflow version it is pinned to.
        state: The current workflow state.
        clock: The clock mode of the current state.
        time_limit: The statutory limit, fixed at receipt.
        received: The instant of receipt.
        submitted_by: The id of the actor who submitted it.
        answers: The answers (may hold personal data; not in the repr).
        applicant: Who applies (not in the repr).
        representative: Who acts for the applicant, if anyone (not in the repr).
        secret_digest: The SHA-256 of the lookup secret.
        required: The codes of the requirements that apply.
        documents: The current document for each requirement.
        checks: The latest check of each requirement's current document.
        assignee: The officer it is assigned to, if any.
        suspension: The suspension in force, if any.
        withdrawal: The withdrawal, once withdrawn.
        version: How many events the stream holds.
        updated_at: The instant of the latest event.
        events: Every event, oldest first (not in the repr).
    """

    id: str
    number: str
    service: str
    service_version: int
    agency: str
    channel: ChannelKind
    workflow: str
    workflow_version: int
    state: str
    clock: ClockMode
    time_limit: Duration
    received: datetime
    submitted_by: str
    answers: Mapping[str, Answer] = attrs.field(repr=False)
    applicant: Applicant = attrs.field(repr=False)
    representative: Representative | None = attrs.field(repr=False)
    secret_digest: str = attrs.field(repr=False)
    required: tuple[str, ...]
    documents: Mapping[str, DocumentRef]
    checks: Mapping[str, DocumentChecked]
    assignee: str | None
    suspension: Suspended | None
    withdrawal: Withdrawn | None
    version: int
    updated_at: datetime
    events: tuple[Event, ...] = attrs.field(repr=False)

    @classmethod
    def from_events(cls, events: Iterable[Event], /) -> Application:
        """Fold *events*, oldest first, into the application's state.

        Raises:
            CommandRefused: If the stream is empty or does not start with `Submitted`,
                holds a second `Submitted`, or holds something that is not an event.
        """
        given: object = events
        if not isinstance(given, Iterable):
            raise CommandRefused(command="load", reason="expected a sequence of events")
        iterator = iter(events)
        first = next(iterator, None)
        if not isinstance(first, Submitted):
            raise CommandRefused(
                command="load", reason="an application's stream must start with 'submitted'"
            )
        application = cls._start(first)
        for event in iterator:
            application = application.apply(event)
        return application

    @classmethod
    def _start(cls, event: Submitted) -> Application:
        return cls(
            id=event.application_id,
            number=event.number,
            service=event.service,
            service_version=event.service_version,
            agency=event.agency,
            channel=event.channel,
            workflow=event.workflow,
            workflow_version=event.workflow_version,
            state=event.state,
            clock=event.clock,
            time_limit=event.time_limit,
            received=event.at,
            submitted_by=event.actor,
            answers=event.answers,
            applicant=event.applicant,
            representative=event.representative,
            secret_digest=event.secret_digest,
            required=event.required,
            documents=MappingProxyType({d.requirement: d for d in event.documents}),
            checks=MappingProxyType({}),
            assignee=None,
            suspension=None,
            withdrawal=None,
            version=1,
            updated_at=event.at,
            events=(event,),
        )

    def apply(self, event: Event, /) -> Application:
        """Return the state after *event*; CommandRefused for a second Submitted or a non-event."""
        changes: dict[str, object] = {}
        if isinstance(event, Submitted):
            raise CommandRefused(command="load", reason="a stream holds one 'submitted' only")
        if not isinstance(event, _EVENT_CLASSES):
            raise CommandRefused(command="load", reason=f"expected an event, not {kind_of(event)}")
        if isinstance(event, DocumentAttached):
            code = event.document.requirement
            changes["documents"] = MappingProxyType({**self.documents, code: event.document})
            changes["checks"] = MappingProxyType(
                {k: v for k, v in self.checks.items() if k != code}
            )
        elif isinstance(event, DocumentChecked):
            changes["checks"] = MappingProxyType({**self.checks, event.requirement: event})
        elif isinstance(event, ActionTaken):
            changes["state"] = event.target
            changes["clock"] = event.clock
        elif isinstance(event, Assigned):
            changes["assignee"] = event.assignee
        elif isinstance(event, Suspended):
            changes["suspension"] = event
        elif isinstance(event, Resumed):
            changes["suspension"] = None
        elif isinstance(event, Withdrawn):
            changes["withdrawal"] = event
        values = {name: getattr(self, name) for name in _APPLICATION_FIELDS}
        values.update(changes)
        values["version"] = self.version + 1
        values["updated_at"] = max(self.updated_at, event.at)
        values["events"] = (*self.events, event)
        return Application(**values)

    @property
    def is_closed(self) -> bool:
        """Whether nothing more can happen (a final state was reached, or it was withdrawn)."""
        return self.withdrawal is not None or self.clock is ClockMode.STOPPED

    @property
    def is_suspended(self) -> bool:
        """Whether a suspension is in force."""
        return self.suspension is not None

    @property
    def state_since(self) -> datetime:
        """When the application entered its current state (its last transition, or receipt)."""
        for event in reversed(self.events):
            if isinstance(event, ActionTaken):
                return event.at
        return self.received

    @property
    def steps(self) -> tuple[ActionTaken, ...]:
        """The workflow transitions taken, oldest first."""
        return tuple(e for e in self.events if isinstance(e, ActionTaken))

    @property
    def notes(self) -> tuple[NoteAdded, ...]:
        """The notes written, oldest first."""
        return tuple(e for e in self.events if isinstance(e, NoteAdded))

    def verdict(self, requirement: str, /) -> str:
        """The current verdict on *requirement*'s document: verified, rejected or pending."""
        given: object = requirement
        check = self.checks.get(requirement) if isinstance(given, str) else None
        return check.verdict.value if check is not None else DOCUMENT_PENDING

    def facts(self) -> Facts:
        """What guards and separation-of-duties checks may know about this application."""
        return Facts(
            answers=self.answers,
            required_documents=self.required,
            documents={code: self.verdict(code) for code in self.documents},
            payments=tuple(e.reference for e in self.events if isinstance(e, PaymentRecorded)),
            history=tuple((step.action, step.actor) for step in self.steps),
        )

    @property
    def closed_at(self) -> datetime | None:
        """When the clock stopped for good (a final state, or the withdrawal), if it has."""
        for event in self.events:
            if isinstance(event, Withdrawn) or (
                isinstance(event, ActionTaken) and event.clock is ClockMode.STOPPED
            ):
                return event.at
        return None

    def pauses(self) -> tuple[Pause, ...]:
        """The periods the SLA clock was stopped, oldest first; the last may be open.

        The clock stops while the application is in a state whose clock is paused
        (reason ``state:<name>``) and while it is suspended (``suspended:<code>``).
        Nothing counts after the clock stopped for good.
        """
        found: list[Pause] = []
        state_pause: tuple[datetime, str] | None = None
        suspension: tuple[datetime, str] | None = None
        first = self.events[0]
        if isinstance(first, Submitted) and first.clock is ClockMode.PAUSED:
            state_pause = (first.at, f"state:{first.state}")
        for event in self.events[1:]:
            if isinstance(event, Withdrawn) or (
                isinstance(event, ActionTaken) and event.clock is ClockMode.STOPPED
            ):
                found.extend(
                    Pause(start=item[0], end=event.at, reason=item[1])
                    for item in (state_pause, suspension)
                    if item is not None
                )
                state_pause = suspension = None
                break
            if isinstance(event, ActionTaken):
                paused = event.clock is ClockMode.PAUSED
                if state_pause is not None and (not paused or event.target != event.source):
                    found.append(Pause(start=state_pause[0], end=event.at, reason=state_pause[1]))
                    state_pause = None
                if paused and state_pause is None:
                    state_pause = (event.at, f"state:{event.target}")
            elif isinstance(event, Suspended) and suspension is None:
                suspension = (event.at, f"suspended:{event.reason}")
            elif isinstance(event, Resumed) and suspension is not None:
                found.append(Pause(start=suspension[0], end=event.at, reason=suspension[1]))
                suspension = None
        found.extend(
            Pause(start=item[0], reason=item[1])
            for item in (state_pause, suspension)
            if item is not None
        )
        found.sort(key=lambda p: p.start)
        return tuple(found)

    def deadline(self, calendar: WorkCalendar, /) -> Deadline:
        """The due date of the statutory limit on *calendar*, with its trace.

        While the clock is paused the deadline has ``due=None``; the due date moves
        exactly when the pause ends.
        """
        return due_date(
            calendar, received=self.received, limit=self.time_limit, pauses=self.pauses()
        )


_APPLICATION_FIELDS = tuple(a.name for a in attrs.fields(Application))
"""The attributes `Application.apply` copies: faster than `attrs.evolve`, same result."""
