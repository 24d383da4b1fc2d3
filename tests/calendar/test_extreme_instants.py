"""Calendars and SLA clocks at the ends of time: a correct answer, or a typed error.

Python's dates stop at the years 1 and 9999.  Every public calendar and SLA call is
driven here with instants anywhere in that range, written in any zone (odd offsets
and fold=1 included), aware and naive, and with limits that run past the end; the
only exceptions allowed are `CalendarError` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure, WorkCalendar
from onestop.domain.time.sla import Pause, due_date, remaining_working_time, status_at
from onestop.domain.time.worktime import EARLIEST, LATEST, check_in_range
from onestop.domain.time.zones import zone_problem
from onestop.exceptions import CalendarError, DateOutOfRange, InvalidCalendar, NaiveDatetime

ODD_OFFSETS = [
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=-9, minutes=-30)),
    timezone(timedelta(hours=12, minutes=45)),
]
ZONES: st.SearchStrategy[tzinfo] = st.timezones() | st.sampled_from(ODD_OFFSETS) | st.just(UTC)
# Every calendar zone with a far offset, plus the three of Indonesia.
CIVIL_ZONES = sorted(z for z in available_timezones() if zone_problem(z) is None)
"""The zones a calendar may be in (not ``Factory``, ``localtime``: `zone_problem`)."""
CALENDAR_ZONES = (
    "Asia/Jakarta",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Etc/GMT-14",
    "Etc/GMT+12",
    "Asia/Manila",  # its LMT was -15:56 before 1845
)
EDGE = timedelta(days=3)
FIRST = datetime(1, 1, 1)  # noqa: DTZ001 - naive on purpose: the ends of datetime itself
LAST = datetime(9999, 12, 31, 23, 59, 59, 999999)  # noqa: DTZ001


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """An aware instant anywhere from year 1 to 9999, often within days of either end."""
    near_end = st.one_of(
        st.datetimes(max_value=FIRST + EDGE),
        st.datetimes(min_value=LAST - EDGE),
    )
    naive = draw(near_end | st.datetimes())
    return naive.replace(tzinfo=draw(ZONES), fold=draw(st.sampled_from([0, 1])))


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """A calendar in a zone far from UTC, open every day or on weekdays."""
    return WorkCalendar(
        time_zone=draw(st.sampled_from(CALENDAR_ZONES)),
        work_week=draw(st.sampled_from([(1, 2, 3, 4, 5), (1, 2, 3, 4, 5, 6, 7)])),
        day_start=draw(st.sampled_from([time(0), time(8)])),
        day_end=draw(st.sampled_from([time(16), time(23, 59)])),
    )


def shifted(at: datetime, delta: timedelta) -> datetime:
    """*at* moved by *delta*, or *at* itself where that would leave the years 1 to 9999."""
    try:
        return at + delta
    except OverflowError:
        return at


def answers_or_calendar_error(call: Callable[[], object]) -> object:
    """Run *call*: it returns, or raises a CalendarError; any other exception fails the test."""
    try:
        return call()
    except CalendarError as exc:
        return exc


LIMITS = st.sampled_from(
    [Duration.working_days(1), Duration.working_days(20), Duration.working_hours(3)]
)


@settings(max_examples=300, deadline=None)
@given(calendar=calendars(), at=instants(), limit=LIMITS)
def test_calendar_calls_answer_or_raise_a_calendar_error(
    calendar: WorkCalendar, at: datetime, limit: Duration
) -> None:
    """Every instant method answers, or raises CalendarError, for any instant of any zone."""
    for call in (
        lambda: calendar.is_open(at),
        lambda: calendar.next_opening(at),
        lambda: calendar.stamp(at),
        lambda: calendar.add(at, limit),
        lambda: calendar.add_working_time(at, timedelta(hours=30)),
        lambda: calendar.working_time_between(at, shifted(at, timedelta(hours=1))),
        lambda: calendar.instant(at),
        lambda: check_in_range(at, "at"),
    ):
        answers_or_calendar_error(call)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), received=instants(), now=instants(), limit=LIMITS)
def test_sla_calls_answer_or_raise_a_calendar_error(
    calendar: WorkCalendar, received: datetime, now: datetime, limit: Duration
) -> None:
    """due_date, status_at and remaining_working_time answer, or raise CalendarError."""
    pause = answers_or_calendar_error(
        lambda: Pause(start=received, end=shifted(received, timedelta(hours=2)), reason="applicant")
    )
    pauses = [pause] if isinstance(pause, Pause) else []
    deadline = answers_or_calendar_error(
        lambda: due_date(calendar, received=received, limit=limit, pauses=pauses)
    )
    if isinstance(deadline, CalendarError):
        return
    assert deadline.received == received  # type: ignore[union-attr]
    near = shifted(received, timedelta(days=3))
    # The clock counts day by day: far-apart instants are left to the unit tests.
    close = abs(now - deadline.received) < timedelta(days=400)  # type: ignore[union-attr]
    for moment in (now, near) if close else (near,):
        answers_or_calendar_error(lambda: status_at(deadline, calendar, moment))  # type: ignore[arg-type]  # noqa: B023
        answers_or_calendar_error(
            lambda: remaining_working_time(deadline, calendar, moment)  # type: ignore[arg-type]  # noqa: B023
        )


@settings(max_examples=300, deadline=None)
@given(at=instants())
def test_check_instant_accepts_exactly_the_documented_range(at: datetime) -> None:
    """check_in_range returns the UTC instant from 0001-01-02 to 9999-12-30, else refuses."""
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is not None and EARLIEST <= utc <= LATEST:
        assert check_in_range(at, "at") == utc
    else:
        with pytest.raises(DateOutOfRange) as caught:
            check_in_range(at, "at")
        assert caught.value.field == "at"


@settings(max_examples=200, deadline=None)
@given(
    calendar=calendars(),
    seconds=st.integers(0, int((LATEST - EARLIEST).total_seconds())),
    zone=ZONES,
)
def test_an_instant_check_instant_accepts_is_always_answered(
    calendar: WorkCalendar, seconds: int, zone: tzinfo
) -> None:
    """Within check_in_range's range, is_open, stamp and the clock never refuse the instant."""
    at = (EARLIEST + timedelta(seconds=seconds)).astimezone(zone)
    calendar.is_open(at)
    calendar.stamp(at)
    assert calendar.instant(at) == at
    assert calendar.working_time_between(at, at) == timedelta(0)


