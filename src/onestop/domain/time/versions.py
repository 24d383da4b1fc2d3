"""Published, effective-dated versions of work calendars, and which one is in force.

A government changes its calendar in the middle of a year: a joint leave day is
decreed, a regional holiday is moved, an office starts opening on Saturday mornings.
Like a service, a calendar is therefore published in *versions*: each `CalendarVersion`
is a whole `WorkCalendar` for one *scope* (``"*"`` for the whole mall, or an agency's
code, which covers that agency and every agency below it without its own), in force
from its `CalendarVersion.effective_from` day until the next version of the same scope.

`in_force` answers which version applies to an agency on a day, walking up the agency
tree the way `onestop.usecases.mall.Mall.calendar` does: the agency's own versions
first, then its parent's, ..., then the mall's (``"*"``).

The reasons a day is closed (``"Eid al-Fitr"``, ``"cuti bersama"``) travel with the
version in `CalendarVersion.reasons`, so that a calendar can be shown to people and
not only counted on.

>>> from datetime import date
>>> first = CalendarVersion(
...     version=1, effective_from=date(2025, 1, 1),
...     calendar=WorkCalendar(time_zone="Asia/Jakarta"),
... )
>>> decree = CalendarVersion(
...     version=2, effective_from=date(2025, 6, 2),
...     calendar=WorkCalendar(time_zone="Asia/Jakarta", holidays=[date(2025, 12, 26)]),
...     reasons=[(date(2025, 12, 26), "cuti bersama")],
... )
>>> in_force([first, decree], [], date(2025, 6, 1)).version
1
>>> in_force([first, decree], [], date(2025, 6, 2)).version
2
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from onestop.domain.common.formats import MAX_NAME, kind_of, preview, text_problem
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import InvalidCalendar

__all__ = ["MALL_SCOPE", "CalendarVersion", "in_force"]

MALL_SCOPE = "*"
"""The scope of a calendar that covers the whole mall."""


def _check_scope(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidCalendar(field=attribute.name, reason=f"expected text, not {kind_of(value)}")
    problem = text_problem(value, max_length=MAX_NAME)
    if problem is not None or not value:
        raise InvalidCalendar(
            field=attribute.name,
            reason=f"{preview(value)} is not '*' or an agency code ({problem or 'empty'})",
        )


def _check_version(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise InvalidCalendar(
            field=attribute.name, reason=f"{preview(value)} is not a version number from 1"
        )


def _check_day(_: object, attribute: attrs.Attribute[date], value: object) -> None:
    if not isinstance(value, date) or type(value) is not date:
        raise InvalidCalendar(
            field=attribute.name, reason=f"expected a date without a time, not {kind_of(value)}"
        )


def _check_calendar(_: object, attribute: attrs.Attribute[WorkCalendar], value: object) -> None:
    if not isinstance(value, WorkCalendar):
        raise InvalidCalendar(
            field=attribute.name, reason=f"expected a WorkCalendar, not {kind_of(value)}"
        )


def _to_reasons(value: object) -> tuple[tuple[date, str], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidCalendar(
            field="reasons", reason=f"expected (date, reason) pairs, not {kind_of(value)}"
        )
    found: dict[date, str] = {}
    for item in value:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise InvalidCalendar(
                field="reasons", reason=f"{preview(item)} is not a (date, reason) pair"
            )
        day, reason = item
        if type(day) is not date:
            raise InvalidCalendar(field="reasons", reason=f"{preview(day)} is not a date")
        if not isinstance(reason, str) or text_problem(reason, max_length=MAX_NAME) or not reason:
            raise InvalidCalendar(
                field="reasons", reason=f"the reason for {day.isoformat()} is not one line of text"
            )
        found[day] = f"{found[day]}; {reason}" if day in found and found[day] != reason else reason
    return tuple(sorted(found.items()))


@attrs.frozen(kw_only=True, cache_hash=True)
class CalendarVersion:
    """One published version of a work calendar, in force from a day.

    Attributes:
        scope: ``"*"`` (`MALL_SCOPE`) for the whole mall, or the code of the agency it
            covers (with the agencies below it that have no calendar of their own).
        version: The version number, from 1, increasing within a scope.
        effective_from: The first day (in the calendar's zone) the version is in force.
        calendar: The whole calendar of that version.
        reasons: Why each listed day is not worked, as ``(day, reason)`` pairs sorted
            by day (two reasons for one day are joined with ``"; "``).
    """

    scope: str = attrs.field(default=MALL_SCOPE, validator=_check_scope)
    version: int = attrs.field(validator=_check_version)
    effective_from: date = attrs.field(validator=_check_day)
    calendar: WorkCalendar = attrs.field(validator=_check_calendar)
    reasons: tuple[tuple[date, str], ...] = attrs.field(default=(), converter=_to_reasons)

    def reason(self, day: date, /) -> str | None:
        """Why *day* is listed as not worked, or ``None`` if it is not listed."""
        for listed, reason in self.reasons:
            if listed == day:
                return reason
        return None


def in_force(
    versions: Sequence[CalendarVersion], lineage: Sequence[str], day: date, /
) -> CalendarVersion | None:
    """The version in force on *day* for an agency, or ``None`` if none is.

    Args:
        versions: Every published version, of every scope, in any order.
        lineage: The agency's code, then its parent's, ... up to the root (empty for
            the mall itself); ``"*"`` is tried after them.
        day: The day asked about.

    The first scope along *lineage* (then ``"*"``) that has a version in force on *day*
    wins; within a scope, the version with the latest `CalendarVersion.effective_from`
    not after *day* (the highest number on a tie).

    Raises:
        InvalidCalendar: If *versions* holds something that is not a `CalendarVersion`,
            or *day* is not a date.
    """
    if type(day) is not date:
        raise InvalidCalendar(field="day", reason=f"expected a date, not {kind_of(day)}")
    for item in versions:
        if not isinstance(item, CalendarVersion):
            raise InvalidCalendar(
                field="versions", reason=f"expected CalendarVersion values, not {kind_of(item)}"
            )
    for scope in (*lineage, MALL_SCOPE):
        candidates = [v for v in versions if v.scope == scope and v.effective_from <= day]
        if candidates:
            return max(candidates, key=lambda v: (v.effective_from, v.version))
    return None
