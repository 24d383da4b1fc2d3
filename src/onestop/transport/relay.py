"""The relay: reads the notification log and hands each message to every transport.

The store writes a command's notifications in the command's own transaction; the
relay runs outside it, later, and takes them to the transports.  For each transport
it keeps one position in the store (consumer ``"{consumer}/{name}"``) and moves it
only **after** a message was delivered (or dead-lettered): a crash in between means
the message is sent again, never that it is lost.  Delivery is therefore at least
once, and every message carries its stable id (``stream_id:version``) so receivers
can drop copies.

>>> from onestop.storage.memory import MemoryStore
>>> from onestop.transport.recording import RecordingTransport
>>> store, inbox = MemoryStore(), RecordingTransport()
>>> relay = Relay(store, {"inbox": inbox})
>>> relay.run_once()
RelayReport(delivered=0, retried=0, dead_lettered=0, halted=(), more=False, next_attempt_at=None)

What happens when a transport fails:

* `onestop.exceptions.DeliveryFailed` (or any error that is not one of the three
  below): the transport's position stays on the message, and it is tried again after
  a delay from the `RetryPolicy` (exponential backoff with full jitter, at least the
  ``Retry-After`` the receiver asked for, up to the cap), until it goes through: a
  transient failure never skips a message.  Other transports go on.  (Set
  `RetryPolicy.max_attempts` to make a message a dead letter after that many.)
* `onestop.exceptions.DeliveryRejected`: the message becomes a `DeadLetter` at once,
  and the transport moves on to the next one.
* `onestop.exceptions.EndpointDisabled` or `onestop.exceptions.EndpointNotAllowed`:
  the transport is halted and keeps its position: its backlog waits, whole, until
  `Relay.resume` (or a new relay) is called after the endpoint is fixed.

Messages reach each transport in log order, so in order per stream; a dead letter
is the one gap, and its `DeadLetter.message` can be delivered again by hand.  The
notifications of staff streams (accounts and grants,
`onestop.domain.staff.is_staff_stream`) are never delivered: the relay moves past them.

Several relays may run against one store, with the same consumer name, for
availability: there is no leader election.  They may then deliver a message twice
(at least once, again); positions never move backwards, and receivers drop copies
by id.  Retry state and halts live in the relay's memory: a restarted relay tries a
failing message again from its first delay.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

import attrs

from onestop.domain.common.formats import int_problem, kind_of, preview
from onestop.domain.common.kinds import seconds_problem
from onestop.domain.staff import is_staff_stream
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    EndpointDisabled,
    EndpointNotAllowed,
    InvalidStoreInput,
    StorageError,
)
from onestop.ports.checks import check_consumer
from onestop.ports.events import MAX_PAGE, Clock, EventStore
from onestop.transport._retry import MAX_ATTEMPTS as _MAX_ATTEMPTS
from onestop.transport._retry import RetryPolicy
from onestop.transport.base import OutboundMessage, Transport, get_logger

__all__ = [
    "MAX_ATTEMPTS",
    "DeadLetter",
    "DeadLetterSink",
    "MemoryDeadLetters",
    "Relay",
    "RelayReport",
    "RetryPolicy",
]

MAX_ATTEMPTS = _MAX_ATTEMPTS
"""The most attempts `RetryPolicy.max_attempts` allows per message (10,000); ``None``
tries until the message goes through."""


@attrs.frozen(kw_only=True)
class DeadLetter:
    """A message a transport gave up on, with why; plain values, easy to store.

    Attributes:
        message: The message, body included (it holds no personal data).
        transport: The name the relay knows the transport by.
        reason: ``rejected`` (the receiver refused it) or ``retries_exhausted``.
        error: The last error's message: ids, a host and a status, no personal data.
        attempts: How many attempts were made.
        at: When it was given up.

    .. versionadded:: 0.1.0
    """

    message: OutboundMessage
    transport: str
    reason: Literal["rejected", "retries_exhausted"]
    error: str
    attempts: int
    at: datetime


@runtime_checkable
class DeadLetterSink(Protocol):
    """Keeps dead letters somewhere an operator can find them and deliver them again.

    `MemoryDeadLetters` keeps them in memory.  To keep them across restarts, write
    them to a table, a file or a queue; `DeadLetter` holds only plain values.  If
    `add` raises, the relay logs ``onestop.relay.dead_letter_failed`` and does not
    move past the message, which is tried again after the policy's wait: nothing is
    lost.

    .. versionadded:: 0.1.0
    """

    def add(self, letter: DeadLetter, /) -> None:
        """Keep *letter*."""
        ...


class MemoryDeadLetters:
    """A `DeadLetterSink` in memory, safe across threads; lost when the process ends.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._letters: list[DeadLetter] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show how many letters there are."""
        return f"<MemoryDeadLetters {len(self)}>"

    def __len__(self) -> int:
        """Return how many letters are kept."""
        with self._lock:
            return len(self._letters)

    def __iter__(self) -> Iterator[DeadLetter]:
        """Iterate over a copy of the letters, oldest first."""
        with self._lock:
            return iter(list(self._letters))

    def add(self, letter: DeadLetter, /) -> None:
        """Keep *letter*."""
        with self._lock:
            self._letters.append(letter)


@attrs.frozen(kw_only=True)
class RelayReport:
    """What one pass (or, summed with ``+``, several) of a relay did.

    Attributes:
        delivered: Messages delivered.
        retried: Failed attempts that were scheduled for a retry.
        dead_lettered: Messages given up on and kept as dead letters.
        halted: The transports that are halted (disabled or not allowed).
        more: Whether a transport filled its batch, so more may be waiting now.
        next_attempt_at: When the earliest scheduled retry is due, if any.

    .. versionadded:: 0.1.0
    """

    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    halted: tuple[str, ...] = ()
    more: bool = False
    next_attempt_at: datetime | None = None

    def __add__(self, other: RelayReport) -> RelayReport:
        """Add the counts; the halted transports, ``more`` and the next attempt are *other*'s."""
        return RelayReport(
            delivered=self.delivered + other.delivered,
            retried=self.retried + other.retried,
            dead_lettered=self.dead_lettered + other.dead_lettered,
            halted=other.halted,
            more=other.more,
            next_attempt_at=other.next_attempt_at,
        )


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.define
class _Lane:
    """One transport's progress: its failures at the head message, its wait, its halt."""

    name: str
    transport: Transport
    head: str | None = None
    failures: int = 0
    not_before: datetime | None = None
    halted: str | None = None

    def reset(self) -> None:
        self.head, self.failures, self.not_before = None, 0, None


