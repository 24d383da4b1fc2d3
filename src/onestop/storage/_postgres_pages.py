"""The SQL of one page of `PostgresStore.summaries` (private to `onestop.storage.postgres`).

A worklist page should be a range of an index, so that it costs the same with ten
thousand applications as with ten million.  Three things make it one.

**The statement sorts in the indexes' order.**  Rows without a due date come last,
as in `MemoryStore`.  The statement sorts by ``due NULLS LAST, stream_id``, which is
the order of ``summaries_due`` and of the per-agency, per-state and per-assignee
indexes (migration 3) after their equality columns.  Sorting by the sort key itself
(`ORDER_KEYS`, ``CASE WHEN due IS NULL ...``) gives the same rows, but no index has
that order, so PostgreSQL would read and sort every matching row.  The sort key is
still selected, to make the cursor.

**The cursor's condition is a range too.**  After a row with a due date, the rows
left are those after it by ``(due, stream_id)`` and then every row without a due
date.  One condition cannot say "after this row, or without a due date" and stay a
range, so the statement has one branch for each.  After a row without a due date,
only the second branch is left.  A filter that rules out one kind of row (an SLA
status, ``due_before``) drops its branch.

**Several agencies are several ranges.**  With ``agency = ANY(...)``, PostgreSQL
reads the rows of every agency and sorts them.  Instead, each distinct agency gets
its own branch, cut at the page's length.  When the agencies are not split this way,
each distinct state gets one instead.  The branches are joined with ``UNION ALL``,
and the same order and limit are applied around them, which PostgreSQL runs as a
Merge Append of index scans.  A filter with more than `FAN_OUT` values stays
``= ANY``, whose plan does not grow with the list.  Only the due-date order of open
rows is split: no index orders one agency's rows by update time, and every index puts
``closed`` before ``due``, so with closed rows included no index gives the order at
all.  Such a page stays one statement with one cursor condition, on the sort key
itself: split, each branch would scan and sort the matching rows again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import LiteralString

from onestop.domain.time.sla import SlaStatus
from onestop.exceptions import ConfigurationError
from onestop.ports.events import SortKey, SummaryOrder, SummaryQuery
from onestop.storage.postgres_schema import (
    MISSING_EXTRA,
    ORDER_KEYS,
    SLA_FILTERS,
    SUMMARY_COLUMNS,
)

try:
    from psycopg import sql
except ImportError as exc:  # pragma: no cover - postgres_schema has raised already
    raise ConfigurationError(MISSING_EXTRA) from exc

__all__ = ["AFTER", "FAN_OUT", "ORDER_BY", "page_statement"]

FAN_OUT = 50
"""The most distinct agencies (or states) read as one index range each."""

ORDER_BY: Mapping[SummaryOrder, LiteralString] = {
    SummaryOrder.DUE: "due NULLS LAST, stream_id",
    SummaryOrder.UPDATED: "updated_at, stream_id",
}
"""Each order as the indexes hold it; the same rows in the same order as `ORDER_KEYS`."""

AFTER: Mapping[str, LiteralString] = {
    "updated": "(updated_at, stream_id) > (%(instant)s, %(after)s)",
    "dated": "(due, stream_id) > (%(instant)s, %(after)s)",
    "undated": "due IS NULL",
    "undated after": "due IS NULL AND stream_id > %(after)s",
    "none": "FALSE",
    "sorted": "(" + ORDER_KEYS[SummaryOrder.DUE] + ") > (%(rank)s, %(instant)s, %(after)s)",
}
"""The cursor's conditions, each one index range (see `page_statement`)."""

_NO_DUE = datetime.max.replace(tzinfo=UTC)
"""The instant `ORDER_KEYS` gives a row without a due date."""


