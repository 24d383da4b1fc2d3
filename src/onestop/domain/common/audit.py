"""The tamper-evident audit trail: a canonical encoding and a hash chain over it.

Each entry of a stream (an application's events, a courier job's handoffs) is hashed
together with the hash of the entry before it, so that changing, removing, inserting
or reordering an entry breaks every link after it.  `verify_chain` finds the first
entry that does not fit and says what is wrong with it.

>>> bodies = [canonical_bytes({"kind": "submitted", "n": n}) for n in (1, 2, 3)]
>>> chain = seal_entries(list(enumerate(bodies, start=1)))
>>> verify_chain(chain).ok
True
>>> verify_chain([chain[0], chain[2]])
ChainReport(ok=False, first_bad=1, version=3, problem='version 3 follows 1 (an entry ...')

What a chain cannot see: whoever holds the whole chain can cut entries off its end,
or rewrite it from some entry on and recompute every hash after it.  Only a
`Checkpoint` of the head kept somewhere else (another system, a signed receipt, a
printed register) catches that: pass it as ``anchor``.

The module is pure: it hashes bytes it is given and reads no clock or storage.  What
goes into a body is the caller's choice; the event envelope puts the stream id, the
event's kind and time and its payload there, through `canonical_bytes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import attrs

from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import INT64_MAX, SHA256_HEX, int_problem, kind_of, preview
from onestop.exceptions import ChainBroken, ChainError

__all__ = [
    "GENESIS",
    "ORIGIN",
    "ChainReport",
    "Checkpoint",
    "SealedEntry",
    "chain_hash",
    "event_body",
    "extend_chain",
    "seal",
    "seal_entries",
    "verify_chain",
]

# --- the hash chain -----------------------------------------------------------------

GENESIS = "0" * 64
"""The ``previous`` hash of a stream's first entry."""

_DOMAIN = b"onestop-chain-v1\x00"


def _check_hash(name: str, value: object) -> str:
    if not SHA256_HEX.matches(value):
        raise ChainError(f"{name} must be 64 lower-case hex digits (a SHA-256 hash)")
    return value  # type: ignore[return-value]  # matches() proved it is a str


def _check_version(name: str, value: object, *, lowest: int) -> int:
    if int_problem(value, minimum=lowest, maximum=INT64_MAX) is not None:
        raise ChainError(f"{name} must be an integer from {lowest} to 2**63 - 1")
    return value  # type: ignore[return-value]  # int_problem() proved it is an int


def chain_hash(previous: str, version: int, body: bytes) -> str:
    """Return the hash of an entry: SHA-256, in lower-case hex, over a framed input.

    The input is, byte for byte (``u64`` is an unsigned 64-bit big-endian length or
    number)::

        b"onestop-chain-v1\\x00"
        u64(len(previous)) previous-as-ASCII
        u64(version)
        u64(len(body)) body

    The prefix keeps these hashes apart from any other SHA-256 use; the lengths make
    the framing unambiguous.

    Raises:
        onestop.exceptions.ChainError: If *previous* is not 64 lower-case hex digits,
            *version* is not 1 to 2**63 - 1, or *body* is not bytes.
    """
    _check_hash("previous", previous)
    _check_version("version", version, lowest=1)
    if not isinstance(body, bytes):
        raise ChainError("body must be bytes")
    digest = hashlib.sha256(_DOMAIN)
    digest.update(len(previous).to_bytes(8, "big"))
    digest.update(previous.encode("ascii"))
    digest.update(version.to_bytes(8, "big"))
    digest.update(len(body).to_bytes(8, "big"))
    digest.update(body)
    return digest.hexdigest()


