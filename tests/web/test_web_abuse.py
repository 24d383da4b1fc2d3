"""Abuse a reviewer found: a key reused to learn an id, uploads unlimited, a number locked
out by strangers, IPv6 clients with endless addresses, counter intakes online, and a
forged sign-in served over Open311."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from litestar.types import Message
from web_support import in_process, kia_body, new_key, settings_for

from onestop.exceptions import ApplicationNotFound, Throttled
from onestop.ports.events import SummaryQuery
from onestop.testing import sample_pdf
from onestop.web import create_app
from onestop.web._inflight import _claim_file, _file_of
from onestop.web._limits import Limits, client_key

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def test_a_reused_key_does_not_name_the_application_it_made(tmp_path: Path) -> None:
    """Another body under a used key is 422 without the first application's id."""
    key = new_key()
    with in_process(settings_for(tmp_path)) as client:
        first = client.post(
            "/api/v1/applications", json=kia_body(), headers={"Idempotency-Key": key}
        )
        other = client.post(
            "/api/v1/applications", json=kia_body(name="Budi"), headers={"Idempotency-Key": key}
        )
    assert (first.status_code, other.status_code) == (201, 422)
    assert first.json()["application_id"] not in other.text
    assert not UUID.search(other.text)


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_strangers_failing_on_a_number_do_not_lock_its_citizen_out(
    tmp_path: Path, kind: str
) -> None:
    """Three clients fail on one number (limit 3): its citizen's correct secret is still
    served, while a fourth stranger's failure is 429, not 404."""
    store = MemoryStore() if kind == "memory" else FileStore(tmp_path / "limits")
    limits = Limits(store=store, lookups_per_minute=3)

    def missing() -> str:
        raise ApplicationNotFound(None)

    async def scenario() -> list[str]:
        seen = []
        for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
            try:
                await limits.tracked(client=client, number="n-1", call=missing)
            except ApplicationNotFound:
                seen.append("404")
            except Throttled:
                seen.append("429")
        found = await limits.tracked(client="10.0.0.9", number="n-1", call=lambda: "status")
        return [*seen, found]

    assert anyio.run(scenario) == ["404", "404", "404", "429", "status"]


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::ffff:7", "2001:db8::/64"),
        ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_network(host: str, key: str) -> None:
    """Every address of one /64 counts as one client; IPv4 (mapped or not) as itself."""
    assert client_key(host) == key


def test_uploads_count_against_the_submission_limit(tmp_path: Path) -> None:
    """With a limit of 3 a minute, the fourth upload from one address is 429."""
    with in_process(settings_for(tmp_path, submissions_per_minute=3)) as client:
        answers = [
            client.post(
                "/api/v1/uploads",
                content=sample_pdf(b"page"),
                headers={"Content-Type": "application/pdf"},
            ).status_code
            for _ in range(4)
        ]
    assert answers == [201, 201, 201, 429]


@pytest.mark.parametrize("channel", ["counter", "courier", "post"])
def test_the_online_api_takes_online_applications_only(tmp_path: Path, channel: str) -> None:
    """A counter, courier or post intake is an officer's: 422 naming body.channel."""
    with in_process(settings_for(tmp_path)) as client:
        answer = client.post(
            "/api/v1/applications",
            json={**kia_body(), "channel": channel},
            headers={"Idempotency-Key": new_key()},
        )
    assert answer.status_code == 422
    assert [p["path"] for p in answer.json()["problems"]] == ["body.channel"]


