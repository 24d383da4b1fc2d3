"""The in-memory event store: dicts and a lock; the executable specification of the ports.

`MemoryStore` does exactly what `onestop.ports.events.EventStore`,
`onestop.ports.events.BatchStore`, `onestop.ports.catalogue.CatalogueStore`,
`onestop.ports.keys.SubjectKeyStore` and `onestop.ports.history.HistoryStore` promise
and nothing more, in the plainest way:
every method takes one lock, so a `commit` (or `commit_batch`, or
`publish_catalogue`) is atomic and isolated, and every record it hands out is a frozen
value, so callers cannot change what is stored.  Other adapters are checked
against it.  Data lives as long as the object does.

>>> from datetime import UTC, datetime
>>> from onestop.ports.events import Commit, NewEvent, Summary
>>> store = MemoryStore()
>>> now = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
>>> summary = Summary(
...     stream_id="app-1", number="N/1", service="s", service_version=1, agency="a",
...     channel="online", state="submitted", assignee=None, received=now, due=None,
...     at_risk_from=None, suspended=False, closed=False, version=1, updated_at=now,
... )
>>> event = NewEvent(kind="submitted", body=b"{}", hash="1" * 64, previous_hash="0" * 64,
...                  notice=b"{}")
>>> [e.version for e in store.commit(Commit(
...     stream_id="app-1", expected_version=0, events=(event,), summary=summary,
...     recorded_at=now))]
[1]
>>> store.commit(Commit(stream_id="app-1", expected_version=0, events=(event,),
...                     summary=summary, recorded_at=now))
Traceback (most recent call last):
...
onestop.exceptions.ConcurrencyConflict: stream 'app-1' is at version 1, not 0; reload and retry
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

import attrs

from onestop.domain.common.audit import SealedEntry
from onestop.exceptions import ConcurrencyConflict, HeadMoved, InvalidStoreInput, StorageError
from onestop.ports.catalogue import (
    CatalogueVersion,
    CatalogueVersionInfo,
    check_listing,
    check_publication,
    check_version_number,
    next_catalogue_version,
)
from onestop.ports.checks import (
    READ_MODEL_ROW,
    check_batch,
    check_commit,
    check_consumer,
    check_position,
    check_query,
    notification_window,
    read_after,
)
from onestop.ports.events import (
    MAX_PAGE,
    Batch,
    ClosingContext,
    Commit,
    IdempotencyRecord,
    Notification,
    Page,
    SortKey,
    StoredEvent,
    Summary,
    SummaryOrder,
    SummaryQuery,
    decode_cursor,
    encode_cursor,
    storable_text,
)
from onestop.ports.history import check_rewrite
from onestop.ports.keys import (
    SubjectKey,
    check_destruction,
    check_index_row,
    check_key_page,
    check_subject_keys,
    check_subjects,
    lookup_blind,
    lookup_subjects,
)
from onestop.storage.memory_staff import MemoryStaff

__all__ = ["MAX_PAGE", "MemoryStore"]

"""The largest page `MemoryStore.summaries` returns."""

_FAR = datetime.max.replace(tzinfo=UTC)


class MemoryStore(MemoryStaff, ClosingContext):
    """An `onestop.ports.events.EventStore` and catalogue store in memory; threads may share it.

    It keeps subjects' data keys and the blind index too
    (`onestop.ports.keys.SubjectKeyStore`): the executable specification of that port;
    and staff secrets, sign-in failures and the access record
    (`onestop.ports.staff.StaffStore`, in `onestop.storage.memory_staff`).
    """

    def __init__(self) -> None:
        """Create an empty store."""
        self._lock = threading.Lock()
        self._streams: dict[str, tuple[StoredEvent, ...]] = {}
        self._summaries: dict[str, Summary] = {}
        self._numbers: dict[str, str] = {}
        self._keys: dict[str, IdempotencyRecord] = {}
        self._sequences: dict[str, int] = {}
        self._log: list[Notification] = []
        self._positions: dict[str, int] = {}
        self._catalogues: list[CatalogueVersion] = []
        self._subject_keys: dict[str, SubjectKey] = {}
        self._blind: dict[str, dict[str, None]] = {}
        self._init_staff()
        self._closed = False

    def __repr__(self) -> str:
        """Show the size of the store, never its content."""
        return f"<MemoryStore streams={len(self._streams)} notifications={len(self._log)}>"

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the store is closed")

    def commit(self, commit: Commit, /) -> tuple[StoredEvent, ...]:
        """Apply *commit* atomically; see `onestop.ports.events.EventStore.commit`."""
        check_commit(commit)
        with self._lock:
            self._check_open()
            stream = self._streams.get(commit.stream_id, ())
            if len(stream) != commit.expected_version:
                raise ConcurrencyConflict(
                    stream_id=commit.stream_id,
                    expected=commit.expected_version,
                    actual=len(stream),
                )
            self._check_claims(commit)
            stored = tuple(
                StoredEvent(
                    stream_id=commit.stream_id,
                    version=commit.expected_version + offset,
                    kind=event.kind,
                    body=event.body,
                    hash=event.hash,
                    previous_hash=event.previous_hash,
                    recorded_at=commit.recorded_at,
                )
                for offset, event in enumerate(commit.events, start=1)
            )
            # Nothing below can fail: the commit is applied whole.
            self._streams[commit.stream_id] = stream + stored
            previous = self._summaries.get(commit.stream_id)
            if previous is not None and previous.number != commit.summary.number:
                del self._numbers[previous.number]  # a renumbered stream keeps one number
            self._summaries[commit.stream_id] = commit.summary
            self._numbers[commit.summary.number] = commit.stream_id
            if commit.idempotency is not None:
                self._keys[commit.idempotency.key] = commit.idempotency
            if commit.sequence is not None:
                self._sequences[commit.sequence.name] = commit.sequence.value
            for event, record in zip(commit.events, stored, strict=True):
                self._log.append(
                    Notification(
                        position=len(self._log) + 1,
                        stream_id=commit.stream_id,
                        version=record.version,
                        kind=record.kind,
                        body=event.notice,
                        recorded_at=commit.recorded_at,
                    )
                )
            return stored

    def _check_claims(self, commit: Commit) -> None:
        key = commit.idempotency
        if key is not None and key.key in self._keys:
            raise ConcurrencyConflict(stream_id=key.key, expected=0, actual=1)
        claim = commit.sequence
        if claim is not None:
            current = self._sequences.get(claim.name, 0)
            if current != claim.value - 1:
                raise ConcurrencyConflict(
                    stream_id=claim.name, expected=claim.value - 1, actual=current
                )
        owner = self._numbers.get(commit.summary.number)
        if owner is not None and owner != commit.stream_id:
            raise StorageError("another stream already holds this application number")

    def read(self, stream_id: str, /, *, after: int = 0) -> tuple[StoredEvent, ...]:
        """Return the stream's events above version *after*, in order."""
        start = read_after(after)
        with self._lock:
            self._check_open()
            if not storable_text(stream_id):  # as in a database: no such key is stored
                return ()
            return self._streams.get(stream_id, ())[start:]

    def rewrite_stream(
        self, stream_id: str, /, *, expected_head: str, entries: Sequence[SealedEntry]
    ) -> tuple[StoredEvent, ...]:
        """Replace the stream's bodies and hashes; see `onestop.ports.history.HistoryStore`."""
        check_rewrite(stream_id, expected_head=expected_head, entries=entries)
        with self._lock:
            self._check_open()
            stream = self._streams.get(stream_id, ())
            if not stream or stream[-1].hash != expected_head or len(stream) != len(entries):
                raise HeadMoved(stream_id=stream_id, expected=len(entries), actual=len(stream))
            rewritten = tuple(
                attrs.evolve(old, body=new.body, hash=new.hash, previous_hash=new.previous)
                for old, new in zip(stream, entries, strict=True)
            )
            self._streams[stream_id] = rewritten
            return rewritten

    def summary(self, stream_id: str, /) -> Summary | None:
        """Return the stream's read-model row, or ``None``."""
        with self._lock:
            self._check_open()
            return self._summaries.get(stream_id) if storable_text(stream_id) else None

    def find_number(self, number: str, /) -> Summary | None:
        """Return the row of the application numbered *number*, or ``None``."""
        with self._lock:
            self._check_open()
            stream_id = self._numbers.get(number) if storable_text(number) else None
            return self._summaries.get(stream_id) if stream_id is not None else None

    def summaries(self, query: SummaryQuery, /) -> Page:
        """Return one page of the rows matching *query*; see `onestop.ports.events.EventStore`."""
        query = check_query(query)
        after = decode_cursor(query.cursor, query.order)
        with self._lock:
            self._check_open()
            rows = [s for s in self._summaries.values() if _matches(s, query)]
        keyed = sorted(((_sort_key(s, query.order), s) for s in rows), key=lambda pair: pair[0])
        if after is not None:
            keyed = [pair for pair in keyed if pair[0] > after]
        page = keyed[: query.limit]
        more = len(keyed) > query.limit
        cursor = encode_cursor(page[-1][0], query.order) if more and page else None
        return Page(items=tuple(s for _, s in page), next_cursor=cursor)

    def idempotency(self, key: str, /) -> IdempotencyRecord | None:
        """Return the record of idempotency key *key*, or ``None``."""
        with self._lock:
            self._check_open()
            return self._keys.get(key) if storable_text(key) else None

    def sequence(self, name: str, /) -> int:
        """Return the counter *name*'s current value (0 if never claimed)."""
        with self._lock:
            self._check_open()
            return self._sequences.get(name, 0) if storable_text(name) else 0

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Notification, ...]:
        """Return up to *limit* notifications with a position above *after*, in order."""
        start, limit = notification_window(after, limit)
        with self._lock:
            self._check_open()
            return tuple(self._log[start : start + limit])

    def position(self, consumer: str, /) -> int:
        """Return the last position *consumer* recorded (0 if none)."""
        with self._lock:
            self._check_open()
            return self._positions.get(consumer, 0) if storable_text(consumer) else 0

    def record_position(self, consumer: str, position: int, /) -> None:
        """Record *consumer*'s position; it may not move backwards."""
        check_consumer(consumer)
        check_position(position)
        with self._lock:
            self._check_open()
            current = self._positions.get(consumer, 0)
            if position < current:
                raise ConcurrencyConflict(stream_id=consumer, expected=position, actual=current)
            self._positions[consumer] = position

    def commit_batch(self, batch: Batch, /) -> tuple[StoredEvent, ...]:
        """Apply *batch* atomically; see `onestop.ports.events.BatchStore.commit_batch`."""
        check_batch(batch)
        with self._lock:
            self._check_open()
            for index, append in enumerate(batch.appends):
                if append.stream_id in self._summaries:
                    raise InvalidStoreInput(
                        field=f"appends[{index}].stream_id", reason=READ_MODEL_ROW
                    )
                actual = len(self._streams.get(append.stream_id, ()))
                if actual != append.expected_version:
                    raise ConcurrencyConflict(
                        stream_id=append.stream_id, expected=append.expected_version, actual=actual
                    )
            # Nothing below can fail: the batch is applied whole.
            stored: list[StoredEvent] = []
            for append in batch.appends:
                records = tuple(
                    StoredEvent(
                        stream_id=append.stream_id,
                        version=append.expected_version + offset,
                        kind=event.kind,
                        body=event.body,
                        hash=event.hash,
                        previous_hash=event.previous_hash,
                        recorded_at=batch.recorded_at,
                    )
                    for offset, event in enumerate(append.events, start=1)
                )
                self._streams[append.stream_id] = self._streams.get(append.stream_id, ()) + records
                for event, record in zip(append.events, records, strict=True):
                    self._log.append(
                        Notification(
                            position=len(self._log) + 1,
                            stream_id=append.stream_id,
                            version=record.version,
                            kind=record.kind,
                            body=event.notice,
                            recorded_at=batch.recorded_at,
                        )
                    )
                stored.extend(records)
            return tuple(stored)

    def publish_catalogue(
        self,
        content: bytes,
        /,
        *,
        digest: str,
        expected_version: int,
        recorded_at: datetime,
        label: str | None = None,
    ) -> CatalogueVersion:
        """Store *content* as the next catalogue version; see `CatalogueStore.publish_catalogue`."""
        check_publication(
            content,
            digest=digest,
            expected_version=expected_version,
            recorded_at=recorded_at,
            label=label,
        )
        with self._lock:
            self._check_open()
            if self._catalogues and self._catalogues[-1].digest == digest:
                return self._catalogues[-1]
            published = next_catalogue_version(
                len(self._catalogues),
                content,
                digest=digest,
                expected_version=expected_version,
                recorded_at=recorded_at,
                label=label,
            )
            self._catalogues.append(published)
            return published

    def catalogue_version(self, version: int, /) -> CatalogueVersion | None:
        """Return catalogue version *version*, or ``None``."""
        check_version_number(version)
        with self._lock:
            self._check_open()
            if 1 <= version <= len(self._catalogues):
                return self._catalogues[version - 1]
            return None

    def latest_catalogue(self) -> CatalogueVersion | None:
        """Return the latest catalogue version, or ``None``."""
        with self._lock:
            self._check_open()
            return self._catalogues[-1] if self._catalogues else None

    def catalogue_versions(
        self, *, after: int = 0, limit: int = 100
    ) -> tuple[CatalogueVersionInfo, ...]:
        """Return up to *limit* catalogue versions' details above *after*, in order."""
        start = check_listing(after=after, limit=limit)
        with self._lock:
            self._check_open()
            return tuple(v.info() for v in self._catalogues[start : start + limit])

    # --- onestop.ports.keys.SubjectKeyStore ----------------------------------------------

    def add_subject_keys(self, keys: Sequence[SubjectKey], /) -> Mapping[str, SubjectKey]:
        """Insert the keys of subjects with none; see `SubjectKeyStore.add_subject_keys`."""
        found = check_subject_keys(keys, live=True)
        with self._lock:
            self._check_open()
            for key in found:
                self._subject_keys.setdefault(key.subject, key)
            return {key.subject: self._subject_keys[key.subject] for key in found}

    def subject_keys(self, subjects: Collection[str], /) -> Mapping[str, SubjectKey]:
        """Return the known keys of *subjects*, live or destroyed."""
        wanted = lookup_subjects(subjects)
        with self._lock:
            self._check_open()
            return {s: self._subject_keys[s] for s in wanted if s in self._subject_keys}

    def destroy_subject_keys(self, subjects: Collection[str], /, *, at: datetime) -> int:
        """Drop the wrapped keys of *subjects*, keeping tombstones; return how many were live."""
        found = check_destruction(subjects, at)
        with self._lock:
            self._check_open()
            live = 0
            for subject in found:
                key = self._subject_keys.get(subject)
                if key is not None and not key.live:
                    continue
                live += key is not None
                created = key.created_at if key is not None else at
                self._subject_keys[subject] = SubjectKey(
                    subject=subject, wrapped=None, created_at=created, destroyed_at=at
                )
            return live

    def rewrap_subject_keys(self, keys: Sequence[SubjectKey], /) -> int:
        """Replace the wrapped bytes of the live keys among *keys*; return how many."""
        found = check_subject_keys(keys, live=True)
        with self._lock:
            self._check_open()
            replaced = 0
            for key in found:
                stored = self._subject_keys.get(key.subject)
                if stored is not None and stored.live:
                    self._subject_keys[key.subject] = attrs.evolve(stored, wrapped=key.wrapped)
                    replaced += 1
            return replaced

    def subject_keys_under(self, master_key_id: str, /, *, limit: int) -> tuple[SubjectKey, ...]:
        """Return up to *limit* live keys wrapped by *master_key_id*, by subject."""
        if not check_key_page(master_key_id, limit):
            return ()
        with self._lock:
            self._check_open()
            under = sorted(
                (
                    k
                    for k in self._subject_keys.values()
                    if k.wrapped is not None and k.wrapped.master_key_id == master_key_id
                ),
                key=lambda k: k.subject,
            )
            return tuple(under[:limit])

    def index_subject(self, blind: str, subject: str, /) -> None:
        """Record that blind index *blind* names *subject*."""
        check_index_row(blind, subject)
        with self._lock:
            self._check_open()
            self._blind.setdefault(blind, {})[subject] = None

    def indexed_subjects(self, blind: str, /) -> tuple[str, ...]:
        """Return the subjects *blind* names, sorted."""
        known = lookup_blind(blind)
        with self._lock:
            self._check_open()
            return tuple(sorted(self._blind.get(blind, {}))) if known else ()

    def unindex_subjects(self, subjects: Collection[str], /) -> int:
        """Remove the blind index rows naming *subjects*; return how many."""
        found = set(check_subjects(subjects))
        with self._lock:
            self._check_open()
            removed = 0
            for blind, named in list(self._blind.items()):
                gone = found.intersection(named)
                removed += len(gone)
                for subject in gone:
                    del named[subject]
                if not named:
                    del self._blind[blind]
            return removed

    def close(self) -> None:
        """Close the store; later calls raise `StorageError`."""
        with self._lock:
            self._closed = True


def _matches(summary: Summary, query: SummaryQuery) -> bool:
    checks = (
        query.include_closed or not summary.closed,
        query.agencies is None or summary.agency in query.agencies,
        query.services is None or summary.service in query.services,
        query.states is None or summary.state in query.states,
        query.assignee is None or summary.assignee == query.assignee,
        # Instants, compared in UTC: two datetimes of one ZoneInfo compare by wall clock,
        # blind to `fold` (the hour a daylight-saving change repeats), as SQL stores are not.
        query.due_before is None
        or (summary.due is not None and _utc(summary.due) < _utc(query.due_before)),
        query.changed_since is None or _utc(summary.updated_at) > _utc(query.changed_since),
    )
    if not all(checks):
        return False
    if query.sla is not None and query.now is not None:
        return summary.sla(query.now) is query.sla
    return True


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _sort_key(summary: Summary, order: SummaryOrder) -> SortKey:
    if order is SummaryOrder.UPDATED:
        return (0, summary.updated_at.astimezone(UTC), summary.stream_id)
    if summary.due is None:
        return (1, _FAR, summary.stream_id)
    return (0, summary.due.astimezone(UTC), summary.stream_id)