def extend_chain(bodies: Iterable[bytes], /, *, version: int, head: str) -> list[SealedEntry]:
    """Chain *bodies* after the entry at *version* whose hash is *head*: the one chain loop.

    Every stream is chained here, whatever its aggregate (an application, a courier job,
    a custody ledger, a courier index): each body gets the next version and is hashed
    with `chain_hash` over the hash of the entry before it.

    >>> [entry.version for entry in extend_chain([b"a", b"b"], version=0, head=GENESIS)]
    [1, 2]

    Raises:
        onestop.exceptions.ChainError: If *head* is not a SHA-256, *version* is not an
            integer from 0, or a body is not bytes.
    """
    _check_version("version", version, lowest=0)
    entries: list[SealedEntry] = []
    for body in bodies:
        version += 1
        hashed = chain_hash(head, version, body)
        entries.append(SealedEntry(version, body, hashed, head))
        head = hashed
    return entries


def event_body(stream_id: str, payload: object, /, *, schema: int = 1) -> bytes:
    """Return the stored body of an event: the canonical JSON of its envelope.

    The envelope is ``{"stream_id": ..., "event": payload}``, and ``"schema": n`` when
    the event's shape is at schema version *n* above 1; so the bytes of every event
    written before schema versions existed stay what they were.  Binding the stream id
    into the body means an event copied into another stream no longer verifies.

    >>> event_body("s-1", {"kind": "noted"})
    b'{"event":{"kind":"noted"},"stream_id":"s-1"}'

    Raises:
        onestop.exceptions.NotCanonical: If *payload* has no canonical encoding.
        onestop.exceptions.ChainError: If *schema* is not an integer from 1.
    """
    _check_version("schema", schema, lowest=1)
    envelope: dict[str, object] = {"stream_id": stream_id, "event": payload}
    if schema != 1:
        envelope["schema"] = schema
    return canonical_bytes(envelope)


def _checkpoint_version(_: object, __: attrs.Attribute[int], value: object) -> None:
    _check_version("checkpoint version", value, lowest=0)


def _checkpoint_hash(_: object, __: attrs.Attribute[str], value: object) -> None:
    _check_hash("checkpoint hash", value)


@attrs.frozen
class Checkpoint:
    """The head of a chain at one version: enough to prove later that nothing before it changed.

    Export one (to another system, a signed receipt, a printed register) to make
    truncation and wholesale rewriting detectable.

    Attributes:
        version: The version of the entry, 0 for the empty chain.
        hash: That entry's hash (`GENESIS` for version 0).
    """

    version: int = attrs.field(validator=_checkpoint_version)
    hash: str = attrs.field(validator=_checkpoint_hash)

    @classmethod
    def of(cls, entry: SealedEntry, /) -> Checkpoint:
        """Return the checkpoint at *entry*.

        Raises:
            onestop.exceptions.ChainError: If *entry* is not a well-formed `SealedEntry`.
        """
        if not isinstance(entry, SealedEntry):
            raise ChainError(f"a checkpoint is taken at a SealedEntry, not {kind_of(entry)}")
        return cls(entry.version, entry.hash)


ORIGIN = Checkpoint(0, GENESIS)
"""The checkpoint before a stream's first entry."""


@attrs.frozen
class SealedEntry:
    """One stored entry of a chain.  Its ``repr`` shows the body's length, not its bytes.

    Attributes:
        version: Its position in the stream, from 1, contiguous.
        body: The canonical bytes that were hashed.
        hash: ``chain_hash(previous, version, body)``.
        previous: The hash of the entry before, or `GENESIS`.
    """

    version: int
    body: bytes = attrs.field(repr=lambda body: _shown_body(body))
    hash: str
    previous: str


def _shown_body(body: object) -> str:
    return f"<{len(body)} bytes>" if isinstance(body, bytes) else f"<{kind_of(body)}>"


def _check_sequence(entries: object, what: str) -> None:
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise ChainError(f"entries must be a sequence of {what}, not {kind_of(entries)}")


def _check_after(after: object, anchor: object = None) -> Checkpoint:
    for name, value in (("after", after), ("anchor", anchor)):
        if not isinstance(value, Checkpoint) and not (name == "anchor" and value is None):
            raise ChainError(f"{name} must be a Checkpoint, not {kind_of(value)}")
    return after  # type: ignore[return-value]  # checked above


