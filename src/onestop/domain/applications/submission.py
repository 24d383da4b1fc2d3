"""Submitting an application: the `Submit` command and the checks it runs.

`submit` resolves the service version in effect at the instant of submission, the
channel and the workflow version the application will be pinned to; checks the
applicant, any representative, the answers and the documents, listing every problem
in one `InvalidApplication`; and returns the `Submitted` event.  Like every command
it is pure: it changes nothing and reads no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType

import attrs

from onestop.domain.applications.application import Submitted
from onestop.domain.applications.forms import check_submission
from onestop.domain.catalogue.model import Catalogue, ChannelKind, Service
from onestop.domain.common.formats import KEY, SHA256_HEX, preview, text_problem
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.common.parties import (
    Applicant,
    IdentityValidators,
    Organisation,
    Person,
    Representative,
    check_party,
    default_validators,
)
from onestop.domain.workflow.engine import Actor
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import (
    ChannelNotOffered,
    CommandRefused,
    InvalidApplication,
    InvalidIdentityNumber,
    Problem,
    ServiceNotFound,
    UnknownIdentityScheme,
    WorkflowNotFound,
    WorkflowVersionNotFound,
)

__all__ = [
    "APPLICANT_ROLE",
    "COURIER_ROLE",
    "DEFAULT_VALIDATORS",
    "Submit",
    "find_service",
    "find_workflow",
    "role_of",
    "submit",
]

APPLICANT_ROLE = "applicant"
"""The role of applicants; every other role a workflow declares is an officer's, but
`COURIER_ROLE`'s."""
COURIER_ROLE = "courier"
"""The couriers' role.  A courier takes the workflow's transitions that name it
(collecting, delivering), never an officer's work on an application (checking its
documents, notes, assignment, suspension, payments, holds), which needs sight of what a
courier may not see."""
DEFAULT_VALIDATORS = default_validators()
"""The identity-number validators used when none are given."""
_MAX_NUMBER = 128


def _mapping(value: Mapping[str, object]) -> Mapping[str, object]:
    copied: object = value
    return MappingProxyType(dict(value)) if isinstance(copied, Mapping) else value


def _tuple(value: Iterable[object]) -> tuple[object, ...]:
    given: object = value
    if isinstance(given, list | tuple):
        return tuple(given)
    return (given,)  # one document, or something check_submission will refuse


@attrs.frozen(kw_only=True)
class Submit:
    """Apply for a service.

    Attributes:
        application_id: The new stream's id (random, never sequential).
        number: The application number allocated for it.
        service: The service's code; the version in effect at submission applies.
        channel: The channel it comes in through.
        applicant: Who applies: a `Person` or an `Organisation`.
        representative: Who acts for the applicant under a power of attorney, if anyone.
        answers: The form's answers, by field name (not in the repr).
        documents: Documents for the service's requirements.
        actor: Who submits.
        secret_digest: The SHA-256 of the lookup secret given to the applicant.
        idempotency_digest: The digest of the client's idempotency key, if any.
    """

    application_id: str
    number: str
    service: str
    channel: ChannelKind | str
    applicant: object = attrs.field(repr=False)
    representative: object | None = attrs.field(default=None, repr=False)
    answers: Mapping[str, object] = attrs.field(converter=_mapping, repr=False)
    documents: tuple[object, ...] = attrs.field(default=(), converter=_tuple)
    actor: Actor
    secret_digest: str = attrs.field(repr=False)
    idempotency_digest: str | None = attrs.field(default=None, repr=False)


def find_workflow(catalogue: Catalogue, code: str, version: int | None = None, /) -> Workflow:
    """Return version *version* of workflow *code*, or its highest version when ``None``.

    Raises:
        WorkflowNotFound: If the catalogue has no workflow *code*.
        WorkflowVersionNotFound: If it has, but not in *version*.
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    versions = {w.version: w for w in catalogue.workflows if w.code == code}
    if not versions:
        raise WorkflowNotFound(code)
    if version is None:
        return versions[max(versions)]
    given: object = version
    is_int = isinstance(given, int) and not isinstance(given, bool)
    found = versions.get(version) if is_int else None
    if found is None:
        raise WorkflowVersionNotFound(code, version, known=sorted(versions))
    return found


def find_service(catalogue: Catalogue, code: str, version: int, /) -> Service:
    """Return version *version* of service *code*, whatever its status now.

    Raises:
        ServiceNotFound: If there is no such version.
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    for service in catalogue.versions(code):
        if service.version == version:
            return service
    raise ServiceNotFound(code, known=catalogue.service_codes())


def _channel(service: Service, channel: ChannelKind | str) -> ChannelKind:
    offered = [c.value for c in service.channel_kinds]
    kind = channel if isinstance(channel, ChannelKind) else None
    if kind is None and isinstance(channel, str) and channel in {c.value for c in ChannelKind}:
        kind = ChannelKind(channel)
    if kind is None or kind not in service.channel_kinds:
        shown = kind.value if kind is not None else None
        raise ChannelNotOffered(service=service.code, channel=shown, offered=offered)
    return kind


def role_of(actor: Actor, workflow: Workflow, *, agency: str | None = None) -> str | None:
    """The first of the workflow's roles *actor* holds, else the applicant's role if held.

    A role counts when it is held for *agency* (mall-wide, or granted for *agency*);
    with ``None``, only mall-wide roles count.

    Raises:
        InvalidValue: If *actor* is not an `Actor`, or *workflow* not a `Workflow`.
    """
    check_type(workflow, Workflow, field="workflow")
    held = check_type(actor, Actor, field="actor").roles_in(agency)
    for role in workflow.roles:
        if role in held:
            return role
    return APPLICANT_ROLE if APPLICANT_ROLE in held else None


