"""The ``onestop calendar`` commands: show a catalogue's work calendar, recount deadlines.

``calendar show CATALOGUE --year YYYY`` prints the time zone, the opening hours, how
day-counted limits count, and every non-working day of the year with its reason: the
public holidays of the declared country and categories (the names the `holidays`
package gives them) and the declared whole-day closures, less the declared working
days.  Weekends are not listed (the opening hours say which days are worked); a public
holiday that falls on a weekend is.  Part-day closures are listed apart.  With
``--agency CODE``, the calendar of that agency (its own declarations, else its
parent's, ..., else the mall's), in the agency's time zone.

With ``--json`` it prints one object::

    {"catalogue": "...", "agency": null, "year": 2025, "time_zone": "Asia/Jakarta",
     "hours": {"mon": ["08:00-16:00"], ...}, "counting": {"receipt_day": "excluded"},
     "non_working_days": [{"date": "2025-01-01", "reason": "..."}, ...],
     "closures": [{"from": "...", "until": "...", "reason": "..."}]}

``hours`` lists the days worked only.  Exit codes are the command line's: 1 when the
catalogue is invalid, 2 for an unknown agency, a year out of range or a catalogue
without ``[[calendars]]``.

``calendar recount CATALOGUE --store URL --actor ID`` moves the open applications of the
store onto the calendar versions in force today (`onestop.usecases.mall.Mall.recount_deadlines`),
one recorded event per application whose due date moves; run it the day a version takes
effect and after upgrading the ``holidays`` package.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import click

from onestop.cli._common import (
    EXIT_USAGE,
    NO_CALENDAR,
    FilePath,
    Whole,
    emit_json,
    fail,
    json_option,
    key_option,
    load,
    naming_catalogue,
    open_mall,
    store_option,
)
from onestop.domain.common.formats import preview
from onestop.domain.time.hours import DAY_NAMES

__all__ = ["calendar"]


@click.group()
def calendar() -> None:
    """Show the work calendars a catalogue declares; move deadlines when they change."""


def _span(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def _shown(catalogue: Any, agency: str | None, year: int) -> dict[str, Any]:
    """The calendar of *agency* (the mall's if ``None``) for *year*, as JSON-ready values."""
    from onestop.calendars import calendar_versions, non_working_days
    from onestop.domain.catalogue.calendars import merged
    from onestop.domain.time.versions import in_force
    from onestop.exceptions import ConfigurationError

    lineage = () if agency is None else catalogue.lineage(agency)
    last = date(year, 12, 31)
    declared = merged(catalogue.calendars, lineage, last)
    if declared is None:
        first = merged(catalogue.calendars, lineage, date.max)
        if first is None:
            raise ConfigurationError(NO_CALENDAR)
        starts = sorted(c.effective_from for c in catalogue.calendars)
        raise ConfigurationError(
            f"no calendar is in force in {year}: the first takes effect on {starts[0].isoformat()}"
        )
    zone = catalogue.agency(agency).time_zone if agency else declared.time_zone
    # The hours as counted: those of the version resolved for the year's last day.
    version = in_force(calendar_versions(catalogue, years=[year]), lineage, last)
    if version is None:  # pragma: no cover - merged found a declaration in force above
        raise ConfigurationError(NO_CALENDAR)
    counted = version.calendar
    if counted.hours is not None:
        week = counted.hours.days
    else:
        week = tuple(
            ((counted.day_start, counted.day_end),) if day in counted.work_week else ()
            for day in range(1, 8)
        )
    shown = enumerate(week)
    hours = {DAY_NAMES[i]: [_span(*span) for span in spans] for i, spans in shown if spans}
    counting = declared.counting
    return {
        "catalogue": None,
        "agency": agency,
        "year": year,
        "time_zone": zone,
        "country": declared.country,
        "subdivision": declared.subdivision,
        "categories": list(declared.categories or ("public",)),
        "hours": hours,
        "counting": {
            "receipt_day": counting.receipt_day if counting else "excluded",
            "hours_up_to_days": counting.hours_up_to_days if counting else None,
            "hours_per_day": counting.hours_per_day if counting else None,
        },
        "non_working_days": [
            {"date": day.isoformat(), "reason": reason}
            for day, reason in non_working_days(catalogue, year=year, agency=agency)
        ],
        "closures": [
            {"from": c.start.isoformat(), "until": c.until.isoformat(), "reason": c.reason}
            for c in declared.closures
            if c.start is not None and c.until is not None and c.start.year <= year <= c.until.year
        ],
    }


@calendar.command("show")
@click.argument("catalogue_path", metavar="CATALOGUE", type=FilePath())
@click.option("--agency", help="The agency whose calendar to show (default: the mall's).")
@click.option(
    "--year",
    required=True,
    type=Whole(1901, 2199),
    help="The year whose non-working days to list.",
)
@json_option
def show(catalogue_path: str, agency: str | None, year: int, as_json: bool) -> None:
    """Show the time zone, opening hours and non-working days of CATALOGUE's calendar."""
    from onestop.exceptions import AgencyNotFound, OnestopError

    catalogue = load((catalogue_path,), as_json=as_json)
    if not catalogue.calendars:
        fail(NO_CALENDAR, code=EXIT_USAGE, as_json=as_json)
    if agency is not None:
        try:
            catalogue.agency(agency)
        except AgencyNotFound:
            known = ", ".join(a.code for a in catalogue.agencies)
            fail(
                f"--agency: no agency {agency!r}; known: {known}", code=EXIT_USAGE, as_json=as_json
            )
    try:
        found = _shown(catalogue, agency, year)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    found["catalogue"] = catalogue_path
    if as_json:
        emit_json(found)
        return
    title = f"agency {agency}" if agency else "the mall"
    click.echo(f"Calendar of {title}, {year} ({catalogue_path})")
    click.echo(f"Time zone: {found['time_zone']}")
    where = found["country"] + (f"-{found['subdivision']}" if found["subdivision"] else "")
    click.echo(f"Holidays: {where}, categories {', '.join(found['categories'])}")
    click.echo("Opening hours:")
    for day in DAY_NAMES:
        click.echo(f"  {day}  {', '.join(found['hours'].get(day, [])) or 'closed'}")
    counting = found["counting"]
    click.echo(
        f"Day of receipt: {counting['receipt_day']}"
        + (
            f"; limits of up to {counting['hours_up_to_days']} days counted in hours"
            if counting["hours_up_to_days"]
            else ""
        )
    )
    click.echo(f"Non-working days ({len(found['non_working_days'])}; weekends not listed):")
    for item in found["non_working_days"]:
        weekday = datetime.fromisoformat(item["date"]).strftime("%a")
        click.echo(f"  {item['date']} {weekday}  {item['reason']}")
    if found["closures"]:
        click.echo("Part-day closures:")
        for item in found["closures"]:
            click.echo(f"  {item['from']} - {item['until']}  {item['reason']}")


@calendar.command("recount")
@click.argument("catalogue_path", metavar="CATALOGUE", type=FilePath())
@store_option
@click.option(
    "--actor",
    "actor_id",
    required=True,
    help="Who recounts (an operator's id): recorded on every event it writes.",
)
@click.option("--agency", help="Only this agency and those under it (default: all).")
@key_option
@json_option
def recount(
    catalogue_path: str,
    store_url: str,
    actor_id: str,
    agency: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Move open applications onto the calendar versions CATALOGUE declares, as of now.

    Run it on the day a new calendar version takes effect, and after upgrading the
    ``holidays`` package: each open application whose due date moves gets one
    recorded ``deadline_recounted`` event (Mall.recount_deadlines), so the worklist,
    tracking and the SLA report agree again.  Running it twice moves nothing more.
    """
    from onestop.domain.common.actors import Actor
    from onestop.exceptions import AgencyNotFound, InvalidValue, OnestopError

    try:
        actor = Actor(id=actor_id, roles=frozenset())
    except InvalidValue as exc:
        fail(f"--actor: {exc.reason}", code=EXIT_USAGE, as_json=as_json)
    mall = open_mall(catalogue_path, store_url, key_file=key_file, as_json=as_json)
    try:
        if agency is not None:
            try:
                mall.catalogue.agency(agency)
            except AgencyNotFound:
                said = f"--agency: no agency {preview(agency)} in {preview(catalogue_path)}"
                fail(said, code=EXIT_USAGE, as_json=as_json)
        with naming_catalogue(catalogue_path):
            moved = mall.recount_deadlines(mall.calendar_versions, actor=actor, agency=agency)
    except OnestopError as exc:
        fail(f"{type(exc).__name__}: {exc}", code=EXIT_USAGE, as_json=as_json)
    finally:
        mall.store.close()
    if as_json:
        emit_json({"catalogue": catalogue_path, "moved": list(moved), "count": len(moved)})
        return
    click.echo(f"moved {len(moved)} application(s) onto the calendar in force")
    for application_id in moved:
        click.echo(f"  {application_id}")