def test_a_forged_sign_in_is_refused_over_open311_too(tmp_path: Path) -> None:
    """Open311 submissions go through the citizen sign-in: forged credentials are 401."""
    form = (
        "service_code=kia&first_name=Ani&attribute[child_nik]=3171016512150002"
        "&attribute[child_name]=Ani&attribute[age_group]=under_5"
        "&attribute[applicant.identity_number]=3171012501900001"
        "&attribute[applicant.identity_scheme]=id-nik"
    )
    settings = settings_for(tmp_path, citizen_sign_in="citizen_double:sign_in")
    with in_process(settings) as client:
        answer = client.post(
            "/open311/v2/requests.json",
            content=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Citizen": "forged.3171012501900001.deadbeef",
            },
        )
        anonymous = client.post(
            "/open311/v2/requests.json",
            content=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 401
    assert anonymous.status_code == 201


def _missing() -> str:
    raise ApplicationNotFound(None)


async def _fail_on(limits: Limits, number: str) -> None:
    """One failed lookup of *number* from one client, counted by *limits*."""
    with contextlib.suppress(ApplicationNotFound):
        await limits.tracked(client="10.0.0.1", number=number, call=_missing)


def test_expired_lookup_counters_are_swept(tmp_path: Path) -> None:
    """Counters whose window ended are removed by the limits' sweep; live ones stay."""
    (tmp_path / "limits").mkdir()
    store = FileStore(tmp_path / "limits")
    limits = Limits(store=store, lookups_per_minute=3)
    files = limits._files
    assert files is not None

    anyio.run(_fail_on, limits, "n-1")
    counters = sorted((tmp_path / "limits.lookups").iterdir())
    assert len(counters) == 2  # the client's and the number's
    stale = counters[0]
    stale.write_bytes(b"1:1".ljust(32))  # a window that ended in 1970
    limits.sweep()
    assert sorted((tmp_path / "limits.lookups").iterdir()) == counters[1:]


def test_a_sweep_locks_one_counter_at_a_time(tmp_path: Path) -> None:
    """A sweep takes the counters' lock for each counter on its own, never for the whole
    directory: lookups run on the workers' event loops and must not wait for a sweep."""
    (tmp_path / "limits").mkdir()
    limits = Limits(store=FileStore(tmp_path / "limits"), lookups_per_minute=30)
    files = limits._files
    assert files is not None

    for n in range(5):
        anyio.run(_fail_on, limits, f"n-{n}")
    counters = list((tmp_path / "limits.lookups").iterdir())
    held: list[int] = []
    real = files._locked

    @contextlib.contextmanager
    def counting() -> Iterator[None]:
        with real():
            held.append(1)
            yield

    files._locked = counting  # type: ignore[method-assign]
    limits.sweep()
    assert len(counters) == 6  # the client's and five numbers'
    assert len(held) == len(counters)


def test_discovery_names_the_public_url_not_the_host_a_client_sent(tmp_path: Path) -> None:
    """With --public-url, Open311's discovery names it whatever Host a client sends."""
    settings = settings_for(tmp_path, public_url="https://mall.example.go.id/")
    with in_process(settings) as client:
        found = client.get("/open311/v2/discovery.json", headers={"Host": "evil.example"})
    assert found.json()["endpoints"][0]["url"] == "https://mall.example.go.id/open311/v2"


@pytest.mark.parametrize("url", ["ftp://x", "https://a b", "mall.example", "https://x\n"])
def test_a_public_url_that_is_not_one_is_refused(url: str) -> None:
    """A public URL must be an http(s) URL without spaces or control characters."""
    from onestop.exceptions import ConfigurationError
    from onestop.web import ServeSettings

    with pytest.raises(ConfigurationError, match="public_url"):
        ServeSettings(catalogue="c", store_url="memory://", public_url=url)


def test_an_upload_another_submission_holds_is_409_and_makes_nothing(tmp_path: Path) -> None:
    """While one submission holds an upload (until it is attached), another naming it is 409
    and makes no application; once released, the upload can be named."""
    with in_process(settings_for(tmp_path)) as client:
        document_id = client.post(
            "/api/v1/uploads",
            content=sample_pdf(b"family card"),
            headers={"Content-Type": "application/pdf"},
        ).json()["document_id"]
        body = {**kia_body(), "documents": [{"requirement": "kk", "document_id": document_id}]}
        inflight = client.app.state.inflight
        store = client.app.state.runtime.mall.store
        path = _file_of(inflight.store, inflight.key("upload", document_id))
        assert _claim_file(path, b"another-request", 60)  # as a submission in flight holds it
        held = client.post(
            "/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
        )
        made = len(store.summaries(SummaryQuery()).items)
        path.unlink()  # that submission ended
        free = client.post(
            "/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()}
        )
    assert held.status_code == 409
    assert "uploads" in held.json()["detail"]
    assert made == 0
    assert free.status_code == 201, free.text


def test_starting_an_identity_provider_sign_in_is_limited_like_a_submission() -> None:
    """GET /api/v1/staff/oidc/start (which keeps a state in the store) counts against the
    per-client submission limit; other GETs do not."""
    from onestop.web._limits import _counts

    def limited(method: str, path: str) -> bool:
        return _counts({"method": method, "path": path})  # type: ignore[typeddict-item]

    assert limited("GET", "/api/v1/staff/oidc/start")
    assert limited("POST", "/api/v1/applications")
    assert not limited("GET", "/api/v1/staff/oidc/callback")
    assert not limited("GET", "/api/v1/tracking")


def test_a_marker_being_written_holds_its_key(tmp_path: Path) -> None:
    """An in-flight marker whose file exists but is not written yet (empty) holds its key
    for a marker's life from the file's time, then is taken over."""
    path = tmp_path / "limits" / "marker"
    path.parent.mkdir()
    path.write_bytes(b"")
    assert not _claim_file(path, b"second", 60)
    os.utime(path, (time.time() - 61, time.time() - 61))
    assert _claim_file(path, b"third", 60)
    assert b"third" in path.read_bytes()


def test_a_marker_is_claimed_once_and_its_folder_made_again(tmp_path: Path) -> None:
    """Of two claims of one key the first wins and the second does not; a claim whose
    folder is gone makes it again."""
    path = tmp_path / "gone" / "marker"
    assert _claim_file(path, b"first", 60)
    assert not _claim_file(path, b"second", 60)
    assert b"first" in path.read_bytes()


def test_a_submission_counter_cut_short_starts_a_new_window(tmp_path: Path) -> None:
    """A counter file a killed worker left with a stray byte (written in place, not yet
    truncated) starts a new window: the client is counted again, never answered 500."""
    from litestar.stores.file import _safe_file_name

    with in_process(settings_for(tmp_path, submissions_per_minute=3)) as client:

        def submit() -> int:
            headers = {"Idempotency-Key": new_key()}
            answer = client.post("/api/v1/applications", json=kia_body(), headers=headers)
            return int(answer.status_code)

        assert submit() == 201
        (limits,) = [p for p in tmp_path.rglob("*.limits") if p.is_dir()]
        counter = limits / _safe_file_name("_SharedRateLimit::testclient")
        counter.write_bytes(counter.read_bytes() + b"\x00")
        assert [submit() for _ in range(4)] == [201, 201, 201, 429]


def test_a_client_hanging_up_mid_body_is_a_400_not_a_failure(tmp_path: Path) -> None:
    """A body that stops short (the client disconnected) is answered 400 InvalidRequest,
    and no ``request_failed`` error is logged: it is not the server's failure."""
    from structlog.testing import capture_logs

    app = create_app(settings_for(tmp_path))
    with TestClient(app):  # runs the lifespan
        messages: list[Message] = [
            {"type": "http.request", "body": b'{"service": "kia"', "more_body": True},
        ]

        async def receive() -> Message:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        scope: Any = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/v1/applications",
            "raw_path": b"/api/v1/applications",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"content-type", b"application/json"),
                (b"idempotency-key", new_key().encode()),
                (b"content-length", b"100"),
                (b"host", b"x"),
            ],
            "client": ("192.0.2.7", 1234),
            "server": ("x", 80),
            "state": {},
        }
        with capture_logs() as logs:
            anyio.run(app, scope, receive, send)
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 400
    assert "request_failed" not in [event["event"] for event in logs]


def test_a_lookup_counter_that_cannot_be_written_is_a_typed_storage_error(
    tmp_path: Path,
) -> None:
    """When the failed-lookup counters cannot be written (their directory replaced by a
    file, a full disk), tracking answers a StorageError problem, not an internal error."""
    import shutil

    with in_process(settings_for(tmp_path)) as client:
        (counters,) = [p for p in tmp_path.rglob("*.lookups") if p.is_dir()]
        shutil.rmtree(counters)
        counters.write_bytes(b"")  # no directory to hold a counter any more
        answer = client.get(
            "/api/v1/tracking",
            params={"number": "dpmptsp/kia/2026/000001"},
            headers={"Lookup-Secret": "x" * 32},
        )
    assert answer.status_code == 500, answer.text
    assert answer.json()["type"] == "urn:onestop:problem:StorageError"