def seal(entries: Sequence[tuple[int, bytes]], /, *, after: Checkpoint = ORIGIN) -> list[str]:
    """Return the hash of each ``(version, body)`` pair, chained from *after*.

    Raises:
        onestop.exceptions.ChainBroken: If the versions do not run on from
            ``after.version`` one by one.
        onestop.exceptions.ChainError: If a body is not bytes.
    """
    return [entry.hash for entry in seal_entries(entries, after=after)]


def seal_entries(
    entries: Sequence[tuple[int, bytes]], /, *, after: Checkpoint = ORIGIN
) -> list[SealedEntry]:
    """Like `seal`, but return whole `SealedEntry` values, ready to store.

    Raises:
        onestop.exceptions.ChainBroken: If the versions do not run on one by one.
        onestop.exceptions.ChainError: If *entries* is not a sequence of
            ``(version, body)`` pairs, a body is not bytes, or *after* is not a
            `Checkpoint`.
    """
    _check_after(after)
    _check_sequence(entries, "(version, body) pairs")
    previous, expected = after.hash, after.version + 1
    sealed: list[SealedEntry] = []
    given: Sequence[object] = entries
    for index, pair in enumerate(given):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ChainError(f"entries[{index}] must be a (version, body) pair")
        version, body = pair
        _check_version(f"entries[{index}] version", version, lowest=1)
        if version != expected:
            problem = f"version {version} where {expected} should come next"
            raise ChainBroken(index=index, version=version, problem=problem)
        entry = SealedEntry(version, body, chain_hash(previous, version, body), previous)
        sealed.append(entry)
        previous, expected = entry.hash, version + 1
    return sealed


@attrs.frozen(kw_only=True)
class ChainReport:
    """What `verify_chain` found.

    Attributes:
        ok: Whether every entry fits.
        first_bad: The position (0-based, in the sequence given) of the first entry that
            does not fit; ``len(entries)`` when entries are missing at the end.
        version: That entry's stored version, or the first missing one.
        problem: What is wrong, in words.
    """

    ok: bool
    first_bad: int | None = None
    version: int | None = None
    problem: str | None = None

    def raise_for_problem(self) -> None:
        """Raise `onestop.exceptions.ChainBroken` describing the problem, if there is one."""
        if not self.ok:
            index = self.first_bad if self.first_bad is not None else 0
            raise ChainBroken(index=index, version=self.version, problem=self.problem or "")


_VERIFIED = ChainReport(ok=True)


def _bad(index: int, version: object, problem: str) -> ChainReport:
    shown = version if isinstance(version, int) and not isinstance(version, bool) else None
    return ChainReport(ok=False, first_bad=index, version=shown, problem=problem)


def _well_formed(entry: object) -> bool:
    if not isinstance(entry, SealedEntry):
        return False
    try:
        _check_version("version", entry.version, lowest=1)
        _check_hash("hash", entry.hash)
        _check_hash("previous", entry.previous)
    except ChainError:
        return False
    return isinstance(entry.body, bytes)


def _fits(entry: object, previous: SealedEntry) -> bool:
    return (
        _well_formed(entry)
        and entry.version == previous.version + 1  # type: ignore[attr-defined]
        and entry.previous == previous.hash  # type: ignore[attr-defined]
    )


