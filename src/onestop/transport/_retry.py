"""Whether and when a failed message is tried again: `RetryPolicy`, and its loop.

Private to `onestop.transport.relay`, which exports `RetryPolicy`; import it from
there.  Its settings are checked when it is built, and its methods check their
arguments, so that a wrong one is a `onestop.exceptions.ConfigurationError`, never a
``TypeError`` in the middle of a relay's pass.

`RetryPolicy.next_wait` is the one place that decides "again or not, and after how
long", for the relay's schedule and for the transports that retry within one
delivery (`retrying`, the loop of the agency gateway and of the webhook transport).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TypeVar

import attrs

from onestop.domain.common.formats import int_problem, kind_of
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import ConfigurationError, DeliveryFailed
from onestop.transport.base import get_logger

__all__ = ["MAX_ATTEMPTS", "ONCE", "RetryPolicy", "in_delivery", "retrying"]

T = TypeVar("T")
_RNG = random.Random()  # noqa: S311 - jitter, not secrets

_MAX_EXPONENT = 62  # 2**62 seconds is far past any cap; keeps the float finite

MAX_ATTEMPTS = 10_000
"""The most attempts a `RetryPolicy` allows per message (``None`` tries for ever)."""


def _seconds(value: object) -> float:
    """Convert a wait to a float: a number of seconds above 0 (`seconds_problem`)."""
    problem = seconds_problem(value, positive=True)
    if problem is not None:
        raise ConfigurationError(f"a wait {problem}")
    return float(value)  # type: ignore[arg-type]  # seconds_problem() proved it a number


def _at_least_one(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None:
        problem = int_problem(value, minimum=1, maximum=MAX_ATTEMPTS)
        if problem is not None:
            raise ConfigurationError(f"{attribute.name} {problem}")


def _flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{attribute.name} must be True or False, not {kind_of(value)}")


def _failures(value: object) -> int:
    """Return *value*, a count of failed attempts: any `int` (not a `bool`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"failures must be an integer, not {kind_of(value)}")
    return value


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When to try a failed message again: exponential backoff with full jitter.

    After the *n*-th failed attempt in a row, the wait before the next one is drawn
    uniformly from ``[0, min(cap, base * 2 ** (n - 1))]`` ("full jitter"), so that
    many relays failing together spread out; with ``jitter=False`` it is that ceiling
    exactly.  A ``Retry-After`` from the receiver is a floor: the wait is at least
    that many seconds, but never more than *cap*.

    >>> RetryPolicy().ceilings()
    (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 3600.0)

    Attributes:
        base: The ceiling of the first wait, in seconds.
        cap: The largest wait, in seconds, ``Retry-After`` included.
        max_attempts: Attempts per message, the first included, after which a message
            that still fails becomes a dead letter; ``None`` (the default) tries until
            it goes through, every *cap* seconds at most.
        jitter: Whether waits are drawn at random below their ceiling.

    Raises:
        onestop.exceptions.ConfigurationError: If *base* or *cap* is not a number of
            seconds above 0 (and at most `onestop.domain.common.kinds.MAX_SECONDS`), *cap*
            is below *base*, *max_attempts* is not an integer from 1 to
            `MAX_ATTEMPTS` (a `bool` is not one), or *jitter* is not a `bool`.

    .. versionadded:: 0.1.0
    """

    base: float = attrs.field(default=5.0, converter=_seconds)
    cap: float = attrs.field(default=3600.0, converter=_seconds)
    max_attempts: int | None = attrs.field(default=None, validator=_at_least_one)
    jitter: bool = attrs.field(default=True, validator=_flag)

    def __attrs_post_init__(self) -> None:
        """Check that the cap is not below the base."""
        if self.cap < self.base:
            raise ConfigurationError("cap must not be below base")

    def ceiling(self, failures: int, /) -> float:
        """Return the longest wait after *failures* failed attempts in a row (at least 1).

        Raises:
            onestop.exceptions.ConfigurationError: If *failures* is not an `int` (a
                `bool` is not one).
        """
        exponent = min(max(_failures(failures), 1) - 1, _MAX_EXPONENT)
        return min(self.cap, self.base * 2.0**exponent)

    def delay(
        self, failures: int, /, *, retry_after: float | None = None, rng: random.Random
    ) -> float:
        """Return how many seconds to wait after *failures* failed attempts in a row.

        Args:
            failures: How many attempts at this message have failed, from 1.
            retry_after: The seconds the receiver asked to wait, if it did.
            rng: Where the jitter is drawn from.

        Raises:
            onestop.exceptions.ConfigurationError: If *failures* is not an `int`,
                *retry_after* is not ``None`` or a number of seconds from 0 (NaN and
                infinity are not), or *rng* has no ``uniform`` method.
        """
        ceiling = self.ceiling(failures)
        if retry_after is not None:
            problem = seconds_problem(retry_after, maximum=math.inf)
            if problem is not None:
                raise ConfigurationError(f"retry_after {problem}")
        if not callable(getattr(rng, "uniform", None)):
            raise ConfigurationError(f"rng must be a random.Random, not {kind_of(rng)}")
        wait = rng.uniform(0.0, ceiling) if self.jitter else ceiling
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return float(wait)

    def next_wait(
        self,
        failures: int,
        /,
        *,
        retry_after: object = None,
        rng: random.Random | None = None,
        defer: bool = False,
    ) -> float | None:
        """Decide whether to try again after *failures* failed attempts in a row, and when.

        ``None`` means no attempt now: *failures* reached `max_attempts`, or, with
        *defer*, the receiver's *retry_after* is longer than `cap` (a transport that
        retries within one delivery then leaves the message to the relay, which
        waits).  Otherwise the seconds to wait, as `delay` draws them: the backoff,
        at least *retry_after*, at most `cap`.  A *retry_after* that is no wait (not a
        number, negative, NaN, infinite) is ignored.

        >>> policy = RetryPolicy(base=0.5, cap=8.0, max_attempts=3, jitter=False)
        >>> policy.next_wait(1), policy.next_wait(1, retry_after=3.0), policy.next_wait(3)
        (0.5, 3.0, None)
        >>> policy.next_wait(1, retry_after=120), policy.next_wait(1, retry_after=120, defer=True)
        (8.0, None)

        Args:
            failures: How many attempts at this message have failed, from 1.
            retry_after: The seconds the receiver asked to wait (a
                `onestop.exceptions.DeliveryFailed`'s ``retry_after``), if it did.
            rng: Where the jitter is drawn from (a shared ``random.Random`` if ``None``).
            defer: Whether a *retry_after* above `cap` means no attempt now.

        Raises:
            onestop.exceptions.ConfigurationError: If *failures* is not an `int`, *rng*
                has no ``uniform`` method, or *defer* is not a `bool`.
        """
        spent = _failures(failures)
        if not isinstance(defer, bool):
            raise ConfigurationError(f"defer must be True or False, not {kind_of(defer)}")
        asked = None if seconds_problem(retry_after, maximum=math.inf) else retry_after
        if self.max_attempts is not None and spent >= self.max_attempts:
            return None
        # compared as given: float() of an integer of 400 digits overflows
        if defer and asked is not None and asked > self.cap:  # type: ignore[operator]
            return None
        return self.delay(spent, retry_after=asked, rng=_RNG if rng is None else rng)  # type: ignore[arg-type]

    def ceilings(self, count: int | None = None) -> tuple[float, ...]:
        """Return the ceilings of the first *count* waits.

        By default, of every wait up to the last attempt; without `max_attempts`, of
        every wait up to the first that reaches the cap (all later ones equal it).

        Raises:
            onestop.exceptions.ConfigurationError: If *count* is not ``None`` or an
                integer from 0 to `MAX_ATTEMPTS`.
        """
        if count is not None:
            problem = int_problem(count, maximum=MAX_ATTEMPTS)
            if problem is not None:
                raise ConfigurationError(f"count {problem}")
        if count is None and self.max_attempts is not None:
            count = self.max_attempts - 1
        if count is not None:
            return tuple(self.ceiling(n) for n in range(1, count + 1))
        found = [self.ceiling(1)]
        # Up to the cap, or to the last doubling (a base so small that the largest
        # exponent stays below the cap: every later wait equals that one).
        while found[-1] < self.cap and len(found) <= _MAX_EXPONENT:
            found.append(self.ceiling(len(found) + 1))
        return tuple(found)


def retrying(
    attempt: Callable[[], T | DeliveryFailed],
    /,
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
    message_id: str,
    transport: str,
    rng: random.Random | None = None,
) -> T:
    """Call *attempt* until it returns a result, as *policy* allows; the transports' loop.

    *attempt* returns its result, or the `onestop.exceptions.DeliveryFailed` worth
    another attempt (anything it raises ends the loop).  After each failure,
    `RetryPolicy.next_wait` (with *defer*: a longer ``Retry-After`` than the cap is
    left to the relay) says how long to *sleep*, or that the last failure is raised.
    Each retry is logged with ids, the status and the wait, never a body.
    """
    failures = 0
    while True:
        outcome = attempt()
        if not isinstance(outcome, DeliveryFailed):
            return outcome
        failures += 1
        wait = policy.next_wait(failures, retry_after=outcome.retry_after, rng=rng, defer=True)
        if wait is None:
            raise outcome  # the relay logs it and schedules the next try
        get_logger().warning(
            "onestop.delivery.retry_scheduled",
            message_id=message_id,
            transport=transport,
            destination=outcome.destination,
            attempt=failures,
            status=outcome.status,
            delay=wait,
            error=type(outcome).__name__,
        )
        sleep(wait)


ONCE = RetryPolicy(max_attempts=1)
"""A transport's policy when it is given none: one attempt, and the relay tries again later."""


def in_delivery(retry: object, *, sleep: object, default: RetryPolicy = ONCE) -> RetryPolicy:
    """Check a transport's ``retry=`` and ``sleep=``; return the policy (*default* if ``None``).

    Raises:
        onestop.exceptions.ConfigurationError: If *retry* is neither ``None`` nor a
            `RetryPolicy` with `RetryPolicy.max_attempts` (a transport retries within
            one delivery; the relay is the one that tries for ever), or *sleep* is not
            a function.
    """
    if not callable(sleep):
        raise ConfigurationError(f"sleep must be a function, not {kind_of(sleep)}")
    if retry is None:
        return default
    if not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, not {kind_of(retry)}")
    if retry.max_attempts is None:
        raise ConfigurationError(
            "a transport's retry policy needs max_attempts: it retries within one delivery,"
            " and the relay tries again later"
        )
    return retry
