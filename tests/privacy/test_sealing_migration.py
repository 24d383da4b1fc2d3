"""Sealing a store written in plain text by the first release: ``onestop pii migrate``.

Each test migrates a copy of ``tests/fixtures/release1/store.sqlite3`` (the committed
file is never written).  The personal values to look for are read from the copy first,
with the plain decoder; afterwards none may be found in the database file or its WAL.
The PostgreSQL test needs ``ONESTOP_TEST_POSTGRES_URL`` and runs in a fresh schema.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs
import psycopg
import pytest
from privacy_desk_support import (
    CALENDARS,
    CITIZEN,
    DOCUMENTS,
    VERIFIER,
    Counting,
    DeskClock,
    answers,
    licence,
    person,
)
from psycopg import sql

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, main
from onestop.cli.demo import verify_store
from onestop.domain.applications.application import Application
from onestop.domain.applications.events import HistoryResealed, NoteAdded, Visibility
from onestop.domain.common.parties import Organisation, Person, Personal
from onestop.exceptions import HeadMoved, OnestopError
from onestop.ports.events import Append, Batch, Commit, NewEvent, SummaryQuery
from onestop.privacy import Keyring, StaticKeyProvider, generate_key_file
from onestop.privacy.signing import write_key_files
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases import streams
from onestop.usecases.applications.codec import encode_event
from onestop.usecases.applications.writer import load_application
from onestop.usecases.courier import writer as courier
from onestop.usecases.mall import Mall
from onestop.usecases.sealing_migration import SealingReport, seal_history

FIXTURE = Path(__file__).parents[1] / "fixtures" / "release1" / "store.sqlite3"
NOW = datetime(2025, 7, 21, 2, 0, tzinfo=UTC)


def _copy(tmp_path: Path, name: str = "store.sqlite3") -> Path:
    path = tmp_path / name
    shutil.copyfile(FIXTURE, path)
    return path


def _ids(store: Any) -> list[str]:
    rows = store.summaries(SummaryQuery(include_closed=True, limit=1000)).items
    return sorted(row.stream_id for row in rows)


def _jobs(store: Any, application_id: str) -> list[str]:
    return [job for job, _ in courier.load_index(store, application_id).jobs]


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, Personal):
        if value.is_available:
            yield from _texts(value.reveal())
    elif isinstance(value, str):
        yield value
    elif isinstance(value, Person):
        for name in ("identity_number", "name", "phone", "email", "address"):
            yield from _texts(getattr(value, name))
    elif isinstance(value, Organisation):
        yield from _texts(value.contact_person)


def personal_values(store: Any) -> set[str]:
    """Every personal value the plain store holds: people, notes, text answers, addresses.

    Values of five characters or more, and none that the published catalogue holds too.
    """
    found: set[str] = set()
    for application_id in _ids(store):
        application = load_application(store, application_id)
        found.update(_texts(application.applicant))
        if application.representative is not None:
            found.update(_texts(application.representative.person))
        found.update(t for note in application.notes for t in _texts(note.text))
        found.update(v for v in application.answers.values() if isinstance(v, str))
        for job_id in _jobs(store, application_id):
            found.update(_texts(courier.load_job(store, job_id)[0].address))
    published = store.latest_catalogue()
    catalogue = b"" if published is None else published.content
    # a choice's code (``badan_usaha``) is the catalogue's too: not the person's alone
    return {v for v in found if len(v) >= 5 and not _forms(v) & _found_in(catalogue, v)}


def _found_in(data: bytes, value: str) -> set[bytes]:
    return {form for form in _forms(value) if form in data}


def _forms(value: str) -> set[bytes]:
    """The forms a stored value may take: as typed, and JSON-escaped."""
    return {
        value.encode(),
        json.dumps(value)[1:-1].encode(),
        json.dumps(value, ensure_ascii=False)[1:-1].encode(),
    }


def _raw(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@attrs.frozen
class Migrated:
    """A migrated copy of the fixture and what was read from it before."""

    path: Path
    keys_file: Path
    public_key: Path
    checkpoint: Path
    values: set[str]
    plain: dict[str, Application]
    plain_heads: dict[str, tuple[int, str]]
    plain_jobs: dict[str, Any]


def _migrate_args(path: Path, master: Path, signing: Path, out: str) -> list[str]:
    return [
        *("pii", "migrate", "--store", f"sqlite:///{path}", "--key-file", str(master)),
        *("--signing-key", str(signing), "--checkpoint-out", out),
    ]


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    master = tmp_path / "master.keys"
    generate_key_file(master)
    signing = tmp_path / "signing.pem"
    write_key_files(signing)
    return master, signing


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    """The fixture migrated once by ``onestop pii migrate``."""
    tmp_path = tmp_path_factory.mktemp("migrated")
    path = _copy(tmp_path)
    with SQLiteStore.open(path) as store:
        ids = _ids(store)
        values = personal_values(store)
        plain = {i: load_application(store, i) for i in ids}
        heads = {i: (len(r), r[-1].hash) for i in ids for r in [store.read(i)]}
        jobs = {j: courier.load_job(store, j)[0] for i in ids for j in _jobs(store, i)}
    master, signing = _keys(tmp_path)
    checkpoint = tmp_path / "checkpoint.json"
    code = main(_migrate_args(path, master, signing, str(checkpoint)))
    assert code == EXIT_OK
    public = signing.with_name(signing.name + ".pub")
    return Migrated(path, master, public, checkpoint, values, plain, heads, jobs)


def _keyring(migrated: Migrated, store: SQLiteStore) -> Keyring:
    from onestop.privacy import FileKeyProvider

    return Keyring(FileKeyProvider(migrated.keys_file), store)


def test_the_fixture_has_personal_values_to_look_for(migrated: Migrated) -> None:
    """The plain fixture holds names, numbers, notes and addresses in its raw bytes."""
    raw = FIXTURE.read_bytes()
    assert len(migrated.values) > 100
    assert all(any(f in raw for f in _forms(v)) for v in migrated.values)


def test_no_personal_value_is_left_in_the_database_or_its_wal(migrated: Migrated) -> None:
    """After the migration no personal value, in any stored form, is in the file or its WAL."""
    raw = _raw(migrated.path)
    left = sorted(v for v in migrated.values if any(f in raw for f in _forms(v)))
    assert not left, f"{len(left)} personal value(s) left in the raw bytes"


def test_every_chain_verifies_and_the_checkpoint_pins_them(
    migrated: Migrated, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit verify passes, and so does the comparison with the signed checkpoint."""
    url = f"sqlite:///{migrated.path}"
    checkpoint = ("--checkpoint", str(migrated.checkpoint))
    code = main(
        ["audit", "verify", "--store", url, *checkpoint, "--public-key", str(migrated.public_key)]
    )
    assert code == EXIT_OK, capsys.readouterr().out


