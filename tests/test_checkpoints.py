"""Signed checkpoints over a store: made, written, read back, trusted or refused, compared."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common.audit import Checkpoint, seal_entries
from onestop.exceptions import (
    CheckpointRefused,
    CheckpointSignatureInvalid,
    InvalidCheckpoint,
    SigningKeyError,
)
from onestop.ports.events import Commit, NewEvent
from onestop.privacy.signing import Ed25519Signer, Ed25519Verifier, write_key_files
from onestop.storage.memory import MemoryStore
from onestop.testing.records import make_summary
from onestop.usecases.checkpoints import (
    checkpoint_bytes,
    make_checkpoint,
    read_checkpoint,
    verify_checkpoint,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def append(store: MemoryStore, stream: str, *bodies: bytes) -> None:
    """Append *bodies* to *stream*, chained on from its head."""
    records = store.read(stream)
    after = (
        Checkpoint(records[-1].version, records[-1].hash) if records else Checkpoint(0, "0" * 64)
    )
    pairs = [(after.version + i, body) for i, body in enumerate(bodies, start=1)]
    sealed = seal_entries(pairs, after=after)
    events = tuple(
        NewEvent(kind="noted", body=e.body, hash=e.hash, previous_hash=e.previous, notice=b"{}")
        for e in sealed
    )
    summary = make_summary(stream, after.version + len(bodies))
    store.commit(
        Commit(
            stream_id=stream,
            expected_version=after.version,
            events=events,
            summary=summary,
            recorded_at=T0,
        )
    )


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Ed25519Signer, Ed25519Verifier]:
    verifier = write_key_files(tmp_path / "key.pem")
    return Ed25519Signer.from_file(tmp_path / "key.pem"), verifier


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    append(store, "a1", b'{"v":1}', b'{"v":2}')
    append(store, "a2", b'{"v":1}')
    return store


def test_a_fresh_checkpoint_verifies(store: MemoryStore, keys) -> None:
    """A checkpoint verifies against the store it was made of, under the signer's public key."""
    signer, verifier = keys
    made = make_checkpoint(store, signer, now=T0, store_id="test-mall")
    found = verify_checkpoint(store, read_checkpoint(checkpoint_bytes(made)), verifier)
    assert found.ok
    assert (found.checked, found.not_covered, found.store_id) == (2, (), "test-mall")


def test_growth_and_new_streams_are_not_failures(store: MemoryStore, keys) -> None:
    """A stream grown since still matches; a stream created since is listed as not covered."""
    signer, verifier = keys
    made = make_checkpoint(store, signer, now=T0)
    append(store, "a1", b'{"v":3}')
    append(store, "a3", b'{"v":1}')
    found = verify_checkpoint(store, made, verifier)
    assert found.ok
    assert found.not_covered == ("a3",)


def test_a_rewritten_stream_is_named(keys) -> None:
    """A stream rewritten with recomputed hashes differs from its head, named by number."""
    signer, verifier = keys
    before = MemoryStore()
    append(before, "a1", b'{"v":1}', b'{"v":2}')
    made = make_checkpoint(before, signer, now=T0)
    after = MemoryStore()
    append(after, "a1", b'{"v":"forged"}', b'{"v":2}')
    found = verify_checkpoint(after, made, verifier)
    (mismatch,) = found.mismatches
    assert (mismatch.number, mismatch.stream, mismatch.version) == ("N/a1", "a1", 2)
    assert "rewritten" in mismatch.problem


def test_a_missing_application_is_reported_without_a_number(store: MemoryStore, keys) -> None:
    """A checkpointed stream the store no longer has is a mismatch, with no number to show."""
    signer, verifier = keys
    made = make_checkpoint(store, signer, now=T0)
    smaller = MemoryStore()
    append(smaller, "a1", b'{"v":1}', b'{"v":2}')
    (mismatch,) = verify_checkpoint(smaller, made, verifier).mismatches
    assert (mismatch.stream, mismatch.number) == ("a2", None)
    assert "missing" in mismatch.problem


def test_only_one_application_is_compared_when_asked(store: MemoryStore, keys) -> None:
    """With a number, only that application's heads are compared."""
    signer, verifier = keys
    made = make_checkpoint(store, signer, now=T0)
    assert verify_checkpoint(store, made, verifier, number="N/a2").checked == 1


