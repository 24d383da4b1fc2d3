"""Work calendars: when an office is open, and arithmetic in working time over it.

A `WorkCalendar` is an office's week (ISO weekdays), its daily hours, its public
holidays and its ad-hoc `Closure` periods, in one IANA time zone.  It answers two
questions the SLA clock (`onestop.domain.sla`) is built on: *when is the office open*,
and *how much open time lies between two instants*.

Conventions:

* Every instant given must be timezone-aware; a naive one raises `NaiveDatetime`
  naming the argument.  Results are in the calendar's zone.  Arithmetic runs on UTC
  instants, so the zone an input is written in never changes a result.
* Open intervals are half-open: the office is open at ``day_start`` and closed at
  ``day_end``.  A deadline may fall *on* ``day_end``: "by 16:00" includes 16:00.
* A **working day** is a day of the work week that is not a holiday and that some
  closure has not shut for its whole opening hours.  A day a closure shuts only in
  part is still a working day, with less open time.
* "N working days from receipt" ends at the close of the N-th working day *after
  the day of receipt* (the day of receipt is never counted, whatever the hour).
* "N working hours" is the earliest instant by which N hours of open time have
  passed, starting at receipt if the office is open, else at its next opening.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> wib = ZoneInfo("Asia/Jakarta")
>>> jakarta = WorkCalendar(time_zone="Asia/Jakarta")
>>> jakarta.add(datetime(2025, 3, 7, 10, 15, tzinfo=wib), Duration.working_days(1))
datetime.datetime(2025, 3, 10, 16, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Jakarta'))
>>> jakarta.add(datetime(2025, 3, 7, 15, 0, tzinfo=wib), Duration.working_hours(2))
datetime.datetime(2025, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Jakarta'))
"""

from __future__ import annotations

import enum
import weakref
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from onestop.domain.values import Duration, TimeUnit
from onestop.exceptions import InvalidCalendar, NaiveDatetime

