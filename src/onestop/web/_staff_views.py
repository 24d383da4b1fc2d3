"""The request and response bodies of the staff endpoints, as frozen attrs classes.

What a member of staff reads is split in two: what any holder of a role at the
application's agency may see (its state, version, documents' verdicts, its history:
who did what and when), and its **personal data** (`PersonalView`: the applicant, the
representative, the answers, the notes' texts), sent only to whom
`onestop.usecases.staff.authorisation.may_see_personal_data` allows, and recorded in the
access record each time it is sent.  An inspector without the ``personal_data`` role
gets the first part only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from onestop.domain.applications.application import Application, Verdict, Visibility
from onestop.domain.applications.events import (
    ActionTaken,
    Assigned,
    DocumentAttached,
    DocumentChecked,
    Event,
    NoteAdded,
    Suspended,
    Withdrawn,
)
from onestop.domain.applications.forms import Answer, DocumentRef
from onestop.domain.common.parties import Organisation, Person, Personal, Representative
from onestop.domain.courier.events import AttemptOutcome, JobKind, JobStatus
from onestop.domain.courier.jobs import CourierJob
from onestop.ports.events import Summary
from onestop.web._wire import AnswerValue

__all__ = [
    "AssignmentRequest",
    "AttemptRequest",
    "ChainView",
    "CourierJobList",
    "CourierJobView",
    "HistoryEntry",
    "NoteRequest",
    "NoteView",
    "PersonalView",
    "SlaReportView",
    "SlaRow",
    "StaffApplicationView",
    "VerdictRequest",
    "WorklistPage",
    "WorklistRow",
    "history_of",
    "job_view",
    "personal_of",
    "row_of",
]


@attrs.frozen(kw_only=True)
class WorklistRow:
    """One open application of a worklist (the read model: no personal data).

    Attributes:
        application_id: Its id.
        number: Its number.
        service: The service's code.
        agency: The agency's code.
        state: Its workflow state.
        assignee: The officer it is assigned to, if any.
        received: When it was received.
        due: Its due date, or ``None`` while its clock is paused.
        suspended: Whether it is suspended.
        version: Its version: name it in ``If-Match`` to act on it.
    """

    application_id: str
    number: str
    service: str
    agency: str
    state: str
    assignee: str | None
    received: datetime
    due: datetime | None
    suspended: bool
    version: int


@attrs.frozen(kw_only=True)
class WorklistPage:
    """One page of a worklist, earliest due first.

    Attributes:
        items: The applications.
        next_cursor: Pass it as ``cursor`` for the next page; ``None`` at the end.
    """

    items: tuple[WorklistRow, ...]
    next_cursor: str | None


def row_of(summary: Summary) -> WorklistRow:
    """The worklist row of a read-model *summary*."""
    return WorklistRow(
        application_id=summary.stream_id,
        number=summary.number,
        service=summary.service,
        agency=summary.agency,
        state=summary.state,
        assignee=summary.assignee,
        received=summary.received,
        due=summary.due,
        suspended=summary.suspended,
        version=summary.version,
    )


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One event of an application's history, without its personal data.

    Attributes:
        version: The application's version after it.
        kind: The event's kind (``action_taken``, ``document_checked``, ``note_added``...).
        actor: Who caused it (an actor id, never personal data).
        role: The role they acted in, if any.
        at: When.
        action: The workflow action taken, for ``action_taken``.
        state: The state it entered, for ``action_taken``.
        requirement: The requirement, for a document attached or checked.
        verdict: The verdict, for ``document_checked``.
        reason: The reason code of a verdict, suspension or withdrawal.
        assignee: The officer assigned, for ``assigned``.
    """

    version: int
    kind: str
    actor: str
    role: str | None
    at: datetime
    action: str | None = None
    state: str | None = None
    requirement: str | None = None
    verdict: Verdict | None = None
    reason: str | None = None
    assignee: str | None = None


