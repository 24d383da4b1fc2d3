"""The notification bodies of the first release's store are rebuilt, byte for byte, today.

Every event of ``tests/fixtures/release1/store.sqlite3`` (applications, courier jobs,
custody ledgers and courier indexes: every kind the fixture holds) is decoded and its
notice (`onestop.ports.events.NewEvent.notice`) rebuilt with today's builders, through
the functions that build appends; each must equal the one the first release stored.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from onestop import from_url
from onestop.domain.applications.application import Application
from onestop.domain.common.audit import GENESIS
from onestop.domain.courier.index import CourierIndex
from onestop.domain.courier.jobs import CourierJob
from onestop.ports.events import EventStore
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS, notice
from onestop.usecases.courier.writer import (
    INDEXES,
    JOBS,
    PACKETS,
    index_append,
    job_append,
    load_ledger,
    packet_append,
)

FIXTURE = Path(__file__).parent / "fixtures" / "release1" / "store.sqlite3"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    """A copy of the fixture's store."""
    copy = tmp_path_factory.mktemp("release1") / "store.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    opened = from_url(f"sqlite:///{copy}")
    yield opened
    opened.close()  # type: ignore[attr-defined]


def rebuilt(store: EventStore, stream_id: str) -> list[bytes]:
    """The notices today's builders give the events of *stream_id*, oldest first."""
    records = store.read(stream_id)
    if stream_id.startswith(JOBS.prefix):
        job = CourierJob.from_events(tuple(streams.events_of(JOBS, stream_id, records)))
        return [event.notice for event in job_append(job, since=0, head=GENESIS).events]
    if stream_id.startswith(PACKETS.prefix):
        ledger = load_ledger(store, stream_id.removeprefix(PACKETS.prefix))
        return [event.notice for event in packet_append(ledger, since=0).events]
    if stream_id.startswith(INDEXES.prefix):
        empty = CourierIndex(application_id=stream_id.removeprefix(INDEXES.prefix))
        events = tuple(streams.events_of(INDEXES, stream_id, records))
        return [event.notice for event in index_append(empty, events).events]
    notices, state = [], None
    for version, event in enumerate(streams.events_of(APPLICATIONS, stream_id, records), 1):
        state = Application.from_events((event,)) if state is None else state.apply(event)
        notices.append(notice(state, event, version))
    return notices


def test_every_stored_notice_is_rebuilt_byte_for_byte(store: EventStore) -> None:
    """Each of the release's notices equals the one rebuilt from its stream's events."""
    notes = store.notifications(after=0, limit=10_000)
    stored: dict[str, list[bytes]] = {}
    for note in notes:
        stored.setdefault(note.stream_id, []).append(note.body)

    differing = [sid for sid, bodies in stored.items() if rebuilt(store, sid) != bodies]

    assert differing == []
    prefixes = {sid.partition(":")[0] for sid in stored if ":" in sid}
    assert prefixes == {"courier", "courier-job", "packet"}  # and application streams
    assert len({note.kind for note in notes}) == 25  # every kind the fixture holds