def test_every_application_reads_its_values_through_the_keys(migrated: Migrated) -> None:
    """Each application and courier job folds with the keys to what it held in plain text."""
    with SQLiteStore.open(migrated.path) as store:
        keys = _keyring(migrated, store)
        for application_id, plain in migrated.plain.items():
            sealed = load_application(store, application_id, keys=keys)
            assert sealed.events[:-1] == plain.events
            assert (sealed.state, sealed.updated_at) == (plain.state, plain.updated_at)
        for job_id, job in migrated.plain_jobs.items():
            assert courier.load_job(store, job_id, keys=keys)[0] == job


def test_without_keys_the_values_are_withheld(migrated: Migrated) -> None:
    """Read without keys, an applicant's name is withheld: it is sealed in the store."""
    with SQLiteStore.open(migrated.path) as store:
        for application_id in migrated.plain:
            applicant = load_application(store, application_id).applicant
            person = applicant.contact_person if isinstance(applicant, Organisation) else applicant
            assert person is None or not person.name.is_available


def test_each_application_ends_with_one_binding_event_of_its_old_and_new_head(
    migrated: Migrated,
) -> None:
    """The last event binds the old head and version to the rewritten entry's hash."""
    with SQLiteStore.open(migrated.path) as store:
        for application_id, (version, head) in migrated.plain_heads.items():
            records = store.read(application_id)
            events = load_application(store, application_id).events
            bindings = [e for e in events if isinstance(e, HistoryResealed)]
            assert len(bindings) == 1
            assert events[-1] is bindings[0]
            binding = bindings[0]
            assert (binding.old_version, binding.old_head) == (version, head)
            assert binding.new_head == records[version - 1].hash != head
            for job in binding.jobs:
                assert store.read(job.stream_id)[job.version - 1].hash == job.new_head


