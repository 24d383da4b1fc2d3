"""The how-to 'Your country in an afternoon', followed literally from an empty folder.

Every ``toml`` block of docs/how-to/your-country.md is appended to the file its caption
names, in an empty folder, and nothing else is written: the folder must be a valid mall
whose calendar and identity scheme work, with no Python calendar or validator.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from onestop import Actor, Mall, Person, calendar_versions, load_catalogue
from onestop.cli import cli
from onestop.exceptions import InvalidApplication
from onestop.storage import from_url

HOW_TO = Path(__file__).parent.parent / "docs" / "how-to" / "your-country.md"
BLOCK = re.compile(r"```\{code-block\} toml\n:caption: (\S+)[^\n]*\n\n(.*?)```", re.S)
CAIRO = ZoneInfo("Africa/Cairo")
CITIZEN = Actor(id="citizen-1", roles={"applicant"})


class _Clock:
    def now(self) -> datetime:
        return datetime(2025, 10, 8, 13, 30, tzinfo=CAIRO)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The how-to's data files, written into an empty folder as the page shows them."""
    files: dict[str, list[str]] = {}
    for caption, body in BLOCK.findall(HOW_TO.read_text(encoding="utf-8")):
        files.setdefault(caption, []).append(body)
    assert set(files) == {
        "egypt/catalogue.toml",
        "egypt/services.toml",
        "egypt/workflows.toml",
        "egypt/calendars.toml",
    }
    for caption, bodies in files.items():
        path = tmp_path / caption
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(bodies), encoding="utf-8")
    return tmp_path / "egypt"


def _mall(folder: Path) -> Mall:
    catalogue = load_catalogue(folder)
    return Mall(
        catalogue=catalogue,
        store=from_url("memory://"),
        clock=_Clock(),
        calendar_versions=calendar_versions(catalogue, years=[2024, 2025, 2026]),
    )


def test_the_pieces_of_the_how_to_validate_on_the_command_line(folder: Path) -> None:
    """`onestop catalogue validate` accepts the folder built from the page alone."""
    result = CliRunner().invoke(cli, ["catalogue", "validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 3 agencies, 1 services (1 versions), 1 workflows")


def test_the_pieces_of_the_how_to_count_the_due_date_the_page_gives(folder: Path) -> None:
    """Received Wednesday 8 October 13:30, the extract is due Sunday 12 October 09:30."""
    receipt = _mall(folder).submit(
        "birth-certificate-extract",
        channel="counter",
        applicant=Person.of(identity_number="29003150101234", identity_scheme="eg-nid", name="منى"),
        answers={"relation": "self"},
        actor=CITIZEN,
    )
    assert receipt.due == datetime(2025, 10, 12, 9, 30, tzinfo=CAIRO)


def test_the_pieces_of_the_how_to_refuse_a_malformed_national_id(folder: Path) -> None:
    """A 14-digit number with a month 13 is refused by the declared pattern."""
    with pytest.raises(InvalidApplication, match=r"applicant\.identity_number"):
        _mall(folder).submit(
            "birth-certificate-extract",
            channel="counter",
            applicant=Person.of(
                identity_number="29013150101234", identity_scheme="eg-nid", name="منى"
            ),
            answers={"relation": "self"},
            actor=CITIZEN,
        )
