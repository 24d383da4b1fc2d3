"""The relay and its retry policy refuse arguments of the wrong kind with ConfigurationError.

A relay's parts are checked when it is built, and a retry policy's methods check their
arguments, so a wrong one never surfaces as a ``TypeError`` in the middle of a pass.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Any

import pytest

from onestop.exceptions import ConfigurationError, DeliveryFailed
from onestop.storage.memory import MemoryStore
from onestop.transport.base import OutboundMessage, Receipt
from onestop.transport.recording import RecordingTransport
from onestop.transport.relay import MAX_ATTEMPTS, Relay, RetryPolicy

RNG = random.Random(0)


@pytest.mark.parametrize("failures", [Decimal("1"), "1", 1.0, True, None])
def test_a_ceiling_needs_a_count_of_failures(failures: Any) -> None:
    """A Decimal, text, a float or a bool is not a count of failed attempts."""
    with pytest.raises(ConfigurationError):
        RetryPolicy().ceiling(failures)


@pytest.mark.parametrize("failures", [-(10**400), 0, 1, 10**400])
def test_any_count_of_failures_has_a_ceiling_within_the_cap(failures: int) -> None:
    """Counts below one are the first wait; huge ones the cap, without overflow."""
    assert 5.0 <= RetryPolicy().ceiling(failures) <= 3600.0


@pytest.mark.parametrize(
    "options",
    [
        {"retry_after": Decimal("NaN")},
        {"retry_after": float("nan")},
        {"retry_after": float("inf")},
        {"retry_after": "30"},
        {"retry_after": -1},
        {"rng": None},
        {"rng": 7},
    ],
)
def test_a_delay_needs_a_wait_and_a_source_of_jitter(options: dict[str, Any]) -> None:
    """A Retry-After that is NaN, infinite, text or negative, or no rng: refused."""
    with pytest.raises(ConfigurationError):
        RetryPolicy().delay(1, **({"rng": RNG} | options))


def test_a_huge_retry_after_waits_the_cap() -> None:
    """A receiver asking for more than the cap gets the cap, even as a huge integer."""
    assert RetryPolicy().delay(1, retry_after=10**400, rng=RNG) == 3600.0


@pytest.mark.parametrize("count", [float("nan"), True, "3", -1, MAX_ATTEMPTS + 1, 10**9])
def test_ceilings_needs_a_count_it_can_list(count: Any) -> None:
    """NaN, a bool, text, a negative count or more than MAX_ATTEMPTS: refused, not built."""
    with pytest.raises(ConfigurationError):
        RetryPolicy().ceilings(count)


@pytest.mark.parametrize(
    "settings",
    [{"max_attempts": MAX_ATTEMPTS + 1}, {"jitter": "no"}, {"jitter": None}, {"cap": 10**400}],
)
def test_a_policy_refuses_settings_it_cannot_keep(settings: dict[str, Any]) -> None:
    """More attempts than MAX_ATTEMPTS, a jitter that is not a bool, a cap beyond a float."""
    with pytest.raises(ConfigurationError):
        RetryPolicy(**settings)


def _relay(**options: Any) -> Relay:
    return Relay(MemoryStore(), {"inbox": RecordingTransport()}, **options)


@pytest.mark.parametrize("interval", ["1.0", 0, -1, float("nan"), 10**400, True])
def test_run_forever_needs_a_positive_poll_interval(interval: Any) -> None:
    """Text, zero, a negative, NaN, a huge integer or a bool: refused before any pass."""
    stop = threading.Event()
    stop.set()
    with pytest.raises(ConfigurationError):
        _relay().run_forever(stop, poll_interval=interval)


def test_run_forever_needs_a_stop_event() -> None:
    """A flag that is not an event cannot stop it."""
    with pytest.raises(ConfigurationError):
        _relay().run_forever(True)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"policy": "steady"},
        {"clock": object()},
        {"dead_letters": []},
        {"rng": "seed"},
        {"sleep": 3},
    ],
)
def test_a_relay_refuses_parts_that_lack_what_it_calls(options: dict[str, Any]) -> None:
    """A policy that is not a RetryPolicy, a clock without now(), a list as a sink, ..."""
    with pytest.raises(ConfigurationError):
        _relay(**options)


def test_a_relay_needs_a_store() -> None:
    """Something without a notification log is not a store."""
    with pytest.raises(ConfigurationError):
        Relay(None, {"inbox": RecordingTransport()})  # type: ignore[arg-type]


class Unsure:
    """A third-party transport whose failures carry a Retry-After that is no wait."""

    name = "unsure"

    def __init__(self, retry_after: object) -> None:
        self.retry_after = retry_after
        self.attempts = 0

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        self.attempts += 1
        raise DeliveryFailed(
            message_id=message.id,
            destination=self.name,
            reason="busy",
            retry_after=self.retry_after,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("retry_after", [float("nan"), "30", -5, Decimal("1")])
def test_a_transports_retry_after_that_is_no_wait_is_ignored(retry_after: object) -> None:
    """The relay schedules its own delay instead of failing its pass."""
    from onestop.testing.records import make_commit

    store = MemoryStore()
    store.commit(make_commit("a"))
    transport = Unsure(retry_after)
    relay = Relay(store, {"unsure": transport}, policy=RetryPolicy(jitter=False))
    report = relay.run_once()
    assert (report.retried, transport.attempts) == (1, 1)
    assert report.next_attempt_at is not None
