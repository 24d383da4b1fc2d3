"""Eight processes race on the same ten applications in one SQLite file: nothing is lost.

Each writer process repeatedly picks one of the applications, reads its version and
commits one event at that version, with an idempotency key of its own.  Its event body
names the writer and the attempt, so the stored history can be checked against what
the writers were told (the lost-update oracle of reliability plan C2).  The number of
attempts per writer is ``ONESTOP_CONCURRENCY_ATTEMPTS`` (1,000 by default).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onestop.exceptions import ConcurrencyConflict, StorageUnavailable
from onestop.ports.events import Commit, IdempotencyRecord, NewEvent
from onestop.storage.sqlite import SQLiteStore
from onestop.testing.contracts import T0, make_summary

WRITERS = 8
APPLICATIONS = 10
ATTEMPTS = int(os.environ.get("ONESTOP_CONCURRENCY_ATTEMPTS", "1000"))

pytestmark = pytest.mark.slow


@dataclass
class Tally:
    """What one writer did."""

    writer: int
    successes: list[tuple[str, int, int]] = field(default_factory=list)  # stream, version, seq
    conflicts: int = 0
    unavailable: int = 0
    untyped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _commit(stream: str, version: int, writer: int, seq: int) -> Commit:
    at = T0 + timedelta(seconds=seq)
    body = json.dumps({"writer": writer, "seq": seq}).encode()
    event = NewEvent(kind="acted", body=body, hash=f"{writer}:{seq}", previous_hash="-", notice=b"")
    key = IdempotencyRecord(
        key=f"{writer}:{seq}", stream_id=stream, request_digest="d", recorded_at=at
    )
    summary = make_summary(stream, version + 1, updated_at=at, state=f"s{version % 3}")
    return Commit(
        stream_id=stream,
        expected_version=version,
        events=(event,),
        summary=summary,
        recorded_at=datetime.now(UTC),
        idempotency=key,
    )


def _write(path: str, writer: int, attempts: int) -> Tally:
    """Run in a child process: make *attempts* read-then-commit attempts."""
    tally = Tally(writer=writer)
    rng = random.Random(writer)
    started = time.perf_counter()
    with SQLiteStore.open(path) as store:
        for seq in range(attempts):
            stream = f"app-{rng.randrange(APPLICATIONS)}"
            try:
                row = store.summary(stream)
                version = 0 if row is None else row.version
                store.commit(_commit(stream, version, writer, seq))
                tally.successes.append((stream, version + 1, seq))
            except ConcurrencyConflict:
                tally.conflicts += 1
            except StorageUnavailable:
                tally.unavailable += 1
            except Exception as exc:  # noqa: BLE001 - counted: any untyped error fails the test
                tally.untyped.append(repr(exc))
    tally.seconds = time.perf_counter() - started
    return tally


@pytest.fixture(scope="module")
def race(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Tally]]:
    """Run the race once for the module's checks; return the file and each writer's tally."""
    path = tmp_path_factory.mktemp("race") / "centre.sqlite3"
    SQLiteStore.open(path).close()  # create and migrate before the writers start
    context = multiprocessing.get_context("spawn")
    with context.Pool(WRITERS) as pool:
        tallies = pool.starmap(_write, [(str(path), w, ATTEMPTS) for w in range(WRITERS)])
    return path, tallies


def test_every_attempt_ends_in_success_or_a_typed_conflict(
    race: tuple[Path, list[Tally]],
) -> None:
    """Successes plus ConcurrencyConflict plus StorageUnavailable account for every attempt."""
    _, tallies = race
    for tally in tallies:
        done = len(tally.successes) + tally.conflicts + tally.unavailable
        assert done == ATTEMPTS, tally.writer
    assert sum(len(t.successes) for t in tallies) > 0
    assert sum(t.conflicts for t in tallies) > 0  # the race was real


def test_no_untyped_exception(race: tuple[Path, list[Tally]]) -> None:
    """No writer saw an exception other than onestop's typed ones."""
    _, tallies = race
    assert [error for t in tallies for error in t.untyped] == []


def test_busy_database_is_rare(race: tuple[Path, list[Tally]]) -> None:
    """With a 5 s busy timeout, StorageUnavailable hits at most 1% of the attempts."""
    _, tallies = race
    assert sum(t.unavailable for t in tallies) <= WRITERS * ATTEMPTS // 100


def test_final_version_equals_successes_and_stream_length(
    race: tuple[Path, list[Tally]],
) -> None:
    """For every application: final version = successful commits = events stored, 1..n."""
    path, tallies = race
    successes = Counter(stream for t in tallies for stream, _, _ in t.successes)
    with SQLiteStore.open(path) as store:
        for number in range(APPLICATIONS):
            stream = f"app-{number}"
            events = store.read(stream)
            row = store.summary(stream)
            assert row is not None
            assert [e.version for e in events] == list(range(1, successes[stream] + 1))
            assert row.version == len(events) == successes[stream]


def test_no_lost_update(race: tuple[Path, list[Tally]]) -> None:
    """Each stored event is exactly one success a writer was told about, at its version."""
    path, tallies = race
    told = {
        (stream, version, t.writer, seq) for t in tallies for stream, version, seq in t.successes
    }
    with SQLiteStore.open(path) as store:
        stored = set()
        for number in range(APPLICATIONS):
            for event in store.read(f"app-{number}"):
                body = json.loads(event.body)
                stored.add((event.stream_id, event.version, body["writer"], body["seq"]))
    assert stored == told


def test_notifications_and_keys_match_the_events(race: tuple[Path, list[Tally]]) -> None:
    """The log holds one entry per stored event, positions 1..n; every success kept its key."""
    path, tallies = race
    total = sum(len(t.successes) for t in tallies)
    with SQLiteStore.open(path) as store:
        log = store.notifications(limit=total + 10)
        assert [n.position for n in log] == list(range(1, total + 1))
        assert all(
            store.idempotency(f"{t.writer}:{seq}") for t in tallies for *_, seq in t.successes
        )
