"""CPSV-AP keeps what the catalogue means: conditions, working-day durations, the base IRI.

Checked on the expanded document (pyld, nothing fetched), so the meaning survives a
JSON-LD processor, not only our own compact keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import pytest

from onestop.cli import EXIT_OK, EXIT_USAGE, main
from onestop.domain.catalogue.model import (
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Fee,
    Requirement,
    Service,
    VersionStatus,
)
from onestop.domain.catalogue.rules import parse_rule
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.exceptions import InvalidValue
from onestop.interop.cpsv import ONESTOP_NAMESPACE, iso_duration, to_jsonld
from onestop.usecases.catalogue.loading import load_catalogue

jsonld = pytest.importorskip("pyld.jsonld")

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and any(p.rglob("*.toml")))
BASE = "urn:onestop:"
OS = ONESTOP_NAMESPACE
CPSV = "http://purl.org/vocab/cpsv#"
CV = "http://data.europa.eu/m8g/"
DCT = "http://purl.org/dc/terms/"
WORKING = f"{OS}workingDuration"


def expand(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The document expanded by pyld (refusing to fetch anything), its nodes by id."""

    def refuse(url: str, options: object = None) -> None:
        """Fail the test instead of loading a remote document."""
        raise AssertionError(f"the document made the processor fetch {url}")

    expanded = jsonld.expand(document, {"documentLoader": refuse})
    return {node["@id"]: node for node in expanded}


def ids_of(node: dict[str, Any], key: str) -> list[str]:
    """The ids a property of an expanded node points at."""
    return [value["@id"] for value in node.get(key, [])]


def working(duration: Duration) -> list[dict[str, str]]:
    """A working duration as it reads once expanded."""
    return [{"@value": iso_duration(duration), "@type": WORKING}]


def q(part: str) -> str:
    """A code as node ids quote it."""
    return quote(part, safe="-._~")


def conditions(service: Service, service_id: str) -> Iterator[tuple[str, str, str]]:
    """(owner id, kind, rule source) of every conditional requirement and fee of *service*."""
    owners: list[tuple[str, tuple[Requirement, ...], tuple[Fee, ...]]] = [
        (service_id, service.requirements, service.fees)
    ]
    for variant in service.channels:
        owners.append(
            (
                f"{service_id}:channel:{variant.channel.value}",
                variant.requirements or (),
                variant.fees or (),
            )
        )
    for owner, requirements, fees in owners:
        for requirement in requirements:
            if requirement.when is not None:
                where = f"{owner}:requirement:{q(requirement.code)}"
                yield where, "requirement", requirement.when.source
        for fee in fees:
            if fee.when is not None:
                yield f"{owner}:cost:{q(fee.code)}", "cost", fee.when.source


def check_service(graph: dict[str, dict[str, Any]], service: Service) -> int:
    """Assert that *service*'s conditions and durations survived; return its conditions."""
    service_id = f"{BASE}service:{q(service.code)}:v{service.version}"
    node = graph[service_id]
    assert node[f"{OS}serviceNorm"] == working(service.service_norm)
    assert node[f"{OS}timeLimit"] == working(service.time_limit)
    assert f"{CV}processingTime" not in node
    for variant in service.channels:
        channel = graph[f"{service_id}:channel:{variant.channel.value}"]
        if variant.service_norm is not None:
            assert channel[f"{OS}serviceNorm"] == working(variant.service_norm)
        if variant.time_limit is not None:
            assert channel[f"{OS}timeLimit"] == working(variant.time_limit)
    found = 0
    for owner, kind, source in conditions(service, service_id):
        rule_id = f"{owner}:rule"
        assert ids_of(graph[owner], f"{OS}appliesWhen") == [rule_id]
        if kind == "requirement":
            assert ids_of(graph[owner], f"{CV}fulfils") == [rule_id]
        rule = graph[rule_id]
        assert rule["@type"] == [f"{CPSV}Rule"]
        assert rule[f"{OS}expression"] == [{"@value": source}]
        assert {d["@value"] for d in rule[f"{DCT}description"]} == {source}
        assert rule_id in ids_of(node, f"{CPSV}follows")
        found += 1
    return found


def moments(catalogue: Catalogue) -> list[datetime]:
    """Noon UTC on the first day of every published version: each is in effect then."""
    days = {s.effective_from for s in catalogue.services if s.status is VersionStatus.PUBLISHED}
    return [datetime.combine(day, time(12), UTC) for day in sorted(days)]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_condition_and_working_duration_of_the_examples_survives(example: Path) -> None:
    """Exported at the start of each published version, every service of the example keeps
    its requirement and fee conditions and its working-day durations, once expanded."""
    catalogue = load_catalogue(example)
    exported: set[tuple[str, int]] = set()
    for at in moments(catalogue):
        graph = expand(to_jsonld(catalogue, at=at, base=BASE))
        for service in catalogue.current_services(at=at):
            check_service(graph, service)
            exported.add((service.code, service.version))
    assert exported, f"{example.name} exports no service"


