"""Every exception onestop raises derives from `OnestopError`.

The tree::

    OnestopError
    ├── ConfigurationError              a setting or wiring is wrong (unknown store URL scheme, ...)
    ├── TransientError                  marker: retrying later may succeed (`stamina.retry(on=...)`)
    ├── ApplicationError                an application command was refused; nothing was recorded
    │   ├── InvalidApplication (ValueError) `.problems`: every field problem, values never quoted
    │   ├── ChannelNotOffered (LookupError) `.service`, `.channel`, `.offered`
    │   ├── CommandRefused              `.command`, `.reason`: not possible in its state now
    │   └── IdempotencyConflict         `.application_id`: the key was used with another payload
    ├── ConcurrencyConflict             `.stream_id`, `.expected`, `.actual`: reload and retry
    ├── InvalidStoreInput (ValueError)  `.field`, `.reason`: a store refused a record or argument
    ├── StorageError                    a storage adapter failed; the driver error is in __cause__
    │   └── StorageUnavailable (TransientError) the store cannot be reached now
    ├── CatalogueError                  a catalogue could not be read or is not valid
    │   ├── CatalogueReadError (OSError)    a path is missing or unreadable; `.path`
    │   ├── InvalidCatalogue (ValueError)   `.problems` lists every `Problem` found
    │   ├── RuleSyntaxError (ValueError)    a requirement's condition does not parse
    │   └── InvalidValue (ValueError)       a value object got a bad value; `.field`, `.reason`
    ├── CalendarError                   a work calendar or an SLA clock was given bad input
    │   ├── InvalidCalendar (ValueError)    `.field`, `.reason`: a calendar, closure or pause
    │   │   └── DateOutOfRange              an instant or answer beyond 1..9999, or a count too long
    │   ├── NaiveDatetime (ValueError)      `.argument`: a datetime has no time zone
    │   └── UnsupportedCountry (LookupError) `.country`, `.supported`: no calendar for it
    ├── PartyError                      an applicant's or representative's data is not valid
    │   ├── InvalidIdentityNumber (ValueError) `.scheme`, `.problems`; never quotes the number
    │   └── UnknownIdentityScheme (LookupError) `.scheme`, `.known`: no validator for it
    ├── AuditError                      the audit hash chain got bad input, or is broken
    │   ├── NotCanonical (ValueError)       `.path`, `.reason`: no canonical encoding (a float...)
    │   └── ChainError (ValueError)         `.problem`: a hash, version or checkpoint is malformed
    │       └── ChainBroken                 `.index`, `.version`: entries do not link up
    ├── TransportError                  a message could not be signed, delivered or accepted
    │   ├── InvalidWebhookInput (ValueError) `.argument`, `.reason`: unusable secret, id or setting
    │   ├── WebhookVerificationError (ValueError) `.reason`, `.header`: an inbound webhook refused
    │   ├── DeliveryFailed (TransientError) `.message_id`, `.status`, `.retry_after`: retry later
    │   │   ├── DeliveryTimeout (TimeoutError)  the receiver did not answer in time
    │   │   └── CircuitOpen                 `.upstream`, `.retry_after`: an upstream left alone
    │   ├── DeliveryRejected                `.message_id`, `.status`: refused for good (4xx)
    │   ├── EndpointDisabled                `.destination`, `.reason`: gone (410) or failing
    │   ├── EndpointNotAllowed              `.destination`, `.address`: not public (SSRF)
    │   ├── HostNotResolved (OSError)       `.host`, `.reason`: a name resolved to no address
    │   └── CallbackRefused (ValueError)    `.reason`: a signed agency callback makes no sense
    ├── CourierError                    a courier job or custody command was refused
    │   ├── InvalidPacket (ValueError)      `.seal_id`, `.problems`: a packet does not add up
    │   ├── JobRefused                      `.job_id`, `.command`, `.status`, `.reason`
    │   │   └── AlreadyClaimed              another claim on the job was accepted first
    │   ├── TimeWentBackwards               `.at`, `.latest`: not after the latest recorded instant
    │   └── CustodyError                    a handoff was refused; custody and ledger unchanged
    │       ├── NotCustodian                `.seal_id`, `.party`: the giver does not hold the packet
    │       ├── CourierNotAssigned          `.courier_id`, `.job_id`: not the job's courier
    │       ├── AlreadyDelivered            `.seal_id`: nothing may follow a delivery
    │       ├── HandoffRefused              `.reason`: a confirmation missing, an id repeated, ...
    │       └── CodeRejected                `.handoff_id`: a citizen's one-time code does not fit
    │           ├── WrongCode · CodeAlreadyUsed (a replay) · CodeExpired (`.expired_at`)
    │           ├── CodeForAnotherHandoff · CodeForAnotherApplication
    │           └── CodeNotIssued · TooManyWrongCodes (none on record; locked after wrong tries)
    ├── NotFound (LookupError)
    │   ├── AgencyNotFound                  `.code`
    │   ├── ApplicationNotFound             `.reference`: no such id (or number and secret)
    │   ├── JobNotFound                     `.job_id`: no such courier job
    │   ├── PacketNotFound                  `.seal_id`: no packet sealed with this id
    │   ├── ServiceNotFound                 `.code`, `.at`
    │   ├── StateNotFound                   `.workflow`, `.state`: the workflow has no such state
    │   └── WorkflowNotFound                `.code`
    │       └── WorkflowVersionNotFound     `.version`, `.known`: no such version of it
    └── WorkflowError
        ├── InvalidWorkflow (ValueError)    `.workflow`, `.problems`
        ├── TransitionNotAllowed            `.workflow`, `.state`, `.action`, `.reason`, `.allowed`
        │   ├── RoleNotAllowed              `.agency`: no role of the action in the agency
        │   ├── GuardFailed                 `.guard`; a guard refused, with its explanation
        │   ├── SeparationOfDutiesViolation `.actor`, `.earlier_action`
        │   └── MissingInput                `.missing`: required inputs not given
        ├── UnknownGuard                    `.guard`: no guard of that name is registered
        ├── MigrationError                  `.problems`: a migration plan does not fit
        └── WorkflowVersionConflict         `.code`, `.version`: a published version differs

Every error carries typed attributes; its message is built from them and never contains
personal data.  Catch `OnestopError` to catch everything onestop raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

import attrs

__all__ = [
    "AgencyNotFound",
    "AlreadyClaimed",
    "AlreadyDelivered",
    "ApplicationError",
    "ApplicationNotFound",
    "AuditError",
    "CallbackRefused",
    "CalendarError",
    "CatalogueError",
    "CatalogueReadError",
    "CatalogueVersionNotFound",
    "ChainBroken",
    "ChainError",
    "CircuitOpen",
    "ChannelNotOffered",
    "CodeAlreadyUsed",
    "CodeExpired",
    "CodeForAnotherApplication",
    "CodeForAnotherHandoff",
    "CodeNotIssued",
    "CodeRejected",
    "CommandRefused",
    "ConcurrencyConflict",
    "ConfigurationError",
    "CourierError",
    "CourierNotAssigned",
    "CustodyError",
    "DateOutOfRange",
    "DeliveryFailed",
    "DeliveryRejected",
    "DeliveryTimeout",
    "EndpointDisabled",
    "EndpointNotAllowed",
    "GuardFailed",
    "HandoffRefused",
    "HostNotResolved",
    "IdempotencyConflict",
    "InvalidApplication",
    "InvalidCalendar",
    "InvalidCatalogue",
    "InvalidIdentityNumber",
    "InvalidPacket",
    "InvalidStoreInput",
    "InvalidValue",
    "InvalidWebhookInput",
    "InvalidWorkflow",
    "JobNotFound",
    "JobRefused",
    "MigrationError",
    "MissingInput",
    "NaiveDatetime",
    "NotCanonical",
    "NotCustodian",
    "NotFound",
    "OnestopError",
    "PacketNotFound",
    "PartyError",
    "Problem",
    "RoleNotAllowed",
    "RuleSyntaxError",
    "SeparationOfDutiesViolation",
    "ServiceNotFound",
    "StateNotFound",
    "StorageError",
    "StorageUnavailable",
    "TimeWentBackwards",
    "TooManyWrongCodes",
    "TransientError",
    "TransitionNotAllowed",
    "TransportError",
    "UnknownGuard",
    "UnknownIdentityScheme",
    "UnsupportedCountry",
    "WebhookRefusal",
    "WebhookVerificationError",
    "WorkflowError",
    "WorkflowNotFound",
    "WorkflowVersionConflict",
    "WorkflowVersionNotFound",
    "WrongCode",
]


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with a catalogue or workflow, and where it is.

    Attributes:
        path: Where in the document, e.g. ``services[3].fees[0].amount``;
            empty for the whole document.
        message: What is wrong, in one sentence.
        file: The file it was read from, or ``None`` when it was built in Python.
    """

    path: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        """Render as ``file: path: message``, leaving out the parts that are empty."""
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])

    def located(self, file: str | None, prefix: str = "") -> Problem:
        """Return this problem re-anchored in *file*, with *prefix* joined before its path."""
        path = _join_path(prefix, self.path)
        return Problem(path=path, message=self.message, file=file)


