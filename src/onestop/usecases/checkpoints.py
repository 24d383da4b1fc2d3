"""Signed checkpoints over a store: make one, write and read its file, verify a store against it.

Whoever can write the database can rewrite a stream and recompute its whole chain;
``onestop audit verify`` then finds nothing wrong.  A checkpoint, signed with a key
kept away from the database and published (`make_checkpoint`, `checkpoint_bytes`),
fixes every stream's head at one moment.  `verify_checkpoint` later checks, under a
public key the *inspector* trusts, that each stream still has that hash at that
version (having grown since is fine: its later entries must chain on from the head),
and names each stream that is missing, shorter, or rewritten.  Streams created since
are listed as not covered.

The streams of a store are those ``onestop audit verify`` checks: every application's
events, and its courier index, courier jobs and packets' custody ledgers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from onestop.domain.common.checkpoints import (
    MAX_STREAMS,
    CheckpointStatement,
    SignedCheckpoint,
    StreamHead,
    judge,
    key_fingerprint,
    merkle_root,
)
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_instant, check_type
from onestop.exceptions import (
    ApplicationNotFound,
    CheckpointRefused,
    CheckpointSignatureInvalid,
    InvalidCheckpoint,
    OnestopError,
)
from onestop.ports.events import EventStore, StoredEvent, Summary
from onestop.ports.signing import SignatureVerifier, Signer
from onestop.usecases import streams
from onestop.usecases.applications.queries import every_summary
from onestop.usecases.courier import writer as courier

__all__ = [
    "MAX_CHECKPOINT_BYTES",
    "CheckpointAudit",
    "HeadMismatch",
    "check_signature",
    "checkpoint_bytes",
    "make_checkpoint",
    "read_checkpoint",
    "verify_checkpoint",
]

MAX_CHECKPOINT_BYTES = 4 * 1024**3
"""The largest checkpoint file `read_checkpoint` reads (enough for `MAX_STREAMS` heads)."""

_PAGE = 500
_MAX_DIGITS = 19  # a version is at most 2**63 - 1


def _applications(store: EventStore, number: str | None) -> Iterator[Summary]:
    if number is not None:
        row = store.find_number(number)
        if row is None:
            raise ApplicationNotFound(None)
        yield row
        return
    yield from every_summary(store)


def _courier_streams(store: EventStore, application_id: str) -> list[str]:
    """The courier streams the application's index lists; none if the index does not load."""
    try:
        index = courier.load_index(store, application_id)
    except OnestopError:
        return []  # a broken index: `audit verify` reports it; its streams go unlisted
    jobs = [courier.job_stream(job) for job, _ in index.jobs]
    return jobs + [courier.packet_stream(seal) for seal in index.packets]


def _streams_of(
    store: EventStore, application_id: str
) -> Iterator[tuple[str, tuple[StoredEvent, ...]]]:
    """Each non-empty stream of one application, with its records."""
    yield application_id, store.read(application_id)
    index = courier.index_stream(application_id)
    records = store.read(index)
    if not records:
        return
    yield index, records
    for stream in _courier_streams(store, application_id):
        yield stream, store.read(stream)