def verify_chain(
    entries: Sequence[SealedEntry],
    /,
    *,
    after: Checkpoint = ORIGIN,
    anchor: Checkpoint | None = None,
) -> ChainReport:
    """Check that *entries* form one unbroken chain, and name the first entry that does not.

    Each entry must hash to its stored hash, carry the next version, and point to the
    hash of the entry before it (the first one to ``after.hash``).  Every single-entry
    change, deletion (except of the last entry), insertion and swap of two entries is
    found, and ``first_bad`` names the entry where it happened: the changed entry, the
    one after a gap, the inserted one, the earlier of the swapped two.  When two
    entries claim the same place, the next entry or the *anchor* tells which is
    foreign; with neither (two entries claiming the last place), the earlier one is
    named and the problem says the two are in doubt.

    Args:
        entries: The stored entries, in stream order.
        after: Where the entries start: `ORIGIN` for a whole stream.
        anchor: A checkpoint exported earlier.  With it, entries cut off the end and a
            chain rewritten with recomputed hashes are found too.

    Raises:
        onestop.exceptions.ChainError: If *anchor* is not after *after*, either is not
            a `Checkpoint`, or *entries* is not a sequence.
    """
    _check_after(after, anchor)
    _check_sequence(entries, "SealedEntry values")
    if anchor is not None and anchor.version <= after.version:
        raise ChainError("the anchor must be at a later version than the start")
    previous_hash, expected = after.hash, after.version + 1
    for index, entry in enumerate(entries):
        if not _well_formed(entry):
            return _bad(
                index, getattr(entry, "version", None), "malformed entry (version, hash or body)"
            )
        if chain_hash(entry.previous, entry.version, entry.body) != entry.hash:
            return _bad(index, entry.version, "hash does not match its content (altered)")
        if index and entry.version == entries[index - 1].version:
            return _resolve_fork(entries, index, anchor)
        if entry.version != expected:
            return _bad(
                index,
                entry.version,
                f"version {preview(entry.version)} follows {preview(expected - 1)} "
                "(an entry is missing, inserted or out of order)",
            )
        if entry.previous != previous_hash:
            nxt = entries[index + 1] if index + 1 < len(entries) else None
            if index and nxt is not None and _fits(nxt, entry):
                return _bad(
                    index - 1,
                    entries[index - 1].version,
                    "rewritten: its hash was recomputed, but the next entry "
                    "still points to the old one",
                )
            return _bad(
                index,
                entry.version,
                "previous hash does not match the entry before "
                "(inserted, replaced or reordered entry)",
            )
        previous_hash, expected = entry.hash, entry.version + 1
    return _check_anchor(entries, after, anchor) if anchor is not None else _VERIFIED


def _resolve_fork(
    entries: Sequence[SealedEntry], index: int, anchor: Checkpoint | None
) -> ChainReport:
    """Entries *index* - 1 and *index* claim the same version: name the foreign one."""
    first, second = entries[index - 1], entries[index]
    version = second.version
    if first == second:
        return _bad(index, version, "a copy of the entry before (replayed entry)")
    if second.previous != first.previous:
        return _bad(
            index, version, f"version {preview(version)} repeats (inserted or reordered entry)"
        )
    nxt = entries[index + 1] if index + 1 < len(entries) else None
    anchored = anchor.hash if anchor is not None and anchor.version == version else None
    if first.hash == anchored or (anchored is None and nxt is not None and _fits(nxt, first)):
        foreign = index
    elif second.hash == anchored or (nxt is not None and _fits(nxt, second)):
        foreign = index - 1
    else:
        return _bad(
            index - 1,
            first.version,
            f"this entry and the next both claim version {preview(version)} after the same entry "
            "(one was inserted; a later entry or an anchor would tell which)",
        )
    return _bad(
        foreign,
        version,
        f"another entry claims version {preview(version)} after the same entry, "
        "and the chain goes on from that one (inserted entry)",
    )


def _check_anchor(
    entries: Sequence[SealedEntry], after: Checkpoint, anchor: Checkpoint
) -> ChainReport:
    index = anchor.version - after.version - 1
    if index >= len(entries):
        last = entries[-1].version if entries else after.version
        return ChainReport(
            ok=False,
            first_bad=len(entries),
            version=last + 1,
            problem=(
                f"the chain ends at version {preview(last)}, before the anchor at version "
                f"{preview(anchor.version)} (entries removed from the end)"
            ),
        )
    if entries[index].hash != anchor.hash:
        return _bad(
            index,
            anchor.version,
            "does not match the anchor: this entry or one before it was rewritten "
            "and the hashes recomputed",
        )
    return _VERIFIED
