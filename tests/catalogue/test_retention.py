"""Retention as catalogue data: keep periods, the ``[retention]`` table, its checks and samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.catalogue.checks import check_catalogue
from onestop.domain.catalogue.retention import (
    MAX_RETENTION,
    CalendarUnit,
    Retention,
    RetentionPeriod,
)
from onestop.exceptions import InvalidCatalogue, InvalidValue, NaiveDatetime
from onestop.usecases.catalogue.loading import catalogue_from_data, dump_catalogue, load_catalogue

JAKARTA = Path(__file__).parents[2] / "examples" / "jakarta"
_CATALOGUE = load_catalogue(JAKARTA)

periods = st.builds(
    RetentionPeriod,
    st.integers(min_value=0, max_value=MAX_RETENTION),
    st.sampled_from(CalendarUnit),
)
instants = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - made aware by timezones=
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30 days", 30, CalendarUnit.DAYS),
        ("1 day", 1, CalendarUnit.DAYS),
        ("6 months", 6, CalendarUnit.MONTHS),
        ("1 month", 1, CalendarUnit.MONTHS),
        (" 5  years ", 5, CalendarUnit.YEARS),
        ("0 days", 0, CalendarUnit.DAYS),
    ],
)
def test_a_keep_period_parses_from_calendar_words(
    text: str, amount: int, unit: CalendarUnit
) -> None:
    """Days, months and years, singular or plural, parse to their amount and unit."""
    assert RetentionPeriod.parse(text) == RetentionPeriod(amount, unit)


@given(periods)
def test_a_keep_period_reads_back_from_its_text(period: RetentionPeriod) -> None:
    """Every keep period's text parses back to it."""
    assert RetentionPeriod.parse(str(period)) == period


@pytest.mark.parametrize("text", ["5 working days", "8 working hours", "10 Working Days"])
def test_working_time_is_refused_with_the_reason(text: str) -> None:
    """A keep period in working time is refused, saying retention counts calendar time."""
    with pytest.raises(InvalidValue, match="calendar days, months or years, not in working time"):
        RetentionPeriod.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5",
        "years",
        "-1 years",
        "10000 years",
        "\uff15 years",
        "5 decades",
        "P5Y",
        "5 years\x00",
    ],
)
def test_a_malformed_keep_period_is_refused(text: str) -> None:
    """Text that is no keep period, or above the maximum, raises InvalidValue."""
    with pytest.raises(InvalidValue, match="keep_after_closing"):
        RetentionPeriod.parse(text)


@pytest.mark.parametrize("value", [None, 5, b"5 years", ["5 years"], 5.0])
def test_a_keep_period_that_is_not_text_is_refused(value: Any) -> None:
    """Parsing something that is not text raises InvalidValue, not a TypeError."""
    with pytest.raises(InvalidValue):
        RetentionPeriod.parse(value)


@given(periods, instants)
def test_a_keep_period_ends_after_it_starts_or_never(
    period: RetentionPeriod, start: datetime
) -> None:
    """The end is never before the start; days add exactly; past the year 9999 it is None."""
    end = period.end(start)
    if end is None:
        assert period.amount > 0
        return
    assert end >= start
    assert end.time() == start.time()
    if period.unit is CalendarUnit.DAYS:
        assert end - start == timedelta(days=period.amount)
    else:
        assert end.day <= start.day


def test_one_year_after_a_leap_day_is_the_last_of_february() -> None:
    """One year after 29 February 2024 ends on 28 February 2025, at the same time of day."""
    start = datetime(2024, 2, 29, 10, 30, tzinfo=UTC)
    assert RetentionPeriod.parse("1 year").end(start) == datetime(2025, 2, 28, 10, 30, tzinfo=UTC)
    assert RetentionPeriod.parse("4 years").end(start) == datetime(2028, 2, 29, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["9999 years", "1 year", "1 month", "1 day"])
def test_a_period_that_ends_past_the_year_9999_never_ends(text: str) -> None:
    """A keep period reaching past 9999-12-31 gives None, not an OverflowError."""
    start = datetime(9999, 12, 31, 12, tzinfo=UTC)
    assert RetentionPeriod.parse(text).end(start) is None