@attrs.define
class _Tally:
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    more: bool = False


def _check_parts(**parts: object) -> None:
    """Refuse a relay's part that lacks what the relay calls on it."""
    needs = {
        "store": ("notifications", "position", "record_position"),
        "dead_letters": ("add",),
        "clock": ("now",),
        "rng": ("uniform",),
    }
    for name, methods in needs.items():
        part = parts[name]
        if (part is not None or name == "store") and not all(
            callable(getattr(part, method, None)) for method in methods
        ):
            raise ConfigurationError(f"{name} lacks {', '.join(methods)}: not {kind_of(part)}")
    policy = parts["policy"]
    if policy is not None and not isinstance(policy, RetryPolicy):
        raise ConfigurationError(f"policy must be a RetryPolicy, not {kind_of(policy)}")


class Relay:
    """Takes the store's notifications to transports, at least once, in order.

    Args:
        store: The event store whose notification log is read.
        transports: Each transport under a stable name; the name keys its position
            in the store (``"{consumer}/{name}"``), so keep it when redeploying.
        consumer: The relay's name; relays sharing it share positions.
        batch: The most notifications read per transport and pass.
        policy: When failed messages are tried again.
        dead_letters: Where given-up messages are kept (a `MemoryDeadLetters` if
            ``None``).
        clock: Tells the time for retry schedules (the system's UTC clock if ``None``).
        sleep: How `run_forever` waits, given seconds; ``None`` waits on its stop
            event, so a stop ends the wait at once.  Tests pass a fake that moves a
            fake clock.
        rng: Where the retry jitter comes from; pass a seeded ``random.Random`` for a
            repeatable schedule.

    Raises:
        onestop.exceptions.ConfigurationError: If there is no transport, a name is
            empty or not text a store keeps (``"{consumer}/{name}"`` is stored, see
            `onestop.ports.checks.check_consumer`), *batch* is not an integer from
            1 to 1000, or a part lacks the methods the relay calls (the store's
            ``notifications``, ``position`` and ``record_position``, the sink's
            ``add``, the clock's ``now``, the rng's ``uniform``; a `RetryPolicy`).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        store: EventStore,
        transports: Mapping[str, Transport],
        *,
        consumer: str = "relay",
        batch: int = 100,
        policy: RetryPolicy | None = None,
        dead_letters: DeadLetterSink | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], object] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        given: object = transports
        if not isinstance(given, Mapping) or not given:
            raise ConfigurationError("a relay needs at least one transport, by name")
        if not consumer or any(not name for name in transports):
            raise ConfigurationError("the consumer and every transport need a non-empty name")
        for name in transports:  # each position is stored under "consumer/name"
            try:
                check_consumer(f"{consumer}/{name}")
            except InvalidStoreInput as exc:
                raise ConfigurationError(
                    "the consumer and transport names must be text a store keeps"
                    f" (no control characters, at most 256 together): {exc.reason}"
                ) from None
        problem = int_problem(batch, minimum=1, maximum=MAX_PAGE)
        if problem is not None:
            raise ConfigurationError(f"batch {problem}")
        _check_parts(store=store, policy=policy, dead_letters=dead_letters, clock=clock, rng=rng)
        if sleep is not None and not callable(sleep):
            raise ConfigurationError(f"sleep must be a function, not {kind_of(sleep)}")
        self._store = store
        self._lanes = [_Lane(name, transport) for name, transport in transports.items()]
        self._consumer = consumer
        self._batch = batch
        self._policy = policy if policy is not None else RetryPolicy()
        self._dead_letters: DeadLetterSink = (
            dead_letters if dead_letters is not None else MemoryDeadLetters()
        )
        self._clock: Clock = clock if clock is not None else _UtcClock()
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter, not secrets

    def __repr__(self) -> str:
        """Show the consumer and the transports' names."""
        names = ", ".join(lane.name for lane in self._lanes)
        return f"<Relay {self._consumer!r} transports=[{names}]>"

    @property
    def dead_letters(self) -> DeadLetterSink:
        """Where this relay keeps the messages it gave up on."""
        return self._dead_letters

    @property
    def halted(self) -> Mapping[str, str]:
        """The halted transports, each with why."""
        return {lane.name: lane.halted for lane in self._lanes if lane.halted is not None}

    def consumer_for(self, name: str, /) -> str:
        """Return the consumer under which transport *name*'s position is stored."""
        return f"{self._consumer}/{name}"

    def positions(self) -> dict[str, int]:
        """Return each transport's position: the last notification it is done with."""
        return {
            lane.name: self._store.position(self.consumer_for(lane.name)) for lane in self._lanes
        }

    def backlog(self, *, limit: int = 10_000) -> dict[str, int]:
        """Return how many notifications wait for each transport, counting up to *limit*."""
        waiting: dict[str, int] = {}
        for name, position in self.positions().items():
            count = 0
            while count < limit:
                page = self._store.notifications(after=position, limit=min(1000, limit - count))
                if not page:
                    break
                count += len(page)
                position = page[-1].position
            waiting[name] = count
        return waiting

    def resume(self, name: str, /) -> None:
        """Take transport *name* out of its halt or its wait, to try its next message now.

        Raises:
            onestop.exceptions.ConfigurationError: If the relay has no transport of that
                name.
        """
        for lane in self._lanes:
            if lane.name == name:
                lane.halted = None
                lane.reset()
                return
        raise ConfigurationError(f"the relay has no transport named {preview(name)}")

    def run_once(self) -> RelayReport:
        """Do one pass: give each transport what waits for it, up to a batch each.

        Raises:
            onestop.exceptions.StorageError: If the store fails; positions recorded
                before it stay recorded.
        """
        return self._pass(None)

    def run_forever(self, stop: threading.Event, /, *, poll_interval: float = 1.0) -> RelayReport:
        """Pass after pass until *stop* is set; return what all the passes did.

        Between passes it waits *poll_interval* seconds, or less when a retry falls
        due sooner, and not at all while a transport has a full batch waiting.  It
        checks *stop* between messages, so it ends within one delivery of being
        asked.  A failing store is logged (``onestop.relay.store_failed``) and tried
        again after *poll_interval*; a failing dead-letter sink is logged
        (``onestop.relay.dead_letter_failed``) and its message tried again later.

        Raises:
            onestop.exceptions.ConfigurationError: If *poll_interval* is not a number
                of seconds above 0 (and at most `onestop.domain.common.kinds.MAX_SECONDS`),
                or *stop* has no ``is_set`` and ``wait`` methods.
        """
        problem = seconds_problem(poll_interval, positive=True)
        if problem is not None:
            raise ConfigurationError(f"poll_interval {problem}")
        if not all(callable(getattr(stop, name, None)) for name in ("is_set", "wait")):
            raise ConfigurationError(f"stop must be a threading.Event, not {kind_of(stop)}")
        total = RelayReport()
        while not stop.is_set():
            try:
                report = self._pass(stop)
            except StorageError as exc:
                get_logger().warning(
                    "onestop.relay.store_failed",
                    consumer=self._consumer,
                    error=type(exc).__name__,
                )
                report = RelayReport(halted=total.halted)
            total += report
            if stop.is_set() or report.more:
                continue
            wait = poll_interval
            if report.next_attempt_at is not None:
                due = (report.next_attempt_at - self._clock.now()).total_seconds()
                wait = min(wait, max(due, 0.0))
            if self._sleep is None:
                stop.wait(wait)
            else:
                self._sleep(wait)
        return total

    # --- one pass -------------------------------------------------------------------

    def _pass(self, stop: threading.Event | None) -> RelayReport:
        tally = _Tally()
        for lane in self._lanes:
            if stop is not None and stop.is_set():
                break
            if lane.halted is not None:
                continue
            if lane.not_before is not None and self._clock.now() < lane.not_before:
                continue
            self._drain(lane, tally, stop)
        waits = [
            lane.not_before
            for lane in self._lanes
            if lane.not_before is not None and lane.halted is None
        ]
        return RelayReport(
            delivered=tally.delivered,
            retried=tally.retried,
            dead_lettered=tally.dead_lettered,
            halted=tuple(lane.name for lane in self._lanes if lane.halted is not None),
            more=tally.more,
            next_attempt_at=min(waits, default=None),
        )

    def _drain(self, lane: _Lane, tally: _Tally, stop: threading.Event | None) -> None:
        """Deliver lane's backlog in order until it is empty, a batch is done, or one fails."""
        consumer = self.consumer_for(lane.name)
        notes = self._store.notifications(after=self._store.position(consumer), limit=self._batch)
        for note in notes:
            if is_staff_stream(note.stream_id):  # who holds which role is no agency's news
                if not self._skip(consumer, note.position):
                    return
                continue
            message = OutboundMessage.from_notification(note)
            if lane.head != message.id:
                lane.reset()
                lane.head = message.id
            if not self._attempt(lane, message, tally):
                return
            lane.reset()
            try:
                self._store.record_position(consumer, note.position)
            except ConcurrencyConflict:
                return  # another relay of the same consumer is ahead: leave the rest to it
            if stop is not None and stop.is_set():
                return
        tally.more = tally.more or len(notes) == self._batch

    def _skip(self, consumer: str, position: int) -> bool:
        """Move *consumer* past a notification it never delivers; whether it may go on."""
        try:
            self._store.record_position(consumer, position)
        except ConcurrencyConflict:
            return False
        return True

    def _attempt(self, lane: _Lane, message: OutboundMessage, tally: _Tally) -> bool:
        """Deliver *message*; return whether the lane may move past it."""
        try:
            lane.transport.deliver(message)
        except (EndpointDisabled, EndpointNotAllowed) as exc:
            lane.halted = str(exc)
            lane.failures += 1
            self._log_failed(lane, message, exc, outcome="halted")
            return False
        except DeliveryRejected as exc:
            lane.failures += 1
            return self._give_up(lane, message, exc, reason="rejected", tally=tally)
        except Exception as exc:  # noqa: BLE001 - anything else is worth another try
            lane.failures += 1
            failed = exc if isinstance(exc, DeliveryFailed) else None
            delay = self._policy.next_wait(
                lane.failures,
                retry_after=failed.retry_after if failed is not None else None,
                rng=self._rng,
            )
            if delay is None:
                return self._give_up(lane, message, exc, reason="retries_exhausted", tally=tally)
            self._schedule(lane, message, exc, delay)
            tally.retried += 1
            return False
        tally.delivered += 1
        return True

    def _schedule(
        self, lane: _Lane, message: OutboundMessage, exc: Exception, delay: float
    ) -> None:
        failed = exc if isinstance(exc, DeliveryFailed) else None
        lane.not_before = self._clock.now() + timedelta(seconds=delay)
        get_logger().warning(
            "onestop.delivery.retry_scheduled",
            message_id=message.id,
            transport=lane.name,
            destination=failed.destination if failed is not None else None,
            attempt=lane.failures,
            status=failed.status if failed is not None else None,
            delay=delay,
            error=type(exc).__name__,
        )

    def _give_up(
        self,
        lane: _Lane,
        message: OutboundMessage,
        exc: Exception,
        *,
        reason: Literal["rejected", "retries_exhausted"],
        tally: _Tally,
    ) -> bool:
        """Hand *message* to the dead-letter sink; return whether the lane may move past it.

        A sink whose ``add`` raises keeps the message at the head of its lane, tried
        again after the policy's wait (its ceiling, as if another attempt had failed).
        """
        # onestop's errors are built from ids and statuses; others may quote anything.
        known = isinstance(exc, DeliveryFailed | DeliveryRejected)
        letter = DeadLetter(
            message=message,
            transport=lane.name,
            reason=reason,
            error=str(exc) if known else type(exc).__name__,
            attempts=lane.failures,
            at=self._clock.now(),
        )
        try:
            self._dead_letters.add(letter)
        except Exception as sink_error:  # noqa: BLE001 - never drop it: try again later
            get_logger().warning(
                "onestop.relay.dead_letter_failed",
                message_id=message.id,
                transport=lane.name,
                error=type(sink_error).__name__,
            )
            self._schedule(lane, message, sink_error, self._policy.ceiling(lane.failures))
            tally.retried += 1
            return False
        self._log_failed(lane, message, exc, outcome="dead_lettered")
        tally.dead_lettered += 1
        return True

    def _log_failed(
        self, lane: _Lane, message: OutboundMessage, exc: Exception, *, outcome: str
    ) -> None:
        get_logger().error(
            "onestop.delivery.failed",
            message_id=message.id,
            transport=lane.name,
            destination=getattr(exc, "destination", None),
            attempt=lane.failures,
            status=getattr(exc, "status", None),
            error=type(exc).__name__,
            outcome=outcome,
        )
