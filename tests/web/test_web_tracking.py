"""Tracking over HTTP: a wrong secret looks like an unknown number, guessing is throttled,
and a document is given later with the number and secret."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from citizen_double import assertion
from web_support import ServerProcess, in_process, kia_body, new_key, settings_for

from onestop.testing.documents import sample_pdf
from onestop.web._inflight import UPLOADS, InFlight

TRACKING = "/api/v1/tracking"
GIVE = "/api/v1/tracking/documents"
CANARY = "Zq9Canary"
NIK = "3171012501900001"
IGNORED = {"x-request-id", "date"}


def _receipt(client: Any) -> dict[str, Any]:
    sent = client.post(
        "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": new_key()}
    )
    assert sent.status_code == 201, sent.text
    found: dict[str, Any] = sent.json()
    return found


def _track(client: Any, number: str, secret: str) -> Any:
    return client.get(TRACKING, params={"number": number}, headers={"Lookup-Secret": secret})


def _give(client: Any, number: str, secret: str, body: Any) -> Any:
    return client.post(
        GIVE, params={"number": number}, headers={"Lookup-Secret": secret}, json=body
    )


def _upload(client: Any) -> str:
    sent = client.post(
        "/api/v1/uploads", content=sample_pdf(), headers={"Content-Type": "application/pdf"}
    )
    assert sent.status_code == 201, sent.text
    document_id: str = sent.json()["document_id"]
    return document_id


def _headers(response: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k.lower() not in IGNORED)


def _other_number(number: str) -> str:
    """A number of the same shape and length that no application has."""
    head, _, seq = number.rpartition("/")
    return f"{head}/{'9' * len(seq)}"


@pytest.mark.parametrize("route", [TRACKING, GIVE])
def test_a_wrong_secret_is_answered_as_an_unknown_number(tmp_path: Path, route: str) -> None:
    """A wrong secret and an unknown number get the same status, headers and body, byte for byte."""
    with in_process(settings_for(tmp_path)) as client:
        receipt = _receipt(client)
        secret = receipt["lookup_secret"]
        wrong = "f" * len(secret) if secret != "f" * len(secret) else "e" * len(secret)
        body = {"requirement": "kk", "document_id": "0" * 32}

        def ask(number: str, key: str) -> Any:
            if route == TRACKING:
                return _track(client, number, key)
            return _give(client, number, key, body)

        wrong_secret = ask(receipt["number"], wrong)
        unknown = ask(_other_number(receipt["number"]), secret)
    assert wrong_secret.status_code == unknown.status_code == 404
    assert wrong_secret.content == unknown.content
    assert _headers(wrong_secret) == _headers(unknown)
    assert receipt["number"] not in wrong_secret.text


def test_failed_lookups_from_one_client_are_throttled(tmp_path: Path) -> None:
    """After the allowed failures from one client, its next lookup (of any number, right or
    wrong) is answered 429 with ``Retry-After``."""
    with in_process(settings_for(tmp_path, lookups_per_minute=3)) as client:
        receipt = _receipt(client)
        failures = [_track(client, f"X/Y/2026/{n:06d}", "guess").status_code for n in range(3)]
        after = _track(client, receipt["number"], receipt["lookup_secret"])
    assert failures == [404, 404, 404]
    assert after.status_code == 429, after.text
    assert after.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(after.headers["retry-after"]) <= 60


def test_a_correct_lookup_is_not_counted(tmp_path: Path) -> None:
    """Looking up one's own application many times never throttles: only failures count."""
    with in_process(settings_for(tmp_path, lookups_per_minute=3)) as client:
        receipt = _receipt(client)
        statuses = [
            _track(client, receipt["number"], receipt["lookup_secret"]).status_code
            for _ in range(8)
        ]
        failure = _track(client, receipt["number"], "guess")
    assert statuses == [200] * 8
    assert failure.status_code == 404


def test_failed_lookups_of_one_number_are_throttled_across_clients_and_workers(
    tmp_path: Path,
) -> None:
    """Guesses at one number from several addresses, on a server of two workers, are cut off
    for that number for every address (429, not 404), while its citizen's correct secret is
    still served and another number is still answered."""
    settings = settings_for(tmp_path, workers=2, lookups_per_minute=3)
    with ServerProcess(settings) as server:

        def client(host: str) -> httpx.Client:
            transport = httpx.HTTPTransport(local_address=host)
            return httpx.Client(base_url=server.url, transport=transport, timeout=30)

        with client("127.0.0.1") as first:
            receipt = _receipt(first)
        guessed = []
        for host in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.6"):
            with client(host) as guesser:
                guessed.append(_track(guesser, receipt["number"], "guess").status_code)
        with client("127.0.0.5") as owner:
            own = _track(owner, receipt["number"], receipt["lookup_secret"])
            other = _track(owner, _other_number(receipt["number"]), "guess")
    assert guessed == [404, 404, 404, 429]
    assert own.status_code == 200
    assert other.status_code == 404


