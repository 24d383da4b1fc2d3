"""Commands on applications: pure functions from state, command and time to new events.

`decide` takes the current `Application` (``None`` before submission), a command, the
catalogue and the instant, and returns the events to record, or raises a typed error.
It never changes anything: the caller appends the events to the application's stream
(`onestop.usecases.mall.Mall` does, in one transaction) or throws them away.

Who may do what:

* `Submit` (see `onestop.domain.applications.submission`): anyone; the submitting actor's id is
  recorded (an applicant's account, a counter clerk, a courier).
* `Act`: whoever the workflow allows; `onestop.domain.workflow.engine.fire` decides, with the
  roles, separation-of-duties history, inputs and guards of this application.
* `CheckDocument`, `Assign`, `Suspend`, `Resume`: an officer, i.e. an actor holding
  one of the workflow's roles other than `APPLICANT_ROLE` and `COURIER_ROLE`
  (`RoleNotAllowed` otherwise).
* `AttachDocument`, `Withdraw`, `AddNote`: the actor who submitted, or an officer;
  only officers write internal notes, and no one once its personal data is erased.
* `PlaceLegalHold`, `LiftLegalHold`, `ErasePersonalData`: an officer, open or closed
  application alike (`onestop.domain.applications.privacy`).

A role counts when it is held for the application's agency (``Application.agency``, its
service's agency when it was submitted): mall-wide, or granted for that agency
(`onestop.domain.common.actors.Grant`).  An officer of one agency cannot act on another
agency's applications.

A closed application (final state, or withdrawn) takes nothing but notes; a suspended
one takes only `Resume`, `Withdraw`, `Assign` and notes.  Refusals raise
`CommandRefused`, whose reason never holds personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TypeAlias

import attrs

from onestop.domain.applications._permissions import (
    officer_role,
    require_open,
    submitter_or_officer,
)
from onestop.domain.applications.application import (
    ActionTaken,
    Application,
    Assigned,
    DocumentAttached,
    DocumentChecked,
    Event,
    NoteAdded,
    PaymentRecorded,
    Resumed,
    Suspended,
    Verdict,
    Visibility,
    Withdrawn,
)
from onestop.domain.applications.forms import DocumentRef, check_document
from onestop.domain.applications.privacy import (
    ErasePersonalData,
    LiftLegalHold,
    PlaceLegalHold,
    privacy_event,
)
from onestop.domain.applications.submission import (
    APPLICANT_ROLE,
    DEFAULT_VALIDATORS,
    Submit,
    find_service,
    find_workflow,
    submit,
)
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import (
    ACTOR_ID,
    CATALOGUE_CODE,
    CODE,
    CURRENCY,
    KEY,
    kind_of,
    preview,
    text_problem,
)
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import IdentityValidators, Personal
from onestop.domain.common.values import parse_amount
from onestop.domain.time.calendar import require_aware
from onestop.domain.workflow.engine import DEFAULT_GUARDS, Actor, fire
from onestop.domain.workflow.guards import Facts, GuardRegistry
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import (
    CommandRefused,
    InvalidApplication,
    InvalidValue,
    Problem,
)

__all__ = [
    "APPLICANT_ROLE",
    "Act",
    "AddNote",
    "Assign",
    "AttachDocument",
    "CheckDocument",
    "Command",
    "ErasePersonalData",
    "LiftLegalHold",
    "MAX_NOTE",
    "PlaceLegalHold",
    "RecordPayment",
    "Resume",
    "Submit",
    "Suspend",
    "Withdraw",
    "decide",
    "find_service",
    "find_workflow",
]

MAX_NOTE = 5_000
"""The longest note, in characters."""

_NO_INPUTS: Mapping[str, object] = MappingProxyType({})
_VERDICTS: Mapping[str, Verdict] = {v.value: v for v in Verdict}
_VISIBILITIES: Mapping[str, Visibility] = {v.value: v for v in Visibility}


def _mapping(value: Mapping[str, object]) -> Mapping[str, object]:
    copied: object = value
    return MappingProxyType(dict(value)) if isinstance(copied, Mapping) else value


def _verdict(value: Verdict | str) -> Verdict:
    """Take a `Verdict` or its value; anything else is kept for `decide` to refuse."""
    found: object = _VERDICTS.get(value, value) if isinstance(value, str) else value
    return found  # type: ignore[return-value]  # a Verdict, or refused by decide


def _visibility(value: Visibility | str) -> Visibility:
    """Take a `Visibility` or its value; anything else is kept for `decide` to refuse."""
    found: object = _VISIBILITIES.get(value, value) if isinstance(value, str) else value
    return found  # type: ignore[return-value]  # a Visibility, or refused by decide


@attrs.frozen(kw_only=True)
class Act:
    """Take a workflow action.

    Attributes:
        action: The action's name.
        actor: Who takes it, with their roles.
        inputs: The inputs it needs (``reason``), as text.
    """

    action: str
    actor: Actor
    inputs: Mapping[str, object] = attrs.field(default=_NO_INPUTS, converter=_mapping)


@attrs.frozen(kw_only=True)
class AttachDocument:
    """Give a document after submission (a corrected one, or one not uploaded before)."""

    document: object
    actor: Actor


@attrs.frozen(kw_only=True)
class CheckDocument:
    """Record an officer's verdict on one requirement's document.

    Attributes:
        requirement: The requirement's code.
        verdict: Verified or rejected, as the `Verdict` or its value (``"verified"``).
        reason: A reason code; required when rejecting.
        actor: The officer.
    """

    requirement: str
    verdict: Verdict = attrs.field(converter=_verdict)
    actor: Actor
    reason: str | None = None


@attrs.frozen(kw_only=True)
class AddNote:
    """Write a note; its text is never shown in reprs or sent to transports.

    Attributes:
        text: At most `MAX_NOTE` characters; line breaks and tabs are kept, other
            control characters refused.
        visibility: Who may read it, as the `Visibility` or its value (``"internal"``).
        actor: Who writes it.
    """

    text: str = attrs.field(repr=False)
    visibility: Visibility = attrs.field(converter=_visibility)
    actor: Actor


@attrs.frozen(kw_only=True)
class Assign:
    """Assign the application to an officer's id, or unassign it with ``None``."""

    assignee: str | None
    actor: Actor