def _join_path(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _shown(value: object) -> str:
    """A name or code for a message: its repr, cut short if long (never echo a huge value)."""
    if isinstance(value, int) and value.bit_length() > 128:  # repr() refuses 4,300 digits
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    size = len(value) if isinstance(value, str | bytes) else len(text)
    return text if len(text) <= 66 else f"{text[:64]}... ({size} characters)"


def _named(name: object, limit: int = 64) -> str:
    """A field, argument or path as a message names it: as given if short, else cut.

    A caller may pass anything as a name; a huge one must not make a huge message.
    """
    text = name if isinstance(name, str) else _shown(name)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class OnestopError(Exception):
    """The root of every exception onestop raises."""


class ConfigurationError(OnestopError):
    """A setting or the wiring of components is wrong."""


class CatalogueError(OnestopError):
    """A catalogue could not be read or is not valid."""


class CatalogueReadError(CatalogueError, OSError):
    """A catalogue path is missing or cannot be read.

    Attributes:
        path: The path as given.
        reason: Why it could not be read.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{_named(path)}: {reason}")


class InvalidCatalogue(CatalogueError, ValueError):
    """A catalogue has problems; `problems` lists every one found, not just the first.

    Attributes:
        problems: Each problem with its file and path.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"catalogue has {count} problem(s): {head}{more}")


