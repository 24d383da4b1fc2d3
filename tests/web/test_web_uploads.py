"""Uploading documents over HTTP: limits, sniffed types, stripped locations, the sweeper."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from web_support import ServerProcess, in_process, kia_body, new_key, settings_for

from onestop.exceptions import ConfigurationError, DocumentNotFound
from onestop.storage.documents import FileDocuments
from onestop.testing.documents import (
    EICAR,
    GPS_MARK,
    EicarScanner,
    jpeg_markers,
    png_chunks,
    sample_jpeg,
    sample_pdf,
    sample_png,
)
from onestop.usecases.documents import DocumentDesk
from onestop.web._intake import Sweeper, sweep_age
from onestop.web._runtime import Runtime
from onestop.web.settings import ServeSettings

UPLOADS = "/api/v1/uploads"
CANARY = "Zq9Canary"
LIMIT = 4096


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert CANARY.lower() not in response.text.lower()
    found: dict[str, Any] = response.json()
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A mall whose uploads may have 4 KiB at most."""
    settings = settings_for(
        tmp_path_factory.mktemp("uploads"), upload_limit=LIMIT, submissions_per_minute=10_000
    )
    with in_process(settings) as found:
        yield found


def test_an_upload_is_kept_and_described(client: Any) -> None:
    """A PDF upload is answered 201 with its id, sniffed type, size and SHA-256."""
    sent = client.post(UPLOADS, content=sample_pdf(), headers={"Content-Type": "application/pdf"})
    assert sent.status_code == 201, sent.text
    described = client.app.state.runtime.desk.describe(sent.json()["document_id"])
    assert sent.json() == {
        "document_id": described.document_id,
        "media_type": "application/pdf",
        "size": len(sample_pdf()),
        "sha256": described.sha256,
    }
    assert described.application_id is None


@pytest.mark.parametrize(
    ("data", "media_type", "check"),
    [(sample_jpeg(), "image/jpeg", jpeg_markers), (sample_png(), "image/png", png_chunks)],
)
def test_a_photos_location_is_not_kept(
    client: Any, data: bytes, media_type: str, check: Any
) -> None:
    """A JPEG with an EXIF GPS position (or a PNG with one) is kept whole without it."""
    assert GPS_MARK in data
    sent = client.post(UPLOADS, content=data, headers={"Content-Type": media_type})
    assert sent.status_code == 201, sent.text
    kept = b"".join(client.app.state.runtime.desk.read(sent.json()["document_id"]))
    assert GPS_MARK not in kept
    assert b"GPS" not in kept
    assert b"Exif" not in kept
    check(kept)  # still a well-formed image
    assert sent.json()["size"] == len(kept) < len(data)


def test_a_body_over_the_limit_is_413(client: Any) -> None:
    """An upload one byte over the limit, with its length declared, is refused 413."""
    sent = client.post(
        UPLOADS, content=sample_pdf(padding=LIMIT), headers={"Content-Type": "application/pdf"}
    )
    assert _problem(sent, 413)["type"] == "urn:onestop:problem:DocumentTooLarge"