@attrs.frozen(kw_only=True)
class Suspend:
    """Stop work and the clock, for a reason code (``court_order``)."""

    reason: str
    actor: Actor


@attrs.frozen(kw_only=True)
class Resume:
    """Start work and the clock again after a suspension."""

    actor: Actor


@attrs.frozen(kw_only=True)
class Withdraw:
    """Withdraw the application, with an optional reason code."""

    actor: Actor
    reason: str | None = None


@attrs.frozen(kw_only=True)
class RecordPayment:
    """Record a payment received for the application (an officer, or a gateway's system actor).

    Attributes:
        reference: The payment's reference (a billing code or receipt number).
        amount: The amount paid, as a `Decimal`, an integer or a decimal string.
        currency: Its ISO 4217 code.
    """

    reference: str
    amount: object
    currency: str
    actor: Actor


Command: TypeAlias = (
    Submit
    | Act
    | AttachDocument
    | CheckDocument
    | AddNote
    | Assign
    | Suspend
    | Resume
    | Withdraw
    | RecordPayment
    | PlaceLegalHold
    | LiftLegalHold
    | ErasePersonalData
)
"""Anything that can be asked of an application."""

_NAMES: Mapping[type, str] = {
    Submit: "submit",
    Act: "act",
    AttachDocument: "attach_document",
    CheckDocument: "check_document",
    AddNote: "add_note",
    Assign: "assign",
    Suspend: "suspend",
    Resume: "resume",
    Withdraw: "withdraw",
    RecordPayment: "record_payment",
    PlaceLegalHold: "place_legal_hold",
    LiftLegalHold: "lift_legal_hold",
    ErasePersonalData: "erase_personal_data",
}
_COMMANDS = tuple(_NAMES)


