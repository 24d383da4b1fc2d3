"""Weekly opening hours and the rule a day-counted limit counts by.

`WeeklyHours` is an office's week as opening spans per ISO weekday: several spans a
day (a lunch break), a shorter Saturday, a longer Friday break.  A
`onestop.domain.time.calendar.WorkCalendar` given ``hours=`` reads its week and its
daily hours from it instead of ``work_week``/``day_start``/``day_end``.

Spans are wall-clock times in the calendar's zone, half-open (open at the opening,
closed at the closing), sorted, and neither overlap nor touch (``12:00-13:00`` after
``08:00-12:00`` is one span, written ``08:00-13:00``).  A span lies within one day:
``24:00`` is refused, so the latest closing is ``23:59``; an office open across
midnight writes one span on each day.  A day with no span is closed.

>>> week = WeeklyHours.from_text({"mon": ["07:30-12:00", "13:00-16:00"], "sat": ["08:00-12:00"]})
>>> week.describe()
'Mon 07:30-12:00,13:00-16:00; Sat 08:00-12:00'
>>> week.work_week
(1, 6)

`LimitCounting` says how a limit counted in **working days** ends (limits in working
hours are never affected):

* ``receipt_day="excluded"`` (the default, and onestop's rule before it existed):
  "N working days" ends at the close of the N-th working day *after* the day of
  receipt, in the calendar's zone, whatever the hour of receipt.
* ``receipt_day="included"``: the day of receipt is day 1, and the limit ends at the
  close of the N-th working day counted from it.  The *day of receipt* is the day of
  the office's next opening at or after receipt: a receipt during the opening hours
  of a working day, or before its last closing (early morning, a lunch break) counts
  that day; a receipt after the last closing, or on a day that is not a working day
  (a weekend, a holiday, a closure), counts from the next working day, as if received
  at its opening.  This is the Korean Civil Petitions Act rule (the first day counts;
  public holidays and Saturdays do not; an after-hours petition counts from the next
  working day).
* ``hours_up_to_days=K`` (default 0, never): a limit of N working days with
  ``N <= K`` is counted as ``N * hours_per_day`` working hours from receipt (the
  earliest instant by which that much open time has passed, starting at the next
  opening), whatever `receipt_day` says.  ``hours_per_day`` is explicit (default 8,
  as the Korean enforcement decree counts a day as 8 hours) and does not depend on the
  opening hours.  Longer limits count in days, by `receipt_day`.

>>> LimitCounting(receipt_day="included", hours_up_to_days=5).in_hours(3)
24
>>> LimitCounting(receipt_day="included", hours_up_to_days=5).in_hours(6) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import attrs

from onestop.domain.common.formats import kind_of, preview
from onestop.exceptions import InvalidCalendar

__all__ = ["DAY_NAMES", "LimitCounting", "WeeklyHours", "parse_span"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The day names `WeeklyHours.from_text` reads, ISO weekday 1 (Monday) to 7 (Sunday)."""
_SHOWN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPAN = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")
_MAX_LABEL = 100
"""The longest field label `parse_span` repeats whole in an error; a longer one is shortened."""
_MAX_SPANS = 24
"""The most spans a day may have (more is surely a mistake in the data)."""

Span = tuple[time, time]
"""An opening span: (opens, closes), wall-clock times without zone, closes after opens."""


def _length(span: Span) -> timedelta:
    return datetime.combine(date.min, span[1]) - datetime.combine(date.min, span[0])


def _span_text(span: Span) -> str:
    return f"{span[0]:%H:%M}-{span[1]:%H:%M}"


def _check_spans(field: str, spans: object) -> tuple[Span, ...]:
    """Return *spans* if it is a tuple of sorted, disjoint (opens, closes) pairs."""
    if not isinstance(spans, tuple):
        raise InvalidCalendar(
            field=field, reason=f"expected a tuple of spans, not {kind_of(spans)}"
        )
    if len(spans) > _MAX_SPANS:
        raise InvalidCalendar(field=field, reason=f"more than {_MAX_SPANS} spans in a day")
    previous: Span | None = None
    for span in spans:
        if not (
            isinstance(span, tuple)
            and len(span) == 2
            and all(isinstance(t, time) and t.tzinfo is None for t in span)
        ):
            raise InvalidCalendar(
                field=field,
                reason=f"expected (opens, closes) times without zone, not {kind_of(span)}",
            )
        if span[1] <= span[0]:
            raise InvalidCalendar(
                field=field, reason=f"span {_span_text(span)} does not close after it opens"
            )
        if previous is not None and span[0] <= previous[1]:
            raise InvalidCalendar(
                field=field,
                reason=f"span {_span_text(span)} overlaps, touches or comes before "
                f"{_span_text(previous)} (give spans in order, with a break between them)",
            )
        previous = span
    return spans


