"""The time zone names a catalogue may give: one rule for agencies, calendars and
`WorkCalendar`, so that none is accepted by validate and crashed on by serve."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from onestop.cli import EXIT_PROBLEMS, EXIT_USAGE, main
from onestop.domain.time.calendar import WorkCalendar
from onestop.exceptions import InvalidCalendar, InvalidCatalogue
from onestop.usecases.catalogue.loading import catalogue_from_data

TUTORIAL = Path(__file__).parent.parent.parent / "examples" / "tutorial" / "mall.toml"
BASE = tomllib.loads(TUTORIAL.read_text(encoding="utf-8"))
REFUSED = ["Mars/Base", "localtime", "Factory", "posixrules", "right/Asia/Makassar", "Asia"]


def _calendar(zone: str) -> dict[str, object]:
    return {"version": 1, "effective_from": date(2024, 1, 1), "time_zone": zone, "country": "ID"}


@pytest.mark.parametrize("zone", REFUSED)
def test_a_calendar_zone_that_is_no_iana_zone_is_a_problem_at_its_key(zone: str) -> None:
    """A [[calendars]] time_zone that is no civil IANA zone is a problem at
    calendars[0].time_zone when the catalogue loads, as an agency's is, and
    WorkCalendar refuses it too."""
    data = BASE | {"calendars": [_calendar(zone)]}
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(data, source="mall.toml")
    assert [p.path for p in caught.value.problems] == ["calendars[0].time_zone"]
    agencies = [BASE["agencies"][0] | {"time_zone": zone}, *BASE["agencies"][1:]]
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(BASE | {"agencies": agencies}, source="mall.toml")
    assert [p.path for p in caught.value.problems] == ["agencies[0].time_zone"]
    with pytest.raises(InvalidCalendar):
        WorkCalendar(time_zone=zone)


def test_validate_and_serve_check_refuse_an_unknown_calendar_zone_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate exits 1 and serve --check 2, both naming calendars[0].time_zone; neither
    ends in an internal error."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", f"mk-1:{'A' * 43}")
    text = TUTORIAL.read_text(encoding="utf-8")
    text += "\n[[calendars]]\nversion = 1\neffective_from = 2024-01-01\n"
    text += 'time_zone = "Mars/Base"\ncountry = "ID"\n'
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(text, encoding="utf-8")
    assert main(["catalogue", "validate", str(catalogue)]) == EXIT_PROBLEMS
    assert "calendars[0].time_zone: 'Mars/Base'" in capsys.readouterr().out
    store = f"sqlite:///{tmp_path / 'mall.sqlite3'}"
    assert main(["serve", str(catalogue), "--store", store, "--check"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "calendars[0].time_zone: 'Mars/Base'" in err
    assert "internal error" not in err
