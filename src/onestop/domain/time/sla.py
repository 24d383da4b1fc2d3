"""SLA clocks: due dates counted in working time, paused and explained.

`due_date` turns a receipt instant, a limit (`Duration`) and the pauses so far into a
`Deadline`, whose `Deadline.trace` explains every step in plain lines.  The clock
counts the open time of a `WorkCalendar`:

* The **budget** is the working time the limit grants from receipt.  For working
  hours it is the hours themselves.  For working days it is the open time from
  receipt to the close of the N-th working day after the day of receipt (see
  `onestop.domain.time.calendar`), so any open time left on the day of receipt is part of it;
  the calendar's `LimitCounting` may count the day of receipt as day 1, or count a short
  limit as working hours (``N * hours_per_day``), and the budget follows it, so pauses,
  remaining time and status all agree with `WorkCalendar.add`.
* The clock **stops** during a `Pause` (waiting on the applicant, a suspension).  Each
  finished pause that starts before the clock runs out moves the due instant later by
  exactly the working time it covered after receipt.  Overlapping pauses are merged,
  so no time is counted twice; pauses that end before receipt, or start once the
  clock has run out, change nothing.
* While a pause is **open** (``end=None``) the due instant is not known: the
  `Deadline` has ``due=None``, `Deadline.paused_since` and `Deadline.remaining`, the
  working time that was left when the clock stopped.  It is fixed again, exactly,
  when the pause's end is recorded.

>>> from datetime import date, datetime
>>> from zoneinfo import ZoneInfo
>>> from onestop.domain.time.calendar import WorkCalendar
>>> wib = ZoneInfo("Asia/Jakarta")
>>> jakarta = WorkCalendar(time_zone="Asia/Jakarta", holidays={date(2025, 3, 28)})
>>> deadline = due_date(
...     jakarta,
...     received=datetime(2025, 3, 24, 10, 15, tzinfo=wib),
...     limit=Duration.working_days(5),
...     pauses=[Pause(start=datetime(2025, 3, 25, 9, tzinfo=wib),
...                   end=datetime(2025, 3, 25, 11, tzinfo=wib), reason="applicant")],
... )
>>> print(deadline.explain())
received Mon 2025-03-24 10:15 WIB
calendar Mon-Fri 08:00-16:00 Asia/Jakarta
counting 5 working days from Tue 2025-03-25
paused Tue 2025-03-25 09:00 WIB to Tue 2025-03-25 11:00 WIB (applicant): 2 working hours added
skipped Fri 2025-03-28 (holiday)
skipped 2 weekend days
due Wed 2025-04-02 10:00 WIB, moved by 2 working hours of pauses
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from onestop.domain.common.formats import MAX_NAME, kind_of
from onestop.domain.common.values import Duration, TimeUnit
from onestop.domain.time._sla_trace import first_day, skipped_days
from onestop.domain.time.calendar import WorkCalendar, check_text, format_day
from onestop.domain.time.worktime import aware_utc, counting
from onestop.exceptions import DateOutOfRange, InvalidCalendar

__all__ = [
    "Deadline",
    "Pause",
    "SlaStatus",
    "due_date",
    "remaining_working_time",
    "status_at",
]

_ZERO = timedelta(0)
_Merged = tuple[datetime, datetime | None, tuple[str, ...]]
"""A merged pause: its start and end in UTC (``None`` while open) and its reasons."""
_PAST_THE_END = (
    "the deadline, pauses included, would fall beyond 9999-12-31, the last day a calendar can count"
)


class SlaStatus(enum.Enum):
    """Where an application stands against its deadline at some instant."""

    ON_TRACK = "on_track"
    """The clock runs and enough working time is left."""
    AT_RISK = "at_risk"
    """The clock runs and less than the at-risk share of the budget is left."""
    OVERDUE = "overdue"
    """The due instant has passed."""
    PAUSED = "paused"
    """The clock is stopped by a pause."""


def _check_start(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    aware_utc(value, attribute.name)


def _check_end(_: object, attribute: attrs.Attribute[datetime | None], value: object) -> None:
    if value is not None:
        aware_utc(value, attribute.name)


@attrs.frozen(kw_only=True, cache_hash=True)
class Pause:
    """A period during which an SLA clock is stopped.

    Attributes:
        start: When the clock stopped (timezone-aware, and such that it can be told in UTC).
        end: When it started again (timezone-aware, not before `start`), or ``None``
            while the pause is still open.
        reason: Why, as a short code such as ``waiting_applicant`` or ``suspended``;
            shown in traces, so it must hold no personal data.  One line of at most
            200 characters.
    """

    start: datetime = attrs.field(validator=_check_start)
    end: datetime | None = attrs.field(default=None, validator=_check_end)
    reason: str = attrs.field(validator=check_text)

    def __attrs_post_init__(self) -> None:
        """Check that the pause does not end before it starts."""
        if self.end is not None and self.end < self.start:
            raise InvalidCalendar(field="end", reason="a pause must not end before it starts")

    @property
    def is_open(self) -> bool:
        """Whether the pause has not ended yet."""
        return self.end is None


def _check_type(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: the value is ``None`` (where the default is) or a *kind*."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind) and not (value is None and attribute.default is None):
            raise InvalidCalendar(
                field=attribute.name, reason=f"expected {kind.__name__}, not {kind_of(value)}"
            )

    return check


def _check_working_time(_: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or value < _ZERO:
        shown = "a negative timedelta" if isinstance(value, timedelta) else kind_of(value)
        raise InvalidCalendar(
            field=attribute.name, reason=f"expected working time of zero or more, not {shown}"
        )


def _check_items(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: the value is a tuple of *kind*."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise InvalidCalendar(
                field=attribute.name, reason=f"expected a tuple of {kind.__name__}"
            )

    return check


@attrs.frozen(kw_only=True)
class Deadline:
    """When a limit runs out, and why; built by `due_date`.

    Exactly one of `due` and `paused_since` is set: a running clock has a due instant,
    a stopped one has the instant it stopped and the working time it had left.

    Attributes:
        received: The receipt instant, in the calendar's zone.
        limit: The limit counted.
        budget: The working time the limit grants from receipt.
        due: The due instant in the calendar's zone, or ``None`` while an open pause
            holds the clock.
        paused_since: When the open pause stopped the clock, or ``None``.
        remaining: The working time left when the open pause stopped the clock, or
            ``None`` while the clock runs (see `remaining_working_time` for any instant).
        paused: The working time covered by the finished pauses that counted.
        pauses: The pauses that counted, merged and clipped to receipt, in order;
            the last one is open when `paused_since` is set.
        trace: Plain, deterministic lines explaining the result.
    """

    received: datetime = attrs.field(validator=_check_start)
    limit: Duration = attrs.field(validator=_check_type(Duration))
    budget: timedelta = attrs.field(validator=_check_working_time)
    due: datetime | None = attrs.field(validator=_check_end)
    paused_since: datetime | None = attrs.field(default=None, validator=_check_end)
    remaining: timedelta | None = attrs.field(default=None, validator=_check_type(timedelta))
    paused: timedelta = attrs.field(default=_ZERO, validator=_check_working_time)
    pauses: tuple[Pause, ...] = attrs.field(default=(), validator=_check_items(Pause))
    trace: tuple[str, ...] = attrs.field(default=(), validator=_check_items(str))
    # The pauses as `due_date` merged them (UTC), so that a later count can tell in one
    # comparison whether it goes on from this one (``since``); none on one made by hand.
    _merged: tuple[_Merged, ...] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    @property
    def is_paused(self) -> bool:
        """Whether an open pause holds the clock, so that `due` is not known."""
        return self.due is None

    def explain(self) -> str:
        """The trace as one text, a line per step."""
        return "\n".join(self.trace)


def _merge(
    pauses: Sequence[Pause], received: datetime, calendar: WorkCalendar, *, explain: bool
) -> tuple[list[_Merged], list[str]]:
    """Clip pauses to receipt and merge overlapping ones; trace lines say which were dropped.

    Without *explain* no trace line is written.
    """
    dropped: list[str] = []
    clipped: list[tuple[datetime, datetime | None, str]] = []
    for pause in pauses:
        if not isinstance(pause, Pause):
            raise InvalidCalendar(field="pauses", reason=f"expected a Pause, not {kind_of(pause)}")
        end = pause.end.astimezone(UTC) if pause.end is not None else None
        if end is not None and end <= received:
            if explain:
                dropped.append(
                    f"pause {calendar.stamp(pause.start)} to {calendar.stamp(end)} "
                    f"({pause.reason}) ignored: it ended before receipt"
                )
            continue
        clipped.append((max(pause.start.astimezone(UTC), received), end, pause.reason))
    clipped.sort(key=lambda item: item[0])
    merged: list[_Merged] = []
    for start, end, reason in clipped:
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            first, last, reasons = merged[-1]
            joined = None if end is None or last is None else max(last, end)
            merged[-1] = (first, joined, reasons if reason in reasons else (*reasons, reason))
        else:
            merged.append((start, end, (reason,)))
    return merged, dropped


def _reasons(reasons: Sequence[str]) -> str:
    """The reasons of merged pauses as one reason: all of them, if they fit in one."""
    joined = ", ".join(reasons)
    if len(joined) <= MAX_NAME:
        return joined
    more = f" and {len(reasons) - 1} more"
    return reasons[0][: MAX_NAME - len(more)] + more


def _checked_pauses(pauses: object) -> Sequence[Pause]:
    if isinstance(pauses, str | bytes) or not isinstance(pauses, Iterable):
        raise InvalidCalendar(field="pauses", reason=f"expected pauses, not {kind_of(pauses)}")
    return tuple(pauses)


def _check_arguments(calendar: object, limit: object) -> None:
    if not isinstance(calendar, WorkCalendar):
        raise InvalidCalendar(
            field="calendar", reason=f"expected a WorkCalendar, not {kind_of(calendar)}"
        )
    if not isinstance(limit, Duration):
        raise InvalidCalendar(field="limit", reason=f"expected a Duration, not {kind_of(limit)}")


def _budget(
    calendar: WorkCalendar, received: datetime, limit: Duration, *, explain: bool
) -> tuple[timedelta, str]:
    """The working time *limit* grants from *received*, and the trace line saying how."""
    if limit.unit is TimeUnit.WORKING_HOURS:
        if not explain:
            return timedelta(hours=limit.amount), ""
        start = calendar.next_opening(received)
        where = calendar.stamp(start)
        when = where if start == received else f"the next opening, {where}"
        return timedelta(hours=limit.amount), f"counting {limit} from {when}"
    hours = calendar.counting.in_hours(limit.amount)
    if hours is not None:  # a short limit counted in working hours (`LimitCounting`)
        return _budget(calendar, received, Duration.working_hours(hours), explain=explain)
    budget = calendar.working_time_between(received, calendar.add(received, limit))
    if not explain:
        return budget, ""
    return budget, f"counting {limit} from {format_day(first_day(calendar, received))}"


def due_date(
    calendar: WorkCalendar,
    *,
    received: datetime,
    limit: Duration,
    pauses: Sequence[Pause] = (),
    explain: bool = True,
    since: Deadline | None = None,
) -> Deadline:
    """Return the deadline of *limit*, counted from *received* on *calendar*, with *pauses*.

    Args:
        calendar: The office's work calendar.
        received: When the complete application was received (timezone-aware, any zone).
        limit: The time limit, in working days or working hours.
        pauses: Every pause recorded so far, finished or open, in any order.
        explain: Whether to write the trace; without it `Deadline.trace` is empty and
            the rest is the same, for callers (such as the read model) that only need
            the dates.
        since: A deadline this function returned earlier for the same *calendar*,
            *received* and *limit*, with fewer pauses.  Without a trace, when *pauses*
            only add to the pauses *since* counted (each new one starting after they
            ended, or ending the one it left open), the count goes on from where
            *since* stopped instead of walking every earlier pause again; otherwise
            it starts over.  The answer is the same either way.

    Returns:
        A `Deadline`: with `Deadline.due` set, or, if an open pause began before the
        clock ran out, with `Deadline.paused_since` and `Deadline.remaining` instead.

    Raises:
        NaiveDatetime: If *received* has no time zone.
        InvalidCalendar: If *calendar*, *limit*, *since* or an item of *pauses* is not
            what it should be, or *since* was counted from another receipt, limit or
            time zone (``field="since"``).
        DateOutOfRange: If *received* cannot be told in UTC and in the calendar's zone,
            or the deadline (pauses included) would fall past 9999-12-31
            (``field="limit"``), or closures never end (``field="closures"``), or the
            count needs a day outside the calendar's `WorkCalendar.holiday_years`
            (``field="holiday_years"``, naming them).
    """
    _check_arguments(calendar, limit)
    moment = calendar.instant(received, "received")
    checked = _checked_pauses(pauses)
    _check_since(since, calendar, moment, limit)
    try:
        with counting("limit", reason=_PAST_THE_END):
            return _due_date(
                calendar, moment, limit, checked, explain=explain, since=None if explain else since
            )
    except DateOutOfRange as exc:
        if exc.field in ("closures", "holiday_years"):
            raise
        raise DateOutOfRange(field="limit", reason=_PAST_THE_END) from None


def _due_date(
    calendar: WorkCalendar,
    moment: datetime,
    limit: Duration,
    pauses: Sequence[Pause],
    *,
    explain: bool,
    since: Deadline | None = None,
) -> Deadline:
    merged, dropped = _merge(pauses, moment, calendar, explain=explain)
    resumed = None if since is None else _resumed(since, calendar, moment, merged)
    counted: list[Pause]
    if resumed is None:
        budget, counting = _budget(calendar, moment, limit, explain=explain)
        done, cursor, left, paused, counted = 0, moment, budget, _ZERO, []
    else:
        budget, counting = resumed[0], ""
        done, cursor, left, paused, counted = resumed[1:]
    label = f"calendar {calendar.name}: " if calendar.name else "calendar "
    trace: list[str] = []
    if explain:
        trace = [f"received {calendar.stamp(moment)}", label + calendar.describe_week(), counting]
        trace.extend(dropped)
    stopped: datetime | None = None  # when an open pause stopped the clock
    for start, end, reasons in merged[done:]:
        why = _reasons(reasons)
        available = calendar.working_time_between(cursor, start)
        if available >= left:
            if explain:
                trace.append(
                    f"pause from {calendar.stamp(start)} ({why}) ignored: the clock had run out"
                )
            continue
        left -= available
        if end is None:
            counted.append(Pause(start=start.astimezone(calendar.zone), reason=why))
            if explain:
                trace.append(
                    f"paused since {calendar.stamp(start)} ({why}): clock stopped with "
                    f"{calendar.describe_working_time(left)} left"
                )
                trace.extend(skipped_days(calendar, moment, start))
                trace.append("due date not set while the clock is paused")
            stopped = start
            break
        covered = calendar.working_time_between(start, end)
        paused += covered
        zone = calendar.zone
        counted.append(Pause(start=start.astimezone(zone), end=end.astimezone(zone), reason=why))
        if explain:
            trace.append(
                f"paused {calendar.stamp(start)} to {calendar.stamp(end)} ({why}): "
                f"{calendar.describe_working_time(covered)} added"
            )
        cursor = end
    due = None if stopped is not None else calendar.add_working_time(cursor, left)
    if explain and due is not None:
        trace.extend(skipped_days(calendar, moment, due))
        if counted:
            moved = f", moved by {calendar.describe_working_time(paused)} of pauses"
        elif (
            limit.unit is TimeUnit.WORKING_DAYS and calendar.counting.in_hours(limit.amount) is None
        ):
            moved = f", the close of working day {limit.amount}"
        else:
            moved = ""
        trace.append(f"due {calendar.stamp(due)}{moved}")
    return _keeping(
        merged,
        Deadline(
            received=moment.astimezone(calendar.zone),
            limit=limit,
            budget=budget,
            due=due,
            paused_since=None if stopped is None else stopped.astimezone(calendar.zone),
            remaining=None if stopped is None else left,
            paused=paused,
            pauses=tuple(counted),
            trace=tuple(trace),
        ),
    )


def _keeping(merged: list[_Merged], deadline: Deadline) -> Deadline:
    """*deadline*, holding the merged pauses it was counted from (see `_resumed`)."""
    object.__setattr__(deadline, "_merged", tuple(merged))  # frozen: set once, here
    return deadline


def _check_since(since: object, calendar: WorkCalendar, moment: datetime, limit: Duration) -> None:
    if since is None:
        return
    if not isinstance(since, Deadline):
        raise InvalidCalendar(field="since", reason=f"expected a Deadline, not {kind_of(since)}")
    if (
        since.received.astimezone(UTC) != moment  # as instants: a repeated hour's are
        or since.limit != limit  # never equal across zones (PEP 495)
        or since.received.utcoffset() != moment.astimezone(calendar.zone).utcoffset()
    ):
        raise InvalidCalendar(
            field="since", reason="it was counted from another receipt, limit or time zone"
        )


def _resumed(
    since: Deadline, calendar: WorkCalendar, moment: datetime, merged: list[_Merged]
) -> tuple[timedelta, int, datetime, timedelta, timedelta, list[Pause]] | None:
    """Where `_due_date`'s count stands once it has counted the pauses *since* counted:
    the budget, how many of *merged* are done, the cursor, the working time left, the
    working time paused and the pauses counted; ``None`` if *merged* does not begin with
    exactly those (a new pause overlaps them, or one was ignored), so the count must start
    over.

    The pauses counted are merged and sorted, so the open time from receipt to the end
    of the last one is the time the clock ran plus the time it was paused (working time
    adds up across consecutive intervals): what was left follows without walking them.
    """
    counted, before = since.pauses, since._merged
    if before is None:  # made by hand, not by `due_date`
        return None
    if since.due is None:  # resume just before the open pause, with what it left
        if not counted or since.paused_since is None or since.remaining is None:
            return None
        done, cursor, left = len(counted) - 1, counted[-1].start, since.remaining
        if len(merged) <= done or merged[done][0].astimezone(UTC) != cursor.astimezone(UTC):
            return None
    else:
        done = len(counted)
        if len(merged) < done:
            return None
        end = counted[-1].end if counted else moment
        if end is None:  # only a deadline made by hand: a running clock's pauses are closed
            return None
        cursor = end
        left = since.budget - (calendar.working_time_between(moment, cursor) - since.paused)
    if len(before) < done or tuple(merged[:done]) != before[:done]:
        return None
    if counted and left <= _ZERO:  # only a deadline made by hand: pauses count while time is left
        return None
    return since.budget, done, cursor.astimezone(UTC), left, since.paused, list(counted[:done])


def _check_deadline(deadline: object, calendar: object) -> None:
    if not isinstance(deadline, Deadline):
        raise InvalidCalendar(
            field="deadline", reason=f"expected a Deadline, not {kind_of(deadline)}"
        )
    _check_arguments(calendar, deadline.limit)


def remaining_working_time(deadline: Deadline, calendar: WorkCalendar, now: datetime) -> timedelta:
    """Return the working time left on the clock at *now*.

    It is the budget less the working time the clock ran between receipt and *now*
    (pauses do not run it).  It never grows as *now* advances, is zero at the due
    instant, and is negative after it, by the working time since.  Before receipt it
    is the whole budget.

    Args:
        deadline: A deadline computed by `due_date` on *calendar*.
        calendar: The calendar the deadline was computed on.
        now: The instant asked about (timezone-aware).

    Raises:
        NaiveDatetime: If *now* has no time zone.
        InvalidCalendar: If *deadline* is not a `Deadline` or *calendar* not a calendar.
        DateOutOfRange: If *now* cannot be told in UTC and in the calendar's zone.
    """
    _check_deadline(deadline, calendar)
    moment = calendar.instant(now, "now")
    if moment <= deadline.received:
        return deadline.budget
    with counting("deadline"):
        return _remaining(deadline, calendar, moment)


def _remaining(deadline: Deadline, calendar: WorkCalendar, moment: datetime) -> timedelta:
    ran = calendar.working_time_between(deadline.received, moment)
    for pause in deadline.pauses:
        if pause.start >= moment:
            break
        stop = moment if pause.end is None else min(pause.end, moment)
        ran -= calendar.working_time_between(pause.start, stop)
    return deadline.budget - ran


def status_at(
    deadline: Deadline,
    calendar: WorkCalendar,
    now: datetime,
    *,
    at_risk_below: float = 0.2,
) -> SlaStatus:
    """Return where *deadline* stands at *now*.

    `SlaStatus.PAUSED` while a pause holds the clock at *now*; `SlaStatus.OVERDUE`
    once *now* is after the due instant (the due instant itself is still on time);
    `SlaStatus.AT_RISK` when at most *at_risk_below* of the budget is left (from the
    instant the read model's ``at_risk_from`` names, nights and weekends after it
    included); `SlaStatus.ON_TRACK` otherwise.

    Args:
        deadline: A deadline computed by `due_date` on *calendar*.
        calendar: The calendar the deadline was computed on.
        now: The instant asked about (timezone-aware).
        at_risk_below: The share of the budget, from 0 to 1, at or under which the
            deadline is at risk (default 20%).

    Raises:
        NaiveDatetime: If *now* has no time zone.
        InvalidCalendar: If *at_risk_below* is not a number from 0 to 1 (a bool and NaN
            are not), or *deadline* or *calendar* is of the wrong type.
        DateOutOfRange: If *now* cannot be told in UTC and in the calendar's zone.
    """
    _check_deadline(deadline, calendar)
    moment = calendar.instant(now, "now")
    share: object = at_risk_below
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise InvalidCalendar(field="at_risk_below", reason="must be a share from 0 to 1")
    for pause in deadline.pauses:
        if pause.start <= moment and (pause.end is None or moment < pause.end):
            return SlaStatus.PAUSED
    if deadline.due is not None and moment > deadline.due:
        return SlaStatus.OVERDUE
    left = remaining_working_time(deadline, calendar, moment)
    if left <= deadline.budget * at_risk_below:  # as `writer.at_risk_instant` counts
        return SlaStatus.AT_RISK
    return SlaStatus.ON_TRACK