def _entry(version: int, event: Event) -> HistoryEntry:
    details: dict[str, object] = {}
    if isinstance(event, ActionTaken):
        details = {"action": event.action, "state": event.target}
    elif isinstance(event, DocumentAttached):
        details = {"requirement": event.document.requirement}
    elif isinstance(event, DocumentChecked):
        details = {
            "requirement": event.requirement,
            "verdict": event.verdict,
            "reason": event.reason,
        }
    elif isinstance(event, Assigned):
        details = {"assignee": event.assignee}
    elif isinstance(event, Suspended | Withdrawn):
        details = {"reason": event.reason}
    role = getattr(event, "role", None)
    return HistoryEntry(
        version=version,
        kind=event.kind,
        actor=event.actor,
        role=role if isinstance(role, str) else None,
        at=event.at,
        **details,  # type: ignore[arg-type]
    )


def history_of(application: Application) -> tuple[HistoryEntry, ...]:
    """The history of *application*, oldest first, without personal data."""
    return tuple(_entry(index, event) for index, event in enumerate(application.events, 1))


@attrs.frozen(kw_only=True)
class NoteView:
    """A note on an application: its text is personal data.

    Attributes:
        text: What it says; ``null`` once the application's personal data is erased.
        visibility: Who may read it.
        actor: Who wrote it.
        at: When.
    """

    text: str | None
    visibility: Visibility
    actor: str
    at: datetime


@attrs.frozen(kw_only=True)
class PersonalView:
    """The personal data of an application, for those allowed to see it.

    Attributes:
        applicant: The person or organisation applying.
        representative: Who applied on their behalf, if anyone.
        answers: The form's answers by field name (numbers and dates as text; a
            document answer as its document id).
        notes: The notes written on it, oldest first.
    """

    applicant: Person | Organisation
    representative: Representative | None
    answers: Mapping[str, AnswerValue]
    notes: tuple[NoteView, ...]


def _answer(value: Answer) -> AnswerValue:
    if isinstance(value, DocumentRef):
        return value.sha256
    if isinstance(value, bool | int | str | tuple):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return value.isoformat()


def _opened(value: Personal[str]) -> str | None:
    """The text *value* holds; ``None`` once erased (or withheld: sealed without keys)."""
    return value.reveal() if value.is_available else None


def personal_of(application: Application) -> PersonalView:
    """The personal data of *application*, opened (its keys are the mall's)."""
    return PersonalView(
        applicant=application.applicant,
        representative=application.representative,
        answers={name: _answer(value) for name, value in application.answers.items()},
        notes=tuple(
            NoteView(text=_opened(e.text), visibility=e.visibility, actor=e.actor, at=e.at)
            for e in application.events
            if isinstance(e, NoteAdded)
        ),
    )


@attrs.frozen(kw_only=True)
class StaffApplicationView:
    """An application as a member of staff reads it.

    Attributes:
        application_id: Its id.
        number: Its number.
        service: The service's code.
        agency: The agency's code.
        channel: The channel it came in through.
        state: Its workflow state.
        version: Its version: name it in ``If-Match`` to change it.
        closed: Whether it is finished.
        suspended: Whether it is suspended.
        assignee: The officer it is assigned to, if any.
        received: When it was received.
        required: The codes of the documents it requires.
        documents: The requirements a document was given for.
        verdicts: The verdict on each requirement's document checked so far.
        history: What happened to it, oldest first, without personal data.
        erased_at: When its personal data was erased, if it was (then ``personal`` is
            ``None`` for everyone: nothing of it can be opened any more).
        personal: Its personal data, only for staff allowed to see it (else ``None``).
    """

    application_id: str
    number: str
    service: str
    agency: str
    channel: str
    state: str
    version: int
    closed: bool
    suspended: bool
    assignee: str | None
    received: datetime
    required: tuple[str, ...]
    documents: tuple[str, ...]
    verdicts: Mapping[str, Verdict]
    history: tuple[HistoryEntry, ...]
    erased_at: datetime | None
    personal: PersonalView | None


