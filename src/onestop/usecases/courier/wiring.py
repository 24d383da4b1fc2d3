"""What the courier desks are wired to: the applications they serve, and their ports.

The desks (`onestop.usecases.courier.desk.CourierDesk` and
`onestop.usecases.courier.custody.CustodyDesk`) do not know the `onestop.usecases.mall.Mall`.
They read the applications they serve through `CourierMall`, a small protocol the
Mall satisfies as it is, and they write through ports they are given: a
`onestop.ports.events.BatchStore`, a `onestop.ports.events.Clock` and an
`onestop.ports.events.IdGenerator`.  A port left out is borrowed from the mall passed,
when it has one (a `Mall` has them all), and never the other way round: building a
desk changes nothing of the mall.

The Mall learns about courier jobs only if it is told, when it is built: give it
``courier_facts=onestop.usecases.courier.queries.CourierFacts(store)`` so that the
``courier_delivered`` guard of its workflows reads the jobs the desks write.

`wire` and `Work` are the desks' own plumbing (the checked ports, the clock's checked
time, one atomic batch, the retry on a stale version), not part of the public API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn, Protocol, TypeVar, runtime_checkable

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.common.formats import int_problem, kind_of
from onestop.domain.common.kinds import check_instant
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import ConcurrencyConflict, ConfigurationError, InvalidValue
from onestop.ports.events import Append, Batch, BatchStore, Clock, EventStore, IdGenerator
from onestop.ports.keys import PersonalDataKeys
from onestop.usecases.sealing import check_keys

__all__ = ["DEFAULT_RETRIES", "MAX_RETRIES", "CourierMall"]

DEFAULT_RETRIES = 5
"""How many times a desk decides a command again after a stale write, unless told otherwise."""

MAX_RETRIES = 100
"""The most retries a desk accepts."""

_T = TypeVar("_T")


@runtime_checkable
class CourierMall(Protocol):
    """What the courier desks read of the mall: `onestop.usecases.mall.Mall` has all of it.

    A desk asks for an application to know that it exists, whether it is closed, its
    agency and its lookup secret's digest; and for an agency's work calendar, to
    count the working time of a packet's dwell.  It never writes through the mall.
    """

    def application(self, application_id: str, /) -> Application:
        """Return the application's current state.

        Raises:
            ApplicationNotFound: If there is no such application.
        """
        ...

    def calendar(self, agency: str, /) -> WorkCalendar:
        """Return the work calendar of *agency*."""
        ...


class CourierStore(EventStore, BatchStore, Protocol):
    """What the desks write to: an `EventStore` that is also a `BatchStore`."""


class Retry(Exception):
    """The store refused a batch on a stale version: decide again on fresh state."""

    def __init__(self, conflict: ConcurrencyConflict) -> None:
        super().__init__(str(conflict))
        self.conflict = conflict


@attrs.frozen
class Work:
    """A desk's checked ports and its unit of work (`wire` makes one).

    Attributes:
        store: Where the courier streams are written, several at once.
        clock: Tells the time of each command.
        ids: Makes job ids.
        retries: How many times a command is decided again after a stale write.
        keys: Seal and open the addresses in job streams with these keys (the
            mall's); ``None`` keeps them in plain text.
    """

    store: CourierStore
    clock: Clock
    ids: IdGenerator
    retries: int
    keys: PersonalDataKeys | None = attrs.field(default=None, repr=False)

    def now(self) -> datetime:
        """The clock's time, checked: a naive or unusable instant is refused, not used."""
        return check_instant(self.clock.now(), field="clock.now()")

    def commit(self, now: datetime, *appends: Append) -> None:
        """Write *appends* (those with events) in one atomic batch; `Retry` on a stale version."""
        batch = Batch(appends=tuple(a for a in appends if a.events), recorded_at=now)
        try:
            self.store.commit_batch(batch)
        except ConcurrencyConflict as conflict:
            raise Retry(conflict) from None

    def retrying(self, attempt: Callable[[], _T]) -> _T:
        """Run *attempt* until it is not stale, at most ``retries`` times (at least once)."""
        tries = max(self.retries, 1)
        for number in range(tries):
            try:
                return attempt()
            except Retry as retry:
                if number + 1 == tries:
                    raise retry.conflict from None
        raise AssertionError("unreachable")  # pragma: no cover


def wire(
    mall: object,
    *,
    store: object = None,
    clock: object = None,
    ids: object = None,
    retries: object = None,
    keys: object = None,
) -> Work:
    """Check a desk's mall and ports; borrow each port left out (``None``) from *mall*.

    The personal data keys, when left out, are the mall's ``keys`` (none if it has
    none), so that a job's address is sealed under the same keys as its application.

    Raises:
        InvalidValue: If *mall* is not a `CourierMall`, or *retries* is not an integer
            from 0 to `MAX_RETRIES`.
        ConfigurationError: If a port is missing (given neither here nor by the mall),
            of the wrong kind, or the store cannot write several streams atomically.
    """
    if not isinstance(mall, CourierMall):
        reason = f"expected a mall with application and calendar queries, not {kind_of(mall)}"
        raise InvalidValue(field="mall", reason=reason)
    store = store if store is not None else getattr(mall, "store", None)
    clock = clock if clock is not None else getattr(mall, "clock", None)
    ids = ids if ids is not None else getattr(mall, "ids", None)
    retries = retries if retries is not None else getattr(mall, "retries", DEFAULT_RETRIES)
    keys = check_keys(keys if keys is not None else getattr(mall, "keys", None))
    if not isinstance(store, EventStore):
        _missing("store", "EventStore", store)
    if not isinstance(clock, Clock):
        _missing("clock", "Clock", clock)
    if not isinstance(ids, IdGenerator):
        _missing("ids", "IdGenerator", ids)
    if not isinstance(store, BatchStore):
        raise ConfigurationError(
            f"{type(store).__name__} cannot commit several streams at once "
            "(onestop.ports.events.BatchStore); the courier desk needs it"
        )
    problem = int_problem(retries, maximum=MAX_RETRIES)
    if problem is not None:
        raise InvalidValue(field="retries", reason=problem)
    return Work(store, clock, ids, retries, keys)  # type: ignore[arg-type]  # int_problem() proved it


def _missing(name: str, port: str, value: object) -> NoReturn:
    article = "an" if port[0] in "AEIOU" else "a"
    raise ConfigurationError(
        f"the courier desk's {name} must be {article} {port} (given, or the mall's), "
        f"not {kind_of(value)}"
    )