class RuleSyntaxError(CatalogueError, ValueError):
    """A rule expression does not parse, or passes a safety limit.

    Attributes:
        expression: The rule as written.
        position: The character offset where the problem was found.
        reason: What is wrong there.
    """

    def __init__(self, *, expression: str, position: int, reason: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"{reason} at position {position} in rule {shown!r}")


class InvalidValue(CatalogueError, ValueError):
    """A value object was given a value it cannot hold.

    The message shows *field* as given when it is a name of at most 80 characters,
    and shortened otherwise (a caller may pass any field name).

    Attributes:
        field: The name of the offending attribute.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{_named(field)}: {reason}")


class CalendarError(OnestopError):
    """A work calendar, or a deadline computed on one, was given bad input."""


class InvalidCalendar(CalendarError, ValueError):
    """A work calendar, a closure or a pause cannot hold the value it was given.

    Attributes:
        field: The name of the offending attribute or argument.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class DateOutOfRange(InvalidCalendar):
    """An instant, or the answer of a calendar computation, lies beyond what can be counted.

    Python's dates end at the years 1 and 9999: an instant too near either end to be
    read in every time zone, or a deadline that would fall past the end, is refused
    with this error instead of an `OverflowError`.  So is a count that would walk more
    than `onestop.domain.time.worktime.MAX_WALK` days (about a hundred years) at once.

    Attributes:
        field: The argument whose value, or whose working time, is out of range.
        reason: What is out of range; instants are shown in ISO 8601.
    """


class NaiveDatetime(CalendarError, ValueError):
    """A datetime without a time zone was given where an instant is needed.

    Attributes:
        argument: The name of the argument or attribute that held it.
    """

    def __init__(self, argument: str) -> None:
        self.argument = argument
        super().__init__(
            f"{_named(argument)} must be a timezone-aware datetime (give tzinfo, e.g. "
            "ZoneInfo('Asia/Jakarta'))"
        )


class UnsupportedCountry(CalendarError, LookupError):
    """No ready-made work calendar exists for this country.

    Attributes:
        country: The country code asked for.
        supported: The ISO 3166-1 alpha-2 codes that are supported.
    """

    def __init__(self, country: str, *, supported: Sequence[str]) -> None:
        self.country = country
        self.supported = tuple(supported)
        super().__init__(
            f"no work calendar for country {country!r}; supported: {', '.join(self.supported)}"
        )


class NotFound(OnestopError, LookupError):
    """Something asked for by its code or id does not exist."""


class AgencyNotFound(NotFound):
    """No agency has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no agency with code {_shown(code)}")


class CatalogueVersionNotFound(NotFound):
    """The store has no such published catalogue version (or, for the latest, none at all).

    Attributes:
        version: The version asked for; ``None`` when the latest was asked for.
    """

    def __init__(self, version: int | None) -> None:
        self.version = version
        what = (
            "no catalogue has been published"
            if version is None
            else f"no catalogue version {version}"
        )
        super().__init__(what)


class ServiceNotFound(NotFound):
    """No service has this code, or none of its versions applies at the time asked.

    Attributes:
        code: The code asked for.
        at: The time asked for, if any.
        known: Some known codes, to help the caller.
    """

    def __init__(self, code: str, *, at: datetime | None = None, known: Sequence[str] = ()) -> None:
        self.code = code
        self.at = at
        self.known = tuple(known)
        when = f" in effect at {at.isoformat()}" if at is not None else ""
        hint = f"; known: {', '.join(self.known[:10])}" if self.known else ""
        super().__init__(f"no published service {_shown(code)}{when}{hint}")


class StateNotFound(NotFound):
    """A workflow has no state of this name.

    Attributes:
        workflow: The workflow's code.
        state: The name asked for (shortened in the message if long).
    """

    def __init__(self, *, workflow: str, state: str) -> None:
        self.workflow = workflow
        self.state = state
        super().__init__(f"workflow {workflow!r} has no state {_shown(state)}")


class WorkflowNotFound(NotFound):
    """No workflow has this code.

    Attributes:
        code: The code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no workflow with code {_shown(code)}")