__all__ = ["Closure", "DayKind", "WorkCalendar", "check_text", "format_day", "require_aware"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

_Span = tuple[datetime, datetime]
_MEMO_DAYS = 4096
"""Days whose open intervals a calendar remembers (about eleven years' worth)."""


def format_day(day: date) -> str:
    """Render a date with its weekday, e.g. ``Sat 2025-03-29``, whatever the locale."""
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def require_aware(value: object, argument: str) -> datetime:
    """Return *value* if it is a timezone-aware datetime.

    Args:
        value: The datetime to check.
        argument: The name to report, e.g. ``"received"``.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        InvalidCalendar: If *value* is not a datetime at all.
    """
    if not isinstance(value, datetime):
        raise InvalidCalendar(field=argument, reason=f"expected a datetime, not {value!r}")
    if value.utcoffset() is None:
        raise NaiveDatetime(argument)
    return value


def check_text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    """An attrs validator: *value* must be a `str`, else `InvalidCalendar` names the field."""
    if not isinstance(value, str):
        raise InvalidCalendar(field=attribute.name, reason=f"expected text, not {value!r}")


def _aware_attribute(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    require_aware(value, attribute.name)


@attrs.frozen(kw_only=True)
class Closure:
    """An ad-hoc closure of an office (a flood, a power cut, a ceremony).

    It may cover part of a day or many days.  Open time inside it does not count.

    Attributes:
        start: When the office closed (timezone-aware).
        end: When it reopened (timezone-aware, after `start`).
        reason: Why, in a few words; shown in deadline traces.
    """

    start: datetime = attrs.field(validator=_aware_attribute)
    end: datetime = attrs.field(validator=_aware_attribute)
    reason: str = attrs.field(validator=check_text)

    def __attrs_post_init__(self) -> None:
        """Check that the closure ends after it starts."""
        if self.end <= self.start:
            raise InvalidCalendar(field="end", reason="a closure must end after it starts")


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


def _check_zone(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidCalendar(field=attribute.name, reason=f"expected a zone name, not {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCalendar(
            field=attribute.name,
            reason=f"{value!r} is not an IANA time zone such as 'Asia/Jakarta'",
        ) from None


def _check_week(_: object, attribute: attrs.Attribute[tuple[int, ...]], value: object) -> None:
    days = value if isinstance(value, tuple) else ()
    if not days:
        raise InvalidCalendar(field=attribute.name, reason="the work week needs at least one day")
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise InvalidCalendar(
                field=attribute.name, reason=f"{day!r} is not an ISO weekday (1 = Mon .. 7 = Sun)"
            )
    if len(set(days)) != len(days):
        raise InvalidCalendar(field=attribute.name, reason="a weekday is given twice")


def _check_time(_: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidCalendar(
            field=attribute.name, reason=f"expected a wall-clock time without zone, not {value!r}"
        )


def _check_holidays(_: object, attribute: attrs.Attribute[frozenset[date]], value: object) -> None:
    for day in value if isinstance(value, frozenset) else ():
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InvalidCalendar(field=attribute.name, reason=f"{day!r} is not a date")


def _check_closures(
    _: object, attribute: attrs.Attribute[tuple[Closure, ...]], value: object
) -> None:
    for item in value if isinstance(value, tuple) else ():
        if not isinstance(item, Closure):
            raise InvalidCalendar(field=attribute.name, reason=f"{item!r} is not a Closure")


def _to_tuple(value: Iterable[int]) -> tuple[int, ...]:
    try:
        return tuple(value)
    except TypeError:
        raise InvalidCalendar(
            field="work_week", reason=f"expected ISO weekdays, not {value!r}"
        ) from None


def _to_frozenset(value: Iterable[date]) -> frozenset[date]:
    try:
        return frozenset(value)
    except TypeError:
        raise InvalidCalendar(field="holidays", reason=f"expected dates, not {value!r}") from None


def _sorted_closures(value: Iterable[Closure]) -> tuple[Closure, ...]:
    try:
        items = tuple(value)
    except TypeError:
        raise InvalidCalendar(
            field="closures", reason=f"expected closures, not {value!r}"
        ) from None
    if all(isinstance(item, Closure) for item in items):
        return tuple(sorted(items, key=lambda c: (c.start, c.end, c.reason)))
    return items  # the validator names the offending item


@attrs.frozen(kw_only=True, cache_hash=True)
class WorkCalendar:
    """When an office works: its week, daily hours, holidays and closures, in one zone.

    Equal calendars give equal results; closures are kept sorted by start.

    Attributes:
        time_zone: The office's IANA zone (``Asia/Jakarta`` WIB, ``Asia/Makassar`` WITA,
            ``Asia/Jayapura`` WIT).  Days and hours are read in it.
        work_week: ISO weekdays worked, 1 = Monday .. 7 = Sunday (default Monday-Friday).
        day_start: Opening time, wall clock in `time_zone` (default 08:00).
        day_end: Closing time, after `day_start` (default 16:00).
        holidays: Dates on which the office is closed (public holidays, joint leave).
        closures: Ad-hoc closures, possibly covering part of a day.
        name: A label for traces, e.g. ``"ID Asia/Makassar"``.
    """

    time_zone: str = attrs.field(validator=_check_zone)
    work_week: tuple[int, ...] = attrs.field(
        default=(1, 2, 3, 4, 5), converter=_to_tuple, validator=_check_week
    )
    day_start: time = attrs.field(default=time(8), validator=_check_time)
    day_end: time = attrs.field(default=time(16), validator=_check_time)
    holidays: frozenset[date] = attrs.field(
        factory=frozenset, converter=_to_frozenset, validator=_check_holidays
    )
    closures: tuple[Closure, ...] = attrs.field(
        default=(), converter=_sorted_closures, validator=_check_closures
    )
    name: str = attrs.field(default="", validator=check_text)

    def __attrs_post_init__(self) -> None:
        """Check that the working day ends after it starts."""
        if self.day_end <= self.day_start:
            raise InvalidCalendar(
                field="day_end",
                reason=f"closing time {self.day_end:%H:%M} is not after opening time "
                f"{self.day_start:%H:%M}",
            )

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def day_length(self) -> timedelta:
        """The open time of a full working day (``day_end - day_start``)."""
        start = datetime.combine(date.min, self.day_start)
        return datetime.combine(date.min, self.day_end) - start

    @property
    def hours_per_day(self) -> float:
        """Working hours in a full working day, e.g. ``8.0`` for ``08:00``-``16:00``."""
        return self.day_length / timedelta(hours=1)

    def with_holidays(self, days: Iterable[date]) -> WorkCalendar:
        """Return a copy with *days* added to the holidays."""
        return attrs.evolve(self, holidays=self.holidays | frozenset(days))

    def with_closure(self, start: datetime, end: datetime, *, reason: str) -> WorkCalendar:
        """Return a copy with one more closure from *start* to *end*.

        Raises:
            NaiveDatetime: If *start* or *end* has no time zone.
            InvalidCalendar: If *end* is not after *start*.
        """
        closure = Closure(start=start, end=end, reason=reason)
        return attrs.evolve(self, closures=(*self.closures, closure))

    def day_kind(self, day: date) -> DayKind:
        """Say whether *day* is worked, and if not, why not."""
        return self._ruler().kind(day)

    def day_kinds(self, first: date, last: date) -> Iterator[tuple[date, DayKind]]:
        """Yield each day from *first* to *last* inclusive with its `DayKind`."""
        ruler = self._ruler()
        day = first
        while day <= last:
            yield day, ruler.kind(day)
            if day == last:  # date.max has no next day
                return
            day += _ONE_DAY

    def is_working_day(self, day: date) -> bool:
        """Return whether the office opens on *day*, for at least part of it."""
        return self.day_kind(day) is DayKind.WORKING

    def open_hours(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The intervals ``(opens, closes)`` during which the office is open on *day*.

        Empty on a day that is not a working day; more than one interval when a closure
        cuts the day in the middle.
        """
        zone = self.zone
        return tuple((a.astimezone(zone), b.astimezone(zone)) for a, b in self._ruler().spans(day))

    def closures_between(self, start: datetime, end: datetime) -> tuple[Closure, ...]:
        """The closures that overlap the interval from *start* to *end*.

        Raises:
            NaiveDatetime: If *start* or *end* has no time zone.
        """
        require_aware(start, "start")
        require_aware(end, "end")
        return tuple(c for c in self.closures if c.start < end and c.end > start)

    def is_open(self, at: datetime) -> bool:
        """Return whether the office is open at the instant *at*.

        Raises:
            NaiveDatetime: If *at* has no time zone.
        """
        moment = require_aware(at, "at").astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        return any(a <= moment < b for a, b in self._ruler().spans(day))

    def next_opening(self, at: datetime) -> datetime:
        """Return *at* if the office is open then, else the instant it next opens.

        Raises:
            NaiveDatetime: If *at* has no time zone.
        """
        moment = require_aware(at, "at").astimezone(UTC)
        ruler = self._ruler()
        for a, b in ruler.spans_from(moment):
            if b > moment:
                return max(a, moment).astimezone(self.zone)
        raise AssertionError("unreachable: spans_from never ends")  # pragma: no cover

    def add(self, start: datetime, duration: Duration) -> datetime:
        """Return the instant *duration* of working time after *start*.

        Working days: the close of the N-th working day after the day of *start* (in the
        calendar's zone), whatever the hour of *start*.  Working hours: the earliest
        instant by which N hours of open time have passed since *start*.

        Raises:
            NaiveDatetime: If *start* has no time zone.
        """
        moment = require_aware(start, "start").astimezone(UTC)
        ruler = self._ruler()
        if duration.unit is TimeUnit.WORKING_HOURS:
            return ruler.advance(moment, timedelta(hours=duration.amount)).astimezone(self.zone)
        day = moment.astimezone(self.zone).date()
        for _ in range(duration.amount):
            day = ruler.next_working_day(day)
        return ruler.spans(day)[-1][1].astimezone(self.zone)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Return the earliest instant by which *amount* of open time has passed since *start*.

        With a zero *amount*, *start* itself is returned (in the calendar's zone).

        Raises:
            NaiveDatetime: If *start* has no time zone.
            InvalidCalendar: If *amount* is negative.
        """
        moment = require_aware(start, "start").astimezone(UTC)
        if amount < _ZERO:
            raise InvalidCalendar(field="amount", reason="working time to add must not be negative")
        return self._ruler().advance(moment, amount).astimezone(self.zone)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the open working time between the instants *a* and *b*.

        The result is signed: ``working_time_between(b, a) == -working_time_between(a, b)``,
        so it adds up across consecutive intervals.

        Raises:
            NaiveDatetime: If *a* or *b* has no time zone.
        """
        start = require_aware(a, "a").astimezone(UTC)
        end = require_aware(b, "b").astimezone(UTC)
        if end < start:
            return -self._ruler().between(end, start)
        return self._ruler().between(start, end)

    def describe_working_time(self, amount: timedelta) -> str:
        """Render working time in this calendar's days and hours, e.g. ``1 working day 2 hours``.

        A day here is `day_length` of open time, so with 08:00-16:00, ten hours read as
        ``1 working day 2 hours``.
        """
        sign, amount = ("minus ", -amount) if amount < _ZERO else ("", amount)
        days, rest = divmod(amount, self.day_length)
        seconds = int(rest.total_seconds())
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in (
                (days, "day"),
                (hours, "hour"),
                (minutes, "minute"),
                (seconds, "second"),
            )
            if n
        ]
        if not parts:
            return "no working time"
        return f"{sign}{parts[0].replace(' ', ' working ', 1)}{''.join(' ' + p for p in parts[1:])}"

    def describe_week(self) -> str:
        """Render the week and hours, e.g. ``Mon-Fri 08:00-16:00 Asia/Jakarta``."""
        days = sorted(self.work_week)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            names = f"{_WEEKDAYS[days[0] - 1]}-{_WEEKDAYS[days[-1] - 1]}"
        else:
            names = ",".join(_WEEKDAYS[d - 1] for d in days)
        return f"{names} {self.day_start:%H:%M}-{self.day_end:%H:%M} {self.time_zone}"

    def stamp(self, at: datetime) -> str:
        """Render an instant in the calendar's zone, e.g. ``Mon 2025-03-03 10:15 WIB``.

        Seconds are shown only when they are not zero.  The weekday names are fixed
        English abbreviations, whatever the process's locale.
        """
        local = require_aware(at, "at").astimezone(self.zone)
        clock = f"{local:%H:%M:%S}" if local.second or local.microsecond else f"{local:%H:%M}"
        return f"{_WEEKDAYS[local.weekday()]} {local:%Y-%m-%d} {clock} {local.tzname()}"

    def _ruler(self) -> _Ruler:
        # Built on first use and kept while the calendar lives, shared by equal
        # calendars: it remembers each day's open intervals, which every deadline
        # computed on this calendar walks again.
        ruler = _RULERS.get(self)
        if ruler is None:
            ruler = _Ruler(self)
            _RULERS[self] = ruler
        return ruler


_RULERS: weakref.WeakKeyDictionary[WorkCalendar, _Ruler] = weakref.WeakKeyDictionary()
"""The ruler of each calendar in use; equal calendars (the same value) share one."""


class _Ruler:
    """Open-time arithmetic for one calendar, on UTC instants.

    A calendar builds one on first use, kept in `_RULERS` while the calendar lives, so
    it holds the calendar's fields, not the calendar (which would keep it alive), and
    remembers the open intervals of the days asked about and the day each day is
    followed by.  The memos are plain dicts: two threads filling one at once compute
    the same values.
    """

    __slots__ = (
        "_closed",
        "_day_end",
        "_day_start",
        "_days",
        "_ends",
        "_following",
        "_holidays",
        "_week",
        "_zone",
    )

    def __init__(self, calendar: WorkCalendar) -> None:
        self._zone = calendar.zone
        self._holidays = calendar.holidays
        self._week = frozenset(calendar.work_week)
        self._day_start = calendar.day_start
        self._day_end = calendar.day_end
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

    def kind(self, day: date) -> DayKind:
        """Whether *day* is worked, and if not, why not."""
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
            if len(self._days) >= _MEMO_DAYS:
                self._days.clear()
            self._days[day] = found
        return found

    def _spans(self, day: date) -> tuple[_Span, ...]:
        if day in self._holidays or day.isoweekday() not in self._week:
            return ()
        start = datetime.combine(day, self._day_start, tzinfo=self._zone).astimezone(UTC)
        end = datetime.combine(day, self._day_end, tzinfo=self._zone).astimezone(UTC)
        spans: list[_Span] = []
        index = bisect_right(self._ends, start)  # the first closure ending after opening
        while index < len(self._closed) and self._closed[index][0] < end:
            closed_from, closed_to = self._closed[index]
            if closed_from > start:
                spans.append((start, closed_from))
            start = max(start, closed_to)
            index += 1
        if start < end:
            spans.append((start, end))
        return tuple(spans)

    def following(self, day: date) -> date:
        """The day after *day*, or, if a closure shuts it, the day that closure ends.

        The days skipped are shut for all of their opening hours, so a closure of
        years costs one step, not one per day.
        """
        found = self._following.get(day)
        if found is None:
            found = self._follow(day)
            if len(self._following) >= _MEMO_DAYS:
                self._following.clear()
            self._following[day] = found
        return found

    def _follow(self, day: date) -> date:
        try:
            after = day + _ONE_DAY
            opening = datetime.combine(after, self._day_start, tzinfo=self._zone)
        except OverflowError:
            raise InvalidCalendar(
                field="closures", reason="the office does not open again before year 9999"
            ) from None
        opening = opening.astimezone(UTC)
        index = bisect_right(self._ends, opening)
        if index < len(self._closed) and self._closed[index][0] <= opening:
            return max(after, self._closed[index][1].astimezone(self._zone).date())
        return after

    def spans_from(self, moment: datetime) -> Iterator[_Span]:
        """Every open interval of the day of *moment* and the days after, in order."""
        day = moment.astimezone(self._zone).date()
        while True:
            yield from self.spans(day)
            day = self.following(day)

    def next_working_day(self, day: date) -> date:
        """The first working day after *day*."""
        day = self.following(day)
        while not self.spans(day):
            day = self.following(day)
        return day

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
        """Open time between *start* and *end*, with ``start <= end``."""
        total = _ZERO
        day = start.astimezone(self._zone).date()
        last = end.astimezone(self._zone).date()
        while day <= last:
            for a, b in self.spans(day):
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    total += hi - lo
            day = self.following(day)
        return total
