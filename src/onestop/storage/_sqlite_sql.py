"""SQL text, row conversion and keyset cursors of `onestop.storage.sqlite` (private).

Instants are stored as integer microseconds since the Unix epoch, in UTC, so that
they compare and sort as numbers; they come back as UTC datetimes.  A row without a
due date gets ``due_key`` `NO_DUE`, which sorts after every instant.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import InvalidStoreInput
from onestop.ports.events import Summary, SummaryOrder, SummaryQuery, storable_text

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_DUE = 2**63 - 1
INT64 = range(-(2**63), 2**63)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR_VERSION = 1
_MAX_CURSOR = 4096  # far more than a cursor with the longest stream id a store keeps

SUMMARY_COLUMNS = (
    "stream_id, number, service, service_version, agency, channel, state, assignee, "
    "received, due, at_risk_from, suspended, closed, version, updated_at"
)
SUMMARY_NAMES = tuple(SUMMARY_COLUMNS.split(", "))
CHECK = f"""
SELECT (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?1),
       (SELECT coalesce(max(position), 0) FROM events),
       (SELECT stream_id FROM summaries WHERE number = ?2),
       EXISTS (SELECT 1 FROM idempotency WHERE key = ?3),
       (SELECT value FROM sequences WHERE name = ?4),
       {", ".join(f"old.{name}" for name in SUMMARY_NAMES)}
FROM (SELECT 1) LEFT JOIN summaries AS old ON old.stream_id = ?1
"""  # noqa: S608 - a constant list of columns
CHECKED = 5
"""How many columns of `CHECK` come before the stream's current read-model row."""
UPSERT_SUMMARY = f"""
INSERT INTO summaries ({SUMMARY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (stream_id) DO UPDATE SET
    number = excluded.number, service = excluded.service,
    service_version = excluded.service_version, agency = excluded.agency,
    channel = excluded.channel, state = excluded.state, assignee = excluded.assignee,
    received = excluded.received, due = excluded.due, at_risk_from = excluded.at_risk_from,
    suspended = excluded.suspended, closed = excluded.closed, version = excluded.version,
    updated_at = excluded.updated_at
"""  # noqa: S608 - a constant list of columns


def update_summary(old: tuple[object, ...], new: tuple[object, ...]) -> tuple[str, list[object]]:
    """Return the UPDATE that turns the read-model row *old* into *new*, and its parameters.

    Only the columns that differ are set, so that SQLite leaves alone the indexes on
    columns that did not change (a plain upsert rewrites every index entry of the row).
    Both rows are in `SUMMARY_COLUMNS` order, as `summary_row` gives them; with nothing
    changed the statement only checks the row is there.
    """
    changed = [k for k in range(1, len(SUMMARY_NAMES)) if old[k] != new[k]]
    if not changed:
        return "SELECT 1 FROM summaries WHERE stream_id = ?", [new[0]]
    sets = ", ".join(f"{SUMMARY_NAMES[k]} = ?" for k in changed)
    statement = f"UPDATE summaries SET {sets} WHERE stream_id = ?"  # noqa: S608 - known names
    return statement, [*(new[k] for k in changed), new[0]]


SUMMARY_BY_ID = f"SELECT {SUMMARY_COLUMNS} FROM summaries WHERE stream_id = ?"  # noqa: S608
SUMMARY_BY_NUMBER = f"SELECT {SUMMARY_COLUMNS} FROM summaries WHERE number = ?"  # noqa: S608
CHECK_APPEND = """
SELECT EXISTS (SELECT 1 FROM summaries WHERE stream_id = ?1),
       (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?1)
"""
LAST_POSITION = "SELECT coalesce(max(position), 0) FROM events"
INSERT_EVENT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_KEY = "INSERT INTO idempotency VALUES (?, ?, ?, ?)"
UPSERT_SEQUENCE = (
    "INSERT INTO sequences VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
)
UPSERT_POSITION = (
    "INSERT INTO positions VALUES (?, ?) "
    "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position"
)
READ = (
    "SELECT stream_id, version, kind, body, hash, previous_hash, recorded_at FROM events "
    "WHERE stream_id = ? AND version > ? ORDER BY version"
)
NOTIFICATIONS = (
    "SELECT position, stream_id, version, kind, notice, recorded_at FROM events "
    "WHERE position > ? ORDER BY position LIMIT ?"
)
KEY = "SELECT key, stream_id, request_digest, recorded_at FROM idempotency WHERE key = ?"
SEQUENCE = "SELECT value FROM sequences WHERE name = ?"
POSITION = "SELECT position FROM positions WHERE consumer = ?"


