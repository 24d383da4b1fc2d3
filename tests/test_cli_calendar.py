"""The catalogue's calendars on the command line: ``calendar show``, and one due date everywhere."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import holidays
import pytest
from click.testing import CliRunner

from onestop import Mall, calendar_versions, load_catalogue
from onestop.cli import cli
from onestop.cli.demo._store import every_summary
from onestop.domain.workflow.guards import default_guards
from onestop.storage import from_url

ROOT = Path(__file__).parent.parent
COUNTRIES = ("jakarta", "korea", "cambodia", "egypt")
YEARS = range(2024, 2031)


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _show(path: Path, year: int, *more: str) -> dict[str, object]:
    code, out = _invoke("calendar", "show", str(path), "--year", str(year), "--json", *more)
    assert code == 0, out
    found: dict[str, object] = json.loads(out)
    return found


@pytest.mark.parametrize("country", COUNTRIES)
def test_calendar_show_lists_every_holiday_and_closure_of_each_example(country: str) -> None:
    """Each year from 2024 to 2030 lists every holiday of the package, plus the closures."""
    catalogue = load_catalogue(ROOT / "examples" / country, known_guards=default_guards().names())
    (mall,) = [c for c in catalogue.calendars if c.agency is None]
    own = sorted({c.agency for c in catalogue.calendars if c.agency not in (None, "*")})
    for year in YEARS:
        table = holidays.country_holidays(
            mall.country, subdiv=mall.subdivision, years=year, categories=mall.categories
        )
        assert len(table) >= 5, f"{country} {year}: too few holidays to check"
        for agency in (None, *own):  # the mall, and each agency with a calendar of its own
            more = () if agency is None else ("--agency", agency)
            shown = _show(ROOT / "examples" / country, year, *more)
            days = shown["non_working_days"]
            listed = {item["date"] for item in days}  # type: ignore[attr-defined]
            assert all(item["reason"] for item in days)  # type: ignore[attr-defined]
            scoped = [c for c in catalogue.calendars if c.agency in (None, "*", agency)]
            closures = {
                c.date.isoformat()
                for declared in scoped
                for c in declared.closures
                if c.date is not None and c.date.year == year
            }
            assert {day.isoformat() for day in table} | closures <= listed
            if agency is None:
                assert shown["time_zone"] == mall.time_zone


def test_calendar_show_gives_closures_working_days_and_agency_hours(tmp_path: Path) -> None:
    """A closure is listed with its reason, a working day is not; an agency has its own hours."""
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(_MALL, encoding="utf-8")
    shown = _show(catalogue, 2025)
    days = {item["date"]: item["reason"] for item in shown["non_working_days"]}  # type: ignore[attr-defined]
    assert days["2025-12-24"] == "Company retreat"
    assert "2025-12-25" not in days  # declared a working day
    assert days["2025-01-01"]
    agency = _show(catalogue, 2025, "--agency", "branch")
    assert agency["time_zone"] == "America/New_York"
    assert agency["hours"]["sat"] == ["09:00-12:00"]  # type: ignore[index]
    assert agency["hours"]["mon"] == ["09:00-12:00", "13:00-17:00"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--agency", "nowhere"), "no agency 'nowhere'"),
        (("--year", "1800"), "--year"),
    ],
)
def test_calendar_show_refuses_an_unknown_agency_or_year(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    """An unknown agency or a year out of range is a usage error (exit 2)."""
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(_MALL, encoding="utf-8")
    base = ["calendar", "show", str(catalogue)]
    if "--year" not in args:
        base += ["--year", "2025"]
    result = CliRunner().invoke(cli, [*base, *args])
    assert result.exit_code == 2
    assert words in result.output


@pytest.mark.parametrize(
    ("year", "words"),
    [
        ("1", "1 is not in the range 1901<=x<=2199"),
        ("99999", "99999 is not in the range"),
        ("abc", "'abc' is not a valid integer"),
        ("", "is not a valid integer"),
        ("2020", "no calendar is in force in 2020"),
        ("2150", "lists EG holidays from 1954 to 2100 only, not in 2150"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_calendar_show_refuses_a_hostile_year_with_a_usage_error(
    year: str, words: str, as_json: bool
) -> None:
    """A year that is not a number, out of range, before any calendar or after the years
    the holidays package lists is a usage error naming it, never a traceback or an
    empty (silently wrong) list of holidays."""
    args = ["calendar", "show", str(ROOT / "examples" / "egypt"), "--year", year]
    result = CliRunner().invoke(cli, [*args, "--json"] if as_json else args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_catalogue_without_calendars_is_a_cli_error_naming_the_fix(tmp_path: Path) -> None:
    """Without [[calendars]], calendar show and sla report exit 2 and say how to declare one."""
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(_MALL.split("[[calendars]]", maxsplit=1)[0], encoding="utf-8")
    for args in (
        ["calendar", "show", str(catalogue), "--year", "2025"],
        ["sla", "report", "--catalogue", str(catalogue), "--store", "memory://"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "[[calendars]]" in result.output


def test_an_unknown_country_is_reported_with_the_other_problems(tmp_path: Path) -> None:
    """A country the holidays package does not know is a catalogue problem with its path."""
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(_MALL.replace('country = "US"', 'country = "QQ"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["catalogue", "validate", str(catalogue), "--json"])
    code, out = _invoke("calendar", "show", str(catalogue), "--year", "2025")
    assert code == 1
    assert "calendars[0].country" in out
    assert result.exit_code in (0, 1)


@pytest.mark.parametrize("country", COUNTRIES)
def test_track_sla_report_and_demo_agree_with_the_python_api(tmp_path: Path, country: str) -> None:
    """Every due date of a demo's store is the same from the CLI and from a Python Mall."""
    path = ROOT / "examples" / country
    store_url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    code, out = _invoke(
        "demo", "--catalogue", str(path), "--store", store_url, "--days", "1",
        "--per-day", "12", "--follow-up", "0", "--json",
    )  # fmt: skip
    assert code == 0, out
    summary = json.loads(out)
    at = summary["ended"]
    catalogue = load_catalogue(path, known_guards=default_guards().names())
    store = from_url(store_url)
    try:
        mall = Mall(
            catalogue=catalogue,
            store=store,
            calendar_versions=calendar_versions(catalogue, years=range(2019, 2028)),
        )
        rows = every_summary(store)
        dues = {row.number: mall.deadline(row.stream_id).due for row in rows}
        counted = [row for row in rows if row.due is not None]
        assert len(counted) >= 2, "too few open applications to compare"
        assert all(row.due == dues[row.number] for row in counted)
        report = mall.sla_report(now=datetime.fromisoformat(at))
    finally:
        store.close()
    code, out = _invoke(
        "sla", "report", "--store", store_url, "--catalogue", str(path), "--at", at, "--json"
    )
    assert code == 0, out
    cli_rows = json.loads(out)["rows"]
    names = ("on_time", "late", "open", "overdue", "withdrawn")
    assert [(r["agency"], r["service"], *(r[n] for n in names)) for r in cli_rows] == [
        (r.agency, r.service, *(getattr(r, n) for n in names)) for r in report
    ]
    assert sum(r.overdue for r in report) == summary["overdue"]
    example = summary["tracking_example"]
    code, out = _invoke(
        "track", example["number"], "--secret", example["secret"], "--store", store_url,
        "--catalogue", str(path), "--json",
    )  # fmt: skip
    assert code == 0, out
    tracked = json.loads(out)
    (row,) = [r for r in rows if r.number == example["number"]]
    assert row.due is not None, "the demo's tracking example has no due date to compare"
    assert tracked["due"] == dues[row.number].isoformat()  # type: ignore[union-attr]


