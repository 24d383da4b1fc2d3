"""Deadlines on weekly hours and counting rules, worked out by hand (issue 16).

Every expected instant below is computed in the comments from the calendar's spans,
day by day; the code under test is only asked for the answer.  Holidays are given
explicitly as dates, so the cases do not depend on the `holidays` package.

Calendars used:

* ``JAKARTA`` (Asia/Jakarta, UTC+7, no DST): Mon-Thu 07:30-12:00 and 13:00-16:00
  (7.5 h), Fri 07:30-11:30 and 13:00-16:30 (7.5 h), Sat 08:00-12:00 (4 h).
* ``SEOUL`` (Asia/Seoul, UTC+9, no DST): Mon-Fri 09:00-12:00 and 13:00-18:00 (8 h),
  the day of receipt included (Korean Civil Petitions Act), 2025-03-03 (the substitute
  holiday for Samiljeol) a holiday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.hours import LimitCounting, WeeklyHours
from onestop.domain.time.sla import Pause, due_date
from onestop.domain.time.versions import CalendarVersion

WIB = ZoneInfo("Asia/Jakarta")
KST = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
CAIRO = ZoneInfo("Africa/Cairo")
LUNCH = ["07:30-12:00", "13:00-16:00"]
JAKARTA = WorkCalendar(
    time_zone="Asia/Jakarta",
    hours=WeeklyHours.from_text(
        {
            "mon": LUNCH,
            "tue": LUNCH,
            "wed": LUNCH,
            "thu": LUNCH,
            "fri": ["07:30-11:30", "13:00-16:30"],
            "sat": ["08:00-12:00"],
        }
    ),
)
KOREAN_DAY = ["09:00-12:00", "13:00-18:00"]
SEOUL_HOURS = WeeklyHours.from_text(dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), KOREAN_DAY))
SEOUL = WorkCalendar(
    time_zone="Asia/Seoul",
    hours=SEOUL_HOURS,
    holidays={date(2025, 3, 3)},
    counting=LimitCounting(receipt_day="included"),
)
SEOUL_SHORT = WorkCalendar(
    time_zone="Asia/Seoul",
    hours=SEOUL_HOURS,
    holidays={date(2025, 3, 3)},
    counting=LimitCounting(receipt_day="included", hours_up_to_days=5, hours_per_day=8),
)


def test_two_hours_across_a_lunch_break() -> None:
    """Two working hours from 11:00 skip the lunch break and end at 14:00."""
    # Mon 2025-03-03 11:00-12:00 is 1 h; 12:00-13:00 is lunch; 13:00 + 1 h = 14:00.
    received = datetime(2025, 3, 3, 11, tzinfo=WIB)
    assert JAKARTA.add(received, Duration.working_hours(2)) == datetime(2025, 3, 3, 14, tzinfo=WIB)


def test_the_office_is_closed_at_lunch_and_reopens_at_one() -> None:
    """At 12:30 on a Monday the office is closed; it next opens at 13:00 the same day."""
    at = datetime(2025, 3, 3, 12, 30, tzinfo=WIB)
    assert not JAKARTA.is_open(at)
    assert JAKARTA.next_opening(at) == datetime(2025, 3, 3, 13, tzinfo=WIB)


def test_six_hours_run_through_the_saturday_half_day() -> None:
    """Six working hours from Friday 16:00 use Saturday's morning and end Monday 09:00."""
    # Fri 2025-03-07 16:00-16:30 = 0.5 h; Sat 08:00-12:00 = 4 h (4.5 h); Sun closed;
    # Mon 2025-03-10 07:30 + 1.5 h = 09:00.
    received = datetime(2025, 3, 7, 16, tzinfo=WIB)
    assert JAKARTA.add(received, Duration.working_hours(6)) == datetime(2025, 3, 10, 9, tzinfo=WIB)


def test_one_working_day_after_a_friday_is_the_saturday_half_day() -> None:
    """One working day from a Friday ends at the close of Saturday's half-day, 12:00."""
    # The default rule: the 1st working day after Fri 2025-03-07 is Sat 2025-03-08,
    # which closes at 12:00.
    received = datetime(2025, 3, 7, 10, tzinfo=WIB)
    assert JAKARTA.add(received, Duration.working_days(1)) == datetime(2025, 3, 8, 12, tzinfo=WIB)


def test_uneven_week_is_described_and_measured_by_its_longest_day() -> None:
    """describe_week groups equal days; a working day of open time is the longest day, 7.5 h."""
    assert JAKARTA.describe_week() == (
        "Mon-Thu 07:30-12:00,13:00-16:00; Fri 07:30-11:30,13:00-16:30; Sat 08:00-12:00 Asia/Jakarta"
    )
    assert JAKARTA.day_length == timedelta(hours=7, minutes=30)
    assert JAKARTA.hours_per_day == 7.5


