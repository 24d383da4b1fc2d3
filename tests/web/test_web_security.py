"""The online mall's security acceptance (issue 17): headers, limits, errors, guessing.

What only a real server shows (several workers sharing one counter) runs against
`onestop serve` in a child process; the rest runs in the test's process.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from web_support import ServerProcess, in_process, kia_body, new_key, settings_for

from onestop.usecases.mall import Mall
from onestop.web._ops import SECURITY_HEADERS, time_limit
from onestop.web._runtime import Runtime

UNKNOWN_NUMBER = "DUKCAPIL-DKI/kia/2026/999999"


def _missing_headers(response: httpx.Response) -> list[str]:
    expected = {**SECURITY_HEADERS, "X-Request-Id": None}
    if response.request.url.path.startswith("/api/docs"):
        expected.pop("Content-Security-Policy")
    return [
        name
        for name, value in expected.items()
        if name not in response.headers or (value is not None and response.headers[name] != value)
    ]


def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    """Successes, refusals of every kind (404, 405, 413, 415, 422, 429) and server
    failures all carry the security headers; the reference page has its own CSP."""
    # The upload below counts against the submission limit too.
    settings = settings_for(tmp_path, submissions_per_minute=4, body_limit=1024)
    with in_process(settings) as client:
        answers = [
            client.get("/healthz"),
            client.get("/api/v1/services"),
            client.get("/api/openapi.json"),
            client.get("/no/such/path"),
            client.delete("/api/v1/services"),
            client.get("/api/v1/tracking", params={"number": UNKNOWN_NUMBER}),
            client.get(
                "/api/v1/tracking",
                params={"number": UNKNOWN_NUMBER},
                headers={"Lookup-Secret": "wrong"},
            ),
            client.post(
                "/api/v1/uploads", content=b"plain text", headers={"Content-Type": "image/png"}
            ),
            client.post(
                "/api/v1/applications",
                content=b'{"service": "' + b"x" * 2000 + b'"}',
                headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
            ),
            client.post(
                "/api/v1/applications",
                json=kia_body(),
                headers={"Idempotency-Key": new_key()},
            ),
            client.post(
                "/api/v1/applications",
                json={**kia_body(), "answers": {}},
                headers={"Idempotency-Key": new_key()},
            ),
            client.post("/api/v1/applications", json={}, headers={"Idempotency-Key": new_key()}),
        ]
        docs = client.get("/api/docs")
    statuses = sorted({answer.status_code for answer in answers})
    assert statuses == [200, 201, 400, 404, 405, 413, 415, 422, 429], statuses
    for answer in answers:
        assert _missing_headers(answer) == [], (answer.status_code, answer.request.url)
    assert docs.status_code == 200
    assert _missing_headers(docs) == []
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]


def test_the_reference_page_may_load_its_one_pinned_script_only(tmp_path: Path) -> None:
    """The docs page's CSP names the exact pinned script URL the page loads, not a whole CDN."""
    with in_process(settings_for(tmp_path)) as client:
        docs = client.get("/api/docs")
    sources = re.findall(r'<script[^>]*src="([^"]+)"', docs.text)
    policy = {
        part.split()[0]: part.split()[1:]
        for part in docs.headers["Content-Security-Policy"].split(";")
        if part.strip()
    }
    hosts = [s for s in policy["script-src"] if s.startswith("https:")]
    assert sources == hosts, (sources, hosts)
    assert all("@latest" not in s and s.count("/") > 3 for s in hosts)


