"""The checkpoint document, its Merkle root, and how a stream is judged against its head."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common.audit import seal_entries
from onestop.domain.common.checkpoints import (
    CheckpointStatement,
    SignedCheckpoint,
    StreamHead,
    judge,
    key_fingerprint,
    merkle_root,
)
from onestop.exceptions import ChainError, InvalidCheckpoint

HASH = "ab" * 32
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

heads_st = st.lists(
    st.builds(
        StreamHead,
        stream=st.text("abc:-0123456789", min_size=1, max_size=12),
        version=st.integers(1, 2**63 - 1),
        hash=st.binary(min_size=32, max_size=32).map(bytes.hex),
        application=st.just("a1"),
    ),
    unique_by=lambda head: head.stream,
    max_size=20,
).map(lambda heads: sorted(heads, key=lambda head: head.stream))


def _signed(heads: list[StreamHead]) -> SignedCheckpoint:
    statement = CheckpointStatement(
        created_at=T0,
        signer=key_fingerprint(bytes(32)),
        streams=len(heads),
        root=merkle_root(heads),
    )
    return SignedCheckpoint(statement=statement, heads=tuple(heads), signature="00" * 64)


def _chain(count: int) -> list:
    return seal_entries([(v, b'{"v":%d}' % v) for v in range(1, count + 1)])


@given(heads_st)
def test_a_document_reads_back_equal(heads: list[StreamHead]) -> None:
    """A checkpoint's document reads back as the same checkpoint."""
    signed = _signed(heads)
    assert SignedCheckpoint.from_document(signed.to_document()) == signed


@given(heads_st.filter(bool), st.data())
def test_any_changed_head_changes_the_root(heads: list[StreamHead], data: st.DataObject) -> None:
    """Changing one head's version or hash changes the Merkle root."""
    index = data.draw(st.integers(0, len(heads) - 1))
    head = heads[index]
    other = attrs.evolve(head, version=head.version % (2**63 - 1) + 1)
    changed = [*heads[:index], other, *heads[index + 1 :]]
    assert merkle_root(changed) != merkle_root(heads)


def test_heads_that_do_not_hash_to_the_root_are_refused() -> None:
    """A document whose heads were edited no longer matches the signed root."""
    document = _signed([StreamHead(stream="a1", version=2, hash=HASH, application="a1")])
    table = document.to_document()
    table["heads"] = [dict(table["heads"][0], version=3)]  # type: ignore[index]
    with pytest.raises(InvalidCheckpoint, match="do not hash to the signed root"):
        SignedCheckpoint.from_document(table)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"format": "onestop-checkpoint/9"}, "$.format"),
        ({"streams": True}, "$.streams"),
        ({"created_at": "yesterday"}, "$.created_at"),
        ({"signer": "md5:00"}, "$.signer"),
        ({"signature": "zz"}, "$.signature"),
        ({"heads": {}}, "$.heads"),
        ({"heads": [{"stream": "a1"}]}, "$.heads[0]"),
        (
            {"heads": [{"stream": "a1", "version": 0, "hash": HASH, "application": "a"}]},
            "$.heads[0].version",
        ),
        ({"extra": 1}, "$"),
    ],
)
def test_a_malformed_document_is_refused_naming_where(change: dict, path: str) -> None:
    """Each malformed part of a document is refused with the path to it."""
    table = _signed([]).to_document() | change
    with pytest.raises(InvalidCheckpoint) as caught:
        SignedCheckpoint.from_document(table)
    assert caught.value.path == path


def test_unsorted_heads_are_refused() -> None:
    """Heads must come sorted by stream, each once."""
    heads = [StreamHead(stream=s, version=1, hash=HASH, application="a") for s in ("b", "a")]
    with pytest.raises(InvalidCheckpoint, match="sorted"):
        _signed(heads)


@given(st.integers(1, 6), st.integers(0, 4))
def test_a_stream_grown_since_its_head_is_judged_intact(count: int, more: int) -> None:
    """A stream that has the head's hash at its version, and chains on after it, is intact."""
    chain = _chain(count + more)
    head = StreamHead(stream="a", version=count, hash=chain[count - 1].hash, application="a")
    assert judge(head, chain).ok


def test_a_shortened_stream_is_judged_shortened() -> None:
    """A stream that ends before the head's version is reported as cut short."""
    chain = _chain(3)
    head = StreamHead(stream="a", version=3, hash=chain[2].hash, application="a")
    verdict = judge(head, chain[:2])
    assert not verdict.ok
    assert "removed from the end" in (verdict.problem or "")


def test_a_rewritten_stream_is_judged_rewritten() -> None:
    """A stream rewritten with its hashes recomputed no longer matches the head."""
    head = StreamHead(stream="a", version=2, hash=_chain(2)[1].hash, application="a")
    rewritten = seal_entries([(1, b'{"v":"other"}'), (2, b'{"v":2}')])
    verdict = judge(head, rewritten)
    assert not verdict.ok
    assert "rewritten" in (verdict.problem or "")


def test_a_missing_stream_is_judged_missing() -> None:
    """A stream with no entries left is reported missing."""
    head = StreamHead(stream="a", version=2, hash=HASH, application="a")
    assert judge(head, []) == judge(head, ())
    assert "missing" in (judge(head, []).problem or "")


def test_judge_refuses_what_is_not_a_head() -> None:
    """Judging something that is not a StreamHead is a ChainError."""
    with pytest.raises(ChainError):
        judge("a", [])  # type: ignore[arg-type]