def test_a_chunked_body_over_the_limit_is_413(client: Any) -> None:
    """An upload sent in chunks without a length is refused 413 once it passes the limit."""

    def chunks() -> Any:
        yield b"%PDF-1.7\n"
        for _ in range(LIMIT // 512 + 2):
            yield b"%" * 512

    sent = client.post(UPLOADS, content=chunks(), headers={"Content-Type": "application/pdf"})
    assert sent.request.headers["transfer-encoding"] == "chunked"
    assert _problem(sent, 413)["type"] == "urn:onestop:problem:DocumentTooLarge"


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (sample_jpeg(), "application/pdf"),  # a photo that says it is a PDF
        (sample_pdf(), "image/png"),
        (sample_png(), "image/jpeg"),
    ],
)
def test_a_lying_media_type_is_415(client: Any, data: bytes, declared: str) -> None:
    """An upload whose bytes are of another type than declared is refused 415."""
    sent = client.post(UPLOADS, content=data, headers={"Content-Type": declared})
    assert _problem(sent, 415)["type"] == "urn:onestop:problem:UnsupportedMediaType"


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (b"plain text, not a document", "text/plain"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (b"PK\x03\x04" + b"\x00" * 40, "application/zip"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        (b"", "application/pdf"),
        (sample_pdf(), "application/x-" + CANARY),
        (sample_pdf(), CANARY + "/" + CANARY + "; charset=" + CANARY),
    ],
)
def test_an_unknown_type_is_415(client: Any, data: bytes, declared: str) -> None:
    """Bytes of no allowed type, or a declared type not allowed, are refused 415, and the
    answer does not repeat a declared type it does not know."""
    sent = client.post(UPLOADS, content=data, headers={"Content-Type": declared})
    _problem(sent, 415)


def test_an_upload_filename_over_the_limit_is_named_as_sent(client: Any) -> None:
    """An ``Upload-Filename`` longer than the header limit is a 400 naming
    ``header.Upload-Filename`` (it said ``header.File-Name``, the parameter's name)."""
    sent = client.post(
        UPLOADS,
        content=sample_pdf(),
        headers={"Content-Type": "application/pdf", "Upload-Filename": "a" * 5000},
    )
    assert [p["path"] for p in _problem(sent, 400)["problems"]] == ["header.Upload-Filename"]


@pytest.mark.parametrize(
    "header",
    [
        {"Content-Type": "application/pdf\x01\x7f" + CANARY},
        {"Content-Type": ("é" * 2000 + CANARY).encode("utf-8")},
        {"Content-Type": "application/pdf", "Upload-Filename": CANARY * 500},
        {"Content-Type": "application/pdf", "Content-Length": "1" + "0" * 40},
    ],
)
def test_a_hostile_header_is_a_problem(client: Any, header: dict[str, Any]) -> None:
    """Control characters, Unicode, huge values and impossible lengths in an upload's
    headers are answered with a 4xx problem that does not repeat them."""
    sent = client.post(UPLOADS, content=sample_pdf(), headers=header)
    assert 400 <= sent.status_code < 500, sent.text
    _problem(sent, sent.status_code)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a\x00b.pdf",
        "\u202eFDP.exe".encode(),
        "é.pdf".encode(),
        "CON",
        " ",
        "x" * 255,
    ],
)
def test_a_hostile_file_name_is_kept_made_safe(client: Any, name: Any) -> None:
    """A file name with a path, control characters or Unicode is kept made safe, never as a path."""
    sent = client.post(
        UPLOADS,
        content=sample_pdf(),
        headers={"Content-Type": "application/pdf", "Upload-Filename": name},
    )
    assert sent.status_code in (201, 400, 415), sent.text
    if sent.status_code == 201:
        kept = client.app.state.runtime.desk.describe(sent.json()["document_id"]).file_name
        assert kept is not None
        assert "/" not in kept
        assert "\x00" not in kept
        assert "\u202e" not in kept


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("UTF-8''%D9%85%D9%84%D9%81.pdf", "ملف.pdf"),  # RFC 8187
        ("utf-8''Akta%20Kelahiran.pdf", "Akta Kelahiran.pdf"),
        ("ملف.pdf".encode(), "ملف.pdf"),  # raw UTF-8
        ("Résumé.pdf".encode("latin-1"), "Résumé.pdf"),  # Latin-1 that is not UTF-8
        ("plain.pdf", "plain.pdf"),
        ("UTF-8''" + "%C3%A9" * 300 + ".pdf", "é" * 251 + ".pdf"),  # cut, extension kept
    ],
)
def test_a_file_name_outside_ascii_is_kept_as_sent(client: Any, header: Any, kept: str) -> None:
    """``Upload-Filename`` in RFC 8187's ``UTF-8''`` form or as raw UTF-8 is kept as the
    name the uploader had, not as its bytes read as Latin-1; a long one is cut, not refused."""
    sent = client.post(
        UPLOADS,
        content=sample_pdf(),
        headers={"Content-Type": "application/pdf", "Upload-Filename": header},
    )
    assert sent.status_code == 201, sent.text
    assert client.app.state.runtime.desk.describe(sent.json()["document_id"]).file_name == kept


