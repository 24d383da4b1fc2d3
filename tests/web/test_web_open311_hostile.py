"""The Open311 routes under hostile input: GeoReport error lists, never a 5xx, never an echo.

Everything runs in process (Litestar's test client).  Each refusal must be a 4xx whose
body is GeoReport's list of ``{code, description}`` with ``code`` equal to the HTTP
status, and must not quote the personal values that were sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import in_process, new_key, settings_for

from onestop.interop import open311
from onestop.ports.events import SummaryQuery
from onestop.web._api import CITIZEN
from onestop.web._inflight import InFlight

CANARY = "Zqx-CANARY-7719"
"""A value no answer may ever hold: if it is in a body, a personal value was echoed."""

FORM = {
    "service_code": "kia",
    "first_name": "Ani",
    "last_name": "Lestari",
    "attribute[applicant.identity_number]": "3171012501900001",
    "attribute[applicant.identity_scheme]": "id-nik",
    "attribute[child_nik]": "3171016512150002",
    "attribute[child_name]": "Budi",
    "attribute[age_group]": "under_5",
}
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
REQUESTS = "/open311/v2/requests.json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One in-process server for the module, with limits high enough not to interfere."""
    tmp = tmp_path_factory.mktemp("open311")
    options = {"submissions_per_minute": 1_000_000, "lookups_per_minute": 1_000_000}
    with in_process(settings_for(tmp, **options)) as found:
        yield found


def _refused(response: Any, *, status: int | None = None, sent: tuple[str, ...] = ()) -> None:
    """*response* is a 4xx GeoReport error list that quotes nothing of *sent*."""
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    errors = _errors(response)
    assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"code", "description"}
        assert error["code"] == response.status_code
        assert isinstance(error["description"], str)
        assert error["description"].isprintable()
    for value in sent:
        assert value not in response.text


def _errors(response: Any) -> Any:
    """The error list of *response*: its JSON, or its GeoReport XML read by a strict parser."""
    if not response.headers["content-type"].startswith("text/xml"):
        return response.json()
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own server's answer
    assert root.tag == "errors"
    return [
        {e.tag: int(e.text or 0) if e.tag == "code" else e.text or "" for e in error}
        for error in root
    ]


def _post(client: Any, body: bytes | str, headers: dict[str, str] | None = None) -> Any:
    content = body.encode("utf-8") if isinstance(body, str) else body
    return client.post(REQUESTS, content=content, headers=FORM_TYPE if headers is None else headers)


def test_a_valid_form_is_created(client: Any) -> None:
    """The valid form the hostile variants start from is accepted (201)."""
    response = _post(client, urlencode(FORM))
    assert response.status_code == 201, response.text


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=2_000))
def test_any_bytes_as_a_form_are_a_4xx_list(client: Any, body: bytes) -> None:
    """Arbitrary bytes posted as a form are refused with a GeoReport list, never a 5xx."""
    _refused(_post(client, body))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.dictionaries(st.text(max_size=40), st.text(max_size=200), min_size=1, max_size=8),
    field=st.sampled_from(sorted(FORM)),
    value=st.text(max_size=300),
)
def test_any_unicode_in_a_form_is_refused_without_an_echo(
    client: Any, extra: dict[str, str], field: str, value: str
) -> None:
    """All of Unicode (lone surrogates too) in keys and values: a 4xx list, the canary unquoted."""
    form = {**FORM, field: f"{CANARY}{value}"}
    form.update({f"{key}{CANARY}": item for key, item in extra.items()})
    body = "&".join(
        f"{quote(k, errors='surrogatepass')}={quote(v, errors='surrogatepass')}"
        for k, v in form.items()
    )
    _refused(_post(client, body), sent=(CANARY,))


@pytest.mark.parametrize(
    "pairs",
    [
        [("service_code", "kia"), ("service_code", "kia")],
        [("first_name", CANARY), ("first_name", CANARY)],
        [("attribute[child_name]", CANARY), ("attribute[child_name]", CANARY)],
        [("attribute[applicant.identity_number]", CANARY)] * 2,
    ],
    ids=["service_code", "first_name", "attribute", "identity"],
)
def test_a_repeated_key_is_refused(client: Any, pairs: list[tuple[str, str]]) -> None:
    """A key given twice (but a multivaluelist's) is a 400 naming the key, not the value."""
    form = [(k, v) for k, v in FORM.items() if k not in {p[0] for p in pairs}] + pairs
    response = _post(client, urlencode(form))
    _refused(response, status=400, sent=(CANARY,))
    assert any("more than once" in e["description"] for e in response.json())


