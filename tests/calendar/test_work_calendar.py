"""Work calendars: construction, working days, and working-time arithmetic."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure, DayKind, WorkCalendar, format_day
from onestop.exceptions import CalendarError, InvalidCalendar, NaiveDatetime

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

# Idul Fitri 2025 and the joint leave days around it, as Indonesia's calendar has them.
LEBARAN_2025 = {date(2025, 3, 31), date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)}
LEBARAN_2025 |= {date(2025, 4, 4), date(2025, 4, 7)}


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture
def jakarta() -> WorkCalendar:
    return WorkCalendar(time_zone="Asia/Jakarta", holidays=LEBARAN_2025 | {date(2026, 1, 1)})


class TestConstruction:
    def test_defaults_are_monday_to_friday_eight_to_four(self) -> None:
        """By default the office works Monday to Friday, 08:00-16:00: eight hours a day."""
        calendar = WorkCalendar(time_zone="Asia/Jakarta")
        assert calendar.work_week == (1, 2, 3, 4, 5)
        assert (calendar.day_start, calendar.day_end) == (time(8), time(16))
        assert calendar.hours_per_day == 8.0

    def test_closing_time_must_follow_opening_time(self) -> None:
        """A day that closes before, or when, it opens is refused."""
        with pytest.raises(InvalidCalendar) as caught:
            WorkCalendar(time_zone="Asia/Jakarta", day_start=time(16), day_end=time(8))
        assert caught.value.field == "day_end"

    def test_unknown_time_zone_is_refused(self) -> None:
        """A zone that is not in the IANA database is refused, naming the field."""
        with pytest.raises(InvalidCalendar) as caught:
            WorkCalendar(time_zone="Asia/Atlantis")
        assert caught.value.field == "time_zone"

    @pytest.mark.parametrize("week", [(), (0, 1), (1, 8), (1, 1), (True,)])
    def test_bad_work_weeks_are_refused(self, week: tuple[int, ...]) -> None:
        """An empty week, a day outside 1-7, a repeated day or a boolean is refused."""
        with pytest.raises(InvalidCalendar) as caught:
            WorkCalendar(time_zone="Asia/Jakarta", work_week=week)
        assert caught.value.field == "work_week"

    def test_a_datetime_is_not_a_holiday(self) -> None:
        """Holidays are dates; a datetime among them is refused."""
        with pytest.raises(InvalidCalendar):
            WorkCalendar(time_zone="Asia/Jakarta", holidays={wib(2025, 1, 1)})

    def test_closures_need_aware_instants(self) -> None:
        """A closure given a naive datetime raises NaiveDatetime naming the attribute."""
        with pytest.raises(NaiveDatetime) as caught:
            Closure(start=datetime(2025, 1, 6, 8), end=wib(2025, 1, 6, 9), reason="flood")  # noqa: DTZ001
        assert caught.value.argument == "start"

    def test_closures_must_end_after_they_start(self) -> None:
        """A closure that ends before it starts is refused."""
        with pytest.raises(InvalidCalendar):
            Closure(start=wib(2025, 1, 6, 9), end=wib(2025, 1, 6, 8), reason="flood")

    def test_closure_order_does_not_matter(self) -> None:
        """Calendars with the same closures in another order are equal."""
        a = Closure(start=wib(2025, 1, 6, 9), end=wib(2025, 1, 6, 10), reason="power cut")
        b = Closure(start=wib(2025, 1, 8, 9), end=wib(2025, 1, 8, 10), reason="flood")
        first = WorkCalendar(time_zone="Asia/Jakarta", closures=(a, b))
        assert first == WorkCalendar(time_zone="Asia/Jakarta", closures=(b, a))

    def test_with_methods_return_new_calendars(self, jakarta: WorkCalendar) -> None:
        """with_holidays and with_closure leave the original calendar unchanged."""
        more = jakarta.with_holidays([date(2025, 5, 12)])
        closed = jakarta.with_closure(wib(2025, 5, 13), wib(2025, 5, 14), reason="flood")
        assert not more.is_working_day(date(2025, 5, 12))
        assert not closed.is_working_day(date(2025, 5, 13))
        assert jakarta.is_working_day(date(2025, 5, 12))
        assert jakarta.is_working_day(date(2025, 5, 13))

    def test_calendar_errors_share_a_base(self) -> None:
        """Every calendar error is a CalendarError, and a ValueError where it is one."""
        assert issubclass(InvalidCalendar, CalendarError)
        assert issubclass(NaiveDatetime, ValueError)


class TestDays:
    def test_weekends_and_holidays_are_not_working_days(self, jakarta: WorkCalendar) -> None:
        """Saturdays, Sundays and holidays are not working days; other days are."""
        assert jakarta.is_working_day(date(2025, 3, 28))
        assert not jakarta.is_working_day(date(2025, 3, 29))
        assert not jakarta.is_working_day(date(2025, 3, 31))

    def test_a_holiday_on_a_weekend_is_reported_as_a_holiday(self) -> None:
        """day_kind reports a holiday that falls on a Saturday as a holiday."""
        calendar = WorkCalendar(time_zone="Asia/Jakarta", holidays={date(2025, 3, 29)})
        assert calendar.day_kind(date(2025, 3, 29)) is DayKind.HOLIDAY
        assert calendar.day_kind(date(2025, 3, 30)) is DayKind.WEEKEND

    def test_a_day_closed_all_day_is_not_a_working_day(self, jakarta: WorkCalendar) -> None:
        """A closure covering a day's opening hours makes it a closed day."""
        flooded = jakarta.with_closure(wib(2025, 3, 4, 7), wib(2025, 3, 4, 17), reason="flood")
        assert flooded.day_kind(date(2025, 3, 4)) is DayKind.CLOSED

    def test_a_partly_closed_day_is_still_a_working_day(self, jakarta: WorkCalendar) -> None:
        """A closure in the middle of a day splits its opening hours in two."""
        cut = jakarta.with_closure(wib(2025, 3, 4, 10), wib(2025, 3, 4, 12), reason="power cut")
        assert cut.is_working_day(date(2025, 3, 4))
        assert cut.open_hours(date(2025, 3, 4)) == (
            (wib(2025, 3, 4, 8), wib(2025, 3, 4, 10)),
            (wib(2025, 3, 4, 12), wib(2025, 3, 4, 16)),
        )

    def test_opening_is_inclusive_and_closing_exclusive(self, jakarta: WorkCalendar) -> None:
        """The office is open at 08:00 and closed at 16:00."""
        assert jakarta.is_open(wib(2025, 3, 4, 8))
        assert not jakarta.is_open(wib(2025, 3, 4, 16))

    def test_next_opening_after_hours_is_the_next_working_morning(
        self, jakarta: WorkCalendar
    ) -> None:
        """After Friday's close, the office next opens on Monday at 08:00."""
        assert jakarta.next_opening(wib(2025, 3, 7, 16)) == wib(2025, 3, 10, 8)