def test_the_people_are_in_the_blind_index(migrated: Migrated) -> None:
    """Each applicant's identity number leads to their application's subject."""
    with SQLiteStore.open(migrated.path) as store:
        keys = _keyring(migrated, store)
        for application_id, plain in list(migrated.plain.items())[:10]:
            person = plain.applicant
            if isinstance(person, Organisation):
                continue
            blind = keys.blind_index(person.identity_scheme, person.identity_number.reveal())
            assert f"{application_id}/applicant" in store.indexed_subjects(blind)


def test_a_second_run_changes_nothing(migrated: Migrated, tmp_path: Path) -> None:
    """On a sealed store the migration finds every application sealed and writes nothing."""
    path = tmp_path / "again.sqlite3"
    with SQLiteStore.open(migrated.path) as source:
        source.backup(path)
    with SQLiteStore.open(path) as store:
        before = {i: store.read(i) for i in migrated.plain}
        report = seal_history(store, _keyring(migrated, store), actor="again", now=NOW)
        assert (report.already_sealed, report.streams, report.resealed) == (94, 0, ())
        assert {i: store.read(i) for i in migrated.plain} == before


def test_a_dry_run_counts_and_writes_nothing(tmp_path: Path) -> None:
    """A dry run counts the streams and events to seal; no event or key is written."""
    path = _copy(tmp_path)
    with SQLiteStore.open(path) as store:
        before = {i: store.read(i) for i in _ids(store)}
        keys = Keyring(StaticKeyProvider.generate(), store)
        report = seal_history(store, keys, actor="dry", now=NOW, dry_run=True)
        assert (report.applications, len(report.resealed), report.streams) == (94, 94, 109)
        assert report.events > 0
        assert {i: store.read(i) for i in before} == before
        assert not store.subject_keys([f"{i}/applicant" for i in before])  # no key made


class _Stopping(SQLiteStore):
    """A store that fails on its *limit*-th history rewrite, as a crash would."""

    limit = 10**9
    rewrites = 0

    def rewrite_stream(self, stream_id: str, /, **options: Any) -> Any:
        type(self).rewrites += 1
        if type(self).rewrites >= type(self).limit:
            raise KeyboardInterrupt
        return super().rewrite_stream(stream_id, **options)


@pytest.mark.parametrize("limit", [1, 38, 104])
def test_an_interrupted_migration_resumed_ends_as_an_uninterrupted_one(
    tmp_path: Path, limit: int
) -> None:
    """Stopped after some rewrites and run again, every application ends sealed once, readable."""
    path = _copy(tmp_path)
    with SQLiteStore.open(path) as store:
        ids = _ids(store)
        plain = {i: load_application(store, i) for i in ids}
        values = personal_values(store)
    provider = StaticKeyProvider.generate()
    _Stopping.limit, _Stopping.rewrites = limit, 0
    with _Stopping.open(path) as stopping, pytest.raises(KeyboardInterrupt):
        seal_history(stopping, Keyring(provider, stopping), actor="m", now=NOW)
    with SQLiteStore.open(path) as store:
        keys = Keyring(provider, store)
        report = seal_history(store, keys, actor="m", now=NOW)
        assert len(report.resealed) + report.already_sealed == 94
        assert verify_store(store).ok
        for application_id in ids:
            events = load_application(store, application_id, keys=keys).events
            assert events[:-1] == plain[application_id].events
            assert sum(isinstance(e, HistoryResealed) for e in events) == 1
    raw = _raw(path)
    assert not [v for v in values if any(f in raw for f in _forms(v))]