def test_the_demo_runs_in_the_catalogues_zone_and_hints_at_the_catalogue(tmp_path: Path) -> None:
    """`demo --catalogue examples/korea` runs in Seoul time and its hints give --catalogue."""
    path = ROOT / "examples" / "korea"
    store_url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    code, out = _invoke(
        "demo", "--catalogue", str(path), "--store", store_url, "--days", "1",
        "--per-day", "5", "--follow-up", "0",
    )  # fmt: skip
    assert code == 0, out
    assert "KST" in out
    assert "onestop track" in out
    assert f"--catalogue {path}" in out
    assert date(2025, 7, 14).strftime("%d %b %Y") in out


_MALL = """
[catalogue]
name = { en = "Test mall" }
languages = ["en"]

[[agencies]]
code = "hq"
name = { en = "Head office" }
kind = "national"
time_zone = "America/Chicago"

[[agencies]]
code = "branch"
name = { en = "Branch" }
kind = "regional"
time_zone = "America/New_York"
parent = "hq"

[[calendars]]
version = 1
effective_from = 2024-01-01
time_zone = "America/Chicago"
country = "US"
[calendars.hours]
mon = ["09:00-12:00", "13:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
[[calendars.closures]]
date = 2025-12-24
reason = "Company retreat"
[[calendars.working_days]]
date = 2025-12-25
reason = "Open on Christmas Day"

[[calendars]]
agency = "branch"
version = 1
effective_from = 2024-01-01
[calendars.hours]
sat = ["09:00-12:00"]
"""


@pytest.mark.parametrize("actor", ["bad\nid", "ok\n", "a\udc80", "x" * 100_000, ""])
def test_calendar_recount_refuses_a_hostile_actor_and_writes_nothing(
    tmp_path: Path, actor: str
) -> None:
    """A line break, a lone surrogate, a huge or empty --actor: a usage error, nothing written."""
    store_url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    code, out = _invoke(
        "calendar", "recount", str(ROOT / "examples" / "korea"), "--store", store_url,
        "--actor", actor,
    )  # fmt: skip
    assert code == 2, out
    assert "--actor: " in out
    store = from_url(store_url)
    try:
        assert list(every_summary(store)) == []
    finally:
        store.close()