def micros(at: datetime, name: str) -> int:
    """Return *at* as microseconds since the epoch; *name* is used in the error."""
    if at.utcoffset() is None:
        raise InvalidStoreInput(field=name, reason="must be timezone-aware")
    return (at - EPOCH) // _MICROSECOND


def instant(value: int) -> datetime:
    """Return the UTC instant *value* microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=value)


def summary_row(summary: Summary) -> tuple[object, ...]:
    """Return the parameters of `UPSERT_SUMMARY` for *summary*."""
    return (
        summary.stream_id,
        summary.number,
        summary.service,
        summary.service_version,
        summary.agency,
        summary.channel,
        summary.state,
        summary.assignee,
        micros(summary.received, "received"),
        None if summary.due is None else micros(summary.due, "due"),
        None if summary.at_risk_from is None else micros(summary.at_risk_from, "at_risk_from"),
        int(summary.suspended),
        int(summary.closed),
        summary.version,
        micros(summary.updated_at, "updated_at"),
    )


def summary_from_row(row: tuple[Any, ...]) -> Summary:
    """Return the `Summary` a row of `SUMMARY_COLUMNS` holds."""
    return Summary(
        stream_id=row[0],
        number=row[1],
        service=row[2],
        service_version=row[3],
        agency=row[4],
        channel=row[5],
        state=row[6],
        assignee=row[7],
        received=instant(row[8]),
        due=None if row[9] is None else instant(row[9]),
        at_risk_from=None if row[10] is None else instant(row[10]),
        suspended=bool(row[11]),
        closed=bool(row[12]),
        version=row[13],
        updated_at=instant(row[14]),
    )


_FAN_OUT = 64
"""The most values of a filter that `page_sql` reads as one index range each."""
_MAX_PARAMETERS = 30_000
"""The most parameters a fanned-out page may bind (SQLite's default limit is 32,766)."""


def page_sql(query: SummaryQuery, after: tuple[int, str] | None) -> tuple[str, list[object]]:
    """Return the SELECT for one page of *query* after the sort key *after*, and its parameters.

    Each row is `SUMMARY_COLUMNS` then its sort key; one row more than the limit is
    asked for, to tell whether another page follows.  A filter on several agencies
    (or, with at most one agency, several states) becomes one ordered index range per
    distinct value, each cut at the page's length and merged, so that the first page
    costs the same however many rows the table holds (an ``IN`` list would make SQLite
    walk the due date index and filter it, which grows with the share of other rows).
    A filter too large for that stays an ``IN`` list.
    """
    agencies = None if query.agencies is None else tuple(dict.fromkeys(query.agencies))
    states = None if query.states is None else tuple(dict.fromkeys(query.states))
    fan: tuple[str, tuple[str, ...]] | None = None
    if agencies is not None and 1 < len(agencies) <= _FAN_OUT:
        fan = ("agency", agencies)
    elif (
        states is not None
        and 1 < len(states) <= _FAN_OUT
        and (agencies is None or len(agencies) == 1)
    ):
        fan = ("state", states)
    if fan is not None:
        per_arm = 8 + sum(len(v) for v in (agencies, query.services, states) if v is not None)
        if len(fan[1]) * per_arm > _MAX_PARAMETERS:
            fan = None  # one IN list keeps within SQLite's limit on bound parameters
    key = "updated_at" if query.order is SummaryOrder.UPDATED else "due_key"
    select = f"SELECT {SUMMARY_COLUMNS}, {key} AS sort_key FROM summaries"  # noqa: S608 - names
    if fan is None:
        where, parameters = _conditions(query, after, key, None)
        parameters.append(query.limit + 1)
        return f"{select} WHERE {where} ORDER BY sort_key, stream_id LIMIT ?", parameters
    arms: list[str] = []
    parameters = []
    for value in fan[1]:
        where, arm = _conditions(query, after, key, (fan[0], value))
        arm_sql = f"SELECT * FROM ({select} WHERE {where} ORDER BY sort_key, stream_id LIMIT ?)"  # noqa: S608
        arms.append(arm_sql)
        parameters.extend([*arm, query.limit + 1])
    parameters.append(query.limit + 1)
    return " UNION ALL ".join(arms) + " ORDER BY sort_key, stream_id LIMIT ?", parameters


def _conditions(
    query: SummaryQuery,
    after: tuple[int, str] | None,
    key: str,
    fixed: tuple[str, str] | None,
) -> tuple[str, list[object]]:
    """The WHERE text of *query* and its parameters; *fixed* pins one column to one value."""
    where: list[str] = []
    parameters: list[object] = []
    if not query.include_closed or query.sla is not None:
        where.append("closed = 0")
    for column, values in (
        ("agency", query.agencies),
        ("service", query.services),
        ("state", query.states),
    ):
        if fixed is not None and fixed[0] == column:
            values = (fixed[1],)
        if values is None:
            continue
        if len(values) == 1:
            where.append(f"{column} = ?")
        else:
            where.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "0")
        parameters.extend(values)
    if query.assignee is not None:
        where.append("assignee = ?")
        parameters.append(query.assignee)
    if query.due_before is not None:
        where.append("due_key < ?")
        parameters.append(micros(query.due_before, "due_before"))
    if query.changed_since is not None:
        where.append("updated_at > ?")
        parameters.append(micros(query.changed_since, "changed_since"))
    if query.sla is not None and query.now is not None:
        condition, count = sla_condition(query.sla)
        where.append(condition)
        parameters.extend([micros(query.now, "now")] * count)
    if after is not None:
        where.append(f"({key}, stream_id) > (?, ?)")
        parameters.extend(after)
    return " AND ".join(where) or "1", parameters