def test_the_end_is_counted_in_utc() -> None:
    """A start with another offset ends at the same instant as its UTC spelling."""
    jakarta = datetime(2025, 3, 1, 3, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    period = RetentionPeriod.parse("1 month")
    assert period.end(jakarta) == period.end(jakarta.astimezone(UTC))


@pytest.mark.parametrize("start", [datetime(2025, 1, 1), "2025-01-01", None])  # noqa: DTZ001
def test_an_end_from_a_naive_or_wrong_start_is_refused(start: Any) -> None:
    """A naive datetime raises NaiveDatetime; a start that is no datetime, InvalidValue."""
    with pytest.raises((InvalidValue, NaiveDatetime)):
        RetentionPeriod.parse("1 year").end(start)


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dump_catalogue(_CATALOGUE))
    return data


def test_every_retention_problem_is_reported_at_once_with_its_path() -> None:
    """Bad keep periods, types, unknown keys and contradictions all come back in one error."""
    data = _data()
    data["services"][0]["retention"] = {"keep_after_closing": "5 working days", "extra": 1}
    data["services"][1]["retention"] = {"archive": True, "keep_after_closing": "3 months"}
    data["services"][2]["retention"] = {}
    data["services"][3]["retention"] = {"keep_after_closing": "1 year", "legal_basis": ["nope"]}
    data["services"][4]["retention"] = "10 years"
    data["catalogue"]["retention"] = {"archive": "yes"}
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(data, source="x.json")
    found = {(p.path, p.message.split(":")[0]) for p in caught.value.problems}
    assert {path for path, _ in found} >= {
        "services[0].retention.keep_after_closing",
        "services[0].retention.extra",
        "services[1].retention.keep_after_closing",
        "services[2].retention",
        "services[3].retention.legal_basis[0]",
        "services[4].retention",
        "catalogue.retention.archive",
    }


def test_a_catalogue_default_and_a_service_retention_round_trip() -> None:
    """The catalogue's default and a service's archive rule load and dump back equal."""
    data = _data()
    data["catalogue"]["retention"] = {
        "keep_after_closing": "5 years",
        "legal_basis": ["uu-25-2009"],
    }
    data["services"][0]["retention"] = {"archive": True}
    loaded = catalogue_from_data(data, source="x.json")
    assert loaded.retention == Retention(
        keep_after_closing=RetentionPeriod(5, CalendarUnit.YEARS), legal_basis=("uu-25-2009",)
    )
    assert loaded.services[0].retention == Retention(archive=True)
    assert catalogue_from_data(json.loads(dump_catalogue(loaded)), source="y.json") == loaded


def test_a_retention_table_in_toml_loads(tmp_path: Path) -> None:
    """A service file's ``[services.retention]`` and ``[catalogue.retention]`` tables load."""
    source = (Path(__file__).parents[1] / "applications" / "licence.toml").read_text()
    source = source.replace(
        'workflow = "licence"\n',
        'workflow = "licence"\n\n[services.retention]\nkeep_after_closing = "18 months"\n',
        1,
    )
    source = source.replace(
        "[catalogue]\n", "[catalogue.retention]\narchive = true\n\n[catalogue]\n"
    )
    (tmp_path / "licence.toml").write_text(source)
    loaded = load_catalogue(tmp_path)
    assert loaded.retention == Retention(archive=True)
    assert str(loaded.services[0].retention.keep_after_closing) == "18 months"  # type: ignore[union-attr]


def test_a_retention_built_in_python_with_both_rules_is_a_problem() -> None:
    """check_catalogue reports a retention that both archives and sets a keep period."""
    both = Retention(keep_after_closing=RetentionPeriod(1, CalendarUnit.YEARS), archive=True)
    problems = check_catalogue(attrs.evolve(_CATALOGUE, retention=both))
    assert [p.path for p in problems] == ["retention.keep_after_closing"]


@pytest.mark.parametrize(
    "arguments",
    [{"keep_after_closing": "5 years"}, {"archive": 1}, {"legal_basis": "uu-25-2009"}],
)
def test_a_retention_of_wrong_types_cannot_be_built(arguments: dict[str, Any]) -> None:
    """Building a Retention from values of other types raises InvalidValue."""
    with pytest.raises(InvalidValue):
        Retention(**arguments)


def test_every_jakarta_service_has_a_retention_rule() -> None:
    """Each sample service sets its retention, with legal resources the catalogue holds."""
    assert _CATALOGUE.retention is not None
    missing = [s.code for s in _CATALOGUE.services if s.retention is None]
    assert missing == []
    archived = {s.code for s in _CATALOGUE.services if s.retention and s.retention.archive}
    assert "akta-kelahiran" in archived
