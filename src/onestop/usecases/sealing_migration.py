"""Seal a store written in plain text: rewrite each history once, bound old head to new.

Stores written before personal data was sealed (the first release, or a mall without
keys) hold names, identity numbers, addresses, answers and notes in plain text inside
their hash-chained event bodies.  `seal_history` migrates such a store once: for every
application, and each of its courier jobs (whose addresses are personal), it decodes
every event with today's decoder, encodes it again with the keys (sealing its personal
values, `onestop.usecases.sealing`), chains the bodies again from
`onestop.domain.common.audit.GENESIS`, and replaces the stream's history in one atomic
write (`onestop.ports.history.HistoryStore.rewrite_stream`, compare-and-swap on the
head).  An event with no personal value keeps its stored bytes.  Each application's
people are then added to the blind index (`onestop.usecases.sealing.index_people`).

**The binding event.**  A rewritten history has new hashes, so a checkpoint signed
before no longer matches it.  Before rewriting, the migration appends to the
application's stream a `HistoryResealed` event naming the old head and the new one
(computed in advance: sealing is deterministic) of the application's stream and of
each courier job rewritten with it; the rewrite then chains that event after the new
history too.  Sign a checkpoint afterwards (``onestop pii migrate`` does) so the
rewritten history is pinned.

**Resumable.**  Each stream is rewritten atomically, so a crash leaves it wholly old
or wholly new.  A stream whose stored bodies are already what sealing gives (no plain
personal value left) is skipped; an application whose stream holds the binding event
and still has a plain stream is finished without a second binding event.  Running the
migration again after an interruption therefore continues where it stopped, and
running it on a sealed store changes nothing.

**Writers.**  Stop the mall while migrating: a writer that read a stream's head before
its rewrite would chain its next event onto the old head (a store's version check
cannot see a rewrite), and the checkpoint taken at the end would refuse the broken
chain.  An event appended *between* the migration's read and its rewrite is caught
(`onestop.exceptions.HeadMoved`): the application is read again and retried.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.applications.events import HistoryResealed, ResealedStream
from onestop.domain.common.audit import GENESIS, SealedEntry, extend_chain
from onestop.domain.common.formats import ACTOR_ID
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.common.subjects import subject_id
from onestop.exceptions import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidValue,
    PersonalDataErased,
)
from onestop.ports.events import Commit, EventStore, StoredEvent, Summary
from onestop.ports.history import HistoryStore
from onestop.ports.keys import PersonalDataKeys, SubjectKeyStore
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS, notice
from onestop.usecases.applications.queries import every_summary
from onestop.usecases.courier import writer as courier
from onestop.usecases.sealing import SEALED, check_keys, index_people

__all__ = ["SealingReport", "holds_plain", "seal_history"]

_PAGE = 500


@attrs.frozen(kw_only=True)
class SealingReport:
    """What `seal_history` did, or would do with *dry_run*.

    Attributes:
        dry_run: Whether nothing was written.
        applications: How many applications were examined.
        resealed: The numbers of the applications whose histories were rewritten (or
            would be), in the order met.
        streams: How many streams were rewritten (or would be): applications and
            courier jobs.
        events: How many stored events held plain personal values and were sealed.
        already_sealed: How many applications needed nothing.
        moved: The numbers of applications given up on: their streams kept moving
            while being rewritten (run again when the mall is stopped).
        people_indexed: How many people were added to the blind index.
    """

    dry_run: bool
    applications: int
    resealed: tuple[str, ...]
    streams: int
    events: int
    already_sealed: int
    moved: tuple[str, ...]
    people_indexed: int


@attrs.frozen
class _Stream:
    """One stream's stored records and the history sealing gives it."""

    stream_id: str
    records: tuple[StoredEvent, ...]
    entries: tuple[SealedEntry, ...]
    sealed_events: int

    @property
    def stale(self) -> bool:
        return any(r.hash != e.hash for r, e in zip(self.records, self.entries, strict=True))


class _Probe:
    """Keys that seal everything to one token and keep nothing: to find personal values."""

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        return "probe"

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        raise AssertionError("a probe never opens")  # pragma: no cover - decoding uses keys

    def blind_index(self, scheme: str, number: str, /) -> str:
        raise AssertionError("a probe never indexes")  # pragma: no cover

    def forget(self, subjects: Collection[str], /) -> None:
        """Nothing to forget."""


_PROBE = _Probe()