def test_a_file_name_that_is_not_utf8_once_decoded_is_400(client: Any) -> None:
    """An RFC 8187 name whose percent-encoded bytes are not UTF-8 is a 400 naming the header."""
    sent = client.post(
        UPLOADS,
        content=sample_pdf(),
        headers={"Content-Type": "application/pdf", "Upload-Filename": "UTF-8''%FF%FE.pdf"},
    )
    assert [p["path"] for p in _problem(sent, 400)["problems"]] == ["header.Upload-Filename"]


def test_a_real_server_refuses_a_declared_length_before_reading(tmp_path: Path) -> None:
    """A real server answers 413 to a declared length over the limit without waiting for a
    byte of the body, and 413 to a chunked body once it passes the limit."""
    settings = settings_for(tmp_path, upload_limit=LIMIT)
    with ServerProcess(settings, extra=("--upload-limit", str(LIMIT))) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as raw:
            raw.sendall(
                b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                b"Content-Length: 1000000\r\n\r\n"
            )
            answer = raw.recv(65536)  # no body sent: the answer comes without it
        chunks = (b"%PDF-1.7\n" if i == 0 else b"%" * 1024 for i in range(64))
        chunked = httpx.post(
            f"{server.url}{UPLOADS}", content=chunks, headers={"Content-Type": "application/pdf"}
        )
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"application/problem+json" in answer
    assert chunked.status_code == 413, chunked.text


# --- the malware scanner ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["onestop.testing.documents:EicarScanner", "test_web_uploads:made_scanner"]
)
def test_a_configured_scanner_refuses_malware_and_keeps_the_rest(
    tmp_path: Path, target: str
) -> None:
    """With ``scanner`` (a Scanner class, or a function making one) every upload is
    scanned: the EICAR test file is refused 422 (MalwareFound) and nothing is kept; a
    clean PDF is kept."""
    with in_process(settings_for(tmp_path, scanner=target)) as client:
        infected = client.post(
            UPLOADS,
            content=sample_pdf(EICAR),
            headers={"Content-Type": "application/pdf"},
        )
        clean = client.post(
            UPLOADS, content=sample_pdf(), headers={"Content-Type": "application/pdf"}
        )
    problem = _problem(infected, 422)
    assert problem["type"] == "urn:onestop:problem:MalwareFound"
    assert clean.status_code == 201, clean.text
    assert len(list((tmp_path / "mall.sqlite3.documents").glob("*.doc"))) == 1


def made_scanner() -> EicarScanner:
    """A factory of no arguments, as ``scanner`` may name."""
    return EicarScanner(name="factory")


class DownScanner:
    """A scanner whose daemon is down: every start is a refused connection."""

    def start(self) -> EicarScanner:
        raise ConnectionRefusedError(111, "Connection refused")


def test_an_unreachable_scanner_answers_503_and_keeps_nothing(tmp_path: Path) -> None:
    """A scanner that cannot be reached is a 503 ScannerUnavailable with Retry-After, not an
    internal error, and the upload is not kept."""
    with in_process(settings_for(tmp_path, scanner="test_web_uploads:DownScanner")) as client:
        answer = client.post(
            UPLOADS, content=sample_pdf(), headers={"Content-Type": "application/pdf"}
        )
    problem = _problem(answer, 503)
    assert problem["type"] == "urn:onestop:problem:ScannerUnavailable"
    assert answer.headers["Retry-After"] == "1"
    assert list((tmp_path / "mall.sqlite3.documents").glob("*.doc")) == []