def test_a_server_failure_shows_no_trace_and_no_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure that is not onestop's (a broken store) is a 500 whose body, headers and
    log say only that the server failed: no exception text, class or stack trace."""
    leak = "sqlite3 said: no such table applications_canary_5f3a at /srv/mall/store.py"

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError(leak)

    from structlog.testing import capture_logs

    with in_process(settings_for(tmp_path, access_log=True)) as client:
        monkeypatch.setattr(Mall, "track", broken)
        with capture_logs() as logs:
            answer = client.get(
                "/api/v1/tracking",
                params={"number": UNKNOWN_NUMBER},
                headers={"Lookup-Secret": "s"},
            )
    assert answer.status_code == 500
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "urn:onestop:problem:InternalError"
    shown = answer.text + json.dumps(dict(answer.headers))
    for needle in ("canary", "sqlite3", "RuntimeError", "Traceback", "store.py", "/srv"):
        assert needle not in shown
    assert _missing_headers(answer) == []
    logged = json.dumps(logs, default=str)
    assert "RuntimeError" in logged  # the class is logged, for the operator
    assert "canary" not in logged
    assert "/srv/mall" not in logged


def test_a_json_body_over_the_body_limit_is_refused_with_413(tmp_path: Path) -> None:
    """A JSON body longer than ``body_limit`` is a 413 problem, whether its length is
    declared or it comes in chunks without one."""

    def chunked() -> Any:
        for _ in range(40):
            yield b" " * 100
        yield b"{}"

    with in_process(settings_for(tmp_path, body_limit=2048)) as client:
        declared = client.post(
            "/api/v1/applications",
            content=json.dumps({**kia_body(), "pad": "x" * 4000}).encode(),
            headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
        )
        streamed = client.post(
            "/api/v1/applications",
            content=chunked(),
            headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
        )
    for answer in (declared, streamed):
        assert answer.status_code == 413, answer.text
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["status"] == 413


def _run_asgi(app: Any, path: str = "/slow") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:
        with anyio.fail_after(10):  # a broken limit fails the test, not the suite
            await app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)

    anyio.run(main)
    return sent


def test_a_request_over_the_time_limit_is_answered_503() -> None:
    """The time-limit middleware answers 503 (a problem, with Retry-After) to a handler
    that has not started its answer in time, and lets a quick handler's answer through."""

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await anyio.sleep(30)

    async def quick(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    late = _run_asgi(time_limit(0.05)(slow))
    assert late[0]["status"] == 503
    headers = dict(late[0]["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1"
    assert json.loads(late[1]["body"])["status"] == 503
    assert [m.get("status") for m in _run_asgi(time_limit(5)(quick))] == [200, None]


def _trickled(limit: Any, pieces: int, gap: float) -> list[dict[str, Any]]:
    """Run an upload-like handler (it reads the whole body, then answers 200) under *limit*,
    the body arriving in *pieces*, *gap* seconds apart."""
    sent: list[dict[str, Any]] = []
    left = [pieces]

    async def receive() -> dict[str, Any]:
        await anyio.sleep(gap)
        left[0] -= 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": left[0] > 0}

    async def reader(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:
        with anyio.fail_after(20):
            scope = {"type": "http", "method": "POST", "path": "/up", "headers": []}
            await limit(reader)(scope, receive, send)

    anyio.run(main)
    return sent


def test_a_body_arriving_steadily_may_take_longer_than_the_time_limit() -> None:
    """A body whose pieces keep coming (each within the limit) is read to its end and
    answered, though the whole takes several times the limit: a slow upload is not cut."""
    answered = _trickled(time_limit(0.3), pieces=8, gap=0.1)  # 0.8 s in all
    assert [m.get("status") for m in answered] == [200, None]


def test_a_body_that_stops_arriving_is_answered_503() -> None:
    """A client that stops sending its body for the limit gets the 503."""
    answered = _trickled(time_limit(0.3), pieces=2, gap=1.0)
    assert answered[0]["status"] == 503


def test_a_stalled_body_ends_quietly_once_answered_503() -> None:
    """When the 503 is complete the server answers the handler's pending read with
    ``http.disconnect``; the handler, being cancelled, never sees it, so nothing raises
    (Litestar raised "client disconnected prematurely", a traceback per stalled client)."""
    sent: list[dict[str, Any]] = []
    complete = anyio.Event()

    async def receive() -> dict[str, Any]:
        await complete.wait()  # the body never comes; the 503 ends the request
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            complete.set()

    async def reader(scope: Any, receive: Any, send: Any) -> None:
        if (await receive())["type"] == "http.disconnect":
            raise RuntimeError("client disconnected prematurely")

    async def main() -> None:
        with anyio.fail_after(10):
            scope = {"type": "http", "method": "POST", "path": "/up", "headers": []}
            await time_limit(0.1)(reader)(scope, receive, send)

    anyio.run(main)
    assert sent[0]["status"] == 503


def test_a_request_cancelled_as_the_server_stops_is_answered_503() -> None:
    """A request the server cancels (its graceful time to stop is up) before it answered
    gets a 503 problem with Retry-After and the security headers, and ends without an
    error (it was a bare 500 and a traceback in the log); one already answering does not."""
    from onestop.web._ops import access_log

    async def hanging(scope: Any, receive: Any, send: Any) -> None:
        await anyio.sleep_forever()

    async def answering(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await anyio.sleep_forever()

    async def cancelled(app: Any) -> tuple[list[dict[str, Any]], bool]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/slow", "headers": []}
        task = asyncio.ensure_future(access_log(enabled=False)(app)(scope, receive, send))
        await asyncio.sleep(0.05)
        task.cancel()  # as uvicorn does once --shutdown-timeout has passed
        await asyncio.wait([task])
        return sent, task.cancelled()

    sent, was_cancelled = asyncio.run(cancelled(hanging))
    assert not was_cancelled
    assert sent[0]["status"] == 503
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1"
    assert {name.lower() for name in SECURITY_HEADERS} <= {name.decode() for name in headers}
    assert json.loads(sent[1]["body"])["type"] == "urn:onestop:problem:ServerStopping"
    sent, was_cancelled = asyncio.run(cancelled(answering))
    assert was_cancelled
    assert [m["status"] for m in sent] == [200]


def test_a_body_trickling_past_the_body_limit_is_answered_503() -> None:
    """However steadily a body comes, it gets the 503 once it has taken the body limit."""
    answered = _trickled(time_limit(0.3, body_seconds=0.5), pieces=20, gap=0.1)
    assert answered[0]["status"] == 503


def test_a_handler_blocked_past_the_timeout_is_answered_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracking lookup stuck in the blocking core (in a thread, as over a store across
    a network, and which cannot be interrupted) longer than ``request_timeout`` is
    answered 503 with the security headers, not with what the lookup returns when it
    finally ends."""

    def stuck(*_: Any, **__: Any) -> None:
        time.sleep(2.5)

    with in_process(settings_for(tmp_path, request_timeout=1)) as client:
        monkeypatch.setattr(Runtime, "local_store", property(lambda _: False))
        monkeypatch.setattr(Mall, "track", stuck)
        answer = client.get(
            "/api/v1/tracking", params={"number": UNKNOWN_NUMBER}, headers={"Lookup-Secret": "s"}
        )
    assert answer.status_code == 503, answer.text
    assert answer.json()["type"] == "urn:onestop:problem:Timeout"
    assert answer.headers["Retry-After"] == "1"
    assert _missing_headers(answer) == []


def test_a_wrong_secret_is_answered_as_a_missing_application(tmp_path: Path) -> None:
    """A real number with a wrong secret and a number that does not exist get the same
    status, the same headers and the same body, byte for byte."""
    with in_process(settings_for(tmp_path, lookups_per_minute=100)) as client:
        receipt = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
        ).json()
        wrong = client.get(
            "/api/v1/tracking",
            params={"number": receipt["number"]},
            headers={"Lookup-Secret": "not-" + receipt["lookup_secret"][4:]},
        )
        prefix = receipt["number"].rsplit("/", 1)[0]
        missing = client.get(
            "/api/v1/tracking",
            params={"number": f"{prefix}/999999"},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
    assert wrong.status_code == missing.status_code == 404
    assert wrong.content == missing.content
    shown = {k: v for k, v in wrong.headers.items() if k != "x-request-id"}
    assert shown == {k: v for k, v in missing.headers.items() if k != "x-request-id"}


def _fresh_get(url: str, path: str, *, params: dict[str, str], headers: dict[str, str]) -> Any:
    # A new connection per request: uvicorn's workers share the socket, so the kernel
    # hands each connection to whichever worker accepts it first.
    with httpx.Client(base_url=url, timeout=10) as client:
        return client.get(path, params=params, headers={**headers, "Connection": "close"})


def _workers_of(log: str, route: str) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") == "request" and event.get("route") == route:
            found.setdefault(event["worker"], []).append(event["status"])
    return found


def _client(url: str, address: str, **options: Any) -> httpx.Client:
    return httpx.Client(
        base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address), **options
    )


async def _burst(url: str, address: str, number: str, count: int) -> list[int]:
    """*count* wrong lookups of *number* at once from *address*, each on its own connection."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=url, timeout=30, transport=transport, limits=limits
    ) as client:

        async def guess(attempt: int) -> int:
            answer = await client.get(
                "/api/v1/tracking",
                params={"number": number},
                headers={"Lookup-Secret": f"burst-{attempt:04d}"},
            )
            return answer.status_code

        statuses = [0] * count

        async def run(attempt: int) -> None:
            statuses[attempt] = await guess(attempt)

        async with anyio.create_task_group() as group:
            for attempt in range(count):
                group.start_soon(run, attempt)
    return statuses


@pytest.mark.slow
def test_guessing_secrets_is_throttled_across_workers(tmp_path: Path) -> None:
    """With two workers, failed lookups spread over many connections (so both workers
    answer some) are counted together: after the limit every further guess is 429, from
    whichever worker, even when the guesses come all at once; and another client's
    correct lookup of another application works."""
    limit = 5
    settings = settings_for(tmp_path, workers=2, lookups_per_minute=limit)
    with ServerProcess(settings) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            target, other, third = (
                client.post(
                    "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
                ).json()
                for _ in range(3)
            )
        guesses = [
            _fresh_get(
                server.url,
                "/api/v1/tracking",
                params={"number": target["number"]},
                headers={"Lookup-Secret": f"guess-{attempt:04d}"},
            )
            for attempt in range(40)
        ]
        at_once = anyio.run(_burst, server.url, "127.0.0.3", third["number"], 40)
        with _client(server.url, "127.0.0.2") as elsewhere:
            theirs = elsewhere.get(
                "/api/v1/tracking",
                params={"number": other["number"]},
                headers={"Lookup-Secret": other["lookup_secret"]},
            )
        log = server.log()
    statuses = [guess.status_code for guess in guesses]
    assert statuses == [404] * limit + [429] * (len(guesses) - limit), statuses
    assert all(int(guess.headers["Retry-After"]) >= 1 for guess in guesses[limit:])
    assert sorted(at_once) == [404] * limit + [429] * (len(at_once) - limit), at_once
    workers = _workers_of(log, "/api/v1/tracking")
    assert len(workers) == 2, workers  # both workers answered guesses ...
    assert all(429 in answered for answered in workers.values()), workers  # ... and refused
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["number"] == other["number"]
