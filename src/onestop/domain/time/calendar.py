"""Work calendars: when an office is open, and arithmetic in working time over it.

A `WorkCalendar` is an office's week (ISO weekdays), its daily hours, its public
holidays and its ad-hoc `Closure` periods, in one IANA time zone.  It answers two
questions the SLA clock (`onestop.domain.time.sla`) is built on: *when is the office open*,
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
  the day of receipt* (the day of receipt is never counted, whatever the hour),
  unless the calendar's `LimitCounting` says otherwise (`onestop.domain.time.hours`).
* ``hours=`` (`WeeklyHours`) replaces ``work_week``/``day_start``/``day_end`` with
  several spans a day that may differ from day to day.
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

import weakref
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from onestop.domain.common.formats import MAX_NAME, kind_of, preview, text_problem
from onestop.domain.common.values import Duration, TimeUnit
from onestop.domain.time.hours import LimitCounting, WeeklyHours, check_kind
from onestop.domain.time.worktime import (
    _TOO_FAR,
    MAX_WALK,
    DayKind,
    Ruler,
    aware_utc,
    check_years,
    counting,
    require_aware,
    ruler_of,
    to_years,
)
from onestop.domain.time.zones import zone_problem
from onestop.exceptions import InvalidCalendar

__all__ = [
    "Closure",
    "DayKind",
    "WorkCalendar",
    "check_text",
    "format_day",
    "require_aware",
]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ONE_DAY = timedelta(days=1)
_DEFAULT_DAY = (time(8), time(16))
_BY_DEFAULT = LimitCounting()
_ZERO = timedelta(0)
_TOO_NEAR = "is too near the year 1 or 9999 to be read in UTC and in the calendar's zone"
_LONGEST = (date.max - date.min).days + 1
"""More working days (or hours / 24) than any calendar holds between the years 1 and 9999."""


def format_day(day: date) -> str:
    """Render a date with its weekday, e.g. ``Sat 2025-03-29``, whatever the locale.

    Raises:
        InvalidCalendar: If *day* is not a `date` (a `datetime` is refused too).
    """
    _check_day(day, "day")
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def check_text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    """An attrs validator for a name or a reason shown in traces: one line of text.

    *value* must be text of at most `MAX_NAME` characters with no control character
    (a line break would forge a line of the trace) and no lone surrogate.

    Raises:
        InvalidCalendar: Naming the attribute; the text is never quoted.
    """
    reason = text_problem(value, max_length=MAX_NAME, empty=True)
    if reason is not None:
        raise InvalidCalendar(field=attribute.name, reason=reason)


def _instant_attribute(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    aware_utc(value, attribute.name)


def _check_day(value: object, argument: str) -> date:
    """Return *value* if it is a `date` (not a `datetime`, whose day depends on a zone)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidCalendar(field=argument, reason=f"expected a date, not {kind_of(value)}")
    return value