def page_statement(
    query: SummaryQuery, after: SortKey | None, schema: sql.Identifier
) -> tuple[sql.Composed, dict[str, object]]:
    """Return the statement for one page of *query* after the sort key *after*, and its parameters.

    Each row is `SUMMARY_COLUMNS` then its sort key (`ORDER_KEYS`); one row more than
    the limit is asked for, to tell whether another page follows.
    """
    params: dict[str, object] = {}
    column, values = _fan_out(query)
    common = _conditions(query, params, column)
    parts = _after(query, after, params)
    branches: list[sql.Composable] = []
    for index, value in enumerate(values):
        pinned: list[sql.Composable] = []
        if column is not None:
            params[f"fan_{index}"] = value
            pinned.append(
                sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(f"fan_{index}"))
            )
        for part in parts:
            where = [*common, *pinned, *([sql.SQL(part)] if part is not None else [])]
            branches.append(sql.SQL(" AND ").join(where) if where else sql.SQL("TRUE"))
    names = {
        "columns": sql.SQL(SUMMARY_COLUMNS),
        "key": sql.SQL(ORDER_KEYS[query.order]),
        "order": sql.SQL(ORDER_BY[query.order]),
        "s": schema,
        "n": sql.Literal(query.limit + 1),
    }
    if len(branches) == 1:
        single = (
            "SELECT {columns}, {key} FROM {s}.summaries WHERE {where} ORDER BY {order} LIMIT {n}"
        )
        return sql.SQL(single).format(where=branches[0], **names), params
    arm = sql.SQL("(SELECT {columns} FROM {s}.summaries WHERE {where} ORDER BY {order} LIMIT {n})")
    merged = "SELECT {columns}, {key} FROM ({arms}) AS page ORDER BY {order} LIMIT {n}"
    arms = sql.SQL(" UNION ALL ").join(arm.format(where=where, **names) for where in branches)
    return sql.SQL(merged).format(arms=arms, **names), params


def _open_only(query: SummaryQuery) -> bool:
    """Whether *query* matches open rows only, which the due-date indexes hold in order."""
    return not query.include_closed or query.sla is not None


def _fan_out(query: SummaryQuery) -> tuple[str | None, tuple[str | None, ...]]:
    """The column whose values get a branch each, and those values (``None``: one branch)."""
    if query.order is SummaryOrder.DUE and _open_only(query):
        for column, values in (("agency", query.agencies), ("state", query.states)):
            distinct = tuple(dict.fromkeys(values)) if values is not None else ()
            if 1 < len(distinct) <= FAN_OUT:
                return column, distinct
    return None, (None,)


def _conditions(
    query: SummaryQuery, params: dict[str, object], fanned: str | None
) -> list[sql.Composable]:
    """The conditions every branch shares; the column *fanned* is left to the branches."""
    conditions: list[sql.Composable] = []
    if not query.include_closed or query.sla is not None:
        conditions.append(sql.SQL("NOT closed"))
    for column, values in (
        ("agency", query.agencies),
        ("service", query.services),
        ("state", query.states),
    ):
        if values is None or column == fanned:
            continue
        distinct = list(dict.fromkeys(values))
        test = "{} = {}" if len(distinct) == 1 else "{} = ANY({})"
        conditions.append(sql.SQL(test).format(sql.Identifier(column), sql.Placeholder(column)))
        params[column] = distinct[0] if len(distinct) == 1 else distinct
    filters: tuple[tuple[LiteralString, str, object], ...] = (
        ("assignee = %(assignee)s", "assignee", query.assignee),
        ("due < %(due_before)s", "due_before", query.due_before),
        ("updated_at > %(changed_since)s", "changed_since", query.changed_since),
    )
    for condition, name, value in filters:
        if value is not None:
            conditions.append(sql.SQL(condition))
            params[name] = value
    if query.sla is not None:
        conditions.append(sql.SQL(SLA_FILTERS[query.sla]))
        params["now"] = query.now
    return conditions


def _after(
    query: SummaryQuery, after: SortKey | None, params: dict[str, object]
) -> list[LiteralString | None]:
    """The parts of the order after *after*, one branch each (``None``: no condition).

    The rows after *after* are those whose sort key, as `MemoryStore` makes it, is
    greater.  Each part covers one kind of row (with a due date, without one) with a
    condition that bounds one range of the index.
    """
    if after is None:
        return [None]
    rank, instant, stream_id = after
    params.update(instant=instant, after=stream_id)
    if query.order is SummaryOrder.UPDATED:  # every row's rank is 0
        return [AFTER["updated"] if rank == 0 else AFTER["none"]]
    if not _open_only(query):  # no index gives this order: one condition, one sort
        params["rank"] = rank
        return [AFTER["sorted"]]
    dated = query.sla is not SlaStatus.PAUSED
    undated = query.due_before is None and query.sla in (None, SlaStatus.PAUSED)
    parts: list[LiteralString | None] = []
    if rank == 0 and dated:
        parts.append(AFTER["dated"])
    if undated and (rank == 0 or instant < _NO_DUE):
        parts.append(AFTER["undated"])
    elif undated and instant == _NO_DUE:
        parts.append(AFTER["undated after"])
    return parts or [AFTER["none"]]
