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
from onestop.domain.common.text import LocalizedText
from onestop.interop import open311
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


def service_node(catalogue: Catalogue, **options: Any) -> dict[str, Any]:
    """The first cpsv:PublicService node of *catalogue*'s export at `AT`."""
    graph = to_jsonld(catalogue, at=AT, **options)["@graph"]
    return next(node for node in graph if node["@type"] == "cpsv:PublicService")


def test_keywords_are_cleaned_as_open311_cleans_them() -> None:
    """dcat:keyword holds the keywords trimmed, white space collapsed and each once, the
    list Open311's keywords field joins."""
    catalogue = tutorial()
    spaced = (" permit ", "permit", "trade  licence", "  ", "izin\nusaha")
    service = attrs.evolve(catalogue.services[0], keywords=spaced)
    catalogue = attrs.evolve(catalogue, services=(service,))
    written = [k["@value"] for k in service_node(catalogue)["dcat:keyword"]]
    assert written == ["permit", "trade licence", "izin usaha"]
    assert ", ".join(written) == open311.services(catalogue, at=AT)[0]["keywords"]


def test_keywords_are_tagged_with_the_default_language() -> None:
    """Every dcat:keyword is a literal tagged with the catalogue's first language."""
    catalogue = load_catalogue(EXAMPLES / "cambodia")
    keywords = service_node(catalogue)["dcat:keyword"]
    assert keywords
    assert all(k["@language"] == "km" for k in keywords)


def test_a_service_without_a_description_is_described_by_its_title() -> None:
    """A service with no description gets its title as dct:description, in each language."""
    catalogue = load_catalogue(EXAMPLES / "cambodia")
    service = attrs.evolve(catalogue.services[0], description=None)
    node = service_node(attrs.evolve(catalogue, services=(service,)))
    assert node["dct:description"] == node["dct:title"]
    assert {d["@language"] for d in node["dct:description"]} == {"en", "km"}


def test_a_description_missing_a_language_falls_back_to_the_title_there() -> None:
    """A description given in some languages only is completed with the title in the others."""
    catalogue = load_catalogue(EXAMPLES / "cambodia")
    first = catalogue.services[0]
    only_en = LocalizedText.of(en="In English only.")
    service = attrs.evolve(first, description=only_en)
    node = service_node(attrs.evolve(catalogue, services=(service,)))
    assert node["dct:description"] == [
        {"@value": "In English only.", "@language": "en"},
        {"@value": first.name.get("km"), "@language": "km"},
    ]


def rules(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The cpsv:Rule nodes of *catalogue*'s export at `AT`."""
    return [n for n in to_jsonld(catalogue, at=AT)["@graph"] if n["@type"] == "cpsv:Rule"]


def test_every_rule_has_a_title_in_each_catalogue_language() -> None:
    """Each cpsv:Rule of a requirement or a fee has a dct:title in every catalogue language,
    the title of what it conditions."""
    catalogue = load_catalogue(EXAMPLES / "cambodia")
    found = rules(catalogue)
    assert len(found) > 3
    for rule in found:
        assert [t["@language"] for t in rule["dct:title"]] == sorted(catalogue.languages)
    land = next(r for r in found if r["dct:identifier"] == "land-title:when")
    assert {"@value": "Land title or certificate of land possession", "@language": "en"} in (
        land["dct:title"]
    )


def test_every_rule_description_is_tagged_in_each_catalogue_language() -> None:
    """A cpsv:Rule's dct:description is the condition as written, tagged once per catalogue
    language; onestop:expression keeps it untagged."""
    for rule in rules(load_catalogue(EXAMPLES / "cambodia")):
        source = rule["onestop:expression"]
        assert rule["dct:description"] == [
            {"@value": source, "@language": "km"},
            {"@value": source, "@language": "en"},
        ]
