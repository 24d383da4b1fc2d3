"""The trace lines of `onestop.domain.time.sla.due_date` that name days: the first day
counted, and the days after receipt that were not worked."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from onestop.domain.time.calendar import DayKind, WorkCalendar, format_day

_ONE_DAY = timedelta(days=1)


def first_day(calendar: WorkCalendar, received: datetime) -> date:
    """Day 1 of a limit in working days: the day of receipt's next opening, or the day after."""
    if calendar.counting.includes_receipt_day:
        return calendar.next_opening(received).date()
    after = received.astimezone(calendar.zone).date() + _ONE_DAY
    return calendar.next_opening(datetime.combine(after, time(0), tzinfo=calendar.zone)).date()


def _closed_run(days: list[date]) -> str:
    if len(days) == 1:
        return f"skipped {format_day(days[0])} (closed)"
    return f"skipped {format_day(days[0])} to {format_day(days[-1])} (closed)"


def skipped_days(calendar: WorkCalendar, received: datetime, until: datetime) -> list[str]:
    """Trace lines for the days after receipt, up to *until*, that were not worked."""
    zone = calendar.zone
    day = received.astimezone(zone).date()
    last = until.astimezone(zone).date()
    lines: list[str] = []
    weekend = 0
    kind = calendar.day_kind(day)
    if kind is not DayKind.WORKING:
        lines.append(f"receipt day {format_day(day)} is not a working day ({kind.value})")
    closed: list[date] = []  # a run of consecutive closed days, written as one line
    for later, kind in calendar.day_kinds(day + _ONE_DAY, last):
        if closed and (kind is not DayKind.CLOSED or later != closed[-1] + _ONE_DAY):
            lines.append(_closed_run(closed))
            closed = []
        if kind is DayKind.WEEKEND:
            weekend += 1
        elif kind is DayKind.CLOSED:
            closed.append(later)
        elif kind is DayKind.HOLIDAY:
            lines.append(f"skipped {format_day(later)} (holiday)")
    if closed:
        lines.append(_closed_run(closed))
    lines.extend(
        f"closed {calendar.stamp(c.start)} to {calendar.stamp(c.end)} ({c.reason})"
        for c in calendar.closures_between(received, until)
    )
    if weekend:
        lines.append(f"skipped {weekend} weekend day{'' if weekend == 1 else 's'}")
    return lines