def _person_problems(person: Person, path: str, validators: IdentityValidators) -> list[Problem]:
    try:
        validators.validate_person(person)
    except InvalidIdentityNumber as exc:
        return [Problem(path=f"{path}.identity_number", message=str(exc))]
    except UnknownIdentityScheme as exc:  # the scheme sent is not quoted: it may be a number
        known = ", ".join(exc.known) or "none"
        message = f"no identity validator for this scheme; known: {known}"
        return [Problem(path=f"{path}.identity_scheme", message=message)]
    return []


def _parties(
    command: Submit, validators: IdentityValidators, at: datetime
) -> tuple[Applicant | None, Representative | None, list[Problem]]:
    """Check the applicant and representative; return them normalised, and the problems."""
    problems: list[Problem] = []
    applicant, representative = command.applicant, command.representative
    checked: Applicant | None = None
    if isinstance(applicant, Person | Organisation):
        checked, found = check_party(applicant)
        problems += [Problem(path=f"applicant.{field}", message=m) for field, m in found]
        if isinstance(applicant, Person):
            problems.extend(_person_problems(applicant, "applicant", validators))
        elif applicant.contact_person is not None:
            where = "applicant.contact_person"
            problems.extend(_person_problems(applicant.contact_person, where, validators))
    else:
        problems.append(Problem(path="applicant", message="expected a Person or an Organisation"))
    acting: Representative | None = None
    if isinstance(representative, Representative):
        acting, found = check_party(representative)
        problems += [Problem(path=f"representative.{field}", message=m) for field, m in found]
        problems.extend(
            _person_problems(representative.person, "representative.person", validators)
        )
        if not _valid_on(representative, at):
            problems.append(
                Problem(path="representative.valid_until", message="the authorisation has expired")
            )
    elif representative is not None:
        problems.append(Problem(path="representative", message="expected a Representative"))
    return checked, acting, problems


def _valid_on(representative: Representative, at: datetime) -> bool:
    until: object = representative.valid_until
    return until is None or (isinstance(until, date) and representative.is_valid_on(at.date()))


def _id_problems(command: Submit) -> list[Problem]:
    """The ids a submission is recorded under: a key, digests, a number of one line."""
    checks = [
        ("application_id", KEY.problem(command.application_id)),
        ("number", text_problem(command.number, max_length=_MAX_NUMBER)),
        ("secret_digest", SHA256_HEX.problem(command.secret_digest)),
    ]
    if command.idempotency_digest is not None:
        checks.append(("idempotency_digest", SHA256_HEX.problem(command.idempotency_digest)))
    return [Problem(path=path, message=reason) for path, reason in checks if reason is not None]


def submit(
    command: Submit,
    /,
    *,
    catalogue: Catalogue,
    at: datetime,
    validators: IdentityValidators = DEFAULT_VALIDATORS,
) -> Submitted:
    """Return the `Submitted` event for *command* at *at*.

    Raises:
        ServiceNotFound: If no version of the service is in effect at *at*.
        ChannelNotOffered: If the service is not offered through the channel.
        InvalidApplication: Listing every problem of the applicant, representative,
            answers and documents; values are never quoted.  An actor that is not an
            `Actor` is refused first, alone.
        CommandRefused: If the service has no workflow, or the workflow no start.
        InvalidValue: If *command*, *catalogue* or *validators* is of the wrong type,
            or *at* is not an instant within the years 1 to 9999 in UTC
            (`NaiveDatetime` if it has no time zone).
    """
    check_type(command, Submit, field="command")
    check_type(catalogue, Catalogue, field="catalogue")
    check_type(validators, IdentityValidators, field="validators")
    check_instant(at, field="at")
    given: object = command.actor
    if not isinstance(given, Actor):
        raise InvalidApplication([Problem(path="actor", message="expected an Actor")])
    service = catalogue.service(command.service, at=at)
    channel = _channel(service, command.channel)
    if service.workflow is None:
        raise CommandRefused(
            command="submit", reason=f"service {preview(service.code)} has no workflow"
        )
    workflow = find_workflow(catalogue, service.workflow)
    applicant, representative, problems = _parties(command, validators, at)
    problems = _id_problems(command) + problems
    try:
        submission = check_submission(
            service,
            channel,
            command.answers,
            command.documents,
            languages=catalogue.languages,
        )
    except InvalidApplication as exc:
        raise InvalidApplication([*problems, *exc.problems]) from None
    if problems:
        raise InvalidApplication(problems)
    assert applicant is not None  # noqa: S101 - a problem was raised otherwise
    initial = workflow.initial_state
    if initial is None:
        raise CommandRefused(
            command="submit", reason=f"workflow {preview(workflow.code)} has no start"
        )
    return Submitted(
        application_id=command.application_id,
        number=command.number,
        service=service.code,
        service_version=service.version,
        agency=service.agency,
        channel=channel,
        workflow=workflow.code,
        workflow_version=workflow.version,
        state=initial,
        clock=workflow.state(initial).clock_mode,
        time_limit=service.time_limit_for(channel),
        answers=submission.answers,
        documents=submission.documents,
        required=submission.required,
        applicant=applicant,
        representative=representative,
        secret_digest=command.secret_digest,
        idempotency_digest=command.idempotency_digest,
        actor=command.actor.id,
        role=role_of(command.actor, workflow, agency=service.agency),
        at=at,
    )
