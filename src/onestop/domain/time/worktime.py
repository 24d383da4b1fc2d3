"""Instants and open-time arithmetic under `onestop.domain.time.calendar`: the range it counts in.

Python's `datetime` stops at the years 1 and 9999, and turning an instant near either
end into another zone, or adding working time that runs past the end, overflows.
Here every such overflow becomes a typed `DateOutOfRange` naming the argument at
fault, never an `OverflowError`:

* `check_in_range` refuses an instant outside `EARLIEST` .. `LATEST` (UTC), the
  instants whose local date and time exist in every time zone.  The command line
  checks ``--at`` with it, and the exports their *at*.
* Closures and pauses hold any aware instant that can be told in UTC (`aware_utc`):
  a closure "until 9999-12-31" is how an office that never reopens is written.
* The calendar itself answers for any instant it can represent in UTC and in its own
  zone, and raises `DateOutOfRange` when the answer lies past the last (or before the
  first) day it can count: `counting` turns the overflow into that error.

`Ruler` is the arithmetic a `WorkCalendar` runs on: its open intervals per day, in UTC,
closures cut out, and the working time between two instants.
"""

from __future__ import annotations

import enum
import weakref
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from onestop.domain.common.formats import kind_of, preview
from onestop.exceptions import DateOutOfRange, InvalidCalendar, NaiveDatetime

if TYPE_CHECKING:
    import attrs

    from onestop.domain.time.calendar import WorkCalendar

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_WALK",
    "MEMO_DAYS",
    "DayKind",
    "aware_utc",
    "check_in_range",
    "require_aware",
]
# `Ruler`, `counting`, `label`, `to_years` and `check_years` serve `onestop.domain.time.calendar`
# and `onestop.domain.time.sla` only: they are not part of the public surface.

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
"""The earliest instant `check_in_range` accepts: 0001-01-02 00:00 UTC."""
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
"""The latest instant `check_in_range` accepts: the end of 9999-12-30 UTC."""

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_RANGE = "0001-01-02 to 9999-12-30 UTC"
MEMO_DAYS = 4096
"""Days whose open intervals a calendar remembers (about eleven years' worth)."""

_Span = tuple[datetime, datetime]


MAX_WALK = 36_600
"""The most days one computation walks (about a hundred years); see `DateOutOfRange`."""
_TOO_FAR = (
    f"the count would walk more than {MAX_WALK:,} days (about a hundred years), more than "
    "a calendar counts in one computation"
)


class _Overrun(Exception):
    """The arithmetic ran past the first or last day a calendar can count, or too far."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


def label(argument: object) -> str:
    """The name of an argument as an error shows it: short, one line, never a huge value."""
    if isinstance(argument, str) and 0 < len(argument) <= 64 and argument.isprintable():
        return argument
    return preview(argument) if isinstance(argument, str) else kind_of(argument)


def require_aware(value: object, argument: str) -> datetime:
    """Return *value* if it is a timezone-aware datetime.

    Args:
        value: The datetime to check.
        argument: The name to report, e.g. ``"received"``.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidCalendar: If *value* is not a datetime at all, or its tzinfo gives no
            valid offset.
    """
    if not isinstance(value, datetime):
        raise InvalidCalendar(
            field=label(argument), reason=f"expected a datetime, not {kind_of(value)}"
        )
    try:
        offset = value.utcoffset()
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidCalendar(
            field=label(argument), reason="its tzinfo gives no valid offset from UTC"
        ) from None
    if offset is None:
        raise NaiveDatetime(label(argument))
    return value


def aware_utc(value: object, argument: str) -> datetime:
    """Return *value*, an aware datetime, in UTC.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidCalendar: If *value* is not a datetime.
        DateOutOfRange: If *value* cannot be told in UTC (an hour of the year 1 ahead
            of UTC, or of 9999 behind it).
    """
    moment = require_aware(value, argument)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DateOutOfRange(
            field=label(argument), reason=f"{moment.isoformat()} cannot be told in UTC"
        ) from None


def check_in_range(value: object, argument: str) -> datetime:
    """Return *value* in UTC if it is an aware datetime from `EARLIEST` to `LATEST`.

    Narrower than `onestop.domain.common.kinds.check_instant`, which accepts any instant UTC
    can hold: this one also guarantees that every time zone can read it, as picking a
    catalogue version in each agency's zone needs.

    >>> check_in_range(datetime(1, 1, 1, 20, tzinfo=UTC), "at")
    Traceback (most recent call last):
      ...
    onestop.exceptions.DateOutOfRange: at: 0001-01-01T20:00:00+00:00 lies outside the \