def decide(
    application: Application | None,
    command: Command,
    /,
    *,
    catalogue: Catalogue,
    at: datetime,
    guards: GuardRegistry = DEFAULT_GUARDS,
    validators: IdentityValidators | None = None,
    courier_jobs: Mapping[str, str] | None = None,
) -> tuple[Event, ...]:
    """Return the events *command* produces on *application* at *at*; change nothing.

    Args:
        application: The application's state, or ``None`` for a `Submit`.
        command: What is asked.
        catalogue: The catalogue: the service and its pinned workflow version.
        at: When the command is carried out (timezone-aware).
        guards: Where the workflow's guard names are looked up.
        validators: The identity-number validators a `Submit`'s people are checked
            with; `default_validators` when ``None``.
        courier_jobs: The status of each courier job linked to the application, by
            job id, for an `Act`'s guards (`onestop.domain.workflow.guards.Facts.courier_jobs`).

    Raises:
        InvalidApplication: If the command's values break a rule; every problem is listed.
        ServiceNotFound: If no version of the service is in effect at *at*.
        ChannelNotOffered: If the service is not offered through the channel.
        TransitionNotAllowed: Or a subclass, if the workflow refuses an `Act`, or
            the actor lacks the role an officer's command needs.
        CommandRefused: If the application's situation does not allow the command.
        InvalidValue: If *application* is neither an `Application` nor ``None``.
    """
    require_aware(at, "at")
    check_type(application, (Application, type(None)), field="application")
    given: object = command
    if not isinstance(given, _COMMANDS):
        raise InvalidApplication(
            [Problem(path="command", message=f"expected a command, not {kind_of(given)}")]
        )
    _check_actor(command.actor)
    if isinstance(command, Submit):
        if application is not None:
            raise CommandRefused(command="submit", reason="the application exists already")
        checked = validators if validators is not None else DEFAULT_VALIDATORS
        return (submit(command, catalogue=catalogue, at=at, validators=checked),)
    if application is None:
        raise CommandRefused(command=_NAMES[type(command)], reason="there is no application")
    workflow = find_workflow(catalogue, application.workflow, application.workflow_version)
    if isinstance(command, Act):
        facts = application.facts()
        if courier_jobs is not None:
            facts = attrs.evolve(facts, courier_jobs=courier_jobs)
        return (_act(application, command, workflow=workflow, at=at, guards=guards, facts=facts),)
    if isinstance(command, AttachDocument):
        return (_attach(application, command, catalogue=catalogue, workflow=workflow, at=at),)
    if isinstance(command, CheckDocument):
        return (_check(application, command, workflow=workflow, at=at),)
    if isinstance(command, AddNote):
        return (_note(application, command, workflow=workflow, at=at),)
    if isinstance(command, RecordPayment):
        return (_payment(application, command, workflow=workflow, at=at),)
    if isinstance(command, PlaceLegalHold | LiftLegalHold | ErasePersonalData):
        role = officer_role(application, command.actor, workflow, _NAMES[type(command)])
        return (privacy_event(application, command, role=role, catalogue=catalogue, at=at),)
    return (_admin(application, command, workflow=workflow, at=at),)


def _check_actor(actor: object) -> None:  # an Actor checks its own id and roles when built
    if not isinstance(actor, Actor):
        raise InvalidApplication([Problem(path="actor", message="expected an Actor")])


def _reason_code(value: object, path: str, *, required: bool) -> list[Problem]:
    if value is None:
        return [Problem(path=path, message="a reason code is required")] if required else []
    reason = CODE.problem(value)
    return [] if reason is None else [Problem(path=path, message=f"a reason code {reason}")]


def _problem(path: str, reason: str | None) -> list[Problem]:
    return [] if reason is None else [Problem(path=path, message=reason)]


def _act(
    application: Application,
    command: Act,
    *,
    workflow: Workflow,
    at: datetime,
    guards: GuardRegistry,
    facts: Facts,
) -> ActionTaken:
    require_open(application, "act", active=True)
    action: object = command.action
    given: object = command.inputs
    if not isinstance(action, str) or not isinstance(given, Mapping):
        raise InvalidApplication(
            _problem("action", None if isinstance(action, str) else "expected an action's name")
            + _problem("inputs", None if isinstance(given, Mapping) else "expected a mapping")
        )
    step = fire(
        workflow,
        application.state,
        command.action,
        actor=command.actor,
        agency=application.agency,
        inputs=command.inputs,
        facts=facts,
        guards=guards,
    )
    transition = workflow.transition(application.state, command.action)
    declared = transition.inputs if transition is not None else ()
    problems = []
    for name, value in command.inputs.items():
        if name not in declared:
            shown = name if CODE.matches(name) else "(unprintable)"
            problems.append(
                Problem(path=f"inputs.{shown}", message="the action takes no such input")
            )
        else:
            reason = text_problem(value, max_length=MAX_NOTE, multiline=True)
            problems.extend(_problem(f"inputs.{name}", reason))
    if problems:
        raise InvalidApplication(problems)
    return ActionTaken(
        action=step.action,
        source=step.source,
        target=step.target,
        clock=workflow.state(step.target).clock_mode,
        inputs={k: str(v) for k, v in step.inputs.items()},
        effects=step.effects,
        trigger=step.trigger,
        actor=step.actor,
        role=step.role,
        at=at,
    )


def _attach(
    application: Application,
    command: AttachDocument,
    *,
    catalogue: Catalogue,
    workflow: Workflow,
    at: datetime,
) -> DocumentAttached:
    require_open(application, "attach_document", active=True)
    role = submitter_or_officer(application, command.actor, workflow, "attach_document")
    document = command.document
    problems = check_document(document, path="document")
    if problems or not isinstance(document, DocumentRef):
        raise InvalidApplication(problems)
    if document.requirement not in application.required:
        raise InvalidApplication(
            [Problem(path="document.requirement", message="no such requirement applies here")]
        )
    service = find_service(catalogue, application.service, application.service_version)
    expected = {r.code: r.evidence_type for r in service.requirements_for(application.channel)}
    if expected.get(document.requirement) != document.evidence_type:
        raise InvalidApplication(
            [Problem(path="document.evidence_type", message="not the requirement's evidence type")]
        )
    check = application.checks.get(document.requirement)
    if role in (None, APPLICANT_ROLE) and check is not None and check.verdict is Verdict.VERIFIED:
        # The workflow may have gone on on the strength of that check: an officer asks for
        # the document again by rejecting it, and only then may the applicant replace it.
        raise CommandRefused(
            command="attach_document",
            reason="its document was verified: an officer must reject it before it is replaced",
        )
    return DocumentAttached(
        document=document.without_content(), actor=command.actor.id, role=role, at=at
    )


