"""GET /api/v1/services/{code}: one service in full, in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from catalogue_support import FORMS, forms_catalogue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import in_process, settings_for

from onestop.web._api import accepted_languages


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One application over the sample mall plus the test service, for the whole module."""
    tmp = tmp_path_factory.mktemp("catalogue")
    with in_process(settings_for(tmp, catalogue=forms_catalogue(tmp))) as started:
        yield started


def _detail(client: Any, code: str = FORMS, **params: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/services/{code}", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_texts_are_in_the_language_asked_for(client: Any) -> None:
    """``lang`` picks the language of every text, labels of the form included."""
    english, indonesian = _detail(client, lang="en"), _detail(client, lang="id")
    assert (english["language"], english["name"], english["form"]["title"]) == (
        "en",
        "Form test",
        "Form test",
    )
    assert (indonesian["name"], indonesian["form"]["properties"]["nama"]["title"]) == (
        "Uji formulir",
        "Nama",
    )
    assert english["form"]["properties"]["jenis"]["oneOf"] == [
        {"const": "a", "title": "Choice A"},
        {"const": "b", "title": "Choice B"},
    ]


def test_a_language_the_catalogue_lacks_falls_back_to_its_default(client: Any) -> None:
    """A well-formed tag the catalogue does not declare is served in its default language."""
    assert _detail(client, lang="fr")["language"] == "id"
    assert _detail(client, lang="en-GB")["name"] == "Form test"


@pytest.mark.parametrize(
    "lang",
    ["", "e", "en_GB", "<script>", "en--gb", "x" * 200, "ें", "en-GB;q=1", "../etc", "en\n"],
)
def test_a_malformed_lang_is_a_400_problem(client: Any, lang: str) -> None:
    """A ``lang`` that is no BCP 47 tag is refused with a 400 problem, never echoed at length."""
    answer = client.get(f"/api/v1/services/{FORMS}", params={"lang": lang})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(answer.text) < 2_000


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en", "en"),
        ("fr, en-AU;q=0.8, id;q=0.5", "en"),
        ("id;q=0.1, en;q=0.9", "en"),
        ("en;q=0, id;q=0.2", "id"),
        ("EN-us", "en"),
        ("*", "id"),
        ("fr, de", "id"),
        ("en;q=2, id", "id"),
        (",,,;q=,\u0000, en", "en"),
        ("", "id"),
    ],
)
def test_accept_language_is_honoured_by_quality(client: Any, header: str, language: str) -> None:
    """Without ``lang``, the most wanted declared language of ``Accept-Language`` is served."""
    answer = client.get(f"/api/v1/services/{FORMS}", headers={"Accept-Language": header})
    assert answer.status_code == 200, answer.text
    assert answer.json()["language"] == language


@given(st.text(max_size=300))
def test_any_accept_language_header_is_read_without_failing(header: str) -> None:
    """Any header text gives well-formed tags, at most 16 of them."""
    tags = accepted_languages(header)
    assert len(tags) <= 16
    assert all(t == "*" or t.replace("-", "").isascii() for t in tags)


def test_each_channel_has_its_time_limit_as_text_and_typed(client: Any) -> None:
    """A channel's limit is given as the catalogue writes it and as amount, unit, working time."""
    channels = {c["channel"]: c for c in _detail(client, lang="en")["channels"]}
    assert channels["online"]["time_limit"] == {
        "text": "5 working days",
        "amount": 5,
        "unit": "days",
        "working": True,
    }
    assert channels["counter"]["time_limit"]["text"] == "8 working hours"
    assert (
        channels["counter"]["service_norm"]["amount"],
        channels["counter"]["service_norm"]["unit"],
    ) == (4, "hours")


def test_a_condition_is_its_rule_with_the_fields_it_reads_labelled(client: Any) -> None:
    """A conditional requirement gives the rule's source and its fields' labels."""
    (online, _) = _detail(client, lang="en")["channels"]
    (requirement,) = online["requirements"]
    assert requirement["condition"] == {
        "source": 'jenis == "b" and "ekspor" in kegiatan',
        "fields": [
            {"name": "jenis", "label": "Kind"},
            {"name": "kegiatan", "label": "Activities"},
        ],
    }
    assert requirement["evidence_name"] == "Family card (KK)"
    assert requirement["presentation"] == ["upload", "show_original"]


