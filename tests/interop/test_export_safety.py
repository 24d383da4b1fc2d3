"""The exports write a value exactly or refuse the catalogue: no unsafe link, e-mail or text.

The catalogues here are built in Python, bypassing the loader's checks, as a catalogue
published before a check existed would be.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    ContactKind,
    ContactPoint,
    FieldType,
    FormField,
    LegalResource,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.uris import uri_problem
from onestop.domain.common.values import Duration
from onestop.exceptions import (
    CalendarError,
    DateOutOfRange,
    InvalidCatalogue,
    InvalidValue,
    NaiveDatetime,
)
from onestop.interop import cpsv, open311

AT = datetime(2025, 6, 2, tzinfo=UTC)
HOSTILE_LINKS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "https://example.go.id/\u202egpj.exe",
]
HOSTILE_EMAILS = [
    "info@example.go.id\r\nBcc: everyone@example.go.id",
    "info@example.go.id\nSubject: hi",
    "Info <info@example.go.id>",
]


def raw_text(text: str) -> LocalizedText:
    """Indonesian text built without its checks (its converter checks the text)."""
    value = object.__new__(LocalizedText)
    object.__setattr__(value, "texts", (("id", text),))
    return value


def contact(kind: ContactKind, value: str) -> ContactPoint:
    """A contact point built without its checks, as one published before them would be."""
    with attrs.validators.disabled():
        return ContactPoint(kind=kind, value=value)


def catalogue(
    *,
    contacts: tuple[ContactPoint, ...] = (),
    law_uri: str | None = None,
    name: str = "Akta kelahiran",
    description: str = "Akta kelahiran anak",
    keywords: tuple[str, ...] = ("akta",),
    label: str = "Nama lengkap",
    services: int = 1,
) -> Catalogue:
    """One agency and *services* services, with the values given, bypassing every check."""
    with attrs.validators.disabled():
        return _catalogue(contacts, law_uri, name, description, keywords, label, services)


def _catalogue(
    contacts: tuple[ContactPoint, ...],
    law_uri: str | None,
    name: str,
    description: str,
    keywords: tuple[str, ...],
    label: str,
    services: int,
) -> Catalogue:
    agency = Agency(
        code="dukcapil",
        name=LocalizedText.of(id="Dukcapil"),
        kind=AgencyKind.REGIONAL,
        time_zone="Asia/Jakarta",
        contacts=contacts,
    )
    form = (FormField(name="full_name", label=raw_text(label), type=FieldType.TEXT),)
    return Catalogue(
        name=LocalizedText.of(id="Mal"),
        languages=("id",),
        agencies=(agency,),
        legal_resources=(
            LegalResource(code="uu-24", title=LocalizedText.of(id="UU 24"), uri=law_uri),
        ),
        services=tuple(
            Service(
                code=f"birth-{n}",
                version=1,
                status=VersionStatus.PUBLISHED,
                effective_from=date(2024, 1, 1),
                agency="dukcapil",
                name=raw_text(name),
                description=raw_text(description),
                kind=ServiceKind.NON_LICENSING,
                time_limit=Duration.working_days(5),
                service_norm=Duration.working_days(3),
                channels=(ChannelVariant(channel=ChannelKind.COUNTER),),
                keywords=keywords,
                legal_basis=("uu-24",),
                form=form,
            )
            for n in range(services)
        ),
    )


def cpsv_text(value: Catalogue, **options: Any) -> str:
    """The CPSV-AP export streamed and joined."""
    return "".join(cpsv.iter_jsonld(value, at=AT, **options))


EXPORTS: dict[str, Callable[[Catalogue], object]] = {
    "cpsv.to_jsonld": lambda c: cpsv.to_jsonld(c, at=AT),
    "cpsv.iter_jsonld": cpsv_text,
    "open311.services": lambda c: open311.services(c, at=AT),
    "open311.iter_services": lambda c: "".join(open311.iter_services(c, at=AT)),
    "open311.service_definitions": lambda c: open311.service_definitions(c, at=AT),
    "open311.iter_service_definitions": lambda c: "".join(
        open311.iter_service_definitions(c, at=AT)
    ),
    "open311.service_definition": lambda c: open311.service_definition(c, "birth-0", at=AT),
}
CPSV_EXPORTS = ["cpsv.to_jsonld", "cpsv.iter_jsonld"]


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON value: keys are fixed by the exporters, so values only."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.mark.parametrize("export", CPSV_EXPORTS)
@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_hostile_contact_page_is_refused_by_path(export: str, link: str) -> None:
    """A javascript:, file: or data: website, or one with hidden characters, is refused."""
    hostile = catalogue(contacts=(contact(ContactKind.WEBSITE, link),))
    with pytest.raises(InvalidCatalogue) as caught:
        EXPORTS[export](hostile)
    (problem,) = caught.value.problems
    assert problem.path == "agencies[0].contacts[0].value"
    assert "alert" not in str(caught.value)  # the link itself is never quoted


@pytest.mark.parametrize("export", CPSV_EXPORTS)
@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_hostile_law_address_is_refused_by_path(export: str, link: str) -> None:
    """A law whose address is not an http(s), mailto or tel link is refused."""
    with pytest.raises(InvalidCatalogue) as caught:
        EXPORTS[export](catalogue(law_uri=link))
    assert [p.path for p in caught.value.problems] == ["legal_resources[0].uri"]


@pytest.mark.parametrize("export", CPSV_EXPORTS)
@pytest.mark.parametrize("email", HOSTILE_EMAILS)
def test_an_e_mail_address_with_a_line_break_is_refused(export: str, email: str) -> None:
    """An e-mail address holding CR/LF (a header injection) or a display name is refused."""
    hostile = catalogue(contacts=(contact(ContactKind.EMAIL, email),))
    with pytest.raises(InvalidCatalogue) as caught:
        EXPORTS[export](hostile)
    assert [p.path for p in caught.value.problems] == ["agencies[0].contacts[0].value"]
    assert "everyone" not in str(caught.value)


def test_every_problem_is_listed_at_once() -> None:
    """Two bad contacts and a bad law give three problems in one error."""
    hostile = catalogue(
        contacts=(
            contact(ContactKind.WEBSITE, "javascript:alert(1)"),
            contact(ContactKind.EMAIL, "a@b.id\r\nBcc: c@d.id"),
        ),
        law_uri="file:///etc/passwd",
    )
    with pytest.raises(InvalidCatalogue) as caught:
        cpsv.iter_jsonld(hostile, at=AT)  # refused before the first piece is asked for
    assert len(caught.value.problems) == 3


def test_a_catalogue_of_more_languages_than_a_loaded_one_may_declare_is_refused() -> None:
    """CPSV-AP writes each text in each declared language: a catalogue built in Python
    with 100,000 languages is refused with one problem at languages, not written."""
    many = attrs.evolve(catalogue(), languages=tuple(f"x{i:05d}" for i in range(100_000)))
    for export in (cpsv.to_jsonld, cpsv.iter_jsonld):
        with pytest.raises(InvalidCatalogue) as caught:
            export(many, at=AT)
        assert [p.path for p in caught.value.problems] == ["languages"]


def test_safe_links_and_addresses_are_written_exactly() -> None:
    """An https contact page, a tel: page, an e-mail and an https law are written as given."""
    fine = catalogue(
        contacts=(
            contact(ContactKind.WEBSITE, "https://dukcapil.example.go.id/a?b=c"),
            contact(ContactKind.WEBSITE, "tel:+62-21-123"),
            contact(ContactKind.EMAIL, "info@dukcapil.example.go.id"),
        ),
        law_uri="https://peraturan.example.go.id/uu/24",
    )
    written = set(strings(json.loads(cpsv_text(fine))))
    assert {
        "https://dukcapil.example.go.id/a?b=c",
        "tel:+62-21-123",
        "info@dukcapil.example.go.id",
        "https://peraturan.example.go.id/uu/24",
    } <= written


LISTS = {"cpsv.to_jsonld", "cpsv.iter_jsonld", "open311.services", "open311.iter_services"}
DEFINITIONS = {
    "open311.service_definitions",
    "open311.iter_service_definitions",
    "open311.service_definition",
}


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize(
    ("values", "refused_by"),
    [
        ({"name": "Akta\r\nkelahiran"}, LISTS),
        ({"name": "Akta\x00"}, LISTS),
        ({"description": "Akta\ud800"}, LISTS),
        ({"description": "Akta\x1b[31m"}, LISTS),
        ({"keywords": ("akta\x07",)}, LISTS),
        ({"keywords": ("akta\nlahir",)}, set()),
        ({"label": "Nama\u2028lengkap"}, DEFINITIONS),
        ({"label": "Nama\x85"}, DEFINITIONS),
    ],
)
def test_a_line_break_or_control_in_text_is_refused(
    export: str, values: dict[str, Any], refused_by: set[str]
) -> None:
    """CR/LF outside a description, NUL, ESC, BEL or a lone surrogate is refused where written.

    Both exports collapse a keyword's white space, so its line break becomes a space;
    form labels appear only in the Open311 definitions.
    """
    hostile = catalogue(**values)
    if export not in refused_by:
        EXPORTS[export](hostile)
        return
    with pytest.raises(InvalidCatalogue) as caught:
        EXPORTS[export](hostile)
    assert caught.value.problems
    assert "Akta" not in str(caught.value)  # text is never quoted
    assert "Nama" not in str(caught.value)


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_a_description_may_hold_line_breaks_and_tabs(export: str) -> None:
    """Line breaks and tabs in a description are kept, exactly."""
    text = "Baris satu\r\nBaris dua\n\tberindentasi"
    EXPORTS[export](catalogue(description=text))
    if export.startswith("cpsv"):
        assert text in strings(cpsv.to_jsonld(catalogue(description=text), at=AT))


def test_streaming_stops_at_the_first_bad_service_and_lists_every_one() -> None:
    """iter_jsonld writes nothing from the first bad service on, and names all bad ones."""
    good = catalogue(services=3)
    bad_services = tuple(
        s if s.code == "birth-0" else attrs.evolve(s, name=LocalizedText.of(id="x\n"))
        for s in good.services
    )
    hostile = Catalogue(
        name=good.name,
        languages=good.languages,
        agencies=good.agencies,
        legal_resources=good.legal_resources,
        services=bad_services,
    )
    written: list[str] = []
    with pytest.raises(InvalidCatalogue) as caught:
        written.extend(cpsv.iter_jsonld(hostile, at=AT))
    paths = [p.path for p in caught.value.problems]
    assert len(paths) == 2
    assert all(".dct:title" in path for path in paths)
    assert "birth-1" not in "".join(written)
    assert "birth-0" in "".join(written)


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize(
    ("at", "error"),
    [
        (datetime(2025, 6, 2), NaiveDatetime),  # noqa: DTZ001
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), DateOutOfRange),
        (datetime(9999, 12, 31, 23, tzinfo=UTC), DateOutOfRange),
        ("2025-06-02", CalendarError),
    ],
)
def test_a_naive_or_out_of_range_moment_is_a_typed_error(
    export: str, at: object, error: type[Exception]
) -> None:
    """*at* naive, near year 1 or 9999, or not a datetime raises a CalendarError."""
    with pytest.raises(error):
        _with_at(export, at)


def _with_at(export: str, at: object) -> object:
    fine = catalogue()
    module, name = export.split(".")
    function = getattr(cpsv if module == "cpsv" else open311, name)
    args: tuple[object, ...] = (fine, "birth-0") if name == "service_definition" else (fine,)
    result = function(*args, at=at)
    return "".join(result) if name.startswith("iter") else result


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: cpsv.to_jsonld("catalogue", at=AT), "catalogue"),  # type: ignore[arg-type]
        (lambda: cpsv.to_jsonld(catalogue(), at=AT, base="javascript:x"), "base"),
        (lambda: cpsv.to_jsonld(catalogue(), at=AT, spatial="file:///x"), "spatial"),
        (lambda: cpsv.iter_jsonld(catalogue(), at=AT, indent=True), "indent"),
        (lambda: open311.services(catalogue(), at=AT, language="en\x00"), "language"),
        (lambda: open311.services(catalogue(), at=AT, language=5), "language"),  # type: ignore[arg-type]
        (
            lambda: open311.services(catalogue(), at=AT, jurisdiction_id="x" * 5000),
            "jurisdiction_id",
        ),
        (lambda: open311.service_definition(catalogue(), 10**5000, at=AT), "code"),  # type: ignore[arg-type]
        (lambda: cpsv.iso_duration("5 working days"), "duration"),  # type: ignore[arg-type]
    ],
)
def test_a_wrong_argument_names_itself(call: Callable[[], object], field: str) -> None:
    """A wrong catalogue, base, spatial, indent, language, agency or code is InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        call()
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