@pytest.mark.parametrize("zone", CIVIL_ZONES)
def test_every_zone_counts_a_day_at_both_ends_or_says_it_cannot(zone: str) -> None:
    """In every IANA zone, one working day from either end of time is a deadline or an error."""
    calendar = WorkCalendar(time_zone=zone, work_week=(1, 2, 3, 4, 5, 6, 7))
    for start in (EARLIEST, LATEST - timedelta(days=2)):
        due = calendar.add(start, Duration.working_days(1))
        assert due > start
    with pytest.raises(DateOutOfRange) as caught:
        calendar.add(LATEST, Duration.working_days(3))
    assert caught.value.field in {"duration", "start"}


def test_a_limit_that_runs_past_9999_is_refused_naming_it() -> None:
    """A limit of millions of working days raises DateOutOfRange on `limit`, at once."""
    jakarta = WorkCalendar(time_zone="Asia/Jakarta")
    received = datetime(2025, 3, 3, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
    with attrs.validators.disabled():  # Duration itself refuses more than 999,999
        limits = (Duration.working_days(10**30), Duration.working_hours(10**12))
    for limit in limits:
        with pytest.raises(DateOutOfRange) as caught:
            due_date(jakarta, received=received, limit=limit)
        assert caught.value.field == "limit"
        with pytest.raises(DateOutOfRange) as on_add:
            jakarta.add(received, limit)
        assert on_add.value.field == "duration"


def test_working_hours_past_9999_are_refused() -> None:
    """add_working_time with more hours than are left before 9999 raises DateOutOfRange."""
    jakarta = WorkCalendar(time_zone="Asia/Jakarta")
    with pytest.raises(DateOutOfRange) as caught:
        jakarta.add_working_time(datetime(9999, 12, 1, tzinfo=UTC), timedelta(days=10_000))
    assert caught.value.field == "amount"


def test_an_office_closed_until_the_end_of_time_is_reported_on_closures() -> None:
    """A closure to 9999-12-31 makes a deadline after it a DateOutOfRange on closures."""
    wib = ZoneInfo("Asia/Jakarta")
    closed = WorkCalendar(time_zone="Asia/Jakarta").with_closure(
        datetime(2025, 3, 4, tzinfo=wib), datetime(9999, 12, 31, 12, tzinfo=wib), reason="gone"
    )
    with pytest.raises(DateOutOfRange) as caught:
        due_date(
            closed, received=datetime(2025, 3, 3, 9, tzinfo=wib), limit=Duration.working_days(2)
        )
    assert caught.value.field == "closures"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c, t: c.is_open(t), "at"),
        (lambda c, t: c.next_opening(t), "at"),
        (lambda c, t: c.stamp(t), "at"),
        (lambda c, t: c.add(t, Duration.working_days(1)), "start"),
        (lambda c, t: c.add_working_time(t, timedelta(hours=1)), "start"),
        (lambda c, t: c.working_time_between(t, t), "a"),
        (lambda c, t: due_date(c, received=t, limit=Duration.working_days(1)), "received"),
    ],
)
def test_a_naive_instant_is_refused_naming_the_argument(
    call: Callable[[WorkCalendar, datetime], object], argument: str
) -> None:
    """A naive datetime, even at datetime.max, raises NaiveDatetime naming its argument."""
    calendar = WorkCalendar(time_zone="Pacific/Kiritimati")
    for naive in (LAST, FIRST, datetime(2025, 3, 3, 9)):  # noqa: DTZ001
        with pytest.raises(NaiveDatetime) as caught:
            call(calendar, naive)
        assert caught.value.argument == argument


