"""Criterion 3: sessions, CSRF, rate limiting and CORS from the framework or a library.

    PYTHONPATH=src python benchmarks/web_choice/features.py

Builds one small app per candidate with all four switched on (Litestar: its own
configs; Starlette: its SessionMiddleware and CORSMiddleware, starlette-csrf and
slowapi) and prints what each answers: a CORS preflight, a session cookie, a POST
without the CSRF token, and the 6th request within a limit of 5 a minute.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

DEBUG = False


def litestar_probe(folder: Path) -> dict[str, Any]:
    from litestar import Litestar, Request, get, post
    from litestar.config.cors import CORSConfig
    from litestar.config.csrf import CSRFConfig
    from litestar.middleware.rate_limit import RateLimitConfig
    from litestar.middleware.session.server_side import ServerSideSessionConfig
    from litestar.stores.file import FileStore
    from litestar.testing import TestClient

    @get("/hello")
    async def hello(request: Request[Any, Any, Any]) -> str:
        request.session["seen"] = True
        return "hi"

    @post("/form")
    async def form() -> str:
        return "ok"

    (folder / "litestar").mkdir()  # its namespaces are made inside, one level deep
    store = FileStore(folder / "litestar")  # shared by the workers of one machine
    app = Litestar(
        [hello, form],
        cors_config=CORSConfig(allow_origins=["https://mall.example"]),
        csrf_config=CSRFConfig(secret="x" * 32),
        middleware=[
            ServerSideSessionConfig(store="sessions").middleware,
            RateLimitConfig(rate_limit=("minute", 5), store="limits").middleware,
        ],
        stores={"sessions": store.with_namespace("s"), "limits": store.with_namespace("r")},
        debug=DEBUG,
    )
    with TestClient(app) as client:
        preflight = client.options(
            "/form",
            headers={"Origin": "https://mall.example", "Access-Control-Request-Method": "POST"},
        )
        first = client.get("/hello")
        no_token = client.post("/form")
        statuses = [client.get("/hello").status_code for _ in range(5)]
    return {
        "cors preflight": (
            preflight.status_code,
            preflight.headers.get("access-control-allow-origin"),
        ),
        "session cookie": "session" in first.cookies,
        "csrf cookie": "csrftoken" in first.cookies,
        "POST without CSRF token": no_token.status_code,
        "requests 2-6 of 5/minute": statuses,
    }


def starlette_probe() -> dict[str, Any]:
    from slowapi import Limiter, _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded
    from slowapi.util import get_remote_address
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient
    from starlette_csrf import CSRFMiddleware

    limiter = Limiter(key_func=get_remote_address)

    @limiter.limit("5/minute")
    async def hello(request: Request) -> PlainTextResponse:
        request.session["seen"] = True
        return PlainTextResponse("hi")

    async def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/hello", hello), Route("/form", form, methods=["POST"])],
        middleware=[
            Middleware(
                CORSMiddleware, allow_origins=["https://mall.example"], allow_methods=["POST"]
            ),
            Middleware(SessionMiddleware, secret_key="x" * 32),
            Middleware(CSRFMiddleware, secret="x" * 32),
        ],
    )
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    with TestClient(app) as client:
        preflight = client.options(
            "/form",
            headers={"Origin": "https://mall.example", "Access-Control-Request-Method": "POST"},
        )
        first = client.get("/hello")
        no_token = client.post("/form")
        statuses = [client.get("/hello").status_code for _ in range(5)]
    return {
        "cors preflight": (
            preflight.status_code,
            preflight.headers.get("access-control-allow-origin"),
        ),
        "session cookie": "session" in first.cookies,
        "csrf cookie": "csrftoken" in first.cookies,
        "POST without CSRF token": no_token.status_code,
        "requests 2-6 of 5/minute": statuses,
    }


if __name__ == "__main__":
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        print("litestar ", litestar_probe(Path(folder)))
    print("starlette", starlette_probe())
