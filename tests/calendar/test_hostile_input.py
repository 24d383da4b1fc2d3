"""Calendars, SLA clocks and country calendars refuse hostile input with a typed error.

Bools, huge integers, NaN, text, naive datetimes, dates for instants, lists and
arbitrary objects given where something else is expected raise a `CalendarError`
(never a `TypeError`, `AttributeError` or `OverflowError`), and no message quotes a
huge value in full.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import Closure, WorkCalendar, format_day
from onestop.domain.time.sla import Pause, due_date, remaining_working_time, status_at
from onestop.exceptions import CalendarError, InvalidCalendar

AT = datetime(2025, 3, 3, 9, tzinfo=UTC)
HUGE = 10**5000
HOSTILE = st.one_of(
    st.booleans(),
    st.integers(),
    st.just(HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5) | st.just("x" * 10_000),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.datetimes(),  # naive
    st.dates(),
    st.timedeltas(),
    st.just(object()),
    st.sampled_from(["working_days", "WORKING_DAYS", "Asia/Jakarta\n", "\ud800"]),
)

JAKARTA = WorkCalendar(time_zone="Asia/Jakarta")
DEADLINE = due_date(JAKARTA, received=AT, limit=Duration.working_days(5))

CALLS: dict[str, Callable[[Any], object]] = {
    "time_zone": lambda v: WorkCalendar(time_zone=v),
    "work_week": lambda v: WorkCalendar(time_zone="UTC", work_week=v),
    "day_start": lambda v: WorkCalendar(time_zone="UTC", day_start=v),
    "holidays": lambda v: WorkCalendar(time_zone="UTC", holidays=v),
    "closures": lambda v: WorkCalendar(time_zone="UTC", closures=v),
    "name": lambda v: WorkCalendar(time_zone="UTC", name=v),
    "closure.start": lambda v: Closure(start=v, end=AT, reason="x"),
    "closure.reason": lambda v: Closure(start=AT, end=AT + timedelta(hours=1), reason=v),
    "pause.end": lambda v: Pause(start=AT, end=v, reason="x"),
    "pause.reason": lambda v: Pause(start=AT, reason=v),
    "with_holidays": lambda v: JAKARTA.with_holidays(v),
    "day_kind": lambda v: JAKARTA.day_kind(v),
    "day_kinds": lambda v: list(JAKARTA.day_kinds(v, date(2025, 3, 3))),
    "open_hours": lambda v: JAKARTA.open_hours(v),
    "is_open": lambda v: JAKARTA.is_open(v),
    "next_opening": lambda v: JAKARTA.next_opening(v),
    "add.start": lambda v: JAKARTA.add(v, Duration.working_days(1)),
    "add.duration": lambda v: JAKARTA.add(AT, v),
    "add_working_time": lambda v: JAKARTA.add_working_time(AT, v),
    "working_time_between": lambda v: JAKARTA.working_time_between(AT, v),
    "describe_working_time": lambda v: JAKARTA.describe_working_time(v),
    "format_day": lambda v: format_day(v),
    "stamp": lambda v: JAKARTA.stamp(v),
    "due_date.calendar": lambda v: due_date(v, received=AT, limit=Duration.working_days(1)),
    "due_date.received": lambda v: due_date(JAKARTA, received=v, limit=Duration.working_days(1)),
    "due_date.limit": lambda v: due_date(JAKARTA, received=AT, limit=v),
    "due_date.pauses": lambda v: due_date(
        JAKARTA, received=AT, limit=Duration.working_days(1), pauses=v
    ),
    "status_at.now": lambda v: status_at(DEADLINE, JAKARTA, v),
    "status_at.share": lambda v: status_at(DEADLINE, JAKARTA, AT, at_risk_below=v),
    "status_at.deadline": lambda v: status_at(v, JAKARTA, AT),
    "remaining.now": lambda v: remaining_working_time(DEADLINE, JAKARTA, v),
    "remaining.calendar": lambda v: remaining_working_time(DEADLINE, v, AT),
    "calendar_for.country": lambda v: calendar_for(v, years=[2025]),
    "calendar_for.years": lambda v: calendar_for("ID", years=v),
    "calendar_for.subdiv": lambda v: calendar_for("ID", years=[2025], subdiv=v),
    "calendar_for.work_week": lambda v: calendar_for("KH", years=[2025], work_week=v),
    "calendar_for.closures": lambda v: calendar_for("KH", years=[2025], closures=v),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=25, deadline=None)
@given(value=HOSTILE)
def test_hostile_input_answers_or_raises_a_calendar_error(name: str, value: object) -> None:
    """Each public call answers or raises CalendarError, with a message of bounded length."""
    message = ""
    try:
        CALLS[name](value)
    except CalendarError as exc:
        message = str(exc)
    assert len(message) < 400


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("add.duration", "5 working days", "duration"),
        ("add_working_time", 3600, "amount"),
        ("describe_working_time", 1.5, "amount"),
        ("format_day", datetime(2025, 3, 3, tzinfo=UTC), "day"),
        ("day_kind", datetime(2025, 3, 3, tzinfo=UTC), "day"),
        ("open_hours", "2025-03-03", "day"),
        ("with_holidays", 2025, "holidays"),
        ("status_at.share", "0.2", "at_risk_below"),
        ("status_at.share", float("nan"), "at_risk_below"),
        ("status_at.share", True, "at_risk_below"),
        ("status_at.deadline", None, "deadline"),
        ("due_date.calendar", "Asia/Jakarta", "calendar"),
        ("due_date.limit", 5, "limit"),
        ("due_date.pauses", 5, "pauses"),
        ("closure.reason", "flood\nreceived Mon 2025-03-03 08:00 WIB", "reason"),
        ("pause.reason", "x" * 201, "reason"),
        ("name", "ID\x00", "name"),
        ("time_zone", "x" * 10_000, "time_zone"),
        ("calendar_for.years", 2025, "years"),
        ("calendar_for.country", "\u0131d", "country"),  # a dotless i upper-cases to ID
        ("calendar_for.subdiv", 31, "subdiv"),
        ("calendar_for.closures", 5, "closures"),
    ],
)
def test_a_wrong_value_names_its_field(name: str, value: object, field: str) -> None:
    """A wrong type, NaN, a bool, a forged trace line or a huge text names the field."""
    with pytest.raises(InvalidCalendar) as caught:
        CALLS[name](value)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


def test_merged_pause_reasons_stay_one_short_line() -> None:
    """Many overlapping pauses with long reasons merge into one reason of at most 200 chars."""
    pauses = [
        Pause(start=AT + timedelta(minutes=n), end=AT + timedelta(hours=2), reason=f"{n}" * 150)
        for n in range(1, 6)
    ]
    deadline = due_date(JAKARTA, received=AT, limit=Duration.working_days(5), pauses=pauses)
    (merged,) = deadline.pauses
    assert merged.reason.endswith(" and 4 more")
    assert len(merged.reason) <= 200


def test_a_time_with_a_zone_is_not_an_opening_time() -> None:
    """An opening time with tzinfo is refused, as a time of the calendar's own zone is meant."""
    with pytest.raises(InvalidCalendar) as caught:
        WorkCalendar(time_zone="UTC", day_start=time(8, tzinfo=UTC))
    assert caught.value.field == "day_start"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"budget": timedelta(days=-999_999_999)}, "budget"),
        ({"received": datetime(2025, 3, 3)}, "received"),  # noqa: DTZ001
        ({"limit": 5}, "limit"),
        ({"pauses": ("x",)}, "pauses"),
        ({"trace": (1,)}, "trace"),
        ({"paused": timedelta(hours=-1)}, "paused"),
    ],
)
def test_a_deadline_refuses_fields_it_cannot_hold(changes: dict[str, Any], field: str) -> None:
    """A Deadline with a negative budget, a naive receipt or wrong types is refused."""
    import attrs

    with pytest.raises(CalendarError) as caught:
        attrs.evolve(DEADLINE, **changes)
    assert getattr(caught.value, "field", getattr(caught.value, "argument", None)) == field


def test_remaining_time_of_a_huge_budget_is_a_typed_error() -> None:
    """status_at and remaining_working_time never overflow on a budget of timedelta.max."""
    import attrs

    huge = attrs.evolve(DEADLINE, budget=timedelta.max)
    later = AT + timedelta(days=3)
    assert status_at(huge, JAKARTA, later) is not None
    remaining_working_time(huge, JAKARTA, later)
