"""The converter that rebuilds stored history fills values in as attrs would."""

from __future__ import annotations

from datetime import date, time

from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.hours import LimitCounting, WeeklyHours
from onestop.serialization import make_converter, restoring


def test_a_restored_value_with_a_cached_hash_hashes_like_the_original() -> None:
    """A calendar (a cache_hash class) rebuilt from stored data hashes and compares equal."""
    calendar = WorkCalendar(
        time_zone="Asia/Seoul",
        hours=WeeklyHours.from_text({"mon": ["09:00-12:00", "13:00-18:00"]}),
        counting=LimitCounting(receipt_day="included"),
        holidays=[date(2025, 10, 3)],
    )
    conv = make_converter()
    conv.register_unstructure_hook(time, time.isoformat)
    back = restoring(make_converter())
    back.register_structure_hook(time, lambda value, _: time.fromisoformat(value))
    restored = back.structure(conv.unstructure(calendar), WorkCalendar)
    assert restored == calendar
    assert hash(restored) == hash(calendar)
    assert {restored: 1}[calendar] == 1