def _check_days(instance: WeeklyHours, attribute: attrs.Attribute[object], value: object) -> None:
    if not isinstance(value, tuple) or len(value) != 7:
        raise InvalidCalendar(
            field=attribute.name, reason="expected seven tuples of spans, Monday to Sunday"
        )
    for name, spans in zip(DAY_NAMES, value, strict=True):
        _check_spans(name, spans)
    if not any(value):
        raise InvalidCalendar(field=attribute.name, reason="the office must open on some day")


def _to_days(value: object) -> object:
    """Turn lists into tuples (the validator refuses anything else)."""
    if isinstance(value, list | tuple):
        return tuple(
            tuple(tuple(s) if isinstance(s, list) else s for s in d)
            if isinstance(d, list | tuple)
            else d
            for d in value
        )
    return value


def _parse_time(hours: str, minutes: str) -> time | None:
    h, m = int(hours), int(minutes)
    return time(h, m) if h < 24 and m < 60 else None


def parse_span(text: object, /, *, field: str = "hours") -> Span:
    """Read an opening span such as ``"07:30-12:00"``: two wall-clock times of one day.

    The latest closing is ``23:59`` (an office open past midnight gives a span on each
    day).  Whether the span closes after it opens is checked where spans are put
    together (`WeeklyHours`).

    Raises:
        InvalidCalendar: On *field*, if *text* is not ``HH:MM-HH:MM`` with real times.
    """
    given: object = field  # a label the caller chose: shown shortened if it is long
    name = field if isinstance(given, str) and len(field) <= _MAX_LABEL else preview(given)
    if not isinstance(text, str):
        raise InvalidCalendar(field=name, reason=f"expected a span as text, not {kind_of(text)}")
    match = _SPAN.fullmatch(text)
    opens = _parse_time(match[1], match[2]) if match else None
    closes = _parse_time(match[3], match[4]) if match else None
    if opens is None or closes is None:
        hint = " (24:00 is not accepted: a day closes by 23:59)" if "24:" in text else ""
        raise InvalidCalendar(
            field=name, reason=f"{preview(text)} is not a span such as '08:00-12:00'{hint}"
        )
    return (opens, closes)


