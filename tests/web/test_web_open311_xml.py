"""GeoReport v2's required format, XML: an XML-only client works, and every answer parses.

`XmlClient` is written from the GeoReport v2 specification's XML examples with plain
httpx and `xml.etree.ElementTree` (expat: a strict, non-validating XML 1.0 parser that
refuses any malformed document); nothing here imports the server's routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import ServerProcess, in_process, settings_for

from onestop.domain.common.text import LocalizedText
from onestop.exceptions import InvalidValue
from onestop.web._open311_xml import xml_document

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
KIA = {
    "child_nik": "3171016512150002",
    "child_name": "Budi",
    "age_group": "under_5",
    "applicant.identity_number": "3171012501900001",
    "applicant.identity_scheme": "id-nik",
}
FORM = {
    "service_code": "kia",
    "first_name": "Ani",
    "last_name": "Lestari",
    **{f"attribute[{code}]": value for code, value in KIA.items()},
}
CANARY = "Zqx-CANARY-7719"


def parsed(response: httpx.Response) -> ElementTree.Element:
    """The XML root of *response*, sent as ``text/xml; charset=utf-8``, parsed strictly."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8", response.text
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own server's answer


def plain(element: ElementTree.Element) -> Any:
    """An element as the JSON answer holds it: children by tag, text, or ``None`` if empty."""
    children = list(element)
    if children:
        return {child.tag: plain(child) for child in children}
    return element.text


def errors_of(response: httpx.Response) -> list[tuple[int, str]]:
    """The ``(code, description)`` of each ``<error>`` of an ``<errors>`` answer."""
    root = parsed(response)
    assert root.tag == "errors"
    found = [(int(e.findtext("code", "")), e.findtext("description", "")) for e in root]
    assert found
    assert all(code == response.status_code for code, _ in found)
    return found


class XmlClient:
    """A GeoReport v2 client that speaks XML only, as the spec's examples do."""

    def __init__(self, http: httpx.Client, discovery_url: str) -> None:
        self.http = http
        root = parsed(http.get(discovery_url))
        assert root.tag == "discovery"
        for endpoint in root.iter("endpoint"):
            formats = [f.text for f in endpoint.iter("format")]
            if endpoint.findtext("specification") == SPECIFICATION and "text/xml" in formats:
                self.base = (endpoint.findtext("url") or "").rstrip("/")
                break
        else:
            raise AssertionError("no GeoReport v2 XML endpoint is discovered")

    def services(self) -> list[dict[str, str | None]]:
        """``GET services.xml``: each ``<service>``'s elements."""
        root = parsed(self.http.get(f"{self.base}/services.xml"))
        assert root.tag == "services"
        return [{child.tag: child.text for child in service} for service in root]

    def definition(self, code: str) -> ElementTree.Element:
        """``GET services/{code}.xml``: the ``<service_definition>``."""
        root = parsed(self.http.get(f"{self.base}/services/{code}.xml"))
        assert root.tag == "service_definition"
        return root

    def post(self, form: dict[str, str]) -> ElementTree.Element:
        """``POST requests.xml``, form-encoded: the ``<request>`` answered."""
        response = self.http.post(
            f"{self.base}/requests.xml", content=urlencode(form), headers=FORM_TYPE
        )
        assert response.status_code == 201, response.text
        root = parsed(response)
        assert root.tag == "service_requests"
        (request,) = root
        return request

    def request(self, request_id: str) -> ElementTree.Element:
        """``GET requests/{id}.xml``: the one ``<request>``."""
        root = parsed(self.http.get(f"{self.base}/requests/{request_id}.xml"))
        (request,) = root.iter("request")
        return request


