"""A declared calendar counts only in the years whose holidays it lists, and says so otherwise.

The `holidays` package lists no holidays after 2100, nor before a country's first year
(Cambodia's is 1993).  A calendar resolved by `calendar_versions` knows the years it
lists (`WorkCalendar.holiday_years`); a count that needs a day of another year raises
`DateOutOfRange` (an `InvalidCalendar`) naming them, as ``onestop calendar show``
refuses such a year, rather than count it as a year without holidays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from onestop import calendar_versions, load_catalogue
from onestop.calendars import counted_years
from onestop.domain.applications.events import DeadlineRecounted
from onestop.domain.common.values import Duration
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import DateOutOfRange, InvalidCalendar
from onestop.usecases.applications.codec import decode_event, encode_event

EXAMPLES = Path(__file__).parents[2] / "examples"
WIB = ZoneInfo("Asia/Jakarta")
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")


def _jakarta(years: range) -> WorkCalendar:
    versions = calendar_versions(load_catalogue(EXAMPLES / "jakarta"), years=years)
    return versions[-1].calendar


def test_the_years_listed_are_those_asked_that_the_package_covers() -> None:
    """Asked for 2098 to 2104, the calendar lists 2098 to 2100: the package stops there."""
    assert _jakarta(range(2098, 2105)).holiday_years == (2098, 2100)


def test_a_deadline_that_runs_past_the_years_listed_is_refused_naming_them() -> None:
    """Five working days from 28 December 2100 need 2101: refused, not counted holiday-free."""
    calendar = _jakarta(range(2098, 2105))
    with pytest.raises(DateOutOfRange, match=r"holidays of 2098 to 2100 only") as refused:
        calendar.add(datetime(2100, 12, 28, 10, tzinfo=WIB), Duration.working_days(5))
    assert isinstance(refused.value, InvalidCalendar)
    assert refused.value.field == "holiday_years"


def test_a_deadline_inside_the_years_listed_is_counted() -> None:
    """A deadline in 2100 is counted as before, on the days the calendar lists."""
    calendar = _jakarta(range(2098, 2105))
    start = datetime(2100, 12, 1, 10, tzinfo=WIB)
    unbounded = attrs.evolve(calendar, holiday_years=None)
    due = calendar.add(start, Duration.working_days(5))
    assert due == unbounded.add(start, Duration.working_days(5))
    assert due.year == 2100


def test_working_time_across_the_years_listed_is_refused() -> None:
    """The SLA clock's working time between two instants needs every day between them."""
    calendar = _jakarta(range(2024, 2027))
    with pytest.raises(DateOutOfRange, match=r"2024 to 2026"):
        calendar.working_time_between(
            datetime(2026, 12, 30, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)
        )


def test_a_year_before_the_countrys_first_is_refused_too() -> None:
    """Cambodia's holidays start in 1993: a count that needs a day of 1992 is refused."""
    versions = calendar_versions(load_catalogue(EXAMPLES / "cambodia"), years=range(1990, 1996))
    calendar = versions[0].calendar
    assert calendar.holiday_years == (1993, 1995)
    with pytest.raises(DateOutOfRange, match=r"1992-12-31"):
        calendar.add(datetime(1992, 12, 31, 10, tzinfo=PHNOM_PENH), Duration.working_hours(2))
    with pytest.raises(DateOutOfRange, match=r"1993 to 1995 only"):
        calendar.is_working_day(date(1992, 12, 31))
    calendar.add(datetime(1993, 1, 5, 10, tzinfo=PHNOM_PENH), Duration.working_hours(2))


def test_years_the_package_lists_nothing_for_are_refused_naming_those_it_covers() -> None:
    """Asked only for 2101 to 2103, calendar_versions refuses, naming 1946 to 2100 for ID."""
    catalogue = load_catalogue(EXAMPLES / "jakarta")
    with pytest.raises(InvalidCalendar, match=r"ID holidays from 1946 to 2100 only, not in 2101"):
        calendar_versions(catalogue, years=range(2101, 2104))


def test_the_command_lines_years_near_2100_still_resolve() -> None:
    """`counted_years` around 2099 runs to 2101; the calendar lists up to 2100."""
    catalogue = load_catalogue(EXAMPLES / "jakarta")
    years = counted_years(catalogue, around=2099)
    assert years[-1] == 2101
    versions = calendar_versions(catalogue, years=years)
    assert {v.calendar.holiday_years for v in versions} == {(years[0], 2100)}


def test_a_gap_in_the_years_asked_is_read_too() -> None:
    """Asked for 2024 and 2026, 2025's holidays are read as well (the years are a span)."""
    calendar = _jakarta(range(2024, 2027, 2))
    assert calendar.holiday_years == (2024, 2026)
    assert not calendar.is_working_day(date(2025, 8, 18))  # cuti bersama, Independence Day


def test_a_calendar_built_in_python_counts_any_year_as_before() -> None:
    """Without holiday_years (calendar_for, or built by hand) every year is counted."""
    calendar = WorkCalendar(time_zone="Asia/Jakarta")
    assert calendar.holiday_years is None
    due = calendar.add(datetime(2200, 12, 30, 10, tzinfo=WIB), Duration.working_days(5))
    assert due.year == 2201


def test_a_year_the_calendar_does_not_list_says_to_pass_years_covering_it() -> None:
    """A count needing 2026 from a calendar of 2025 says to build it with years= covering 2026."""
    calendar = _jakarta(range(2025, 2026))
    with pytest.raises(DateOutOfRange, match=r"years= covering 2026 too"):
        calendar.add(datetime(2025, 12, 30, 10, tzinfo=WIB), Duration.working_days(5))


@pytest.mark.parametrize(
    "value", [(2025,), (2026, 2025), ("2024", 2025), (True, 2025), (0, 2025), 2025, [2024, None]]
)
def test_malformed_holiday_years_are_refused_naming_the_field(value: object) -> None:
    """Anything but None or two years in order is an InvalidCalendar naming the field."""
    with pytest.raises(InvalidCalendar) as refused:
        WorkCalendar(time_zone="Asia/Jakarta", holiday_years=value)  # type: ignore[arg-type]
    assert refused.value.field == "holiday_years"


def test_the_years_listed_survive_a_recorded_recount() -> None:
    """A deadline_recounted event keeps its calendar's holiday_years through the store codec."""
    calendar = _jakarta(range(2024, 2028))
    at = datetime(2025, 7, 15, 10, tzinfo=WIB)
    event = DeadlineRecounted(
        scope="*",
        version=2,
        calendar=calendar,
        due_before=at,
        due_after=at + timedelta(days=1),
        actor="ops-1",
        at=at,
    )
    decoded = decode_event("app-1", "deadline_recounted", encode_event("app-1", event))
    assert isinstance(decoded, DeadlineRecounted)
    assert decoded.calendar.holiday_years == (2024, 2027)
    assert decoded.calendar == calendar


def test_an_event_recorded_before_holiday_years_reads_back_without_them() -> None:
    """A stream written by an earlier release (no holiday_years key) decodes to None."""
    calendar = attrs.evolve(_jakarta(range(2024, 2028)), holiday_years=None)
    at = datetime(2025, 7, 15, 10, tzinfo=WIB)
    event = DeadlineRecounted(
        scope="*", version=2, calendar=calendar, due_before=at, due_after=at, actor="o", at=at
    )
    body = encode_event("app-1", event).replace(b', "holiday_years": null', b"")
    assert b"holiday_years" not in body
    decoded = decode_event("app-1", "deadline_recounted", body)
    assert isinstance(decoded, DeadlineRecounted)
    assert decoded.calendar.holiday_years is None
