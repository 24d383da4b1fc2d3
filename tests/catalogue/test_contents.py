"""Every value a catalogue holds is checked once: text, integers, codes, contacts and URLs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.checks import check_catalogue
from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Choice,
    ContactKind,
    ContactPoint,
    EvidenceType,
    FieldType,
    FormField,
    LegalResource,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.contact_points import url_problem
from onestop.domain.common.formats import INT64_MAX, INT64_MIN
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.domain.workflow.model import Workflow
from onestop.exceptions import InvalidCatalogue, InvalidValue
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue, read_catalogue
from onestop.usecases.catalogue.publishing import canonical_catalogue, publish_catalogue

VALID = Path(__file__).parent / "valid" / "minimal.toml"
BASE = load_catalogue(VALID)


def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(dump_catalogue(BASE))
    return loaded


def problems_of(tmp_path: Path, document: dict[str, Any]) -> dict[str, str]:
    """Write *document* as a JSON file (``ensure_ascii``: surrogates travel as escapes)."""
    file = tmp_path / "c.json"
    file.write_text(json.dumps(document), encoding="ascii")
    _, problems = read_catalogue(file)
    for problem in problems:
        str(problem).encode("utf-8")  # every problem prints
    return {p.path: p.message for p in problems}


def text(value: str) -> LocalizedText:
    return LocalizedText.of(en=value, id=value)


# Where a JSON file can carry bad text, and the path its problem names.
TEXT_SLOTS = [
    (("agencies", 0, "name", "en"), "agencies[0].name"),
    (("services", 0, "keywords"), "services[0].keywords[0]"),
    (("services", 0, "category"), "services[0].category"),
    (("services", 0, "form", 0, "label", "id"), "services[0].form[0].label"),
    (("services", 0, "requirements", 0, "when"), "services[0].requirements[0].when"),
    (("agencies", 0, "code"), "agencies[0].code"),
    (("agencies", 0, "time_zone"), "agencies[0].time_zone"),
]
BAD_TEXT = ["\ud800", "\udfff", "\x00", "\x1b[2J", "\u0085"]


def put(document: dict[str, Any], where: tuple[str | int, ...], value: str) -> None:
    *head, last = where
    node: Any = document
    for step in head:
        node = node[step]
    if last == "keywords":
        node[last] = [value]
    elif last == "when":
        node[last] = f'is_company == "{value}"'
    else:
        node[last] = value if last not in ("code", "category") else "tax" + value


@pytest.mark.parametrize("bad", BAD_TEXT, ids=["high", "low", "nul", "escape", "nel"])
@pytest.mark.parametrize(("where", "path"), TEXT_SLOTS, ids=[s[1] for s in TEXT_SLOTS])
def test_bad_text_in_a_json_file_is_a_problem_at_its_path(
    tmp_path: Path, where: tuple[str | int, ...], path: str, bad: str
) -> None:
    """A lone surrogate or a control character anywhere is a problem there, not a crash later."""
    document = data()
    put(document, where, bad)
    problems = problems_of(tmp_path, document)
    assert path in problems, problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Bad text, a huge version and a case-twin code in one file are reported in one run."""
    document = data()
    document["services"][0]["keywords"] = ["ok", "\ud800"]
    document["services"][0]["version"] = 2**63
    document["evidence_types"].append(dict(document["evidence_types"][0], code="IDENTITY_CARD"))
    problems = problems_of(tmp_path, document)
    assert {
        "services[0].keywords[1]",
        "services[0].version",
        "evidence_types[1].code",
    } <= problems.keys()


def built(**changes: Any) -> Catalogue:
    """The minimal catalogue with its first service changed (evolve skips nothing)."""
    service = attrs.evolve(BASE.services[0], **changes)
    return attrs.evolve(BASE, services=(service,))


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"keywords": ("\ud800",)}, "services[0].keywords[0]"),
        ({"keywords": ("a\x00b",)}, "services[0].keywords[0]"),
        ({"category": "im\ud800"}, "services[0].category"),
        ({"code": "tax-id\n"}, "services[0].code"),
    ],
)
def test_bad_text_in_a_python_built_catalogue_is_found_and_never_published(
    changes: dict[str, Any], path: str
) -> None:
    """check_catalogue finds it; canonical_catalogue and publish refuse with InvalidCatalogue."""
    catalogue = built(**changes)
    assert path in {p.path for p in check_catalogue(catalogue)}
    with pytest.raises(InvalidCatalogue):
        canonical_catalogue(catalogue)
    store = MemoryStore()
    with pytest.raises(InvalidCatalogue):
        publish_catalogue(store, catalogue)
    assert store.latest_catalogue() is None


