"""IDOR across every route of the OpenAPI document: an officer of agency B asks every
operation about agency A's application, its documents, notes and courier jobs, and gets
a 404 or a 403, never its data.

The operations are read from the document the server serves, so a route added later is
covered without touching this test: each is called as agency B's officer (an API token)
with A's application id, A's courier job id, A's current version in ``If-Match`` (so that
only the authorisation can refuse it) and a body drawn from its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web_staff_support import CANARY_A, NOTE_CANARY, World, bearer, leaks, started_world

METHODS = ("get", "put", "post", "delete", "patch")
OBJECT_PARAMETERS = ("application_id", "job_id")
"""Path parameters naming one of agency A's things."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The application with `PERSONAS`, an application of each agency and a job of A's."""
    with started_world(tmp_path_factory.mktemp("idor")) as found:
        yield found


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def example(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """A small value that fits *schema* (required properties only)."""
    schema = _resolve(schema, document)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("oneOf", "anyOf"):
        members = [_resolve(m, document) for m in schema.get(key, ())]
        members = [m for m in members if m.get("type") != "null"] or members
        if members:
            return example(members[0], document)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        required = schema.get("required", ())
        properties = schema.get("properties", {})
        return {name: example(properties[name], document) for name in required}
    return {"array": [], "integer": 1, "number": 1, "boolean": False, "null": None}.get(kind, "x")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item and path.startswith("/api/"):
                yield path, method, item[method]


def _call(world: World, job: str, document: dict[str, Any], path: str, method: str) -> Any:
    operation = document["paths"][path][method]
    values = {"application_id": world.a, "job_id": job}
    headers = bearer(world.tokens["officer-b"])
    query: dict[str, Any] = {}
    for parameter in operation.get("parameters", ()):
        name, place = parameter["name"], parameter["in"]
        if place == "path":
            path = path.replace(f"{{{name}}}", values.get(name, "x"))
        elif name == "If-Match":
            headers[name] = f'"{world.version(world.a)}"'
        elif parameter.get("required") and place == "query":
            query[name] = example(parameter["schema"], document)
        elif parameter.get("required") and place == "header" and name.lower() != "authorization":
            headers[name] = str(example(parameter["schema"], document))
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example(content["application/json"]["schema"], document)
    elif content:
        return world.client.request(
            method, path, headers=headers, params=query, content=b"%PDF-1.4\n"
        )
    else:
        body = None
    return world.client.request(method, path, headers=headers, params=query, json=body)


def test_no_operation_gives_agency_bs_officer_anything_of_agency_as(world: World) -> None:
    """Every operation of the document: A's things are 404/403 to B's officer, and no
    answer carries A's canaries or A's application id."""
    from datetime import timedelta

    from onestop.domain.common.actors import Actor
    from onestop.domain.common.parties import Personal
    from onestop.domain.courier.events import TimeWindow

    now = world.runtime.mall.clock.now()
    job = world.runtime.courier.book_delivery(
        world.a,
        window=TimeWindow(now + timedelta(hours=1), now + timedelta(hours=2)),
        address=Personal(f"Jalan {CANARY_A[0]}"),
        actor=Actor(id="officer-a", roles={"front_office"}),
    ).id
    document = world.client.get("/api/openapi.json").json()
    named = []
    for path, method, _ in _operations(document):
        answer = _call(world, job, document, path, method)
        where = f"{method.upper()} {path}: {answer.status_code} {answer.text[:300]}"
        assert answer.status_code < 500, where
        assert leaks(answer.text, CANARY_A, NOTE_CANARY, world.a, job) == [], where
        if any(f"{{{name}}}" in path for name in OBJECT_PARAMETERS):
            named.append(path)
            assert answer.status_code in (403, 404), where
    assert len(named) >= 9, named