def make_checkpoint(
    store: EventStore, signer: Signer, /, *, now: datetime, store_id: str | None = None
) -> SignedCheckpoint:
    """Read the head of every stream in *store* and sign them, as of *now*.

    Every chain is checked first: a broken one is not signed for.

    Raises:
        onestop.exceptions.CheckpointRefused: If a stream's chain is broken.
        onestop.exceptions.InvalidCheckpoint: If *store_id* is not a short text, or
            the store holds more than `MAX_STREAMS` streams.
        onestop.exceptions.InvalidValue: If *now* is not an aware datetime.
        onestop.exceptions.StorageError: If the store cannot be read.
    """
    check_instant(now, field="now")
    fingerprint = key_fingerprint(signer.public_key)
    heads: list[StreamHead] = []
    for row in _applications(store, None):
        for stream, records in _streams_of(store, row.stream_id):
            report = streams.verify(records)
            if not records or not report.ok:
                problem = f"entry {report.version}: {report.problem}" if records else "empty"
                raise CheckpointRefused(stream=stream, problem=problem)
            last = records[-1]
            head = StreamHead(
                stream=stream, version=last.version, hash=last.hash, application=row.stream_id
            )
            heads.append(head)
    heads.sort(key=lambda head: head.stream)
    if len(heads) > MAX_STREAMS:
        raise InvalidCheckpoint(path="$.heads", reason=f"more than {MAX_STREAMS} streams")
    statement = CheckpointStatement(
        created_at=now,
        signer=fingerprint,
        streams=len(heads),
        root=merkle_root(heads),
        store_id=store_id,
    )
    signature = signer.sign(statement.signed_bytes()).hex()
    return SignedCheckpoint(statement=statement, heads=tuple(heads), signature=signature)


def checkpoint_bytes(checkpoint: SignedCheckpoint, /) -> bytes:
    """The checkpoint as the file to publish: JSON in UTF-8, one head per line.

    Raises:
        onestop.exceptions.InvalidValue: If *checkpoint* is not a `SignedCheckpoint`.
    """
    check_type(checkpoint, SignedCheckpoint, field="checkpoint")
    document = checkpoint.to_document()
    heads = document.pop("heads")
    head_lines = ",\n".join(json.dumps(head, sort_keys=True) for head in heads)  # type: ignore[attr-defined]
    top = json.dumps(document, sort_keys=True, indent=1)
    listed = f'"heads": [\n{head_lines}\n]' if head_lines else '"heads": []'
    return f"{top[:-2]},\n {listed}\n}}\n".encode()


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _refuse_float(text: str) -> Any:
    raise _Refused("a number with a fraction or exponent (checkpoints hold integers only)")


def _refuse_constant(text: str) -> Any:
    raise _Refused("NaN or Infinity, which JSON does not allow")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise _Refused(f"an integer of more than {_MAX_DIGITS} digits")
    return int(text)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    table = dict(pairs)
    if len(table) != len(pairs):
        raise _Refused("an object with a key given twice")
    return table


def read_checkpoint(data: bytes, /) -> SignedCheckpoint:
    """Read a checkpoint file's bytes.  Its signature is *not* checked: see `check_signature`.

    Raises:
        onestop.exceptions.InvalidCheckpoint: If *data* is not a well-formed checkpoint
            (not UTF-8 JSON, truncated, too big, too deeply nested, a huge number, a
            key twice, a wrong shape, heads that do not hash to the signed root).
    """
    if not isinstance(data, bytes):
        raise InvalidCheckpoint(
            path="$", reason=f"a checkpoint is read from bytes, not {kind_of(data)}"
        )
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise InvalidCheckpoint(path="$", reason=f"is over {MAX_CHECKPOINT_BYTES} bytes")
    try:
        document = json.loads(
            data.decode("utf-8"),
            parse_float=_refuse_float,
            parse_int=_integer,
            parse_constant=_refuse_constant,
            object_pairs_hook=_pairs,
        )
    except _Refused as exc:
        raise InvalidCheckpoint(path="$", reason=f"holds {exc.reason}") from None
    except RecursionError:
        raise InvalidCheckpoint(path="$", reason="is nested too deeply") from None
    except UnicodeDecodeError as exc:
        reason = f"is not UTF-8 (byte {exc.start + 1})"
        raise InvalidCheckpoint(path="$", reason=reason) from None
    except json.JSONDecodeError as exc:
        reason = f"is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InvalidCheckpoint(path="$", reason=reason) from None
    return SignedCheckpoint.from_document(document)