@settings(max_examples=60, deadline=None)
@given(st.integers().filter(lambda n: not INT64_MIN <= n <= INT64_MAX) | st.integers(max_value=0))
def test_a_version_no_store_holds_is_refused(version: int) -> None:
    """A service version outside 1 to 2**63 - 1 is a problem; it would fail in SQL stores."""
    problems = check_catalogue(built(version=version))
    assert [p.path for p in problems] == ["services[0].version"]
    assert len(problems[0].message) < 120


@settings(max_examples=30, deadline=None)
@given(st.integers(1, INT64_MAX))
def test_every_version_a_store_holds_is_accepted(version: int) -> None:
    """Any version from 1 to 2**63 - 1 passes, and the catalogue publishes."""
    catalogue = built(version=version)
    assert check_catalogue(catalogue) == []
    canonical_catalogue(catalogue)


def test_a_json_version_of_2_to_the_63_is_refused(tmp_path: Path) -> None:
    """The loader refuses version 2**63 (it validated before and broke SQL submissions)."""
    document = data()
    document["services"][0]["version"] = 2**63
    problems = problems_of(tmp_path, document)
    assert problems == {
        "services[0].version": "must be at most 2**63 - 1, the largest a store holds, "
        "not 9223372036854775808"
    }


WRONG_TYPES = [
    ({"version": True}, "version"),
    ({"code": 5}, "code"),
    ({"keywords": ["a"]}, "keywords"),
    ({"effective_from": "2024-01-01"}, "effective_from"),
    ({"effective_from": datetime(2024, 1, 1, tzinfo=UTC)}, "effective_from"),
    ({"channels": (ChannelKind.COUNTER,)}, "channels[0]"),
    ({"requirements": "a" * 100_000}, "requirements"),
]
WRONG_IDS = [
    "bool-version",
    "int-code",
    "list",
    "date-text",
    "datetime",
    "enum-for-variant",
    "text",
]


@pytest.mark.parametrize(("changes", "field"), WRONG_TYPES, ids=WRONG_IDS)
def test_values_of_the_wrong_type_are_refused_when_made(
    changes: dict[str, Any], field: str
) -> None:
    """A service built or evolved in Python with a wrong type is refused there, naming the field."""
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(BASE.services[0], **changes)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(("changes", "field"), WRONG_TYPES, ids=WRONG_IDS)
def test_values_of_the_wrong_type_that_bypassed_the_check_are_problems(
    changes: dict[str, Any], field: str
) -> None:
    """A catalogue made with attrs' validators off gets a problem there, never a TypeError."""
    with attrs.validators.disabled():
        catalogue = built(**changes)
    problems = check_catalogue(catalogue)
    assert f"services[0].{field}" in {p.path for p in problems}, problems


def test_a_catalogue_of_the_wrong_shape_is_refused_when_made() -> None:
    """Text where a catalogue's tuple of agencies belongs is refused, naming the item."""
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(BASE, agencies=(*BASE.agencies, "a"))
    assert caught.value.field == f"agencies[{len(BASE.agencies)}]"
    assert caught.value.reason == "expected an Agency, not text"


def test_a_form_field_order_beyond_64_bits_is_refused() -> None:
    """Every integer, not only versions, is checked: a form field's order too."""
    field = attrs.evolve(BASE.services[0].form[0], order=2**64)
    problems = check_catalogue(built(form=(field,)))
    assert [p.path for p in problems] == ["services[0].form[0].order"]


def test_workflow_versions_are_checked_too() -> None:
    """A workflow's version beyond 64 bits is refused like a service's."""
    catalogue = attrs.evolve(BASE, workflows=(Workflow(code="w", version=2**63),))
    assert "workflows[0].version" in {p.path for p in check_catalogue(catalogue)}


def agency(code: str) -> Agency:
    return Agency(code=code, name=text("x"), kind=AgencyKind.NATIONAL, time_zone="Asia/Jakarta")


def test_agency_codes_that_differ_only_by_case_are_refused() -> None:
    """'dpmptsp' and 'DPMPTSP' are one agency to anyone who ignores case: refused."""
    catalogue = attrs.evolve(BASE, agencies=(*BASE.agencies, agency("dpmptsp"), agency("DPMPTSP")))
    [problem] = check_catalogue(catalogue)
    assert problem.path == "agencies[2].code"
    assert "'DPMPTSP' differs only by case from 'dpmptsp' (agencies[1])" in problem.message


