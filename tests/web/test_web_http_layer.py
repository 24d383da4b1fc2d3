"""The HTTP layer under hostile requests: headers given twice, bodies in another coding or
media type, and what the layer around the routes answers (found by the HTTP layer review)."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from web_support import ServerProcess, in_process, kia_body, new_key, settings_for, staff_accounts

from onestop.web._ops import time_limit

APPLICATIONS = "/api/v1/applications"
JSON = ("Content-Type", "application/json")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """A client of a real server and an officer's API token: Litestar's test client joins
    a header given twice into one line, as a real server does not."""
    settings = settings_for(tmp_path_factory.mktemp("http-layer"), submissions_per_minute=1000)
    token = staff_accounts(settings, {"officer-ana": ("front_office", "verifier")})["officer-ana"]
    with ServerProcess(settings) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client, token


def _problem(answer: Any, status: int, path: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [p["path"] for p in answer.json()["problems"]] == [path]


def _submitted(client: Any) -> dict[str, Any]:
    sent = client.post(APPLICATIONS, json=kia_body(), headers={"Idempotency-Key": new_key()})
    assert sent.status_code == 201, sent.text
    found: dict[str, Any] = sent.json()
    return found


def test_a_submission_with_two_idempotency_keys_is_refused(served: tuple[Any, str]) -> None:
    """A submission giving ``Idempotency-Key`` twice is refused (400), and makes nothing."""
    client, _ = served
    body = json.dumps(kia_body()).encode()
    first, second = new_key(), new_key()
    answer = client.post(
        APPLICATIONS,
        content=body,
        headers=[JSON, ("Idempotency-Key", first), ("Idempotency-Key", second)],
    )
    _problem(answer, 400, "header.Idempotency-Key")
    for key in (first, second):  # neither key made an application: each makes a new one
        again = client.post(APPLICATIONS, content=body, headers=[JSON, ("Idempotency-Key", key)])
        assert again.status_code == 201, again.text
        assert again.json()["replayed"] is False


def test_a_change_with_two_if_match_headers_is_refused(served: tuple[Any, str]) -> None:
    """A change giving ``If-Match`` twice is refused (400) whichever version each names."""
    client, token = served
    application = _submitted(client)["application_id"]
    answer = client.post(
        f"/api/v1/staff/applications/{application}/notes",
        json={"text": "called", "visibility": "internal"},
        headers=[("Authorization", f"Bearer {token}"), ("If-Match", '"1"'), ("If-Match", '"9"')],
    )
    _problem(answer, 400, "header.If-Match")


def test_a_lookup_with_two_secrets_is_refused(served: tuple[Any, str]) -> None:
    """A tracking lookup giving ``Lookup-Secret`` twice is refused (400), even with the
    right secret first."""
    client, _ = served
    receipt = _submitted(client)
    answer = client.get(
        "/api/v1/tracking",
        params={"number": receipt["number"]},
        headers=[("Lookup-Secret", receipt["lookup_secret"]), ("Lookup-Secret", "0" * 32)],
    )
    _problem(answer, 400, "header.Lookup-Secret")


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "GZIP"])
def test_a_body_in_a_content_coding_is_refused(served: tuple[Any, str], coding: str) -> None:
    """A body sent with a ``Content-Encoding`` other than ``identity`` is refused (415,
    saying ``Accept-Encoding: identity``), whether or not it is encoded, and nothing is
    made of it."""
    client, _ = served
    body = json.dumps(kia_body()).encode()
    key = new_key()
    headers = [JSON, ("Idempotency-Key", key), ("Content-Encoding", coding)]
    answer = client.post(APPLICATIONS, content=body, headers=headers)
    _problem(answer, 415, "header.Content-Encoding")
    assert answer.headers["accept-encoding"] == "identity"
    again = client.post(APPLICATIONS, content=body, headers=[JSON, ("Idempotency-Key", key)])
    assert again.status_code == 201, again.text
    assert again.json()["replayed"] is False


def test_a_gzip_bomb_is_refused_without_being_inflated(served: tuple[Any, str]) -> None:
    """A gzip body that would inflate to 64 MiB is refused (415) and the server answers on."""
    client, _ = served
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)
    answer = client.post(
        "/api/v1/uploads",
        content=bomb,
        headers=[("Content-Type", "application/pdf"), ("Content-Encoding", "gzip")],
    )
    _problem(answer, 415, "header.Content-Encoding")
    assert client.get("/healthz").status_code == 200


def test_an_identity_coding_is_taken(served: tuple[Any, str]) -> None:
    """``Content-Encoding: identity`` is the body as it is: the submission is taken."""
    client, _ = served
    headers = [JSON, ("Idempotency-Key", new_key()), ("Content-Encoding", "identity")]
    answer = client.post(APPLICATIONS, content=json.dumps(kia_body()).encode(), headers=headers)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "declared",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
def test_a_json_body_declared_of_another_type_is_refused(
    served: tuple[Any, str], declared: str
) -> None:
    """A submission whose body is declared of a type other than JSON in UTF-8 is refused
    (415), even when the bytes are JSON, and nothing is made of it."""
    client, _ = served
    body = json.dumps(kia_body()).encode()
    key = new_key()
    headers = [("Content-Type", declared), ("Idempotency-Key", key)]
    _problem(client.post(APPLICATIONS, content=body, headers=headers), 415, "header.Content-Type")
    again = client.post(APPLICATIONS, content=body, headers=[JSON, ("Idempotency-Key", key)])
    assert again.json()["replayed"] is False


@pytest.mark.parametrize(
    "declared",
    [
        "application/json",
        "APPLICATION/JSON; Charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/problem+json",
        None,
    ],
)
def test_a_json_body_declared_json_or_not_at_all_is_taken(
    served: tuple[Any, str], declared: str | None
) -> None:
    """A submission declared JSON (any case, UTF-8 named or not, a ``+json`` type) or not
    declared at all is read as JSON."""
    client, _ = served
    headers = [("Idempotency-Key", new_key())]
    if declared is not None:
        headers.append(("Content-Type", declared))
    answer = client.post(APPLICATIONS, content=json.dumps(kia_body()).encode(), headers=headers)
    assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def with_cors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The application, in process, allowing the origin ``https://mall.example``."""
    settings = settings_for(tmp_path_factory.mktemp("cors"), cors_origins=(MALL,))
    with in_process(settings) as client:
        yield client