class TestAddWorkingDays:
    def test_the_day_of_receipt_is_not_counted(self, jakarta: WorkCalendar) -> None:
        """One working day from Monday morning ends at Tuesday's close."""
        assert jakarta.add(wib(2025, 3, 3, 7), Duration.working_days(1)) == wib(2025, 3, 4, 16)

    def test_receipt_after_hours_counts_from_the_next_day(self, jakarta: WorkCalendar) -> None:
        """A receipt after closing time gives the same due instant as one that morning."""
        late = jakarta.add(wib(2025, 3, 3, 17, 30), Duration.working_days(2))
        assert late == jakarta.add(wib(2025, 3, 3, 9), Duration.working_days(2))
        assert late == wib(2025, 3, 5, 16)

    def test_friday_2359_wita(self) -> None:
        """A receipt at Friday 23:59 WITA is due at Monday's close, WITA."""
        makassar = WorkCalendar(time_zone="Asia/Makassar")
        received = datetime(2025, 3, 7, 23, 59, tzinfo=WITA)
        due = makassar.add(received, Duration.working_days(1))
        assert due == datetime(2025, 3, 10, 16, tzinfo=WITA)
        assert due.tzinfo == WITA

    def test_31_december(self, jakarta: WorkCalendar) -> None:
        """Counting from 31 December skips New Year's Day and the weekend."""
        due = jakarta.add(wib(2025, 12, 31, 10), Duration.working_days(3))
        assert due == wib(2026, 1, 6, 16)

    def test_29_february_2028(self) -> None:
        """29 February 2028, a Tuesday, is counted as a working day."""
        calendar = WorkCalendar(time_zone="Asia/Jakarta")
        assert calendar.add(wib(2028, 2, 28, 15), Duration.working_days(1)) == wib(2028, 2, 29, 16)
        assert calendar.add(wib(2028, 2, 28, 15), Duration.working_days(2)) == wib(2028, 3, 1, 16)

    def test_receipt_on_a_holiday(self, jakarta: WorkCalendar) -> None:
        """A receipt on Idul Fitri counts from the first working day after the joint leave."""
        assert jakarta.add(wib(2025, 3, 31, 10), Duration.working_days(1)) == wib(2025, 4, 8, 16)

    def test_a_day_closed_by_a_flood_is_skipped(self, jakarta: WorkCalendar) -> None:
        """A day a closure shuts entirely is not counted."""
        flooded = jakarta.with_closure(wib(2025, 3, 4), wib(2025, 3, 5), reason="flood")
        assert flooded.add(wib(2025, 3, 3, 9), Duration.working_days(1)) == wib(2025, 3, 5, 16)

    def test_a_closure_at_the_end_of_the_day_brings_the_close_forward(
        self, jakarta: WorkCalendar
    ) -> None:
        """When a closure takes the afternoon, the day's close is when the closure starts."""
        cut = jakarta.with_closure(wib(2025, 3, 4, 14), wib(2025, 3, 4, 18), reason="flood")
        assert cut.add(wib(2025, 3, 3, 9), Duration.working_days(1)) == wib(2025, 3, 4, 14)

    def test_two_hundred_working_days_are_counted_in_day_steps(self) -> None:
        """Adding 200 working days agrees with counting days one by one, and is quick."""
        calendar = WorkCalendar(time_zone="Asia/Jakarta", holidays=LEBARAN_2025)
        received = wib(2025, 1, 2, 9)
        started = clock.perf_counter()
        due = calendar.add(received, Duration.working_days(200))
        elapsed = clock.perf_counter() - started
        day, counted = received.date(), 0
        while counted < 200:
            day += timedelta(days=1)
            counted += calendar.is_working_day(day)
        assert due == datetime.combine(day, time(16), tzinfo=WIB)
        assert elapsed < 0.5

    def test_a_closure_of_years_is_crossed_in_one_step(self, jakarta: WorkCalendar) -> None:
        """A closure lasting a century is skipped at once, not day by day."""
        closed = jakarta.with_closure(wib(2025, 3, 4), wib(2125, 3, 5, 12), reason="rebuilding")
        started = clock.perf_counter()
        due = closed.add(wib(2025, 3, 3, 9), Duration.working_days(2))
        assert clock.perf_counter() - started < 0.5
        assert due == wib(2125, 3, 6, 16)

    def test_a_closure_that_never_ends_is_reported(self, jakarta: WorkCalendar) -> None:
        """If the office never opens again before year 9999, InvalidCalendar says so."""
        closed = jakarta.with_closure(wib(2025, 3, 4), wib(9999, 12, 31, 12), reason="demolished")
        with pytest.raises(InvalidCalendar) as caught:
            closed.add(wib(2025, 3, 3, 9), Duration.working_days(2))
        assert caught.value.field == "closures"

    def test_naive_receipt_is_refused(self, jakarta: WorkCalendar) -> None:
        """A naive start raises NaiveDatetime naming the argument."""
        with pytest.raises(NaiveDatetime) as caught:
            jakarta.add(datetime(2025, 3, 3, 9), Duration.working_days(1))  # noqa: DTZ001
        assert caught.value.argument == "start"