def _check_amount(value: object, argument: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise InvalidCalendar(
            field=argument, reason=f"expected working time as a timedelta, not {kind_of(value)}"
        )
    return value


def _check_duration(value: object) -> Duration:
    if not isinstance(value, Duration):
        raise InvalidCalendar(field="duration", reason=f"expected a Duration, not {kind_of(value)}")
    return value


@attrs.frozen(kw_only=True)
class Closure:
    """An ad-hoc closure of an office (a flood, a power cut, a ceremony).

    It may cover part of a day or many days.  Open time inside it does not count.

    Attributes:
        start: When the office closed (timezone-aware, and such that it can be told in UTC).
        end: When it reopened (timezone-aware, after `start`); 9999-12-31 for never.
        reason: Why, in a few words (one line); shown in deadline traces.
    """

    start: datetime = attrs.field(validator=_instant_attribute)
    end: datetime = attrs.field(validator=_instant_attribute)
    reason: str = attrs.field(validator=check_text)

    def __attrs_post_init__(self) -> None:
        """Check that the closure ends after it starts."""
        if self.end <= self.start:
            raise InvalidCalendar(field="end", reason="a closure must end after it starts")


def _check_zone(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    problem = zone_problem(value)
    if problem is not None:
        raise InvalidCalendar(field=attribute.name, reason=problem)


def _check_week(_: object, attribute: attrs.Attribute[tuple[int, ...]], value: object) -> None:
    days = value if isinstance(value, tuple) else ()
    if not days:
        raise InvalidCalendar(field=attribute.name, reason="the work week needs at least one day")
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise InvalidCalendar(
                field=attribute.name,
                reason=f"{preview(day)} is not an ISO weekday (1 = Mon .. 7 = Sun)",
            )
    if len(set(days)) != len(days):
        raise InvalidCalendar(field=attribute.name, reason="a weekday is given twice")


def _check_time(_: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        shown = "a time with a zone" if isinstance(value, time) else kind_of(value)
        raise InvalidCalendar(
            field=attribute.name, reason=f"expected a wall-clock time without zone, not {shown}"
        )


def _check_holidays(_: object, attribute: attrs.Attribute[frozenset[date]], value: object) -> None:
    for day in value if isinstance(value, frozenset) else ():
        _check_day(day, attribute.name)


def _check_closures(
    _: object, attribute: attrs.Attribute[tuple[Closure, ...]], value: object
) -> None:
    for item in value if isinstance(value, tuple) else ():
        if not isinstance(item, Closure):
            raise InvalidCalendar(
                field=attribute.name, reason=f"expected a Closure, not {kind_of(item)}"
            )


def _to_tuple(value: Iterable[int]) -> tuple[int, ...]:
    if isinstance(value, str | bytes):
        raise InvalidCalendar(field="work_week", reason="expected ISO weekdays, not text")
    try:
        return tuple(value)
    except TypeError:
        raise InvalidCalendar(
            field="work_week", reason=f"expected ISO weekdays, not {kind_of(value)}"
        ) from None


def _to_frozenset(value: object) -> frozenset[date]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidCalendar(field="holidays", reason=f"expected dates, not {kind_of(value)}")
    try:
        return frozenset(value)
    except TypeError:  # an item that cannot be hashed
        raise InvalidCalendar(
            field="holidays", reason="expected dates, not unhashable items"
        ) from None


def _sorted_closures(value: Iterable[Closure]) -> tuple[Closure, ...]:
    try:
        items = tuple(value)
    except TypeError:
        raise InvalidCalendar(
            field="closures", reason=f"expected closures, not {kind_of(value)}"
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
        hours: Opening spans per weekday, in place of the three fields above (which
            must then keep their defaults); ``None`` to use them.
        counting: How a limit in working days counts (default: from the day after receipt).
        holiday_years: The first and last year `holidays` lists, e.g. ``(2020, 2027)``
            (`onestop.calendars.calendar_versions` sets it): a count needing a day of
            another year raises `DateOutOfRange`.  ``None``: any year is counted.
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
    hours: WeeklyHours | None = attrs.field(default=None, validator=check_kind(WeeklyHours))
    counting: LimitCounting = attrs.field(default=_BY_DEFAULT, validator=check_kind(LimitCounting))
    holiday_years: tuple[int, int] | None = attrs.field(
        default=None, converter=to_years, validator=check_years
    )

    def __attrs_post_init__(self) -> None:
        """Check that the working day ends after it starts, and `hours` has no rival."""
        if self.hours is not None and (
            self.work_week != (1, 2, 3, 4, 5) or (self.day_start, self.day_end) != _DEFAULT_DAY
        ):
            raise InvalidCalendar(
                field="hours", reason="give either hours or work_week/day_start/day_end, not both"
            )
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
        """The open time of a full working day (``day_end - day_start``).

        With `hours`, the open time of the longest day of the week: a "working day" in
        `describe_working_time` and `hours_per_day` is that much open time.
        """
        if self.hours is not None:
            return self.hours.longest_day
        start = datetime.combine(date.min, self.day_start)
        return datetime.combine(date.min, self.day_end) - start

    @property
    def hours_per_day(self) -> float:
        """Working hours in a full working day (`day_length`), e.g. ``8.0`` for 08:00-16:00."""
        return self.day_length / timedelta(hours=1)

    def with_holidays(self, days: Iterable[date]) -> WorkCalendar:
        """Return a copy with *days* added to the holidays.

        Raises:
            InvalidCalendar: If *days* is not an iterable of dates.
        """
        return attrs.evolve(self, holidays=self.holidays | _to_frozenset(days))

    def with_closure(self, start: datetime, end: datetime, *, reason: str) -> WorkCalendar:
        """Return a copy with one more closure from *start* to *end*.

        Raises:
            NaiveDatetime: If *start* or *end* has no time zone.
            InvalidCalendar: If *end* is not after *start*.
            DateOutOfRange: If *start* or *end* cannot be told in UTC.
        """
        closure = Closure(start=start, end=end, reason=reason)
        return attrs.evolve(self, closures=(*self.closures, closure))

    def day_kind(self, day: date) -> DayKind:
        """Say whether *day* is worked, and if not, why not.

        Raises:
            InvalidCalendar: If *day* is not a `date` (a `datetime` is refused too).
            DateOutOfRange: If *day*'s opening hours cannot be told in UTC (its first
                or last day, in a zone far from UTC).
        """
        with counting("day"):
            return self._ruler().kind(_check_day(day, "day"))

    def day_kinds(self, first: date, last: date) -> Iterator[tuple[date, DayKind]]:
        """Yield each day from *first* to *last* inclusive with its `DayKind`.

        Raises:
            InvalidCalendar: If *first* or *last* is not a `date`.
            DateOutOfRange: As `day_kind`, on the first day it cannot tell.
        """
        _check_day(first, "first")
        _check_day(last, "last")
        return self._day_kinds(first, last)

    def _day_kinds(self, first: date, last: date) -> Iterator[tuple[date, DayKind]]:
        ruler = self._ruler()
        day = first
        while day <= last:
            with counting("last"):
                kind = ruler.kind(day)
            yield day, kind
            if day == last:  # date.max has no next day
                return
            day += _ONE_DAY

    def is_working_day(self, day: date) -> bool:
        """Return whether the office opens on *day*, for at least part of it.

        Raises:
            InvalidCalendar: If *day* is not a `date`.
            DateOutOfRange: As `day_kind`.
        """
        return self.day_kind(day) is DayKind.WORKING

    def open_hours(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The intervals ``(opens, closes)`` during which the office is open on *day*.

        Empty on a day that is not a working day; more than one interval when a closure
        cuts the day in the middle, or `hours` gives the day several spans.

        Raises:
            InvalidCalendar: If *day* is not a `date`.
            DateOutOfRange: As `day_kind`.
        """
        zone = self.zone
        with counting("day"):
            spans = self._ruler().spans(_check_day(day, "day"))
            return tuple((a.astimezone(zone), b.astimezone(zone)) for a, b in spans)

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
            DateOutOfRange: If *at* cannot be told in UTC or in the calendar's zone, or
                its day's hours cannot be told in UTC.
        """
        ruler = self._ruler()
        moment = _utc(at, "at", ruler)
        with counting("at"):
            return any(a <= moment < b for a, b in ruler.spans(ruler.local_day(moment)))

    def next_opening(self, at: datetime) -> datetime:
        """Return *at* if the office is open then, else the instant it next opens.

        Raises:
            NaiveDatetime: If *at* has no time zone.
            DateOutOfRange: If *at* is out of range (see `is_open`), or the office does
                not open again before the last day a calendar can count.
        """
        moment = _utc(at, "at", self._ruler())
        with counting("at"):
            return self._ruler().opening(moment).astimezone(self.zone)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """Return the instant *duration* of working time after *start*.

        Working days: the close of the N-th working day after the day of *start* (in the
        calendar's zone), whatever the hour of *start*, or as `counting` says.  Working
        hours: the earliest instant by which N hours of open time have passed since *start*.

        Raises:
            NaiveDatetime: If *start* has no time zone.
            InvalidCalendar: If *duration* is not a `Duration`.
            DateOutOfRange: If *start* is out of range (see `is_open`), or the answer
                lies past the last day a calendar can count.
        """
        ruler = self._ruler()
        moment = _utc(start, "start", ruler)
        limit = _check_duration(duration)
        hourly = limit.unit is TimeUnit.WORKING_HOURS
        with counting("duration"):
            if limit.amount > _LONGEST * (24 if hourly else 1):
                raise OverflowError  # more working time than the years 1 to 9999 hold
        with counting("duration", reason=_TOO_FAR):
            if limit.amount > MAX_WALK * (24 if hourly else 1):
                raise OverflowError  # more days than one computation walks
        with counting("duration"):
            rule = self.counting
            hours = limit.amount if hourly else None
            if not hourly and rule.hours_up_to_days:
                hours = rule.in_hours(limit.amount)
            if hours is not None:
                return ruler.advance(moment, timedelta(hours=hours)).astimezone(self.zone)
            if rule.includes_receipt_day:  # day 1 is the day of the next opening
                first = ruler.local_day(ruler.opening(moment))
                day = ruler.nth_working_day(first, limit.amount - 1)
            else:
                day = ruler.nth_working_day(ruler.local_day(moment), limit.amount)
            return ruler.spans(day)[-1][1].astimezone(self.zone)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Return the earliest instant by which *amount* of open time has passed since *start*.

        With a zero *amount*, *start* itself is returned (in the calendar's zone).

        Raises:
            NaiveDatetime: If *start* has no time zone.
            InvalidCalendar: If *amount* is negative or not a `timedelta`.
            DateOutOfRange: If *start* is out of range (see `is_open`), or the answer
                lies past the last day a calendar can count.
        """
        moment = _utc(start, "start", self._ruler())
        if _check_amount(amount, "amount") < _ZERO:
            raise InvalidCalendar(field="amount", reason="working time to add must not be negative")
        with counting("amount", reason=_TOO_FAR):
            if amount > timedelta(days=MAX_WALK):
                raise OverflowError  # more open time than the days one computation walks
        with counting("amount"):
            return self._ruler().advance(moment, amount).astimezone(self.zone)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the open working time between the instants *a* and *b*.

        The result is signed: ``working_time_between(b, a) == -working_time_between(a, b)``,
        so it adds up across consecutive intervals.

        Raises:
            NaiveDatetime: If *a* or *b* has no time zone.
            DateOutOfRange: If *a* or *b* is out of range (see `is_open`).
        """
        ruler = self._ruler()
        start = _utc(a, "a", ruler)
        end = _utc(b, "b", ruler)
        with counting("b" if end >= start else "a"):
            if end < start:
                return -ruler.between(end, start)
            return ruler.between(start, end)

    def describe_working_time(self, amount: timedelta) -> str:
        """Render working time in this calendar's days and hours, e.g. ``1 working day 2 hours``.

        A day here is `day_length` of open time, so with 08:00-16:00, ten hours read as
        ``1 working day 2 hours``.

        Raises:
            InvalidCalendar: If *amount* is not a `timedelta`.
        """
        _check_amount(amount, "amount")
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
        """Render the week and hours, e.g. ``Mon-Fri 08:00-16:00 Asia/Jakarta``.

        With `hours`, each group of days with the same spans, e.g.
        ``Mon-Fri 08:00-12:00,13:00-16:00; Sat 08:00-12:00 Asia/Seoul``.
        """
        if self.hours is not None:
            return f"{self.hours.describe()} {self.time_zone}"
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

        Raises:
            NaiveDatetime: If *at* has no time zone.
            DateOutOfRange: If *at* cannot be told in the calendar's zone.
        """
        require_aware(at, "at")
        with counting("at"):
            local = at.astimezone(self.zone)
        clock = f"{local:%H:%M:%S}" if local.second or local.microsecond else f"{local:%H:%M}"
        return f"{_WEEKDAYS[local.weekday()]} {local:%Y-%m-%d} {clock} {local.tzname()}"

    def instant(self, value: datetime, argument: str = "at") -> datetime:
        """Return the instant *value* in UTC, if this calendar can read it.

        Every method taking an instant checks it so; `onestop.domain.time.sla` checks its
        arguments with it, so that an error names them.

        Raises:
            NaiveDatetime: If *value* has no time zone (naming *argument*).
            InvalidCalendar: If *value* is not a datetime.
            DateOutOfRange: If *value* cannot be told in UTC or in the calendar's zone.
        """
        return _utc(value, argument, self._ruler())

    def _ruler(self) -> Ruler:
        return ruler_of(self, _RULERS)  # kept while the calendar lives, shared by equal ones


def _utc(value: object, argument: str, ruler: Ruler) -> datetime:
    """Return *value*, an aware datetime, in UTC, checking that its local day exists.

    Raises:
        NaiveDatetime: If *value* has no time zone.
        DateOutOfRange: If *value* cannot be told in UTC or in the calendar's zone.
    """
    moment = require_aware(value, argument)
    with counting(argument, reason=_TOO_NEAR, at=moment):
        moment = moment.astimezone(UTC)
        ruler.local_day(moment)
    return moment


_RULERS: weakref.WeakKeyDictionary[WorkCalendar, Ruler] = weakref.WeakKeyDictionary()
"""The ruler of each calendar in use; equal calendars (the same value) share one."""