# --- a document given later ------------------------------------------------------------


def test_a_document_is_given_later_with_the_number_and_secret(tmp_path: Path) -> None:
    """An upload given for a requirement after submission is referenced by the application,
    attached to it, and the answer is the application's public status."""
    with in_process(settings_for(tmp_path)) as client:
        runtime = client.app.state.runtime
        receipt = _receipt(client)
        document_id = _upload(client)
        given = _give(
            client,
            receipt["number"],
            receipt["lookup_secret"],
            {"requirement": "kk", "document_id": document_id},
        )
        application = runtime.mall.application(receipt["application_id"])
        described = runtime.desk.describe(document_id)
    assert given.status_code == 200, given.text
    assert given.json()["number"] == receipt["number"]
    assert application.documents["kk"].sha256 == described.sha256
    assert described.application_id == receipt["application_id"]


def test_an_upload_held_by_another_request_is_409_and_left_alone(tmp_path: Path) -> None:
    """While another request (a submission, another late document, on any worker) holds an
    upload, giving it later is answered 409 and the application is not changed; once it
    is let go, it is given."""
    with in_process(settings_for(tmp_path)) as client:
        receipt = _receipt(client)
        document_id = _upload(client)
        body = {"requirement": "kk", "document_id": document_id}
        inflight: InFlight = client.app.state.inflight
        token = anyio.run(inflight.claim, UPLOADS, document_id)
        assert token is not None
        held = _give(client, receipt["number"], receipt["lookup_secret"], body)
        version = client.app.state.runtime.mall.application(receipt["application_id"]).version
        anyio.run(inflight.release, UPLOADS, document_id, token)
        given = _give(client, receipt["number"], receipt["lookup_secret"], body)
    assert held.status_code == 409, held.text
    assert held.json()["type"] == "urn:onestop:problem:SubmissionInProgress"
    assert version == 1
    assert given.status_code == 200, given.text


def test_a_signed_in_citizen_gives_a_document_later(tmp_path: Path) -> None:
    """With a citizen sign-in, the citizen who applied, signed in, gives a document later
    as themselves (the submitter), not as the anonymous citizen the workflow refuses."""
    settings = settings_for(tmp_path, citizen_sign_in="citizen_double:sign_in")
    headers = {"X-Citizen": assertion("nid-7", NIK)}
    with in_process(settings) as client:
        sent = client.post(
            "/api/v1/applications",
            json=kia_body(nik=NIK),
            headers={**headers, "Idempotency-Key": new_key()},
        )
        receipt = sent.json()
        given = client.post(
            GIVE,
            params={"number": receipt["number"]},
            headers={**headers, "Lookup-Secret": receipt["lookup_secret"]},
            json={"requirement": "kk", "document_id": _upload(client)},
        )
        application = client.app.state.runtime.mall.application(receipt["application_id"])
    assert given.status_code == 200, given.text
    assert "kk" in application.documents


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"requirement": "kk", "document_id": "0" * 32}, "body.document_id"),
        ({"requirement": "kk", "document_id": CANARY}, "body.document_id"),
        ({"requirement": CANARY, "document_id": None}, "body.document_id"),
        ({"requirement": CANARY, "document_id": "upload"}, "body.requirement"),
    ],
)
def test_a_document_that_cannot_be_given_is_422(tmp_path: Path, body: Any, path: str) -> None:
    """An unknown upload or a requirement the service lacks is a 422 naming the field, not
    repeating what was sent."""
    with in_process(settings_for(tmp_path)) as client:
        receipt = _receipt(client)
        if body["document_id"] == "upload":
            body = {**body, "document_id": _upload(client)}
        refused = _give(client, receipt["number"], receipt["lookup_secret"], body)
    assert refused.status_code == 422, refused.text
    assert path in [p["path"] for p in refused.json()["problems"]]
    assert CANARY not in refused.text