class TestAddWorkingHours:
    def test_hours_count_from_receipt_when_open(self, jakarta: WorkCalendar) -> None:
        """Two working hours from 10:15 end at 12:15 the same day."""
        due = jakarta.add(wib(2025, 3, 3, 10, 15), Duration.working_hours(2))
        assert due == wib(2025, 3, 3, 12, 15)

    def test_hours_filling_a_day_end_at_its_close(self, jakarta: WorkCalendar) -> None:
        """Eight working hours from 08:00 end at 16:00 that day, not at 08:00 the next."""
        due = jakarta.add(wib(2025, 3, 3, 8), Duration.working_hours(8))
        assert due == wib(2025, 3, 3, 16)

    def test_receipt_after_hours_counts_from_the_next_opening(self, jakarta: WorkCalendar) -> None:
        """Hours received after closing time start at the next working day's opening."""
        due = jakarta.add(wib(2025, 3, 7, 17), Duration.working_hours(3))
        assert due == wib(2025, 3, 10, 11)

    def test_hours_skip_a_partial_closure(self, jakarta: WorkCalendar) -> None:
        """Open time inside a closure does not count."""
        cut = jakarta.with_closure(wib(2025, 3, 3, 10), wib(2025, 3, 3, 12), reason="power cut")
        assert cut.add(wib(2025, 3, 3, 8), Duration.working_hours(4)) == wib(2025, 3, 3, 14)

    def test_hours_across_29_february_2028(self) -> None:
        """Nine working hours from Monday 28 February 2028 15:00 end on the 29th at 16:00."""
        calendar = WorkCalendar(time_zone="Asia/Jakarta")
        due = calendar.add(wib(2028, 2, 28, 15), Duration.working_hours(9))
        assert due == wib(2028, 2, 29, 16)

    def test_result_is_in_the_calendar_zone(self, jakarta: WorkCalendar) -> None:
        """A receipt written in UTC gives a due instant written in the calendar's zone."""
        due = jakarta.add(datetime(2025, 3, 3, 3, tzinfo=UTC), Duration.working_hours(1))
        assert due == wib(2025, 3, 3, 11)
        assert due.tzinfo == WIB

    def test_negative_working_time_is_refused(self, jakarta: WorkCalendar) -> None:
        """add_working_time refuses a negative amount."""
        with pytest.raises(InvalidCalendar):
            jakarta.add_working_time(wib(2025, 3, 3, 8), timedelta(hours=-1))


