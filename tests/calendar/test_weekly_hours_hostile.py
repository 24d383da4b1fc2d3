"""Hostile input to weekly hours, counting rules and the new calendar attributes (issue 16)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.hours import LimitCounting, WeeklyHours
from onestop.exceptions import InvalidCalendar

MON = {"mon": ["08:00-12:00"]}


@pytest.mark.parametrize(
    ("week", "field", "words"),
    [
        ({"mon": ["08:00-12:00", "11:00-14:00"]}, "mon", "11:00-14:00 overlaps"),
        ({"tue": ["13:00-16:00", "08:00-12:00"]}, "tue", "08:00-12:00 overlaps"),
        ({"wed": ["08:00-12:00", "12:00-16:00"]}, "wed", "touches"),
        ({"thu": ["12:00-12:00"]}, "thu", "12:00-12:00 does not close after it opens"),
        ({"fri": ["16:00-08:00"]}, "fri", "does not close after it opens"),
        ({"sat": ["8-12"]}, "sat", "is not a span"),
        ({"sat": ["08:00 - 12:00"]}, "sat", "is not a span"),
        ({"sat": ["08:60-12:00"]}, "sat", "is not a span"),
        ({"sun": ["08:00-24:00"]}, "sun", "24:00 is not accepted"),
        ({"sun": [800]}, "sun", "expected a span as text"),
        ({"sun": "08:00-12:00"}, "sun", "expected spans"),
        ({"sun": None}, "sun", "expected spans"),
        ({"monday": ["08:00-12:00"]}, "hours", "is not a day name"),
        ({1: ["08:00-12:00"]}, "hours", "is not a day name"),
        ({}, "days", "must open on some day"),
        ({"mon": []}, "days", "must open on some day"),
        ({"mon": ["08:00-08:01"] * 25}, "mon", "more than 24 spans"),
    ],
)
def test_bad_text_hours_name_the_day_and_span(week: Any, field: str, words: str) -> None:
    """Every defect of text hours raises InvalidCalendar naming the day and the span."""
    with pytest.raises(InvalidCalendar) as caught:
        WeeklyHours.from_text(week)
    assert caught.value.field == field
    assert words in caught.value.reason


@pytest.mark.parametrize("week", [None, "mon", ["mon"], 7])
def test_text_hours_must_be_a_mapping(week: Any) -> None:
    """from_text refuses anything but a mapping of day names."""
    with pytest.raises(InvalidCalendar, match="expected a mapping"):
        WeeklyHours.from_text(week)


def test_day_names_are_read_in_any_case() -> None:
    """'MON' and 'Mon' are Monday."""
    assert WeeklyHours.from_text({"MON": ["08:00-12:00"]}) == WeeklyHours.from_text(MON)


def test_midnight_opens_and_23_59_closes() -> None:
    """00:00 is a valid opening and 23:59 the latest closing."""
    week = WeeklyHours.from_text({"sun": ["00:00-23:59"]})
    assert week.spans(7) == ((time(0), time(23, 59)),)


@pytest.mark.parametrize(
    "days",
    [
        None,
        (),
        ((),) * 6,
        ((),) * 8,
        ("08:00-12:00",) + ((),) * 6,
        (((time(8),),),) + ((),) * 6,
        (((time(8), "12:00"),),) + ((),) * 6,
        (((time(12), time(8)),),) + ((),) * 6,
    ],
)
def test_raw_days_are_checked(days: Any) -> None:
    """WeeklyHours(days=...) refuses anything but seven tuples of valid spans."""
    with pytest.raises(InvalidCalendar):
        WeeklyHours(days=days)


def test_spans_with_a_zone_are_refused() -> None:
    """A span's times are wall-clock times: a tzinfo on them is refused."""
    from datetime import UTC

    with pytest.raises(InvalidCalendar, match="without zone"):
        WeeklyHours(days=(((time(8, tzinfo=UTC), time(12)),),) + ((),) * 6)


@pytest.mark.parametrize("day", [0, 8, True, "mon", 1.0, None])
def test_a_weekday_is_an_iso_number(day: Any) -> None:
    """spans and open_time take an ISO weekday 1..7 and nothing else."""
    week = WeeklyHours.from_text(MON)
    with pytest.raises(InvalidCalendar):
        week.spans(day)
    with pytest.raises(InvalidCalendar):
        week.open_time(day)


@pytest.mark.parametrize(
    ("week", "opens", "closes"),
    [("12", time(8), time(12)), ([0], time(8), time(12)), ([1], time(12), time(8)), (None, 1, 2)],
)
def test_uniform_refuses_bad_weeks_and_spans(week: Any, opens: Any, closes: Any) -> None:
    """uniform refuses text, weekdays out of 1..7 and a span that does not close after it opens."""
    with pytest.raises(InvalidCalendar):
        WeeklyHours.uniform(week, opens, closes)


@pytest.mark.parametrize(
    "options",
    [
        {"receipt_day": "first"},
        {"receipt_day": None},
        {"receipt_day": ["included"]},
        {"hours_up_to_days": -1},
        {"hours_up_to_days": True},
        {"hours_up_to_days": 5.0},
        {"hours_per_day": 0},
        {"hours_per_day": 25},
        {"hours_per_day": "8"},
    ],
)
def test_bad_counting_options_are_refused(options: dict[str, Any]) -> None:
    """LimitCounting refuses unknown receipt-day rules and numbers out of range."""
    with pytest.raises(InvalidCalendar) as caught:
        LimitCounting(**options)
    assert caught.value.field == next(iter(options))


@pytest.mark.parametrize("days", [0, -3, True, 1.5, "2", None])
def test_in_hours_takes_a_count_of_days(days: Any) -> None:
    """in_hours refuses anything but a whole number of days of one or more."""
    with pytest.raises(InvalidCalendar):
        LimitCounting(hours_up_to_days=5).in_hours(days)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"hours": MON}, "hours"),
        ({"hours": "mon 08:00-12:00"}, "hours"),
        ({"counting": "included"}, "counting"),
        ({"counting": None}, "counting"),
        ({"hours": WeeklyHours.from_text(MON), "day_start": time(9)}, "hours"),
        ({"hours": WeeklyHours.from_text(MON), "day_end": time(17)}, "hours"),
        ({"hours": WeeklyHours.from_text(MON), "work_week": (1, 2)}, "hours"),
    ],
)
def test_a_calendar_refuses_bad_hours_and_counting(options: dict[str, Any], field: str) -> None:
    """hours must be a WeeklyHours with no rival week fields; counting a LimitCounting."""
    with pytest.raises(InvalidCalendar) as caught:
        WorkCalendar(time_zone="Asia/Jakarta", **options)
    assert caught.value.field == field


def test_default_week_fields_given_explicitly_go_with_hours() -> None:
    """Giving the default week fields explicitly alongside hours is not a rivalry."""
    calendar = WorkCalendar(
        time_zone="Asia/Jakarta",
        hours=WeeklyHours.from_text(MON),
        work_week=(1, 2, 3, 4, 5),
        day_start=time(8),
        day_end=time(16),
    )
    assert calendar.describe_week() == "Mon 08:00-12:00 Asia/Jakarta"