def test_the_day_of_receipt_counts_as_day_one() -> None:
    """Three working days received on a Tuesday morning end at Thursday's close (day 1 = Tue)."""
    # Day 1 Tue 2025-03-04, day 2 Wed 03-05, day 3 Thu 03-06, closing at 18:00.
    # (The default rule would end on Fri 03-07.)
    received = datetime(2025, 3, 4, 10, tzinfo=KST)
    assert SEOUL.add(received, Duration.working_days(3)) == datetime(2025, 3, 6, 18, tzinfo=KST)
    default = WorkCalendar(time_zone="Asia/Seoul", hours=SEOUL_HOURS, holidays={date(2025, 3, 3)})
    assert default.add(received, Duration.working_days(3)) == datetime(2025, 3, 7, 18, tzinfo=KST)


def test_a_receipt_in_the_lunch_break_still_counts_that_day() -> None:
    """Received at 12:30, before the day's last closing, the same Tuesday is day 1."""
    # Day 1 Tue 2025-03-04 (the office reopens at 13:00), day 2 Wed 03-05 18:00.
    received = datetime(2025, 3, 4, 12, 30, tzinfo=KST)
    assert SEOUL.add(received, Duration.working_days(2)) == datetime(2025, 3, 5, 18, tzinfo=KST)


def test_a_submission_after_hours_counts_from_the_next_working_day() -> None:
    """Received Tuesday 19:00, after closing, day 1 is Wednesday: three days end Friday 18:00."""
    # Next opening: Wed 2025-03-05 09:00 = day 1; Thu 03-06 day 2; Fri 03-07 day 3.
    received = datetime(2025, 3, 4, 19, tzinfo=KST)
    assert SEOUL.add(received, Duration.working_days(3)) == datetime(2025, 3, 7, 18, tzinfo=KST)


def test_a_receipt_on_a_holiday_weekend_counts_from_the_next_opening() -> None:
    """Received on Saturday 2025-03-01, with Monday a holiday, day 1 is Tuesday 2025-03-04."""
    # Sat 03-01 and Sun 03-02: weekend; Mon 03-03: holiday (given); Tue 03-04 opens at
    # 09:00 = day 1; Wed 03-05 = day 2, closing 18:00.
    received = datetime(2025, 3, 1, 10, tzinfo=KST)
    assert SEOUL.add(received, Duration.working_days(2)) == datetime(2025, 3, 5, 18, tzinfo=KST)


def test_a_short_limit_counts_as_eight_hours_a_day() -> None:
    """With hours_up_to_days=5, one working day is 8 working hours from receipt."""
    # Tue 2025-03-04 16:00-18:00 = 2 h; Wed 09:00-12:00 = 3 h (5 h); 13:00 + 3 h = 16:00.
    received = datetime(2025, 3, 4, 16, tzinfo=KST)
    assert SEOUL_SHORT.add(received, Duration.working_days(1)) == datetime(
        2025, 3, 5, 16, tzinfo=KST
    )


def test_a_longer_limit_still_counts_in_days_with_the_receipt_day() -> None:
    """Six working days (more than five) count in days: day 1 Tuesday, day 6 next Tuesday."""
    # Tue 03-04 (1), Wed 03-05 (2), Thu 03-06 (3), Fri 03-07 (4), Mon 03-10 (5),
    # Tue 03-11 (6), closing 18:00.
    received = datetime(2025, 3, 4, 16, tzinfo=KST)
    assert SEOUL_SHORT.add(received, Duration.working_days(6)) == datetime(
        2025, 3, 11, 18, tzinfo=KST
    )


def test_the_sla_clock_follows_the_receipt_day_rule() -> None:
    """due_date agrees with add, and its budget is the open time from receipt to due."""
    # Tue 10:00-12:00 (2 h) + 13:00-18:00 (5 h) + Wed 8 h + Thu 8 h = 23 h; due Thu 18:00.
    deadline = due_date(
        SEOUL, received=datetime(2025, 3, 4, 10, tzinfo=KST), limit=Duration.working_days(3)
    )
    assert deadline.due == datetime(2025, 3, 6, 18, tzinfo=KST)
    assert deadline.budget == timedelta(hours=23)
    assert "counting 3 working days from Tue 2025-03-04" in deadline.trace


def test_the_trace_of_a_longer_limit_names_the_receipt_day_as_day_one() -> None:
    """With short limits in hours, a six-day limit's trace still counts from the receipt day."""
    # Day 1 Tue 2025-03-04 .. day 6 Tue 2025-03-11 18:00 (see the case above).
    deadline = due_date(
        SEOUL_SHORT, received=datetime(2025, 3, 4, 16, tzinfo=KST), limit=Duration.working_days(6)
    )
    assert "counting 6 working days from Tue 2025-03-04" in deadline.trace
    assert deadline.trace[-1] == "due Tue 2025-03-11 18:00 KST, the close of working day 6"


