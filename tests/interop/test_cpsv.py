"""The CPSV-AP 3.2.0 JSON-LD export: structure, references, vocabulary and values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    ContactKind,
    ContactPoint,
    EvidenceType,
    Fee,
    FeeTier,
    LegalResource,
    LifeEvent,
    LifeEventKind,
    Output,
    Requirement,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.interop.cpsv import CONTEXT, CURRENCY_AUTHORITY, iso_duration, to_jsonld

AT = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
BASE = "urn:onestop:"
LAW_URI = "https://peraturan.example.id/perda/2019/12"
LICENCE = f"{BASE}service:business-licence:v2"
CPSV = "http://purl.org/vocab/cpsv#"
CV = "http://data.europa.eu/m8g/"
EXPECTED_CLASSES = {
    "cpsv:PublicService",
    "cv:PublicOrganisation",
    "cv:ContactPoint",
    "cv:Requirement",
    "cv:Evidence",
    "cv:EvidenceType",
    "cv:Cost",
    "cv:Channel",
    "eli:LegalResource",
    "cv:Output",
    "cv:LifeEvent",
    "cv:BusinessEvent",
    "skos:Concept",
}


def text(id_: str, en: str) -> LocalizedText:
    """Indonesian and English text."""
    return LocalizedText.of(id=id_, en=en)


def service(code: str, **more: object) -> Service:
    """Build a published version 1 of *code* at the south office; *more* overrides."""
    values: dict[str, object] = {
        "code": code,
        "version": 1,
        "status": VersionStatus.PUBLISHED,
        "effective_from": date(2024, 1, 1),
        "agency": "dpmptsp-south",
        "name": text(f"Layanan {code}", f"Service {code}"),
        "kind": ServiceKind.LICENSING,
        "time_limit": Duration.working_days(10),
        "service_norm": Duration.working_days(5),
        "channels": (ChannelVariant(channel=ChannelKind.COUNTER),),
    }
    return Service(**{**values, **more})  # type: ignore[arg-type]


LICENCE_V2 = service(
    "business-licence",
    version=2,
    effective_from=date(2025, 1, 1),
    description=text("Izin usaha untuk UMKM", "A business licence for small firms"),
    keywords=("izin", "licence"),
    life_events=("start-business",),
    legal_basis=("perda-12", "pp-24"),
    requirements=(
        Requirement(code="id", evidence_type="ktp", description=text("Asli", "Original")),
        Requirement(code="deed", evidence_type="deed"),
    ),
    fees=(
        Fee(code="stamp", label=text("Meterai", "Stamp duty"), currency="IDR", amount="12.50"),
        Fee(
            code="levy",
            label=text("Retribusi", "Levy"),
            currency="IDR",
            basis="floor_area",
            tiers=(FeeTier(amount="100000", up_to="50"), FeeTier(amount="250000")),
        ),
    ),
    outputs=(Output(code="nib", name=text("NIB", "Business id number")),),
    channels=(
        ChannelVariant(channel=ChannelKind.COUNTER),
        ChannelVariant(
            channel=ChannelKind.ONLINE,
            fees=(
                Fee(code="stamp", label=text("E-meterai", "E-stamp"), currency="IDR", amount=10000),
            ),
            service_norm=Duration.working_hours(8),
        ),
        ChannelVariant(
            channel=ChannelKind.COURIER,
            requirements=(Requirement(code="id-copy", evidence_type="ktp"),),
        ),
    ),
)


def sample_catalogue() -> Catalogue:
    """Two agencies (one under the other), two languages, versions, variants and events."""
    return Catalogue(
        name=text("Mal uji", "Test mall"),
        languages=("id", "en"),
        agencies=(
            Agency(
                code="dpmptsp",
                name=text("DPMPTSP", "Investment office"),
                kind=AgencyKind.REGIONAL,
                time_zone="Asia/Jakarta",
                contacts=(
                    ContactPoint(kind=ContactKind.PHONE, value="+62 21 3822968"),
                    ContactPoint(kind=ContactKind.WEBSITE, value="https://dpmptsp.example.id"),
                ),
            ),
            Agency(
                code="dpmptsp-south",
                name=text("DPMPTSP Selatan", "Investment office, south"),
                kind=AgencyKind.REGIONAL,
                time_zone="Asia/Jakarta",
                parent="dpmptsp",
            ),
        ),
        evidence_types=(
            EvidenceType(code="ktp", name=text("KTP", "Identity card")),
            EvidenceType(code="deed", name=text("Akta pendirian", "Deed of establishment")),
        ),
        legal_resources=(
            LegalResource(
                code="perda-12", title=text("Perda 12/2019", "Bylaw 12/2019"), uri=LAW_URI
            ),
            LegalResource(code="pp-24", title=text("PP 24/2018", "Regulation 24/2018")),
        ),
        life_events=(
            LifeEvent(code="birth", name=text("Kelahiran", "Birth")),
            LifeEvent(
                code="start-business",
                name=text("Memulai usaha", "Starting a business"),
                kind=LifeEventKind.BUSINESS,
            ),
        ),
        services=(
            service("business-licence", effective_until=date(2025, 1, 1)),
            LICENCE_V2,
            service("birth-certificate", agency="dpmptsp", life_events=("birth",)),
            service("future", effective_from=date(2030, 1, 1)),
        ),
    )


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The export of the sample catalogue."""
    return to_jsonld(sample_catalogue(), at=AT)