def test_other_keys_on_a_half_sealed_store_write_nothing(tmp_path: Path) -> None:
    """Run again with keys that do not open what was sealed, the migration refuses, unwritten."""
    path = _copy(tmp_path)
    _Stopping.limit, _Stopping.rewrites = 38, 0
    with _Stopping.open(path) as stopping, pytest.raises(KeyboardInterrupt):
        seal_history(stopping, Keyring(StaticKeyProvider.generate(), stopping), actor="m", now=NOW)
    with SQLiteStore.open(path) as store:
        before = {i: store.read(i) for i in _ids(store)}
        with pytest.raises(OnestopError):
            seal_history(store, Keyring(StaticKeyProvider.generate(), store), actor="m", now=NOW)
        assert {i: store.read(i) for i in before} == before


class _Racing(SQLiteStore):
    """A store where a note is recorded on the first application just before its rewrite."""

    keys: Any = None
    raced: ClassVar[list[str]] = []

    def rewrite_stream(self, stream_id: str, /, **options: Any) -> Any:
        if not type(self).raced and not stream_id.startswith("courier"):
            type(self).raced.append(stream_id)
            records = self.read(stream_id)
            row = self.summary(stream_id)
            assert row is not None
            note = NoteAdded(
                text=Personal("a note written meanwhile"),
                visibility=Visibility.INTERNAL,
                actor="officer-1",
                at=NOW,
            )
            body = encode_event(stream_id, note, keys=type(self).keys)
            events = streams.chain(
                [(note.kind, body, b"{}")], version=len(records), head=records[-1].hash
            )
            self.commit(
                Commit(
                    stream_id=stream_id,
                    expected_version=len(records),
                    events=events,
                    summary=attrs.evolve(row, version=len(records) + 1),
                    recorded_at=NOW,
                )
            )
        return super().rewrite_stream(stream_id, **options)


def test_a_head_that_moved_is_refused_and_the_application_retried(tmp_path: Path) -> None:
    """A note recorded between the read and the rewrite is kept: the stream is read again."""
    path = _copy(tmp_path)
    provider = StaticKeyProvider.generate()
    _Racing.raced = []
    with _Racing.open(path) as store:
        keys = Keyring(provider, store)
        _Racing.keys = keys
        report = seal_history(store, keys, actor="m", now=NOW)
        (raced,) = _Racing.raced
        assert report.moved == ()
        assert verify_store(store).ok
        notes = load_application(store, raced, keys=keys).notes
        assert notes[-1].text.reveal() == "a note written meanwhile"
        assert notes[-1].visibility is Visibility.INTERNAL


class _Moving(SQLiteStore):
    """A store whose history rewrites are always refused: the head keeps moving."""

    def rewrite_stream(self, stream_id: str, /, **options: Any) -> Any:
        raise HeadMoved(stream_id=stream_id, expected=1, actual=2)


def test_a_stream_that_keeps_moving_is_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    """After its attempts an application is reported as moved; the migration does not stop."""
    path = _copy(tmp_path)
    with _Moving.open(path) as store:
        keys = Keyring(StaticKeyProvider.generate(), store)
        report = seal_history(store, keys, actor="m", now=NOW, attempts=2)
    assert isinstance(report, SealingReport)
    assert len(report.moved) == 94
    assert report.resealed == ()


def test_the_command_exits_1_when_an_application_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pii migrate`` names each application it could not seal and exits with status 1."""
    path = _copy(tmp_path)
    master, signing = _keys(tmp_path)
    monkeypatch.setattr(SQLiteStore, "rewrite_stream", _Moving.rewrite_stream)
    code = main(_migrate_args(path, master, signing, str(tmp_path / "c.json")))
    assert code == EXIT_PROBLEMS
    assert "MOVED " in capsys.readouterr().out


def test_an_existing_checkpoint_file_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--checkpoint-out naming an existing file exits 2 before anything is written."""
    path = _copy(tmp_path)
    master, signing = _keys(tmp_path)
    out = tmp_path / "c.json"
    out.write_text("keep me")
    code = main(_migrate_args(path, master, signing, str(out)))
    assert code == 2
    assert out.read_text() == "keep me"
    assert FIXTURE.read_bytes() == path.read_bytes()