def check_signature(checkpoint: SignedCheckpoint, verifier: SignatureVerifier, /) -> None:
    """Check that *checkpoint* was signed by the key *verifier* trusts.

    The key the checkpoint names is compared with the trusted one, then the signature
    checked under the trusted key (never under a key taken from the file).

    Raises:
        onestop.exceptions.CheckpointSignatureInvalid: If the checkpoint names another
            key, or its signature does not verify.
        onestop.exceptions.InvalidValue: If *checkpoint* is not a `SignedCheckpoint`.
    """
    check_type(checkpoint, SignedCheckpoint, field="checkpoint")
    trusted = key_fingerprint(verifier.public_key)
    named = checkpoint.statement.signer
    if named != trusted:
        reason = f"it names the key {named}, not the trusted key {trusted}"
        raise CheckpointSignatureInvalid(reason)
    signature = bytes.fromhex(checkpoint.signature)
    if not verifier.verify(signature, checkpoint.statement.signed_bytes()):
        raise CheckpointSignatureInvalid("the signature does not verify under the trusted key")


@attrs.frozen(kw_only=True)
class HeadMismatch:
    """A stream that no longer has its checkpointed head.

    Attributes:
        number: The number of its application, if the store still has that application.
        application_id: The application's id.
        stream: The stream.
        version: The version the checkpoint fixed.
        problem: What is wrong: missing, shortened, rewritten, or broken after the head.
    """

    number: str | None
    application_id: str
    stream: str
    version: int
    problem: str


@attrs.frozen(kw_only=True)
class CheckpointAudit:
    """What `verify_checkpoint` found.

    Attributes:
        created_at: When the checkpoint was made.
        signer: The fingerprint of the key that signed it (the trusted one).
        store_id: The store it names, if any.
        checked: The heads compared with the store.
        mismatches: The streams that no longer have their head.
        not_covered: Streams in the store that the checkpoint does not list (created
            since): not failures.
    """

    created_at: datetime
    signer: str
    store_id: str | None
    checked: int
    mismatches: tuple[HeadMismatch, ...]
    not_covered: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether every checkpointed stream still has its head."""
        return not self.mismatches


def verify_checkpoint(
    store: EventStore,
    checkpoint: SignedCheckpoint,
    verifier: SignatureVerifier,
    /,
    *,
    number: str | None = None,
) -> CheckpointAudit:
    """Check *store* against *checkpoint*, signed under the key *verifier* trusts.

    With *number*, only that application's streams are compared.

    Raises:
        onestop.exceptions.CheckpointSignatureInvalid: If the checkpoint is not signed
            by the trusted key (`check_signature`); nothing is compared then.
        onestop.exceptions.ApplicationNotFound: If *number* is given and no application
            has it.
        onestop.exceptions.StorageError: If the store cannot be read.
    """
    check_signature(checkpoint, verifier)
    numbers: dict[str, str] = {}
    present: set[str] = set()
    for row in _applications(store, number):
        numbers[row.stream_id] = row.number
        present.add(row.stream_id)
        if store.read(courier.index_stream(row.stream_id)):
            present.add(courier.index_stream(row.stream_id))
            present.update(_courier_streams(store, row.stream_id))
    heads = [h for h in checkpoint.heads if number is None or h.application in numbers]
    mismatches: list[HeadMismatch] = []
    for head in heads:
        verdict = judge(head, streams.entries(store.read(head.stream)))
        if not verdict.ok:
            mismatches.append(
                HeadMismatch(
                    number=numbers.get(head.application),
                    application_id=head.application,
                    stream=head.stream,
                    version=head.version,
                    problem=verdict.problem or "",
                )
            )
    covered = {head.stream for head in heads}
    return CheckpointAudit(
        created_at=checkpoint.statement.created_at,
        signer=checkpoint.statement.signer,
        store_id=checkpoint.statement.store_id,
        checked=len(heads),
        mismatches=tuple(mismatches),
        not_covered=tuple(sorted(present - covered)),
    )
