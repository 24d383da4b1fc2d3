"""The form's JSON Schema accepts what POST /api/v1/applications accepts as ``answers``.

Answers are drawn from the schema the server publishes (for ``uji-formulir``, a field
of every answerable type), checked against it with ``jsonschema`` (formats included),
and submitted in process: none may be refused for its answers.  Two things the schema
cannot say are drawn as the schema's descriptions state them: a phone number must be
valid in the ITU plan (drawn from ``phonenumbers``' examples) and an e-mail address's
syntax valid (drawn plain).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import phonenumbers
import pytest
from catalogue_support import FORMS, forms_catalogue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import in_process, kia_body, new_key, settings_for

_REGIONS = ("ID", "KH", "US", "GB", "IN", "KR", "BR", "FR", "NL", "ES")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One application over the sample mall plus the test service, with a loose rate limit."""
    tmp = tmp_path_factory.mktemp("forms")
    options = {"catalogue": forms_catalogue(tmp), "submissions_per_minute": 1_000_000}
    with in_process(settings_for(tmp, **options)) as started:
        yield started


@pytest.fixture(scope="module")
def form(client: Any) -> dict[str, Any]:
    """The test service's form, as the server publishes it (in Indonesian)."""
    answer = client.get(f"/api/v1/services/{FORMS}", params={"lang": "id"})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["form"]
    return found


def _matching(pattern: str | None, values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    if pattern is None:
        return values
    compiled = re.compile(pattern)
    return values.filter(lambda v: compiled.search(v) is not None)


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    long = schema["x-onestop-type"] == "long_text"
    characters = st.characters(
        exclude_categories=("Cs", "Cc"), include_characters="\t\n\r" if long else ""
    )
    return _matching(schema["pattern"], st.text(characters, max_size=min(schema["maxLength"], 60)))


def _number(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A whole number within the integer form's bounds, or decimal text within them too
    (the text form's description asks for the field's bounds, which include these)."""
    whole, _ = schema["anyOf"]
    low, high = whole["minimum"], whole["maximum"]
    text = st.integers(0, 12).flatmap(
        lambda places: st.decimals(Decimal(low), Decimal(high), places=places)
    )
    return st.one_of(st.integers(low, high), text.map(lambda d: format(d, "f")))


def _phone(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    def example(region: str, national: bool) -> str:
        number = phonenumbers.example_number(region)
        assert number is not None
        style = phonenumbers.PhoneNumberFormat
        return phonenumbers.format_number(
            number, style.NATIONAL if national else style.INTERNATIONAL
        )

    national = st.just(True) if "+" not in schema["pattern"] else st.just(False)
    regions = st.sampled_from(_REGIONS)
    drawn = st.one_of(
        st.builds(example, regions, st.just(False)),
        st.builds(example, st.just("ID"), national),
    )
    return _matching(schema["pattern"], drawn)


def _email() -> st.SearchStrategy[str]:
    label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    local = st.lists(label, min_size=1, max_size=3).map(".".join)
    domain = st.lists(label, min_size=1, max_size=2).map(".".join)
    tld = st.sampled_from(["id", "com", "org", "go.id", "kh"])
    return st.builds(lambda a, b, c: f"{a}@{b}x.{c}", local, domain, tld)


def _answer(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema["x-onestop-type"]
    if kind == "boolean":
        return st.booleans()
    if kind == "number":
        return _number(schema)
    if kind == "choice":
        return st.sampled_from([c["const"] for c in schema["oneOf"]])
    if kind == "multi_choice":
        return st.lists(
            st.sampled_from([c["const"] for c in schema["items"]["oneOf"]]), unique=True
        )
    if kind == "date":
        return st.dates().map(lambda d: d.isoformat())
    if kind == "phone":
        return _phone(schema)
    if kind == "email":
        return _email()
    return _text(schema)


def answers_for(form: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Answers valid by *form*: every required field, and any of the others."""
    required = set(form["required"])
    parts = {
        name: st.tuples(st.booleans() if name not in required else st.just(True), _answer(schema))
        for name, schema in form["properties"].items()
    }
    return st.fixed_dictionaries(parts).map(
        lambda drawn: {name: value for name, (given, value) in drawn.items() if given}
    )


def _submit(client: Any, answers: dict[str, Any]) -> Any:
    body = {**kia_body(), "service": FORMS, "answers": answers}
    return client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()})


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_answers_valid_by_the_schema_are_accepted(
    client: Any, form: dict[str, Any], data: st.DataObject
) -> None:
    """Any answers the published schema (with its formats) accepts are accepted on submission."""
    answers = data.draw(answers_for(form))
    validator = jsonschema.Draft202012Validator(form, format_checker=jsonschema.FormatChecker())
    validator.validate(answers)
    sent = _submit(client, answers)
    assert sent.status_code == 201, sent.text