# --- PostgreSQL ---------------------------------------------------------------------


def _replay(source: SQLiteStore, target: Any) -> None:
    """Copy every stream of *source* into *target*, record for record."""
    for application_id in _ids(source):
        records = source.read(application_id)
        row = source.summary(application_id)
        assert row is not None
        target.commit(
            Commit(
                stream_id=application_id,
                expected_version=0,
                events=tuple(_new(r) for r in records),
                summary=row,
                recorded_at=records[0].recorded_at,
            )
        )
        index = courier.load_index(source, application_id)
        others = [courier.index_stream(application_id)]
        others += [courier.job_stream(j) for j, _ in index.jobs]
        others += [courier.packet_stream(s) for s in index.packets]
        appends = [
            Append(stream_id=s, expected_version=0, events=tuple(_new(r) for r in rs))
            for s in others
            for rs in [source.read(s)]
            if rs
        ]
        if appends:
            target.commit_batch(Batch(appends=tuple(appends), recorded_at=NOW))


def _new(record: Any) -> NewEvent:
    return NewEvent(
        kind=record.kind,
        body=record.body,
        hash=record.hash,
        previous_hash=record.previous_hash,
        notice=b"{}",
    )


@pytest.mark.postgres
def test_a_postgres_store_is_sealed_the_same_way(postgres_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the migration seals every application, chains verify, dump holds no value."""
    from onestop.storage.postgres import PostgresStore

    schema = f"onestop_test_{secrets.token_hex(6)}"
    path = _copy(tmp_path)
    try:
        with (
            SQLiteStore.open(path) as source,
            PostgresStore.connect(postgres_url, schema=schema) as store,
        ):
            values = personal_values(source)
            plain = {i: load_application(source, i) for i in _ids(source)}
            _replay(source, store)
            keys = Keyring(StaticKeyProvider.generate(), store)
            report = seal_history(store, keys, actor="m", now=NOW)
            assert len(report.resealed) == 94
            assert verify_store(store).ok
            for application_id, application in plain.items():
                sealed = load_application(store, application_id, keys=keys)
                assert sealed.events[:-1] == application.events
        with psycopg.connect(postgres_url) as conn:
            table = sql.Identifier(schema, "events")
            bodies = b"".join(
                bytes(row[0])
                for row in conn.execute(sql.SQL("SELECT body FROM {}").format(table)).fetchall()
            )
        assert not [v for v in values if any(f in bodies for f in _forms(v))]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_a_grown_plaintext_store_keeps_no_plaintext_once_sealed(tmp_path: Path) -> None:
    """Thirty applications submitted one by one by a mall without keys (the events' pages
    split as the table grows), then sealed by the migration: no name, address, note or
    answer of theirs is left anywhere in the SQLite file or its WAL."""
    path = tmp_path / "grown.sqlite3"
    with SQLiteStore.open(path) as store:
        clock = DeskClock()
        plain = Mall(
            catalogue=licence(), store=store, clock=clock, calendars=CALENDARS, ids=Counting()
        )
        for i in range(30):
            receipt = plain.submit(
                "izin-usaha",
                channel="online",
                applicant=person(f"317101570885{i + 1:04d}", f"ZQNAME{i:04d}", f"ZQADDR{i:04d}"),
                answers=answers(f"ZQHOME{i:04d}"),
                documents=DOCUMENTS,
                actor=CITIZEN,
            )
            note = f"ZQNOTE{i:04d}"
            plain.add_note(
                receipt.application_id, note, visibility=Visibility.INTERNAL, actor=VERIFIER
            )
        assert b"ZQNAME0000" in _raw(path)
        seal_history(
            store, Keyring(StaticKeyProvider.generate("m1"), store), actor="dpo-1", now=clock.now()
        )
    assert sorted(set(re.findall(rb"ZQ[A-Z]{4}\d{4}", _raw(path)))) == []