def test_an_xml_only_client_applies_and_reads_the_status_back(tmp_path: Path) -> None:
    """A client that reads only XML discovers the endpoint, lists services, reads a
    definition, posts a request and reads its status back, the same data as the JSON."""
    with ServerProcess(settings_for(tmp_path)) as server, httpx.Client(timeout=30) as http:
        client = XmlClient(http, f"{server.url}/open311/v2/discovery.xml")
        listed = client.services()
        definition = client.definition("kia")
        codes = [a.findtext("code") for a in definition.iter("attribute")]
        schemes = [v.findtext("key") for a in definition.iter("attribute") for v in a.iter("value")]
        created = client.post(FORM)
        request_id = created.findtext("service_request_id") or ""
        one = client.request(request_id)
        by_list = parsed(http.get(f"{client.base}/requests.xml?service_request_id={request_id}"))
        as_json = http.get(f"{client.base}/requests/{request_id}.json").json()[0]
        services_json = http.get(f"{client.base}/services.json").json()
    assert client.base == f"{server.url}/open311/v2"
    assert [s["service_code"] for s in listed] == [s["service_code"] for s in services_json]
    assert listed[0]["metadata"] == "true"
    assert set(KIA) <= set(codes)
    assert "id-nik" in schemes
    assert created.find("account_id") is not None
    assert created.findtext("account_id") == ""  # null: an empty element
    assert one.findtext("status") == "open"
    assert plain(one) == {k: None if v is None else str(v) for k, v in as_json.items()}
    assert [plain(r) for r in by_list] == [plain(one)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One in-process server, with limits high enough not to interfere."""
    tmp = tmp_path_factory.mktemp("open311-xml")
    options = {"submissions_per_minute": 1_000_000, "lookups_per_minute": 1_000_000}
    with in_process(settings_for(tmp, **options)) as found:
        yield found


def test_the_xml_definition_is_the_json_one(client: Any) -> None:
    """``services/kia.xml`` holds what ``services/kia.json`` holds, attribute for attribute."""
    as_json = client.get("/open311/v2/services/kia.json").json()
    root = parsed(client.get("/open311/v2/services/kia.xml"))
    attributes = root.find("attributes")
    assert attributes is not None
    assert root.findtext("service_code") == "kia"
    for element, attribute in zip(attributes, as_json["attributes"], strict=True):
        assert element.findtext("code") == attribute["code"]
        assert element.findtext("datatype") == attribute["datatype"]
        assert element.findtext("required") == str(attribute["required"]).lower()
        assert element.findtext("order") == str(attribute["order"])
        described = element.findtext("datatype_description") or None  # null: empty
        assert described == attribute["datatype_description"]
        values = [(v.findtext("key"), v.findtext("name")) for v in element.iter("value")]
        assert values == [(v["key"], v["name"]) for v in attribute.get("values", [])]


def test_discovery_lists_xml_beside_json(client: Any) -> None:
    """The discovery document's endpoint lists ``text/xml`` beside ``application/json``."""
    formats = client.get("/open311/v2/discovery.json").json()["endpoints"][0]["formats"]
    assert formats == ["application/json", "text/xml"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/open311/v2/services/nope.xml", 404),
        ("GET", "/open311/v2/requests/00000000-0000-4000-8000-000000000000.xml", 404),
        ("GET", "/open311/v2/services.xml?jurisdiction_id=nowhere", 404),
        ("GET", "/open311/v2/services.xml?lang=not%20a%20tag", 400),
        ("GET", "/open311/v2/nothing.xml", 404),
        ("DELETE", "/open311/v2/requests.xml", 405),
    ],
)
def test_an_xml_path_is_refused_in_xml(client: Any, method: str, path: str, status: int) -> None:
    """A refusal on a path ending with ``.xml`` is GeoReport's ``<errors>`` with its status."""
    response = client.request(method, path)
    assert response.status_code == status
    errors_of(response)


def test_a_refused_xml_form_is_an_xml_error_list_that_quotes_nothing(client: Any) -> None:
    """A form ``POST requests.xml`` refuses is answered 400 in ``<errors>``, as in JSON, and
    quotes nothing sent."""
    form = {**FORM, "first_name": CANARY, "attribute[applicant.identity_number]": CANARY}
    body = urlencode(form)
    xml = client.post("/open311/v2/requests.xml", content=body, headers=FORM_TYPE)
    json = client.post("/open311/v2/requests.json", content=body, headers=FORM_TYPE)
    assert xml.status_code == json.status_code == 400
    assert errors_of(xml) == [(e["code"], e["description"]) for e in json.json()]
    assert CANARY not in xml.text


def test_a_json_body_on_requests_xml_is_a_415_in_xml(client: Any) -> None:
    """``POST requests.xml`` takes the same form-encoded body: JSON is an XML-listed 415."""
    response = client.post(
        "/open311/v2/requests.xml", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 415
    errors_of(response)


def _checked(response: httpx.Response) -> None:
    """*response* is never a 5xx, and its body, 2xx or 4xx, is well-formed XML."""
    assert response.status_code < 500, response.text
    root = parsed(response)
    if response.status_code >= 400:
        assert root.tag == "errors"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(sorted(FORM)), value=st.text(max_size=300), tail=st.text("\n\r "))