def test_an_upload_of_another_application_cannot_be_given(tmp_path: Path) -> None:
    """An upload attached to one application cannot be given to another."""
    with in_process(settings_for(tmp_path)) as client:
        first, second = _receipt(client), _receipt(client)
        document_id = _upload(client)
        body = {"requirement": "kk", "document_id": document_id}
        assert _give(client, first["number"], first["lookup_secret"], body).status_code == 200
        refused = _give(client, second["number"], second["lookup_secret"], body)
    assert refused.status_code == 422
    assert [p["path"] for p in refused.json()["problems"]] == ["body.document_id"]


def test_an_upload_given_for_one_requirement_cannot_be_given_for_another(
    tmp_path: Path,
) -> None:
    """An upload given for ``kk`` is refused for ``ktp-ortu`` of the same application (one
    file is not the evidence of two requirements); given for ``kk`` again (a retry), it
    is taken, and the application's ``ktp-ortu`` stays without it."""
    with in_process(settings_for(tmp_path)) as client:
        receipt = _receipt(client)
        number, secret = receipt["number"], receipt["lookup_secret"]
        document_id = _upload(client)
        first = _give(client, number, secret, {"requirement": "kk", "document_id": document_id})
        other = _give(
            client, number, secret, {"requirement": "ktp-ortu", "document_id": document_id}
        )
        again = _give(client, number, secret, {"requirement": "kk", "document_id": document_id})
        application = client.app.state.runtime.mall.application(receipt["application_id"])
    assert (first.status_code, again.status_code) == (200, 200), (first.text, again.text)
    assert other.status_code == 422, other.text
    assert other.json()["problems"] == [
        {
            "path": "body.document_id",
            "message": "is an upload given already, for another requirement",
        }
    ]
    assert "ktp-ortu" not in application.documents


def test_giving_documents_with_wrong_secrets_is_throttled(tmp_path: Path) -> None:
    """Wrong secrets sent with documents count as failed lookups, as tracking's do."""
    with in_process(settings_for(tmp_path, lookups_per_minute=2)) as client:
        receipt = _receipt(client)
        body = {"requirement": "kk", "document_id": "0" * 32}
        statuses = [_give(client, receipt["number"], "guess", body).status_code for _ in range(3)]
        tracked = _track(client, receipt["number"], receipt["lookup_secret"])
    assert statuses == [404, 404, 429]
    assert tracked.status_code == 429


# --- hostile input ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for hostile lookups, throttling nothing."""
    settings = settings_for(tmp_path_factory.mktemp("tracking"), lookups_per_minute=1_000_000)
    with in_process(settings) as found:
        yield found


HOSTILE_NUMBERS = [
    CANARY * 20,
    CANARY + "\x00",
    CANARY + "\r\nX-Evil: 1",
    CANARY + "\u202e\u200b",
    "é" + CANARY,
    "\ud800" + CANARY,
    " " + CANARY,
    "",
]


@pytest.mark.parametrize("number", HOSTILE_NUMBERS)
@pytest.mark.parametrize("route", [TRACKING, GIVE])
def test_a_hostile_number_is_a_problem(client: Any, number: str, route: str) -> None:
    """A number with control characters, Unicode, a lone surrogate, or too long is a 4xx
    problem that does not repeat it."""
    raw = "number=" + "".join(f"%{b:02X}" for b in number.encode("utf-8", "surrogatepass"))
    if route == TRACKING:
        sent = client.get(f"{TRACKING}?{raw}", headers={"Lookup-Secret": "secret"})
    else:
        sent = client.post(
            f"{GIVE}?{raw}",
            headers={"Lookup-Secret": "secret"},
            json={"requirement": "kk", "document_id": "0" * 32},
        )
    assert 400 <= sent.status_code < 500, sent.text
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert CANARY not in sent.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Lookup-Secret": CANARY * 20},
        {"Lookup-Secret": (CANARY + "é").encode()},
        {"Lookup-Secret": CANARY + "\x01"},
        {"Lookup-Secret": CANARY + " x"},
        {"Lookup-Secret": ""},
        {},
        {"Lookup-Secret": "secret", "Accept-Language": ("é" * 5000 + CANARY).encode()},
        {"Lookup-Secret": "secret", "Accept-Language": ",;q=" * 5000 + CANARY},
    ],
)
def test_a_hostile_header_is_a_problem(client: Any, headers: dict[str, Any]) -> None:
    """A missing, malformed, non-ASCII or huge ``Lookup-Secret`` or ``Accept-Language`` is a
    4xx problem that does not repeat it."""
    sent = client.get(TRACKING, params={"number": "X/Y/2026/000001"}, headers=headers)
    assert 400 <= sent.status_code < 500, sent.text
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert CANARY not in sent.text


