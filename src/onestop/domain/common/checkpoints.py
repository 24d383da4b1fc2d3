"""Signed checkpoints of chain heads: the document, its Merkle root, and the judging of a stream.

A hash chain shows that nothing in a stream changed *unless* whoever can write the
store recomputed the hashes (`onestop.domain.common.audit`).  A checkpoint, kept
outside the store, lists the head (version and hash) of every stream at one moment;
a government publishes it, signed.  Later, each stream must still have that hash at
that version, whatever was appended since.

The signature covers the `CheckpointStatement`, a few fields whose canonical bytes
(`canonical_bytes`) include the Merkle root of the heads, so signing and checking the
signature cost the same for ten streams as for a million; the heads themselves are
listed in the file, sorted by stream, and must hash to that root.

>>> head = StreamHead(stream="a1", version=2, hash="ab" * 32, application="a1")
>>> merkle_root([head]) == merkle_root([head])
True
>>> judge(head, []).problem
'the stream is missing (it had 2 entries)'

The module is pure: it hashes what it is given; signing happens in an adapter
(`onestop.privacy.signing`) behind `onestop.ports.signing`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from onestop.domain.common.audit import Checkpoint, SealedEntry, verify_chain
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import (
    INT64_MAX,
    SHA256_HEX,
    int_problem,
    kind_of,
    preview,
    text_problem,
)
from onestop.domain.common.kinds import check_instant
from onestop.exceptions import ChainError, InvalidCheckpoint

__all__ = [
    "FORMAT",
    "MAX_STREAMS",
    "CheckpointStatement",
    "HeadVerdict",
    "SignedCheckpoint",
    "StreamHead",
    "judge",
    "key_fingerprint",
    "merkle_root",
]

FORMAT = "onestop-checkpoint/1"
"""The format of the checkpoint documents this release writes and reads."""

MAX_STREAMS = 10_000_000
"""The most heads one checkpoint may list."""

_MAX_STREAM_ID = 300
_FINGERPRINT_PREFIX = "sha256:"
_SIGNATURE_HEX = 128  # an Ed25519 signature: 64 bytes


def _refuse(path: str, reason: str) -> InvalidCheckpoint:
    return InvalidCheckpoint(path=path, reason=reason)


def _stream_problem(value: object) -> str | None:
    return text_problem(value, max_length=_MAX_STREAM_ID)


def key_fingerprint(public_key: bytes, /) -> str:
    """The fingerprint a checkpoint names its signer by: ``sha256:`` and the raw key's hex hash.

    Raises:
        onestop.exceptions.InvalidCheckpoint: If *public_key* is not 32 bytes (Ed25519).
    """
    given: object = public_key
    if not isinstance(given, bytes) or len(given) != 32:
        raise _refuse("$.signer", f"a public key is 32 bytes, not {kind_of(given)}")
    return _FINGERPRINT_PREFIX + hashlib.sha256(public_key).hexdigest()


def _check_head(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    name = attribute.name
    if name in {"stream", "application"}:
        problem = _stream_problem(value)
    elif name == "version":
        problem = int_problem(value, minimum=1, maximum=INT64_MAX)
    else:
        problem = None if SHA256_HEX.matches(value) else "must be 64 lower-case hex digits"
    if problem is not None:
        raise _refuse(f"head.{name}", problem)


@attrs.frozen(kw_only=True)
class StreamHead:
    """The head of one stream when the checkpoint was made.

    Attributes:
        stream: The stream's id: an application's id, or a courier stream of it
            (``courier:<id>``, ``courier-job:<job>``, ``packet:<seal>``).
        version: The version of its last entry then, from 1.
        hash: That entry's chain hash.
        application: The id of the application the stream belongs to.
    """

    stream: str = attrs.field(validator=_check_head)
    version: int = attrs.field(validator=_check_head)
    hash: str = attrs.field(validator=_check_head)
    application: str = attrs.field(validator=_check_head)

    def leaf(self) -> bytes:
        """This head's leaf of the Merkle tree: the hash of its canonical form."""
        body = canonical_bytes(attrs.asdict(self))
        return hashlib.sha256(b"\x00" + body).digest()

    def to_document(self) -> dict[str, object]:
        """The head as the checkpoint file lists it."""
        return attrs.asdict(self)