@pytest.mark.parametrize("written", ["10.0", "1e2", "1E+1", "5.000e0", "-0.0e0"])
def test_a_whole_number_written_with_a_fraction_or_exponent_is_accepted(
    client: Any, form: dict[str, Any], written: str
) -> None:
    """A whole number written ``10.0`` or ``1e2`` is an ``integer`` to JSON Schema, valid
    by the form's schema, and accepted as that number (it was a 422)."""
    number = int(float(written))
    answers = {"nama": "Ani", "luas": 10, "setuju": True, "jenis": "a", "jumlah": number}
    jsonschema.Draft202012Validator(form).validate({**answers, "jumlah": float(written)})
    body = json.dumps({**kia_body(), "service": FORMS, "answers": answers})
    raw = body.replace(f'"jumlah": {number}', f'"jumlah": {written}')
    assert written in raw
    sent = client.post(
        "/api/v1/applications",
        content=raw.encode(),
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert sent.status_code == 201, sent.text


def test_a_fraction_is_refused_with_how_to_send_it(client: Any) -> None:
    """A number answer with a fraction is a 422 saying a decimal is sent as text, with
    the example intact (the scrub of sent values had cut it)."""
    sent = _submit(client, {"nama": "Ani", "luas": 12.5, "setuju": True, "jenis": "a"})
    assert sent.status_code == 422, sent.text
    assert "such as the text 12.50" in sent.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nama", 5),
        ("nama", "   "),
        ("nama", "a\u0000b"),
        ("nama", "x" * 1_001),
        ("alamat", ["a"]),
        ("luas", "0.4"),
        ("luas", 1_001),
        ("luas", "1e3"),
        ("luas", True),
        ("jumlah", 10**30),
        ("jumlah", "1." + "0" * 13),
        ("tanggal", "2024-02-30"),
        ("tanggal", 20240101),
        ("tanggal", "0000-07-30"),
        ("setuju", "true"),
        ("jenis", "c"),
        ("kegiatan", ["ekspor", "ekspor"]),
        ("kegiatan", ["lain"]),
        ("telepon_luar", "0812 3456 7890"),
        ("surel", "not an address"),
        ("tidak_ada", "x"),
    ],
)
def test_answers_the_schema_refuses_are_refused(
    client: Any, form: dict[str, Any], field: str, value: Any
) -> None:
    """An answer the schema refuses (a wrong type, out of bounds, an unknown field) is a 422."""
    answers = {"nama": "Ani", "luas": 10, "setuju": True, "jenis": "a", field: value}
    validator = jsonschema.Draft202012Validator(form, format_checker=jsonschema.FormatChecker())
    assert not validator.is_valid(answers)
    sent = _submit(client, answers)
    assert sent.status_code == 422, sent.text
    # A declared field is named; an undeclared key is a value the client sent, never named.
    named = f"answers.{field}" if field in form["properties"] else "answers."
    assert any(p["path"].startswith(named) for p in sent.json()["problems"])
    assert field in form["properties"] or field not in sent.text