def nodes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The graph's nodes by id."""
    return {node["@id"]: node for node in document["@graph"]}


def types_of(node: dict[str, Any]) -> list[str]:
    """A node's types, as a list."""
    kind = node["@type"]
    return kind if isinstance(kind, list) else [kind]


def walk(value: object) -> Iterator[object]:
    """Yield *value* and everything nested in it."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def references(document: dict[str, Any]) -> set[str]:
    """Every ``@id`` a property points at (the nodes' own ids left out)."""
    found: set[str] = set()
    for node in document["@graph"]:
        for key, value in node.items():
            if key != "@id":
                found.update(v["@id"] for v in walk(value) if isinstance(v, dict) and "@id" in v)
    return found


def ids(value: Any) -> list[str]:
    """The ids of one reference or a list of them."""
    items = value if isinstance(value, list) else [value]
    return [item["@id"] for item in items]


class TestStructure:
    """The document is well-formed JSON-LD with no loose ends."""

    def test_document_survives_a_json_round_trip(self, document: dict[str, Any]) -> None:
        """The export is plain JSON data: dumping and loading it changes nothing."""
        assert json.loads(json.dumps(document)) == document

    def test_has_an_inline_context_and_a_graph(self, document: dict[str, Any]) -> None:
        """The document is an inline @context and an @graph, nothing else."""
        assert set(document) == {"@context", "@graph"}
        assert document["@context"] == dict(CONTEXT)

    def test_every_node_has_an_id_and_a_type(self, document: dict[str, Any]) -> None:
        """Every node in @graph has an @id and an @type."""
        assert all("@id" in node and "@type" in node for node in document["@graph"])

    def test_node_ids_are_unique(self, document: dict[str, Any]) -> None:
        """No two nodes share an @id."""
        all_ids = [node["@id"] for node in document["@graph"]]
        assert len(all_ids) == len(set(all_ids))

    def test_no_reference_dangles(self, document: dict[str, Any]) -> None:
        """Every reference into the export's own ids, or to a law's URI, names a node."""
        internal = {r for r in references(document) if r.startswith(BASE) or r == LAW_URI}
        assert internal - set(nodes(document)) == set()

    def test_external_references_are_code_lists_or_web_pages(
        self, document: dict[str, Any]
    ) -> None:
        """References outside the graph point only at EU and ADMS code lists or contact pages."""
        external = references(document) - set(nodes(document))
        allowed = (CURRENCY_AUTHORITY, "http://purl.org/adms/status/", "https://dpmptsp.")
        assert external
        assert all(r.startswith(allowed) for r in external)

    def test_every_cpsv_ap_class_appears(self, document: dict[str, Any]) -> None:
        """Each CPSV-AP class the export maps to appears at least once."""
        seen = {t for node in document["@graph"] for t in types_of(node)}
        assert seen >= EXPECTED_CLASSES

    def test_context_defines_every_prefix_used(self, document: dict[str, Any]) -> None:
        """Every prefix in a key, a node type or a literal type is defined in the context."""
        used: set[str] = set()
        for value in walk(document["@graph"]):
            if isinstance(value, dict):
                used.update(k.split(":")[0] for k in value if not k.startswith("@"))
                kind = value.get("@type", [])
                used.update(t.split(":")[0] for t in (kind if isinstance(kind, list) else [kind]))
        assert used <= set(CONTEXT)

    def test_no_float_anywhere(self, document: dict[str, Any]) -> None:
        """No value in the document is a float; amounts are decimal strings."""
        assert not any(isinstance(value, float) for value in walk(document))

    def test_ids_live_under_the_given_base(self) -> None:
        """Node ids are built under *base*; laws with a URI keep it."""
        custom = to_jsonld(sample_catalogue(), at=AT, base="https://mall.example.id/id/")
        own = {node["@id"] for node in custom["@graph"]} - {LAW_URI}
        assert all(i.startswith("https://mall.example.id/id/") for i in own)

    def test_export_is_stable(self, document: dict[str, Any]) -> None:
        """Exporting the same catalogue twice gives the same document."""
        assert to_jsonld(sample_catalogue(), at=AT) == document


class TestPublicService:
    """The cpsv:PublicService nodes."""

    def test_one_node_per_service_in_effect_with_versioned_ids(
        self, document: dict[str, Any]
    ) -> None:
        """Each service in effect has one PublicService, its id carrying the version."""
        found = sorted(n["@id"] for n in document["@graph"] if "cpsv:PublicService" in types_of(n))
        assert found == [f"{BASE}service:birth-certificate:v1", LICENCE]

    def test_title_and_description_in_every_language(self, document: dict[str, Any]) -> None:
        """Title and description are language-tagged values, one per language."""
        node = nodes(document)[LICENCE]
        assert node["dct:identifier"] == "business-licence"
        assert {"@value": "Service business-licence", "@language": "en"} in node["dct:title"]
        assert {t["@language"] for t in node["dct:description"]} == {"id", "en"}

    def test_competent_authority_is_the_agency(self, document: dict[str, Any]) -> None:
        """The competent authority is the providing agency's PublicOrganisation."""
        authority = nodes(document)[LICENCE]["cv:hasCompetentAuthority"]
        assert authority == {"@id": f"{BASE}agency:dpmptsp-south"}

    def test_service_norm_is_in_working_days(self, document: dict[str, Any]) -> None:
        """The service norm of 5 working days is P5D typed as working time, not xsd:duration
        (which would say calendar days); no cv:processingTime is written."""
        assert nodes(document)[LICENCE]["onestop:serviceNorm"] == {
            "@value": "P5D",
            "@type": "onestop:workingDuration",
        }
        assert "cv:processingTime" not in nodes(document)[LICENCE]

    def test_status_uses_the_adms_vocabulary(self, document: dict[str, Any]) -> None:
        """A published version has the ADMS status Completed."""
        status = nodes(document)[LICENCE]["adms:status"]
        assert status == {"@id": "http://purl.org/adms/status/Completed"}

    def test_keywords_are_listed(self, document: dict[str, Any]) -> None:
        """Keywords become dcat:keyword values tagged with the catalogue's default language."""
        keywords = nodes(document)[LICENCE]["dcat:keyword"]
        assert keywords == [{"@value": k, "@language": "id"} for k in ("izin", "licence")]

    def test_links_laws_outputs_and_events(self, document: dict[str, Any]) -> None:
        """Laws, outputs and life events are linked by their CPSV-AP properties."""
        node = nodes(document)[LICENCE]
        assert ids(node["cv:hasLegalResource"]) == [LAW_URI, f"{BASE}legal-resource:pp-24"]
        assert ids(node["cpsv:produces"]) == [f"{LICENCE}:output:nib"]
        assert ids(node["cv:isGroupedBy"]) == [f"{BASE}event:start-business"]


class TestLinkedNodes:
    """The nodes a service links to."""

    def test_agency_tree_uses_sub_organization_of(self, document: dict[str, Any]) -> None:
        """A child agency points at its parent with org:subOrganizationOf."""
        south = nodes(document)[f"{BASE}agency:dpmptsp-south"]
        assert south["org:subOrganizationOf"] == {"@id": f"{BASE}agency:dpmptsp"}
        assert {t["@language"] for t in south["skos:prefLabel"]} == {"id", "en"}

    def test_spatial_is_set_on_every_organisation_when_given(self) -> None:
        """With *spatial*, every PublicOrganisation carries that dct:spatial."""
        country = "http://publications.europa.eu/resource/authority/country/IDN"
        custom = to_jsonld(sample_catalogue(), at=AT, spatial=country)
        organisations = [n for n in custom["@graph"] if n["@type"] == "cv:PublicOrganisation"]
        assert organisations
        assert all(n["dct:spatial"] == {"@id": country} for n in organisations)

    def test_requirement_has_evidence_conforming_to_the_type(
        self, document: dict[str, Any]
    ) -> None:
        """Each requirement is supported by an Evidence that conforms to its evidence type."""
        graph = nodes(document)
        requirement = graph[f"{LICENCE}:requirement:id"]
        evidence = graph[ids(requirement["cv:hasSupportingEvidence"])[0]]
        assert evidence["@type"] == "cv:Evidence"
        assert ids(evidence["cv:supportsRequirement"]) == [requirement["@id"]]
        assert ids(evidence["dct:conformsTo"]) == [f"{BASE}evidence-type:ktp"]

    def test_fixed_cost_has_exact_value_and_eu_currency(self, document: dict[str, Any]) -> None:
        """A fixed fee's value is its exact decimal text; its currency is an EU authority IRI."""
        cost = nodes(document)[f"{LICENCE}:cost:stamp"]
        assert cost["cv:hasValue"] == {"@value": "12.50", "@type": "xsd:double"}
        assert Decimal(cost["cv:hasValue"]["@value"]) == Decimal("12.50")
        assert cost["cv:currency"] == {
            "@id": "http://publications.europa.eu/resource/authority/currency/IDR"
        }

    def test_tiered_cost_has_no_single_value(self, document: dict[str, Any]) -> None:
        """A tiered fee has no single amount, so its Cost has no cv:hasValue."""
        cost = nodes(document)[f"{LICENCE}:cost:levy"]
        assert "cv:hasValue" not in cost
        assert cost["dct:identifier"] == "levy"

    def test_channel_variant_fee_is_accessed_through_its_channel(
        self, document: dict[str, Any]
    ) -> None:
        """A fee that a channel variant sets is a Cost if accessed through that Channel."""
        graph = nodes(document)
        online = f"{LICENCE}:channel:online"
        cost = graph[f"{online}:cost:stamp"]
        assert cost["cv:ifAccessedThrough"] == {"@id": online}
        assert cost["cv:hasValue"]["@value"] == "10000"
        assert cost["@id"] in ids(graph[LICENCE]["cv:hasCost"])

    def test_channel_has_type_and_its_own_processing_time(self, document: dict[str, Any]) -> None:
        """A channel names its kind, and a variant's norm of 8 working hours is PT8H."""
        online = nodes(document)[f"{LICENCE}:channel:online"]
        assert online["dct:type"] == {"@id": f"{BASE}channel-type:online"}
        assert online["onestop:serviceNorm"] == {
            "@value": "PT8H",
            "@type": "onestop:workingDuration",
        }

    def test_channel_inputs_follow_variant_requirements(self, document: dict[str, Any]) -> None:
        """A channel's inputs are the evidence of the requirements on that channel."""
        graph = nodes(document)
        courier = graph[f"{LICENCE}:channel:courier"]
        counter = graph[f"{LICENCE}:channel:counter"]
        assert ids(courier["cpsv:hasInput"]) == [f"{LICENCE}:channel:courier:evidence:id-copy"]
        assert ids(counter["cpsv:hasInput"]) == [
            f"{LICENCE}:evidence:id",
            f"{LICENCE}:evidence:deed",
        ]

    def test_life_and_business_events_have_their_classes(self, document: dict[str, Any]) -> None:
        """Life events are cv:LifeEvent, business events cv:BusinessEvent, with their services."""
        graph = nodes(document)
        assert graph[f"{BASE}event:birth"]["@type"] == "cv:LifeEvent"
        business = graph[f"{BASE}event:start-business"]
        assert business["@type"] == "cv:BusinessEvent"
        assert ids(business["cv:hasRelatedService"]) == [LICENCE]

    def test_legal_resource_with_uri_uses_it_as_id(self, document: dict[str, Any]) -> None:
        """A law with a URI is identified by it; its title is kept in every language."""
        law = nodes(document)[LAW_URI]
        assert law["@type"] == "eli:LegalResource"
        assert {t["@language"] for t in law["dct:title"]} == {"id", "en"}

    def test_contact_point_carries_phone_and_page(self, document: dict[str, Any]) -> None:
        """An agency's contacts become a ContactPoint, linked from its services."""
        graph = nodes(document)
        contact_id = f"{BASE}agency:dpmptsp:contact-point"
        assert graph[contact_id]["cv:telephone"] == ["+62 21 3822968"]
        assert graph[f"{BASE}service:birth-certificate:v1"]["cv:contactPoint"] == {
            "@id": contact_id
        }


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(Duration.working_days(5), "P5D"), (Duration.working_hours(8), "PT8H")],
)
def test_iso_duration_keeps_the_number_and_drops_working(duration: Duration, expected: str) -> None:
    """Working days become days and working hours become hours, in ISO 8601."""
    assert iso_duration(duration) == expected


def test_pyld_expands_to_cpsv_ap_iris(document: dict[str, Any]) -> None:
    """A JSON-LD processor expands the types to the CPSV-AP IRIs without fetching anything."""
    jsonld = pytest.importorskip("pyld.jsonld")

    def refuse(url: str, options: object = None) -> None:
        """Fail the test instead of loading a remote document."""
        raise AssertionError(f"the document made the processor fetch {url}")

    expanded = jsonld.expand(document, {"documentLoader": refuse})
    types = {t for node in expanded for t in node.get("@type", [])}
    assert {
        f"{CPSV}PublicService",
        f"{CV}PublicOrganisation",
        f"{CV}Requirement",
        f"{CV}Evidence",
        f"{CV}Cost",
        f"{CV}Channel",
        f"{CV}Output",
        f"{CV}LifeEvent",
        f"{CV}BusinessEvent",
        "http://data.europa.eu/eli/ontology#LegalResource",
    } <= types
    licence = next(node for node in expanded if node["@id"] == LICENCE)
    assert f"{CV}hasCompetentAuthority" in licence
    assert f"{CPSV}produces" in licence
