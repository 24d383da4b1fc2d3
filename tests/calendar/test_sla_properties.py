"""Properties of work calendars and SLA clocks (reliability plan P3), checked with Hypothesis.

Calendars are generated in the three Indonesian zones (WIB, WITA, WIT) with random work
weeks, hours, holidays and closures; receipt instants are written in any of those zones
or UTC.  The boundary examples P3 pins (Friday 23:59 WITA, 31 December, 29 February)
are unit tests in ``test_work_calendar.py`` and ``@example`` cases here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure, DayKind, WorkCalendar
from onestop.domain.time.sla import Pause, due_date, remaining_working_time

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
WRITTEN_IN = (*(ZoneInfo(z) for z in ZONES), UTC)
TICK = timedelta(microseconds=1)

# The three properties reliability plan P3 names (working days skip weekends and holidays,
# pause and resume conserve time, the zone does not matter) run its 1,000 examples;
# the supporting properties run fewer, to keep this directory under 20 seconds.
P3_CORE = settings(max_examples=1000, deadline=None)
P3 = settings(max_examples=300, deadline=None)


# Instants and dates are drawn as integer offsets, which Hypothesis draws and shrinks fast.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 4 * 365 * 24 * 3600  # 2025 to the end of 2028


def _instant(seconds: int, zone: tzinfo) -> datetime:
    return (EPOCH + timedelta(seconds=seconds)).astimezone(zone)


def _week(bits: int) -> tuple[int, ...]:
    """ISO weekdays from a 7-bit mask; Monday and Tuesday are added to a week of fewer than two."""
    days = tuple(day for day in range(1, 8) if bits >> (day - 1) & 1)
    return days if len(days) >= 2 else tuple(sorted({1, 2, *days}))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[WorkCalendar, datetime]:
    """A receipt instant, and a calendar with a random week, hours, holidays and closures.

    The calendar is in an Indonesian zone; the receipt is written in any of them or UTC.
    Holidays and closures are drawn near the receipt, where deadlines can meet them.
    """
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    received = _instant(draw(st.integers(0, SPAN_SECONDS)), draw(st.sampled_from(WRITTEN_IN)))
    week = _week(draw(st.integers(0, 127)))
    start = draw(st.integers(0, 12 * 4))  # quarter hours from midnight
    end = start + draw(st.integers(4 * 4, 10 * 4))
    near = received.astimezone(zone).date()
    holidays = {near + timedelta(days=n) for n in draw(st.lists(st.integers(-2, 90), max_size=8))}
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        begin = received + timedelta(minutes=draw(st.integers(-2 * 24 * 60, 60 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
        closures.append(Closure(start=begin, end=begin + length, reason="flood"))
    calendar = WorkCalendar(
        time_zone=zone.key,
        work_week=week,
        day_start=time(start // 4, start % 4 * 15),
        day_end=time(end // 4, end % 4 * 15),
        holidays=holidays,
        closures=tuple(closures),
    )
    return calendar, received


day_limits = st.integers(1, 40).map(Duration.working_days)
hour_limits = st.integers(1, 80).map(Duration.working_hours)
limits = st.one_of(day_limits, hour_limits)
offsets = st.integers(0, 30 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes))

FRIDAY_2359_WITA = datetime(2025, 3, 7, 23, 59, tzinfo=ZoneInfo("Asia/Makassar"))
NEW_YEARS_EVE = datetime(2025, 12, 31, 15, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
LEAP_DAY = datetime(2028, 2, 29, 9, tzinfo=ZoneInfo("Asia/Jayapura"))
STANDARD = WorkCalendar(time_zone="Asia/Makassar", holidays={date(2026, 1, 1)})


def _due(calendar: WorkCalendar, received: datetime, limit: Duration) -> datetime:
    deadline = due_date(calendar, received=received, limit=limit)
    assert deadline.due is not None
    return deadline.due


@P3_CORE
@given(scenarios(), limits)
@example((STANDARD, FRIDAY_2359_WITA), Duration.working_days(1))
@example((STANDARD, NEW_YEARS_EVE), Duration.working_hours(9))
@example((STANDARD, LEAP_DAY), Duration.working_days(1))
def test_deadlines_fall_in_open_hours_of_working_days(
    scenario: tuple[WorkCalendar, datetime], limit: Duration
) -> None:
    """A due instant is on a working day, never on a weekend, holiday or closure, in hours."""
    calendar, received = scenario
    due = _due(calendar, received, limit)
    assert due.tzinfo == calendar.zone
    assert calendar.day_kind(due.date()) is DayKind.WORKING
    assert calendar.day_start < due.timetz().replace(tzinfo=None) <= calendar.day_end
    assert calendar.is_open(due - TICK)


@P3
@given(scenarios(), day_limits)
@example((STANDARD, FRIDAY_2359_WITA), Duration.working_days(3))
@example((STANDARD, NEW_YEARS_EVE), Duration.working_days(2))
@example((STANDARD, LEAP_DAY), Duration.working_days(5))
def test_adding_working_days_skips_exactly_the_non_working_days(
    scenario: tuple[WorkCalendar, datetime], limit: Duration
) -> None:
    """The due day is the N-th working day after the receipt day, at its close."""
    calendar, received = scenario
    due = _due(calendar, received, limit)
    day, last, working = received.astimezone(calendar.zone).date(), due.date(), 0
    while day < last:
        day += timedelta(days=1)
        working += calendar.is_working_day(day)
    assert working == limit.amount
    assert due == calendar.open_hours(last)[-1][1]


@P3
@given(scenarios(), hour_limits)
@example((STANDARD, FRIDAY_2359_WITA), Duration.working_hours(8))
@example((STANDARD, NEW_YEARS_EVE), Duration.working_hours(1))
def test_working_time_from_receipt_to_due_is_the_limit(
    scenario: tuple[WorkCalendar, datetime], limit: Duration
) -> None:
    """Without pauses, the open time from receipt to due is the limit, and not a moment less."""
    calendar, received = scenario
    due = _due(calendar, received, limit)
    hours = timedelta(hours=limit.amount)
    assert calendar.working_time_between(received, due) == hours
    assert calendar.working_time_between(received, due - TICK) < hours
    assert due == calendar.add_working_time(received, hours)


@P3
@given(scenarios(), limits, offsets, offsets)
def test_a_finished_pause_moves_the_due_instant_by_its_working_time(
    scenario: tuple[WorkCalendar, datetime], limit: Duration, after: timedelta, length: timedelta
) -> None:
    """A pause that starts before the clock runs out adds exactly the working time it covers."""
    calendar, received = scenario
    start = received + after
    stop = Pause(start=start, end=start + length, reason="waiting_applicant")
    base = due_date(calendar, received=received, limit=limit)
    moved = due_date(calendar, received=received, limit=limit, pauses=[stop])
    assert base.due is not None
    assert moved.due is not None
    if calendar.working_time_between(received, start) < base.budget:
        covered = calendar.working_time_between(start, start + length)
        assert moved.paused == covered
        assert calendar.working_time_between(base.due, moved.due) == covered
        assert moved.due == calendar.add_working_time(base.due, covered)
    else:
        assert moved.due == base.due


@P3_CORE
@given(scenarios(), limits, offsets, offsets)
def test_pause_and_resume_conserve_the_remaining_working_time(
    scenario: tuple[WorkCalendar, datetime], limit: Duration, after: timedelta, length: timedelta
) -> None:
    """The time left when a pause starts is exactly the time counted after it ends."""
    calendar, received = scenario
    start, end = received + after, received + after + length
    stopped = due_date(
        calendar, received=received, limit=limit, pauses=[Pause(start=start, reason="suspended")]
    )
    resumed = due_date(
        calendar,
        received=received,
        limit=limit,
        pauses=[Pause(start=start, end=end, reason="suspended")],
    )
    assert resumed.due is not None
    if stopped.remaining is None:  # the clock ran out before the pause began
        assert stopped.due == resumed.due
        return
    assert stopped.remaining == stopped.budget - calendar.working_time_between(received, start)
    assert resumed.due == calendar.add_working_time(end, stopped.remaining)
    assert calendar.working_time_between(end, resumed.due) == stopped.remaining


@P3_CORE
@given(scenarios(), limits, offsets, offsets)
@example((STANDARD, FRIDAY_2359_WITA), Duration.working_days(2), timedelta(0), timedelta(days=1))
def test_the_zone_a_receipt_is_written_in_does_not_matter(
    scenario: tuple[WorkCalendar, datetime], limit: Duration, after: timedelta, length: timedelta
) -> None:
    """The same receipt instant written in WIB, WITA, WIT or UTC gives the same deadline."""
    calendar, received = scenario
    pause = Pause(start=received + after, end=received + after + length, reason="applicant")
    deadlines = {
        due_date(calendar, received=received.astimezone(zone), limit=limit, pauses=[pause])
        for zone in WRITTEN_IN[:3]  # WIB, WITA, WIT; the draw itself may be written in UTC
    }
    assert len(deadlines) == 1


@P3
@given(scenarios(), limits, offsets, offsets, offsets, offsets)
def test_overlapping_pauses_count_like_their_union(
    scenario: tuple[WorkCalendar, datetime],
    limit: Duration,
    first_after: timedelta,
    first_length: timedelta,
    second_after: timedelta,
    second_length: timedelta,
) -> None:
    """Pauses that overlap move the deadline as their union does: no time is counted twice."""
    calendar, received = scenario
    a_start, a_end = received + first_after, received + first_after + first_length
    b_start, b_end = received + second_after, received + second_after + second_length
    a = Pause(start=a_start, end=a_end, reason="applicant")
    b = Pause(start=b_start, end=b_end, reason="applicant")
    both = due_date(calendar, received=received, limit=limit, pauses=[a, b])
    if a_start <= b_end and b_start <= a_end:
        union = [Pause(start=min(a_start, b_start), end=max(a_end, b_end), reason="applicant")]
        merged = due_date(calendar, received=received, limit=limit, pauses=union)
        assert (both.due, both.paused, both.pauses) == (merged.due, merged.paused, merged.pauses)
    covering = calendar.working_time_between(min(a_start, b_start), max(a_end, b_end))
    assert both.paused <= covering


@P3
@given(scenarios(), limits, offsets, offsets, offsets)
def test_remaining_time_never_grows_and_is_zero_at_the_due_instant(
    scenario: tuple[WorkCalendar, datetime],
    limit: Duration,
    after: timedelta,
    length: timedelta,
    later: timedelta,
) -> None:
    """The working time left never grows as time passes, and is zero when the deadline falls."""
    calendar, received = scenario
    pause = Pause(start=received + after, end=received + after + length, reason="applicant")
    deadline = due_date(calendar, received=received, limit=limit, pauses=[pause])
    assert deadline.due is not None
    now = received + after
    before = remaining_working_time(deadline, calendar, now)
    assert remaining_working_time(deadline, calendar, now + later) <= before <= deadline.budget
    assert remaining_working_time(deadline, calendar, deadline.due) == timedelta(0)


@P3
@given(scenarios(), offsets, offsets)
def test_working_time_adds_up_across_consecutive_intervals(
    scenario: tuple[WorkCalendar, datetime], first: timedelta, second: timedelta
) -> None:
    """Open time from a to b plus from b to c is the open time from a to c."""
    calendar, a = scenario
    b, c = a + first, a + first + second
    parts = calendar.working_time_between(a, b) + calendar.working_time_between(b, c)
    assert parts == calendar.working_time_between(a, c)