TEXT = st.text(max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, description=TEXT, keyword=TEXT, label=TEXT, link=TEXT)
def test_whatever_is_written_is_safe_and_the_stream_matches_the_document(
    name: str, description: str, keyword: str, label: str, link: str
) -> None:
    """Any text: refused, or every value is clean, every link safe, and the stream exact."""
    hypothetical = catalogue(
        name=name or "x",
        description=description,
        keywords=(keyword,),
        label=label or "x",
        contacts=(contact(ContactKind.WEBSITE, link),),
        law_uri="https://" + link,
    )
    try:
        document = cpsv.to_jsonld(hypothetical, at=AT)
    except InvalidCatalogue:
        with pytest.raises(InvalidCatalogue):
            cpsv_text(hypothetical)
        return
    streamed = cpsv_text(hypothetical)
    assert streamed == json.dumps(document, ensure_ascii=False, indent=2)
    streamed.encode("utf-8")  # no lone surrogate
    for value in strings(document):
        assert not any(unicodedata.category(c) in {"Cc", "Cs"} for c in value if c not in "\r\n\t")
    for page in strings([n.get("cv:contactPage") for n in document["@graph"]]):
        assert uri_problem(page, schemes=("http", "https", "mailto", "tel")) is None
    for node in document["@graph"]:
        assert uri_problem(node["@id"], schemes=("urn", "http", "https", "mailto", "tel")) is None


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize(
    "changes",
    [
        {"agencies": [["not", "an", "agency"]]},
        {"services": "a" * 1000},
        {"life_events": "moving_house"},
        {"legal_resources": (5,)},
    ],
)
def test_a_catalogue_of_the_wrong_shape_is_a_typed_error(
    export: str, changes: dict[str, Any]
) -> None:
    """Lists, text or numbers where the model's objects belong raise InvalidValue on catalogue.

    A catalogue refuses such values when it is made, so this one is made with attrs'
    validators off, as an object that bypassed its checks would be.
    """
    with attrs.validators.disabled():
        wrong = attrs.evolve(catalogue(), **changes)
    refused: InvalidValue | None = None
    try:
        EXPORTS[export](wrong)  # an export that never reads the field may succeed
    except InvalidValue as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "catalogue"
        assert len(str(refused)) < 300
