"""A master key provider for tests and benchmarks: counts its calls, may be slow.

`CountingKeyProvider` wraps another `onestop.ports.keys.MasterKeyProvider` and counts
`wrap` and `unwrap` calls, so a test can see that the keyring's cache spared a call;
with *latency* it sleeps before each call, standing in for a key management service
a network hop away (the benchmarks give it 1 ms).

>>> from onestop.privacy import Keyring, StaticKeyProvider
>>> from onestop.storage.memory import MemoryStore
>>> provider = CountingKeyProvider(StaticKeyProvider.generate())
>>> keyring = Keyring(provider, MemoryStore())
>>> token = keyring.seal("a/applicant", b"x", context=b"a")
>>> _ = keyring.open("a/applicant", token, context=b"a")
>>> provider.wraps, provider.unwraps
(1, 0)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from onestop.ports.keys import MasterKeyProvider, WrappedKey

__all__ = ["CountingKeyProvider"]


class CountingKeyProvider:
    """A provider that counts the calls it passes on to *inner*, after *latency* seconds."""

    def __init__(
        self,
        inner: MasterKeyProvider,
        /,
        *,
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Pass calls on to *inner*, each after sleeping *latency* seconds."""
        self.inner = inner
        self.latency = latency
        self._sleep = sleep
        self._lock = threading.Lock()
        self.wraps = 0
        self.unwraps = 0

    def __repr__(self) -> str:
        """Show the counts and the inner provider, never a key."""
        return f"<CountingKeyProvider wraps={self.wraps} unwraps={self.unwraps} {self.inner!r}>"

    @property
    def current_key_id(self) -> str:
        """The inner provider's current key id."""
        return self.inner.current_key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The inner provider's key ids, if it lists them (else the current one)."""
        found = getattr(self.inner, "key_ids", None)
        return tuple(found) if found is not None else (self.inner.current_key_id,)

    def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
        """Count, wait, and wrap with the inner provider."""
        with self._lock:
            self.wraps += 1
        if self.latency:
            self._sleep(self.latency)
        return self.inner.wrap(key, context=context)

    def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
        """Count, wait, and unwrap with the inner provider."""
        with self._lock:
            self.unwraps += 1
        if self.latency:
            self._sleep(self.latency)
        return self.inner.unwrap(wrapped, context=context)
