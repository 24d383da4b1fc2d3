"""A circuit breaker: stop calling an upstream that keeps failing, then probe it again.

One `CircuitBreaker` guards one upstream (one agency's back office).  It moves between
three states:

* **closed**: calls go through; each failure counts, each success resets the count;
  the *failure_threshold*-th consecutive failure opens the circuit;
* **open**: calls fail fast with `onestop.exceptions.CircuitOpen`, making no network
  call at all, until *reset_timeout* has passed on the breaker's clock;
* **half-open**: one call, the probe, goes through; while it runs, others fail fast.
  Its success closes the circuit, its failure opens it again for another
  *reset_timeout*.

The clock is injected (``time.monotonic`` by default), so tests drive the cool-down
with a fake one, never by sleeping:

>>> class FakeClock:
...     now = 0.0
...     def __call__(self) -> float:
...         return self.now
>>> clock = FakeClock()
>>> breaker = CircuitBreaker("dukcapil", failure_threshold=2, reset_timeout=30.0, clock=clock)
>>> breaker.before_call(); breaker.record_failure()
>>> breaker.before_call(); breaker.record_failure()
>>> breaker.state
<BreakerState.OPEN: 'open'>
>>> breaker.before_call()
Traceback (most recent call last):
...
onestop.exceptions.CircuitOpen: the circuit to 'dukcapil' is open; next probe in 30.0 s
>>> clock.now = 30.0
>>> breaker.state
<BreakerState.HALF_OPEN: 'half_open'>
>>> breaker.before_call(); breaker.record_success()
>>> breaker.state
<BreakerState.CLOSED: 'closed'>

What counts as a failure is the caller's choice: `onestop.transport.gateway.AgencyGateway`
counts timeouts, connection errors and 5xx/429 answers, never a 4xx refusal (the
agency answered, so it is up).  The breaker is safe to share between threads; it
keeps its state in memory, per process.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

from onestop.domain.common.formats import MAX_NAME, int_problem, text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import CircuitOpen, ConfigurationError

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(enum.Enum):
    """Where a `CircuitBreaker` stands."""

    CLOSED = "closed"
    """Calls go through; consecutive failures are counted."""
    OPEN = "open"
    """Calls fail fast until the cool-down is over."""
    HALF_OPEN = "half_open"
    """The cool-down is over, so the next call is a probe."""


class CircuitBreaker:
    """Guards calls to one upstream: closed, open after repeated failures, half-open to probe.

    Call `before_call` before each call to the upstream, then exactly one of
    `record_success` or `record_failure` once it is over.

    Args:
        name: What the breaker guards (an agency's code); named in `CircuitOpen`.
        failure_threshold: How many consecutive failures open the circuit; at least 1.
        reset_timeout: How many seconds it stays open before a probe is let through.
        clock: Returns the current time in seconds; only differences are used.

    Raises:
        onestop.exceptions.ConfigurationError: If *name* is not text of at most 200
            characters without control characters, *failure_threshold* is not an
            integer from 1 to 1,000,000, *reset_timeout* is not a number of seconds
            from 0 to `onestop.domain.common.kinds.MAX_SECONDS`, or *clock* is not callable.

    .. versionadded:: 0.1.0
    """

    __slots__ = (
        "_clock",
        "_failures",
        "_lock",
        "_name",
        "_opened_at",
        "_probe_started",
        "_reset_timeout",
        "_threshold",
    )

    def __init__(
        self,
        name: str,
        /,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        problem = int_problem(failure_threshold, minimum=1, maximum=10**6)
        if problem is not None:
            raise ConfigurationError(f"failure_threshold {problem}")
        problem = seconds_problem(reset_timeout)
        if problem is not None:
            raise ConfigurationError(f"reset_timeout {problem}")
        problem = text_problem(name, max_length=MAX_NAME)
        if problem is not None:
            raise ConfigurationError(f"a circuit breaker's name {problem}")
        if not callable(clock):
            raise ConfigurationError("a circuit breaker needs a clock function")
        self._name = name
        self._threshold = failure_threshold
        self._reset_timeout = float(reset_timeout)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_started: float | None = None

    def __repr__(self) -> str:
        """Show the name, the state and the failure count."""
        return (
            f"<CircuitBreaker {self._name!r} {self.state.value}"
            f" failures={self._failures}/{self._threshold}>"
        )

    @property
    def name(self) -> str:
        """What the breaker guards."""
        return self._name

    @property
    def failures(self) -> int:
        """The number of consecutive failures counted since the last success."""
        return self._failures

    @property
    def state(self) -> BreakerState:
        """The state now (an open circuit whose cool-down is over reads as half-open)."""
        with self._lock:
            return self._state(self._clock())

    def _state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if now - self._opened_at < self._reset_timeout:
            return BreakerState.OPEN
        # A probe whose outcome was never reported is given up after one more cool-down.
        if self._probe_started is not None and now - self._probe_started < self._reset_timeout:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def before_call(self) -> None:
        """Let a call through, or refuse it at once.

        In the half-open state, the call let through becomes the probe, and the circuit
        counts as open for every other caller until `record_success` or
        `record_failure` reports the probe's outcome.

        Raises:
            onestop.exceptions.CircuitOpen: If the circuit is open (or a probe is
                running); no call must be made.
        """
        with self._lock:
            now = self._clock()
            state = self._state(now)
            if state is BreakerState.CLOSED:
                return
            if state is BreakerState.HALF_OPEN:
                self._probe_started = now
                return
            assert self._opened_at is not None  # noqa: S101 - open implies a start time
            started = self._opened_at if self._probe_started is None else self._probe_started
            left = max(self._reset_timeout - (now - started), 0.0)
            raise CircuitOpen(upstream=self._name, retry_after=round(left, 3))

    def record_success(self) -> None:
        """Report that the call succeeded: the count resets, and the circuit closes."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_started = None

    def record_failure(self) -> None:
        """Report that the call failed: a failed probe, or one failure too many, opens it."""
        with self._lock:
            self._failures += 1
            if self._probe_started is not None or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._probe_started = None

    def reset(self) -> None:
        """Close the circuit and forget the failures (an operator's override)."""
        self.record_success()