def test_the_examples_hold_conditions() -> None:
    """The examples have conditions to keep, so the test above is not vacuous."""
    found = 0
    for example in EXAMPLES:
        catalogue = load_catalogue(example)
        for service in catalogue.services:
            found += sum(1 for _ in conditions(service, ""))
    assert found >= 3


def text(en: str) -> LocalizedText:
    """English text."""
    return LocalizedText.of(en=en)


def fee(code: str, amount: str, when: str) -> Fee:
    """A fee in rupiah charged when *when* holds."""
    return Fee(code=code, label=text(code), currency="IDR", amount=amount, when=parse_rule(when))


def alternatives() -> Catalogue:
    """A trade licence with two alternative fees, a conditional requirement, and variants."""
    base = load_catalogue(ROOT / "examples" / "tutorial")
    licence = base.services[0]
    person, company = 'applicant_type == "person"', 'applicant_type == "company"'
    changed = attrs.evolve(
        licence,
        time_limit=Duration.working_days(3),
        service_norm=Duration.working_days(2),
        fees=(fee("person-fee", "50000", person), fee("company-fee", "150000", company)),
        channels=(
            ChannelVariant(channel=ChannelKind.COUNTER),
            ChannelVariant(
                channel=ChannelKind.ONLINE,
                time_limit=Duration.working_hours(16),
                service_norm=Duration.working_hours(8),
                requirements=(
                    Requirement(
                        code="deed-scan", evidence_type="company-deed", when=parse_rule(company)
                    ),
                ),
            ),
        ),
        workflow=None,
        legal_basis=(),
        life_events=(),
    )
    return Catalogue(
        name=base.name,
        languages=base.languages,
        agencies=base.agencies,
        evidence_types=base.evidence_types,
        services=(changed,),
    )


AT = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)


def test_two_alternative_fees_keep_their_conditions() -> None:
    """Of two alternative fees, each cost says when it is charged: neither looks always due."""
    graph = expand(to_jsonld(alternatives(), at=AT))
    service_id = f"{BASE}service:trade-licence:v1"
    for code, who in (("person-fee", "person"), ("company-fee", "company")):
        rule = graph[f"{service_id}:cost:{code}:rule"]
        assert rule[f"{OS}expression"] == [{"@value": f'applicant_type == "{who}"'}]
    assert check_service(graph, alternatives().services[0]) == 4


def test_three_working_days_are_not_three_calendar_days() -> None:
    """A limit of 3 working days is P3D typed as working time, never an xsd:duration."""
    document = to_jsonld(alternatives(), at=AT)
    service = next(n for n in document["@graph"] if n["@type"] == "cpsv:PublicService")
    assert service["onestop:timeLimit"] == {"@value": "P3D", "@type": "onestop:workingDuration"}
    assert "cv:processingTime" not in service
    assert document["@context"]["onestop"] == ONESTOP_NAMESPACE


def test_ids_live_under_the_governments_base_iri() -> None:
    """With base="https://data.example.gov/", every node id the export makes starts with it."""
    document = to_jsonld(alternatives(), at=AT, base="https://data.example.gov/")
    assert all(n["@id"].startswith("https://data.example.gov/") for n in document["@graph"])


@pytest.mark.parametrize(
    "base",
    [
        "https://data.example.gov",
        "http://",
        "ftp://data.example.gov/",
        "urn:onestop",
        "data.example.gov/",
        "",
        42,
        "https://data.example.gov/ id/",
    ],
)
def test_a_base_iri_ids_cannot_extend_is_refused(base: object) -> None:
    """A base that is not an absolute http(s) IRI ending in / or # (or a urn ending in :)
    is refused with InvalidValue naming base."""
    with pytest.raises(InvalidValue) as caught:
        to_jsonld(alternatives(), at=AT, base=base)  # type: ignore[arg-type]
    assert caught.value.field == "base"


def test_the_cli_takes_a_base_iri(capsys: pytest.CaptureFixture[str]) -> None:
    """`onestop catalogue export --format cpsv-ap --base-iri IRI` builds the ids under IRI."""
    tutorial = str(ROOT / "examples" / "tutorial")
    args = ["catalogue", "export", tutorial, "--format", "cpsv-ap", "--at", "2025-06-02"]
    assert main([*args, "--base-iri", "https://data.example.gov/id/"]) == EXIT_OK
    out = capsys.readouterr().out
    assert '"@id": "https://data.example.gov/id/service:trade-licence:v1"' in out
    assert "urn:onestop:" not in out


@pytest.mark.parametrize(
    ("fmt", "base"), [("cpsv-ap", "https://data.example.gov"), ("open311", "https://x.gov/")]
)
def test_the_cli_refuses_a_bad_or_useless_base_iri(
    capsys: pytest.CaptureFixture[str], fmt: str, base: str
) -> None:
    """A base IRI ids cannot extend, or one given for a format without ids, exits 2."""
    tutorial = str(ROOT / "examples" / "tutorial")
    code = main(["catalogue", "export", tutorial, "--format", fmt, "--base-iri", base])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "--base-iri" in err
    assert "Traceback" not in out + err