MALL = "https://mall.example"


@pytest.mark.parametrize(
    ("origin", "requested", "path"),
    [
        ("https://evil.example", "content-type", "header.Origin"),
        ("null", "content-type", "header.Origin"),
        (MALL, "x-evil", "header.Access-Control-Request-Headers"),
    ],
)
def test_a_refused_preflight_is_a_problem(
    with_cors: Any, origin: str, requested: str, path: str
) -> None:
    """A CORS preflight refused for its origin or a header it asks for is answered as a
    problem naming which (400), not as bare text."""
    answer = with_cors.options(
        APPLICATIONS,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": requested,
        },
    )
    _problem(answer, 400, path)
    assert answer.json()["type"] == "urn:onestop:problem:InvalidRequest"
    assert "access-control-allow-origin" not in answer.headers


def test_an_allowed_preflight_is_answered_as_before(with_cors: Any) -> None:
    """A CORS preflight from the allowed origin is answered 204, allowing it."""
    answer = with_cors.options(
        APPLICATIONS,
        headers={
            "Origin": MALL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert answer.status_code == 204, answer.text
    assert answer.headers["access-control-allow-origin"] == MALL


def test_a_lookup_naming_two_numbers_is_refused(served: tuple[Any, str]) -> None:
    """A tracking lookup giving ``number`` twice is refused (400), whichever comes first."""
    client, _ = served
    receipt = _submitted(client)
    for numbers in ([receipt["number"], "x"], ["x", receipt["number"]]):
        answer = client.get(
            "/api/v1/tracking",
            params=[("number", n) for n in numbers],
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
        _problem(answer, 400, "query.number")


def test_a_georeport_parameter_given_twice_is_refused(served: tuple[Any, str]) -> None:
    """GeoReport's ``service_request_id`` given twice is refused (400, in its error list)."""
    client, _ = served
    application = _submitted(client)["application_id"]
    answer = client.get(
        "/open311/v2/requests.json",
        params=[("service_request_id", application), ("service_request_id", "x")],
    )
    assert answer.status_code == 400, answer.text
    assert answer.json() == [
        {"code": 400, "description": "query.service_request_id: is given more than once"}
    ]


def test_a_parameter_no_route_reads_may_repeat(served: tuple[Any, str]) -> None:
    """A query parameter the route does not read may be given twice (an Open311 client's
    ``api_key``): the request is answered."""
    client, _ = served
    answer = client.get("/open311/v2/services.json", params=[("api_key", "a"), ("api_key", "b")])
    assert answer.status_code == 200, answer.text


def test_a_request_with_two_hosts_is_refused(served: tuple[Any, str]) -> None:
    """A request giving ``Host`` twice is refused (400), as RFC 9112 has it."""
    client, _ = served
    head = "GET /api/v1/services HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n"
    status, body = _sent(client, f"{head}Connection: close\r\n\r\n".encode())
    assert status.startswith(b"HTTP/1.1 400 "), status + body
    assert [p["path"] for p in json.loads(body)["problems"]] == ["header.Host"]


def _sent(client: Any, request: bytes) -> tuple[bytes, bytes]:
    """The status line and body a real server answers *request* (raw bytes) with."""
    url = httpx.URL(str(client.base_url))
    with socket.create_connection((url.host, url.port or 80), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


@pytest.mark.parametrize(
    "coding",
    ["gzip, chunked", "deflate,chunked", "gzip\r\nTransfer-Encoding: chunked"],
)
def test_a_body_in_a_transfer_coding_is_refused(served: tuple[Any, str], coding: str) -> None:
    """A body sent with a ``Transfer-Encoding`` other than ``chunked`` is refused (501),
    whether the codings come in one header line or in several, and nothing is made of it."""
    client, _ = served
    body = json.dumps(kia_body()).encode()
    key = new_key()
    head = (
        f"POST {APPLICATIONS} HTTP/1.1\r\nHost: mall\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nIdempotency-Key: {key}\r\n"
        f"Transfer-Encoding: {coding}\r\n\r\n"
    )
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    status, answer = _sent(client, head.encode() + chunked)
    assert status.startswith(b"HTTP/1.1 501 "), status + answer
    problem = json.loads(answer)
    assert problem["type"] == "urn:onestop:problem:InvalidRequest"
    assert [p["path"] for p in problem["problems"]] == ["header.Transfer-Encoding"]
    again = client.post(APPLICATIONS, content=body, headers=[JSON, ("Idempotency-Key", key)])
    assert again.json()["replayed"] is False


def test_a_chunked_body_is_taken(served: tuple[Any, str]) -> None:
    """A submission sent chunked, and only chunked, is taken."""
    client, _ = served

    def pieces() -> Iterator[bytes]:
        body = json.dumps(kia_body()).encode()
        yield from (body[i : i + 40] for i in range(0, len(body), 40))

    headers = [JSON, ("Idempotency-Key", new_key())]
    answer = client.post(APPLICATIONS, content=pieces(), headers=headers)
    assert answer.status_code == 201, answer.text


def test_a_submission_refused_for_its_headers_counts_against_the_limit(tmp_path: Path) -> None:
    """A submission refused for its headers counts against ``--submissions-per-minute``,
    as every submission does whatever its answer: the next one over the limit is 429."""
    settings = settings_for(tmp_path, submissions_per_minute=2)
    body = json.dumps(kia_body()).encode()
    with in_process(settings) as client:
        for _ in range(2):
            refused = client.post(
                APPLICATIONS, content=body, headers=[("Content-Type", "text/plain")]
            )
            assert refused.status_code == 415, refused.text
        answer = client.post(
            APPLICATIONS, content=body, headers=[JSON, ("Idempotency-Key", new_key())]
        )
        assert answer.status_code == 429, answer.text


def test_a_body_read_from_a_thread_after_the_503_ends() -> None:
    """A handler whose thread reads the body only after the 503 was sent (the deadline
    passed while the thread worked, as an upload writing its first piece) is told the
    client is gone, and the request ends quietly: its thread is not held for good."""
    sent: list[dict[str, Any]] = []
    read: list[dict[str, Any]] = []
    escaped: list[Exception] = []

    async def receive() -> dict[str, Any]:
        if not read:
            return {"type": "http.request", "body": b"%PDF", "more_body": True}
        await anyio.sleep_forever()  # the rest of the body never comes
        raise AssertionError  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def upload(scope: Any, receive: Any, send: Any) -> None:
        read.append(await receive())

        def work() -> None:
            time.sleep(0.5)  # the 0.1 s limit passes while the thread works
            read.append(anyio.from_thread.run(receive))
            if read[-1]["type"] == "http.disconnect":  # as Litestar's body stream does
                raise RuntimeError("client disconnected prematurely")

        await anyio.to_thread.run_sync(work)

    async def main() -> None:
        scope = {"type": "http", "method": "POST", "path": "/up", "headers": []}
        try:
            await time_limit(0.1)(upload)(scope, receive, send)
        except Exception as error:  # noqa: BLE001 - the test says what escaped
            escaped.append(error)

    # in a thread of its own: a request held for good fails the test instead of hanging it
    runner = threading.Thread(target=anyio.run, args=(main,), daemon=True)
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive(), "the request is held for good"
    assert sent[0]["status"] == 503
    assert read[-1] == {"type": "http.disconnect"}
    assert escaped == []  # the handler's failure after its 503 goes no further


@pytest.mark.parametrize(
    ("route", "body"),
    [
        (APPLICATIONS, {**kia_body(), "documents": [{}] * 100_000}),
        ("/api/v1/tracking/documents", {f"k{i}": 1 for i in range(60_000)}),
        ("/api/v1/staff/session", {f"k{i}": 1 for i in range(60_000)}),
    ],
)
def test_a_body_of_too_many_values_is_refused_whole(
    served: tuple[Any, str], route: str, body: dict[str, Any]
) -> None:
    """A body of more than 5,000 keys and values (100,000 empty documents in 400 KB, or
    60,000 unknown keys) is refused at once with one 400 problem, not checked item by
    item into a list of 200,000 problems of 16 MB while the worker serves nothing."""
    client, _ = served
    answer = client.post(
        route, content=json.dumps(body), headers=[JSON, ("Idempotency-Key", new_key())]
    )
    _problem(answer, 400, "body")
    assert "5,000 keys and values" in answer.json()["problems"][0]["message"]
    assert len(answer.content) < 1_000


def test_a_body_refused_item_by_item_lists_a_hundred_problems_and_counts_the_rest(
    served: tuple[Any, str],
) -> None:
    """A body under the size limits whose 2,000 documents are each wrong is answered
    with its first 100 problems and a last one saying how many more there are."""
    client, _ = served
    body = {**kia_body(), "documents": [{}] * 2_000}
    answer = client.post(APPLICATIONS, json=body, headers={"Idempotency-Key": new_key()})
    assert answer.status_code == 422, answer.text
    problems = answer.json()["problems"]
    assert len(problems) == 101
    assert problems[-1] == {"path": "body", "message": "and 3,900 more problems, not listed"}
