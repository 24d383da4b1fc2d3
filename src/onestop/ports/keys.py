"""The ports of personal data: wrapped data keys, master key providers, the key store.

A *subject* is one person within one application; personal values are sealed under
the subject's data key, which is stored wrapped by a master key.  Destroying the
data key erases the subject's data (crypto-shredding).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

__all__ = [
    "MasterKeyProvider",
    "PersonalDataKeys",
    "SubjectKey",
    "SubjectKeyStore",
    "WrappedKey",
]


@attrs.frozen(kw_only=True)
class WrappedKey:
    """A data key wrapped by a master key; the bytes are never shown in reprs."""

    master_key_id: str
    data: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class SubjectKey:
    """One subject's stored data key: wrapped, or destroyed (erased) at `destroyed_at`."""

    subject: str
    wrapped: WrappedKey | None  # None once destroyed
    created_at: datetime
    destroyed_at: datetime | None = None


class MasterKeyProvider(Protocol):
    """Wraps and unwraps data keys with master keys it never hands out (file, env, KMS)."""

    @property
    def current_key_id(self) -> str:
        """The id of the master key new data keys are wrapped with."""
        ...

    def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
        """Wrap *key* with the current master key, bound to *context*."""
        ...

    def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
        """Unwrap *wrapped*, bound to *context*; `KeyUnavailable` if it cannot."""
        ...


class SubjectKeyStore(Protocol):
    """Where wrapped data keys and the blind index live: the same store as the events."""

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Insert those absent; return what is stored for each subject afterwards."""
        ...

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the ones known (live or destroyed); absent subjects are absent."""
        ...

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Wipe the wrapped bytes (physically), keep a tombstone; return how many were live."""
        ...

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of live keys; never revive a destroyed one."""
        ...

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return live keys still wrapped by that master key (rotation pages through this)."""
        ...

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that *blind* (a blind index value) leads to *subject*."""
        ...

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects *blind* leads to."""
        ...

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Remove every blind index row of *subjects*; return how many there were."""
        ...


class PersonalDataKeys(Protocol):
    """What the stream core seals and opens personal values with (`onestop.privacy.Keyring`)."""

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        """Seal *plaintext* under the subject's data key (created on first use)."""
        ...

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        """Open *token*; ``None`` when the subject was erased."""
        ...

    def blind_index(self, scheme: str, number: str, /) -> str:
        """Return the keyed blind index of an identity number, in hexadecimal."""
        ...

    def forget(self, subjects: Collection[str], /) -> None:
        """Drop cached data keys of *subjects* (called on erasure)."""
        ...