def test_a_calendar_version_holds_a_calendar_with_hours_and_counting() -> None:
    """CalendarVersion accepts a calendar with weekly hours and a counting rule."""
    version = CalendarVersion(version=1, effective_from=date(2025, 1, 1), calendar=SEOUL_SHORT)
    assert version.calendar.counting.hours_up_to_days == 5


def test_a_pause_on_a_short_limit_counted_in_hours() -> None:
    """An 8-hour limit paused for a whole working day resumes with its 6 hours left."""
    # Budget 1 day = 8 h.  Tue 2025-03-04 16:00-18:00 runs 2 h (6 h left).  Paused
    # Wed 09:00 to Thu 09:00, covering Wed's 8 h.  Thu 09:00-12:00 = 3 h, 13:00 + 3 h = 16:00.
    deadline = due_date(
        SEOUL_SHORT,
        received=datetime(2025, 3, 4, 16, tzinfo=KST),
        limit=Duration.working_days(1),
        pauses=[
            Pause(
                start=datetime(2025, 3, 5, 9, tzinfo=KST),
                end=datetime(2025, 3, 6, 9, tzinfo=KST),
                reason="applicant",
            )
        ],
    )
    assert deadline.budget == timedelta(hours=8)
    assert deadline.paused == timedelta(hours=8)
    assert deadline.due == datetime(2025, 3, 6, 16, tzinfo=KST)


def test_a_pause_across_a_holiday_and_the_saturday_half_day() -> None:
    """A pause from Friday to Tuesday over a Monday holiday adds the 11.5 h it covered."""
    # Limit 8 working hours from Thu 2025-03-27 10:00.  Thu 10:00-12:00 (2 h) and
    # 13:00-16:00 (3 h): 5 h; Fri 03-28 07:30-09:00: 1.5 h; 1.5 h left at the pause.
    # The pause Fri 09:00 to Tue 04-01 09:00 covers Fri 09:00-11:30 (2.5 h) and
    # 13:00-16:30 (3.5 h), Sat 08:00-12:00 (4 h), Mon 03-31 nothing (holiday), Tue
    # 07:30-09:00 (1.5 h): 11.5 h.  Resumed Tue 09:00 + 1.5 h = 10:30.
    calendar = JAKARTA.with_holidays([date(2025, 3, 31)])
    deadline = due_date(
        calendar,
        received=datetime(2025, 3, 27, 10, tzinfo=WIB),
        limit=Duration.working_hours(8),
        pauses=[
            Pause(
                start=datetime(2025, 3, 28, 9, tzinfo=WIB),
                end=datetime(2025, 4, 1, 9, tzinfo=WIB),
                reason="applicant",
            )
        ],
    )
    assert deadline.paused == timedelta(hours=11, minutes=30)
    assert deadline.due == datetime(2025, 4, 1, 10, 30, tzinfo=WIB)


def test_hours_across_the_spring_change_in_berlin() -> None:
    """Four working hours from Friday 15:00 CET end Monday 10:00 CEST, after the clocks moved."""
    # Europe/Berlin moves from +01:00 to +02:00 on Sun 2025-03-30.  Fri 03-28 15:00-17:00
    # = 2 h; Mon 03-31 08:00 CEST + 2 h = 10:00 CEST = 08:00 UTC.
    calendar = WorkCalendar(
        time_zone="Europe/Berlin",
        hours=WeeklyHours.from_text(
            {d: ["08:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
        ),
    )
    due = calendar.add(datetime(2025, 3, 28, 15, tzinfo=BERLIN), Duration.working_hours(4))
    assert due == datetime(2025, 3, 31, 10, tzinfo=BERLIN)
    assert due.utcoffset() == timedelta(hours=2)


def test_hours_across_the_start_of_summer_time_in_cairo() -> None:
    """Three working hours from Thursday 13:00 EET end Sunday 10:00 EEST (Sun-Thu week)."""
    # Egypt's summer time starts on the last Friday of April: Fri 2025-04-25 00:00 ->
    # 01:00, +02:00 -> +03:00.  Thu 04-24 13:00-14:00 = 1 h; Fri, Sat closed; Sun 04-27
    # 08:00 EEST + 2 h = 10:00 EEST = 07:00 UTC.
    calendar = WorkCalendar(
        time_zone="Africa/Cairo",
        hours=WeeklyHours.from_text(
            {d: ["08:00-14:00"] for d in ("sun", "mon", "tue", "wed", "thu")}
        ),
    )
    due = calendar.add(datetime(2025, 4, 24, 13, tzinfo=CAIRO), Duration.working_hours(3))
    assert due == datetime(2025, 4, 27, 10, tzinfo=CAIRO)
    assert due.utcoffset() == timedelta(hours=3)
