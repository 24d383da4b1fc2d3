"""The one event-stream core: every aggregate is encoded, chained, decoded and verified alike.

The store under test is a copy of ``tests/fixtures/unversioned/store.sqlite3``, which
holds every kind of stream (applications, courier jobs, custody ledgers, courier
indexes) as the code before schema versions wrote them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.cli.demo import every_summary
from onestop.domain.applications.application import Application
from onestop.domain.common import audit
from onestop.domain.courier.custody import CustodyLedger
from onestop.domain.courier.custody_events import AlertRaised
from onestop.domain.courier.handoffs import Place
from onestop.domain.courier.jobs import CourierJob
from onestop.exceptions import InvalidValue, StorageError
from onestop.ports.events import StoredEvent
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases import streams
from onestop.usecases.applications import writer as applications
from onestop.usecases.applications.codec import APPLICATIONS
from onestop.usecases.courier import writer as courier

FIXTURE = Path(__file__).parents[1] / "fixtures" / "unversioned" / "store.sqlite3"
TYPES = {
    "application": APPLICATIONS,
    "courier job": courier.JOBS,
    "custody ledger": courier.PACKETS,
    "courier index": courier.INDEXES,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A copy of the fixture store."""
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    opened = SQLiteStore.open(copy)
    yield opened
    opened.close()


def _streams(store: SQLiteStore) -> dict[str, list[tuple[str, tuple[StoredEvent, ...]]]]:
    """Every stream of the store, by the name of its stream type."""
    found: dict[str, list[tuple[str, tuple[StoredEvent, ...]]]] = {name: [] for name in TYPES}
    for row in every_summary(store):
        index = courier.load_index(store, row.stream_id)
        ids = [
            ("application", row.stream_id),
            ("courier index", courier.index_stream(row.stream_id)),
            *(("courier job", courier.job_stream(job)) for job, _ in index.jobs),
            *(("custody ledger", courier.packet_stream(seal)) for seal in index.packets),
        ]
        for name, stream_id in ids:
            found[name].append((stream_id, store.read(stream_id)))
    return found


def _verdicts(store: SQLiteStore) -> dict[str, list[bool]]:
    return {
        name: [streams.audit(TYPES[name], sid, records).ok for sid, records in found]
        for name, found in _streams(store).items()
    }