def test_closures_and_pauses_refuse_instants_utc_cannot_hold() -> None:
    """A closure or pause at an hour of year 1 ahead of UTC raises DateOutOfRange, typed."""
    first = datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(DateOutOfRange):
        Closure(start=first, end=datetime(2025, 1, 1, tzinfo=UTC), reason="x")
    with pytest.raises(DateOutOfRange):
        Pause(start=first, reason="x")
    assert isinstance(DateOutOfRange(field="at", reason="r"), InvalidCalendar)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda c: c.working_time_between(
                datetime(2025, 8, 2, tzinfo=UTC), datetime(9011, 9, 20, tzinfo=UTC)
            ),
            "b",
        ),
        (lambda c: c.add_working_time(datetime(2025, 1, 1, tzinfo=UTC), timedelta.max), "amount"),
        (
            lambda c: c.add(datetime(2025, 1, 1, tzinfo=UTC), Duration.working_days(40_000)),
            "duration",
        ),
        (
            lambda c: c.add(datetime(2025, 1, 1, tzinfo=UTC), Duration.working_hours(999_999)),
            "duration",
        ),
    ],
)
def test_a_count_of_more_than_a_hundred_years_is_refused_at_once(
    call: Callable[[WorkCalendar], object], field: str
) -> None:
    """Counting over more than MAX_WALK days raises DateOutOfRange within a second or two."""
    import time as clock

    started = clock.perf_counter()
    with pytest.raises(DateOutOfRange) as caught:
        call(WorkCalendar(time_zone="Asia/Jakarta"))
    assert caught.value.field == field
    assert "hundred years" in caught.value.reason
    assert clock.perf_counter() - started < 5


def test_a_long_argument_name_is_shortened_in_messages() -> None:
    """require_aware, aware_utc and check_in_range never repeat a huge argument name."""
    from onestop.domain.time.worktime import aware_utc, require_aware

    name = "x" * 5000
    for check in (require_aware, aware_utc, check_in_range):
        with pytest.raises(NaiveDatetime) as caught:
            check(datetime(2025, 1, 1), name)  # noqa: DTZ001
        assert len(str(caught.value)) < 200