@attrs.frozen(kw_only=True, cache_hash=True)
class WeeklyHours:
    """An office's opening spans for each day of the week (see the module's rules).

    Attributes:
        days: Seven tuples, Monday to Sunday (ISO weekdays 1 to 7), of ``(opens, closes)``
            wall-clock times; an empty tuple is a closed day.
    """

    days: tuple[tuple[Span, ...], ...] = attrs.field(converter=_to_days, validator=_check_days)

    @classmethod
    def from_text(cls, week: Mapping[str, Iterable[str]]) -> WeeklyHours:
        """Read spans like ``{"mon": ["07:30-12:00", "13:00-16:00"], "sat": ["08:00-12:00"]}``.

        Keys are `DAY_NAMES` (any case); spans are ``HH:MM-HH:MM``; a day not given is
        closed.

        Raises:
            InvalidCalendar: Naming the day (``field``) and the span at fault: an unknown
                day, text that is not a span, a closing not after its opening, spans out
                of order or overlapping, or a week with no opening at all.
        """
        if not isinstance(week, Mapping):
            raise InvalidCalendar(field="hours", reason=f"expected a mapping, not {kind_of(week)}")
        days: list[tuple[Span, ...]] = [() for _ in DAY_NAMES]
        items: Iterable[tuple[object, object]] = week.items()
        for key, spans in items:
            name = key.lower() if isinstance(key, str) else None
            if name not in DAY_NAMES:
                raise InvalidCalendar(
                    field="hours",
                    reason=f"{preview(key) if isinstance(key, str) else kind_of(key)} is not a "
                    f"day name ({', '.join(DAY_NAMES)})",
                )
            if isinstance(spans, str | bytes) or not isinstance(spans, Iterable):
                raise InvalidCalendar(field=name, reason=f"expected spans, not {kind_of(spans)}")
            texts = list(spans)
            if len(texts) > _MAX_SPANS:
                raise InvalidCalendar(field=name, reason=f"more than {_MAX_SPANS} spans in a day")
            days[DAY_NAMES.index(name)] = _check_spans(
                name, tuple(parse_span(text, field=name) for text in texts)
            )
        return cls(days=tuple(days))

    @classmethod
    def uniform(cls, work_week: Iterable[int], opens: time, closes: time) -> WeeklyHours:
        """The same single span, *opens* to *closes*, on each ISO weekday of *work_week*.

        Raises:
            InvalidCalendar: If a weekday is not 1 to 7, or the span is not valid.
        """
        if isinstance(work_week, str | bytes) or not isinstance(work_week, Iterable):
            raise InvalidCalendar(
                field="work_week", reason=f"expected ISO weekdays, not {kind_of(work_week)}"
            )
        try:
            week = set(work_week)
        except TypeError:  # an item that cannot be a set's: a list, a dict
            week = {0}
        if not week <= set(range(1, 8)) or any(isinstance(d, bool) for d in week):
            raise InvalidCalendar(
                field="work_week", reason="expected ISO weekdays, 1 = Mon .. 7 = Sun"
            )
        return cls(days=tuple(((opens, closes),) if d in week else () for d in range(1, 8)))

    @property
    def work_week(self) -> tuple[int, ...]:
        """The ISO weekdays on which the office opens, in order."""
        return tuple(day for day in range(1, 8) if self.days[day - 1])

    def spans(self, isoweekday: int) -> tuple[Span, ...]:
        """The spans of the ISO weekday *isoweekday* (1 = Monday), empty when closed.

        Raises:
            InvalidCalendar: If *isoweekday* is not an int from 1 to 7.
        """
        given: object = isoweekday
        if isinstance(given, bool) or not isinstance(given, int) or not 1 <= isoweekday <= 7:
            raise InvalidCalendar(field="isoweekday", reason="expected 1 = Mon .. 7 = Sun")
        return self.days[isoweekday - 1]

    def open_time(self, isoweekday: int) -> timedelta:
        """The open time of a full ISO weekday *isoweekday* (zero when closed).

        Raises:
            InvalidCalendar: If *isoweekday* is not an int from 1 to 7.
        """
        return sum((_length(s) for s in self.spans(isoweekday)), timedelta(0))

    @property
    def longest_day(self) -> timedelta:
        """The open time of the longest day of the week (a working day of open time)."""
        return max(self.open_time(day) for day in range(1, 8))

    def describe(self) -> str:
        """Render the week, e.g. ``Mon-Thu 07:30-12:00,13:00-16:00; Fri 07:30-11:30``.

        Consecutive days with the same spans are grouped; closed days are left out.
        """
        groups: list[tuple[int, int, tuple[Span, ...]]] = []
        for day, spans in enumerate(self.days):
            if spans and groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
                groups[-1] = (groups[-1][0], day, spans)
            elif spans:
                groups.append((day, day, spans))
        parts = []
        for first, last, spans in groups:
            names = _SHOWN[first] if first == last else f"{_SHOWN[first]}-{_SHOWN[last]}"
            if last == first + 1:
                names = f"{_SHOWN[first]},{_SHOWN[last]}"
            parts.append(f"{names} {','.join(_span_text(s) for s in spans)}")
        return "; ".join(parts)


def check_kind(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: the value is a *kind*, or ``None`` where that is the default."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind) and not (value is None and attribute.default is None):
            raise InvalidCalendar(
                field=attribute.name, reason=f"expected a {kind.__name__}, not {kind_of(value)}"
            )

    return check


_RECEIPT_DAYS = ("excluded", "included")


def _check_receipt(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in _RECEIPT_DAYS or not isinstance(value, str):
        raise InvalidCalendar(
            field=attribute.name,
            reason=f"{preview(value) if isinstance(value, str) else kind_of(value)} is not "
            "'excluded' or 'included'",
        )


def _whole(low: int, high: int) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidCalendar(
                field=attribute.name, reason=f"expected a whole number from {low} to {high}"
            )

    return check


@attrs.frozen(kw_only=True, cache_hash=True)
class LimitCounting:
    """How a limit in working days counts (see the module's rules).

    Attributes:
        receipt_day: ``"excluded"`` (default): the N-th working day *after* the day of
            receipt ends the limit; ``"included"``: the day of receipt is day 1.
        hours_up_to_days: Limits of this many working days or fewer count as working
            hours instead (0, the default: never).
        hours_per_day: The working hours one day of such a limit is worth (default 8).
    """

    receipt_day: Literal["excluded", "included"] = attrs.field(
        default="excluded", validator=_check_receipt
    )
    hours_up_to_days: int = attrs.field(default=0, validator=_whole(0, 999_999))
    hours_per_day: int = attrs.field(default=8, validator=_whole(1, 24))

    @property
    def includes_receipt_day(self) -> bool:
        """Whether the day of receipt is day 1 of a limit counted in days."""
        return self.receipt_day == "included"

    def in_hours(self, days: int) -> int | None:
        """The working hours a limit of *days* working days counts as, or ``None`` (in days).

        Raises:
            InvalidCalendar: If *days* is not a whole number of one or more.
        """
        given: object = days
        if isinstance(given, bool) or not isinstance(given, int) or days < 1:
            raise InvalidCalendar(field="days", reason="expected a whole number of one or more")
        return days * self.hours_per_day if days <= self.hours_up_to_days else None
