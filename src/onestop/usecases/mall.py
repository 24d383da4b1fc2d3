"""The `Mall` facade: the use cases of a service mall over a catalogue, a store and a clock.

Each use case reads what it needs, asks the pure domain
(`onestop.domain.applications.commands.decide`)
for the events, and writes them with **one** `onestop.ports.events.EventStore.commit`: the
events, hash-chained per application, the application's read-model row, the
idempotency record, the claimed application number and the notifications for
transports are stored together or not at all.  A refused command raises a typed error
and writes nothing.

The mall is wired explicitly; it knows ports, never adapters:

>>> from datetime import UTC, datetime
>>> from onestop.usecases.catalogue.loading import load_catalogue
>>> from onestop.storage import from_url
>>> mall = Mall(catalogue=load_catalogue("examples/tutorial/mall.toml"), store=from_url("memory://"))
>>> mall.numbering
'{agency}/{service}/{year}/{seq:06d}'

The SLA clock of an application runs from receipt on the work calendar of its agency
(`Mall.calendar`: the version of ``calendar_versions`` in force, else ``calendars``), in
the agency's own time zone.  It pauses in states whose clock
is paused (waiting on the applicant) and while the application is suspended; the
due date moves exactly when a pause ends, and `Mall.deadline` explains it line by line.

Nothing here logs.  Personal data (answers, applicants, note texts) stays in the
event bodies; reprs, errors, the read model and notification bodies never carry it.
Given ``keys`` (`onestop.ports.keys.PersonalDataKeys`, such as
``onestop.privacy.Keyring``), the bodies hold it sealed under each data subject's key
(`onestop.usecases.sealing`), and the idempotency records a keyed digest of requests.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

import attrs

from onestop.domain.applications.application import Application, Event, Verdict, Visibility
from onestop.domain.applications.commands import (
    Act,
    AddNote,
    Assign,
    AttachDocument,
    CheckDocument,
    Command,
    RecordPayment,
    Resume,
    Submit,
    Suspend,
    Withdraw,
    decide,
)
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.domain.common.audit import GENESIS
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import IdentityValidators, default_validators
from onestop.domain.common.subjects import ROLES, subject_id
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.versions import CalendarVersion
from onestop.domain.workflow.engine import DEFAULT_GUARDS, Actor
from onestop.domain.workflow.guards import GuardRegistry
from onestop.exceptions import (
    ChannelNotOffered,
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidApplication,
    ServiceNotFound,
)
from onestop.ports.events import (
    Clock,
    EventStore,
    IdempotencyRecord,
    IdGenerator,
    SequenceClaim,
)
from onestop.ports.keys import PersonalDataKeys
from onestop.usecases import _mall_calendars, _mall_queries, _mall_timers
from onestop.usecases.applications.cache import Deadlines, FoldedStreams, PublicStatuses
from onestop.usecases.applications.codec import request_digest, secret_digest
from onestop.usecases.applications.writer import (
    DEFAULT_NUMBERING,
    allocate_number,
    check_numbering,
    idempotency_digest,
    prepare_commit,
)
from onestop.usecases.catalogue.identity import identity_validators
from onestop.usecases.mall_support import (
    RandomIds,
    Receipt,
    SystemClock,
    check_application_id,
    check_expected_version,
    check_new_id,
    check_settings,
    together,
)
from onestop.usecases.sealing import index_people

__all__ = ["DEFAULT_NUMBERING", "Mall", "RandomIds", "Receipt", "SystemClock"]


def _numbering(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_numbering(value)


@attrs.define(kw_only=True)
class Mall:
    """A service mall: submit, act on, track and report on applications.

    Attributes:
        catalogue: The services, agencies and workflows.
        store: Where event streams, the read model and notifications are kept.
        clock: Tells the time of each command.
        calendars: Work calendars by agency code (``"*"`` for the default); an agency
            without one uses its parent's; Monday-Friday 08:00-16:00 without any.
        calendar_versions: Effective-dated calendars, e.g. the catalogue's resolved by
            ``onestop.calendar_versions``; when given, ``calendars`` must be empty.  Over
            a catalogue that declares ``[[calendars]]``, a Mall given neither refuses to
            count (`calendar` raises `ConfigurationError`), never using a default week.
        ids: Makes application ids and lookup secrets.
        numbering: The application number pattern, using ``{agency}``, ``{service}``,
            ``{year}`` and ``{seq}``; the counter runs per agency, service and year.
        guards: Where the workflows' guard names are looked up.
        validators: The identity-number validators applicants are checked with; the
            catalogue's declared ``identity_schemes`` are added where none has the code.
        at_risk_share: The share of the SLA budget under which an application is at risk.
        retries: How many times a submission is retried when another claimed its number.
        courier_facts: Gives the status of the courier jobs linked to an application,
            by job id, for the ``courier_delivered`` guard (``None`` links none), e.g.
            ``onestop.usecases.courier.queries.CourierFacts(store)``; set once, when built.
        cache_size: How many recently used applications the mall keeps folded in memory
            (`onestop.usecases.applications.cache`), each checked against its stored
            stream before every use so other writers are always seen; 0 keeps none.
        keys: Seal personal data in stored events with these keys, per data subject,
            and open it on reading; ``None`` stores it in plain text and reads what
            another mall sealed as withheld (`Personal.withheld`); set once, when built.

    Raises:
        ConfigurationError: If a setting is of the wrong kind or out of range
            (`onestop.usecases.mall_support.check_settings`), or the numbering pattern is
            malformed.

    Every command checks its application id (a `onestop.domain.common.formats.KEY`) and its
    ``expected_version`` (an `int` from 0, never a `bool`) first, and refuses a
    malformed one with `InvalidApplication` naming it.

    The commands are written here; the queries (`application`, `calendar`,
    `deadline`, `track`, `verify`, `worklist`, `overdue`, `changed`, `sla_report`) in
    ``onestop.usecases._mall_queries``, `recount_deadlines` in ``_mall_calendars``,
    `notify_event` and `fire_timers` in ``_mall_timers``.
    """

    catalogue: Catalogue
    store: EventStore
    clock: Clock = attrs.field(factory=SystemClock)
    calendars: Mapping[str, WorkCalendar] = attrs.field(factory=dict)
    calendar_versions: Sequence[CalendarVersion] = ()
    ids: IdGenerator = attrs.field(factory=RandomIds)
    numbering: str = attrs.field(default=DEFAULT_NUMBERING, validator=_numbering)
    guards: GuardRegistry = DEFAULT_GUARDS
    validators: IdentityValidators = attrs.field(factory=default_validators)
    at_risk_share: float = 0.2
    retries: int = 5
    courier_facts: Callable[[str], Mapping[str, str]] | None = attrs.field(
        default=None, on_setattr=attrs.setters.frozen
    )
    cache_size: int = 1024
    keys: PersonalDataKeys | None = attrs.field(
        default=None, repr=False, on_setattr=attrs.setters.frozen
    )
    _streams: FoldedStreams = attrs.field(init=False, repr=False, eq=False)
    _deadlines: Deadlines = attrs.field(init=False, repr=False, eq=False)
    _statuses: PublicStatuses = attrs.field(init=False, repr=False, eq=False)
    _zoned: dict[tuple[str, str, int], tuple[WorkCalendar | None, WorkCalendar]] = attrs.field(
        init=False, repr=False, eq=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        """Check the settings; set up the caches of folded applications and deadlines."""
        check_settings(
            store=self.store,
            clock=self.clock,
            ids=self.ids,
            calendars=self.calendars,
            calendar_versions=self.calendar_versions,
            at_risk_share=self.at_risk_share,
            retries=self.retries,
            cache_size=self.cache_size,
            courier_facts=self.courier_facts,
            keys=self.keys,
        )
        identity_validators(self.catalogue.identity_schemes, self.validators)  # fail early
        self._streams = FoldedStreams(size=self.cache_size, keys=self.keys)
        self._deadlines = Deadlines(size=4 * self.cache_size)
        self._statuses = PublicStatuses(size=4 * self.cache_size)

    # --- submission ------------------------------------------------------------------

    def submit(
        self,
        service: str,
        /,
        *,
        channel: ChannelKind | str,
        applicant: object,
        answers: Mapping[str, object],
        actor: Actor,
        documents: Iterable[DocumentRef] = (),
        representative: object | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Apply for *service*, in one atomic write.

        With an *idempotency_key* (scoped to the actor), a retry of the same request
        gives the same application and writes nothing; the same key with a different
        request raises `IdempotencyConflict`.  A retry is checked as of the first
        submission (the service version then in effect, a representative's
        authorisation valid then), so what changed since does not refuse it; once the
        application is erased, any request under its key is a conflict, so that a retry
        cannot confirm the erased values.

        Raises:
            ServiceNotFound: If no version of *service* is in effect now.
            ChannelNotOffered: If it is not offered through *channel*.
            InvalidApplication: Listing every problem of the answers, documents,
                applicant and key; values are never quoted.
            IdempotencyConflict: If the key was used with a different request.
            InvalidValue: If *actor* is not an `Actor`.
        """
        key = idempotency_digest(check_type(actor, Actor, field="actor").id, idempotency_key)
        asked = partial(
            Submit,
            service=service,
            channel=channel,
            applicant=applicant,
            representative=representative,
            answers=answers,
            documents=tuple(documents),
            actor=actor,
            idempotency_digest=key,
        )
        conflict: ConcurrencyConflict | None = None
        for _ in range(max(self.retries, 1)):
            # Made already (or since the last try, which then lost the key's race): its
            # receipt, checked as of then, since what changed since is not what was asked.
            if key is not None and (prior := self.store.idempotency(key)) is not None:
                return self._replay(prior, asked)
            now = self.clock.now()
            found = self.catalogue.service(service, at=now)
            year = now.astimezone(self.calendar(found.agency).zone).year
            number, claim = allocate_number(
                self.store, self.numbering, agency=found.agency, service=found.code, year=year
            )
            secret = self.ids.secret()
            command = asked(
                application_id=check_new_id(self.ids.new_id()),
                number=number,
                secret_digest=secret_digest(secret),
            )
            events = self._decide(None, command, now)
            submitted = events[0]
            assert submitted.kind == "submitted"  # noqa: S101 - decide returns one Submitted
            request = request_digest(submitted, keys=self.keys)
            application = Application.from_events(events)
            idempotency = None
            if key is not None:
                idempotency = IdempotencyRecord(
                    key=key, stream_id=application.id, request_digest=request, recorded_at=now
                )
            try:  # one commit if the store can; request_digest made the blind index key
                with together(self.store, undo=partial(self.forget, application.id)):
                    if self.keys is not None:  # its people in the blind index, with it
                        index_people(self.keys, self.store, application)
                    self._write(None, events, now=now, idempotency=idempotency, sequence=claim)
            except ConcurrencyConflict as exc:
                conflict = exc
                continue
            deadline = self._deadlines(application, self._counting(application))
            return Receipt(
                application_id=application.id,
                number=application.number,
                lookup_secret=secret,
                due=deadline.due,
                deadline=deadline.trace,
                required_documents=application.required,
            )
        assert conflict is not None  # noqa: S101 - the loop ran at least once
        raise conflict

    def _replay(self, record: IdempotencyRecord, asked: Callable[..., Submit]) -> Receipt:
        """The receipt of the application *record*'s key made, if *asked* is the request
        that made it: decided as of then (the service version in effect, a representative's
        authorisation valid then), so that what changed since does not refuse a retry."""
        application = self.application(record.stream_id)
        if application.erased is not None:  # no comparison: it would confirm erased data
            raise IdempotencyConflict(application_id=record.stream_id)
        command = asked(
            application_id=application.id,
            number=application.number,
            secret_digest=application.secret_digest,
        )
        try:
            submitted = self._decide(None, command, record.recorded_at)[0]
        except (InvalidApplication, ServiceNotFound, ChannelNotOffered):
            raise IdempotencyConflict(application_id=record.stream_id) from None
        assert submitted.kind == "submitted"  # noqa: S101 - decide returns one Submitted
        request = request_digest(submitted, keys=self.keys)
        if not hmac.compare_digest(record.request_digest, request):
            raise IdempotencyConflict(application_id=record.stream_id)
        first = Application.from_events(application.events[:1])
        deadline = first.deadline(self._configured(first))
        return Receipt(
            application_id=application.id,
            number=application.number,
            lookup_secret=None,
            due=deadline.due,
            deadline=deadline.trace,
            required_documents=application.required,
            replayed=True,
        )

    # --- commands on an application --------------------------------------------------

    def act(
        self,
        application_id: str,
        action: str,
        /,
        *,
        actor: Actor,
        inputs: Mapping[str, object] | None = None,
        expected_version: int | None = None,
    ) -> Application:
        """Take workflow *action* on the application, as *actor*.

        Raises:
            ApplicationNotFound: If there is no such application.
            ConcurrencyConflict: If *expected_version* is given and stale.
            TransitionNotAllowed: Or a subclass (`RoleNotAllowed`,
                `SeparationOfDutiesViolation`, `MissingInput`, `GuardFailed`) when the
                workflow refuses.  A role counts only when *actor* holds it for the
                application's agency (mall-wide, or by a `Grant` for that agency); the
                same holds for every officer's command below.
            CommandRefused: If the application is closed or suspended.
            InvalidApplication: If an input is not declared or not text.
        """
        command = Act(action=action, actor=actor, inputs=dict(inputs or {}))
        return self._run(application_id, command, expected_version)

    def attach_document(
        self,
        application_id: str,
        document: object,
        /,
        *,
        actor: Actor,
        expected_version: int | None = None,
    ) -> Application:
        """Give a document (a correction) for one of the application's requirements."""
        command = AttachDocument(document=document, actor=actor)
        return self._run(application_id, command, expected_version)

    def check_document(
        self,
        application_id: str,
        requirement: str,
        /,
        *,
        verdict: Verdict | str,
        actor: Actor,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Application:
        """Record an officer's *verdict* on *requirement*'s document, with a reason code."""
        command = CheckDocument(
            requirement=requirement, verdict=verdict, actor=actor, reason=reason
        )
        return self._run(application_id, command, expected_version)

    def add_note(
        self,
        application_id: str,
        text: str,
        /,
        *,
        visibility: Visibility | str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> Application:
        """Write a note; its text never reaches the read model or notifications."""
        command = AddNote(text=text, visibility=visibility, actor=actor)
        return self._run(application_id, command, expected_version)

    def assign(
        self,
        application_id: str,
        assignee: str | None,
        /,
        *,
        actor: Actor,
        expected_version: int | None = None,
    ) -> Application:
        """Assign the application to the officer *assignee* (``None`` unassigns)."""
        return self._run(application_id, Assign(assignee=assignee, actor=actor), expected_version)

    def suspend(
        self,
        application_id: str,
        /,
        *,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> Application:
        """Suspend the application for a reason code; its clock stops until `resume`."""
        return self._run(application_id, Suspend(reason=reason, actor=actor), expected_version)

    def resume(
        self, application_id: str, /, *, actor: Actor, expected_version: int | None = None
    ) -> Application:
        """Resume a suspended application; its due date moves by the suspension."""
        return self._run(application_id, Resume(actor=actor), expected_version)

    def withdraw(
        self,
        application_id: str,
        /,
        *,
        actor: Actor,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Application:
        """Withdraw the application (the applicant, or an officer for them)."""
        return self._run(application_id, Withdraw(actor=actor, reason=reason), expected_version)

    def record_payment(
        self,
        application_id: str,
        reference: str,
        /,
        *,
        amount: object,
        currency: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> Application:
        """Record a payment (its reference, amount and currency); ``payment_recorded`` then passes.

        Raises:
            InvalidApplication: If the reference, amount or currency is malformed.
            CommandRefused: If the application is closed, or this reference is recorded.
            RoleNotAllowed: If *actor* is not an officer (a gateway may act as one).
        """
        command = RecordPayment(reference=reference, amount=amount, currency=currency, actor=actor)
        return self._run(application_id, command, expected_version)

    def _run(self, application_id: str, command: Command, expected: int | None) -> Application:
        check_application_id(application_id)
        expected = check_expected_version(expected)
        attempts = 1 if expected is not None else max(self.retries, 1)
        for attempt in range(attempts):
            now = self.clock.now()
            application, last = self._streams.load(self.store, application_id)
            if expected is not None and expected != application.version:
                raise ConcurrencyConflict(
                    stream_id=application_id, expected=expected, actual=application.version
                )
            events = self._decide(application, command, now)
            try:
                return self._write(application, events, now=now, previous_hash=last)
            except ConcurrencyConflict:
                if attempt + 1 == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _decide(
        self, application: Application | None, command: Command, now: datetime
    ) -> tuple[Event, ...]:
        jobs = None
        if self.courier_facts is not None and application is not None and isinstance(command, Act):
            jobs = self.courier_facts(application.id)
        return decide(
            application,
            command,
            catalogue=self.catalogue,
            at=now,
            guards=self.guards,
            validators=identity_validators(self.catalogue.identity_schemes, self.validators),
            courier_jobs=jobs,
        )

    def _write(
        self,
        application: Application | None,
        events: tuple[Event, ...],
        *,
        now: datetime,
        idempotency: IdempotencyRecord | None = None,
        sequence: SequenceClaim | None = None,
        previous_hash: str | None = None,
    ) -> Application:
        if previous_hash is None:
            previous_hash = (
                GENESIS if application is None else self._streams.last_hash(self.store, application)
            )
        commit, state = prepare_commit(
            application,
            events,
            previous_hash=previous_hash,
            calendar=self._configured,
            now=now,
            at_risk_share=self.at_risk_share,
            idempotency=idempotency,
            sequence=sequence,
            deadlines=self._deadlines,
            keys=self.keys,
        )
        try:
            self.store.commit(commit)
        except BaseException:
            self._streams.forget(state.id)
            raise
        self._streams.remember(state, commit.events[-1].hash)
        if application is not None:
            self._carry_statuses(state)
        return state

    def execute(
        self, application_id: str, command: Command, /, *, expected_version: int | None = None
    ) -> Application:
        """Run a domain *command* (`onestop.domain.applications.commands.Command`) on it.

        The commands above are shortcuts for it; the privacy desk runs its legal holds
        and erasure records through it.

        It raises what `onestop.domain.applications.commands.decide` raises for *command*.
        """
        return self._run(application_id, command, expected_version)

    def forget(self, application_id: str, /) -> None:
        """Drop what this mall keeps in memory of the application: on its erasure.

        The folded application (its personal values opened) and the public statuses
        tracking served leave the caches, and the keys drop the cached data keys of its
        applicant and representative subjects; the next read opens the stored events
        again, as erased if they were.

        Raises:
            InvalidApplication: If *application_id* is not an id (a `KEY`).
        """
        check_application_id(application_id)
        self._streams.forget(application_id)
        self._statuses.forget(application_id)
        if self.keys is not None:
            self.keys.forget([subject_id(application_id, role) for role in ROLES])

    # --- automatic transitions (onestop.usecases._mall_timers) --------------------------

    notify_event = _mall_timers.notify_event
    fire_timers = _mall_timers.fire_timers

    recount_deadlines = _mall_calendars.recount_deadlines  # a calendar change, recorded

    # --- reading, worklists and reports (onestop.usecases._mall_queries) ------------------------

    application = _mall_queries.application
    calendar = _mall_queries.calendar
    _configured = _mall_queries.configured
    _counting = _mall_queries._counting
    _carry_statuses = _mall_queries.carry_statuses
    deadline = _mall_queries.deadline
    track = _mall_queries.track
    verify = _mall_queries.verify
    worklist = _mall_queries.worklist
    overdue = _mall_queries.overdue
    changed = _mall_queries.changed
    sla_report = _mall_queries.sla_report
