"""The events an application's stream is made of, oldest first, `Submitted` always first.

Each event is a frozen value: the commands of `onestop.domain.applications.commands` (and
`onestop.domain.applications.submission.submit`) build them from checked input, and
`onestop.usecases.applications.codec.decode_event` rebuilds them from stored history.
`onestop.domain.applications.application` re-exports them and folds them into an `Application`.
Each class carries the version of its stored shape, ``SCHEMA_VERSION``; older shapes
are upcast when read (`onestop.usecases.streams`).

**What an event checks.**  Its fields' *types*, when it is built: a document that is
not a `onestop.domain.applications.forms.DocumentRef`, answers that are not a mapping of field
names to answers, a version that is not an `int` (a `bool` is not one), an enum field
given its value as text, an instant without a time zone or outside the years 1 to
9999 are refused with `onestop.exceptions.InvalidValue` (`NaiveDatetime` for a naive
instant) naming the field, so that nothing reading an event later fails on a wrong
type.  Not the *formats* of its ids and codes: the commands check those with
`onestop.domain.common.formats` where the values enter, and history an earlier release
stored under a looser check keeps loading (an actor id kept with a trailing line
break still reads back as it was stored, and is never accepted again for a new
event).

Every event carries a ``kind`` tag, the id of the actor who caused it, the role they
acted in and the instant it happened.  Reprs leave out answers, the applicant and
note texts, so that printing an event in a log or traceback leaks no personal data.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

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
from onestop.domain.common.formats import SHA256_HEX, kind_of
from onestop.domain.common.parties import (
    Applicant,
    Organisation,
    Person,
    Personal,
    Representative,
)
from onestop.domain.common.values import Duration, parse_amount
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.workflow.model import ClockMode, Trigger
from onestop.exceptions import InvalidValue

__all__ = [
    "ActionTaken",
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
    "ResealedStream",
    "Resumed",
    "Submitted",
    "Suspended",
    "Verdict",
    "Visibility",
    "Withdrawn",
]

_NO_ANSWERS: Mapping[str, Answer] = MappingProxyType({})
_NO_INPUTS: Mapping[str, str] = MappingProxyType({})
_TEXT = of(str)
_OPTIONAL_TEXT = of(str, optional=True)
_VERSION = count(minimum=0)


def _personal_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: text wrapped in `Personal`, or an erased or withheld one."""
    if isinstance(value, Personal) and (not value.is_available or isinstance(value.reveal(), str)):
        return
    shown = "Personal of something else" if isinstance(value, Personal) else kind_of(value)
    raise InvalidValue(field=attribute.name, reason=f"expected Personal text, not {shown}")


