"""A work calendar remembers the open hours of the days it has walked; that never shows.

The memo is kept beside the calendars in use, never in them: it is not part of
equality, hashing, the repr, `attrs.asdict` or a pickle; equal calendars share one, a
copy made with `with_holidays` or `with_closure` starts afresh, it goes when its
calendar goes, and a calendar that has answered many questions answers each one as a
new calendar would.
"""

from __future__ import annotations

import gc
import pickle
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sla_properties import SPAN_SECONDS, WRITTEN_IN, _instant, scenarios

from onestop.domain.common.values import Duration
from onestop.domain.time import calendar as calendar_module
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import due_date
from onestop.domain.time.worktime import MEMO_DAYS

WIB = ZoneInfo("Asia/Jakarta")


def _fresh(calendar: WorkCalendar) -> WorkCalendar:
    """An equal calendar that has answered nothing yet."""
    return attrs.evolve(calendar)


def _answers(
    calendar: WorkCalendar, received: datetime, start: datetime, step: timedelta, limit: Duration
) -> tuple[object, ...]:
    return (
        calendar.add_working_time(start, step),
        calendar.add(start, limit),
        calendar.working_time_between(received, start),
        calendar.next_opening(start),
        calendar.day_kind(start.date()),
        due_date(calendar, received=start, limit=limit, explain=False),
    )


@settings(max_examples=150, deadline=None)
@given(
    scenarios(),
    st.lists(
        st.tuples(
            st.integers(0, SPAN_SECONDS),
            st.sampled_from(WRITTEN_IN),
            st.integers(0, 200 * 3600),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_a_calendar_that_answered_before_answers_like_a_new_one(
    scenario: tuple[WorkCalendar, datetime],
    questions: list[tuple[int, object, int, int]],
) -> None:
    """Open-time arithmetic on a reused calendar equals the same arithmetic on a fresh copy."""
    shared, received = scenario
    for seconds, zone, amount, days in questions:
        start = _instant(seconds, zone)  # type: ignore[arg-type]
        step = timedelta(seconds=amount)
        limit = Duration.working_days(days)
        assert _answers(shared, received, start, step, limit) == _answers(
            _fresh(shared), received, start, step, limit
        )


def test_the_memo_is_not_part_of_equality_hash_or_repr() -> None:
    """A calendar that has walked many days still equals, hashes and prints as a new one."""
    used = WorkCalendar(time_zone="Asia/Jakarta", holidays={date(2025, 8, 18)})
    used.add(datetime(2025, 8, 1, 9, tzinfo=WIB), Duration.working_days(30))
    new = WorkCalendar(time_zone="Asia/Jakarta", holidays={date(2025, 8, 18)})
    assert used == new
    assert hash(used) == hash(new)
    assert repr(used) == repr(new)
    assert "memo" not in repr(used)


def test_a_copy_with_another_holiday_does_not_reuse_the_old_days() -> None:
    """with_holidays after use gives a calendar that sees the new holiday."""
    calendar = WorkCalendar(time_zone="Asia/Jakarta")
    monday = datetime(2025, 8, 11, 9, tzinfo=WIB)
    before = calendar.add(monday, Duration.working_days(5))
    assert before == datetime(2025, 8, 18, 16, tzinfo=WIB)
    later = calendar.with_holidays([date(2025, 8, 18)])
    assert later.add(monday, Duration.working_days(5)) == datetime(2025, 8, 19, 16, tzinfo=WIB)
    assert calendar.add(monday, Duration.working_days(5)) == before


def test_a_copy_with_a_closure_does_not_reuse_the_old_days() -> None:
    """with_closure after use gives a calendar whose open hours leave the closure out."""
    calendar = WorkCalendar(time_zone="Asia/Jakarta")
    day = date(2025, 8, 12)
    assert len(calendar.open_hours(day)) == 1
    closed = calendar.with_closure(
        datetime(2025, 8, 12, 10, tzinfo=WIB), datetime(2025, 8, 12, 11, tzinfo=WIB), reason="drill"
    )
    assert len(closed.open_hours(day)) == 2
    assert len(calendar.open_hours(day)) == 1


def test_the_memo_stays_bounded_over_decades() -> None:
    """Walking far more days than the memo holds keeps it bounded and the answers right."""
    calendar = WorkCalendar(time_zone="Asia/Jakarta", work_week=(1, 2, 3, 4, 5, 6, 7))
    start = datetime(2000, 1, 1, 8, tzinfo=WIB)
    days = MEMO_DAYS + 500
    end = calendar.add(start, Duration.working_days(days))
    assert end == datetime.combine(
        start.date() + timedelta(days=days), calendar.day_end, tzinfo=WIB
    )
    memo = calendar_module._RULERS[calendar]
    assert len(memo._days) <= MEMO_DAYS
    assert len(memo._following) <= MEMO_DAYS


def test_a_used_calendar_pickles_to_an_equal_one() -> None:
    """A calendar that has answered questions survives pickling equal and still answers."""
    calendar = WorkCalendar(time_zone="Asia/Jakarta")
    monday = datetime(2025, 8, 11, 9, tzinfo=WIB)
    due = calendar.add(monday, Duration.working_days(5))
    copy = pickle.loads(pickle.dumps(calendar))  # noqa: S301 - our own bytes
    assert copy == calendar
    assert copy.add(monday, Duration.working_days(5)) == due
    assert copy.add(monday.astimezone(UTC), Duration.working_days(5)) == due


def test_a_used_calendar_carries_no_memo_in_its_fields() -> None:
    """attrs.asdict and a pickle of a used calendar hold its fields only, as a new one's do."""
    used = WorkCalendar(time_zone="Asia/Jakarta")
    used.add(datetime(2025, 8, 11, 9, tzinfo=WIB), Duration.working_days(60))
    new = WorkCalendar(time_zone="Asia/Jakarta")
    assert attrs.asdict(used) == attrs.asdict(new)
    assert [field.name for field in attrs.fields(WorkCalendar)] == [
        "time_zone",
        "work_week",
        "day_start",
        "day_end",
        "holidays",
        "closures",
        "name",
        "hours",
        "counting",
        "holiday_years",
    ]
    assert len(pickle.dumps(used)) == len(pickle.dumps(new))


def test_equal_calendars_share_one_memo_that_goes_with_them() -> None:
    """Two equal calendars use one memo, which is dropped once neither is left."""
    first = WorkCalendar(time_zone="Asia/Makassar", name="memo-test")
    second = WorkCalendar(time_zone="Asia/Makassar", name="memo-test")
    assert first not in calendar_module._RULERS
    first.add(datetime(2025, 8, 11, 9, tzinfo=WIB), Duration.working_days(5))
    second.add(datetime(2025, 8, 11, 9, tzinfo=WIB), Duration.working_days(5))
    assert calendar_module._RULERS[first] is calendar_module._RULERS[second]
    del first, second
    gc.collect()
    assert WorkCalendar(time_zone="Asia/Makassar", name="memo-test") not in calendar_module._RULERS
