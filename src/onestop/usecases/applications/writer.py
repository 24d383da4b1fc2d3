"""Applications on an event store: what one command writes, and reading a stream back.

`prepare_commit` turns the events a command produced into the store's unit of work: each
event encoded (`onestop.usecases.applications.codec.encode_event`) and hash-chained by
the stream core (`onestop.usecases.streams.chain`), with its thin notification body,
and the application's read-model `Summary` after them.  `load_application` folds a
stored stream back into an `Application` and `verify_stream` checks its chain, both
through the stream core, as every other aggregate is.

`summarize` fills the read model from the application and its deadline.  The row holds
the instants from which the application is at risk and overdue, so that queries can
judge the SLA status at any later time without replaying the stream.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from onestop.domain.applications.application import Application, Event
from onestop.domain.common.audit import GENESIS, ChainReport
from onestop.domain.common.formats import ACTOR_ID, CATALOGUE_CODE, KEY, check_int, kind_of
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import Deadline, remaining_working_time
from onestop.exceptions import (
    ApplicationNotFound,
    CommandRefused,
    ConfigurationError,
    InvalidApplication,
    InvalidValue,
    Problem,
)
from onestop.ports.events import (
    Commit,
    EventStore,
    IdempotencyRecord,
    SequenceClaim,
    StoredEvent,
    Summary,
)
from onestop.ports.keys import PersonalDataKeys
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS, encode_event, notice

if TYPE_CHECKING:
    from onestop.usecases.applications.cache import Deadlines

__all__ = [
    "DEFAULT_NUMBERING",
    "allocate_number",
    "at_risk_instant",
    "check_at_risk",
    "check_numbering",
    "fold_stream",
    "idempotency_digest",
    "last_hash",
    "load_application",
    "prepare_commit",
    "share_problem",
    "summarize",
    "verify_stream",
]

DEFAULT_NUMBERING = "{agency}/{service}/{year}/{seq:06d}"
"""How application numbers read, from the agency and service codes, the year and a counter."""

_NUMBER_FIELDS = frozenset({"agency", "service", "year", "seq"})


def check_numbering(pattern: str, /) -> None:
    """Check an application number pattern: ``{seq}``, and only the known fields.

    Raises:
        ConfigurationError: If the pattern is not text, is malformed, lacks ``{seq}``,
            or names a field other than ``{agency}``, ``{service}``, ``{year}`` and
            ``{seq}``.
    """
    given: object = pattern
    if not isinstance(given, str):
        raise ConfigurationError(f"numbering pattern must be text, not {kind_of(given)}")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ConfigurationError(f"numbering pattern is malformed: {exc}") from None
    unknown = sorted(fields - _NUMBER_FIELDS)
    if unknown or "seq" not in fields:
        raise ConfigurationError(
            "numbering pattern must use {seq} and only "
            f"{{agency}}, {{service}}, {{year}}, {{seq}}; found {', '.join(unknown) or 'no {seq}'}"
        )
    try:
        pattern.format(agency="a", service="s", year=2025, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise ConfigurationError(f"numbering pattern does not format: {exc}") from None


def idempotency_digest(actor_id: str, key: str | None, /) -> str | None:
    """Return the digest an idempotency *key* is stored under, scoped to *actor_id*.

    The key itself is not kept.  ``None`` gives ``None``.

    Raises:
        InvalidApplication: If the key is not a `onestop.domain.common.formats.KEY` (1 to 128
            visible ASCII characters), or the actor id not an actor id; the message
            does not repeat them.
    """
    if key is None:
        return None
    problems = [
        Problem(path=path, message=reason)
        for path, reason in (
            ("actor.id", ACTOR_ID.problem(actor_id)),
            ("idempotency_key", KEY.problem(key)),
        )
        if reason is not None
    ]
    if problems:
        raise InvalidApplication(problems)
    scoped = f"{len(actor_id)}:{actor_id}:{key}".encode()
    return hashlib.sha256(scoped).hexdigest()


def allocate_number(
    store: EventStore, pattern: str, /, *, agency: str, service: str, year: int
) -> tuple[str, SequenceClaim]:
    """Return the next application number of *agency*'s *service* in *year*, and its claim.

    The counter runs per agency, service and year.  The number is only taken when the
    claim is committed with the application; if another submission took it first the
    commit raises `onestop.exceptions.ConcurrencyConflict`, and a retry gets the next one.

    Raises:
        ConfigurationError: If *pattern* is not a numbering pattern (`check_numbering`).
        InvalidValue: If *agency* or *service* is not a catalogue code
            (`onestop.domain.common.formats.CATALOGUE_CODE`), or *year* not an `int` from 1
            to 9999.
    """
    check_numbering(pattern)
    CATALOGUE_CODE.check(agency, field="agency")
    CATALOGUE_CODE.check(service, field="service")
    check_int(year, field="year", minimum=1, maximum=9999)
    counter = f"number:{agency}:{service}:{year}"
    seq = store.sequence(counter) + 1
    number = pattern.format(agency=agency, service=service, year=year, seq=seq)
    return number, SequenceClaim(name=counter, value=seq)


def share_problem(share: object, /) -> str | None:
    """Say why *share* is not a share of an SLA budget: a number between 0 and 1, exclusive.

    A `bool` is not a number here, nor NaN; the message never quotes a huge value.
    """
    if isinstance(share, bool) or not isinstance(share, int | float):
        return f"must be a number, not {kind_of(share)}"
    if isinstance(share, int) or not 0 < share < 1:  # no int lies strictly between
        return "must lie between 0 and 1, such as 0.2"
    return None


def check_at_risk(
    deadline: object, calendar: object, now: object, share: object
) -> tuple[Deadline, WorkCalendar, datetime, float]:
    """Return the arguments of `at_risk_instant` if each has its type and range.

    Raises:
        InvalidValue: If *deadline* is not a `Deadline` with a due date, *calendar* not a
            `WorkCalendar`, *now* not an instant (`NaiveDatetime` if naive), or *share*
            not a number between 0 and 1 (`share_problem`).
    """
    check_type(deadline, Deadline, field="deadline")
    check_type(calendar, WorkCalendar, field="calendar")
    check_instant(now, field="now")
    problem = share_problem(share)
    if problem is not None:
        raise InvalidValue(field="share", reason=problem)
    return deadline, calendar, now, share  # type: ignore[return-value]  # checked above


def at_risk_instant(
    deadline: Deadline, calendar: WorkCalendar, now: datetime, share: float
) -> datetime:
    """The instant from which *deadline* (with a due date) is at risk, judged at *now*.

    *now* itself when at most *share* of the budget is left, else the instant the
    working time left will fall to that share: from then on (the night after it
    included) `onestop.domain.time.sla.status_at` says at risk too.

    Raises:
        InvalidValue: If an argument is of the wrong type, or out of range
            (`check_at_risk`).
        DateOutOfRange: If that instant lies beyond the year 9999.
    """
    deadline, calendar, now, share = check_at_risk(deadline, calendar, now, share)
    threshold = deadline.budget * share
    left = remaining_working_time(deadline, calendar, now)
    return now if left <= threshold else calendar.add_working_time(now, left - threshold)


def summarize(
    application: Application,
    /,
    *,
    calendar: WorkCalendar,
    now: datetime,
    at_risk_share: float,
    deadlines: Deadlines | None = None,
) -> Summary:
    """Return the read-model row of *application* at *now*; it holds no personal data.

    Args:
        application: The application after the command's events.
        calendar: Its agency's work calendar, unless the application records the one
            it counts on (`Application.counting_calendar`).
        now: The commit's instant.
        at_risk_share: The share of the SLA budget under which it is at risk.
        deadlines: Memoises the deadline and the at-risk instant; they are computed
            afresh when ``None``.

    Raises:
        InvalidValue: If an argument is of the wrong type, *now* is not an instant
            (`NaiveDatetime` if naive), or *at_risk_share* is not between 0 and 1.
    """
    check_type(application, Application, field="application")
    calendar = application.counting_calendar(check_type(calendar, WorkCalendar, field="calendar"))
    now = check_instant(now, field="now")
    problem = share_problem(at_risk_share)
    if problem is not None:
        raise InvalidValue(field="at_risk_share", reason=problem)
    if deadlines is not None:
        found = deadlines(application, calendar, explain=False)
    else:
        found = application.deadline(calendar)
    due = None if application.is_closed else found.due
    at_risk_from = None
    if due is not None and deadlines is not None:
        at_risk_from = deadlines.at_risk_from(found, calendar, now, at_risk_share)
    elif due is not None:
        at_risk_from = at_risk_instant(found, calendar, now, at_risk_share)
    return Summary(
        stream_id=application.id,
        number=application.number,
        service=application.service,
        service_version=application.service_version,
        agency=application.agency,
        channel=application.channel.value,
        state=application.state,
        assignee=application.assignee,
        received=application.received,
        due=due,
        at_risk_from=at_risk_from,
        suspended=application.is_suspended,
        closed=application.is_closed,
        version=application.version,
        updated_at=application.updated_at,
    )


def prepare_commit(
    application: Application | None,
    events: Sequence[Event],
    /,
    *,
    previous_hash: str,
    calendar: Callable[[Application], WorkCalendar],
    now: datetime,
    at_risk_share: float,
    idempotency: IdempotencyRecord | None = None,
    sequence: SequenceClaim | None = None,
    deadlines: Deadlines | None = None,
    keys: PersonalDataKeys | None = None,
) -> tuple[Commit, Application]:
    """Return the commit that records *events* on *application*, and the state after them.

    Args:
        application: The state the events were decided on, or ``None`` for a new stream.
        events: The command's events, at least one.
        previous_hash: The hash of the stream's last stored event (`GENESIS` if new).
        calendar: The configured work calendar of an application (its agency's, in force
            when it was received), for the read model's deadline.
        now: The commit's instant.
        at_risk_share: The share of the SLA budget under which it is at risk.
        idempotency: The idempotency record to create, if any.
        sequence: The counter value to claim, if any.
        deadlines: Memoises the read model's deadline, as in `summarize`.
        keys: Seal the events' personal values with these keys
            (`onestop.usecases.applications.codec.encode_event`); ``None`` stores
            them in plain text.

    Raises:
        CommandRefused: If *events* is not a sequence of events, or is empty: a commit
            records at least one event.
        InvalidValue: If *application* is not an `Application`, *now* not an instant,
            or another argument is of the wrong type (as `summarize` says).
    """
    check_type(application, (Application, type(None)), field="application")
    given: object = events
    if isinstance(given, str | bytes) or not isinstance(given, Sequence):
        raise CommandRefused(command="commit", reason="expected a sequence of events")
    if not events:
        raise CommandRefused(command="commit", reason="a commit needs at least one event")
    check_instant(now, field="now")
    expected = application.version if application is not None else 0
    state = application
    triples: list[tuple[str, bytes, bytes]] = []
    for event in events:
        state = Application.from_events((event,)) if state is None else state.apply(event)
        body = encode_event(state.id, event, keys=keys)
        triples.append((event.kind, body, notice(state, event, state.version)))
    assert state is not None  # noqa: S101 - there is at least one event
    commit = Commit(
        stream_id=state.id,
        expected_version=expected,
        events=streams.chain(triples, version=expected, head=previous_hash),
        summary=summarize(
            state,
            calendar=calendar(state),
            now=now,
            at_risk_share=at_risk_share,
            deadlines=deadlines,
        ),
        recorded_at=now,
        idempotency=idempotency,
        sequence=sequence,
    )
    return commit, state


def last_hash(store: EventStore, application: Application | None, /) -> str:
    """The hash of *application*'s last stored event; `GENESIS` for a new stream.

    Raises:
        InvalidValue: If *application* is neither an `Application` nor ``None``.
    """
    check_type(application, (Application, type(None)), field="application")
    if application is None:
        return GENESIS
    stored = store.read(application.id, after=application.version - 1)
    return stored[-1].hash if stored else GENESIS


def _records(store: EventStore, application_id: str) -> tuple[StoredEvent, ...]:
    records = store.read(application_id)
    if not records:
        raise ApplicationNotFound(application_id)
    return records


def fold_stream(
    application_id: str,
    records: Sequence[StoredEvent],
    /,
    *,
    keys: PersonalDataKeys | None = None,
) -> Application:
    """Decode the stored events *records* of *application_id* and fold them, oldest first.

    Sealed personal values are opened with *keys* (`onestop.usecases.streams.decode`).

    Raises:
        StorageError: If a stored event does not decode, or belongs to another stream.
        CommandRefused: If the events do not start with ``submitted``.
        InvalidValue: If *records* are not `StoredEvent` values.
    """
    check_type(application_id, str, field="application_id")
    given: object = records
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise InvalidValue(field="records", reason=f"expected stored events, not {kind_of(given)}")
    return APPLICATIONS.fold(
        application_id, streams.events_of(APPLICATIONS, application_id, records, keys=keys)
    )


def load_application(
    store: EventStore, application_id: str, /, *, keys: PersonalDataKeys | None = None
) -> Application:
    """Fold the stored stream *application_id* into the application's current state.

    Sealed personal values are opened with *keys* (`onestop.usecases.streams.decode`).

    Raises:
        ApplicationNotFound: If the store has no such stream.
        StorageError: If a stored event does not decode.
    """
    return streams.load(store, APPLICATIONS, application_id, keys=keys)[0]


def verify_stream(store: EventStore, application_id: str, /) -> ChainReport:
    """Check the hash chain of stream *application_id*; the report names the first bad entry.

    Raises:
        ApplicationNotFound: If the store has no such stream.
    """
    return streams.verify(_records(store, application_id))