@pytest.mark.parametrize("lang", [CANARY + "é", "x" * 5000, "en\x00", "-", CANARY])
def test_a_hostile_language_is_a_problem_or_ignored(client: Any, lang: str) -> None:
    """A malformed ``lang`` is a 400 problem; a well-formed one not declared is served in the
    default language; neither is repeated."""
    sent = client.get(
        TRACKING, params={"number": "X/Y/2026/000001", "lang": lang}, headers={"Lookup-Secret": "s"}
    )
    assert sent.status_code in (400, 404), sent.text
    assert CANARY not in sent.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"requirement": "kk", "requirement": "kk", "document_id": "x"}',
        b'{"requirement": NaN, "document_id": "x"}',
        b"[" * 1000 + b"]" * 1000,
        b'{"requirement": "\\ud800", "document_id": "x"}',
        b'{"requirement": 1' + b"0" * 400 + b', "document_id": "x"}',
        b'{"requirement": true, "document_id": 1.5}',
        b'{"requirement": "kk", "document_id": "x", "extra": "' + CANARY.encode() + b'"}',
        b'{"requirement": "kk"}',
        b"\xff\xfe",
    ],
)
def test_a_hostile_document_body_is_a_problem(client: Any, body: bytes) -> None:
    """A malformed body for a document given later is a 4xx problem that repeats nothing."""
    sent = client.post(
        GIVE,
        params={"number": "X/Y/2026/000001"},
        headers={"Lookup-Secret": "secret", "Content-Type": "application/json"},
        content=body,
    )
    assert 400 <= sent.status_code < 500, sent.text
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert CANARY not in sent.text


def _raw_exchange(port: int, request: bytes) -> bytes:
    """Send *request* as bytes on a new connection; return the whole answer."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        raw.sendall(request)
        while piece := raw.recv(65536):
            answer += piece
            head, _, body = answer.partition(b"\r\n\r\n")
            length = [line for line in head.lower().split(b"\r\n") if b"content-length:" in line]
            if length and len(body) >= int(length[0].split(b":")[1]):
                break
    return answer


_TRACK_LINE = b"GET /api/v1/tracking?number=X/Y/2026/000001 HTTP/1.1\r\nHost: x\r\n"
_C = CANARY.encode()
RAW_REQUESTS = {
    "control characters in a header": _TRACK_LINE + b"Lookup-Secret: " + _C + b"\x01\r\n\r\n",
    "NUL in a header": _TRACK_LINE + b"Lookup-Secret: " + _C + b"\x00\r\n\r\n",
    "UTF-8 in a header": _TRACK_LINE + b"Lookup-Secret: " + _C + "é".encode() + b"\r\n\r\n",
    "a huge header": _TRACK_LINE + b"Lookup-Secret: " + _C * 20_000 + b"\r\n\r\n",
    "2000 headers": _TRACK_LINE
    + b"".join(b"X-%d: %s\r\n" % (i, _C) for i in range(2000))
    + b"Lookup-Secret: s\r\n\r\n",
    "raw bytes in the query": b"GET /api/v1/tracking?number="
    + _C
    + b"\xff\x00 HTTP/1.1\r\nHost: x\r\nLookup-Secret: s\r\n\r\n",
    "escaped bytes in the query": b"GET /api/v1/tracking?number="
    + _C
    + b"%00%ff%0d%0a HTTP/1.1\r\nHost: x\r\nLookup-Secret: s\r\n\r\n",
    "a huge query": b"GET /api/v1/tracking?number="
    + _C * 20_000
    + b" HTTP/1.1\r\nHost: x\r\nLookup-Secret: s\r\n\r\n",
    "a huge idempotency key": b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\nIdempotency-Key: "
    + _C * 20_000
    + b"\r\n\r\n{}",
    "a hostile upload type": b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
    b"Content-Type: " + _C + "é".encode() + b"/x\r\n\r\n%PDF",
}


def test_a_real_server_answers_hostile_bytes_with_a_4xx(tmp_path: Path) -> None:
    """Hostile headers and queries sent as raw bytes to a real server get a 4xx that repeats
    none of them: a problem from the mall, or uvicorn's own 400 for what is not HTTP."""
    with ServerProcess(settings_for(tmp_path)) as server:
        answers = {name: _raw_exchange(server.port, raw) for name, raw in RAW_REQUESTS.items()}
    for name, answer in answers.items():
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, (name, answer[:300])
        assert _C not in answer, name
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"application/problem+json" in head or body == b"Invalid HTTP request received.", (
            name,
            answer[:300],
        )