@pytest.mark.parametrize(
    "target",
    ["nope", "json:missing", "json:dumps", "::", "onestop.testing.documents:EICAR", "x" * 100_000],
)
def test_a_scanner_that_cannot_be_loaded_stops_the_start(tmp_path: Path, target: str) -> None:
    """A ``scanner`` that cannot be imported, made or used is a ConfigurationError naming
    ``--scanner``: a server never starts without the scanner it was told to use."""
    with pytest.raises(ConfigurationError, match="--scanner") as refused:
        Runtime.start(settings_for(tmp_path, scanner=target))
    assert len(str(refused.value)) < 300  # a long target is quoted short


@pytest.mark.parametrize(
    ("source", "error"),
    [("def f(:\n", "SyntaxError"), ("raise RuntimeError('boom')\n", "RuntimeError")],
)
def test_a_scanner_module_that_fails_to_import_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, error: str
) -> None:
    """A scanner module that fails as it is imported is a ConfigurationError naming
    ``--scanner`` and the error's class (it was an internal error of onestop's)."""
    name = f"broken_scanner_{error.lower()}"
    (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigurationError, match=f"--scanner: cannot load .*{error}"):
        Runtime.start(settings_for(tmp_path, scanner=f"{name}:Scanner"))


# --- the sweeper -----------------------------------------------------------------------


class _At:
    def __init__(self, when: datetime) -> None:
        self.when = when

    def now(self) -> datetime:
        return self.when


def _old_upload(tmp_path: Path, settings: Any, *, age: timedelta) -> str:
    """An upload made *age* ago in the documents of *settings* (a desk with a clock set back)."""
    runtime = Runtime.start(settings)
    try:
        desk = DocumentDesk(
            FileDocuments(f"{tmp_path / 'mall.sqlite3'}.documents"),
            runtime.mall.keys,  # type: ignore[arg-type]
            clock=_At(datetime.now(UTC) - age),
            key_store=runtime.mall.store,  # type: ignore[arg-type]
        )
        return desk.put([sample_pdf()], declared_type="application/pdf").document_id
    finally:
        runtime.close()


def test_the_worker_sweeps_old_uploads_when_it_starts(tmp_path: Path) -> None:
    """An upload never attached and older than ``upload_hours`` is gone once the worker has
    started and made its first sweep; a younger one stays."""
    settings = settings_for(tmp_path, upload_hours=24)
    old = _old_upload(tmp_path, settings, age=timedelta(hours=25))
    young = _old_upload(tmp_path, settings, age=timedelta(hours=23))
    with in_process(settings) as client:
        sweeper: Sweeper = client.app.state.sweeper
        assert sweeper.wait_for(1, timeout=30)
        desk = client.app.state.runtime.desk
        with pytest.raises(DocumentNotFound):
            desk.describe(old)
        assert desk.describe(young).application_id is None
    assert sweeper.removed == 1


def _name_upload(client: Any, document_id: str) -> Any:
    body = {**kia_body(), "documents": [{"requirement": "kk", "document_id": document_id}]}
    return client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()})


def test_an_upload_past_its_naming_window_is_refused_and_swept_only_later(
    tmp_path: Path,
) -> None:
    """An upload a little older than ``upload_hours`` cannot be named any more (the 422 of
    an unusable upload), and the sweep leaves it until its margin is over; one younger
    can be named and is attached."""
    settings = settings_for(tmp_path, upload_hours=2)
    late = _old_upload(tmp_path, settings, age=timedelta(hours=2, minutes=1))
    young = _old_upload(tmp_path, settings, age=timedelta(hours=1, minutes=59))
    with in_process(settings) as client:
        sweeper: Sweeper = client.app.state.sweeper
        assert sweeper.wait_for(1, timeout=30)
        refused = _name_upload(client, late)
        named = _name_upload(client, young)
        desk = client.app.state.runtime.desk
        assert desk.describe(late).application_id is None  # not swept: within its margin
        attached = desk.describe(young).application_id
    problem = _problem(refused, 422)
    assert [p["path"] for p in problem["problems"]] == ["documents[0].document_id"]
    assert named.status_code == 201, named.text
    assert attached == named.json()["application_id"]
    assert sweeper.removed == 0