@pytest.mark.parametrize(
    ("section", "item"),
    [
        ("evidence_types", EvidenceType(code="IDENTITY_CARD", name=text("x"))),
        ("legal_resources", LegalResource(code="Law-1", title=text("x"))),
    ],
)
def test_every_code_namespace_refuses_case_twins(section: str, item: Any) -> None:
    """Evidence types, laws and the rest refuse a code that differs from another only by case."""
    twin = attrs.evolve(item, code=item.code.lower())
    catalogue = attrs.evolve(BASE, **{section: (*getattr(BASE, section), twin, item)})
    paths = {p.path for p in check_catalogue(catalogue)}
    assert f"{section}[{len(getattr(BASE, section)) + 1}].code" in paths


def test_service_codes_that_differ_only_by_case_are_refused() -> None:
    """Two services 'tax-id' and 'TAX-ID' are refused, whatever their versions."""
    twin = attrs.evolve(BASE.services[0], code="TAX-ID", version=2, status=VersionStatus.DRAFT)
    catalogue = attrs.evolve(BASE, services=(*BASE.services, twin))
    assert [p.path for p in check_catalogue(catalogue)] == ["services[1].code"]


def test_requirement_fee_and_choice_codes_refuse_case_twins() -> None:
    """Inside a service too: requirements, fees and a field's choices."""
    service = BASE.services[0]
    field = FormField(
        name="size",
        label=text("size"),
        type=FieldType.CHOICE,
        choices=(Choice(value="pt", label=text("a")), Choice(value="PT", label=text("b"))),
    )
    requirement = attrs.evolve(service.requirements[0], code="ID")
    fee = attrs.evolve(service.fees[0], code="FEE")
    catalogue = built(
        form=(*service.form, field),
        requirements=(*service.requirements, requirement),
        fees=(*service.fees, fee),
    )
    assert {p.path for p in check_catalogue(catalogue)} == {
        "services[0].form[1].choices[1].value",
        "services[0].requirements[1].code",
        "services[0].fees[1].code",
    }


BAD_CONTACTS = [
    (ContactKind.WEBSITE, "javascript:alert(1)"),
    (ContactKind.WEBSITE, "JavaScript:alert(1)"),
    (ContactKind.WEBSITE, "file:///etc/passwd"),
    (ContactKind.WEBSITE, "data:text/html,<script>"),
    (ContactKind.WEBSITE, "//evil.example/"),
    (ContactKind.WEBSITE, "https://jakarta.go.id/\r\nSet-Cookie: a"),
    (ContactKind.WEBSITE, "https://jakarta.go.id/ a"),
    (ContactKind.WEBSITE, "https://user:pw@jakarta.go.id/"),
    (ContactKind.WEBSITE, "https://"),
    (ContactKind.WEBSITE, "https://jakarta.go.id:99999/"),
    (ContactKind.EMAIL, "ptsp@jakarta.go.id\r\nBcc: all@x.id"),
    (ContactKind.EMAIL, "Ana <ptsp@jakarta.go.id>"),
    (ContactKind.EMAIL, "not an address"),
    (ContactKind.EMAIL, "ptsp@jakarta.go.id\n"),
    (ContactKind.PHONE, "+62 21 1\n"),
    (ContactKind.PHONE, "\u0661\u0661\u0662"),
    (ContactKind.PHONE, "call us"),
    (ContactKind.PHONE, "+999 1234"),
    (ContactKind.PHONE, "12"),
    (ContactKind.ADDRESS, "Jl. Medan Merdeka\x00"),
]


@pytest.mark.parametrize(("kind", "value"), BAD_CONTACTS)
def test_contacts_that_are_not_of_their_kind_are_refused(kind: ContactKind, value: str) -> None:
    """Contacts are checked by kind when made: no javascript: link, no CRLF in an e-mail."""
    with pytest.raises(InvalidValue) as caught:
        ContactPoint(kind=kind, value=value)
    assert caught.value.field == "value"
    assert caught.value.reason.isascii() or "\n" not in caught.value.reason


GOOD_CONTACTS = [
    (ContactKind.WEBSITE, "https://dpmptsp.jakarta.go.id"),
    (ContactKind.WEBSITE, "http://example.org/a?b=c#d"),
    (ContactKind.WEBSITE, "https://[2001:db8::1]:8443/"),
    (ContactKind.EMAIL, "ptsp@harbour.example"),
    (ContactKind.EMAIL, "민원@jongno.go.kr"),
    (ContactKind.PHONE, "112"),
    (ContactKind.PHONE, "(021) 3822968"),
    (ContactKind.PHONE, "+62 21 3822968"),
    (ContactKind.ADDRESS, "Balai Kota\nJl. Medan Merdeka Selatan 8-9\nJakarta 10110"),
]


