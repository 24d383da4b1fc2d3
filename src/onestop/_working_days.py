"""The catalogue check of ``working_days``: each must open a day the calendar closes.

A calendar's ``working_days`` lists days on which the offices work although a listed
holiday (or a closure of the whole day) falls on them; they open nothing else.  A date
that is neither (a day already worked, or a weekend day a government makes a working
day, which this key cannot do) would be accepted and silently ignored, so
`onestop.calendars.check_calendar_sources` reports it with `stray_working_days`.
"""

from __future__ import annotations

from onestop.domain.catalogue.calendars import merged
from onestop.domain.catalogue.model import Catalogue
from onestop.exceptions import Problem

__all__ = ["stray_working_days"]


def stray_working_days(catalogue: Catalogue, /) -> list[Problem]:
    """A problem for each ``working_days`` date no holiday or whole-day closure falls on.

    Only declarations whose country the ``holidays`` package knows are checked (the
    others are reported already); a date no declaration is in force on is left alone.
    """
    import holidays  # noqa: PLC0415 - an adapter's dependency, loaded when used

    from onestop.calendars import _table  # noqa: PLC0415 - it imports this module

    supported = holidays.list_supported_countries()
    codes = {agency.code for agency in catalogue.agencies}
    problems: list[Problem] = []
    for i, declaration in enumerate(catalogue.calendars):
        agency = declaration.agency
        lineage = () if agency is None else catalogue.lineage(agency) if agency in codes else ()
        for j, working in enumerate(declaration.working_days):
            whole = merged(catalogue.calendars, lineage, working.date)
            if whole is None or whole.country not in supported:
                continue
            closed = {closure.date for closure in whole.closures if closure.date is not None}
            try:
                holiday = working.date in _table(whole, (working.date.year,))
            except (KeyError, NotImplementedError, ValueError):  # reported elsewhere
                continue
            if not holiday and working.date not in closed:
                problems.append(
                    Problem(
                        path=f"calendars[{i}].working_days[{j}].date",
                        message=f"{working.date.isoformat()} is no holiday or closed day of "
                        "this calendar: working_days only opens those (a weekend day cannot "
                        "be made a working day this way)",
                    )
                )
    return problems
