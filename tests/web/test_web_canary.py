"""Issue 17's PII canary: personal data sent to every route reaches no log and no answer.

A canary (a made-up citizen whose name, number, phone, e-mail and address carry one
random token) is put in every personal field of a valid submission and its documents,
and in every parameter, header and body of valid and invalid requests to every route of
the OpenAPI document.  Afterwards it must be in none of: the server's output (its access
log, uvicorn's log, any error it printed), any answer's body or headers, and the files
the server keeps (the SQLite store, its write-ahead log, the documents, the rate-limit
counters, the server's secret): personal data is sealed before it is written.

No answer of the API returns personal data, not even to the citizen: a receipt holds the
application's number and secret, tracking its public status (states, dates, documents
still needed), an officer's view its state and version; so the canary must be in no
answer at all.  Traces and metrics are searched for the canary by
``test_serve_telemetry.py`` (with the SDK's in-memory exporters), not here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from web_support import ServerProcess, kia_body, settings_for, staff_accounts

from onestop.testing.documents import sample_pdf


@attrs.frozen
class Canary:
    """A made-up citizen for one run: every value carries ``canary<token>``."""

    token: str

    @classmethod
    def new(cls) -> Canary:
        return cls(token=secrets.token_hex(5))

    @property
    def mark(self) -> str:
        return f"Canary{self.token}"

    @property
    def nik(self) -> str:  # a valid NIK: Jakarta, a woman born on the 17th of March 1985
        return f"317101570385{int(self.token, 16) % 9999 + 1:04d}"

    @property
    def phone(self) -> str:
        return f"+62813{int(self.token, 16) % 10**8:08d}"

    def person(self) -> dict[str, Any]:
        return {
            "identity_number": self.nik,
            "identity_scheme": "id-nik",
            "name": f"Siti {self.mark}",
            "phone": self.phone,
            "email": f"{self.mark.lower()}@mail.example",
            "address": f"Jl. {self.mark} No. 7, Jakarta",
            "birth_date": "1985-03-17",
        }

    def needles(self) -> list[str]:
        """What to look for, lower-cased: the token, the number's and the phone's digits."""
        digits = self.nik
        found = [self.mark.lower(), self.phone.lstrip("+")]
        found += [digits[i : i + 8] for i in range(len(digits) - 7)]
        return found

    def leaks(self, text: str) -> list[str]:
        lowered = text.lower()
        return [needle for needle in self.needles() if needle in lowered]


def _submission(canary: Canary, *, document_id: str | None = None) -> dict[str, Any]:
    body = kia_body(name=f"Siti {canary.mark}", nik=canary.nik)
    body["applicant"] = canary.person()
    body["representative"] = {
        "person": {**canary.person(), "name": f"Budi {canary.mark}"},
        # Not personal in the domain (a reference to the power of attorney): stored as is.
        "authorisation": "surat kuasa 12/2026",
    }
    if document_id is not None:
        body["documents"] = [{"requirement": "kk", "document_id": document_id}]
    return body


def _headers(canary: Canary) -> dict[str, str]:
    """Headers every request carries: none of them may be logged or echoed."""
    return {
        "User-Agent": f"browser {canary.mark}",
        "Referer": f"https://mall.example/{canary.mark}",
        "Cookie": f"session={canary.mark}; nik={canary.nik}",
        "X-Citizen": f"{canary.mark} {canary.nik}",
        "Accept-Language": "id",
    }


def _filled(schema: dict[str, Any], canary: Canary) -> Any:
    """A value of *schema*'s shape with the canary in every text."""
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _filled(sub, canary) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_filled(schema.get("items", {}), canary)]
    if kind == "integer":
        return int(canary.nik)
    return f"Siti {canary.mark} {canary.nik}"


