"""The Open311 GeoReport v2 service list and service definitions of a catalogue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import attrs
import pytest

from onestop.domain.catalogue.identity import IdentityScheme
from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Choice,
    EvidenceType,
    FieldType,
    FormField,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.exceptions import AgencyNotFound, ServiceNotFound
from onestop.interop.open311 import (
    DATATYPES,
    SERVICE_TYPE,
    service_definition,
    service_definitions,
    services,
)

IDENTITY_CODES = ("applicant.identity_number", "applicant.identity_scheme")
AT = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
LIST_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


def text(id_: str, en: str) -> LocalizedText:
    """Indonesian and English text."""
    return LocalizedText.of(id=id_, en=en)


def field(name: str, type_: FieldType, *, order: int = 0, **more: object) -> FormField:
    """A form field labelled after its name."""
    label = text(f"Isian {name}", f"Field {name}")
    return FormField(name=name, label=label, type=type_, order=order, **more)  # type: ignore[arg-type]


FORM = (
    field("full_name", FieldType.TEXT, order=1, required=True),
    field("reason", FieldType.LONG_TEXT, order=3),
    field("children", FieldType.NUMBER, order=2),
    field("birth_date", FieldType.DATE, order=2, help=text("Tanggal lahir", "Date of birth")),
    field("married", FieldType.BOOLEAN),
    field(
        "religion",
        FieldType.CHOICE,
        order=5,
        choices=(
            Choice(value="islam", label=text("Islam", "Islam")),
            Choice(value="other", label=text("Lainnya", "Other")),
        ),
    ),
    field(
        "copies",
        FieldType.MULTI_CHOICE,
        order=5,
        choices=(
            Choice(value="paper", label=text("Kertas", "Paper")),
            Choice(value="pdf", label=text("Berkas PDF", "PDF file")),
        ),
    ),
    field("identity_card", FieldType.DOCUMENT, order=9, evidence_type="ktp", required=True),
)


def service(code: str, agency: str, **more: object) -> Service:
    """Build a published version 1 of *code*; *more* overrides any attribute."""
    values: dict[str, object] = {
        "code": code,
        "version": 1,
        "status": VersionStatus.PUBLISHED,
        "effective_from": date(2024, 1, 1),
        "agency": agency,
        "name": text(f"Layanan {code}", f"Service {code}"),
        "kind": ServiceKind.NON_LICENSING,
        "time_limit": Duration.working_days(5),
        "service_norm": Duration.working_days(3),
        "channels": (ChannelVariant(channel=ChannelKind.COUNTER),),
    }
    return Service(**{**values, **more})  # type: ignore[arg-type]


def sample_catalogue() -> Catalogue:
    """Two agencies (one under the other), two languages, three services in effect."""
    return Catalogue(
        name=text("Mal uji", "Test mall"),
        languages=("id", "en"),
        agencies=(
            Agency(
                code="dukcapil",
                name=text("Dinas Dukcapil", "Civil registry"),
                kind=AgencyKind.REGIONAL,
                time_zone="Asia/Jakarta",
            ),
            Agency(
                code="dukcapil-south",
                name=text("Dukcapil Selatan", "Civil registry, south"),
                kind=AgencyKind.REGIONAL,
                time_zone="Asia/Jakarta",
                parent="dukcapil",
            ),
            Agency(
                code="tax",
                name=text("Kantor pajak", "Tax office"),
                kind=AgencyKind.NATIONAL,
                time_zone="Asia/Jakarta",
            ),
        ),
        evidence_types=(EvidenceType(code="ktp", name=text("KTP", "Identity card")),),
        services=(
            service(
                "birth-certificate",
                "dukcapil",
                category="civil",
                keywords=("akta", "birth, certificate", "akta"),
                description=LocalizedText.of(id="Akta kelahiran anak"),
                form=FORM,
            ),
            service("moving-letter", "dukcapil-south"),
            service("tax-id", "tax", form=(field("npwp", FieldType.TEXT),)),
            service("tax-id", "tax", version=2, effective_from=date(2030, 1, 1)),
            service("draft-only", "tax", status=VersionStatus.DRAFT),
        ),
    )


@pytest.fixture
def catalogue() -> Catalogue:
    """A fresh sample catalogue."""
    return sample_catalogue()


def entry(catalogue: Catalogue, code: str, **options: str) -> dict[str, object]:
    """The service list's entry for *code*."""
    return next(s for s in services(catalogue, at=AT, **options) if s["service_code"] == code)