class WorkflowError(OnestopError):
    """A workflow definition or a transition is wrong."""


class InvalidWorkflow(WorkflowError, ValueError):
    """A workflow definition failed validation.

    Attributes:
        workflow: The workflow's code.
        problems: Every problem found; each path names the state or action.
    """

    def __init__(self, workflow: str, problems: Iterable[Problem]) -> None:
        self.workflow = workflow
        self.problems: tuple[Problem, ...] = tuple(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"workflow {workflow!r} is invalid: {head}{more}")


class TransitionNotAllowed(WorkflowError):
    """An action cannot be taken now; `allowed` names what this actor may do instead.

    Attributes:
        workflow: The workflow's code.
        state: The current state.
        action: The action tried.
        reason: Why it was refused.
        allowed: The actions this actor may take in this state.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        reason: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.workflow = workflow
        self.state = state
        self.action = action
        self.reason = reason
        self.allowed = tuple(allowed)
        options = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(
            f"{_shown(action)} is not allowed in state {_shown(state)} of workflow {workflow!r}: "
            f"{reason} (allowed now: {options})"
        )


class RoleNotAllowed(TransitionNotAllowed):
    """The actor holds none of the roles the action needs, in the application's agency.

    Attributes:
        agency: The code of the agency the roles were needed in (the application's);
            ``None`` when none was given, so that only mall-wide roles counted.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        reason: str,
        allowed: Sequence[str] = (),
        agency: str | None = None,
    ) -> None:
        self.agency = agency
        super().__init__(
            workflow=workflow, state=state, action=action, reason=reason, allowed=allowed
        )


class GuardFailed(TransitionNotAllowed):
    """A guard refused the transition.

    Attributes:
        guard: The guard's name; `reason` holds its explanation.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        guard: str,
        reason: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.guard = guard
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=f"guard {guard!r} refused: {reason}",
            allowed=allowed,
        )


class SeparationOfDutiesViolation(TransitionNotAllowed):
    """One person may not take both actions of a separation-of-duties pair.

    Attributes:
        actor: The actor's id (an officer id, never personal data).
        earlier_action: The action this actor already took on the application.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        actor: str,
        earlier_action: str,
        allowed: Sequence[str] = (),
    ) -> None:
        self.actor = actor
        self.earlier_action = earlier_action
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=f"actor {actor!r} already took {earlier_action!r} on this application",
            allowed=allowed,
        )


class MissingInput(TransitionNotAllowed):
    """The action needs inputs that were not given.

    Attributes:
        missing: The names of the missing inputs.
    """

    def __init__(
        self,
        *,
        workflow: str,
        state: str,
        action: str,
        missing: Sequence[str],
        allowed: Sequence[str] = (),
    ) -> None:
        self.missing = tuple(missing)
        super().__init__(
            workflow=workflow,
            state=state,
            action=action,
            reason=f"missing input(s): {', '.join(self.missing)}",
            allowed=allowed,
        )


class UnknownGuard(WorkflowError, LookupError):
    """No guard of this name is registered.

    Attributes:
        guard: The name asked for.
        known: The registered names.
    """

    def __init__(self, guard: str, *, known: Sequence[str] = ()) -> None:
        self.guard = guard
        self.known = tuple(known)
        super().__init__(
            f"no guard named {_shown(guard)}; known: {', '.join(self.known) or 'none'}"
        )


