"""The port that rewrites one stream's history: `HistoryStore.rewrite_stream`.

Histories are append-only, with one exception: sealing the personal data of a store
written in plain text (`onestop.usecases.sealing_migration`) must replace every
event's stored body, and so every hash of its chain.  A store that can do that
implements `HistoryStore` besides `onestop.ports.events.EventStore`; every onestop
store does.

A rewrite replaces the bodies and hashes of a whole stream, version by version, in one
atomic write, and only if the stream's head is still the one the caller read
(compare-and-swap): an action recorded meanwhile is never lost.  Kinds, versions,
instants, read-model rows and notifications stay as they are (notifications never hold
a body).  `check_rewrite` refuses a malformed rewrite before any I/O, the same way on
every adapter: a new chain that does not verify from `onestop.domain.common.audit.GENESIS`
is never stored.

>>> from onestop.domain.common.audit import GENESIS, extend_chain
>>> entries = extend_chain([b'{"a":1}'], version=0, head=GENESIS)
>>> check_rewrite("app-1", expected_head="1" * 64, entries=entries)
>>> check_rewrite("app-1", expected_head="nope", entries=entries)
Traceback (most recent call last):
...
onestop.exceptions.InvalidStoreInput: expected_head: expected a SHA-256 hash in hex
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from onestop.domain.common.audit import SealedEntry, verify_chain
from onestop.domain.common.formats import SHA256_HEX, kind_of, text_problem
from onestop.exceptions import InvalidStoreInput
from onestop.ports.checks import MAX_STORED_BYTES, MAX_STORED_TEXT
from onestop.ports.events import StoredEvent

__all__ = ["HistoryStore", "check_rewrite"]


@runtime_checkable
class HistoryStore(Protocol):
    """A store that replaces one stream's stored history atomically, if its head has not moved."""

    def rewrite_stream(
        self, stream_id: str, /, *, expected_head: str, entries: Sequence[SealedEntry]
    ) -> tuple[StoredEvent, ...]:
        """Replace the body, hash and previous hash of each event of *stream_id*; return them.

        *entries* hold one entry per stored event, versions 1 to the stream's version,
        chained from `onestop.domain.common.audit.GENESIS` (`check_rewrite`).  All or
        nothing: each stored event keeps its kind, version and ``recorded_at``; the
        read-model row and the notification log are not touched.

        Raises:
            onestop.exceptions.HeadMoved: If the stream is empty, its last hash is not
                *expected_head*, or it does not hold exactly ``len(entries)`` events.
                Nothing is written.
            onestop.exceptions.InvalidStoreInput: If the rewrite is malformed
                (`check_rewrite`).  Nothing is written.
            onestop.exceptions.StorageError: If the adapter fails.
        """
        ...


def _fail(field: str, reason: str) -> InvalidStoreInput:
    return InvalidStoreInput(field=field, reason=reason)


def check_rewrite(stream_id: str, /, *, expected_head: str, entries: Sequence[SealedEntry]) -> None:
    """Refuse a rewrite no store accepts, before any I/O.

    The stream id must be text a store keeps, *expected_head* a SHA-256 hash, and
    *entries* a non-empty tuple or list of `SealedEntry` values with bodies a store keeps,
    forming one chain from `onestop.domain.common.audit.GENESIS` (versions 1, 2, ...).

    Raises:
        onestop.exceptions.InvalidStoreInput: Naming the field at fault.
    """
    problem = text_problem(stream_id, max_length=MAX_STORED_TEXT)
    if problem is not None:
        raise _fail("stream_id", problem)
    if not SHA256_HEX.matches(expected_head):
        raise _fail("expected_head", "expected a SHA-256 hash in hex")
    given: object = entries
    if not isinstance(given, tuple | list) or not given:
        raise _fail("entries", f"expected a non-empty tuple of SealedEntry, not {kind_of(given)}")
    for index, entry in enumerate(given):
        if not isinstance(entry, SealedEntry):
            raise _fail(f"entries[{index}]", f"expected a SealedEntry, not {kind_of(entry)}")
        if type(entry.body) is not bytes or len(entry.body) > MAX_STORED_BYTES:
            reason = f"expected bytes of at most {MAX_STORED_BYTES}"
            raise _fail(f"entries[{index}].body", reason)
    try:
        report = verify_chain(entries)
    except Exception:  # noqa: BLE001 - a malformed entry (a version that is no int, ...)
        raise _fail("entries", "do not form a chain") from None
    if not report.ok:
        raise _fail(f"entries[{report.first_bad}]", f"do not chain: {report.problem}")
