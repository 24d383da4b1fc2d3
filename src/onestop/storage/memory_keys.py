"""The subject keys of the in-memory store: `MemorySubjectKeys`, a base of `MemoryStore`.

The executable specification of `onestop.ports.keys.SubjectKeyStore`, as plain as it
gets: a dict of `SubjectKey` values and a dict of blind index rows, under the store's
one lock.  The SQLite and PostgreSQL stores are checked against it by
`onestop.testing.key_contracts.SubjectKeyStoreContract`.

The rules every adapter keeps:

- `add_subject_keys` inserts the keys of subjects the store does not know and returns
  what it holds for each subject afterwards: a racing writer's key, or a tombstone.
- `destroy_subject_keys` forgets the wrapped bytes and keeps a tombstone (the subject
  and the instant of its first destruction); a subject the store never knew gets a
  tombstone too, so that no key can be added for it afterwards.
- `rewrap_subject_keys` replaces the wrapped bytes of live keys only.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import attrs

from onestop.ports.keys import SubjectKey
from onestop.storage._key_checks import (
    check_instant,
    check_keys,
    check_limit,
    check_subjects,
    check_text,
    readable,
)

__all__ = ["MemorySubjectKeys"]


class MemorySubjectKeys(abc.ABC):
    """The `onestop.ports.keys.SubjectKeyStore` methods of `onestop.storage.memory.MemoryStore`.

    Not used on its own: `MemoryStore` provides the lock, the tables and `_check_open`.
    """

    _lock: threading.Lock
    _subject_keys: dict[str, SubjectKey]
    _blind_index: dict[str, set[str]]

    @abc.abstractmethod
    def _check_open(self) -> None:
        """Raise `StorageError` if the store is closed (`MemoryStore` provides it)."""

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Store the keys of subjects not known yet; return what is stored for each afterwards.

        Raises:
            InvalidStoreInput: If a key is not a live `SubjectKey` a store keeps, or a
                subject is given twice.
        """
        checked = check_keys(keys)
        with self._lock:
            self._check_open()
            stored = self._subject_keys
            for key in checked:
                stored.setdefault(key.subject, key)
            return {key.subject: stored[key.subject] for key in checked}

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the stored keys (live or destroyed) of the *subjects* known."""
        wanted = readable(subjects)
        with self._lock:
            self._check_open()
            stored = self._subject_keys
            return {subject: stored[subject] for subject in wanted if subject in stored}

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Forget the wrapped keys of *subjects*, keeping tombstones; return how many were live."""
        wanted = check_subjects(subjects)
        check_instant("at", at)
        live = 0
        with self._lock:
            self._check_open()
            stored = self._subject_keys
            for subject in wanted:
                key = stored.get(subject)
                if key is None:
                    stored[subject] = SubjectKey(
                        subject=subject, wrapped=None, created_at=at, destroyed_at=at
                    )
                elif key.destroyed_at is None:
                    stored[subject] = attrs.evolve(key, wrapped=None, destroyed_at=at)
                    live += 1
        return live

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of the live keys among *keys*; return how many."""
        checked = check_keys(keys)
        done = 0
        with self._lock:
            self._check_open()
            stored = self._subject_keys
            for key in checked:
                old = stored.get(key.subject)
                if old is not None and old.destroyed_at is None:
                    stored[key.subject] = attrs.evolve(old, wrapped=key.wrapped)
                    done += 1
        return done

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return up to *limit* live keys wrapped by *master_key_id*, by subject."""
        check_text("master_key_id", master_key_id)
        check_limit(limit)
        with self._lock:
            self._check_open()
            stored = self._subject_keys
            found = sorted(
                (
                    key
                    for key in stored.values()
                    if key.wrapped is not None and key.wrapped.master_key_id == master_key_id
                ),
                key=lambda key: key.subject,
            )
        return tuple(found[:limit])

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that the blind index value *blind* leads to *subject* (once)."""
        check_text("blind", blind)
        check_text("subject", subject)
        with self._lock:
            self._check_open()
            index = self._blind_index
            index.setdefault(blind, set()).add(subject)

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects *blind* leads to, sorted."""
        (wanted,) = readable([blind], field="blind") or ("",)  # "" is never stored
        with self._lock:
            self._check_open()
            index = self._blind_index
            return tuple(sorted(index.get(wanted, ())))

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Remove the blind index rows of *subjects*; return how many were removed."""
        wanted = set(check_subjects(subjects))
        removed = 0
        with self._lock:
            self._check_open()
            index = self._blind_index
            for blind in list(index):
                gone = index[blind] & wanted
                removed += len(gone)
                index[blind] -= gone
                if not index[blind]:
                    del index[blind]
        return removed
