"""Properties of weekly opening hours and counting rules, checked with Hypothesis (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure, WorkCalendar
from onestop.domain.time.hours import LimitCounting, WeeklyHours
from onestop.domain.time.sla import Pause, due_date, remaining_working_time

ZONES = ("Asia/Jakarta", "Europe/Berlin", "Africa/Cairo", "America/New_York", "Asia/Seoul")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SECONDS = 2 * 365 * 24 * 3600
PROPS = settings(max_examples=150, deadline=None)

instants = st.integers(0, SECONDS).map(lambda s: EPOCH + timedelta(seconds=s))
holidays = st.frozensets(
    st.integers(0, 730).map(lambda d: date(2025, 1, 1) + timedelta(days=d)), max_size=20
)


def _minute(m: int) -> time:
    return time(m // 60, m % 60)


@st.composite
def weekly_hours(draw: st.DrawFn) -> WeeklyHours:
    """A week of up to three spans a day, at least one day open."""
    days = []
    for _ in range(7):
        count = draw(st.integers(0, 3))
        marks = sorted(draw(st.sets(st.integers(0, 1439), min_size=2 * count, max_size=2 * count)))
        days.append(
            tuple((_minute(a), _minute(b)) for a, b in zip(marks[::2], marks[1::2], strict=True))
        )
    if not any(days):
        days[0] = ((time(8), time(16)),)
    return WeeklyHours(days=tuple(days))


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """A calendar with weekly hours, holidays and up to two closures."""
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(instants)
        length = timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
        closures.append(Closure(start=start, end=start + length, reason="closed"))
    return WorkCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        hours=draw(weekly_hours()),
        holidays=draw(holidays),
        closures=closures,
    )


@PROPS
@given(
    zone=st.sampled_from(ZONES),
    week=st.sets(st.integers(1, 7), min_size=1),
    bounds=st.sets(st.integers(0, 1439), min_size=2, max_size=2),
    off=holidays,
    received=instants,
    amount=st.integers(1, 40),
    hourly=st.booleans(),
)
def test_one_span_a_day_gives_the_old_fields_results(
    zone: str,
    week: set[int],
    bounds: set[int],
    off: frozenset[date],
    received: datetime,
    amount: int,
    hourly: bool,
) -> None:
    """Hours of one span a day equal to day_start/day_end give exactly the old results."""
    opens, closes = (_minute(m) for m in sorted(bounds))
    old = WorkCalendar(
        time_zone=zone, work_week=tuple(week), day_start=opens, day_end=closes, holidays=off
    )
    new = WorkCalendar(time_zone=zone, hours=WeeklyHours.uniform(week, opens, closes), holidays=off)
    limit = Duration.working_hours(amount) if hourly else Duration.working_days(amount)
    due = old.add(received, limit)
    assert new.add(received, limit) == due
    assert new.working_time_between(received, due) == old.working_time_between(received, due)
    assert new.is_open(received) == old.is_open(received)
    assert new.next_opening(received) == old.next_opening(received)
    day = received.date()
    assert new.day_kind(day) is old.day_kind(day)
    assert new.day_length == old.day_length


@PROPS
@given(calendar=calendars(), points=st.lists(instants, min_size=3, max_size=3))
def test_open_time_is_additive(calendar: WorkCalendar, points: list[datetime]) -> None:
    """Open time from a to b plus b to c is open time from a to c."""
    a, b, c = sorted(points)
    between = calendar.working_time_between
    assert between(a, b) + between(b, c) == between(a, c)


@PROPS
@given(calendar=calendars(), start=instants, minutes=st.integers(0, 60 * 24 * 20), end=instants)
def test_adding_and_measuring_open_time_are_inverse(
    calendar: WorkCalendar, start: datetime, minutes: int, end: datetime
) -> None:
    """Open time measured up to start + t is t; adding the time up to an instant reaches it."""
    amount = timedelta(minutes=minutes)
    assert calendar.working_time_between(start, calendar.add_working_time(start, amount)) == amount
    if end >= start:
        reached = calendar.add_working_time(start, calendar.working_time_between(start, end))
        assert reached <= end
        assert calendar.working_time_between(reached, end) == timedelta(0)


@PROPS
@given(zone=st.sampled_from(ZONES), day=st.integers(0, 730), minute=st.integers(0, 59))
def test_a_lunch_break_is_never_open(zone: str, day: int, minute: int) -> None:
    """No instant of the 12:00-13:00 break of a weekday is open."""
    hours = WeeklyHours.from_text(
        dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("08:00-12:00", "13:00-16:00"))
    )
    calendar = WorkCalendar(time_zone=zone, hours=hours)
    local = datetime.combine(date(2025, 1, 1) + timedelta(days=day), time(12, minute))
    assert not calendar.is_open(local.replace(tzinfo=calendar.zone))


@PROPS
@given(calendar=calendars(), received=instants, amount=st.integers(1, 30))
def test_the_receipt_day_rule_ends_one_working_day_earlier_at_most(
    calendar: WorkCalendar, received: datetime, amount: int
) -> None:
    """Counting the receipt day never ends later than the default rule, nor before receipt."""
    included = WorkCalendar(
        time_zone=calendar.time_zone,
        hours=calendar.hours,
        holidays=calendar.holidays,
        closures=calendar.closures,
        counting=LimitCounting(receipt_day="included"),
    )
    limit = Duration.working_days(amount)
    early = included.add(received, limit)
    assert received <= early <= calendar.add(received, limit)
    assert early == included.add(received, Duration.working_days(1)) or amount > 1


@PROPS
@given(
    calendar=calendars(),
    received=instants,
    amount=st.integers(1, 10),
    receipt=st.sampled_from(["excluded", "included"]),
    up_to=st.integers(0, 5),
    stop=st.integers(0, 5 * 24 * 3600),
    length=st.integers(0, 5 * 24 * 3600),
)
def test_a_pause_conserves_the_budget_under_any_counting(
    calendar: WorkCalendar,
    received: datetime,
    amount: int,
    receipt: str,
    up_to: int,
    stop: int,
    length: int,
) -> None:
    """Under any counting rule, the clock left when a pause opens is all there when it ends."""
    counted = WorkCalendar(
        time_zone=calendar.time_zone,
        hours=calendar.hours,
        holidays=calendar.holidays,
        counting=LimitCounting(receipt_day=receipt, hours_up_to_days=up_to),  # type: ignore[arg-type]
    )
    limit = Duration.working_days(amount)
    plain = due_date(counted, received=received, limit=limit, explain=False)
    assert plain.due == counted.add(received, limit)
    start = received + timedelta(seconds=stop)
    end = start + timedelta(seconds=length)
    held = due_date(
        counted,
        received=received,
        limit=limit,
        pauses=[Pause(start=start, end=end, reason="applicant")],
        explain=False,
    )
    assert held.due is not None
    assert remaining_working_time(held, counted, held.due) == timedelta(0)
