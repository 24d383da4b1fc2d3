"""The claim race: several couriers claim one job at once, against any store.

`claim_race` books one courier job in a store made by the factory it is given, then
lets several couriers claim it through a `onestop.usecases.courier.desk.CourierDesk` at the
same moment, each from its own thread, and reports what each of them got.  Exactly
one claim must win; every other courier must get `onestop.exceptions.AlreadyClaimed`
(or, when they named the version they expected, `ConcurrencyConflict`), and nothing
else may happen.  Adapter authors run it against their own store:

>>> from onestop.storage.memory import MemoryStore
>>> race = claim_race(MemoryStore, couriers=4)
>>> race.ok, len(race.winners), race.already_claimed + race.conflicts
(True, 1, 3)

The store must be a `onestop.ports.events.BatchStore`; the function closes it when done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import attrs

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.audit import GENESIS
from onestop.domain.common.formats import check_int, int_problem
from onestop.domain.common.text import LocalizedText
from onestop.domain.courier.jobs import CourierJob, JobKind, book
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import (
    AlreadyClaimed,
    ConcurrencyConflict,
    ConfigurationError,
    InvalidValue,
)
from onestop.ports.events import Batch, BatchStore, EventStore
from onestop.usecases.courier.desk import COURIER_ROLE, CourierDesk
from onestop.usecases.courier.writer import job_append
from onestop.usecases.mall import Mall

__all__ = ["ClaimRace", "claim_race"]

_AT = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
_KEY = b"onestop-claim-race-otp-key-32b!!"
_MAX_COURIERS = 64


@attrs.frozen(kw_only=True)
class ClaimRace:
    """What each courier of a claim race got.

    Attributes:
        couriers: How many couriers raced.
        winners: The ids of the couriers whose claim was accepted.
        already_claimed: How many got `AlreadyClaimed`.
        conflicts: How many got `ConcurrencyConflict`.
        unexpected: Anything else raised, by any courier.
        job: The job as stored afterwards.
    """

    couriers: int
    winners: tuple[str, ...]
    already_claimed: int
    conflicts: int
    unexpected: tuple[BaseException, ...]
    job: CourierJob

    @property
    def ok(self) -> bool:
        """Whether exactly one courier won, the store says so, and the others lost cleanly."""
        return (
            len(self.winners) == 1
            and self.already_claimed + self.conflicts == self.couriers - 1
            and not self.unexpected
            and self.job.courier_id == self.winners[0]
            and self.job.version == 2
        )


class _Fixed:
    def now(self) -> datetime:
        return _AT


def claim_race(
    store_factory: Callable[[], EventStore],
    /,
    *,
    couriers: int = 8,
    expected_version: int | None = None,
    timeout: float = 30.0,
) -> ClaimRace:
    """Book one job in a new store, let *couriers* claim it at once, and report.

    Args:
        store_factory: Makes the store to race on (a `onestop.ports.events.BatchStore`).
        couriers: How many couriers race (at least 2).
        expected_version: The version each courier names, if any (the job is at 1).
        timeout: Seconds to wait for the couriers before giving up.

    Raises:
        ConfigurationError: If the store cannot commit batches, *couriers* is not 2
            to 64, *timeout* is not a positive number of seconds (at most an hour),
            or a courier is still waiting after *timeout*.
        InvalidValue: If *store_factory* is not callable, or *expected_version* is
            not an integer from 0.
    """
    if int_problem(couriers, minimum=2, maximum=_MAX_COURIERS) is not None:
        raise ConfigurationError(f"a race needs 2 to {_MAX_COURIERS} couriers")
    seconds: object = timeout
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 3600:
        raise ConfigurationError("the timeout must be a number of seconds from 0 to 3600")
    if expected_version is not None:
        check_int(expected_version, field="expected_version")
    if not callable(store_factory):
        raise InvalidValue(field="store_factory", reason="expected a function that makes a store")
    store = store_factory()
    try:
        if not isinstance(store, BatchStore):
            raise ConfigurationError(f"{type(store).__name__} is not a BatchStore")
        name = LocalizedText.of({"en": "Claim race"})
        mall = Mall(catalogue=Catalogue(name=name, languages=("en",)), store=store, clock=_Fixed())
        desk = CourierDesk(mall, otp_key=_KEY)
        job = book("race-job", "race-application", JobKind.LEG_TO_AGENCY, at=_AT, actor="race")
        append = job_append(job, since=0, head=GENESIS)
        store.commit_batch(Batch(appends=(append,), recorded_at=_AT))
        outcomes: list[tuple[str, BaseException | None]] = []
        lock = threading.Lock()
        start = threading.Barrier(couriers)

        def run(courier_id: str) -> None:
            actor = Actor(id=courier_id, roles={COURIER_ROLE})
            error: BaseException | None = None
            try:
                start.wait(timeout)
                desk.claim(job.id, actor, expected_version=expected_version)
            except BaseException as exc:  # noqa: BLE001 - every outcome is reported
                error = exc
            with lock:
                outcomes.append((courier_id, error))

        threads = [
            threading.Thread(target=run, args=(f"courier-{n}",), daemon=True)
            for n in range(1, couriers + 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
        if any(thread.is_alive() for thread in threads):
            raise ConfigurationError(f"the couriers did not finish within {timeout} seconds")
        return ClaimRace(
            couriers=couriers,
            winners=tuple(who for who, error in outcomes if error is None),
            already_claimed=sum(isinstance(e, AlreadyClaimed) for _, e in outcomes),
            conflicts=sum(
                isinstance(e, ConcurrencyConflict) and not isinstance(e, AlreadyClaimed)
                for _, e in outcomes
            ),
            unexpected=tuple(
                e
                for _, e in outcomes
                if e is not None and not isinstance(e, AlreadyClaimed | ConcurrencyConflict)
            ),
            job=desk.job(job.id),
        )
    finally:
        store.close()
