"""What `onestop.usecases.mall.Mall` is built from and hands out, and the checks at its boundary.

`onestop.usecases.mall` re-exports `SystemClock`, `RandomIds` and `Receipt`.  The checks here
run where the Mall meets its caller and its store, so that a hostile argument is
refused with a typed error before anything is read or written:

* a setting of the Mall that is of the wrong kind or out of range raises
  `onestop.exceptions.ConfigurationError` when the Mall is built (`check_settings`);
* an application id that is not a key (`onestop.domain.common.formats.KEY`: 1 to 128 visible
  ASCII characters) or an ``expected_version`` that is not an integer from 0 to
  2**63 - 1 (a `bool` is not one) raises `onestop.exceptions.InvalidApplication`
  naming it, never a `ConcurrencyConflict` that reads "at version 1, not True".
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn

import attrs

from onestop.domain.common import kinds
from onestop.domain.common.formats import KEY, int_problem, kind_of
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.versions import CalendarVersion
from onestop.exceptions import (
    ConfigurationError,
    InvalidApplication,
    InvalidValue,
    NaiveDatetime,
    Problem,
)
from onestop.ports.events import MAX_PAGE, Clock, EventStore, IdGenerator
from onestop.ports.keys import AtomicWrites
from onestop.usecases.applications.writer import share_problem
from onestop.usecases.sealing import check_keys

__all__ = [
    "MAX_CACHE",
    "MAX_RETRIES",
    "RandomIds",
    "Receipt",
    "SystemClock",
    "check_application_id",
    "check_batch_size",
    "check_expected_version",
    "check_instant",
    "check_new_id",
    "check_settings",
    "together",
]

MAX_RETRIES = 100
"""The most times `Mall.retries` may retry a command."""

MAX_CACHE = 10_000_000
"""The largest `Mall.cache_size`."""


class SystemClock:
    """A `onestop.ports.events.Clock` that reads the system's clock, in UTC."""

    def now(self) -> datetime:
        """Return the current instant."""
        return datetime.now(UTC)


class RandomIds:
    """A `onestop.ports.events.IdGenerator`: random UUIDs and 192-bit URL-safe secrets."""

    def new_id(self) -> str:
        """Return a random UUID, as text."""
        return str(uuid.uuid4())

    def secret(self) -> str:
        """Return a random secret of 32 URL-safe characters."""
        return secrets.token_urlsafe(24)


@attrs.frozen(kw_only=True)
class Receipt:
    """What the applicant gets on submission.

    Attributes:
        application_id: The application's id.
        number: Its number, for tracking and at the counter.
        lookup_secret: The secret that, with the number, shows the public status.  It is
            shown once: a replayed submission gives ``None`` (only its digest is kept).
        due: The due date at receipt, or ``None`` if the clock starts paused.
        deadline: How the due date was computed, line by line.
        required_documents: The codes of the requirements that apply.
        replayed: Whether this answers a retry of an earlier request with the same key.
    """

    application_id: str
    number: str
    lookup_secret: str | None = attrs.field(repr=False)
    due: datetime | None
    deadline: tuple[str, ...] = attrs.field(repr=False)
    required_documents: tuple[str, ...]
    replayed: bool = False


def _wrong(setting: str, reason: str) -> NoReturn:
    raise ConfigurationError(f"Mall.{setting} {reason}")


def check_settings(
    *,
    store: object,
    clock: object,
    ids: object,
    calendars: object,
    at_risk_share: object,
    retries: object,
    cache_size: object,
    courier_facts: object,
    keys: object = None,
    calendar_versions: object = (),
) -> None:
    """Refuse a Mall setting of the wrong kind or out of range.

    Raises:
        ConfigurationError: Naming the setting: a store, clock or id generator that
            lacks the port's methods; calendars that are not a mapping of agency codes
            to `WorkCalendar` values; an at-risk share that is not a number between 0
            and 1 (exclusive); retries that are not an integer from 0 to `MAX_RETRIES`
            or a cache size from 0 to `MAX_CACHE` (a `bool` is neither); courier
            facts that are not a function; keys without the methods of
            `onestop.ports.keys.PersonalDataKeys`; calendar versions that are not
            `CalendarVersion` values or come with calendars.
    """
    for name, value, port in (("store", store, EventStore), ("clock", clock, Clock)):
        if not isinstance(value, port):
            _wrong(name, f"must be an {port.__name__}, not {kind_of(value)}")
    if not isinstance(ids, IdGenerator):
        _wrong("ids", f"must be an IdGenerator, not {kind_of(ids)}")
    if not isinstance(calendars, Mapping) or not all(
        isinstance(code, str) and isinstance(calendar, WorkCalendar)
        for code, calendar in calendars.items()
    ):
        _wrong("calendars", "must map agency codes (or '*') to WorkCalendar values")
    _check_versions(calendars, calendar_versions)
    problem = share_problem(at_risk_share)
    if problem is not None:
        _wrong("at_risk_share", problem)
    for name, value, most in (
        ("retries", retries, MAX_RETRIES),
        ("cache_size", cache_size, MAX_CACHE),
    ):
        problem = int_problem(value, maximum=most)
        if problem is not None:
            _wrong(name, problem)
    if courier_facts is not None and not callable(courier_facts):
        _wrong("courier_facts", "must be a function of an application id")
    try:
        check_keys(keys)
    except InvalidValue as exc:
        _wrong("keys", exc.reason)