def attribute(code: str, **options: str) -> dict[str, object]:
    """The birth certificate definition's attribute for field *code*."""
    definition = service_definition(sample_catalogue(), "birth-certificate", at=AT, **options)
    return next(a for a in definition["attributes"] if a["code"] == code)


class TestServiceList:
    """GET services.json."""

    def test_lists_every_service_in_effect_with_the_spec_keys(self, catalogue: Catalogue) -> None:
        """Every service in effect is listed once, with exactly the GeoReport v2 keys."""
        listed = services(catalogue, at=AT)
        assert [s["service_code"] for s in listed] == [
            "birth-certificate",
            "moving-letter",
            "tax-id",
        ]
        assert all(set(s) == LIST_KEYS for s in listed)

    def test_leaves_out_drafts_and_versions_not_yet_in_effect(self, catalogue: Catalogue) -> None:
        """A draft service is not listed; a future version does not replace the current one."""
        codes = [s["service_code"] for s in services(catalogue, at=AT)]
        assert "draft-only" not in codes
        assert entry(catalogue, "tax-id")["metadata"] is True  # version 1 has the form

    def test_text_defaults_to_the_catalogue_default_language(self, catalogue: Catalogue) -> None:
        """Without a language, names are in the catalogue's first language."""
        assert entry(catalogue, "moving-letter")["service_name"] == "Layanan moving-letter"

    def test_text_follows_the_language_asked_for(self, catalogue: Catalogue) -> None:
        """With a language, names and agency groups are in that language."""
        listed = entry(catalogue, "moving-letter", language="en")
        assert listed["service_name"] == "Service moving-letter"
        assert listed["group"] == "Civil registry, south"

    def test_missing_translation_falls_back_to_catalogue_language(
        self, catalogue: Catalogue
    ) -> None:
        """A text missing in the language asked for comes from the catalogue's languages."""
        listed = entry(catalogue, "birth-certificate", language="en")
        assert listed["description"] == "Akta kelahiran anak"

    def test_service_without_description_has_empty_description(self, catalogue: Catalogue) -> None:
        """A service without a description lists an empty string, never null."""
        assert entry(catalogue, "moving-letter")["description"] == ""

    def test_metadata_is_true_for_every_service(self, catalogue: Catalogue) -> None:
        """``metadata`` is true for every service, with or without a form: each definition
        lists at least the applicant's identity attributes, which every submission needs."""
        flags = {s["service_code"]: s["metadata"] for s in services(catalogue, at=AT)}
        assert flags == {"birth-certificate": True, "moving-letter": True, "tax-id": True}

    def test_every_service_is_realtime(self, catalogue: Catalogue) -> None:
        """Every service is ``realtime``: submitting returns an application id at once."""
        assert {s["type"] for s in services(catalogue, at=AT)} == {SERVICE_TYPE} == {"realtime"}

    def test_keywords_are_one_comma_separated_string(self, catalogue: Catalogue) -> None:
        """Keywords join into one string; duplicates go, and inner commas become spaces."""
        assert entry(catalogue, "birth-certificate")["keywords"] == "akta, birth certificate"
        assert entry(catalogue, "moving-letter")["keywords"] == ""

    def test_group_is_the_category_or_else_the_agency_name(self, catalogue: Catalogue) -> None:
        """``group`` is the service's category when it has one, else its agency's name."""
        assert entry(catalogue, "birth-certificate")["group"] == "civil"
        assert entry(catalogue, "tax-id")["group"] == "Kantor pajak"

    def test_jurisdiction_lists_the_agency_subtree(self, catalogue: Catalogue) -> None:
        """A jurisdiction_id keeps the services of that agency and the agencies below it."""
        listed = services(catalogue, at=AT, jurisdiction_id="dukcapil")
        assert [s["service_code"] for s in listed] == ["birth-certificate", "moving-letter"]

    def test_unknown_jurisdiction_raises_agency_not_found(self, catalogue: Catalogue) -> None:
        """An unknown jurisdiction_id raises AgencyNotFound, a LookupError."""
        with pytest.raises(AgencyNotFound):
            services(catalogue, at=AT, jurisdiction_id="nowhere")

    def test_naive_moment_is_refused(self, catalogue: Catalogue) -> None:
        """A naive datetime is refused, as the catalogue refuses it."""
        with pytest.raises(ValueError, match="timezone-aware"):
            services(catalogue, at=datetime(2025, 6, 2))  # noqa: DTZ001 - the point of the test

    def test_service_list_survives_a_json_round_trip(self, catalogue: Catalogue) -> None:
        """The service list is plain JSON data: dumping and loading it changes nothing."""
        listed = services(catalogue, at=AT)
        assert json.loads(json.dumps(listed)) == listed


