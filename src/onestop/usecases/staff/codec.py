"""Staff accounts on an event store: their streams, encoded, chained, decoded and verified.

Two stream types of the stream core (`onestop.usecases.streams`), written with
`onestop.ports.events.BatchStore.commit_batch` (they have no read-model row):

* `ACCOUNTS`: ``staff-<account id>``, one per account, folded into
  `onestop.domain.staff.StaffAccount`;
* `DIRECTORY`: ``staff:directory``, the ids of every account, in the order added,
  appended in the same batch as each account's first event.

Bodies hold ids, role names, agency codes and instants: no personal data, no password
hash, no token.  Notices (`onestop.ports.events.NewEvent.notice`) hold the account's
id, the event's kind, version and instant only; relays keep them to themselves
(`onestop.domain.staff.is_staff_stream`).

>>> from datetime import UTC, datetime
>>> from onestop.domain.staff import AccountAdded
>>> from onestop.ports.events import Batch
>>> from onestop.storage.memory import MemoryStore
>>> store, at = MemoryStore(), datetime(2026, 1, 5, tzinfo=UTC)
>>> added = AccountAdded(account_id="officer-ana", by="admin", at=at)
>>> _ = store.commit_batch(Batch(appends=account_appends(None, (added,), at=at),
...                              recorded_at=at))
>>> load_account(store, "officer-ana")[0].version, account_ids(store)
(1, ('officer-ana',))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

import attrs

from onestop.domain.common.audit import GENESIS, ChainReport
from onestop.domain.common.canonical import canonical_bytes
from onestop.domain.common.formats import check_int, kind_of, preview
from onestop.domain.common.kinds import check_instant, check_type
from onestop.domain.staff import (
    DIRECTORY_STREAM,
    STAFF_EVENT_TYPES,
    AccountAdded,
    AccountListed,
    StaffAccount,
    StaffEvent,
    account_stream,
)
from onestop.exceptions import AccountNotFound, InvalidValue, OnestopError, StorageError
from onestop.ports.events import Append, EventStore, StoredEvent
from onestop.serialization import make_converter, restoring
from onestop.usecases import streams

__all__ = [
    "ACCOUNTS",
    "DIRECTORY",
    "Folded",
    "account_appends",
    "account_ids",
    "fold_more",
    "load_account",
    "verify_staff",
]

_CONVERTER = restoring(make_converter())


def _itself(event: object) -> object:
    return event


def _fold_account(stream_id: str, events: Iterator[StaffEvent]) -> StaffAccount:
    try:
        return StaffAccount.from_events(events)
    except InvalidValue:
        raise StorageError(
            f"the stored events of stream {preview(stream_id)} do not form a staff account"
        ) from None


def _fold_directory(_: str, events: Iterator[AccountListed]) -> tuple[str, ...]:
    return tuple(event.account_id for event in events)


ACCOUNTS: streams.StreamType[StaffEvent, StaffAccount] = streams.StreamType(
    name="staff account",
    prefix="staff-",
    event_types=STAFF_EVENT_TYPES,
    converter=_CONVERTER,
    payload=_itself,
    fold=_fold_account,
    missing=AccountNotFound,
)
"""Staff account streams, ``staff-<account id>``, folded into `StaffAccount`."""

DIRECTORY: streams.StreamType[AccountListed, tuple[str, ...]] = streams.StreamType(
    name="staff directory",
    prefix="",
    event_types={"account_listed": AccountListed},
    converter=_CONVERTER,
    payload=_itself,
    fold=_fold_directory,
)
"""The staff directory, `onestop.domain.staff.DIRECTORY_STREAM`: account ids, in order."""


@attrs.frozen(kw_only=True)
class Folded:
    """An account folded from its stream, with what is needed to append after it.

    Attributes:
        account: The account.
        head: The hash of its stream's last event.
    """

    account: StaffAccount
    head: str


def load_account(store: EventStore, account_id: str, /) -> tuple[StaffAccount, str]:
    """Fold account *account_id*'s stream; return the account and the head's hash.

    Raises:
        AccountNotFound: If there is no such account.
        StorageError: If a stored event does not decode, or they do not form an account.
        InvalidValue: If *account_id* is not an actor id.
    """
    account_stream(account_id)
    return streams.load(store, ACCOUNTS, account_id)


def fold_more(folded: Folded | None, records: Sequence[StoredEvent], /) -> Folded | None:
    """Fold the stored *records* that follow *folded* (``None``: the stream from its start).

    Returns ``None`` if there was nothing to fold and nothing folded before.

    Raises:
        StorageError: If a record does not decode, or does not follow *folded*.
    """
    if folded is not None:
        check_type(folded, Folded, field="folded")
    check_type(records, Sequence, field="records")
    for index, record in enumerate(records):
        check_type(record, StoredEvent, field=f"records[{index}]")
    if not records:
        return folded
    stream_id = records[0].stream_id
    expected = 1 if folded is None else folded.account.version + 1
    if records[0].version != expected:
        raise StorageError(
            f"stream {preview(stream_id)} was read from version {preview(records[0].version)}"
        )
    events = streams.events_of(ACCOUNTS, stream_id, records)
    account = (
        _fold_account(stream_id, events) if folded is None else _apply(folded, stream_id, events)
    )
    return Folded(account=account, head=records[-1].hash)


def _apply(folded: Folded, stream_id: str, events: Iterable[StaffEvent]) -> StaffAccount:
    account = folded.account
    try:
        for event in events:
            account = account.apply(event)
    except InvalidValue:
        raise StorageError(
            f"the stored events of stream {preview(stream_id)} do not form a staff account"
        ) from None
    return account


def _notice(account_id: str, kind: str, version: int, at: datetime) -> bytes:
    return canonical_bytes({"account_id": account_id, "kind": kind, "version": version, "at": at})


def account_appends(
    folded: Folded | None,
    events: Sequence[StaffEvent],
    /,
    *,
    at: datetime,
    directory: tuple[int, str] | None = None,
) -> tuple[Append, ...]:
    """The appends of *events* to an account's stream after *folded* (``None``: a new account).

    A new account's first event must be its `AccountAdded`; its id is then listed in
    the directory, after *directory* (its version and head; ``None`` for an empty one),
    in the same batch.

    Raises:
        InvalidValue: If *events* is empty or not staff events, a new account's first
            event is not an `AccountAdded` (or an old one's is), *folded* is not a
            `Folded` or ``None``, or *directory* is not a ``(version, head)`` pair.
    """
    check_instant(at, field="at")
    check_type(folded, (Folded, type(None)), field="folded")
    listed_after = _directory(directory)
    events = tuple(events)
    if not events:
        raise InvalidValue(field="events", reason="is empty")
    for number, event in enumerate(events):
        check_type(event, tuple(STAFF_EVENT_TYPES.values()), field=f"events[{number}]")
    first = events[0]
    if folded is None:
        if not isinstance(first, AccountAdded):
            raise InvalidValue(field="events", reason="a new account starts with account_added")
        account_id, since, head = first.account_id, 0, GENESIS
    else:
        account_id = folded.account.account_id
        since, head = folded.account.version, folded.head
    stream = account_stream(account_id)
    triples = [
        (
            event.kind,
            streams.encode(ACCOUNTS, stream, event),
            _notice(account_id, event.kind, version, event.at),
        )
        for version, event in enumerate(events, start=since + 1)
    ]
    appends = [
        Append(
            stream_id=stream,
            expected_version=since,
            events=streams.chain(triples, version=since, head=head),
        )
    ]
    if folded is None:
        version, dir_head = listed_after
        listed = AccountListed(account_id=account_id, at=first.at)
        body = streams.encode(DIRECTORY, DIRECTORY_STREAM, listed)
        notice = _notice(account_id, listed.kind, version + 1, listed.at)
        appends.append(
            Append(
                stream_id=DIRECTORY_STREAM,
                expected_version=version,
                events=streams.chain([(listed.kind, body, notice)], version=version, head=dir_head),
            )
        )
    return tuple(appends)


def _directory(directory: object) -> tuple[int, str]:
    """The directory's version and head from *directory*, ``(0, GENESIS)`` for ``None``."""
    if directory is None:
        return 0, GENESIS
    if not (isinstance(directory, tuple) and len(directory) == 2):
        reason = f"expected a (version, head) pair, not {kind_of(directory)}"
        raise InvalidValue(field="directory", reason=reason)
    version, head = directory
    check_int(version, field="directory[0]")
    check_type(head, str, field="directory[1]")  # chain() checks it is a SHA-256
    return version, head


def account_ids(store: EventStore, /) -> tuple[str, ...]:
    """The id of every staff account, in the order they were added.

    Raises:
        StorageError: If a stored event of the directory does not decode.
    """
    records = store.read(DIRECTORY_STREAM)
    return DIRECTORY.fold(DIRECTORY_STREAM, streams.events_of(DIRECTORY, DIRECTORY_STREAM, records))


def verify_staff(store: EventStore, /) -> tuple[tuple[str, ChainReport], ...]:
    """Check the chain of the directory and of every account's stream; a report for each.

    Each stream is checked as stored bytes (`onestop.usecases.streams.audit`): a
    corrupted event is reported, never raised.

    Raises:
        StorageError: If the store cannot be read.
    """
    reports: list[tuple[str, ChainReport]] = []
    records = store.read(DIRECTORY_STREAM)
    if not records:
        return ()
    report = streams.audit(DIRECTORY, DIRECTORY_STREAM, records)
    reports.append((DIRECTORY_STREAM, report))
    ids: tuple[str, ...] = ()
    if report.ok:
        ids = account_ids(store)
    for account_id in ids:
        try:
            stream = account_stream(account_id)
        except OnestopError:
            continue
        reports.append((stream, streams.audit(ACCOUNTS, stream, store.read(stream))))
    return tuple(reports)