@given(
    hours=st.integers(min_value=1, max_value=24 * 365),
    timeout=st.integers(min_value=1, max_value=3600),
    age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_an_upload_a_request_may_name_outlives_the_request(
    hours: int, timeout: int, age: timedelta
) -> None:
    """Whatever the settings, an upload young enough to be named now is not old enough to
    be swept for twice the request time limit (the longest a request holds its uploads)."""
    settings = ServeSettings(
        catalogue="c.toml", store_url="sqlite://", upload_hours=hours, request_timeout=timeout
    )
    if age < timedelta(hours=hours):  # `_usable`'s window
        assert age + timedelta(seconds=2 * timeout) < sweep_age(settings)


def test_the_sweeper_sweeps_again_after_its_interval(tmp_path: Path) -> None:
    """A sweeper sweeps at start and again every interval, and stops when told."""
    clock = _At(datetime.now(UTC))
    runtime = Runtime.start(settings_for(tmp_path))
    try:
        desk = DocumentDesk(
            FileDocuments(tmp_path / "docs"),
            runtime.mall.keys,  # type: ignore[arg-type]
            clock=clock,
            key_store=runtime.mall.store,  # type: ignore[arg-type]
        )
        sweeper = Sweeper(desk, older_than=timedelta(hours=1), every=0.01)
        sweeper.start()
        assert sweeper.wait_for(1, timeout=30)
        document = desk.put([sample_pdf()], declared_type="application/pdf").document_id
        clock.when += timedelta(hours=2)
        assert sweeper.wait_for(sweeper.runs + 2, timeout=30)  # a whole sweep after the change
        sweeper.stop()
        with pytest.raises(DocumentNotFound):
            desk.describe(document)
    finally:
        runtime.close()


def test_a_failed_sweep_does_not_stop_the_sweeper(tmp_path: Path) -> None:
    """A sweep that fails is counted and the next one runs."""

    class Failing:
        calls = 0

        def sweep(self, *, older_than: timedelta) -> int:
            Failing.calls += 1
            raise OSError("disk gone")

    sweeper = Sweeper(Failing(), older_than=timedelta(hours=1), every=0.01)  # type: ignore[arg-type]
    sweeper.start()
    assert sweeper.wait_for(3, timeout=30)
    sweeper.stop()
    assert Failing.calls >= 3
    assert sweeper.removed == 0


def test_an_upload_cut_short_is_not_a_server_failure(tmp_path: Path) -> None:
    """A client that goes away in the middle of an upload is logged as a 400, not a 500,
    and nothing of the upload is kept."""
    with ServerProcess(settings_for(tmp_path)) as server:  # its access log is on
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as raw:
            raw.sendall(
                b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                b"Content-Length: 1000\r\n\r\n%PDF-1.7\n"
            )
        deadline = time.monotonic() + 30
        while not _requests_to(server.log(), "/api/v1/uploads") and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.log()
    uploads = _requests_to(log, "/api/v1/uploads")
    assert len(uploads) == 1, log[-2000:]
    assert (uploads[0]["status"], uploads[0]["error"]) == (400, "InvalidRequest")
    assert "request_failed" not in log
    documents = tmp_path / "mall.sqlite3.documents"
    assert not [*documents.rglob("*.doc"), *documents.rglob("*.part")]


def _requests_to(log: str, route: str) -> list[dict[str, Any]]:
    """The access-log events (JSON lines) of the requests *log* shows to *route*."""
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [e for e in events if e.get("event") == "request" and e.get("route") == route]