instants onestop counts in, 0001-01-02 to 9999-12-30 UTC

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidCalendar: If *value* is not a datetime.
        DateOutOfRange: If *value* lies before `EARLIEST` or after `LATEST`.
    """
    moment = require_aware(value, argument)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise DateOutOfRange(
            field=label(argument),
            reason=f"{moment.isoformat()} lies outside the instants onestop counts in, {_RANGE}",
        )
    return utc


_BEYOND = "the answer lies beyond the years 1 to 9999 that a calendar can count"


class counting:  # noqa: N801 - used as a function: ``with counting("start"):``
    """Turn an overflow of date arithmetic inside a ``with`` block into `DateOutOfRange`.

    *argument* is what the error names: the input whose value, or whose working time,
    runs past the years 1 to 9999; *reason* says what is out of range, after the instant
    *at* if given.  Both are made into words only if the error is raised.
    """

    __slots__ = ("argument", "at", "reason")

    def __init__(self, argument: str, *, reason: str = _BEYOND, at: datetime | None = None) -> None:
        self.argument = argument
        self.reason = reason
        self.at = at

    def __enter__(self) -> None:
        """Enter the block; nothing to set up."""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Raise `DateOutOfRange` in place of an overflow; let anything else through."""
        if kind is not None and issubclass(kind, OverflowError | _Overrun):
            reason = self.reason if self.at is None else f"{self.at.isoformat()} {self.reason}"
            if isinstance(error, _Overrun) and error.reason:
                reason = error.reason
            raise DateOutOfRange(field=label(self.argument), reason=reason) from None


def to_years(value: object) -> Any:
    """A list of two years (as a store reads a tuple back) as a tuple; anything else as given."""
    return tuple(value) if isinstance(value, list) else value


def check_years(
    _: object, attribute: attrs.Attribute[tuple[int, int] | None], value: object
) -> None:
    """The attrs validator of `WorkCalendar.holiday_years`: ``None`` or two years in order."""
    if value is None:
        return
    pair = value if isinstance(value, tuple) and len(value) == 2 else (None, None)
    years = [y for y in pair if not isinstance(y, bool) and isinstance(y, int) and 1 <= y <= 9999]
    if len(years) != 2:
        raise InvalidCalendar(
            field=attribute.name,
            reason=f"expected None or (first year, last year), not {kind_of(value)}",
        )
    if years[0] > years[1]:
        raise InvalidCalendar(field=attribute.name, reason="the first year is after the last")


class DayKind(enum.Enum):
    """Whether a day is worked, and if not, why not."""

    WORKING = "working"
    """Open for at least part of the day (a partial closure leaves it a working day)."""
    WEEKEND = "weekend"
    """Not a day of the calendar's work week."""
    HOLIDAY = "holiday"
    """A public holiday or joint leave day (checked before `WEEKEND`)."""
    CLOSED = "closed"
    """A day of the work week that closures shut for all of its opening hours."""


def ruler_of(calendar: WorkCalendar, shared: weakref.WeakKeyDictionary[Any, Ruler], /) -> Ruler:
    """The ruler of *calendar*: built on first use and kept in *shared* while the calendar
    lives, shared by equal calendars, as it remembers each day's open intervals, which every
    deadline computed on the calendar walks again.

    Found by the calendar's identity first: looking it up by value in *shared* compares
    calendars field by field, which costs more than many counts.
    """
    key = id(calendar)
    kept = _OWN.get(key)
    if kept is not None and kept[0]() is calendar:
        return kept[1]
    ruler = shared.get(calendar)
    if ruler is None:
        ruler = shared[calendar] = Ruler(calendar)
    _OWN[key] = (weakref.ref(calendar, partial(_forget, key)), ruler)
    return ruler