def test_fees_give_amounts_as_text_with_tiers_and_rounding(client: Any) -> None:
    """A tiered fee lists its tiers and rounding; amounts are decimal text, never floats."""
    fees = {f["code"]: f for f in _detail(client, lang="en")["channels"][0]["fees"]}
    tiered = fees["luas"]
    assert tiered["basis"] == {"name": "luas", "label": "Area"}
    assert tiered["rounding"] == {"mode": "half_even", "step": "100"}
    assert tiered["tiers"] == [
        {"up_to": "100", "amount": "10000", "per_unit": None, "rounding": None},
        {"up_to": "500", "amount": "20000", "per_unit": "12.5", "rounding": None},
        {
            "up_to": None,
            "amount": "50000",
            "per_unit": "25",
            "rounding": {"mode": "up", "step": None},
        },
    ]
    assert (fees["cepat"]["amount"], fees["cepat"]["condition"]["source"]) == ("5000", "setuju")


def test_outputs_and_legal_basis_are_given(client: Any) -> None:
    """Outputs come with their validity; each law with its title and link."""
    detail = _detail(client, lang="en")
    assert detail["outputs"] == [
        {"code": "surat", "name": "Letter", "validity": "P5Y", "digital": True}
    ]
    (law,) = detail["legal_basis"]
    assert law["code"] == "uu-24-2013"
    assert law["title"]


def test_every_service_s_form_is_a_valid_draft_2020_12_schema(client: Any) -> None:
    """Each listed service has a detail whose form is a valid JSON Schema, in each language."""
    codes = [s["code"] for s in client.get("/api/v1/services").json()["services"]]
    assert FORMS in codes
    assert len(codes) > 20
    for code in codes:
        for lang in ("id", "en"):
            form = _detail(client, code, lang=lang)["form"]
            jsonschema.Draft202012Validator.check_schema(form)
            assert form["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert form["additionalProperties"] is False
            assert set(form["required"]) <= set(form["properties"])


def test_an_unknown_service_is_a_404_problem(client: Any) -> None:
    """A code no service has is answered with a 404 problem naming the kind of error."""
    answer = client.get("/api/v1/services/no-such-service")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == "urn:onestop:problem:ServiceNotFound"


@pytest.mark.parametrize(
    "code",
    [
        "ktp\u00e9l",
        "\u202ekia",
        "\U0001f600",
        "\ud7ff" * 10,
        "k" * 10_000,
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "kia%00",
        "kia%0d%0aSet-Cookie:x=1",
        "%C0%AE%C0%AE",
        "%FF",
        "kia;lang=en",
    ],
)
def test_hostile_codes_are_refused_without_failing(client: Any, code: str) -> None:
    """Unicode, huge, traversal-like or encoded codes get a 4xx problem, short, never a 5xx."""
    answer = client.get("/api/v1/services/" + quote(code, safe="%;=:"))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.status_code != 200
    assert len(answer.content) < 2_000
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize("path", [f"/api/v1/services/{FORMS}%0A", "/api/v1/services/ab%0A"])
def test_a_code_with_a_trailing_line_break_is_a_400(client: Any, path: str) -> None:
    """A code ending in a line break is no catalogue code: a 400, as the published pattern
    says (Python's ``$`` matched before it, so it was looked up, and echoed in a 404)."""
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert "ab\\n" not in answer.text


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80))
def test_any_code_is_a_404_or_a_detail(client: Any, code: str) -> None:
    """Whatever the code, the answer is the service's detail or a 404 problem (or a 400)."""
    answer = client.get("/api/v1/services/" + quote(code, safe=""))
    assert answer.status_code in (200, 400, 404), answer.text


