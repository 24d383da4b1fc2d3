"""The ports of personal data keys: master key providers, subject key stores, the keyring.

Personal values in stored events are sealed per data subject (one person within one
application, ``"<application_id>/applicant"``): `PersonalDataKeys` seals and opens
them; its data keys are kept wrapped by a `MasterKeyProvider` in a `SubjectKeyStore`.
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
    wrapped: WrappedKey | None
    created_at: datetime
    destroyed_at: datetime | None = None


class MasterKeyProvider(Protocol):
    """Wraps and unwraps data keys with master keys it never hands out (file, env, KMS)."""

    @property
    def current_key_id(self) -> str:
        """The id of the master key new data keys are wrapped with."""
        ...

    def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
        """Wrap data *key*, bound to *context*."""
        ...

    def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
        """Unwrap *wrapped*; `onestop.exceptions.KeyUnavailable` if it cannot."""
        ...


class SubjectKeyStore(Protocol):
    """Where wrapped data keys and the blind index live: the same store as the events."""

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Insert the keys of subjects absent; return what is stored for each afterwards."""
        ...

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """The keys known of *subjects* (live or destroyed); absent subjects are absent."""
        ...

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Wipe the wrapped bytes, keep a tombstone; return how many were live."""
        ...

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of live keys; never revive a destroyed one."""
        ...

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Live keys still wrapped by *master_key_id*, at most *limit*."""
        ...

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that *subject* has the blind index *blind*."""
        ...

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """The subjects recorded under the blind index *blind*."""
        ...

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Remove every blind index row of *subjects*; return how many went."""
        ...


class PersonalDataKeys(Protocol):
    """What the stream core seals and opens personal values with (`onestop.privacy.Keyring`)."""

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        """Seal *plaintext* for *subject*: an ASCII token, deterministic (AES-SIV)."""
        ...

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        """Open *token*; ``None`` when the subject was erased."""
        ...

    def blind_index(self, scheme: str, number: str, /) -> str:
        """A keyed HMAC-SHA256 of the normalised ``scheme:number``, in hex."""
        ...

    def forget(self, subjects: Collection[str], /) -> None:
        """Drop cached data keys of *subjects* (called on erasure)."""
        ...