def _forget(key: int, _: object) -> None:
    _OWN.pop(key, None)  # the calendar is being collected: before its id can be reused


class Ruler:
    """Open-time arithmetic for one calendar, on UTC instants.

    A calendar builds one on first use and keeps it while the calendar lives, so it
    holds the calendar's fields, not the calendar (which would keep it alive), and
    remembers the open intervals of the days asked about and the day each day is
    followed by.  The memos are plain dicts: two threads filling one at once compute
    the same values.  Past the first or last day it can count, it raises `_Overrun`
    (or `OverflowError`), which `counting` turns into `DateOutOfRange`.
    """

    __slots__ = (
        "_closed",
        "_daily",
        "_days",
        "_ends",
        "_first",
        "_following",
        "_holidays",
        "_known",
        "_week",
        "_zone",
    )

    def __init__(self, calendar: WorkCalendar) -> None:
        self._zone = calendar.zone
        self._holidays = calendar.holidays
        years = calendar.holiday_years
        self._known = None if years is None else (date(years[0], 1, 1), date(years[1], 12, 31))
        hours = calendar.hours
        daily: tuple[tuple[tuple[time, time], ...], ...]
        if hours is None:  # one span a day, on the days of the work week
            span = ((calendar.day_start, calendar.day_end),)
            daily = tuple(span if d in calendar.work_week else () for d in range(1, 8))
        else:
            daily = hours.days
        self._daily = daily
        self._week = frozenset(d for d in range(1, 8) if daily[d - 1])
        # The first opening of each weekday (any time on a closed one): `_follow` asks
        # whether a closure covers it.
        self._first = tuple(spans[0][0] if spans else calendar.day_start for spans in daily)
        merged: list[list[datetime]] = []
        for closure in calendar.closures:  # sorted by start
            start, end = closure.start.astimezone(UTC), closure.end.astimezone(UTC)
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._closed: tuple[_Span, ...] = tuple((a, b) for a, b in merged)
        self._ends = tuple(b for _, b in self._closed)
        self._days: dict[date, tuple[_Span, ...]] = {}
        self._following: dict[date, date] = {}

    def local_day(self, moment: datetime) -> date:
        """The date of the UTC instant *moment* in the calendar's zone."""
        return moment.astimezone(self._zone).date()

    def listed(self, day: date) -> None:
        """Refuse *day* if it lies outside the years whose holidays the calendar lists."""
        known = self._known
        if known is not None and not known[0] <= day <= known[1]:
            raise DateOutOfRange(
                field="holiday_years",
                reason=f"counting needs {day.isoformat()}, but the calendar lists the holidays "
                f"of {known[0].year} to {known[1].year} only: build it with years= covering "
                f"{day.year} too (calendar_versions or calendar_for, given every year the "
                "mall counts in)",
            )

    def kind(self, day: date) -> DayKind:
        """Whether *day* is worked, and if not, why not."""
        self.listed(day)
        if day in self._holidays:
            return DayKind.HOLIDAY
        if day.isoweekday() not in self._week:
            return DayKind.WEEKEND
        return DayKind.WORKING if self.spans(day) else DayKind.CLOSED

    def spans(self, day: date) -> tuple[_Span, ...]:
        """The open intervals of *day*, in UTC, closures cut out."""
        found = self._days.get(day)
        if found is None:
            found = self._spans(day)
            if len(self._days) >= MEMO_DAYS:
                self._days.clear()
            self._days[day] = found
        return found

    def _spans(self, day: date) -> tuple[_Span, ...]:
        self.listed(day)
        if day in self._holidays:
            return ()
        spans: list[_Span] = []
        for opens, closes in self._daily[day.weekday()]:
            start = datetime.combine(day, opens, tzinfo=self._zone).astimezone(UTC)
            end = datetime.combine(day, closes, tzinfo=self._zone).astimezone(UTC)
            if start.astimezone(self._zone).date() != day:  # a day the zone skipped
                continue  # (Samoa's 30 December 2011): its hours fell on the next day's
            self._cut(start, end, spans)
        return tuple(spans)

    def _cut(self, start: datetime, end: datetime, spans: list[_Span]) -> None:
        """Append to *spans* the parts of *start* to *end* that no closure covers."""
        index = bisect_right(self._ends, start)  # the first closure ending after opening
        while index < len(self._closed) and self._closed[index][0] < end:
            closed_from, closed_to = self._closed[index]
            if closed_from > start:
                spans.append((start, closed_from))
            start = max(start, closed_to)
            index += 1
        if start < end:
            spans.append((start, end))

    def following(self, day: date) -> date:
        """The day after *day*, or, if a closure shuts it, the day that closure ends.

        The days skipped are shut for all of their opening hours, so a closure of
        years costs one step, not one per day.
        """
        found = self._following.get(day)
        if found is None:
            found = self._follow(day)
            if len(self._following) >= MEMO_DAYS:
                self._following.clear()
            self._following[day] = found
        return found

    def _follow(self, day: date) -> date:
        if day == date.max:
            raise self._past_the_end()
        after = day + _ONE_DAY
        first = self._first[after.weekday()]
        opening = datetime.combine(after, first, tzinfo=self._zone).astimezone(UTC)
        index = bisect_right(self._ends, opening)
        if index < len(self._closed) and self._closed[index][0] <= opening:
            return max(after, self.local_day(self._closed[index][1]))
        return after

    def _past_the_end(self) -> Exception:
        """The error for a count that reached the last day: closures' fault, or the count's."""
        if self._closed:
            try:
                last = self.local_day(self._closed[-1][1])
            except OverflowError:
                last = date.max
            if last >= date.max - _ONE_DAY:
                return DateOutOfRange(
                    field="closures",
                    reason="the office does not open again before 9999-12-31, the last day "
                    "a calendar can count",
                )
        return _Overrun()

    def spans_from(self, moment: datetime) -> Iterator[_Span]:
        """Every open interval of the day of *moment* and the days after, in order.

        At most `MAX_WALK` days are walked; then `_Overrun` is raised.
        """
        day = self.local_day(moment)
        for _ in range(MAX_WALK):
            yield from self.spans(day)
            day = self.following(day)
        raise _Overrun(_TOO_FAR)

    def opening(self, moment: datetime) -> datetime:
        """*moment* if the office is open then, else the instant it next opens."""
        for a, b in self.spans_from(moment):
            if b > moment:
                return max(a, moment)
        raise AssertionError("unreachable: spans_from never ends")  # pragma: no cover

    def nth_working_day(self, day: date, count: int) -> date:
        """The *count*-th working day after *day*, walking at most `MAX_WALK` days."""
        steps = 0
        for _ in range(count):
            day = self.following(day)
            steps += 1
            while not self.spans(day):
                day = self.following(day)
                steps += 1
                if steps > MAX_WALK:
                    raise _Overrun(_TOO_FAR)
            if steps > MAX_WALK:
                raise _Overrun(_TOO_FAR)
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day after *day*."""
        return self.nth_working_day(day, 1)

    def advance(self, moment: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which *amount* of open time has passed since *moment*."""
        if amount <= _ZERO:
            return moment
        left = amount
        for a, b in self.spans_from(moment):
            begin = max(a, moment)
            if begin >= b:
                continue
            if b - begin >= left:
                return begin + left
            left -= b - begin
        raise AssertionError("unreachable: spans_from never ends")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between *start* and *end*, with ``start <= end``.

        At most `MAX_WALK` days are walked; then `_Overrun` is raised.
        """
        total = _ZERO
        day = self.local_day(start)
        last = self.local_day(end)
        for _ in range(MAX_WALK):
            for a, b in self.spans(day):
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    total += hi - lo
            if day >= last:
                return total
            day = self.following(day)
            if day > last:
                return total
        raise _Overrun(_TOO_FAR)


_OWN: dict[int, tuple[weakref.ref[WorkCalendar], Ruler]] = {}
"""The rulers `ruler_of` gave, by their calendar's `id` (with a weak reference, to tell it
is still that calendar); an entry leaves as its calendar is collected."""