def test_the_openapi_document_describes_the_detail_typed(client: Any) -> None:
    """The OpenAPI document names the form's JSON keys, says what a condition and the form
    cannot say, and has no untyped object."""
    document = client.get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "/api/v1/services/{code}" in document["paths"]
    assert {"$schema", "additionalProperties", "properties"} <= set(
        schemas["FormSchema"]["properties"]
    )
    assert {"minLength", "oneOf", "anyOf", "x-onestop-type"} <= set(
        schemas["FieldSchema"]["properties"]
    )
    assert "no translations of rule sentences" in schemas["ConditionView"]["description"]
    assert "ITU plan" in schemas["FormSchema"]["description"]
    for name in ("ServiceDetail", "ChannelDetail", "FeeView", "FormSchema", "FieldSchema"):
        _no_untyped_object(schemas[name], name)


def _no_untyped_object(schema: Any, where: str) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            assert "properties" in schema or "additionalProperties" in schema, where
        for key, value in schema.items():
            _no_untyped_object(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for item in schema:
            _no_untyped_object(item, where)


def test_every_answer_conforms_to_the_openapi_document(client: Any) -> None:
    """Details, 400s and 404s of every service, in each language, match their documented schema."""
    import schemathesis

    document = client.get("/api/openapi.json").json()
    operation = schemathesis.openapi.from_dict(document)["/api/v1/services/{code}"]["GET"]
    codes = [s["code"] for s in client.get("/api/v1/services").json()["services"]]
    statuses = set()
    for code in [*codes, "no-such-service", "..", "k" * 65]:
        for lang in ("id", "en", "not a tag"):
            answer = client.get(f"/api/v1/services/{code}", params={"lang": lang})
            operation.validate_response(answer)
            statuses.add(answer.status_code)
    assert statuses == {200, 400, 404}


@settings(max_examples=200, deadline=None)
@given(
    header=st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(["id", "en", "en-GB", "km", "*", "fr;q=0.5", "EN;q=0"])).map(
            ", ".join
        ),
    ),
    lang=st.one_of(st.none(), st.sampled_from(["id", "en", "en-GB", "fr", "*"])),
)
def test_a_remembered_language_is_the_one_worked_out(header: str, lang: str | None) -> None:
    """For any ``Accept-Language`` and ``lang``, the language served is the same whether
    the choice is remembered (asked twice) or worked out afresh."""
    from onestop.web._api import _language, _remembered_language

    languages, default = ("id", "en", "km"), "id"
    fresh = _language(languages, default, lang, "" if lang is not None else header)
    assert _remembered_language(languages, default, lang, header if lang is None else "") == fresh
    assert _remembered_language(languages, default, lang, header if lang is None else "") == fresh


def test_log_lines_are_compact_json_in_ascii() -> None:
    """A worker's log line is one line of JSON, in ASCII even for text that is not (as the
    standard library escapes it), with anything else written by structlog's fallback."""
    import json

    from structlog.processors import _json_fallback_handler

    from onestop.web._app import _json_line

    plain = _json_line(
        {"event": "request", "status": 200, "x": None}, default=_json_fallback_handler
    )
    assert plain == '{"event":"request","status":200,"x":null}'
    other = _json_line({"event": "kabar", "text": "ü\n\u2028"}, default=_json_fallback_handler)
    assert other.isascii()
    assert "\n" not in other
    assert json.loads(other) == {"event": "kabar", "text": "ü\n\u2028"}
    odd = json.loads(_json_line({"event": "e", "thing": object()}, default=_json_fallback_handler))
    assert odd["thing"].startswith("<object object")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/services", 200),
        (f"/api/v1/services/{FORMS}", 200),
        ("/api/v1/services/no-such-service", 404),
        ("/healthz", 200),
        ("/api/v1/applications", 405),  # POST only: HEAD is a GET
    ],
)
def test_head_is_answered_as_get_without_the_body(client: Any, path: str, status: int) -> None:
    """HEAD gets GET's status and headers (Content-Length and Content-Type included) and
    no body, as RFC 9110 has every server do where it has GET (it was 405 everywhere)."""
    got, head = client.get(path), client.head(path)
    assert (got.status_code, head.status_code) == (status, status), head.text
    assert head.content == b""
    for name in ("content-type", "content-length", "allow"):
        assert head.headers.get(name) == got.headers.get(name)
