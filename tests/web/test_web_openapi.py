"""The OpenAPI document at /api/openapi.json: valid 3.1, fully typed, problems and links said."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from web_support import in_process, kia_body, new_key, settings_for

PROBLEM_REF = "#/components/schemas/ProblemDetails"
METHODS = ("get", "put", "post", "delete", "patch")
COMPOSITIONS = ("oneOf", "anyOf", "allOf")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document a freshly started server serves."""
    with in_process(settings_for(tmp_path_factory.mktemp("openapi"))) as client:
        answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation of *document*, with its path and method."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def schemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in *node* (components, parameters, bodies, responses, headers),
    and every schema nested in those."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key == "schema" and isinstance(value, dict):
                yield from nested(value, here)
            elif key == "schemas" and where == "#/components":
                for name, schema in value.items():
                    yield from nested(schema, f"{here}/{name}")
            else:
                yield from schemas(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from schemas(item, f"{where}/{index}")


def nested(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """*schema* and every schema inside it."""
    yield where, schema
    for name, value in schema.get("properties", {}).items():
        yield from nested(value, f"{where}/properties/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from nested(schema[key], f"{where}/{key}")
    for key in COMPOSITIONS:
        for index, member in enumerate(schema.get(key, ())):
            yield from nested(member, f"{where}/{key}/{index}")


def untyped(schema: dict[str, Any]) -> str | None:
    """Why *schema* is untyped, or ``None`` if it says what it holds."""
    if "$ref" in schema or "const" in schema or "enum" in schema:
        return None
    if any(key in schema for key in COMPOSITIONS):
        return None  # its members are walked on their own
    kind = schema.get("type")
    if kind is None:
        return "no type"
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds:
        extra = schema.get("additionalProperties")
        if "properties" not in schema and not isinstance(extra, dict):
            return "an object with neither properties nor typed additionalProperties"
    if "array" in kinds and not isinstance(schema.get("items"), dict):
        return "an array of untyped items"
    return None


def resolve(document: dict[str, Any], reference: str) -> dict[str, Any]:
    """The component schema *reference* names."""
    found: dict[str, Any] = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return found


def reachable(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every component schema reachable from *schema*, itself included if it is one."""
    seen: set[str] = set()
    stack = [schema]
    while stack:
        current = stack.pop()
        for _, inner in nested(current, "#"):
            reference = inner.get("$ref")
            if reference is not None and reference not in seen:
                seen.add(reference)
                target = resolve(document, reference)
                yield target
                stack.append(target)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    """openapi-spec-validator accepts the document, and it declares OpenAPI 3.1."""
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_no_schema_is_untyped(document: dict[str, Any]) -> None:
    """No schema anywhere in the document is ``{}``, a bare object or an array of anything."""
    found = [(where, why) for where, schema in schemas(document) if (why := untyped(schema))]
    assert found == []


def test_the_walker_flags_every_kind_of_untyped_schema() -> None:
    """The walker the test above relies on finds ``{}``, a bare object and untyped items."""
    document = {
        "paths": {"/x": {"get": {"parameters": [{"name": "q", "schema": {}}]}}},
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"b": {"type": "object"}}},
                "C": {"type": "array", "items": {}},
            }
        },
    }
    found = {where for where, schema in schemas(document) if untyped(schema)}
    assert found == {
        "#/paths//x/get/parameters/0/schema",
        "#/components/schemas/A/properties/b",
        "#/components/schemas/C/items",
    }


def test_every_error_of_the_api_is_a_problem_details(document: dict[str, Any]) -> None:
    """Every operation documents errors, and every error response is an RFC 9457 problem."""
    for path, method, operation in operations(document):
        if path.startswith("/open311/"):
            continue  # Open311's own error format
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert errors, (path, method)
        for status, response in errors.items():
            problem = response["content"].get("application/problem+json")
            assert problem == {"schema": {"$ref": PROBLEM_REF}}, (path, method, status)


def test_every_response_names_its_media_type(document: dict[str, Any]) -> None:
    """No response content is keyed by an empty media type."""
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            assert "" not in response.get("content", {}), (path, method, status)


def test_request_bodies_refuse_unknown_keys(document: dict[str, Any]) -> None:
    """Every object a JSON request body may hold says ``additionalProperties: false``."""
    bodies = [
        content["schema"]
        for _, _, operation in operations(document)
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if media == "application/json"
    ]
    assert bodies
    for body in bodies:
        for component in reachable(document, body):
            if "properties" in component:
                assert component.get("additionalProperties") is False, component["title"]


def test_the_server_refuses_the_unknown_key_the_document_forbids(tmp_path: Path) -> None:
    """A submission with a key the schema does not name is answered 422, as documented."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/applications",
            json={**kia_body(), "discount": "yes"},
            headers={"Idempotency-Key": new_key()},
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_links_chain_a_receipt_to_tracking_and_an_etag_to_an_action(
    document: dict[str, Any],
) -> None:
    """The receipt links to tracking (number and secret), the read's ETag to an action."""
    ids = {op["operationId"]: op for _, _, op in operations(document)}
    paths = document["paths"]
    receipt = paths["/api/v1/applications"]["post"]["responses"]["201"]["links"]
    track = receipt["TrackTheApplication"]
    assert ids[track["operationId"]] is paths["/api/v1/tracking"]["get"]
    assert track["parameters"] == {
        "query.number": "$response.body#/number",
        "header.Lookup-Secret": "$response.body#/lookup_secret",
    }
    read = paths["/api/v1/applications/{application_id}"]["get"]["responses"]["200"]
    act = read["links"]["ActOnTheApplication"]
    assert act["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert read["headers"]["ETag"]["required"] is True
    upload = paths["/api/v1/uploads"]["post"]["responses"]["201"]["links"]
    assert upload["SubmitWithTheDocument"]["requestBody"] == {
        "documents": [{"document_id": "$response.body#/document_id"}]
    }


def test_every_link_names_an_operation_and_its_parameters(document: dict[str, Any]) -> None:
    """Each link's operationId exists and each parameter it sets is one that operation has."""
    ids = {op["operationId"]: op for _, _, op in operations(document)}
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                target = ids[link["operationId"]]
                declared = {(p["in"], p["name"]) for p in target.get("parameters", [])}
                for name in link.get("parameters", {}):
                    location, _, parameter = name.partition(".")
                    assert (location, parameter) in declared, (link["operationId"], name)


def test_the_staff_routes_name_a_token_or_a_session(document: dict[str, Any]) -> None:
    """Staff routes take an API token or a session cookie (signing in takes neither), and
    an action requires If-Match."""
    schemes = document["components"]["securitySchemes"]
    assert (schemes["staffToken"]["type"], schemes["staffToken"]["scheme"]) == ("http", "bearer")
    assert (schemes["staffSession"]["in"], schemes["staffSession"]["name"]) == (
        "cookie",
        "onestop_session",
    )
    actions = document["paths"]["/api/v1/applications/{application_id}/actions"]["post"]
    assert actions["security"] == [{"staffToken": []}, {"staffSession": []}]
    assert "security" not in document["paths"]["/api/v1/staff/session"]["post"]
    if_match = next(p for p in actions["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True


def test_the_interactive_reference_page_is_served(tmp_path: Path) -> None:
    """/api/docs answers an HTML page that loads the document."""
    with in_process(settings_for(tmp_path)) as client:
        page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "openapi.json" in page.text or '"openapi"' in page.text


def test_an_unsupported_method_is_answered_405_with_allow(tmp_path: Path) -> None:
    """A method a route does not have is a 405 problem naming the allowed ones (RFC 9110)."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.request("TRACE", "/api/v1/services")
    assert answer.status_code == 405
    assert "GET" in answer.headers["allow"]


def test_a_throttled_submission_says_when_to_retry(tmp_path: Path) -> None:
    """The submission limit's 429 carries the Retry-After header the document requires."""
    with in_process(settings_for(tmp_path, submissions_per_minute=1)) as client:
        answers = [
            client.post(
                "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
            )
            for _ in range(2)
        ]
    assert [answer.status_code for answer in answers] == [201, 429]
    assert answers[1].headers["retry-after"].isdigit()
    assert answers[1].headers["content-type"] == "application/problem+json"


def test_every_body_may_be_too_large_and_every_503_says_when_to_retry(
    document: dict[str, Any],
) -> None:
    """Each operation of the API that takes a body documents the 413 the body limit
    answers, and each 503 documents the Retry-After header it may carry."""
    taking = {
        (method, path): operation
        for path, item in document["paths"].items()
        if not path.startswith("/open311/")
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert ("post", "/api/v1/applications/{application_id}/actions") in taking
    for where, operation in taking.items():
        assert "413" in operation["responses"], where
    for path, item in document["paths"].items():
        for method, operation in item.items():
            unavailable = (
                operation.get("responses", {}).get("503") if isinstance(operation, dict) else None
            )
            if unavailable is not None and not path.startswith("/open311/"):
                assert "Retry-After" in unavailable.get("headers", {}), (method, path)


def test_a_submission_too_large_is_the_413_the_document_names(tmp_path: Path) -> None:
    """A JSON body over the body limit is answered 413 as problem details (as documented)."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/applications",
            content=b'{"service": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={"Content-Type": "application/json", "Idempotency-Key": new_key()},
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_every_operation_documents_the_refusals_of_the_header_check(
    document: dict[str, Any],
) -> None:
    """Each operation of the API documents the 415 (a content coding, or a JSON body
    declared of another type) and the 501 (a transfer coding) that any route answers."""
    for path, item in document["paths"].items():
        if path.startswith("/open311/"):
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert {"415", "501"} <= operation["responses"].keys(), (method, path)


def test_a_body_declared_as_text_is_the_415_the_document_names(tmp_path: Path) -> None:
    """A submission and a tracking of documents declared ``text/plain`` are each
    answered 415 as problem details, as their operations document."""
    routes = ["/api/v1/applications", "/api/v1/tracking/documents"]
    with in_process(settings_for(tmp_path)) as client:
        answers = [
            client.post(
                route,
                content=b"{}",
                headers={"Content-Type": "text/plain", "Idempotency-Key": new_key()},
            )
            for route in routes
        ]
    for answer in answers:
        assert answer.status_code == 415, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_routes_a_citizen_signs_in_to_document_its_refusals(document: dict[str, Any]) -> None:
    """A submission and a late document, which a citizen sign-in (``--citizen-sign-in``)
    checks, document its 401 (credentials refused) and 502 (the provider failed)."""
    for path in ("/api/v1/applications", "/api/v1/tracking/documents"):
        responses = document["paths"][path]["post"]["responses"]
        assert {"401", "502"} <= set(responses), path