@attrs.frozen(kw_only=True)
class ChainView:
    """What checking an application's hash chain found.

    Attributes:
        application_id: The application.
        ok: Whether every entry fits.
        first_bad: The position (from 0) of the first entry that does not fit, if any.
        version: That entry's stored version, or the first missing one.
        problem: What is wrong, in words.
    """

    application_id: str
    ok: bool
    first_bad: int | None
    version: int | None
    problem: str | None


@attrs.frozen(kw_only=True)
class VerdictRequest:
    """An officer's verdict on one requirement's document.

    Attributes:
        requirement: The requirement's code.
        verdict: ``verified`` or ``rejected``.
        reason: A reason code (``blurry``, ``expired``); required for ``rejected``.
    """

    requirement: str
    verdict: Verdict
    reason: str | None = None


@attrs.frozen(kw_only=True)
class NoteRequest:
    """A note to write on an application.

    Attributes:
        text: What it says (personal data: it is sealed like the answers).
        visibility: Who may read it: ``internal`` (officers), ``applicant``, ``public``.
    """

    text: str
    visibility: Visibility = Visibility.INTERNAL


@attrs.frozen(kw_only=True)
class AssignmentRequest:
    """Whom to assign an application to.

    Attributes:
        assignee: The officer's account id; ``null`` unassigns.
    """

    assignee: str | None


@attrs.frozen(kw_only=True)
class SlaRow:
    """How one service of one agency fared.

    Attributes:
        agency: The agency's code.
        service: The service's code.
        on_time: Applications closed by their due date.
        late: Applications closed after it.
        open: Applications open and within their deadline.
        overdue: Applications open and past it.
        withdrawn: Applications withdrawn.
        paused_seconds: The working time their clocks were paused, summed, in seconds.
    """

    agency: str
    service: str
    on_time: int
    late: int
    open: int
    overdue: int
    withdrawn: int
    paused_seconds: int


@attrs.frozen(kw_only=True)
class SlaReportView:
    """The SLA report of the agencies the caller holds a role at.

    Attributes:
        at: The instant open applications were judged at.
        rows: One row per agency and service, by agency then service.
    """

    at: datetime
    rows: tuple[SlaRow, ...]


@attrs.frozen(kw_only=True)
class CourierJobView:
    """A courier job.

    Attributes:
        job_id: Its id.
        application_id: The application it serves.
        kind: What it does: ``pickup``, ``delivery``, ``leg_to_agency``, ``leg_to_mall``.
        status: Where it stands.
        courier_id: The courier who claimed it, if any.
        window_start: The start of its booked window, if any.
        window_end: The end of its booked window, if any.
        attempts: How many visits failed so far.
        max_attempts: How many visits it allows.
        version: Its version.
        address: The address to visit (personal data), only for staff allowed to see it.
    """

    job_id: str
    application_id: str
    kind: JobKind
    status: JobStatus
    courier_id: str | None
    window_start: datetime | None
    window_end: datetime | None
    attempts: int
    max_attempts: int
    version: int
    address: str | None


def job_view(job: CourierJob, *, personal: bool) -> CourierJobView:
    """The view of *job*; its address only when *personal*."""
    address = _opened(job.address) if personal and job.address is not None else None
    return CourierJobView(
        job_id=job.id,
        application_id=job.application_id,
        kind=job.kind,
        status=job.status,
        courier_id=job.courier_id,
        window_start=job.window.start if job.window is not None else None,
        window_end=job.window.end if job.window is not None else None,
        attempts=job.failed_attempts,
        max_attempts=job.max_attempts,
        version=job.version,
        address=address,
    )


@attrs.frozen(kw_only=True)
class CourierJobList:
    """An application's courier jobs, in booking order.

    Attributes:
        items: The jobs.
    """

    items: tuple[CourierJobView, ...]


@attrs.frozen(kw_only=True)
class AttemptRequest:
    """A failed visit, recorded by the job's courier.

    Attributes:
        outcome: How it went: ``no_one_home``, ``wrong_address``, ``refused``,
            ``access_denied`` or ``other`` (a success is proven by a handoff).
    """

    outcome: AttemptOutcome