class TestWorkingTimeBetween:
    def test_time_across_a_weekend_counts_only_open_hours(self, jakarta: WorkCalendar) -> None:
        """From Friday 15:00 to Monday 09:00 lies two hours of open time."""
        between = jakarta.working_time_between(wib(2025, 3, 7, 15), wib(2025, 3, 10, 9))
        assert between == timedelta(hours=2)

    def test_the_result_is_signed(self, jakarta: WorkCalendar) -> None:
        """Swapping the instants negates the working time."""
        a, b = wib(2025, 3, 7, 15), wib(2025, 3, 10, 9)
        assert jakarta.working_time_between(b, a) == -jakarta.working_time_between(a, b)

    def test_time_outside_hours_is_zero(self, jakarta: WorkCalendar) -> None:
        """No open time lies between Saturday and Sunday."""
        assert jakarta.working_time_between(wib(2025, 3, 8), wib(2025, 3, 9)) == timedelta(0)

    def test_instants_in_other_zones_are_the_same_instants(self, jakarta: WorkCalendar) -> None:
        """An instant written in WIT means the same instant as in WIB."""
        from_wit = datetime(2025, 3, 3, 12, tzinfo=WIT)  # 10:00 WIB
        assert jakarta.working_time_between(from_wit, wib(2025, 3, 3, 12)) == timedelta(hours=2)


class TestRendering:
    def test_working_time_is_described_in_days_and_hours(self, jakarta: WorkCalendar) -> None:
        """Ten hours read as one working day and two hours on an eight-hour calendar."""
        assert jakarta.describe_working_time(timedelta(hours=10)) == "1 working day 2 hours"
        assert jakarta.describe_working_time(timedelta(minutes=90)) == "1 working hour 30 minutes"
        assert jakarta.describe_working_time(timedelta(0)) == "no working time"

    @pytest.mark.parametrize(
        ("zone", "abbreviation"),
        [("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA"), ("Asia/Jayapura", "WIT")],
    )
    def test_stamps_name_the_indonesian_zone(self, zone: str, abbreviation: str) -> None:
        """Instants are stamped with the zone's abbreviation, WIB, WITA or WIT."""
        calendar = WorkCalendar(time_zone=zone)
        stamp = calendar.stamp(datetime(2025, 3, 3, 3, 15, tzinfo=UTC))
        assert stamp.startswith("Mon 2025-03-03 ")
        assert stamp.endswith(f" {abbreviation}")

    def test_week_is_described_compactly(self, jakarta: WorkCalendar) -> None:
        """A run of weekdays is written as a range."""
        assert jakarta.describe_week() == "Mon-Fri 08:00-16:00 Asia/Jakarta"

    def test_days_are_formatted_with_english_weekdays(self) -> None:
        """format_day writes a fixed English weekday, whatever the locale."""
        assert format_day(date(2025, 3, 29)) == "Sat 2025-03-29"


APIA = ZoneInfo("Pacific/Apia")


def test_a_day_the_zone_skipped_is_no_working_day() -> None:
    """Samoa skipped Friday 30 December 2011: it is closed, no working time is counted
    from Thursday's close to the next Monday, and a working day from Thursday ends then."""
    samoa = WorkCalendar(time_zone="Pacific/Apia")
    thursday = datetime(2011, 12, 29, 10, tzinfo=APIA)
    assert samoa.day_kind(date(2011, 12, 30)) is DayKind.CLOSED
    monday = datetime(2012, 1, 2, 8, tzinfo=APIA)
    assert samoa.working_time_between(datetime(2011, 12, 29, 17, tzinfo=APIA), monday) == (
        timedelta(0)
    )
    assert samoa.add(thursday, Duration.working_days(1)) == datetime(2012, 1, 2, 16, tzinfo=APIA)
    assert samoa.add_working_time(thursday.replace(hour=15), timedelta(hours=9)) == (
        datetime(2012, 1, 2, 16, tzinfo=APIA)
    )
