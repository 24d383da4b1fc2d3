"""A declared closure the catalogue accepts is one every mall can count on."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_versions
from onestop.exceptions import InvalidCatalogue, Problem
from onestop.usecases.catalogue.loading import catalogue_from_data

TUTORIAL = Path(__file__).parent.parent.parent / "examples" / "tutorial" / "mall.toml"
BASE = tomllib.loads(TUTORIAL.read_text(encoding="utf-8"))
ZONES = ["Asia/Makassar", "Pacific/Kiritimati", "Etc/GMT+12", "America/St_Johns"]
# A closure is local wall-clock time: naive on purpose.
FIRST = datetime(1, 1, 1)  # noqa: DTZ001
LAST = datetime(9999, 12, 31, 8)  # noqa: DTZ001


def _with_closure(zone: str, start: datetime, until: datetime) -> dict[str, object]:
    calendar = {
        "version": 1,
        "effective_from": date(2024, 1, 1),
        "time_zone": zone,
        "country": "ID",
        "closures": [{"from": start, "until": until, "reason": "works"}],
    }
    return BASE | {"calendars": [calendar]}


def _problems_or_resolved(zone: str, start: datetime, until: datetime) -> tuple[Problem, ...]:
    """The catalogue's problems; if it has none, its calendars are resolved (or raise)."""
    try:
        catalogue = catalogue_from_data(_with_closure(zone, start, until), source="t.toml")
    except InvalidCatalogue as caught:
        return caught.problems
    calendar_versions(catalogue, years=range(2024, 2026))
    return ()


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), start=st.datetimes(), hours=st.integers(1, 48))
@example(zone="Asia/Makassar", start=FIRST, hours=12)
@example(zone="Etc/GMT+12", start=LAST, hours=1)
def test_a_closure_the_catalogue_accepts_resolves_in_its_zone(
    zone: str, start: datetime, hours: int
) -> None:
    """A closure span is either a problem at calendars[0].closures[0] when the catalogue
    is loaded (as validate reports it), or resolves, as serve and the demo resolve it."""
    room = datetime.max - start  # noqa: DTZ901 - wall-clock time, as the file gives it
    until = start + min(timedelta(hours=hours), room)
    if until == start:
        return
    problems = _problems_or_resolved(zone, start, until)
    assert all(p.path.startswith("calendars[0].closures[0]") for p in problems)