def test_replacing_the_one_chain_function_breaks_every_kind_of_stream(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `chain_hash` replaced, no application, job, ledger or index stream verifies."""
    assert all(all(oks) and oks for oks in _verdicts(store).values())

    def forged(previous: str, version: int, body: bytes) -> str:
        return hashlib.sha256(b"forged" + previous.encode() + body).hexdigest()

    monkeypatch.setattr(audit, "chain_hash", forged)
    verdicts = _verdicts(store)
    assert all(oks and not any(oks) for oks in verdicts.values()), verdicts
    application = every_summary(store)[0].stream_id
    assert not applications.verify_stream(store, application).ok
    seal_id = courier.load_index(store, application).packets[0]
    assert not courier.verify_packet(store, seal_id).ok
    with pytest.raises(StorageError, match="is not its ledger's"):
        courier.load_ledger(store, seal_id)  # the ledger chains through it too


def test_every_old_body_encodes_to_the_bytes_it_was_stored_as(store: SQLiteStore) -> None:
    """Decoding a stored event and encoding it again gives its stored bytes (save upcasts)."""
    for name, found in _streams(store).items():
        for stream_id, records in found:
            for record in records:
                event = streams.decode(TYPES[name], stream_id, record.kind, record.body)
                if streams.schema_version(type(event)) == 1:
                    assert streams.encode(TYPES[name], stream_id, event) == record.body


def test_an_upcast_event_is_written_at_its_new_version(store: SQLiteStore) -> None:
    """The alert read from an old index encodes with ``"schema": 2`` and decodes back."""
    for row in every_summary(store):
        for event in courier.index_events(store, row.stream_id):
            if event.kind == "alert_raised":
                stream_id = courier.index_stream(row.stream_id)
                body = streams.encode(courier.INDEXES, stream_id, event)
                assert json.loads(body)["schema"] == 2
                assert streams.decode(courier.INDEXES, stream_id, event.kind, body) == event
                return
    pytest.fail("the fixture holds no alert")


def _job_booked(store: SQLiteStore) -> tuple[str, dict[str, Any]]:
    for row in every_summary(store):
        job_id = courier.load_index(store, row.stream_id).jobs[0][0]
        stream_id = courier.job_stream(job_id)
        return stream_id, json.loads(store.read(stream_id)[0].body)
    raise AssertionError("no job")


def test_a_newer_schema_version_is_refused(store: SQLiteStore) -> None:
    """A body from a newer release (a schema version above today's) is refused, not guessed."""
    stream_id, envelope = _job_booked(store)
    envelope["schema"] = 2
    with pytest.raises(StorageError, match="schema version 2"):
        streams.decode(courier.JOBS, stream_id, "job_booked", json.dumps(envelope).encode())


def test_the_courier_decoder_names_the_bad_field(store: SQLiteStore) -> None:
    """A stored courier event of the wrong type names the path of the field, not its value."""
    stream_id, envelope = _job_booked(store)
    envelope["event"]["max_attempts"] = "three-secret"
    body = json.dumps(envelope).encode()
    with pytest.raises(StorageError, match=r"at max_attempts\)") as caught:
        streams.decode(courier.JOBS, stream_id, "job_booked", body)
    assert "three-secret" not in str(caught.value)


def test_the_courier_decoder_refuses_unknown_keys(store: SQLiteStore) -> None:
    """A stored courier event with a key its class does not have is refused, naming it."""
    stream_id, envelope = _job_booked(store)
    envelope["event"]["smuggled"] = 1
    with pytest.raises(StorageError, match="smuggled"):
        streams.decode(courier.JOBS, stream_id, "job_booked", json.dumps(envelope).encode())


def test_the_courier_decoder_refuses_a_number_as_text(store: SQLiteStore) -> None:
    """The strict decoder does not coerce: an integer field stored as a float is refused."""
    stream_id, envelope = _job_booked(store)
    envelope["event"]["max_attempts"] = 3.0
    with pytest.raises(StorageError, match="max_attempts"):
        streams.decode(courier.JOBS, stream_id, "job_booked", json.dumps(envelope).encode())


def test_a_stream_type_needs_an_upcaster_for_every_old_version() -> None:
    """A stream type whose event is at version 2 cannot be built without its upcaster."""
    with pytest.raises(InvalidValue, match="'alert_raised' from version 1"):
        streams.StreamType(
            name="courier index",
            prefix=courier.INDEXES.prefix,
            event_types=courier.INDEXES.event_types,
            converter=courier.INDEXES.converter,
            payload=courier.INDEXES.payload,
            fold=courier.INDEXES.fold,
        )


def test_there_is_one_alert_event() -> None:
    """A manifest mismatch and the courier index hold the same alert class, at version 2."""
    assert courier.INDEXES.event_types["alert_raised"] is AlertRaised
    assert courier.AlertRecorded is AlertRaised
    assert streams.schema_version(AlertRaised) == 2


@given(
    lat=st.decimals(min_value=-90, max_value=90, places=6, allow_nan=False),
    lon=st.decimals(min_value=-180, max_value=180, places=6, allow_nan=False),
)
def test_coordinates_are_read_exactly(lat: Any, lon: Any) -> None:
    """A place's coordinates come back from a stored body as the very decimals written."""
    place = Place("Counter", lat, lon)
    body = audit.event_body("p", place)
    decoded = courier.INDEXES.converter.structure(
        json.loads(body, parse_float=Decimal)["event"], Place
    )
    assert decoded == place


@given(
    body=st.one_of(
        st.binary(max_size=64),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=10,
        ).map(lambda event: json.dumps({"stream_id": "courier:a", "event": event}).encode()),
    ),
    name=st.sampled_from(sorted(TYPES)),
    kind=st.sampled_from(sorted({k for t in TYPES.values() for k in t.event_types})),
)
def test_a_hostile_body_gives_a_storage_error_or_an_event(
    body: bytes, name: str, kind: str
) -> None:
    """Whatever the bytes, decoding gives an event of the kind asked or a `StorageError`."""
    stream = TYPES[name]
    try:
        event = streams.decode(stream, "courier:a", kind, body)
    except StorageError:
        return
    assert isinstance(event, stream.event_types[kind])


def test_applications_jobs_and_ledgers_are_aggregates() -> None:
    """Applications, courier jobs and custody ledgers fold by the one aggregate protocol."""
    assert all(
        issubclass(cls, streams.Aggregate) for cls in (Application, CourierJob, CustodyLedger)
    )
    with pytest.raises(InvalidValue, match="from_events and apply"):
        streams.folding(dict)  # type: ignore[arg-type]