@pytest.mark.parametrize(
    "key",
    [
        f"attribute[{CANARY}]",
        "attribute[]",
        "attribute[[child_name]]",
        "attribute[child_name][][]",
        "attribute[child_name",
        f"attribute[\u202e{CANARY}]",
        "attribute[__proto__]",
        "attribute[applicant.identity_number.x]",
        "attribute[" + "a" * 5_000 + "]",
    ],
)
def test_attribute_garbage_is_refused_without_an_echo(client: Any, key: str) -> None:
    """An ``attribute[...]`` key the form does not have is a 400 that quotes no value (nor
    the key, unless it is a plain field name)."""
    shown = key.removeprefix("attribute[").removesuffix("]")
    sent = (CANARY, shown) if len(shown) > 64 else (CANARY,)
    _refused(_post(client, urlencode({**FORM, key: CANARY})), status=400, sent=sent)


def test_too_many_fields_are_refused_unread(client: Any) -> None:
    """A form of more than 2,000 fields is a 400 before any is read."""
    body = "&".join(f"attribute[f{i}]={CANARY}" for i in range(2_100))
    _refused(_post(client, body), status=400, sent=(CANARY,))


def test_a_body_over_the_limit_is_a_413_list(client: Any) -> None:
    """A form larger than the body limit is a GeoReport 413."""
    body = urlencode({**FORM, "description": CANARY * 80_000})
    _refused(_post(client, body), status=413, sent=(CANARY,))


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded-evil",
        "",
    ],
)
def test_another_media_type_is_a_415_list(client: Any, content_type: str) -> None:
    """A body that is not form-encoded UTF-8 is refused with 415, whatever it holds."""
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(FORM) if "json" in content_type else urlencode(FORM)
    _refused(_post(client, body, headers), status=415, sent=(CANARY,))


def test_a_valid_form_with_a_charset_is_accepted(client: Any) -> None:
    """``charset=UTF-8`` is accepted as well as no charset."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    assert _post(client, urlencode(FORM), headers).status_code == 201


def test_an_invalid_identity_number_is_refused_without_quoting_it(client: Any) -> None:
    """A name and a wrong identity number are refused (400) and neither is quoted."""
    form = {**FORM, "first_name": CANARY, "attribute[applicant.identity_number]": "99" + "7" * 14}
    response = _post(client, urlencode(form))
    _refused(response, status=400, sent=(CANARY, "9977777777777777"))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["service_request_id", "lang", "jurisdiction_id", "status"]),
    value=st.text(max_size=300),
)
def test_any_query_is_answered_without_a_5xx(client: Any, name: str, value: str) -> None:
    """Any text in a query parameter is a 200 or a 4xx GeoReport list, never a 5xx."""
    for path in (REQUESTS, "/open311/v2/services.json", "/open311/v2/requests/x.json"):
        response = client.get(path, params={name: CANARY + value})
        if response.status_code != 200:
            _refused(response, sent=(CANARY,))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=st.text(min_size=1, max_size=300))
def test_any_path_segment_is_a_404_list(client: Any, segment: str) -> None:
    """Any text as a service code or request id is a GeoReport 4xx, never a 5xx."""
    encoded = quote(segment, safe="", errors="surrogatepass")
    for prefix in ("/open311/v2/services/", "/open311/v2/requests/"):
        for suffix in (".json", ".xml", ""):
            _refused(client.get(f"{prefix}{encoded}{suffix}"))


def test_more_ids_than_the_cap_are_refused(client: Any) -> None:
    """More than 20 ids in one ``requests.json`` are a 400."""
    ids = ",".join(f"00000000-0000-4000-8000-{i:012d}" for i in range(21))
    _refused(client.get(REQUESTS, params={"service_request_id": ids}), status=400)


def test_an_unknown_method_under_the_prefix_is_not_a_5xx(client: Any) -> None:
    """A path GeoReport does not have is a GeoReport 404; PUT on a known one a 405."""
    _refused(client.get("/open311/v2/requests.csv"), status=404)
    _refused(client.put("/open311/v2/nothing"), status=404)
    assert client.put("/open311/v2/services.json").status_code == 405


@pytest.mark.parametrize("suffix", [".json", ".xml"])
def test_a_method_a_georeport_path_lacks_is_a_georeport_405(client: Any, suffix: str) -> None:
    """DELETE on ``services`` or ``requests`` is a 405 in GeoReport's error list (JSON or
    XML as the path's suffix says), with its ``Allow`` header, not problem details."""
    for path in (f"/open311/v2/services{suffix}", f"/open311/v2/requests{suffix}"):
        response = client.delete(path)
        _refused(response, status=405)
        assert "GET" in response.headers["allow"]
        media = "text/xml" if suffix == ".xml" else "application/json"
        assert response.headers["content-type"].startswith(media)