class TestServiceDefinition:
    """GET services/{service_code}.json."""

    def test_definition_names_the_service_and_lists_every_field(self) -> None:
        """A definition has the service code, one variable attribute per form field, and the
        applicant's two identity attributes."""
        definition = service_definition(sample_catalogue(), "birth-certificate", at=AT)
        assert set(definition) == {"service_code", "attributes"}
        assert definition["service_code"] == "birth-certificate"
        assert sorted(a["code"] for a in definition["attributes"]) == sorted(
            [*(f.name for f in FORM), *IDENTITY_CODES]
        )
        assert all(a["variable"] is True for a in definition["attributes"])

    @pytest.mark.parametrize(
        ("name", "datatype"),
        [
            ("full_name", "string"),
            ("reason", "text"),
            ("children", "number"),
            ("birth_date", "datetime"),
            ("married", "singlevaluelist"),
            ("religion", "singlevaluelist"),
            ("copies", "multivaluelist"),
            ("identity_card", "string"),
        ],
    )
    def test_each_field_type_maps_to_its_datatype(self, name: str, datatype: str) -> None:
        """Each of our field types becomes the GeoReport datatype of the mapping table."""
        assert attribute(name)["datatype"] == datatype

    def test_mapping_covers_every_field_type(self) -> None:
        """The datatype table has an entry for every FieldType, so no field is dropped."""
        assert set(DATATYPES) == set(FieldType)

    def test_orders_are_one_to_n_by_order_then_declaration(self) -> None:
        """Orders are renumbered 1..n by (order, position in the form); ties keep form order."""
        attributes = service_definition(sample_catalogue(), "birth-certificate", at=AT)[
            "attributes"
        ]
        assert [a["order"] for a in attributes] == list(range(1, len(FORM) + 3))
        assert [a["code"] for a in attributes] == [
            "married",
            "full_name",
            "children",
            "birth_date",
            "reason",
            "religion",
            "copies",
            "identity_card",
            *IDENTITY_CODES,
        ]

    def test_required_flag_is_carried_over(self) -> None:
        """``required`` is the field's own flag."""
        assert attribute("full_name")["required"] is True
        assert attribute("reason")["required"] is False

    def test_description_is_the_label_in_the_language_asked_for(self) -> None:
        """An attribute's description is the field's label, in the language asked for."""
        assert attribute("reason")["description"] == "Isian reason"
        assert attribute("reason", language="en")["description"] == "Field reason"

    def test_boolean_offers_true_and_false(self) -> None:
        """A boolean field is a single-value list of ``true`` and ``false``."""
        assert attribute("married")["values"] == [
            {"key": "true", "name": "true"},
            {"key": "false", "name": "false"},
        ]

    def test_choice_values_use_choice_keys_and_localized_names(self) -> None:
        """Choice values are keyed by the choice value and named by its label."""
        assert attribute("copies", language="en")["values"] == [
            {"key": "paper", "name": "Paper"},
            {"key": "pdf", "name": "PDF file"},
        ]

    def test_only_list_datatypes_carry_values(self) -> None:
        """Attributes that are not lists have no ``values`` key."""
        assert "values" not in attribute("full_name")
        assert "values" in attribute("religion")

    def test_document_field_asks_for_a_document_reference(self) -> None:
        """A document field's datatype_description asks for a reference to the evidence type."""
        description = attribute("identity_card", language="en")["datatype_description"]
        assert isinstance(description, str)
        assert "document" in description
        assert "Identity card" in description

    def test_help_text_becomes_the_datatype_description(self) -> None:
        """A field's help text is offered as its datatype_description."""
        description = attribute("birth_date", language="en")["datatype_description"]
        assert isinstance(description, str)
        assert description.endswith("Date of birth")
        assert attribute("married")["datatype_description"] is None

    def test_unknown_service_raises_service_not_found(self) -> None:
        """Asking for a service with no version in effect raises ServiceNotFound."""
        with pytest.raises(ServiceNotFound):
            service_definition(sample_catalogue(), "draft-only", at=AT)

    def test_service_without_form_lists_only_the_applicants_identity(self) -> None:
        """A service without a form has a definition listing the two identity attributes,
        required strings, the scheme's description naming the schemes the mall knows."""
        definition = service_definition(sample_catalogue(), "moving-letter", at=AT)
        attributes = definition["attributes"]
        assert [(a["code"], a["datatype"], a["required"], a["order"]) for a in attributes] == [
            ("applicant.identity_number", "string", True, 1),
            ("applicant.identity_scheme", "singlevaluelist", True, 2),
        ]
        assert [v["key"] for v in attributes[1]["values"]] == ["id-nik", "kr-rrn"]

    def test_the_bounds_the_mall_enforces_are_described(self) -> None:
        """A number's minimum and maximum, a text's length and a phone number's and an
        e-mail address's form are stated in each attribute's datatype_description."""
        form = (
            field("rooms", FieldType.NUMBER, minimum=1, maximum="12.5"),
            field("floor", FieldType.NUMBER, minimum=-3),
            field("line", FieldType.TEXT),
            field("story", FieldType.LONG_TEXT),
            field("mobile", FieldType.PHONE, region="ID"),
            field("mail", FieldType.EMAIL),
        )
        catalogue = attrs.evolve(
            sample_catalogue(), services=(service("contact", "tax", form=form),)
        )
        described = {
            a["code"]: a["datatype_description"]
            for a in service_definition(catalogue, "contact", at=AT)["attributes"]
        }
        assert "at least 1 and at most 12.5" in described["rooms"]
        assert described["floor"].endswith("at least -3.")
        assert "at most 1,000 characters" in described["line"]
        assert "at most 10,000 characters" in described["story"]
        assert "international form" in described["mobile"]
        assert "national number of ID" in described["mobile"]
        assert "e-mail address" in described["mail"]
        assert "at most 254 characters" in described["mail"]

    def test_the_identity_scheme_lists_the_catalogues_schemes_by_name(self) -> None:
        """applicant.identity_scheme offers the catalogue's own schemes, named, beside the
        built-in ones, as a singlevaluelist."""
        scheme = IdentityScheme(
            code="eg-nid", name=LocalizedText.of(id="NIK Mesir", en="Egyptian ID"), length=14
        )
        catalogue = attrs.evolve(sample_catalogue(), identity_schemes=(scheme,))
        definition = service_definition(catalogue, "moving-letter", at=AT)
        values = definition["attributes"][-1]["values"]
        assert {"key": "eg-nid", "name": "NIK Mesir"} in values
        assert [v["key"] for v in values] == ["eg-nid", "id-nik", "kr-rrn"]

    def test_definitions_cover_services_with_metadata(self, catalogue: Catalogue) -> None:
        """service_definitions returns one definition per service listed with metadata."""
        with_metadata = [s["service_code"] for s in services(catalogue, at=AT) if s["metadata"]]
        definitions = service_definitions(catalogue, at=AT)
        assert [d["service_code"] for d in definitions] == with_metadata

    def test_definitions_survive_a_json_round_trip(self, catalogue: Catalogue) -> None:
        """Definitions are plain JSON data: dumping and loading them changes nothing."""
        definitions = service_definitions(catalogue, at=AT, language="en")
        assert json.loads(json.dumps(definitions)) == definitions
