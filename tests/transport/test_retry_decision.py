"""`RetryPolicy.next_wait`: the one decision of whether and when a failed message goes again."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.exceptions import ConfigurationError
from onestop.transport.relay import RetryPolicy

waits = st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False)


@given(
    base=st.floats(min_value=0.01, max_value=100),
    extra=st.floats(min_value=0, max_value=1000),
    attempts=st.none() | st.integers(min_value=1, max_value=20),
    failures=st.integers(min_value=1, max_value=40),
    retry_after=waits,
    defer=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_wait_is_none_or_between_the_floor_and_the_cap(
    base: float,
    extra: float,
    attempts: int | None,
    failures: int,
    retry_after: float | None,
    defer: bool,
    seed: int,
) -> None:
    """next_wait is None exactly when attempts are spent (or, deferring, asked beyond the
    cap); otherwise a wait of at least the Retry-After (capped) and at most the cap."""
    policy = RetryPolicy(base=base, cap=base + extra, max_attempts=attempts)
    wait = policy.next_wait(failures, retry_after=retry_after, rng=random.Random(seed), defer=defer)
    spent = attempts is not None and failures >= attempts
    beyond = defer and retry_after is not None and retry_after > policy.cap
    if spent or beyond:
        assert wait is None
    else:
        assert wait is not None
        assert min(retry_after or 0.0, policy.cap) <= wait <= policy.cap


@pytest.mark.parametrize("asked", [float("nan"), float("inf"), -1.0, "120", True])
def test_a_retry_after_that_is_no_wait_is_ignored(asked: object) -> None:
    """A Retry-After that is not a number of seconds from 0 leaves the backoff as it is."""
    policy = RetryPolicy(base=2, cap=60, jitter=False)
    assert policy.next_wait(1, retry_after=asked) == 2.0


@pytest.mark.parametrize(
    "arguments", [{"failures": "1"}, {"failures": True}, {"defer": 1}, {"rng": "dice"}]
)
def test_arguments_of_the_wrong_kind_are_refused(arguments: dict[str, object]) -> None:
    """next_wait answers a failure count, a defer or an rng of the wrong kind with a typed error."""
    failures = arguments.pop("failures", 1)
    with pytest.raises(ConfigurationError):
        RetryPolicy().next_wait(failures, **arguments)  # type: ignore[arg-type]


def test_a_base_too_small_to_reach_the_cap_still_lists_its_ceilings() -> None:
    """With a base so small that no doubling reaches the cap, ceilings() ends at the last
    doubling instead of looping for ever."""
    ceilings = RetryPolicy(base=5e-324, jitter=False).ceilings()
    assert len(ceilings) == 63
    assert ceilings[-1] == RetryPolicy(base=5e-324).ceiling(10**6)
