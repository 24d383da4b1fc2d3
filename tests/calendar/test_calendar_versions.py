"""Effective-dated calendar versions: which one is in force for an agency on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.versions import CalendarVersion, in_force
from onestop.exceptions import InvalidCalendar

JAKARTA = WorkCalendar(time_zone="Asia/Jakarta")


def _version(scope: str, number: int, day: date) -> CalendarVersion:
    return CalendarVersion(scope=scope, version=number, effective_from=day, calendar=JAKARTA)


def test_a_later_version_takes_over_from_its_first_day() -> None:
    """The version in force is the latest one whose first day is not after the day asked."""
    first, second = _version("*", 1, date(2025, 1, 1)), _version("*", 2, date(2025, 6, 2))
    assert in_force([second, first], [], date(2025, 6, 1)) is first
    assert in_force([second, first], [], date(2025, 6, 2)) is second


def test_an_agency_uses_the_nearest_scope_with_a_version_in_force() -> None:
    """An agency's own version wins over its parent's, which wins over the mall's."""
    mall, parent = _version("*", 1, date(2025, 1, 1)), _version("dinas", 1, date(2025, 3, 1))
    assert in_force([mall, parent], ["kantor", "dinas"], date(2025, 3, 1)) is parent
    assert in_force([mall, parent], ["kantor", "dinas"], date(2025, 2, 28)) is mall
    assert in_force([mall, parent], ["other"], date(2025, 3, 1)) is mall


def test_before_every_version_none_is_in_force() -> None:
    """A day before the first version has no calendar in force."""
    assert in_force([_version("*", 1, date(2025, 1, 1))], [], date(2024, 12, 31)) is None


def test_reasons_are_sorted_and_joined_per_day() -> None:
    """Two reasons for one day are kept together, and days come out sorted."""
    version = CalendarVersion(
        version=1,
        effective_from=date(2025, 1, 1),
        calendar=JAKARTA,
        reasons=[
            (date(2025, 3, 31), "Idul Fitri"),
            (date(2025, 1, 1), "New Year"),
            (date(2025, 3, 31), "cuti bersama"),
        ],
    )
    assert version.reasons[0] == (date(2025, 1, 1), "New Year")
    assert version.reason(date(2025, 3, 31)) == "Idul Fitri; cuti bersama"
    assert version.reason(date(2025, 3, 30)) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
        ({"effective_from": datetime(2025, 1, 1, tzinfo=UTC)}, "effective_from"),
        ({"scope": ""}, "scope"),
        ({"scope": "a\nb"}, "scope"),
        ({"calendar": "Asia/Jakarta"}, "calendar"),
        ({"reasons": [(date(2025, 1, 1), "")]}, "reasons"),
        ({"reasons": "New Year"}, "reasons"),
    ],
)
def test_a_malformed_version_is_refused_naming_the_field(changes: dict, field: str) -> None:
    """Each malformed attribute raises InvalidCalendar naming it."""
    arguments = {"version": 1, "effective_from": date(2025, 1, 1), "calendar": JAKARTA}
    with pytest.raises(InvalidCalendar) as caught:
        CalendarVersion(**(arguments | changes))
    assert caught.value.field == field


@given(st.lists(st.tuples(st.integers(1, 9), st.dates()), max_size=8), st.dates())
def test_the_version_in_force_never_starts_after_the_day(pairs: list, day: date) -> None:
    """Whatever the versions, the one in force started on or before the day, and is the latest."""
    versions = [_version("*", number, start) for number, start in pairs]
    found = in_force(versions, [], day)
    started = [v for v in versions if v.effective_from <= day]
    if not started:
        assert found is None
    else:
        assert found is not None
        assert found.effective_from <= day
        assert found.effective_from == max(v.effective_from for v in started)