def test_any_unicode_in_an_xml_form_is_answered_in_well_formed_xml(
    client: Any, field: str, value: str, tail: str
) -> None:
    """All of Unicode (controls, U+FFFE, U+FFFF, lone surrogates, trailing line breaks) in a
    form posted to ``requests.xml``: well-formed XML, never a 5xx, the canary unquoted."""
    form = {**FORM, field: f"{CANARY}{value}{tail}"}
    body = "&".join(
        f"{quote(k, errors='surrogatepass')}={quote(v, errors='surrogatepass')}"
        for k, v in form.items()
    )
    response = client.post("/open311/v2/requests.xml", content=body, headers=FORM_TYPE)
    _checked(response)
    assert CANARY not in response.text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=st.text(min_size=1, max_size=300), query=st.text(max_size=200))
def test_any_path_or_query_on_an_xml_route_is_well_formed_xml(
    client: Any, segment: str, query: str
) -> None:
    """Any service code, request id or query value on an ``.xml`` route: well-formed XML."""
    encoded = quote(segment, safe="", errors="surrogatepass")
    for path in (f"/open311/v2/services/{encoded}.xml", f"/open311/v2/requests/{encoded}.xml"):
        _checked(client.get(path))
    for name in ("lang", "jurisdiction_id", "service_request_id"):
        for path in ("/open311/v2/services.xml", "/open311/v2/requests.xml"):
            _checked(client.get(path, params={name: query}))


@pytest.mark.parametrize(
    "pairs",
    [
        [("attribute" + "[a]" * 5_000, "1")],
        [("attribute[child_name]" + "[]" * 2_000, "x")],
        [(f"attribute[child_{i}]", "9" * 5_000) for i in range(200)],
        [("lat", "9" * 9_999), ("long", "1")],
        [("lat", "1e999999999"), ("long", "-1E-999999999")],
    ],
    ids=["deep-brackets", "deep-lists", "many-huge", "huge-number", "huge-exponent"],
)
def test_deep_or_huge_xml_forms_are_refused_in_xml(
    client: Any, pairs: list[tuple[str, str]]
) -> None:
    """Deeply nested keys and huge numbers in a ``POST requests.xml`` are a 4xx ``<errors>``."""
    body = urlencode([(k, v) for k, v in FORM.items() if k != "attribute[child_nik]"] + pairs)
    response = client.post("/open311/v2/requests.xml", content=body, headers=FORM_TYPE)
    assert 400 <= response.status_code < 500
    errors_of(response)


@given(
    texts=st.lists(st.text(), min_size=1, max_size=5),
    number=st.integers(min_value=-(10**400), max_value=10**400),
)
def test_any_text_is_written_as_well_formed_xml_and_read_back(
    texts: list[str], number: int
) -> None:
    """Any text (all of Unicode) and any whole number give well-formed XML; text XML can
    carry is read back exactly (a carriage return and trailing line breaks too), each
    character it cannot carry is read as U+FFFD."""
    data = [{"code": 400, "description": text} for text in texts] + [
        {"code": number, "description": "\r\n\n"}
    ]
    root = ElementTree.fromstring(xml_document("errors", data))  # noqa: S314 - written here
    read = [(e.findtext("code"), e.findtext("description") or "") for e in root]
    legal = "\t\n\r" + "".join(chr(c) for c in range(0x20, 0x7F))
    for (code, description), given_text in zip(read, [*texts, "\r\n\n"], strict=True):
        assert code is not None
        assert len(description) == len(given_text)
        for got, sent in zip(description, given_text, strict=True):
            xml_legal = sent in legal or (
                ord(sent) > 0x7E
                and not 0xD800 <= ord(sent) <= 0xDFFF
                and sent not in "\ufffe\uffff"
            )
            assert got == (sent if xml_legal else "\ufffd")
    assert read[-1] == (str(number), "\r\n\n")


def test_a_catalogue_text_xml_cannot_carry_is_refused_typed() -> None:
    """A catalogue text holding U+FFFF, which XML cannot carry, is refused when it is made,
    with `InvalidValue` naming the text and the character, never quoting it."""
    with pytest.raises(InvalidValue) as refused:
        LocalizedText.of(id="NPWP\uffff")
    assert refused.value.field == "text[id]"
    assert "U+FFFF" in refused.value.reason
    assert "NPWP" not in str(refused.value)
