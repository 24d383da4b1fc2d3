"""Master key rotation: every data key moves to the current master key, values stay readable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.exceptions import InvalidValue, KeyUnavailable
from onestop.ports.keys import WrappedKey
from onestop.privacy import Keyring, StaticKeyProvider
from onestop.privacy.cipher import new_master_key
from onestop.storage.memory import MemoryStore

LATER = datetime(2026, 4, 1, tzinfo=UTC)


def _all_keys(store: MemoryStore) -> dict[str, object]:
    return dict(store._subject_keys)  # the memory store's own table


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(0, 30), st.binary(max_size=20)), min_size=1, max_size=40),
    erased=st.sets(st.integers(0, 30), max_size=5),
    page=st.integers(1, 7),
)
def test_rotation_keeps_every_value_readable_and_moves_every_key(
    values: list[tuple[int, bytes]], erased: set[int], page: int
) -> None:
    """After rotation every live key is under the new master key and every value still opens."""
    old, new = new_master_key(), new_master_key()
    store = MemoryStore()
    before = Keyring(StaticKeyProvider({"mk-old": old}), store)
    sealed = [
        (f"app-{n}/applicant", v, before.seal(f"app-{n}/applicant", v, context=b"c"))
        for n, v in values
    ]
    before.blind_index("id-nik", "1")
    store.destroy_subject_keys([f"app-{n}/applicant" for n in erased], at=LATER)
    provider = StaticKeyProvider({"mk-old": old, "mk-new": new})
    report = Keyring(provider, store).rotate(page=page)
    live = [k for k in store._subject_keys.values() if k.wrapped is not None]
    assert report.current_key_id == "mk-new"
    assert report.total == report.rewrapped["mk-old"] == len(live)
    assert all(k.wrapped.master_key_id == "mk-new" for k in live)  # type: ignore[union-attr]
    after = Keyring(StaticKeyProvider({"mk-new": new}), store)
    for subject, value, token in sealed:
        expected = None if int(subject[4:].split("/")[0]) in erased else value
        assert after.open(subject, token, context=b"c") == expected
    assert after.blind_index("id-nik", "1") == before.blind_index("id-nik", "1")


def test_rotation_does_not_touch_events() -> None:
    """Rotation changes the wrapped keys only: the store's streams and log stay as they were."""
    store = MemoryStore()
    old = StaticKeyProvider({"mk-old": new_master_key()})
    Keyring(old, store).seal("a/applicant", b"x", context=b"c")
    streams, log = dict(store._streams), list(store._log)
    both = StaticKeyProvider({"mk-old": new_master_key(), "mk-new": new_master_key()})
    with pytest.raises(KeyUnavailable):  # not the same old key: nothing unwraps
        Keyring(both, store).rotate()
    assert (store._streams, store._log) == (streams, log)


def test_a_second_rotation_has_nothing_to_do() -> None:
    """Running rotation again after it finished rewraps nothing."""
    store, old, new = MemoryStore(), new_master_key(), new_master_key()
    Keyring(StaticKeyProvider({"mk-old": old}), store).seal("a/applicant", b"x", context=b"c")
    keyring = Keyring(StaticKeyProvider({"mk-old": old, "mk-new": new}), store)
    assert keyring.rotate().total == 1
    assert keyring.rotate().rewrapped == {"mk-old": 0}


def test_rotation_names_retired_keys_for_a_provider_that_lists_none() -> None:
    """A provider without key_ids needs the retired ids named; with them, rotation runs."""

    class Kms:
        current_key_id = "mk-new"

        def __init__(self) -> None:
            self.inner = StaticKeyProvider({"mk-old": bytes(32), "mk-new": bytes(range(32))})

        def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
            return self.inner.wrap(key, context=context)

        def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
            return self.inner.unwrap(wrapped, context=context)

    store = MemoryStore()
    Keyring(StaticKeyProvider({"mk-old": bytes(32)}), store).seal("a/applicant", b"x", context=b"c")
    with pytest.raises(InvalidValue) as refused:
        Keyring(Kms(), store).rotate()  # type: ignore[arg-type]
    assert refused.value.field == "retired"
    assert Keyring(Kms(), store).rotate(retired=["mk-old"]).total == 1  # type: ignore[arg-type]


def test_a_provider_that_still_wraps_with_the_retired_key_is_refused() -> None:
    """Rotating away from the key a provider still wraps with raises KeyUnavailable, not a loop."""
    store = MemoryStore()
    provider = StaticKeyProvider({"mk-1": bytes(32)})
    Keyring(provider, store).seal("a/applicant", b"x", context=b"c")

    class Stuck(StaticKeyProvider):
        @property
        def current_key_id(self) -> str:
            return "mk-2"

    stuck = Stuck({"mk-1": bytes(32)})
    with pytest.raises(KeyUnavailable, match="retired"):
        Keyring(stuck, store).rotate(retired=["mk-1"])