def _check(
    application: Application, command: CheckDocument, *, workflow: Workflow, at: datetime
) -> DocumentChecked:
    require_open(application, "check_document", active=True)
    role = officer_role(application, command.actor, workflow, "check_document")
    problems = _problem("requirement", CATALOGUE_CODE.problem(command.requirement))
    verdict: object = command.verdict
    if not isinstance(verdict, Verdict):
        problems.append(Problem(path="verdict", message="expected verified or rejected"))
    rejected = command.verdict is Verdict.REJECTED
    problems.extend(_reason_code(command.reason, "reason", required=rejected))
    if problems:
        raise InvalidApplication(problems)
    if command.requirement not in application.documents:
        raise CommandRefused(
            command="check_document",
            reason=f"no document was given for requirement {preview(command.requirement)}",
        )
    return DocumentChecked(
        requirement=command.requirement,
        verdict=command.verdict,
        reason=command.reason,
        actor=command.actor.id,
        role=role,
        at=at,
    )


def _note(
    application: Application, command: AddNote, *, workflow: Workflow, at: datetime
) -> NoteAdded:
    text: object = command.text
    visibility: object = command.visibility
    reason = text_problem(text, max_length=MAX_NOTE, multiline=True)
    if reason is None and isinstance(text, str) and not text.strip():
        reason = "a note needs text"
    problems = _problem("text", reason)
    if not isinstance(visibility, Visibility):
        problems.append(
            Problem(path="visibility", message="expected internal, applicant or public")
        )
    if problems:
        raise InvalidApplication(problems)
    if application.erased is not None:  # a note would be sealed under a destroyed key
        raise CommandRefused(command="add_note", reason="its personal data was erased")
    check = officer_role if command.visibility is Visibility.INTERNAL else submitter_or_officer
    role = check(application, command.actor, workflow, "add_note")
    return NoteAdded(
        text=Personal(command.text),
        visibility=command.visibility,
        actor=command.actor.id,
        role=role,
        at=at,
    )


def _admin(
    application: Application,
    command: Assign | Suspend | Resume | Withdraw,
    *,
    workflow: Workflow,
    at: datetime,
) -> Event:
    name = _NAMES[type(command)]
    actor = command.actor
    require_open(application, name, active=isinstance(command, Suspend))
    if isinstance(command, Withdraw):
        role = submitter_or_officer(application, actor, workflow, name)
        problems = _reason_code(command.reason, "reason", required=False)
        if problems:
            raise InvalidApplication(problems)
        return Withdrawn(reason=command.reason, actor=actor.id, role=role, at=at)
    role = officer_role(application, actor, workflow, name)
    if isinstance(command, Assign):
        assignee = command.assignee
        reason = None if assignee is None else ACTOR_ID.problem(assignee)
        if reason is not None:
            raise InvalidApplication([Problem(path="assignee", message=reason)])
        return Assigned(assignee=assignee, actor=actor.id, role=role, at=at)
    if isinstance(command, Suspend):
        problems = _reason_code(command.reason, "reason", required=True)
        if problems:
            raise InvalidApplication(problems)
        return Suspended(reason=command.reason, actor=actor.id, role=role, at=at)
    if not application.is_suspended:
        raise CommandRefused(command=name, reason="the application is not suspended")
    return Resumed(actor=actor.id, role=role, at=at)


def _payment(
    application: Application, command: RecordPayment, *, workflow: Workflow, at: datetime
) -> PaymentRecorded:
    require_open(application, "record_payment", active=True)
    role = officer_role(application, command.actor, workflow, "record_payment")
    problems = _problem("reference", KEY.problem(command.reference))
    problems.extend(_problem("currency", CURRENCY.problem(command.currency)))
    amount = None
    try:
        amount = parse_amount(command.amount, field="amount")
    except InvalidValue as exc:
        problems.append(Problem(path="amount", message=exc.reason))
    if problems or amount is None:
        raise InvalidApplication(problems)
    if any(
        isinstance(e, PaymentRecorded) and e.reference == command.reference
        for e in application.events
    ):
        raise CommandRefused(command="record_payment", reason="this payment is recorded already")
    return PaymentRecorded(
        reference=command.reference,
        amount=amount,
        currency=command.currency,
        actor=command.actor.id,
        role=role,
        at=at,
    )