class MigrationError(WorkflowError, ValueError):
    """A migration plan between workflow versions does not fit.

    Attributes:
        problems: Every problem with the plan.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("migration plan is invalid: " + "; ".join(str(p) for p in self.problems))


class WorkflowVersionNotFound(WorkflowNotFound):
    """The workflow exists, but not in the version asked for.

    Attributes:
        version: The version asked for.
        known: The versions that exist, ascending.
    """

    def __init__(self, code: str, version: int, *, known: Sequence[int] = ()) -> None:
        super().__init__(code)
        self.version = version
        self.known = tuple(known)
        shown = ", ".join(str(v) for v in self.known) or "none"
        self.args = (
            f"no version {_shown(version)} of workflow {_shown(code)}; known versions: {shown}",
        )


class WorkflowVersionConflict(WorkflowError, ValueError):
    """A published workflow version cannot be replaced by a different definition.

    Publish the change as a new version instead; applications stay on the old one.

    Attributes:
        code: The workflow's code.
        version: The version already published.
    """

    def __init__(self, code: str, version: int) -> None:
        self.code = code
        self.version = version
        super().__init__(
            f"workflow {code!r} version {version} is already published with a different "
            "definition; publish the change as a new version"
        )


class TransientError(OnestopError):
    """A marker base: the operation may succeed if retried later.

    Retry on it, e.g. ``stamina.retry(on=onestop.exceptions.TransientError)``.
    """


class ApplicationError(OnestopError):
    """An application command was refused; nothing was recorded."""


class InvalidApplication(ApplicationError, ValueError):
    """A submission or command failed validation; `problems` lists every problem found.

    Each problem's path names the field (``answers.floor_area``, ``documents[0].sha256``);
    messages say what rule was broken and never quote the value given, which may be
    personal data.

    Attributes:
        problems: Each problem with its path.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {count - 5} more)" if count > 5 else ""
        super().__init__(f"application has {count} problem(s): {head}{more}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The paths of the fields with problems, in the order found."""
        return tuple(dict.fromkeys(p.path for p in self.problems))


class ChannelNotOffered(ApplicationError, LookupError):
    """The service is not offered through the channel asked for.

    Attributes:
        service: The service's code.
        channel: The channel asked for, or ``None`` when what was given is not a
            channel at all (it is not repeated: it could be anything).
        offered: The channels it is offered through.
    """

    def __init__(self, *, service: str, channel: str | None, offered: Sequence[str]) -> None:
        self.service = service
        self.channel = channel
        self.offered = tuple(offered)
        what = f"through channel {channel!r}" if channel is not None else "through that channel"
        super().__init__(
            f"service {service!r} is not offered {what}; "
            f"offered: {', '.join(self.offered) or 'none'}"
        )


class CommandRefused(ApplicationError):
    """A command cannot be carried out in the application's current situation.

    Attributes:
        command: The command's name (``resume``, ``check_document``).
        reason: Why, in words without personal data.
    """

    def __init__(self, *, command: str, reason: str) -> None:
        self.command = command
        self.reason = reason
        super().__init__(f"{command!r} refused: {reason}")


class IdempotencyConflict(ApplicationError):
    """An idempotency key was used again with a different request.

    Attributes:
        application_id: The application the key first created.
    """

    def __init__(self, *, application_id: str) -> None:
        self.application_id = application_id
        super().__init__(
            "this idempotency key was already used with a different request "
            f"(it created application {application_id!r}); use a new key for a new request"
        )


class ApplicationNotFound(NotFound):
    """No application has this id, or no application matches a number and secret.

    A failed lookup by number and secret gives ``reference=None`` and the same message
    whether the number is unknown or the secret wrong, so it reveals nothing about
    which applications exist, and never repeats what was typed (it may be personal
    data, such as an identity number typed into the wrong box).

    Attributes:
        reference: The application id asked for, or ``None`` for a lookup by number.
    """

    def __init__(self, reference: str | None) -> None:
        self.reference = reference
        if reference is None:
            super().__init__("no application matches this number and secret")
        else:
            super().__init__(f"no application with id {_shown(reference)}")


def _asked(value: object, limit: int = 40) -> str:
    """Quote an id that was asked for, shortened: a lookup may be given anything."""
    if not isinstance(value, str):
        return f"of type {type(value).__name__}"
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


class JobNotFound(NotFound):
    """No courier job has this id.

    Attributes:
        job_id: The job id asked for (the message shows at most its first 40 characters).
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no courier job with id {_asked(job_id)}")


class PacketNotFound(NotFound):
    """No packet was sealed with this seal id.

    Attributes:
        seal_id: The seal id asked for (the message shows at most its first 40 characters).
    """

    def __init__(self, seal_id: str) -> None:
        self.seal_id = seal_id
        super().__init__(f"no packet sealed with id {_asked(seal_id)}")


class ConcurrencyConflict(OnestopError):
    """A stream moved on since it was read: another command was recorded first.

    Reload and retry; nothing of this command was recorded.

    Attributes:
        stream_id: The stream (application, counter or key) written to.
        expected: The version the writer expected.
        actual: The version found.
    """

    def __init__(self, *, stream_id: str, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {_shown(stream_id)} is at version {actual}, not {expected}; reload and retry"
        )


class InvalidStoreInput(OnestopError, ValueError):
    """A store was given a record or an argument it cannot accept; nothing was written.

    Every adapter refuses the same input with the same error, before any I/O (see
    `onestop.ports.events.check_commit`): a `bool` or an integer beyond 64 bits where a number
    is stored, a naive or out-of-range instant, text no database holds (a NUL, a lone
    surrogate, a control character, more than the longest text a store keeps), a page
    size out of range, a cursor the store did not return.  It is not a failure of the
    store: retrying the same call fails the same way.  The message names the field
    and never quotes a huge value or text that may be personal data.

    Attributes:
        field: The record's field or the argument at fault, e.g. ``expected_version``,
            ``summary.assignee``, ``appends[1].stream_id``, ``limit``.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class StorageError(OnestopError):
    """A storage adapter failed; the driver's error is in ``__cause__``."""


class StorageUnavailable(StorageError, TransientError):
    """The store cannot be reached now; retrying later may succeed."""


class PartyError(OnestopError):
    """An applicant's, representative's or contact person's data is not valid."""


class InvalidIdentityNumber(PartyError, ValueError):
    """An identity number breaks its scheme's format rules.

    The message names the rules broken and never quotes the number or any part of it.

    Attributes:
        scheme: The numbering scheme, e.g. ``id-nik``.
        problems: Every rule broken, one sentence each.
        reason: The problems joined into one sentence.
    """

    def __init__(self, *, scheme: str, problems: Sequence[str]) -> None:
        self.scheme = scheme
        self.problems = tuple(problems)
        self.reason = "; ".join(self.problems)
        super().__init__(f"not a valid {scheme} number: {self.reason}")


class UnknownIdentityScheme(PartyError, LookupError):
    """No identity validator is registered for this scheme.

    Attributes:
        scheme: The scheme asked for.
        known: The schemes that have a validator.
    """

    def __init__(self, scheme: str, *, known: Sequence[str] = ()) -> None:
        self.scheme = scheme
        self.known = tuple(known)
        super().__init__(
            f"no identity validator for scheme {scheme!r}; known: {', '.join(self.known) or 'none'}"
        )


class AuditError(OnestopError):
    """The audit hash chain was given bad input, or does not verify."""


class NotCanonical(AuditError, ValueError):
    """A value has no canonical encoding (a float, a naive datetime, an unknown type, ...).

    Attributes:
        path: Where in the value, e.g. ``$.fee.amount``; parts inside personal data
            are not spelled out.
        reason: What is wrong there; never the value itself.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ChainError(AuditError, ValueError):
    """A hash, version or checkpoint given to the hash chain is malformed.

    Attributes:
        problem: What is wrong, in one sentence.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class ChainBroken(ChainError):
    """Entries do not form one unbroken hash chain.

    Attributes:
        index: The position of the first bad entry in the sequence given.
        version: That entry's version (for entries missing at the end, the first missing).
        problem: What is wrong with it.
    """

    def __init__(self, *, index: int, version: int | None, problem: str) -> None:
        self.index = index
        self.version = version
        super().__init__(problem)
        self.args = (f"entry {index} (version {version}): {problem}",)


class TransportError(OnestopError):
    """A message could not be signed, delivered or accepted by a transport."""


class InvalidWebhookInput(TransportError, ValueError):
    """A webhook signer, verifier or replay cache was given something it cannot use.

    The message never quotes a secret.

    Attributes:
        argument: The argument at fault, e.g. ``secrets[1]``, ``message_id``.
        reason: What is wrong with it.
    """

    def __init__(self, *, argument: str, reason: str) -> None:
        self.argument = argument
        self.reason = reason
        super().__init__(f"{argument}: {reason}")


#: Why `WebhookVerificationError` refused a webhook.
WebhookRefusal = Literal[
    "missing_header",
    "malformed_header",
    "expired",
    "future",
    "replayed",
    "bad_signature",
    "unknown_version",
]

_WEBHOOK_REFUSALS: dict[str, str] = {
    "missing_header": "the {header} header is missing or empty",
    "malformed_header": "the {header} header is malformed or given twice",
    "expired": "the {header} is older than the tolerance allows",
    "future": "the {header} lies further ahead than the tolerance allows",
    "replayed": "this {header} was already accepted",
    "bad_signature": "no v1 signature in {header} matches any secret",
    "unknown_version": "the {header} header holds no v1 signature",
}


class WebhookVerificationError(TransportError, ValueError):
    """An incoming webhook was refused; answer it with a 4xx status.

    The message names the reason and the header concerned, and never quotes a
    header's value, the body or a secret.

    Attributes:
        reason: Why: ``missing_header``, ``malformed_header``, ``expired``,
            ``future``, ``replayed``, ``bad_signature`` or ``unknown_version``.
        header: The header concerned: ``webhook-id``, ``webhook-timestamp`` or
            ``webhook-signature``.
    """

    def __init__(self, reason: WebhookRefusal, *, header: str) -> None:
        self.reason: WebhookRefusal = reason
        self.header = header
        template = _WEBHOOK_REFUSALS.get(reason, "{header}")
        super().__init__(f"webhook refused ({reason}): {template.format(header=header)}")


def _toward(destination: str | None) -> str:
    return f" to {destination}" if destination else ""


class DeliveryFailed(TransportError, TransientError):
    """A message was not delivered this time; delivering it again later may succeed.

    Retrying is safe: a message keeps its id on every attempt (the ``webhook-id``),
    so a receiver drops a copy it has processed already.

    Attributes:
        message_id: The message's stable id.
        destination: Where it was going: a host name or a transport's name, never a
            full URL (which may carry a token).
        reason: What went wrong, e.g. ``HTTP 503`` or ``connection failed``.
        status: The HTTP status received, or ``None`` when there was no response.
        retry_after: How many seconds the receiver asked to wait (``Retry-After``),
            or ``None``.
    """

    def __init__(
        self,
        *,
        message_id: str,
        destination: str | None,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message_id = message_id
        self.destination = destination
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"delivery of {message_id!r}{_toward(destination)} failed: {reason}")


class DeliveryTimeout(DeliveryFailed, TimeoutError):
    """The receiver did not answer in time; the message may or may not have arrived."""


class DeliveryRejected(TransportError):
    """The receiver refused a message for good (a 4xx answer); do not send it again.

    Attributes:
        message_id: The message's stable id.
        destination: Where it was going: a host name or a transport's name.
        reason: Why, e.g. ``HTTP 422``.
        status: The HTTP status received, or ``None``.
    """

    def __init__(
        self,
        *,
        message_id: str,
        destination: str | None,
        reason: str,
        status: int | None = None,
    ) -> None:
        self.message_id = message_id
        self.destination = destination
        self.reason = reason
        self.status = status
        super().__init__(f"delivery of {message_id!r}{_toward(destination)} rejected: {reason}")


class EndpointDisabled(TransportError):
    """An endpoint takes no more deliveries: it answered 410 Gone, or kept failing.

    Nothing is lost: the relay keeps its position for that endpoint until it is
    enabled again.

    Attributes:
        destination: The endpoint's host name.
        reason: Why it was disabled.
    """

    def __init__(self, *, destination: str, reason: str) -> None:
        self.destination = destination
        self.reason = reason
        super().__init__(f"endpoint {destination} is disabled: {reason}")


class EndpointNotAllowed(TransportError):
    """An endpoint resolves to an address that is not public, and may not be called.

    Loopback, private, link-local (cloud metadata at ``169.254.169.254``), shared,
    reserved, multicast and unspecified addresses are refused, in IPv4 and IPv6 and
    embedded in IPv6 (IPv4-mapped, 6to4, NAT64), unless the endpoint allows private
    addresses.  This guards against server-side request forgery.

    Attributes:
        destination: The endpoint's host name.
        address: The refused address.
    """

    def __init__(self, *, destination: str, address: str) -> None:
        self.destination = destination
        self.address = address
        super().__init__(
            f"endpoint {destination} is not allowed: it resolves to {address}, "
            "which is not a public address"
        )


class CircuitOpen(DeliveryFailed):
    """Calls to an upstream are refused at once: it failed too often, and is left alone.

    No network call was made.  After `retry_after` seconds one probe call goes through;
    its success closes the circuit (`onestop.transport.breaker.CircuitBreaker`).

    Attributes:
        upstream: What the circuit guards (an agency's code).
        retry_after: How many seconds until a probe is let through.
        message_id: The message that was not sent, or ``""`` when raised outside a
            delivery.
    """

    def __init__(self, *, upstream: str, retry_after: float, message_id: str = "") -> None:
        super().__init__(
            message_id=message_id,
            destination=upstream,
            reason=f"the circuit is open; next probe in {retry_after} s",
            retry_after=retry_after,
        )
        self.upstream = upstream
        if not message_id:
            self.args = (f"the circuit to {upstream!r} is open; next probe in {retry_after} s",)


class HostNotResolved(TransportError, OSError):
    """A host name did not resolve to any address (`onestop.transport.addresses.resolve_host`).

    The name may not exist, or the resolver may be unreachable now; a webhook
    delivery that meets it fails with `DeliveryFailed` and is tried again later.

    Attributes:
        host: The host name asked for (shortened in the message if long).
        reason: Why: the resolver's answer, or what makes the text no host name.
    """

    def __init__(self, *, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"the host {_shown(host)} did not resolve: {reason}")


class CallbackRefused(TransportError, ValueError):
    """A verified callback from an agency cannot be applied; nothing was changed.

    Answer it with a 4xx status.  The message never quotes the callback's body.

    Attributes:
        reason: What is wrong, e.g. ``status 'approvedd' is not mapped for agency 'bpn'``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"callback refused: {reason}")


class CourierError(OnestopError):
    """A courier job or custody command was refused; nothing was recorded."""


class InvalidPacket(CourierError, ValueError):
    """A sealed packet's description does not hold together.

    Attributes:
        seal_id: The seal's id as given (``?`` when it is not a usable id).
        problems: Every problem found, one sentence each.
    """

    def __init__(self, *, seal_id: str, problems: Sequence[str]) -> None:
        self.seal_id = seal_id
        self.problems = tuple(problems)
        super().__init__(f"packet {seal_id!r} is invalid: {'; '.join(self.problems)}")


class JobRefused(CourierError):
    """A courier job command is not possible in the job's current status.

    Attributes:
        job_id: The job's id.
        command: The command refused (``claim``, ``record_attempt``, ...).
        status: The job's status.
        reason: Why, in words without personal data.
    """

    def __init__(self, *, job_id: str, command: str, status: str, reason: str) -> None:
        self.job_id = job_id
        self.command = command
        self.status = status
        self.reason = reason
        super().__init__(
            f"{command!r} refused on courier job {_shown(job_id)} ({status}): {reason}"
        )


class AlreadyClaimed(JobRefused):
    """The job was claimed by a courier first; one claim wins.

    Attributes:
        job_id: The job's id.
    """

    def __init__(self, *, job_id: str, status: str) -> None:
        super().__init__(
            job_id=job_id,
            command="claim",
            status=status,
            reason="another claim was accepted first",
        )


class TimeWentBackwards(CourierError):
    """An instant given is not after the latest one recorded: time never runs backwards.

    Attributes:
        at: The instant given.
        latest: The latest instant recorded.
    """

    def __init__(self, *, at: datetime, latest: datetime) -> None:
        self.at = at
        self.latest = latest
        super().__init__(
            f"{at.isoformat()} is not after the latest recorded instant {latest.isoformat()}"
        )


class CustodyError(CourierError):
    """A handoff of a packet was refused: custody and the ledger are unchanged."""


class NotCustodian(CustodyError):
    """The giver does not hold the packet.

    Attributes:
        seal_id: The packet's seal id.
        party: The giver, as ``kind:id`` (a citizen is shown as ``citizen``).
    """

    def __init__(self, *, seal_id: str, party: str) -> None:
        self.seal_id = seal_id
        self.party = party
        super().__init__(f"{party} does not hold packet {_shown(seal_id)}")


class CourierNotAssigned(CustodyError):
    """A courier took part in a handoff without being assigned to the job.

    Attributes:
        courier_id: The courier's id.
        job_id: The job's id, when one was given.
    """

    def __init__(self, *, courier_id: str, job_id: str | None = None) -> None:
        self.courier_id = courier_id
        self.job_id = job_id
        job = f"courier job {_shown(job_id)}" if job_id is not None else "this courier job"
        super().__init__(f"courier {_shown(courier_id)} is not assigned to {job}")


class AlreadyDelivered(CustodyError):
    """The packet reached the citizen; no handoff may follow.

    Attributes:
        seal_id: The packet's seal id.
    """

    def __init__(self, *, seal_id: str) -> None:
        self.seal_id = seal_id
        super().__init__(f"packet {_shown(seal_id)} was delivered; no handoff may follow")


class HandoffRefused(CustodyError):
    """A handoff breaks a custody rule (a missing confirmation, a repeated handoff id, ...).

    Attributes:
        reason: Which rule, in words without personal data.
    """

    def __init__(self, *, reason: str) -> None:
        self.reason = reason
        super().__init__(f"handoff refused: {reason}")


class CodeRejected(CustodyError):
    """A citizen's one-time code does not confirm this handoff; the code is never quoted.

    Attributes:
        handoff_id: The handoff being confirmed.
        reason: Why the code was rejected.
    """

    reason = "the one-time code was rejected"

    def __init__(self, *, handoff_id: str) -> None:
        self.handoff_id = handoff_id
        super().__init__(f"{self.reason} (handoff {_shown(handoff_id)})")


class WrongCode(CodeRejected):
    """The code does not match the one issued."""

    reason = "the one-time code does not match"


class CodeExpired(CodeRejected):
    """The code's lifetime is over.

    Attributes:
        expired_at: When it expired.
    """

    reason = "the one-time code has expired"

    def __init__(self, *, handoff_id: str, expired_at: datetime) -> None:
        self.expired_at = expired_at
        super().__init__(handoff_id=handoff_id)


class CodeForAnotherHandoff(CodeRejected):
    """The code was issued for another handoff."""

    reason = "the one-time code was issued for another handoff"


class CodeForAnotherApplication(CodeRejected):
    """The code was issued for another application."""

    reason = "the one-time code was issued for another application"


class CodeAlreadyUsed(CodeRejected):
    """The code was used already: a replay."""

    reason = "the one-time code was already used"


class CodeNotIssued(CodeRejected):
    """No one-time code is on record for this handoff: issue one before the visit."""

    reason = "no one-time code was issued for this handoff"


class TooManyWrongCodes(CodeRejected):
    """Too many wrong codes were typed for this handoff; issue a new code to go on."""

    reason = "too many wrong one-time codes; issue a new code"
