"""What the public may see of an application, and how applications fared against their SLA.

`public_status` projects an application into a `PublicStatus`: the status label in
the language asked for (with fallbacks), the due date, what is needed from the
applicant while the application waits on them, and the public history of states.
It holds **no personal data**: no answers, no applicant, no notes, no actor ids.
onestop's own texts (the labels of suspension, resumption and withdrawal, the reasons
a document was rejected) come from `onestop.domain.catalogue.messages`: the
catalogue's ``[[messages]]`` first, then the translations onestop ships.

`sla_outcome` judges one application against its deadline at an instant, and
`sla_report` adds outcomes up per agency and service.

>>> from onestop.domain.common.text import LocalizedText
>>> BUILT_IN_LABELS["withdrawn"].get("id")
'Dicabut'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    DeadlineRecounted,
    Resumed,
    Submitted,
    Suspended,
    Verdict,
    Withdrawn,
)
from onestop.domain.catalogue.messages import Shipped, message_text
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common._typed import of
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_type, typed_fields
from onestop.domain.common.text import LocalizedText, is_language_tag, language_fallbacks
from onestop.domain.time.calendar import WorkCalendar, require_aware
from onestop.domain.time.sla import Deadline
from onestop.domain.workflow.model import StateKind, Workflow
from onestop.exceptions import InvalidValue

__all__ = [
    "BUILT_IN_LABELS",
    "Needed",
    "Outcome",
    "PublicStatus",
    "PublicStep",
    "SlaOutcome",
    "SlaReportRow",
    "public_status",
    "served_language",
    "sla_outcome",
    "sla_report",
]

BUILT_IN_LABELS: Mapping[str, LocalizedText] = MappingProxyType(
    {
        "suspended": LocalizedText.of(en="Suspended", id="Ditangguhkan"),
        "resumed": LocalizedText.of(en="Resumed", id="Dilanjutkan"),
        "withdrawn": LocalizedText.of(en="Withdrawn", id="Dicabut"),
        "deadline_recounted": LocalizedText.of(
            en="Due date moved by a calendar change",
            id="Tenggat waktu diubah karena perubahan kalender",
        ),
    }
)
"""Labels for what is not a workflow state (suspension, resumption, withdrawal, a recount).

