"""Applications as streams of events, and their state derived by folding them.

An application is one applicant's request for one service version.  Nothing about it
is ever updated in place: each thing that happens is a frozen event, and
`Application.from_events` folds the events, oldest first, into the current state.
The commands that produce events live in `onestop.domain.applications.commands`.

Every event carries a ``kind`` tag, the id of the actor who caused it (an officer,
applicant or system id, never personal data), the role they acted in, and the
instant it happened.  Reprs of events and applications leave out answers, the
applicant and note texts, so that printing one in a log or traceback leaks no
personal data.

The SLA clock is derived too: `Application.pauses` lists the periods the clock was
stopped (while the application sat in a state whose clock is paused, such as
*waiting on the applicant*, and while it was suspended), and `Application.deadline`
hands them to `onestop.domain.time.sla.due_date`.  Each `ActionTaken` records the clock
mode of the state it entered, so the history explains itself without the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from onestop.domain.applications._clock_trail import ClockTrail
from onestop.domain.applications.events import (
    EVENT_TYPES,
    ActionTaken,
    Assigned,
    DeadlineRecounted,
    DocumentAttached,
    DocumentChecked,
    ErasureRecorded,
    Event,
    HistoryResealed,
    LegalHoldLifted,
    LegalHoldPlaced,
    NoteAdded,
    PaymentRecorded,
    Resumed,
    Submitted,
    Suspended,
    Verdict,
    Visibility,
    Withdrawn,
)
from onestop.domain.applications.forms import Answer, DocumentRef, is_answer
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common._typed import (
    as_mapping,
    as_tuple,
    count,
    instant,
    items_of,
    mapping_of,
    of,
)
from onestop.domain.common.formats import kind_of
from onestop.domain.common.parties import Applicant, Organisation, Person, Representative
from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import Deadline, Pause, due_date
from onestop.domain.workflow.guards import DOCUMENT_PENDING, Facts
from onestop.domain.workflow.model import ClockMode
from onestop.exceptions import CommandRefused, InvalidValue

__all__ = [
    "ActionTaken",
    "Application",
    "Assigned",
    "DeadlineRecounted",
    "DocumentAttached",
    "DocumentChecked",
    "ErasureRecorded",
    "Event",
    "EVENT_TYPES",
    "HistoryResealed",
    "LegalHoldLifted",
    "LegalHoldPlaced",
    "NoteAdded",
    "PaymentRecorded",
    "Resumed",
    "Submitted",
    "Suspended",
    "Verdict",
    "Visibility",
    "Withdrawn",
]

_EVENT_CLASSES = tuple(EVENT_TYPES.values())
_TEXT = of(str)


# Converters with exact types, for the signature of Application's constructor; what
# they cannot convert they leave for the field's validator to refuse.


def _answers(value: Mapping[str, Answer]) -> Mapping[str, Answer]:
    return as_mapping(value)  # type: ignore[no-any-return]


def _documents(value: Mapping[str, DocumentRef]) -> Mapping[str, DocumentRef]:
    return as_mapping(value)  # type: ignore[no-any-return]


def _checks(value: Mapping[str, DocumentChecked]) -> Mapping[str, DocumentChecked]:
    return as_mapping(value)  # type: ignore[no-any-return]


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]


def _holds(value: Iterable[LegalHoldPlaced]) -> tuple[LegalHoldPlaced, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]


def _events(value: Iterable[Event]) -> tuple[Event, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]


def _history(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Check an application's events: one `Submitted`, first, then events of other kinds."""
    items_of(_EVENT_CLASSES)(_, attribute, value)
    assert isinstance(value, tuple)  # noqa: S101 - items_of() proved it
    if not value or not isinstance(value[0], Submitted):
        raise InvalidValue(field="events", reason="must start with a 'submitted' event")
    if any(isinstance(event, Submitted) for event in value[1:]):
        raise InvalidValue(field="events", reason="holds a second 'submitted' event")


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
        holds: The legal holds on it now (placed and not lifted), oldest first.
        erased: The erasure of its personal data, once erased.
        version: How many events the stream holds.
        updated_at: The instant of the latest event (a `HistoryResealed` does not count).
        events: Every event, oldest first (not in the repr).
    """

    id: str = attrs.field(validator=_TEXT)
    number: str = attrs.field(validator=_TEXT)
    service: str = attrs.field(validator=_TEXT)
    service_version: int = attrs.field(validator=count())
    agency: str = attrs.field(validator=_TEXT)
    channel: ChannelKind = attrs.field(validator=of(ChannelKind))
    workflow: str = attrs.field(validator=_TEXT)
    workflow_version: int = attrs.field(validator=count())
    state: str = attrs.field(validator=_TEXT)
    clock: ClockMode = attrs.field(validator=of(ClockMode))
    time_limit: Duration = attrs.field(validator=of(Duration))
    received: datetime = attrs.field(validator=instant)
    submitted_by: str = attrs.field(validator=_TEXT)
    answers: Mapping[str, Answer] = attrs.field(
        converter=_answers, validator=mapping_of(str, is_answer), repr=False
    )
    applicant: Applicant = attrs.field(validator=of((Person, Organisation)), repr=False)
    representative: Representative | None = attrs.field(
        validator=of(Representative, optional=True), repr=False
    )
    secret_digest: str = attrs.field(validator=_TEXT, repr=False)
    required: tuple[str, ...] = attrs.field(converter=_texts, validator=items_of(str))
    documents: Mapping[str, DocumentRef] = attrs.field(
        converter=_documents, validator=mapping_of(str, DocumentRef)
    )
    checks: Mapping[str, DocumentChecked] = attrs.field(
        converter=_checks, validator=mapping_of(str, DocumentChecked)
    )
    assignee: str | None = attrs.field(validator=of(str, optional=True))
    suspension: Suspended | None = attrs.field(validator=of(Suspended, optional=True))
    withdrawal: Withdrawn | None = attrs.field(validator=of(Withdrawn, optional=True))
    holds: tuple[LegalHoldPlaced, ...] = attrs.field(
        default=(), converter=_holds, validator=items_of(LegalHoldPlaced)
    )
    erased: ErasureRecorded | None = attrs.field(
        default=None, validator=of(ErasureRecorded, optional=True)
    )
    version: int = attrs.field(validator=count(minimum=1))
    updated_at: datetime = attrs.field(validator=instant)
    events: tuple[Event, ...] = attrs.field(converter=_events, validator=_history, repr=False)
    # Derived from `events` as they fold (`apply`); an application built directly has
    # none yet and derives it when asked.
    _trail: ClockTrail | None = attrs.field(default=None, init=False, eq=False, repr=False)

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
        return _assemble(
            None,
            {
                "id": event.application_id,
                "number": event.number,
                "service": event.service,
                "service_version": event.service_version,
                "agency": event.agency,
                "channel": event.channel,
                "workflow": event.workflow,
                "workflow_version": event.workflow_version,
                "state": event.state,
                "clock": event.clock,
                "time_limit": event.time_limit,
                "received": event.at,
                "submitted_by": event.actor,
                "answers": event.answers,
                "applicant": event.applicant,
                "representative": event.representative,
                "secret_digest": event.secret_digest,
                "required": event.required,
                "documents": MappingProxyType({d.requirement: d for d in event.documents}),
                "checks": MappingProxyType({}),
                "assignee": None,
                "suspension": None,
                "withdrawal": None,
                "holds": (),
                "erased": None,
                "version": 1,
                "updated_at": event.at,
                "events": (event,),
                "_trail": ClockTrail.start(event),
            },
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
        elif isinstance(event, LegalHoldPlaced):
            changes["holds"] = (*self.holds, event)
        elif isinstance(event, LegalHoldLifted):
            changes["holds"] = tuple(h for h in self.holds if h.hold_id != event.hold_id)
        elif isinstance(event, ErasureRecorded):
            changes["erased"] = event
        changes["version"] = self.version + 1
        if not isinstance(event, HistoryResealed):  # bookkeeping: not a change of the case
            changes["updated_at"] = max(self.updated_at, event.at)
        changes["events"] = (*self.events, event)
        changes["_trail"] = self._clock_trail().after(event)
        return _assemble(self, changes)

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
        Nothing counts after the clock stopped for good.  Kept as the events fold
        (`ClockTrail`), so asking costs nothing like a walk of the stream.
        """
        return self._clock_trail().pauses()

    def _clock_trail(self) -> ClockTrail:
        trail = self._trail
        return trail if trail is not None else ClockTrail.of(self.events)

    def counting_calendar(self, configured: WorkCalendar, /) -> WorkCalendar:
        """The calendar its SLA clock counts on: the last `DeadlineRecounted`'s, else *configured*.

        A stream without a recount (every stream of an earlier release) counts on the
        calendar configured for its agency, as it always did.
        """
        for event in reversed(self.events):
            if isinstance(event, DeadlineRecounted):
                return event.calendar
        return configured

    def deadline(self, calendar: WorkCalendar, /) -> Deadline:
        """The due date of the statutory limit on *calendar*, with its trace.

        While the clock is paused the deadline has ``due=None``; the due date moves
        exactly when the pause ends.
        """
        return due_date(
            calendar, received=self.received, limit=self.time_limit, pauses=self.pauses()
        )


_APPLICATION_FIELDS = tuple(a.name for a in attrs.fields(Application))
"""The attributes `Application.apply` copies from the state before."""


def _assemble(before: Application | None, values: Mapping[str, Any]) -> Application:
    """Build an application from values taken from checked events, without checking again.

    The values are those of *before* (every field, if it is given) with *values* on
    top.  `Application.from_events` and `Application.apply` take every value from an
    event, which checked its types when it was built, or from the application before,
    so running the validators again would only cost time: checking the events again
    at each step would make folding a stream of *n* events cost *n* squared checks.
    """
    application = object.__new__(Application)
    put = object.__setattr__.__get__(application)
    if before is not None:
        for name in _APPLICATION_FIELDS:
            put(name, getattr(before, name))
    for name, value in values.items():
        put(name, value)
    return application