def test_an_invalid_lang_is_described_in_words(client: Any) -> None:
    """A ``lang`` that is no language tag is described in words, not by a regular expression."""
    response = client.get("/open311/v2/services.json", params={"lang": "not a tag"})
    _refused(response, status=400)
    (error,) = response.json()
    assert (
        error["description"] == "query.lang: is not a language tag (BCP 47) such as id, en or en-GB"
    )


def test_every_definition_is_the_interop_one(client: Any) -> None:
    """Each ``services/{code}.json`` is exactly `open311.service_definition`'s dict."""
    catalogue = client.app.state.runtime.mall.catalogue
    now = datetime.now(UTC)
    listed = client.get("/open311/v2/services.json", params={"lang": "en"}).json()
    assert listed == open311.services(catalogue, at=now, language="en")
    for service in listed:
        code = service["service_code"]
        served = client.get(f"/open311/v2/services/{code}.json", params={"lang": "en"})
        assert served.json() == open311.service_definition(catalogue, code, at=now, language="en")


def test_an_idempotency_key_makes_a_retry_safe(client: Any) -> None:
    """The same key and form: 201 then 200 with the same id; another form under it: 422."""
    headers = {**FORM_TYPE, "Idempotency-Key": new_key()}
    first = _post(client, urlencode(FORM), headers)
    again = _post(client, urlencode(FORM), headers)
    other = _post(client, urlencode({**FORM, "attribute[child_name]": "Citra"}), headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    _refused(other, status=422)


def test_a_key_in_flight_is_answered_409_and_shared_with_the_api(client: Any) -> None:
    """While a request under a key is in flight (the API's or GeoReport's: one marker for
    both), a GeoReport request with that key gets the 409 error list; once it is over, 201."""
    key = new_key()
    inflight: InFlight = client.app.state.inflight
    token = anyio.run(inflight.claim, CITIZEN.id, key)
    assert token is not None
    refused = _post(client, urlencode(FORM), {**FORM_TYPE, "Idempotency-Key": key})
    anyio.run(inflight.release, CITIZEN.id, key, token)
    accepted = _post(client, urlencode(FORM), {**FORM_TYPE, "Idempotency-Key": key})
    _refused(refused, status=409)
    assert accepted.status_code == 201, accepted.text


def test_without_a_key_the_same_form_makes_two_requests(client: Any) -> None:
    """GeoReport has no idempotency: posting the same form twice makes two applications."""
    first = _post(client, urlencode(FORM)).json()[0]["service_request_id"]
    second = _post(client, urlencode(FORM)).json()[0]["service_request_id"]
    assert first != second


def test_a_withdrawn_application_is_closed_with_its_state_in_the_notes(client: Any) -> None:
    """A withdrawn application reads ``closed``, with ``withdrawn`` in ``status_notes``."""
    request_id = _post(client, urlencode(FORM)).json()[0]["service_request_id"]
    client.app.state.runtime.mall.withdraw(request_id, actor=CITIZEN)
    (entry,) = client.get(f"/open311/v2/requests/{request_id}.json").json()
    assert entry["status"] == "closed"
    assert json.loads(entry["status_notes"])["state"] == "withdrawn"
    assert entry["expected_datetime"] is None


def test_a_request_under_another_jurisdiction_is_not_shown(client: Any) -> None:
    """Asked under an agency that does not provide it, a request is a 404."""
    request_id = _post(client, urlencode(FORM)).json()[0]["service_request_id"]
    path = f"/open311/v2/requests/{request_id}.json"
    assert client.get(path, params={"jurisdiction_id": "disdukcapil-dki"}).status_code == 200
    _refused(client.get(path, params={"jurisdiction_id": "bank-dki"}), status=404)


def test_submissions_are_cut_off_by_the_rate_limit(tmp_path: Path) -> None:
    """The third form within a minute, with two allowed, is a GeoReport 429 with Retry-After."""
    with in_process(settings_for(tmp_path, submissions_per_minute=2)) as limited:
        answers = [_post(limited, urlencode(FORM)) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    _refused(answers[2], status=429)
    assert int(answers[2].headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "path",
    ["/open311/v2/requests.xml", "/open311/v2/requests.json/", "/open311/v2//requests.xml/"],
)
def test_the_xml_route_and_other_spellings_count_against_the_rate_limit(
    tmp_path: Path, path: str
) -> None:
    """Forms posted to ``requests.xml``, or to a path routed to either form route with a
    trailing or doubled slash, count against the same limit: the third within a minute,
    with two allowed, is a 429."""
    with in_process(settings_for(tmp_path, submissions_per_minute=2)) as limited:
        answers = [
            limited.post(path, content=urlencode(FORM).encode(), headers=FORM_TYPE)
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [201, 201, 429]


def test_guessing_ids_is_throttled(tmp_path: Path) -> None:
    """After the allowed failed lookups, even a real id is refused with a 429 for a while."""
    with in_process(settings_for(tmp_path, lookups_per_minute=3)) as limited:
        real = _post(limited, urlencode(FORM)).json()[0]["service_request_id"]
        guesses = [
            limited.get(f"/open311/v2/requests/00000000-0000-4000-8000-00000000000{i}.json")
            for i in range(3)
        ]
        after = limited.get(f"/open311/v2/requests/{real}.json")
    assert [g.status_code for g in guesses] == [404, 404, 404]
    _refused(after, status=429)


def _untyped(schema: Any, where: str) -> Iterator[str]:
    """The places in *schema* (a schema object) that are ``{}`` or a bare ``object``."""
    if schema == {} or (
        schema.get("type") == "object"
        and "properties" not in schema
        and not isinstance(schema.get("additionalProperties"), dict)
    ):
        yield where
    inner = [*schema.get("oneOf", ()), *schema.get("anyOf", ()), *schema.get("allOf", ())]
    inner += list(schema.get("properties", {}).values())
    inner += list(schema.get("patternProperties", {}).values())
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            inner.append(schema[key])
    for index, item in enumerate(inner):
        yield from _untyped(item, f"{where}/{index}")


def _schemas(node: Any) -> Iterator[Any]:
    """Every schema object under *node* (an OpenAPI paths object): each ``schema`` value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield value
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_the_openapi_document_types_every_open311_answer(client: Any) -> None:
    """Every Open311 operation is in the OpenAPI document, with no untyped schema."""
    from openapi_spec_validator import validate

    document = client.get("/api/openapi.json").json()
    validate(document)
    paths = {p: v for p, v in document["paths"].items() if p.startswith("/open311/v2/")}
    assert sorted(paths) == [
        "/open311/v2/discovery.json",
        "/open311/v2/discovery.xml",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/{file}",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/services/{file}",
    ]
    used = json.dumps(paths)
    names = {
        name
        for name in document["components"]["schemas"]
        if f'"#/components/schemas/{name}"' in used
    }
    schemas = {name: document["components"]["schemas"][name] for name in names}
    assert [w for s in _schemas(paths) for w in _untyped(s, "paths")] == []
    assert [w for n, s in schemas.items() for w in _untyped(s, n)] == []
    form = paths["/open311/v2/requests.json"]["post"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]


CALENDAR = """
[[calendars]]
version = 1
effective_from = 2020-01-01
time_zone = "Asia/Jakarta"
country = "ID"
[calendars.hours]
mon = ["08:00-16:00"]
tue = ["08:00-16:00"]
wed = ["08:00-16:00"]
thu = ["08:00-16:00"]
fri = ["08:00-16:00"]
"""


@pytest.fixture
def every_type(tmp_path: Path) -> Iterator[Any]:
    """A server over the interop tests' catalogue, whose form has a field of every type."""
    source = Path(__file__).parents[1] / "interop" / "open311_mall.toml"
    catalogue = tmp_path / "mall.toml"
    catalogue.write_text(source.read_text(encoding="utf-8") + CALENDAR, encoding="utf-8")
    with in_process(settings_for(tmp_path, catalogue=str(catalogue))) as found:
        yield found


def _business(**extra: str) -> list[tuple[str, str]]:
    return [
        ("service_code", "izin-usaha"),
        ("first_name", "Ani"),
        ("attribute[applicant.identity_number]", "3171012501900001"),
        ("attribute[applicant.identity_scheme]", "id-nik"),
        ("attribute[business_name]", "Warung Ani"),
        ("attribute[floor_area]", "12.5"),
        ("attribute[activities]", "retail"),
        ("attribute[activities][]", "food"),
        ("attribute[has_npwp]", "true"),
        ("attribute[opened_on]", "2025-03-01T09:00:00"),
        *extra.items(),
    ]


def test_a_document_field_names_an_upload(every_type: Any) -> None:
    """A ``document`` attribute holds an upload's id; the request is created with it."""
    from onestop.testing import sample_pdf

    uploaded = every_type.post(
        "/api/v1/uploads",
        content=sample_pdf(b"identity card"),
        headers={"Content-Type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    form = _business(**{"attribute[identity_card]": uploaded.json()["document_id"]})
    created = _post(every_type, urlencode(form))
    assert created.status_code == 201, created.text
    (item,) = created.json()
    (entry,) = every_type.get(f"/open311/v2/requests/{item['service_request_id']}.json").json()
    assert (entry["status"], entry["service_notice"]) == ("open", "Surat izin usaha")


def test_a_document_field_naming_no_upload_is_refused(every_type: Any) -> None:
    """A ``document`` attribute naming no upload is a 400 naming the attribute."""
    form = _business(**{"attribute[identity_card]": "no-such-upload-0001"})
    response = _post(every_type, urlencode(form))
    _refused(response, status=400, sent=("no-such-upload-0001",))
    assert response.json()[0]["description"] == (
        "attribute[identity_card]: is not an upload that can be attached here"
    )


def test_an_upload_attached_to_another_application_is_refused_before_submitting(
    every_type: Any,
) -> None:
    """Naming an upload another request already took is a 400 with the one message for
    every unusable upload, and no second application is made."""
    from onestop.testing import sample_pdf

    uploaded = every_type.post(
        "/api/v1/uploads",
        content=sample_pdf(b"identity card"),
        headers={"Content-Type": "application/pdf"},
    ).json()["document_id"]
    form = _business(**{"attribute[identity_card]": uploaded})
    assert _post(every_type, urlencode(form)).status_code == 201
    store = every_type.app.state.runtime.mall.store
    before = len(store.summaries(SummaryQuery()).items)
    again = _post(every_type, urlencode(form))
    assert again.status_code == 400
    assert again.json()[0]["description"] == (
        "attribute[identity_card]: is not an upload that can be attached here"
    )
    assert len(store.summaries(SummaryQuery()).items) == before


def test_text_comes_in_the_language_asked_for(client: Any) -> None:
    """``Accept-Language`` chooses the language, and ``?lang=`` wins over it."""
    path = "/open311/v2/services/kia.json"
    english = client.get(path, headers={"Accept-Language": "en-GB, id;q=0.5"}).json()
    chosen = client.get(path, params={"lang": "id"}, headers={"Accept-Language": "en"}).json()
    assert english["attributes"][0]["description"] == "Child's NIK"
    assert chosen["attributes"][0]["description"] == "NIK anak"


def test_an_open311_error_never_quotes_what_was_sent() -> None:
    """An error whose description quotes a value the request carried answers the marker."""
    from litestar import Request

    from onestop.exceptions import InvalidValue
    from onestop.web._open311 import handle_open311_error
    from onestop.web._scrub import SENT

    scope: Any = {
        "type": "http",
        "method": "GET",
        "path": "/open311/v2/services.json",
        "raw_path": b"/open311/v2/services.json",
        "query_string": b"lang=Zq9SitiRahayu",
        "headers": [],
        "state": {},
    }
    error = InvalidValue(field="language", reason="'Zq9SitiRahayu' is not a language tag")
    answer = handle_open311_error(Request(scope), error)
    assert answer.status_code == 400
    assert answer.content == [
        {"code": 400, "description": f"language: {SENT} is not a language tag"}
    ]


def test_an_upload_another_submission_holds_is_409_over_open311_too(every_type: Any) -> None:
    """While a submission holds an upload, a GeoReport request naming it is 409 and makes
    nothing, as over the API; once released, the request is created."""
    from onestop.testing import sample_pdf
    from onestop.web._inflight import UPLOADS, _claim_file, _file_of

    uploaded = every_type.post(
        "/api/v1/uploads",
        content=sample_pdf(b"identity card"),
        headers={"Content-Type": "application/pdf"},
    ).json()["document_id"]
    form = urlencode(_business(**{"attribute[identity_card]": uploaded}))
    inflight = every_type.app.state.inflight
    store = every_type.app.state.runtime.mall.store
    before = len(store.summaries(SummaryQuery()).items)
    path = _file_of(inflight.store, inflight.key(UPLOADS, uploaded))
    assert _claim_file(path, b"another-request", 60)  # as a submission in flight holds it
    held = _post(every_type, form)
    made = len(store.summaries(SummaryQuery()).items) - before
    path.unlink()  # that submission ended
    free = _post(every_type, form)
    _refused(held, status=409, sent=(uploaded,))
    assert made == 0
    assert free.status_code == 201, free.text