def _requests(
    document: dict[str, Any], canary: Canary, known: dict[str, str]
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(method, template, path, httpx options) for each route of *document*: invalid requests with
    the canary in every parameter and body, and the valid ones of `known` routes."""
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            path = template
            for param in params:
                if param["in"] == "path":
                    value = known.get(param["name"], f"{canary.mark}-{canary.nik}")
                    path = path.replace("{" + param["name"] + "}", value)
            query = {p["name"]: f"{canary.mark} {canary.nik}" for p in params if p["in"] == "query"}
            headers = {
                p["name"]: f"{canary.mark}-{canary.nik}" for p in params if p["in"] == "header"
            }
            headers["Authorization"] = f"Bearer {canary.mark}"
            content = operation.get("requestBody", {}).get("content", {})
            bodies: list[dict[str, Any]] = [{}]
            if "application/json" in content:
                shape = _filled(_resolve(document, content["application/json"]["schema"]), canary)
                bodies = [
                    {"json": shape},
                    {"json": {"unknown": canary.person(), "service": canary.mark}},
                    {"content": f'{{"name": "Siti {canary.mark}'.encode()},
                ]
            elif "application/x-www-form-urlencoded" in content:
                schema = _resolve(document, content["application/x-www-form-urlencoded"]["schema"])
                bodies = [
                    {"data": dict.fromkeys(schema.get("properties", {}), f"Siti {canary.mark}")}
                ]
            elif method == "post":  # a raw body (an upload)
                bodies = [{"content": f"Siti {canary.mark} {canary.nik}".encode()}]
            for body in bodies:
                yield method, template, path, {"params": query, "headers": headers, **body}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(document, document["components"]["schemas"][name])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _resolve(document, schema[key][0])
    return schema


def _everything_written(root: Path, skip: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path != skip:
            yield path, path.read_bytes()


@pytest.mark.slow
def test_the_canary_reaches_no_log_no_answer_and_no_plaintext_file(tmp_path: Path) -> None:
    """The canary, sent in every field, parameter and header to every route of the OpenAPI
    document (valid and invalid requests), appears in no line the server wrote, in no
    answer's body or headers, and in no byte of the store, documents or counters."""
    canary = Canary.new()
    settings = settings_for(tmp_path, lookups_per_minute=1000)
    token = staff_accounts(settings, {"officer-1": ["verifier"]})["officer-1"]
    answers: list[httpx.Response] = []
    with (
        ServerProcess(settings) as server,
        httpx.Client(base_url=server.url, timeout=30, headers=_headers(canary)) as client,
    ):

        def send(method: str, path: str, **options: Any) -> httpx.Response:
            answer = client.request(method, path, **options)
            answers.append(answer)
            return answer

        upload = send(
            "POST",
            "/api/v1/uploads",
            content=sample_pdf(f"Siti {canary.mark} {canary.nik}".encode()),
            headers={
                "Content-Type": "application/pdf",
                "Upload-Filename": f"KTP Siti {canary.mark} {canary.nik}.pdf",
            },
        )
        assert upload.status_code == 201, upload.text
        key = f"Idem{canary.mark}{canary.nik}"
        sent = send(
            "POST",
            "/api/v1/applications",
            json=_submission(canary, document_id=upload.json()["document_id"]),
            headers={"Idempotency-Key": key},
        )
        assert sent.status_code == 201, sent.text
        receipt = sent.json()
        again = send(
            "POST",
            "/api/v1/applications",
            json=_submission(canary, document_id=upload.json()["document_id"]),
            headers={"Idempotency-Key": key},
        )
        assert again.status_code == 200, again.text
        tracked = send(
            "GET",
            "/api/v1/tracking",
            params={"number": receipt["number"]},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        )
        assert tracked.status_code == 200, tracked.text
        officer = {"Authorization": f"Bearer {token}"}
        viewed = send("GET", f"/api/v1/applications/{receipt['application_id']}", headers=officer)
        assert viewed.status_code == 200, viewed.text
        send(
            "POST",
            f"/api/v1/applications/{receipt['application_id']}/actions",
            json={"action": f"note {canary.mark}", "inputs": {"note": f"Siti {canary.mark}"}},
            headers={**officer, "If-Match": viewed.headers["ETag"]},
        )
        for variant in (
            {"number": receipt["number"], "secret": f"{canary.mark}{canary.nik}"},
            {"number": f"{canary.mark}/{canary.nik}", "secret": receipt["lookup_secret"]},
        ):
            send(
                "GET",
                "/api/v1/tracking",
                params={"number": variant["number"], "lang": canary.mark},
                headers={"Lookup-Secret": variant["secret"]},
            )
        bad_answers = {**_submission(canary), "answers": {"child_name": canary.nik}}
        send("POST", "/api/v1/applications", json=bad_answers, headers={"Idempotency-Key": key})
        send(
            "POST",
            "/api/v1/uploads",
            content=f"Siti {canary.mark}".encode(),
            headers={"Content-Type": f"image/{canary.mark}", "Upload-Filename": canary.nik},
        )
        document = send("GET", "/api/openapi.json").json()
        routes = {(m, p) for p, ops in document["paths"].items() for m in ops}
        known = {"application_id": receipt["application_id"]}
        reached = set()
        for method, template, path, options in _requests(document, canary, known):
            send(method, path, **options)
            reached.add((method, template))
        send("GET", "/api/docs")
        send("GET", f"/{canary.mark}/{canary.nik}", params={"q": canary.mark})
        send("DELETE", "/api/v1/services", params={"q": canary.mark})
    assert reached == routes
    assert len(routes) >= 8, routes
    failed = [(a.request.url.path, a.status_code) for a in answers if a.status_code >= 500]
    assert failed == []
    found = {
        f"{a.request.method} {a.request.url.path} -> {a.status_code}": leaks
        for a in answers
        if (leaks := canary.leaks(a.text + json.dumps(list(a.headers.multi_items()))))
    }
    assert found == {}, json.dumps(
        {
            k: [
                a.text
                for a in answers
                if f"{a.request.method} {a.request.url.path} -> {a.status_code}" == k
            ][:2]
            for k in found
        },
        indent=1,
    )
    log = server.log()
    assert "request" in log  # the access log was on
    assert canary.leaks(log) == [], [line for line in log.splitlines() if canary.leaks(line)][:5]
    written = {
        str(path.relative_to(tmp_path)): leaks
        for path, data in _everything_written(tmp_path, server.log_path)
        if (leaks := canary.leaks(data.decode("latin-1")))
    }
    assert written == {}, written


@pytest.mark.slow
def test_no_password_token_or_session_reaches_a_log_an_answer_or_a_file(tmp_path: Path) -> None:
    """A staff password (right and wrong), an API token and a session, used on the staff
    routes, appear in no line the server wrote, in no answer (the session only in the
    Set-Cookie of its sign-in), and in no byte of the files the server keeps."""
    mark = secrets.token_hex(8)
    password, wrong = f"Right{mark}password", f"Wrong{mark}password"
    settings = settings_for(tmp_path)
    token = staff_accounts(
        settings, {"officer-1": ["front_office", "verifier"]}, password=password
    )["officer-1"]
    answers: list[httpx.Response] = []
    with (
        ServerProcess(settings) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):

        def send(method: str, path: str, **options: Any) -> httpx.Response:
            answer = client.request(method, path, **options)
            answers.append(answer)
            return answer

        sent = send(
            "POST", "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": mark}
        )
        application = f"/api/v1/applications/{sent.json()['application_id']}"
        for body in (
            {"account": "officer-1", "password": wrong},
            {"account": "officer-1", "password": wrong, "code": "123456"},
            {"account": "officer-nobody", "password": password},
            {"account": "officer-1", "password": [password]},
            {"account": password, "password": password},
        ):
            send("POST", "/api/v1/staff/session", json=body)
        signed = send(
            "POST", "/api/v1/staff/session", json={"account": "officer-1", "password": password}
        )
        session, csrf = signed.cookies["onestop_session"], signed.json()["csrf_token"]
        browser = {"Cookie": f"onestop_session={session}; onestop_csrf={csrf}"}
        bearer = {"Authorization": f"Bearer {token}"}
        send("GET", "/api/v1/staff/me", headers=browser)
        send("GET", "/api/v1/staff/me", headers=bearer)
        send("GET", "/api/v1/staff/me", headers={"Authorization": f"Bearer {token}x"})
        read = send("GET", application, headers=bearer)
        action = {"json": {"action": "accept"}}
        etag = {"If-Match": read.headers["ETag"]}
        send("POST", f"{application}/actions", headers={**browser, **etag}, **action)
        send(
            "POST",
            f"{application}/actions",
            headers={**browser, **etag, "X-CSRF-Token": csrf},
            **action,
        )
        send("DELETE", "/api/v1/staff/session", headers={**browser, "X-CSRF-Token": csrf})
        send("GET", "/api/v1/staff/me", headers=browser)
    assert [a.status_code for a in answers[-9:]] == [201, 200, 200, 401, 200, 403, 200, 204, 401]
    secret = {"password": password, "wrong": wrong, "token": token, "mark": mark}
    found = {
        f"{a.request.method} {a.request.url.path} -> {a.status_code}": leaks
        for a in answers
        if (
            leaks := [
                name
                for name, value in {**secret, "session": session}.items()
                if value in a.text + json.dumps(list(a.headers.multi_items()))
                and not (a is signed and name == "session")
            ]
        )
    }
    assert found == {}, found
    log = server.log()
    assert "request" in log
    assert [name for name, value in {**secret, "session": session}.items() if value in log] == []
    written = {
        str(path.relative_to(tmp_path)): leaks
        for path, data in _everything_written(tmp_path, server.log_path)
        if (
            leaks := [
                name
                for name, value in {**secret, "session": session}.items()
                if value.encode() in data
            ]
        )
    }
    assert written == {}, written
