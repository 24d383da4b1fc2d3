"""The key cache policy: hits spare the provider, entries expire (TTL) and are evicted (LRU)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_support import HandClock

from onestop.exceptions import InvalidValue
from onestop.privacy import KeyCachePolicy, Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.testing.key_providers import CountingKeyProvider


def _sealed(keyring: Keyring, *subjects: str) -> dict[str, str]:
    return {s: keyring.seal(s, b"v", context=b"c") for s in subjects}


def _fresh(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock, **policy: object
) -> Keyring:
    return Keyring(provider, store, cache=KeyCachePolicy(**policy), clock=clock)  # type: ignore[arg-type]


def test_a_made_key_is_cached_without_an_unwrap(
    keyring: Keyring, provider: CountingKeyProvider
) -> None:
    """Sealing for a new subject wraps its key once; sealing and opening again calls nothing."""
    token = keyring.seal("a/applicant", b"v", context=b"c")
    for _ in range(5):
        keyring.seal("a/applicant", b"w", context=b"c")
        keyring.open("a/applicant", token, context=b"c")
    assert (provider.wraps, provider.unwraps) == (1, 0)


def test_a_stored_key_is_unwrapped_once_then_served_from_the_cache(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """A keyring opening a stored subject's values unwraps its key once, however often it opens."""
    tokens = _sealed(_fresh(provider, store, clock), "a/applicant")
    reader = _fresh(provider, store, clock, max_keys=10)
    for _ in range(5):
        assert reader.open("a/applicant", tokens["a/applicant"], context=b"c") == b"v"
    assert provider.unwraps == 1


def test_a_key_is_unwrapped_again_once_its_ttl_ran_out(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """A cached key older than the TTL is dropped, so the next use unwraps it again."""
    tokens = _sealed(_fresh(provider, store, clock), "a/applicant")
    reader = _fresh(provider, store, clock, ttl=timedelta(minutes=5))
    reader.open("a/applicant", tokens["a/applicant"], context=b"c")
    clock.advance(timedelta(minutes=4, seconds=59))
    reader.open("a/applicant", tokens["a/applicant"], context=b"c")
    assert provider.unwraps == 1
    clock.advance(timedelta(seconds=1))
    reader.open("a/applicant", tokens["a/applicant"], context=b"c")
    assert provider.unwraps == 2


def test_the_least_recently_used_key_is_evicted_first(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """With max_keys 2, using a third subject evicts the least recently used of the other two."""
    tokens = _sealed(_fresh(provider, store, clock), "a/applicant", "b/applicant", "c/applicant")
    reader = _fresh(provider, store, clock, max_keys=2)
    for subject in ("a/applicant", "b/applicant", "a/applicant", "c/applicant"):
        reader.open(subject, tokens[subject], context=b"c")
    assert provider.unwraps == 3
    reader.open("a/applicant", tokens["a/applicant"], context=b"c")  # kept: used recently
    assert provider.unwraps == 3
    reader.open("b/applicant", tokens["b/applicant"], context=b"c")  # evicted
    assert provider.unwraps == 4


def test_forget_drops_the_cached_key(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """After forget, a subject's next use reads its key from the store again."""
    tokens = _sealed(_fresh(provider, store, clock), "a/applicant", "b/applicant")
    reader = _fresh(provider, store, clock)
    for subject, token in tokens.items():
        reader.open(subject, token, context=b"c")
    reader.forget(["a/applicant", "never/applicant"])
    for subject, token in tokens.items():
        reader.open(subject, token, context=b"c")
    assert provider.unwraps == 3


def test_a_cached_key_survives_destruction_until_forgotten(
    keyring: Keyring, store: MemoryStore, clock: HandClock
) -> None:
    """Destroying a key in the store does not reach a keyring's cache: forget is what erases it."""
    token = keyring.seal("a/applicant", b"v", context=b"c")
    store.destroy_subject_keys(["a/applicant"], at=clock.now())
    assert keyring.open("a/applicant", token, context=b"c") == b"v"
    keyring.forget(["a/applicant"])
    assert keyring.open("a/applicant", token, context=b"c") is None


def test_max_keys_zero_caches_nothing(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """With max_keys 0 every open unwraps the key again."""
    tokens = _sealed(_fresh(provider, store, clock), "a/applicant")
    reader = _fresh(provider, store, clock, max_keys=0)
    for _ in range(3):
        reader.open("a/applicant", tokens["a/applicant"], context=b"c")
    assert provider.unwraps == 3


def test_an_erased_subject_is_cached_as_erased(
    provider: CountingKeyProvider, store: MemoryStore, clock: HandClock
) -> None:
    """Opening an erased subject's values twice reads the store once."""
    keyring = _fresh(provider, store, clock)
    store.destroy_subject_keys(["a/applicant"], at=clock.now())
    reads = []
    original = store.subject_keys
    store.subject_keys = lambda subjects: reads.append(subjects) or original(subjects)  # type: ignore[method-assign]
    assert keyring.open("a/applicant", "s1.x", context=b"c") is None
    assert keyring.open("a/applicant", "s1.x", context=b"c") is None
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_keys": -1}, "max_keys"),
        ({"max_keys": True}, "max_keys"),
        ({"ttl": timedelta(days=2)}, "ttl"),
        ({"ttl": 300}, "ttl"),
        ({"ttl": -timedelta(1)}, "ttl"),
    ],
)
def test_a_policy_out_of_range_is_an_invalid_value(options: dict[str, object], field: str) -> None:
    """A negative or boolean size, or a TTL that is not a timedelta within a day, is refused."""
    with pytest.raises(InvalidValue) as refused:
        KeyCachePolicy(**options)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_keyring_refuses_a_policy_that_is_not_one() -> None:
    """Keyring's cache must be a KeyCachePolicy."""
    with pytest.raises(InvalidValue, match="KeyCachePolicy"):
        Keyring(StaticKeyProvider.generate(), MemoryStore(), cache={"max_keys": 1})  # type: ignore[arg-type]