def sla_condition(status: SlaStatus) -> tuple[str, int]:
    """The condition for rows with *status* at ``now``, and how many ``now`` it binds."""
    running = f"due_key >= ? AND due_key < {NO_DUE}"
    if status is SlaStatus.OVERDUE:
        return "due_key < ?", 1
    if status is SlaStatus.PAUSED:
        return f"due_key = {NO_DUE}", 0
    if status is SlaStatus.AT_RISK:
        return f"{running} AND at_risk_from <= ?", 2
    return f"{running} AND (at_risk_from IS NULL OR at_risk_from > ?)", 2  # ON_TRACK


def encode_cursor(order: SummaryOrder, key: int, stream_id: str) -> str:
    """Return the opaque cursor after the row with sort key *key* and id *stream_id*."""
    raw = json.dumps([_CURSOR_VERSION, order.value, key, stream_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def parse_cursor(cursor: str | None, order: SummaryOrder) -> tuple[int, str] | None:
    """Return the sort key *cursor* holds, or ``None`` without one.

    Raises:
        InvalidStoreInput: If *cursor* was not made by `encode_cursor` for *order*.
    """
    if cursor is None:
        return None
    wrong = InvalidStoreInput(
        field="cursor", reason="the cursor was not returned by this store for this order"
    )
    if len(cursor) > _MAX_CURSOR:
        raise wrong
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise wrong from None
    if not (isinstance(value, list) and len(value) == 4):
        raise wrong
    version, name, key, stream_id = value
    if version != _CURSOR_VERSION or name != order.value or not isinstance(stream_id, str):
        raise wrong
    if not storable_text(stream_id):
        raise wrong
    if not (isinstance(key, int) and not isinstance(key, bool) and key in INT64):
        raise wrong
    return key, stream_id