def _check_versions(calendars: Mapping[str, Any], versions: object) -> None:
    if (
        isinstance(versions, str | bytes)
        or not isinstance(versions, Sequence)
        or not all(isinstance(v, CalendarVersion) for v in versions)
    ):
        _wrong("calendar_versions", "must be a sequence of CalendarVersion values")
    if versions and calendars:
        _wrong("calendar_versions", "and Mall.calendars cannot both be given: give one")


NO_CALENDARS = (
    "is empty but the catalogue declares [[calendars]]: give "
    "calendar_versions=onestop.calendar_versions(catalogue, years=...) "
    "(or explicit calendars=) so deadlines are not counted on a default week"
)
"""Why a Mall over a catalogue with ``[[calendars]]`` but given none counts nothing."""


def _refused(path: str, message: str) -> NoReturn:
    raise InvalidApplication([Problem(path=path, message=message)])


def check_application_id(application_id: object, /) -> str:
    """Return *application_id* if it can name an application (`KEY`).

    Raises:
        InvalidApplication: With one problem at ``application_id``; the id is never
            quoted.
    """
    problem = KEY.problem(application_id)
    if problem is not None:
        _refused("application_id", problem)
    return application_id  # type: ignore[return-value]  # KEY.problem() proved it is a str


def check_expected_version(expected: object, /) -> int | None:
    """Return *expected* if it is ``None`` or a stream version: an `int` from 0 to 2**63 - 1.

    Raises:
        InvalidApplication: With one problem at ``expected_version``; a `bool` is
            refused, never read as version 0 or 1.
    """
    if expected is None:
        return None
    problem = int_problem(expected)
    if problem is not None:
        _refused("expected_version", problem)
    return expected  # type: ignore[return-value]  # int_problem() proved it is an int


def check_new_id(application_id: object, /) -> str:
    """Return an id the Mall's id generator made, if it is a `KEY`.

    Raises:
        ConfigurationError: If the generator gave something else.
    """
    problem = KEY.problem(application_id)
    if problem is not None:
        _wrong("ids", f"gave an application id that is not a key: it {problem}")
    return application_id  # type: ignore[return-value]  # KEY.problem() proved it is a str


def check_batch_size(batch: object, /) -> int:
    """Return *batch*, the page size of `Mall.fire_timers`, if it is from 1 to 1000.

    Raises:
        InvalidApplication: With one problem at ``batch``.
    """
    problem = int_problem(batch, minimum=1, maximum=MAX_PAGE)
    if problem is not None:
        _refused("batch", problem)
    return batch  # type: ignore[return-value]  # int_problem() proved it is an int


def check_instant(value: object, /, *, argument: str) -> datetime:
    """Return *value* if it is a timezone-aware datetime that is an instant in UTC.

    The Mall's own form of `onestop.domain.common.kinds.check_instant`, which it calls: the
    same instants pass, but anything that is not an aware datetime (text, a number,
    a naive datetime) is `NaiveDatetime`, as the Mall's methods have always said.

    Raises:
        NaiveDatetime: If it is not a datetime, or has no time zone.
        InvalidValue: If its time zone gives no valid offset, or it lies outside the
            years 1 to 9999 in UTC.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise NaiveDatetime(argument)
    return kinds.check_instant(value, field=argument)


@contextmanager
def together(store: object, /, *, undo: Callable[[], None]) -> Iterator[None]:
    """Make *store*'s writes within the block one transaction if it can
    (`onestop.ports.keys.AtomicWrites`), else let each be its own.

    If the block raises, *undo* is called before the error propagates: what was
    cached of the writes rolled back (a data key made inside) must be dropped.
    """
    if not isinstance(store, AtomicWrites):
        yield
        return
    try:
        with store.atomically():
            yield
    except BaseException:
        undo()
        raise