def _hash(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: a SHA-256 hash, as 64 lower-case hex digits."""
    if not SHA256_HEX.matches(value):
        raise InvalidValue(field=attribute.name, reason="expected 64 lower-case hex digits")


def _answers(value: Mapping[str, Answer]) -> Mapping[str, Answer]:
    given: object = value
    if isinstance(given, Mapping) and not given:
        return _NO_ANSWERS
    return as_mapping(value)  # type: ignore[no-any-return]


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]  # or left for items_of to refuse


def _documents(value: Iterable[DocumentRef]) -> tuple[DocumentRef, ...]:
    documents = as_tuple(value)
    if isinstance(documents, tuple) and all(isinstance(d, DocumentRef) for d in documents):
        return tuple(d.without_content() for d in documents)
    return documents  # type: ignore[no-any-return]  # for items_of(DocumentRef) to refuse


def _document(value: DocumentRef) -> DocumentRef:
    given: object = value
    return value.without_content() if isinstance(given, DocumentRef) else value


def _inputs(value: Mapping[str, str]) -> Mapping[str, str]:
    given: object = value
    if isinstance(given, Mapping) and not given:
        return _NO_INPUTS
    return as_mapping(value)  # type: ignore[no-any-return]


def _amount(_: object, attribute: attrs.Attribute[Decimal], value: object) -> None:
    """An amount is a `Decimal` that `parse_amount` accepts, as it must to be read back."""
    of(Decimal)(_, attribute, value)
    parse_amount(value, field=attribute.name)


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

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["submitted"] = attrs.field(default="submitted", init=False)
    application_id: str = attrs.field(validator=_TEXT)
    number: str = attrs.field(validator=_TEXT)
    service: str = attrs.field(validator=_TEXT)
    service_version: int = attrs.field(validator=_VERSION)
    agency: str = attrs.field(validator=_TEXT)
    channel: ChannelKind = attrs.field(validator=of(ChannelKind))
    workflow: str = attrs.field(validator=_TEXT)
    workflow_version: int = attrs.field(validator=_VERSION)
    state: str = attrs.field(validator=_TEXT)
    clock: ClockMode = attrs.field(validator=of(ClockMode))
    time_limit: Duration = attrs.field(validator=of(Duration))
    answers: Mapping[str, Answer] = attrs.field(
        default=_NO_ANSWERS, converter=_answers, validator=mapping_of(str, is_answer), repr=False
    )
    documents: tuple[DocumentRef, ...] = attrs.field(
        default=(), converter=_documents, validator=items_of(DocumentRef)
    )
    required: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=items_of(str))
    applicant: Applicant = attrs.field(validator=of((Person, Organisation)), repr=False)
    representative: Representative | None = attrs.field(
        default=None, validator=of(Representative, optional=True), repr=False
    )
    secret_digest: str = attrs.field(validator=_TEXT, repr=False)
    idempotency_digest: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT, repr=False)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class DocumentAttached:
    """A document was given after submission (a correction, or one shown later).

    It replaces any earlier document for the same requirement, whose verdict is cleared.

    Attributes:
        document: The document (its bytes are dropped).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["document_attached"] = attrs.field(default="document_attached", init=False)
    document: DocumentRef = attrs.field(converter=_document, validator=of(DocumentRef))
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class DocumentChecked:
    """An officer checked one document.

    Attributes:
        requirement: The requirement the document answers.
        verdict: Verified or rejected.
        reason: A reason code (``blurry``, ``expired``); required when rejected.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["document_checked"] = attrs.field(default="document_checked", init=False)
    requirement: str = attrs.field(validator=_TEXT)
    verdict: Verdict = attrs.field(validator=of(Verdict))
    reason: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class ActionTaken:
    """A workflow transition fired: the engine's `onestop.domain.workflow.engine.Step`, recorded.

    Attributes:
        action: The action taken.
        source: The state before.
        target: The state after.
        clock: The clock mode of `target`.
        inputs: The inputs given (``reason``); text only.
        effects: The effects the transition requested, in order.
        trigger: What fired it (a person, a timer, a breach, an event).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["action_taken"] = attrs.field(default="action_taken", init=False)
    action: str = attrs.field(validator=_TEXT)
    source: str = attrs.field(validator=_TEXT)
    target: str = attrs.field(validator=_TEXT)
    clock: ClockMode = attrs.field(validator=of(ClockMode))
    inputs: Mapping[str, str] = attrs.field(
        default=_NO_INPUTS, converter=_inputs, validator=mapping_of(str, str)
    )
    effects: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=items_of(str))
    trigger: Trigger = attrs.field(default=Trigger.MANUAL, validator=of(Trigger))
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class NoteAdded:
    """Someone wrote a note on the application.

    Attributes:
        text: The note: free text that may well be about the applicant, so `Personal`
            (stored as the text it wraps, or sealed under the applicant's subject; not in
            the repr, never sent to transports).
        visibility: Who may read it.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["note_added"] = attrs.field(default="note_added", init=False)
    text: Personal[str] = attrs.field(validator=_personal_text, repr=False)
    visibility: Visibility = attrs.field(validator=of(Visibility))
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class Assigned:
    """The application was assigned to an officer, or unassigned.

    Attributes:
        assignee: The officer's id, or ``None`` to unassign.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["assigned"] = attrs.field(default="assigned", init=False)
    assignee: str | None = attrs.field(validator=_OPTIONAL_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class Suspended:
    """Work on the application stopped, and its clock with it.

    Attributes:
        reason: A reason code (``court_order``, ``system_outage``).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["suspended"] = attrs.field(default="suspended", init=False)
    reason: str = attrs.field(validator=_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class Resumed:
    """Work on a suspended application started again; so did its clock."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["resumed"] = attrs.field(default="resumed", init=False)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class Withdrawn:
    """The applicant withdrew the application; it is closed and its clock stopped.

    Attributes:
        reason: A reason code, if one was given.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["withdrawn"] = attrs.field(default="withdrawn", init=False)
    reason: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class PaymentRecorded:
    """A payment for the application was received (at the counter, or from a payment gateway).

    Attributes:
        reference: The payment's reference (a billing code or receipt number).
        amount: The amount paid.
        currency: Its ISO 4217 code.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["payment_recorded"] = attrs.field(default="payment_recorded", init=False)
    reference: str = attrs.field(validator=_TEXT)
    amount: Decimal = attrs.field(validator=_amount)
    currency: str = attrs.field(validator=_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class LegalHoldPlaced:
    """A legal hold was placed: the application's personal data may not be erased while it is on.

    It changes nothing else: not the state, the SLA clock or what tracking shows.

    Attributes:
        hold_id: The hold's id, chosen by whoever places it (a case or order reference).
        reason: A reason code (``litigation``, ``audit``, ``court_order``).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["legal_hold_placed"] = attrs.field(default="legal_hold_placed", init=False)
    hold_id: str = attrs.field(validator=_TEXT)
    reason: str = attrs.field(validator=_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class LegalHoldLifted:
    """A legal hold placed earlier was lifted.

    Attributes:
        hold_id: The id the hold was placed with.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["legal_hold_lifted"] = attrs.field(default="legal_hold_lifted", init=False)
    hold_id: str = attrs.field(validator=_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class ErasureRecorded:
    """The personal data of the application's subjects was erased: who, when, and why.

    The erasure itself destroys the subjects' data keys; this event records it in the
    stream (whose hash chain still verifies).  It changes nothing else: not the state,
    the SLA clock or what tracking shows.

    Attributes:
        subjects: The subjects erased, ``"<application_id>/applicant"`` and, if there
            is one, ``"<application_id>/representative"``.
        legal_basis: The law or decision the erasure rests on (text, never personal data).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["personal_data_erased"] = attrs.field(default="personal_data_erased", init=False)
    subjects: tuple[str, ...] = attrs.field(converter=_texts, validator=items_of(str))
    legal_basis: str = attrs.field(validator=_TEXT)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class ResealedStream:
    """One more stream of the application rewritten with it (a courier job): its old and new head.

    Attributes:
        stream_id: The stream (``courier-job:<job id>``).
        version: Its version, the same before and after.
        old_head: The hash of its last event before the rewrite.
        new_head: The hash of the same event after.
    """

    stream_id: str = attrs.field(validator=_TEXT)
    version: int = attrs.field(validator=count(minimum=1))
    old_head: str = attrs.field(validator=_hash)
    new_head: str = attrs.field(validator=_hash)


@attrs.frozen(kw_only=True)
class HistoryResealed:
    """The stream's history was rewritten once, to seal its personal data: old head to new.

    Sealing a store written in plain text (``onestop pii migrate``) re-encodes every
    event of the stream with the personal values sealed, so every hash changes; this
    event, appended after the rewritten history, binds the chain head before (`old_head`,
    at `old_version`) to the head after (`new_head`), and a signed checkpoint taken
    afterwards pins the new history.  It changes nothing else: not the state, the SLA
    clock or what tracking shows.

    Attributes:
        old_head: The hash of the stream's last event before the rewrite.
        old_version: The stream's version then (the rewrite keeps the versions).
        new_head: The hash of the same event after the rewrite.
        jobs: The application's courier job streams rewritten with it, each with its
            heads (their addresses are personal data too).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["history_resealed"] = attrs.field(default="history_resealed", init=False)
    old_head: str = attrs.field(validator=_hash)
    old_version: int = attrs.field(validator=count(minimum=1))
    new_head: str = attrs.field(validator=_hash)
    jobs: tuple[ResealedStream, ...] = attrs.field(
        default=(), converter=as_tuple, validator=items_of(ResealedStream)
    )
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


@attrs.frozen(kw_only=True)
class DeadlineRecounted:
    """A calendar change moved the due date: from now on the clock counts on `calendar`.

    Appended by ``Mall.recount_deadlines`` to an open application whose due date a new
    calendar version moves (`onestop.domain.applications.recount`); every reader then
    counts the deadline on the calendar recorded here, never on the one configured.

    Attributes:
        scope: The scope of the calendar version (``"*"`` or an agency code).
        version: The calendar version's number.
        calendar: The whole calendar counted on, in the agency's zone (non-working days
            before the day of receipt left out: they never count).
        due_before: The due date before, or the one it would have if resumed at `at`
            while its clock is paused.
        due_after: The due date after, counted the same way.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["deadline_recounted"] = attrs.field(default="deadline_recounted", init=False)
    scope: str = attrs.field(validator=_TEXT)
    version: int = attrs.field(validator=count(minimum=1))
    calendar: WorkCalendar = attrs.field(validator=of(WorkCalendar), repr=False)
    due_before: datetime = attrs.field(validator=instant)
    due_after: datetime = attrs.field(validator=instant)
    actor: str = attrs.field(validator=_TEXT)
    role: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    at: datetime = attrs.field(validator=instant)


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
    | LegalHoldPlaced
    | LegalHoldLifted
    | ErasureRecorded
    | HistoryResealed
    | DeadlineRecounted
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
        "legal_hold_placed": LegalHoldPlaced,
        "legal_hold_lifted": LegalHoldLifted,
        "personal_data_erased": ErasureRecorded,
        "history_resealed": HistoryResealed,
        "deadline_recounted": DeadlineRecounted,
    }
)
"""Each event class by its ``kind`` tag."""