The last resort when no shipped texts are given to `public_status`; the `Mall` always
gives them (``state.suspended`` and so on in `onestop.domain.catalogue.messages`)."""


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PublicStep:
    """One public step of an application's history.

    Attributes:
        state: The state entered (or ``suspended``, ``resumed``, ``withdrawn``, or
            ``deadline_recounted`` when a calendar change moved the due date).
        label: Its label in the language served.
        at: When.
    """

    state: str
    label: str
    at: datetime


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Needed:
    """Something the applicant must do for the application to move on.

    Attributes:
        requirement: The requirement's code, or ``None`` for the send-back as a whole.
        label: The evidence's name in the language served, or the officer's message.
        reason: The reason code an officer gave when rejecting the document, if any.
        reason_text: The reason in the language served (``reason.<code>`` messages),
            or ``None`` when there is no reason or no text for its code.
    """

    requirement: str | None
    label: str
    reason: str | None = None
    reason_text: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PublicStatus:
    """What anyone holding the number and secret may see; no personal data.

    Attributes:
        number: The application number.
        service: The service's code.
        service_name: The service's name in the language served.
        state: The current state (``withdrawn`` once withdrawn).
        label: The state's public label in the language served.
        language: The language served: the one asked for if the catalogue declares
            it (or a prefix of it), else the catalogue's default language.
        received: When it was received.
        due: The due date, or ``None`` while the clock is paused or once closed.
        paused: Whether the clock is paused now.
        closed: Whether the application is finished.
        needed: What is needed from the applicant while it waits on them.
        history: The public steps, oldest first.
    """

    number: str
    service: str
    service_name: str
    state: str
    label: str
    language: str
    received: datetime
    due: datetime | None
    paused: bool
    closed: bool
    needed: tuple[Needed, ...]
    history: tuple[PublicStep, ...]


@attrs.frozen
class _Texts:
    catalogue: Catalogue
    shipped: Shipped | None
    language: str

    def message(self, key: str) -> str | None:
        if self.shipped is None:
            return None
        return message_text(
            key,
            self.language,
            shipped=self.shipped,
            overrides=self.catalogue.messages,
            fallbacks=self.catalogue.languages,
        )


def _state_label(workflow: Workflow, state: str, texts: _Texts) -> str:
    language, fallbacks = texts.language, texts.catalogue.languages
    if state in BUILT_IN_LABELS:
        served = texts.message(f"state.{state}")
        return served or BUILT_IN_LABELS[state].get(language, fallbacks=fallbacks)
    if not workflow.has_state(state):
        return state
    found = workflow.state(state)
    text = found.public_label or found.label
    return text.get(language, fallbacks=fallbacks) if text else state


def _history(application: Application) -> list[tuple[str, datetime]]:
    steps: list[tuple[str, datetime]] = []
    for event in application.events:
        if isinstance(event, Submitted):
            steps.append((event.state, event.at))
        elif isinstance(event, ActionTaken):
            steps.append((event.target, event.at))
        elif isinstance(event, Suspended | Resumed | Withdrawn | DeadlineRecounted):
            steps.append((event.kind, event.at))
    return steps


def _needed(application: Application, workflow: Workflow, texts: _Texts) -> tuple[Needed, ...]:
    catalogue, language, fallbacks = texts.catalogue, texts.language, texts.catalogue.languages
    if application.is_closed or not workflow.has_state(application.state):
        return ()
    if workflow.state(application.state).kind is not StateKind.WAITING_APPLICANT:
        return ()
    needed: list[Needed] = []
    last = application.steps[-1] if application.steps else None
    if last is not None and last.target == application.state and last.inputs.get("reason"):
        needed.append(Needed(requirement=None, label=last.inputs["reason"]))
    names = {e.code: e.name for e in catalogue.evidence_types}
    for code in application.required:
        check = application.checks.get(code)
        document = application.documents.get(code)
        if document is not None and (check is None or check.verdict is not Verdict.REJECTED):
            continue
        evidence = document.evidence_type if document is not None else code
        name = names.get(evidence)
        label = name.get(language, fallbacks=fallbacks) if name else evidence
        reason = check.reason if check else None
        reason_text = texts.message(f"reason.{reason}") if reason else None
        needed.append(Needed(requirement=code, label=label, reason=reason, reason_text=reason_text))
    return tuple(needed)


def public_status(
    application: Application,
    /,
    *,
    catalogue: Catalogue,
    workflow: Workflow,
    deadline: Deadline,
    language: str,
    shipped: Shipped | None = None,
) -> PublicStatus:
    """Project *application* into what the public may see, in *language*.

    A *language* the catalogue does not declare (nor a prefix of it, as ``en`` is of
    ``en-GB``) is served as the catalogue's default language instead; labels then fall
    back to the catalogue's languages in order.  While the application waits on the
    applicant, `PublicStatus.needed` lists the send-back message and each required
    document that is missing or was rejected, with the reason in words.

    Args:
        application: The application.
        catalogue: The catalogue (service names, evidence names, languages).
        workflow: The workflow version the application is pinned to.
        deadline: Its deadline, from `Application.deadline`.
        language: A BCP 47 tag such as ``id`` or ``en-GB``.
        shipped: onestop's own texts (`onestop.usecases.catalogue.built_in.shipped_texts`);
            ``None`` serves `BUILT_IN_LABELS` and leaves reasons as codes.

    Raises:
        InvalidValue: If *language* is not a language tag, *shipped* not `Shipped`, or
            *application*, *catalogue*, *workflow* or *deadline* not of its type.
    """
    check_type(application, Application, field="application")
    check_type(catalogue, Catalogue, field="catalogue")
    check_type(workflow, Workflow, field="workflow")
    check_type(deadline, Deadline, field="deadline")
    given: object = language
    if not isinstance(given, str) or not is_language_tag(language):
        raise InvalidValue(field="language", reason="expected a BCP 47 tag such as 'id' or 'en'")
    check_type(shipped, (Shipped, type(None)), field="shipped")
    fallbacks = catalogue.languages
    language = served_language(catalogue, language)
    texts = _Texts(catalogue, shipped, language)
    state = "withdrawn" if application.withdrawal is not None else application.state
    service_name = next(
        (
            s.name.get(language, fallbacks=fallbacks)
            for s in catalogue.versions(application.service)
            if s.version == application.service_version
        ),
        application.service,
    )
    closed = application.is_closed
    labels: dict[str, str] = {}  # a history repeats its states: each label made once

    def label_of(state: str) -> str:
        found = labels.get(state)
        if found is None:
            found = labels[state] = _state_label(workflow, state, texts)
        return found

    return PublicStatus(
        number=application.number,
        service=application.service,
        service_name=service_name,
        state=state,
        label=label_of(state),
        language=language,
        received=deadline.received,
        due=None if closed else deadline.due,
        paused=not closed and deadline.is_paused,
        closed=closed,
        needed=_needed(application, workflow, texts),
        history=tuple(
            PublicStep(state=s, label=label_of(s), at=at) for s, at in _history(application)
        ),
    )


def served_language(catalogue: Catalogue, language: str, /) -> str:
    """Return *language* if *catalogue* declares it or a prefix of it, else its default.

    >>> from onestop.domain.common.text import LocalizedText
    >>> catalogue = Catalogue(name=LocalizedText.of(en="Mall"), languages=("id", "en"))
    >>> served_language(catalogue, "en-GB"), served_language(catalogue, "fr")
    ('en-GB', 'id')

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue` or *language* not a `str`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    check_type(language, str, field="language")
    declared = {tag.lower() for tag in catalogue.languages}
    if any(prefix in declared for prefix in language_fallbacks(language)):
        return language
    return catalogue.default_language


class Outcome(enum.Enum):
    """How one application fared against its deadline."""

    ON_TIME = "on_time"
    """Closed in a final state by its due date."""
    LATE = "late"
    """Closed in a final state after its due date."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by the applicant; not judged."""
    OPEN = "open"
    """Still open and not yet past its due date (or paused)."""
    OVERDUE = "overdue"
    """Still open and past its due date."""


@attrs.frozen(kw_only=True)
class SlaOutcome:
    """One application judged against its deadline.

    Attributes:
        application_id: The application's id.
        agency: The providing agency's code.
        service: The service's code.
        outcome: How it fared.
        due: Its due date, if known.
        closed_at: When its clock stopped for good, if it has.
        paused: The working time its clock was paused.
    """

    application_id: str = attrs.field(validator=of(str))
    agency: str = attrs.field(validator=of(str))
    service: str = attrs.field(validator=of(str))
    outcome: Outcome = attrs.field(validator=of(Outcome))
    due: datetime | None = attrs.field(validator=of(datetime, optional=True))
    closed_at: datetime | None = attrs.field(validator=of(datetime, optional=True))
    paused: timedelta = attrs.field(validator=of(timedelta))


def sla_outcome(
    application: Application, /, *, calendar: WorkCalendar, now: datetime
) -> SlaOutcome:
    """Judge *application* against its deadline on *calendar* at *now*.

    Raises:
        NaiveDatetime: If *now* has no time zone (`InvalidCalendar` if not a datetime).
        InvalidValue: If *application* is not an `Application`, or *calendar* not a
            `WorkCalendar`.
    """
    require_aware(now, "now")
    check_type(application, Application, field="application")
    check_type(calendar, WorkCalendar, field="calendar")
    deadline = application.deadline(calendar)
    closed_at = application.closed_at
    paused = sum(
        (
            calendar.working_time_between(p.start, p.end if p.end is not None else now)
            for p in deadline.pauses
            if p.end is not None or p.start < now
        ),
        timedelta(0),
    )
    due = deadline.due
    if application.withdrawal is not None:
        outcome = Outcome.WITHDRAWN
    elif closed_at is not None:
        outcome = Outcome.ON_TIME if due is not None and closed_at <= due else Outcome.LATE
    elif due is not None and now > due:
        outcome = Outcome.OVERDUE
    else:
        outcome = Outcome.OPEN
    return SlaOutcome(
        application_id=application.id,
        agency=application.agency,
        service=application.service,
        outcome=outcome,
        due=due,
        closed_at=closed_at,
        paused=paused,
    )


@attrs.frozen(kw_only=True)
class SlaReportRow:
    """How one service of one agency fared.

    Attributes:
        agency: The agency's code.
        service: The service's code.
        on_time: Applications closed by their due date.
        late: Applications closed after it.
        open: Applications still open and within their deadline.
        overdue: Applications still open and past it.
        withdrawn: Applications withdrawn.
        paused: The working time their clocks were paused, summed.
    """

    agency: str
    service: str
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    withdrawn: int = 0
    paused: timedelta = timedelta(0)


def sla_report(outcomes: Iterable[SlaOutcome], /) -> tuple[SlaReportRow, ...]:
    """Add *outcomes* up per agency and service, sorted by agency then service.

    Raises:
        InvalidValue: If *outcomes* is not an iterable of `SlaOutcome` values, or the
            paused time of one agency's service adds up beyond `datetime.timedelta.max`.
    """
    given: object = outcomes
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise InvalidValue(field="outcomes", reason=f"expected SLA outcomes, not {kind_of(given)}")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    paused: dict[tuple[str, str], timedelta] = {}
    for index, outcome in enumerate(outcomes):
        check_type(outcome, SlaOutcome, field=f"outcomes[{index}]")
        key = (outcome.agency, outcome.service)
        bucket = counts.setdefault(key, {})
        bucket[outcome.outcome.value] = bucket.get(outcome.outcome.value, 0) + 1
        try:
            paused[key] = paused.get(key, timedelta(0)) + outcome.paused
        except OverflowError:
            reason = "their paused time adds up to more than a timedelta holds"
            raise InvalidValue(field="outcomes", reason=reason) from None
    return tuple(
        SlaReportRow(
            agency=agency,
            service=service,
            on_time=bucket.get("on_time", 0),
            late=bucket.get("late", 0),
            open=bucket.get("open", 0),
            overdue=bucket.get("overdue", 0),
            withdrawn=bucket.get("withdrawn", 0),
            paused=paused[agency, service],
        )
        for (agency, service), bucket in sorted(counts.items())
    )
