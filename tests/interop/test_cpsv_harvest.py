"""CPSV-AP exports a harvester can load side by side and check against the 3.x shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from onestop.cli import EXIT_OK, EXIT_USAGE, main
from onestop.domain.catalogue.calendars import CalendarDeclaration
from onestop.domain.catalogue.model import Catalogue
from onestop.interop.cpsv import DEFAULT_BASE, default_base, to_jsonld
from onestop.usecases.catalogue.loading import load_catalogue

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
AT = datetime(2026, 3, 2, tzinfo=UTC)
COUNTRY = "http://publications.europa.eu/resource/authority/country/KHM"


def tutorial() -> Catalogue:
    """The tutorial's mall: one trade licence, and no work calendar."""
    return load_catalogue(EXAMPLES / "tutorial")


def node_ids(catalogue: Catalogue, **options: Any) -> set[str]:
    """The ids of the nodes of *catalogue*'s export at `AT`."""
    return {node["@id"] for node in to_jsonld(catalogue, at=AT, **options)["@graph"]}


def test_two_countries_default_exports_share_no_node_id() -> None:
    """Cambodia's and Egypt's exports with the default base share no node id (both have a moi)."""
    cambodia = load_catalogue(EXAMPLES / "cambodia")
    egypt = load_catalogue(EXAMPLES / "egypt")
    assert not node_ids(cambodia) & node_ids(egypt)
    assert "urn:onestop:kh:agency:moi" in node_ids(cambodia)
    assert "urn:onestop:eg:agency:moi" in node_ids(egypt)


def test_the_default_base_is_the_country_of_the_mall_calendar() -> None:
    """default_base is urn:onestop:<country>: from the mall's first calendar, not an agency's."""
    calendars = (
        CalendarDeclaration(version=1, effective_from=AT.date(), agency="x", country="EG"),
        CalendarDeclaration(version=2, effective_from=AT.date(), country="ID"),
        CalendarDeclaration(version=1, effective_from=AT.date(), country="KH"),
    )
    catalogue = attrs.evolve(tutorial(), calendars=calendars)
    assert default_base(catalogue) == "urn:onestop:kh:"


def test_a_catalogue_without_a_country_keeps_the_bare_base() -> None:
    """A catalogue with no mall calendar has no country: its ids are under urn:onestop:."""
    assert default_base(tutorial()) == DEFAULT_BASE
    assert "urn:onestop:service:trade-licence:v1" in node_ids(tutorial())


def test_an_explicit_base_wins_over_the_country() -> None:
    """Given a base, the ids are under it even when the catalogue declares a country."""
    cambodia = load_catalogue(EXAMPLES / "cambodia")
    ids = node_ids(cambodia, base="https://data.example.gov/id/")
    assert all(i.startswith("https://data.example.gov/id/") for i in ids)


def test_the_cli_notes_ids_under_the_bare_base(capsys: pytest.CaptureFixture[str]) -> None:
    """Exporting a catalogue without a country and without --base-iri says on stderr that
    its ids may clash with another mall's."""
    tutorial = str(EXAMPLES / "tutorial")
    assert main(["catalogue", "export", tutorial, "--format", "cpsv-ap"]) == EXIT_OK
    assert "give --base-iri" in capsys.readouterr().err
    assert main(["catalogue", "export", str(EXAMPLES / "cambodia"), "--format", "cpsv-ap"]) == 0
    assert "--base-iri" not in capsys.readouterr().err


def test_the_cli_writes_spatial_on_every_organisation(capsys: pytest.CaptureFixture[str]) -> None:
    """`--spatial IRI` sets dct:spatial to IRI on every cv:PublicOrganisation."""
    args = ["catalogue", "export", str(EXAMPLES / "cambodia"), "--format", "cpsv-ap"]
    assert main([*args, "--spatial", COUNTRY]) == EXIT_OK
    out = capsys.readouterr().out
    organisations = out.count('"@type": "cv:PublicOrganisation"')
    assert organisations > 1
    assert out.count(f'"dct:spatial": {{\n        "@id": "{COUNTRY}"') == organisations


@pytest.mark.parametrize(
    ("fmt", "spatial", "reason"),
    [
        ("cpsv-ap", "javascript:x", "--spatial: has the scheme 'javascript'"),
        ("open311", COUNTRY, "--spatial: only the cpsv-ap format"),
    ],
)
def test_the_cli_refuses_a_bad_or_useless_spatial(
    capsys: pytest.CaptureFixture[str], fmt: str, spatial: str, reason: str
) -> None:
    """A --spatial the export may not write, or one given for Open311, exits 2 saying why."""
    tutorial = str(EXAMPLES / "tutorial")
    code = main(["catalogue", "export", tutorial, "--format", fmt, "--spatial", spatial])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert reason in out + err
    assert "Traceback" not in out + err