def merkle_root(heads: Sequence[StreamHead], /) -> str:
    """The Merkle root of *heads*, in the order given, as hex (RFC 6962's tree hash).

    Leaves are ``SHA-256(0x00 || canonical head)``, inner nodes
    ``SHA-256(0x01 || left || right)``; an odd node is carried up as it is.  The root
    of no heads is the hash of nothing.

    Raises:
        onestop.exceptions.ChainError: If *heads* is not a sequence of `StreamHead`.
    """
    given: object = heads
    if not isinstance(given, Sequence) or isinstance(given, str | bytes):
        raise ChainError(f"heads must be a sequence of StreamHead, not {kind_of(given)}")
    level: list[bytes] = []
    for index, head in enumerate(given):
        if not isinstance(head, StreamHead):
            raise ChainError(f"heads[{index}] must be a StreamHead, not {kind_of(head)}")
        level.append(head.leaf())
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0].hex()


def _check_statement(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    path, name = f"$.{attribute.name}", attribute.name
    if name == "created_at":
        try:
            check_instant(value, field=path)
        except ValueError as exc:
            raise _refuse(path, "must be an aware date and time") from exc
        return
    if name == "store_id":
        problem = None if value is None else text_problem(value, max_length=200)
    elif name == "streams":
        problem = int_problem(value, minimum=0, maximum=MAX_STREAMS)
    elif name == "root":
        problem = None if SHA256_HEX.matches(value) else "must be 64 lower-case hex digits"
    elif name == "signer":
        hexa = value[len(_FINGERPRINT_PREFIX) :] if isinstance(value, str) else None
        ok = isinstance(value, str) and value.startswith(_FINGERPRINT_PREFIX)
        problem = None if ok and SHA256_HEX.matches(hexa) else "must be sha256:<64 hex digits>"
    else:
        problem = None if value == FORMAT else f"must be {FORMAT!r} (this release's format)"
    if problem is not None:
        raise _refuse(path, problem)


@attrs.frozen(kw_only=True)
class CheckpointStatement:
    """What a checkpoint's signature covers.

    Attributes:
        created_at: When the heads were read.
        signer: The fingerprint of the signing key (`key_fingerprint`).
        streams: How many heads the checkpoint lists.
        root: Their Merkle root (`merkle_root`).
        store_id: A name of the store the heads were read from, if it was given one.
        format: `FORMAT`.
    """

    created_at: datetime = attrs.field(validator=_check_statement)
    signer: str = attrs.field(validator=_check_statement)
    streams: int = attrs.field(validator=_check_statement)
    root: str = attrs.field(validator=_check_statement)
    store_id: str | None = attrs.field(default=None, validator=_check_statement)
    format: str = attrs.field(default=FORMAT, validator=_check_statement)

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature is over."""
        return canonical_bytes(attrs.asdict(self))


def _check_signature(_: object, __: attrs.Attribute[str], value: object) -> None:
    text = value if isinstance(value, str) else ""
    if len(text) != _SIGNATURE_HEX or not SHA256_HEX.matches(text[:64] or "-"):
        raise _refuse("$.signature", "must be 128 lower-case hex digits (an Ed25519 signature)")
    if not SHA256_HEX.matches(text[64:]):
        raise _refuse("$.signature", "must be 128 lower-case hex digits (an Ed25519 signature)")


@attrs.frozen(kw_only=True)
class SignedCheckpoint:
    """A signed checkpoint: its statement, its heads sorted by stream, and the signature.

    Building one checks that the heads are sorted, unique, as many as the statement
    says, and that they hash to its root; the signature is checked against a trusted
    key by `onestop.usecases.checkpoints.verify_checkpoint`.

    Attributes:
        statement: What is signed.
        heads: The heads, sorted by stream id.
        signature: The Ed25519 signature of ``statement.signed_bytes()``, as hex.
    """

    statement: CheckpointStatement
    heads: tuple[StreamHead, ...] = attrs.field(repr=lambda heads: f"<{len(heads)} heads>")
    signature: str = attrs.field(validator=_check_signature)

    def __attrs_post_init__(self) -> None:
        """Check that the heads are the ones the statement describes."""
        if not isinstance(self.statement, CheckpointStatement):
            raise _refuse("$", f"the statement must be a CheckpointStatement, not {kind_of(self)}")
        given: object = self.heads
        if not isinstance(given, tuple):
            raise _refuse("$.heads", f"must be a tuple of StreamHead, not {kind_of(given)}")
        if len(self.heads) != self.statement.streams:
            raise _refuse(
                "$.heads",
                f"lists {len(self.heads)} heads, the statement says {self.statement.streams}",
            )
        for index in range(1, len(self.heads)):
            if not self.heads[index - 1].stream < self.heads[index].stream:
                raise _refuse(f"$.heads[{index}]", "heads must be sorted by stream, each once")
        if merkle_root(self.heads) != self.statement.root:
            raise _refuse("$.heads", "the heads do not hash to the signed root")

    def to_document(self) -> dict[str, object]:
        """The checkpoint as a JSON-ready table, as the file holds it."""
        statement = attrs.asdict(self.statement)
        statement["created_at"] = self.statement.created_at.isoformat()
        return statement | {
            "heads": [head.to_document() for head in self.heads],
            "signature": self.signature,
        }

    @classmethod
    def from_document(cls, document: object, /) -> SignedCheckpoint:
        """Read a checkpoint from its parsed JSON *document* (as `to_document` gives).

        Raises:
            onestop.exceptions.InvalidCheckpoint: If *document* is not a well-formed
                checkpoint, naming where.
        """
        table = _table(document, "$")
        fields = {"format", "created_at", "store_id", "signer", "streams", "root"}
        _keys(table, "$", fields | {"heads", "signature"})
        created = table["created_at"]
        try:
            created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            created_at = None
        if created_at is None:
            raise _refuse("$.created_at", "must be an ISO 8601 date and time")
        others: dict[str, Any] = {name: table[name] for name in fields - {"created_at"}}
        statement = CheckpointStatement(**others, created_at=created_at)
        heads = table["heads"]
        if not isinstance(heads, list):
            raise _refuse("$.heads", f"must be a list, not {kind_of(heads)}")
        if len(heads) > MAX_STREAMS:
            raise _refuse("$.heads", f"lists more than {MAX_STREAMS} heads")
        listed = tuple(_head(item, f"$.heads[{index}]") for index, item in enumerate(heads))
        signature: Any = table["signature"]
        return cls(statement=statement, heads=listed, signature=signature)


def _table(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise _refuse(path, f"must be an object, not {kind_of(value)}")
    return value


def _keys(table: Mapping[str, object], path: str, expected: set[str]) -> None:
    missing, extra = expected - set(table), set(table) - expected
    if missing:
        raise _refuse(path, f"missing {', '.join(sorted(missing))}")
    if extra:
        raise _refuse(path, f"{len(extra)} unknown key(s)")


def _head(value: object, path: str) -> StreamHead:
    table = _table(value, path)
    _keys(table, path, {"stream", "version", "hash", "application"})
    try:
        return StreamHead(**table)  # type: ignore[arg-type]  # checked by the validators
    except InvalidCheckpoint as exc:
        raise _refuse(f"{path}{exc.path.removeprefix('head')}", exc.reason) from None


@attrs.frozen(kw_only=True)
class HeadVerdict:
    """How one stream compares with its head in a checkpoint.

    Attributes:
        ok: Whether the stream still has the head's hash at its version, and every
            entry after it chains on from it.
        problem: What is wrong, if not: missing, shortened, rewritten, broken after.
    """

    ok: bool
    problem: str | None = None


_SAME = HeadVerdict(ok=True)


def judge(head: StreamHead, entries: Sequence[SealedEntry], /) -> HeadVerdict:
    """Compare the stored *entries* of *head*'s stream with *head*.

    The stream may have grown since; its later entries must chain on from the head.

    Raises:
        onestop.exceptions.ChainError: If *head* is not a `StreamHead` or *entries*
            not a sequence.
    """
    if not isinstance(head, StreamHead):
        raise ChainError(f"head must be a StreamHead, not {kind_of(head)}")
    given: object = entries
    if not isinstance(given, Sequence) or isinstance(given, str | bytes):
        raise ChainError(f"entries must be a sequence of SealedEntry, not {kind_of(given)}")
    if not entries:
        return HeadVerdict(
            ok=False, problem=f"the stream is missing (it had {preview(head.version)} entries)"
        )
    report = verify_chain(entries, anchor=Checkpoint(head.version, head.hash))
    if report.ok:
        return _SAME
    where = f"entry {preview(report.version)}: " if report.version is not None else ""
    return HeadVerdict(ok=False, problem=f"{where}{report.problem}")