def test_a_broken_chain_is_not_signed(keys) -> None:
    """A store whose chain is broken gets no checkpoint: the stream is named."""
    store = MemoryStore()
    event = NewEvent(kind="x", body=b"{}", hash="1" * 64, previous_hash="0" * 64, notice=b"{}")
    commit = Commit(
        stream_id="a1",
        expected_version=0,
        events=(event,),
        summary=make_summary("a1"),
        recorded_at=T0,
    )
    store.commit(commit)
    with pytest.raises(CheckpointRefused) as caught:
        make_checkpoint(store, keys[0], now=T0)
    assert caught.value.stream == "a1"


def test_a_checkpoint_under_another_key_is_not_trusted(store: MemoryStore, keys, tmp_path) -> None:
    """A checkpoint is checked under the trusted key, not the key it names."""
    signer, _ = keys
    other = write_key_files(tmp_path / "other.pem")
    made = make_checkpoint(store, signer, now=T0)
    with pytest.raises(CheckpointSignatureInvalid, match="not the trusted key"):
        verify_checkpoint(store, made, other)


def test_a_forged_signature_is_not_trusted(store: MemoryStore, keys) -> None:
    """A signature changed, or a signed field changed under it, does not verify."""
    signer, verifier = keys
    made = make_checkpoint(store, signer, now=T0)
    flipped = ("1" if made.signature[0] == "0" else "0") + made.signature[1:]
    forged = attrs.evolve(made, signature=flipped)
    with pytest.raises(CheckpointSignatureInvalid, match="does not verify"):
        verify_checkpoint(store, forged, verifier)
    later = attrs.evolve(made.statement, store_id="another")
    with pytest.raises(CheckpointSignatureInvalid):
        verify_checkpoint(store, attrs.evolve(made, statement=later), verifier)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"format": "onestop-checkpoint/1", "heads": [', "not JSON"),
        (b'{"streams": 1' + b"0" * 5000 + b"}", "more than 19 digits"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"streams": 1.5}', "fraction"),
        (b'{"streams": NaN}', "NaN"),
        (b'{"a": 1, "a": 2}', "twice"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "must be an object"),
    ],
)
def test_a_malformed_file_is_refused(data: bytes, reason: str) -> None:
    """Truncated JSON, huge numbers, deep nesting and the like are refused by name."""
    with pytest.raises(InvalidCheckpoint, match=reason):
        read_checkpoint(data)


def test_a_changed_head_in_the_file_is_refused(store: MemoryStore, keys) -> None:
    """A head edited in the file no longer hashes to the signed root."""
    made = make_checkpoint(store, keys[0], now=T0)
    document = json.loads(checkpoint_bytes(made))
    document["heads"][0]["version"] = 1
    with pytest.raises(InvalidCheckpoint, match="signed root"):
        read_checkpoint(json.dumps(document).encode())


@settings(max_examples=200)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_read_as_a_checkpoint_or_are_refused(data: bytes) -> None:
    """Reading any bytes gives a checkpoint or an InvalidCheckpoint, nothing else."""
    with contextlib.suppress(InvalidCheckpoint):
        read_checkpoint(data)


def test_a_private_key_open_to_others_is_refused(tmp_path: Path) -> None:
    """A private key file its group or others may read is not used to sign."""
    write_key_files(tmp_path / "key.pem")
    (tmp_path / "key.pem").chmod(0o640)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        Ed25519Signer.from_file(tmp_path / "key.pem")


def test_key_files_are_never_overwritten(tmp_path: Path) -> None:
    """Making keys where a key file exists is refused, and leaves the file as it was."""
    write_key_files(tmp_path / "key.pem")
    before = (tmp_path / "key.pem").read_bytes()
    with pytest.raises(SigningKeyError, match="exists already"):
        write_key_files(tmp_path / "key.pem")
    assert (tmp_path / "key.pem").read_bytes() == before
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600


def test_a_public_key_reads_from_base64(tmp_path: Path) -> None:
    """A public key file may be one line of base64 of the raw key, as published."""
    import base64

    verifier = write_key_files(tmp_path / "key.pem")
    line = tmp_path / "key.b64"
    line.write_text(base64.b64encode(verifier.public_key).decode() + "\n")
    assert Ed25519Verifier.from_file(line).fingerprint == verifier.fingerprint
    assert "BEGIN" not in repr(Ed25519Signer.from_file(tmp_path / "key.pem"))
