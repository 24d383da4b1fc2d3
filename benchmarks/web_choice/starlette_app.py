"""The Starlette prototype: onestop's cattrs converter on the wire, OpenAPI by our walker.

Run: ``WEB_CHOICE_STORE=path/to/store.sqlite3 uvicorn starlette_app:app``.  Same
endpoints as `litestar_app`, plus ``POST /submissions`` taking the full
`SubmissionRequest` (a `Person | Organisation` applicant), which cattrs decodes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cattrs
from apispec import APISpec
from attrs_schema import schema_of
from common import Answer, PerThreadMall, SubmissionRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from onestop.domain.applications.tracking import PublicStatus
from onestop.exceptions import ApplicationNotFound
from onestop.serialization import make_converter
from onestop.usecases.sealing import register_personal

MALLS = PerThreadMall(Path(os.environ.get("WEB_CHOICE_STORE", "store.sqlite3")))
CONVERTER = register_personal(make_converter())


def _answer(value: Any, _: Any) -> Answer:
    if type(value) not in (str, int, bool):
        raise TypeError(f"an answer is text, a whole number or true/false, not {value!r}")
    return value  # type: ignore[no-any-return]


CONVERTER.register_structure_hook_func(lambda kind: kind == Answer, _answer)


def _json(value: Any, status: int = 200) -> Response:
    body = json.dumps(CONVERTER.unstructure(value), separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


async def _body(request: Request, kind: type[Any]) -> Any:
    return CONVERTER.structure(json.loads(await request.body()), kind)


async def echo(request: Request) -> Response:
    """Decode a `PublicStatus` and send it back."""
    try:
        return _json(await _body(request, PublicStatus))
    except (cattrs.BaseValidationError, ValueError):
        return JSONResponse({"detail": "invalid"}, status_code=422)


def _track(number: str, secret: str) -> PublicStatus:
    return MALLS.get().track(number, secret, language="en")


async def track(request: Request) -> Response:
    """Track an application: a blocking `Mall.track` in Starlette's thread pool."""
    number, secret = request.query_params.get("number"), request.headers.get("lookup-secret")
    if number is None or secret is None:
        return JSONResponse({"detail": "number and Lookup-Secret needed"}, status_code=400)
    try:
        return _json(await run_in_threadpool(_track, number, secret))
    except ApplicationNotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)


async def submit(request: Request) -> Response:
    """Decode a full `SubmissionRequest` (person or organisation) and say what came."""
    try:
        data = await _body(request, SubmissionRequest)
    except (cattrs.BaseValidationError, ValueError):
        return JSONResponse({"detail": "invalid"}, status_code=422)
    kind = type(data.applicant).__name__
    return JSONResponse({"service": data.service, "applicant": kind}, status_code=201)


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document, schemas from the attrs classes by `schema_of`."""
    spec = APISpec(title="web-choice (Starlette)", version="0.0.0", openapi_version="3.1.0")
    components: dict[str, Any] = {}
    status, request = schema_of(PublicStatus, components), schema_of(SubmissionRequest, components)
    for name, schema in components.items():
        spec.components.schema(name, schema)

    def body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
        content = {"content": {"application/json": {"schema": schema}}}
        return {"description": description, **content} if description else content

    spec.path(
        "/echo",
        operations={
            "post": {"requestBody": body(status), "responses": {"200": body(status, "the same")}}
        },
    )
    spec.path(
        "/track",
        operations={
            "get": {
                "parameters": [
                    {
                        "name": "number",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "Lookup-Secret",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": body(status, "its public status"),
                    "404": {"description": "not found"},
                },
            }
        },
    )
    spec.path(
        "/submissions",
        operations={
            "post": {
                "requestBody": body(request),
                "responses": {"201": {"description": "received"}},
            }
        },
    )
    return spec.to_dict()


DOCUMENT = openapi()


async def openapi_json(request: Request) -> Response:
    """Serve the OpenAPI document."""
    return JSONResponse(DOCUMENT)


app = Starlette(
    routes=[
        Route("/echo", echo, methods=["POST"]),
        Route("/track", track),
        Route("/submissions", submit, methods=["POST"]),
        Route("/schema/openapi.json", openapi_json),
    ]
)
