"""A stand-in for ``onestop serve`` until ``onestop.web`` lands: the real `Mall`, no framework.

It takes the same command line as ``onestop serve`` (``serve CATALOGUE --store URL
--key-file F --test-actors F --workers N --host H --port P``) and answers the benchmark's
routes of the HTTP contract (issue 17) with a bare ASGI app calling one mall per process
in a pool of 10 threads (as docs/explanation/web-framework.md designs ``onestop serve``:
handlers in the thread pool, one `Mall` per worker process): ``Mall.track``,
``Mall.act`` (``If-Match`` as ``expected_version``), ``Mall.submit``
(``Idempotency-Key``), ``Mall.application``, ``/healthz``.  Responses are
small JSON objects, not the contract's full bodies.  What it measures is the mall behind
a floor server: the framework's share of ``onestop serve``'s cost is what it leaves out.
It exercises the driver's onestop path end to end (key file, test actors, seeding,
PostgreSQL schema)::

    PYTHONPATH=src python benchmarks/bench_serve.py --stub
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_state: dict[str, Any] = {}
_threads = ThreadPoolExecutor(10)


def _mall() -> Any:
    if "mall" not in _state:
        from onestop.cli._common import open_mall

        settings = json.loads(os.environ["BENCH_STUB_SETTINGS"])
        _state["mall"] = open_mall(
            settings["catalogue"], settings["store"], key_file=settings["key_file"], as_json=True
        )
        _state["actors"] = json.loads(Path(settings["actors"]).read_text())
    return _state["mall"]


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(body)


def _problem(status: int, error: Exception) -> tuple[Any, ...]:
    body = {"type": "about:blank", "title": type(error).__name__, "status": status}
    return status, {"content-type": "application/problem+json"}, json.dumps(body)


def _view(application: Any) -> tuple[Any, ...]:
    body = {
        "application_id": application.id,
        "number": application.number,
        "service": application.service,
        "state": application.state,
        "version": application.version,
    }
    return _json(200, body, {"etag": f'"{application.version}"'})


def _answer(scope: dict[str, Any], headers: dict[str, str], body: bytes) -> tuple[Any, ...]:
    from onestop.domain.common.parties import Person
    from onestop.domain.workflow.engine import Actor
    from onestop.exceptions import (
        ApplicationNotFound,
        ConcurrencyConflict,
        IdempotencyConflict,
        OnestopError,
    )

    mall = _mall()
    method, path = scope["method"], scope["path"]
    try:
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        if method == "GET" and path == "/api/v1/tracking":
            query = urllib.parse.parse_qs(scope["query_string"].decode("latin-1"))
            status = mall.track(query["number"][0], headers.get("lookup-secret", ""), language="en")
            return _json(
                200,
                {
                    "number": status.number,
                    "state": status.state,
                    "label": status.label,
                    "due": None if status.due is None else status.due.isoformat(),
                },
            )
        if method == "POST" and path == "/api/v1/applications":
            request = json.loads(body)
            receipt = mall.submit(
                request["service"],
                channel=request["channel"],
                applicant=Person.of(**request["applicant"]),
                answers=request["answers"],
                actor=Actor(id="citizen", roles=frozenset({"applicant"})),
                idempotency_key=headers["idempotency-key"],
            )
            return _json(
                200 if receipt.replayed else 201,
                {
                    "application_id": receipt.application_id,
                    "number": receipt.number,
                    "lookup_secret": receipt.lookup_secret,
                    "due": receipt.due.isoformat(),
                    "required_documents": list(receipt.required_documents),
                    "replayed": receipt.replayed,
                },
            )
        token = headers.get("authorization", "").removeprefix("Bearer ")
        found = _state["actors"].get(token)
        if found is None:
            return _json(401, {"status": 401})
        actor = Actor(id=found["id"], roles=frozenset(found["roles"]))
        parts = path.split("/")  # ['', 'api', 'v1', 'applications', id, ('actions')]
        if method == "POST" and len(parts) == 6 and parts[5] == "actions":
            request = json.loads(body)
            expected = int(headers["if-match"].strip('"'))
            return _view(
                mall.act(
                    parts[4],
                    request["action"],
                    actor=actor,
                    inputs=request.get("inputs") or None,
                    expected_version=expected,
                )
            )
        if method == "GET" and len(parts) == 5:
            return _view(mall.application(parts[4]))
        return _json(404, {"status": 404})
    except ApplicationNotFound as error:
        return _problem(404, error)
    except (ConcurrencyConflict, IdempotencyConflict) as error:
        return _problem(409, error)
    except OnestopError as error:
        return _problem(422, error)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _mall()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    loop = asyncio.get_running_loop()
    status, extra, text = await loop.run_in_executor(_threads, _answer, scope, headers, body)
    out = text.encode()
    response_headers = [(k.encode(), v.encode()) for k, v in extra.items()]
    response_headers.append((b"content-length", str(len(out)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": out})


def main() -> None:
    """Parse ``onestop serve``'s options and run uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("catalogue")
    parser.add_argument("--store", required=True)
    parser.add_argument("--key-file")
    parser.add_argument("--test-actors", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    os.environ["BENCH_STUB_SETTINGS"] = json.dumps(
        {
            "catalogue": args.catalogue,
            "store": args.store,
            "key_file": args.key_file,
            "actors": args.test_actors,
        }
    )
    sys.path.insert(0, str(HERE))
    uvicorn.run(
        "_mall_stub_serve:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