@pytest.mark.parametrize(("kind", "value"), GOOD_CONTACTS)
def test_ordinary_contacts_are_accepted(kind: ContactKind, value: str) -> None:
    """Websites, e-mail addresses (international too), numbers and addresses pass as written."""
    assert ContactPoint(kind=kind, value=value).value == value


def test_a_javascript_link_in_a_file_is_a_problem_naming_the_contact(tmp_path: Path) -> None:
    """A catalogue file with a javascript: website or CRLF e-mail is refused, never exported."""
    document = data()
    document["agencies"][0]["contacts"] = [
        {"kind": "website", "value": "javascript:alert(1)"},
        {"kind": "email", "value": "ptsp@jakarta.go.id\r\nBcc: x@y.id"},
    ]
    document["legal_resources"] = [
        {"code": "law", "title": {"en": "Law", "id": "UU"}, "uri": "file:///etc/passwd"}
    ]
    problems = problems_of(tmp_path, document)
    assert problems["agencies[0].contacts[0]"].startswith("value: must be an absolute https")
    assert problems["agencies[0].contacts[1]"].startswith("value: has a control character (U+000D")
    assert problems["legal_resources[0]"].startswith("uri: must be an absolute https or http URL")


@pytest.mark.parametrize("uri", ["javascript:void(0)", "file:///c:/laws.pdf", "/laws/25", ""])
def test_legal_uris_are_absolute_web_addresses(uri: str) -> None:
    """A law's URI is an https or http URL, checked when it is made."""
    with pytest.raises(InvalidValue, match="uri"):
        LegalResource(code="law", title=text("Law"), uri=uri)


def test_the_examples_hold_only_valid_contacts() -> None:
    """Every contact and legal URI of the shipped examples passes the checks."""
    root = VALID.parent.parent.parent.parent / "examples"
    for name in ("jakarta", "cambodia", "korea", "tutorial"):
        assert load_catalogue(root / name).agencies


def test_a_catalogue_built_in_python_checks_cleanly() -> None:
    """The checks accept an ordinary catalogue built in Python (no false alarm)."""
    service = Service(
        code="permit",
        version=1,
        status=VersionStatus.PUBLISHED,
        effective_from=date(2025, 1, 1),
        agency="tax",
        name=text("Permit"),
        kind=ServiceKind.LICENSING,
        time_limit=Duration.working_days(5),
        service_norm=Duration.working_days(3),
        channels=(ChannelVariant(channel=ChannelKind.ONLINE),),
        keywords=("izin", "permit"),
    )
    assert check_catalogue(attrs.evolve(BASE, services=(*BASE.services, service))) == []


# --- URLs (websites and legal URIs) ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://dpmptsp.jakarta.go.id",
        "http://example.org/a?b=c#d",
        "https://www.law.go.kr/\ubc95\ub839/\uc5ec\uad8c\ubc95",  # an IRI path
        "https://[2001:db8::1]:8443/",
        "HTTPS://Jakarta.go.id",
    ],
)
def test_absolute_web_urls_are_accepted(url: str) -> None:
    """https and http URLs naming an ASCII host pass; the path may be in any script."""
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("javascript:alert(1)", "not a 'javascript:' one"),
        ("file:///etc/passwd", "not a 'file:' one"),
        ("data:text/html,x", "not a 'data:' one"),
        ("/relative", "not a relative one"),
        ("https://a.id/\r\nX: y", "control character (U+000D"),
        ("https://a.id/\x00", "NUL character"),
        ("https://a.id/\u202e", "invisible U+202E"),
        ("https://a.id/ x", "white space"),
        ("https://u:p@a.id/", "user name or password"),
        ("https://\u0430.id/", "punycode"),  # a Cyrillic look-alike host
        ("https://<a>/", "not a domain name"),
        ("https://a.id:0/", "port"),
        ("https://a.id/" + "x" * 2048, "more than 2048"),
        (5, "not an integer"),
    ],
)
def test_urls_that_could_harm_or_mislead_are_refused(url: object, words: str) -> None:
    """Script and file URLs, controls, credentials and look-alike hosts are refused."""
    problem = url_problem(url)
    assert problem is not None
    assert words in problem
