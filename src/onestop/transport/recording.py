"""A transport that keeps what it is given, for tests and demonstrations.

`RecordingTransport` delivers nothing anywhere: it appends each message to a list.
It can be told to fail the next few attempts, transiently or for good, so that
the relay's retries, dead letters and halts can be shown without a network.

>>> from datetime import UTC, datetime
>>> transport = RecordingTransport()
>>> message = OutboundMessage(id="app-1:1", kind="submitted", stream_id="app-1", version=1,
...                           position=1, body=b"{}", recorded_at=datetime(2025, 3, 3, tzinfo=UTC))
>>> transport.fail(times=1, retry_after=30)
>>> transport.deliver(message)
Traceback (most recent call last):
...
onestop.exceptions.DeliveryFailed: delivery of 'app-1:1' to recording failed: told to fail
>>> transport.deliver(message)
Receipt(message_id='app-1:1', transport='recording', status=None)
>>> transport.ids(), transport.attempts
(['app-1:1'], ['app-1:1', 'app-1:1'])
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from onestop.domain.common.formats import int_problem
from onestop.exceptions import (
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    DeliveryTimeout,
    EndpointDisabled,
    TransportError,
)
from onestop.transport.base import OutboundMessage, Receipt, check_message

__all__ = ["RecordingTransport"]

_Failure = Callable[[OutboundMessage], TransportError]


class RecordingTransport:
    """A `onestop.transport.base.Transport` that records messages in memory.

    Safe to share between threads: a relay may run in one while a test reads in
    another.

    Args:
        name: The transport's name, shown in receipts and errors.

    Attributes:
        delivered: The messages delivered, in order (a retried message appears once
            per successful attempt, so duplicates show).
        attempts: The id of every message handed to `deliver`, failed attempts included.

    .. versionadded:: 0.1.0
    """

    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.delivered: list[OutboundMessage] = []
        self.attempts: list[str] = []
        self._failures: deque[_Failure] = deque()
        self._disabled = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show the counts, never the messages' bodies."""
        return (
            f"<RecordingTransport {self.name!r} delivered={len(self.delivered)} "
            f"attempts={len(self.attempts)}>"
        )

    def fail(
        self, *, times: int = 1, retry_after: float | None = None, timeout: bool = False
    ) -> None:
        """Make the next *times* attempts raise `onestop.exceptions.DeliveryFailed`.

        Args:
            times: How many attempts fail.
            retry_after: The seconds the failures ask to wait, as a ``Retry-After`` would.
            timeout: Raise `onestop.exceptions.DeliveryTimeout` instead.
        """
        kind = DeliveryTimeout if timeout else DeliveryFailed
        reason = "timed out" if timeout else "told to fail"

        def failure(message: OutboundMessage) -> TransportError:
            return kind(
                message_id=message.id,
                destination=self.name,
                reason=reason,
                retry_after=retry_after,
            )

        self._queue(failure, times)

    def reject(self, *, times: int = 1, status: int = 422) -> None:
        """Make the next *times* attempts raise `onestop.exceptions.DeliveryRejected`."""

        def failure(message: OutboundMessage) -> TransportError:
            return DeliveryRejected(
                message_id=message.id,
                destination=self.name,
                reason=f"HTTP {status}",
                status=status,
            )

        self._queue(failure, times)

    def disable(self) -> None:
        """Refuse every attempt with `onestop.exceptions.EndpointDisabled` until `enable`."""
        with self._lock:
            self._disabled = True

    def enable(self) -> None:
        """Take deliveries again after `disable`."""
        with self._lock:
            self._disabled = False

    def _queue(self, failure: _Failure, times: int) -> None:
        problem = int_problem(times, maximum=10**6)
        if problem is not None:
            raise ConfigurationError(f"times {problem}")
        with self._lock:
            self._failures.extend([failure] * times)

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        """Record *message*, or raise the failure queued for this attempt.

        Raises:
            onestop.exceptions.InvalidValue: If *message* is not an `OutboundMessage`.
        """
        check_message(message)
        with self._lock:
            self.attempts.append(message.id)
            if self._disabled:
                raise EndpointDisabled(destination=self.name, reason="disabled by the test")
            if self._failures:
                raise self._failures.popleft()(message)
            self.delivered.append(message)
        return Receipt(message_id=message.id, transport=self.name)

    def ids(self) -> list[str]:
        """Return the ids of the messages delivered, in order."""
        with self._lock:
            return [message.id for message in self.delivered]