def _holds_sealed(value: object) -> bool:
    """Whether a decoded stored body holds a sealed value (a table whose one key is SEALED)."""
    if isinstance(value, dict):
        if set(value) == {SEALED}:
            return True
        return any(_holds_sealed(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_sealed(item) for item in value)
    return False


def _sealed_body(
    stream: streams.StreamType[Any, Any],
    stream_id: str,
    record: StoredEvent,
    event: object,
    sealer: PersonalDataKeys,
    subject: str,
) -> bytes:
    """The body *record* gets: its personal values sealed if they are plain, else its bytes.

    An event is encoded whole, with keys or without, so one sealed value means it was
    sealed; one with no personal value encodes alike with keys and without.
    """
    try:
        plain = streams.encode(stream, stream_id, event)
    except PersonalDataErased:  # an erased subject's values were sealed already
        return record.body
    if plain == streams.encode(stream, stream_id, event, keys=_PROBE, subject=subject):
        return record.body  # nothing personal in it: keep the bytes
    if _holds_sealed(json.loads(record.body)):
        return record.body
    return streams.encode(stream, stream_id, event, keys=sealer, subject=subject)


def _plan(
    stream: streams.StreamType[Any, Any],
    stream_id: str,
    records: Sequence[StoredEvent],
    keys: PersonalDataKeys,
    subject: str,
    *,
    dry_run: bool,
) -> tuple[_Stream, list[Any]]:
    """Decode *records* with *keys*; the history sealing gives them (probed in a dry run)."""
    sealer: PersonalDataKeys = _PROBE if dry_run else keys
    events = list(streams.events_of(stream, stream_id, records, keys=keys))
    bodies = [
        _sealed_body(stream, stream_id, record, event, sealer, subject)
        for record, event in zip(records, events, strict=True)
    ]
    changed = sum(body != record.body for body, record in zip(bodies, records, strict=True))
    entries = tuple(extend_chain(bodies, version=0, head=GENESIS))
    return _Stream(stream_id, tuple(records), entries, changed), events


@attrs.frozen
class _Outcome:
    number: str
    streams: int = 0
    events: int = 0
    people: int = 0


def _binding(
    app: _Stream, jobs: Sequence[_Stream], *, actor: str, now: datetime
) -> HistoryResealed:
    return HistoryResealed(
        old_head=app.records[-1].hash,
        old_version=len(app.records),
        new_head=app.entries[-1].hash,
        jobs=tuple(
            ResealedStream(
                stream_id=job.stream_id,
                version=len(job.records),
                old_head=job.records[-1].hash,
                new_head=job.entries[-1].hash,
            )
            for job in jobs
        ),
        actor=actor,
        at=now,
    )


def _bind(store: EventStore, row: Summary, app: _Stream, state: Application, event: Any) -> None:
    """Append the binding *event* after the stream's old head; its row moves one version."""
    after = state.apply(event)
    body = streams.encode(APPLICATIONS, row.stream_id, event)
    version = len(app.records) + 1
    store.commit(
        Commit(
            stream_id=row.stream_id,
            expected_version=len(app.records),
            events=streams.chain(
                [(event.kind, body, notice(after, event, version))],
                version=len(app.records),
                head=app.records[-1].hash,
            ),
            summary=attrs.evolve(row, version=version),
            recorded_at=event.at,
        )
    )


def _reseal(
    store: Any, keys: PersonalDataKeys, row: Summary, *, actor: str, now: datetime, dry_run: bool
) -> _Outcome | None:
    """Seal one application's streams; ``None`` if nothing needed it."""
    app_id = row.stream_id
    subject = subject_id(app_id)
    app, events = _plan(APPLICATIONS, app_id, store.read(app_id), keys, subject, dry_run=dry_run)
    jobs = _stale_jobs(store, keys, app_id, dry_run=dry_run)
    state = Application.from_events(events)
    bound = any(isinstance(event, HistoryResealed) for event in events)
    if not (app.stale or jobs):
        if bound and not dry_run:  # sealed by a run stopped before it indexed the people
            index_people(keys, store, state)
        return None
    events_sealed = app.sealed_events + sum(job.sealed_events for job in jobs)
    if dry_run:
        return _Outcome(row.number, int(app.stale) + len(jobs), events_sealed)
    if not bound:
        binding = _binding(app, jobs, actor=actor, now=now)
        _bind(store, row, app, state, binding)
        state = state.apply(binding)
        records = store.read(app_id)
        app, _events = _plan(APPLICATIONS, app_id, records, keys, subject, dry_run=False)
    for job in jobs:
        store.rewrite_stream(job.stream_id, expected_head=job.records[-1].hash, entries=job.entries)
    if app.stale:
        store.rewrite_stream(app_id, expected_head=app.records[-1].hash, entries=app.entries)
    people = index_people(keys, store, state)
    return _Outcome(row.number, int(app.stale) + len(jobs), events_sealed, people)


def _stale_jobs(store: Any, keys: PersonalDataKeys, app_id: str, *, dry_run: bool) -> list[_Stream]:
    """The courier job streams of application *app_id* that sealing changes."""
    jobs = []
    for job_id, _ in courier.load_index(store, app_id).jobs:
        stream_id = courier.job_stream(job_id)
        records = store.read(stream_id)
        job, _events = _plan(
            courier.JOBS, stream_id, records, keys, subject_id(app_id), dry_run=dry_run
        )
        if job.records and job.stale:
            jobs.append(job)
    return jobs


def holds_plain(store: EventStore, keys: PersonalDataKeys, application_id: str, /) -> bool:
    """Whether application *application_id*'s history, or one of its courier jobs', holds
    a personal value in plain text (written before the mall had keys): what
    `seal_history` would seal, and destroying the subjects' keys cannot erase.

    Raises:
        onestop.exceptions.StorageError: If a stored event does not decode, or a sealed
            value does not open with *keys*.
    """
    records = store.read(application_id)
    subject = subject_id(application_id)
    app, _events = _plan(APPLICATIONS, application_id, records, keys, subject, dry_run=True)
    return app.stale or bool(_stale_jobs(store, keys, application_id, dry_run=True))


def _rows(store: EventStore) -> Iterator[Summary]:
    return every_summary(store)


def seal_history(
    store: EventStore,
    keys: PersonalDataKeys,
    /,
    *,
    actor: str,
    now: datetime,
    dry_run: bool = False,
    attempts: int = 3,
) -> SealingReport:
    """Seal every plain personal value in *store*'s histories, once; see the module's docstring.

    Args:
        store: The store: an event store that rewrites histories and keeps subject keys
            (every onestop store).
        keys: The keys to seal with (`onestop.privacy.Keyring` over *store*).
        actor: Who runs the migration, recorded in each binding event: an actor id
            (`onestop.domain.common.formats.ACTOR_ID`).
        now: The instant recorded in the binding events.
        dry_run: Count what would change; write nothing.
        attempts: How often an application whose stream moved is read again and
            retried (from 1 to 10), before it is reported in `SealingReport.moved`.

    Raises:
        onestop.exceptions.ConfigurationError: If *store* cannot rewrite histories or
            keep subject keys.
        onestop.exceptions.KeyUnavailable: If the keys cannot seal.
        onestop.exceptions.StorageError: If a stored event does not decode, or a sealed
            value does not open with *keys* (every stream is read and decoded before
            anything is written, so nothing is then), or the store fails (the
            applications sealed until then stay sealed: run it again).
        onestop.exceptions.InvalidValue: If an argument is of the wrong type.
    """
    keys = check_keys(keys)  # type: ignore[assignment]  # None is refused next
    if keys is None:
        raise InvalidValue(field="keys", reason="sealing needs keys")
    ACTOR_ID.check(actor, field="actor")
    check_instant(now, field="now")
    check_type(dry_run, bool, field="dry_run")
    if type(attempts) is not int or not 1 <= attempts <= 10:
        raise InvalidValue(field="attempts", reason="must be an integer from 1 to 10")
    if not (isinstance(store, HistoryStore) and isinstance(store, SubjectKeyStore)):
        raise ConfigurationError("sealing a store's history needs a store that can rewrite it")
    if not dry_run:  # read and decode everything first: wrong keys write nothing
        for row in _rows(store):
            _reseal(store, keys, row, actor=actor, now=now, dry_run=True)
    examined, resealed, moved = 0, [], []
    totals = [0, 0, 0]
    for row in _rows(store):
        examined += 1
        for attempt in range(attempts):
            try:
                outcome = _reseal(store, keys, row, actor=actor, now=now, dry_run=dry_run)
                break
            except ConcurrencyConflict:  # the stream moved (HeadMoved is one): read again
                if attempt == attempts - 1:
                    moved.append(row.number)
                    outcome = None
                else:
                    row = store.summary(row.stream_id) or row
        if outcome is not None:
            resealed.append(outcome.number)
            totals = [
                totals[0] + outcome.streams,
                totals[1] + outcome.events,
                totals[2] + outcome.people,
            ]
    return SealingReport(
        dry_run=dry_run,
        applications=examined,
        resealed=tuple(resealed),
        streams=totals[0],
        events=totals[1],
        already_sealed=examined - len(resealed) - len(moved),
        moved=tuple(moved),
        people_indexed=totals[2],
    )
