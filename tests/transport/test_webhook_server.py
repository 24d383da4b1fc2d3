"""Webhooks to a real HTTP server on 127.0.0.1: retries, 410, redirects, outages, canaries.

The receiver is the stdlib's `ThreadingHTTPServer` on a free loopback port; it
verifies each webhook with `WebhookVerifier`, processes each ``webhook-id`` once and
counts the copies.  Relays run under a fake clock and a fake sleep, so schedules of
minutes pass in milliseconds; only the sockets are real (reliability plan W2-W4, O2).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from structlog.testing import capture_logs

from onestop.cli import main
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import DeliveryFailed, DeliveryTimeout, WebhookVerificationError
from onestop.storage import from_url
from onestop.storage.memory import MemoryStore
from onestop.transport.base import OutboundMessage
from onestop.transport.relay import MemoryDeadLetters, Relay, RetryPolicy
from onestop.transport.signing import WebhookVerifier
from onestop.transport.webhook import WebhookEndpoint, WebhookTransport
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the specification's test secret
START = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
STEADY = RetryPolicy(jitter=False)
CITIZEN = Actor(id="citizen-7", roles=frozenset({"applicant"}))
VERIFIER = Actor(id="verifier-1", roles=frozenset({"verifier"}))


@attrs.define
class FakeClock:
    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@attrs.frozen
class Seen:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook receiver on 127.0.0.1: verifies, processes each id once, counts copies.

    ``fail_before`` answers 503 without looking; ``fail_after`` processes the webhook
    and then answers 500, as if the answer were lost; ``routes`` gives fixed answers
    (a 410, a redirect) to some paths.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.verifier = WebhookVerifier([SECRET])
        self.lock = threading.Lock()
        self.requests: list[Seen] = []
        self.processed: dict[str, int] = {}
        self.order: list[tuple[str, int]] = []
        self.copies = 0
        self.fail_before = 0
        self.fail_after = 0
        self.delay = 0.0
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status, headers = receiver.handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in {**headers, "content-length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.requests.append(Seen(path, headers, body))
            if path in self.routes:
                return self.routes[path]
            if self.fail_before > 0:
                self.fail_before -= 1
                return 503, {}
        time.sleep(self.delay)
        try:
            webhook = self.verifier.verify(headers, body, now=self.clock.now())
        except WebhookVerificationError as exc:
            if exc.reason != "replayed":
                return 400, {}
            with self.lock:
                self.copies += 1
            return 200, {}
        data = json.loads(webhook.body)["data"]
        with self.lock:
            self.processed[webhook.id] = self.processed.get(webhook.id, 0) + 1
            self.order.append((data["application_id"], data["version"]))
            if self.fail_after > 0:
                self.fail_after -= 1
                return 500, {}
        return 204, {}

    def attempts(self, webhook_id: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.headers.get("webhook-id") == webhook_id]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[Receiver]:
    server = Receiver(clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


def webhook(client: Any, url: str, clock: FakeClock, **options: Any) -> WebhookTransport:
    endpoint = WebhookEndpoint(url, secrets=[SECRET], allow_private=True)
    return WebhookTransport(client, endpoint, clock=clock, **options)


def store_with(count: int) -> MemoryStore:
    """A memory store with *count* notifications, committed through a mall."""
    store = MemoryStore()
    mall = mall_over(store, FakeClock())
    for _ in range(count):
        submit(mall, Canary.new())
    return store


def mall_over(store: MemoryStore, clock: FakeClock) -> Mall:
    catalogue = load_catalogue(ROOT / "tests" / "applications" / "licence.toml")
    return Mall(catalogue=catalogue, store=store, clock=clock)


@attrs.frozen
class Canary:
    """Unique fake personal data for one test."""

    nik: str
    name: str
    phone: str
    email: str
    address: str
    birth_date: date

    @classmethod
    def new(cls) -> Canary:
        token = secrets.token_hex(4)
        return cls(
            nik=f"3171015703850{secrets.randbelow(999) + 1:03d}",  # serial 0000 is not valid
            name=f"Siti Canary{token}",
            phone=f"+62812{secrets.randbelow(10**8):08d}",
            email=f"canary{token}@mail.example",
            address=f"Jl. Kanari {token} No. 7",
            birth_date=date(1985, 3, 17),
        )

    def person(self) -> Person:
        return Person.of(
            identity_number=self.nik,
            identity_scheme="id-nik",
            name=self.name,
            phone=self.phone,
            email=self.email,
            address=self.address,
            birth_date=self.birth_date,
        )

    def needles(self) -> list[str]:
        return [
            self.nik,
            self.nik[-8:],
            self.name,
            self.name.split()[-1],
            self.phone,
            self.phone.lstrip("+"),
            self.email,
            self.address,
            self.birth_date.isoformat(),
        ]


def document(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/jpeg",
        size=len(content),
        content=content,
    )


def submit(mall: Mall, canary: Canary) -> str:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=canary.person(),
        answers={
            "applicant_type": "person",
            "business_name": "Warung Sederhana",
            "floor_area": 36,
            "home_address": canary.address,
            "birth_date": canary.birth_date,
        },
        documents=[document("ktp", "ktp-el", b"card"), document("foto", "pas-foto", b"photo")],
        actor=CITIZEN,
    )
    return receipt.application_id


def ids_in(store: MemoryStore) -> list[str]:
    return [note.message_id for note in store.notifications(limit=10_000)]


class TestRetriesOverHttp:
    def test_flaky_receiver_gets_one_logical_delivery_per_event_on_schedule(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """A receiver failing three times processes each event once, after 5, 10 and 20 s."""
        store = store_with(2)
        first, second = ids_in(store)
        receiver.fail_before = 2
        receiver.fail_after = 1  # processed, but the answer is "lost": a copy follows
        stop = threading.Event()
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            clock.advance(seconds)
            if len(receiver.processed) == 2:
                stop.set()

        transport = webhook(client, receiver.url(), clock)
        relay = Relay(store, {"hooks": transport}, clock=clock, sleep=sleep, policy=STEADY)
        total = relay.run_forever(stop, poll_interval=60)

        assert receiver.processed == {first: 1, second: 1}
        assert receiver.copies == 1
        assert sleeps == [5, 10, 20, 60]
        sent_at = [int(seen.headers["webhook-timestamp"]) for seen in receiver.attempts(first)]
        assert [t - sent_at[0] for t in sent_at] == [0, 5, 15, 35]
        assert (total.delivered, total.retried, total.dead_lettered) == (2, 3, 0)

    def test_410_disables_the_endpoint_and_keeps_the_backlog(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """A 410 halts the relay's webhook transport; its messages stay in the log."""
        store = store_with(2)
        receiver.routes["/gone"] = (410, {})
        transport = webhook(client, receiver.url("/gone"), clock)
        relay = Relay(store, {"hooks": transport}, clock=clock)
        with capture_logs() as logs:
            report = relay.run_once()
            relay.run_once()
        assert report.halted == ("hooks",)
        assert transport.disabled == "the receiver answered 410 Gone"
        assert (len(receiver.requests), relay.backlog()) == (1, {"hooks": 2})
        assert [entry["event"] for entry in logs] == [
            "onestop.endpoint.disabled",
            "onestop.delivery.failed",
        ]

    def test_redirect_is_not_followed(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """A 302 is a failure to retry, and its target receives nothing."""
        store = store_with(1)
        receiver.routes["/moved"] = (302, {"location": receiver.url("/target")})
        relay = Relay(store, {"hooks": webhook(client, receiver.url("/moved"), clock)}, clock=clock)
        report = relay.run_once()
        assert report.next_attempt_at is not None
        clock.current = report.next_attempt_at
        relay.run_once()
        paths = [seen.path for seen in receiver.requests]
        assert paths == ["/moved", "/moved"]
        assert relay.positions() == {"hooks": 0}

    def test_slow_receiver_times_out(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """A receiver slower than the timeout gives a `DeliveryTimeout`."""
        receiver.delay = 0.5
        transport = webhook(client, receiver.url(), clock, timeout=0.1)
        note = store_with(1).notifications()[0]
        with pytest.raises(DeliveryTimeout):
            transport.deliver(OutboundMessage.from_notification(note))


class TestOutage:
    def test_backlog_grows_while_down_and_drains_in_order_when_back(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """While the receiver is down the mall works on; afterwards nothing is missing."""
        store = MemoryStore()
        mall = mall_over(store, clock)
        relay = Relay(store, {"hooks": webhook(client, receiver.url(), clock)}, clock=clock)
        submit(mall, Canary.new())
        assert relay.run_once().delivered == 1

        receiver.stop()
        backlog = []
        for _ in range(4):
            clock.advance(60)
            application = submit(mall, Canary.new())
            mall.add_note(application, "checked", visibility="internal", actor=VERIFIER)
            relay.run_once()
            backlog.append(relay.backlog()["hooks"])
        assert backlog == [2, 4, 6, 8]

        receiver.start()  # the same port
        for _ in range(20):
            report = relay.run_once()
            if relay.backlog() == {"hooks": 0}:
                break
            clock.current = report.next_attempt_at or clock.current
        assert set(receiver.processed) == set(ids_in(store))
        for stream in {stream for stream, _ in receiver.order}:
            versions = [version for seen, version in receiver.order if seen == stream]
            assert versions == sorted(versions)


class TestPersonalData:
    def test_canary_never_reaches_a_webhook_or_a_log_line(
        self, receiver: Receiver, client: httpx.Client, clock: FakeClock
    ) -> None:
        """Names, NIK, contacts and personal answers stay out of bodies, headers and logs."""
        canary = Canary.new()
        store = MemoryStore()
        mall = mall_over(store, clock)
        receiver.routes["/refuse"] = (422, {})
        receiver.fail_before = 1
        sink = MemoryDeadLetters()
        relay = Relay(
            store,
            {
                "hooks": webhook(client, receiver.url(), clock),
                "refusing": webhook(client, receiver.url("/refuse"), clock),
            },
            clock=clock,
            dead_letters=sink,
        )
        with capture_logs() as logs:
            app = submit(mall, canary)
            mall.add_note(
                app, f"NIK {canary.nik}, {canary.phone}", visibility="internal", actor=VERIFIER
            )
            mall.check_document(app, "foto", verdict="rejected", reason="blurry", actor=VERIFIER)
            mall.act(app, "send_back", actor=VERIFIER, inputs={"reason": f"{canary.name}: redo"})
            mall.attach_document(app, document("foto", "pas-foto", b"sharp"), actor=CITIZEN)
            mall.act(app, "resubmit", actor=CITIZEN)
            for _ in range(5):
                report = relay.run_once()
                clock.current = report.next_attempt_at or clock.current
        assert len(receiver.processed) == len(ids_in(store)) == 6
        stored = "".join(event.body.decode() for event in store.read(app))
        assert all(needle in stored for needle in canary.needles())  # there to leak, yet:
        assert {entry["event"] for entry in logs} == {
            "onestop.delivery.retry_scheduled",
            "onestop.delivery.failed",
        }
        outbound = "\n".join(
            seen.body.decode() + json.dumps(seen.headers) for seen in receiver.requests
        )
        kept = repr(logs) + "\n".join(letter.error + repr(letter) for letter in sink)
        for needle in canary.needles():
            assert needle not in outbound
            assert needle not in kept


class TestHttpx2:
    def test_relay_delivers_through_an_httpx2_client(
        self, receiver: Receiver, clock: FakeClock
    ) -> None:
        """An httpx2 client works like an httpx one, its errors translated the same way."""
        httpx2 = pytest.importorskip("httpx2", reason="httpx2 is not installed")
        store = store_with(2)
        port = receiver.port
        receiver.stop()
        with httpx2.Client(timeout=5.0) as http:
            transport = webhook(http, receiver.url(), clock)
            note = store.notifications()[0]
            with pytest.raises(DeliveryFailed, match="ConnectError"):
                transport.deliver(OutboundMessage.from_notification(note))
            receiver.port = port
            receiver.start()
            assert Relay(store, {"hooks": transport}, clock=clock).run_once().delivered == 2
        assert set(receiver.processed) == set(ids_in(store))


def sqlite_store_with(path: Path, count: int) -> str:
    """Commit *count* submissions to a SQLite file through a mall; return its URL."""
    url = f"sqlite:///{path}"
    store = from_url(url)
    mall = Mall(catalogue=mall_over(MemoryStore(), FakeClock()).catalogue, store=store)
    for _ in range(count):
        submit(mall, Canary.new())
    store.close()
    return url


class TestCommandLine:
    def test_relay_once_prints_a_summary(
        self, receiver: Receiver, clock: FakeClock, tmp_path: Path, capsys: Any
    ) -> None:
        """`onestop relay --once --json` delivers what waits and prints the counts."""
        clock.current = datetime.now(UTC)  # the command signs with the system's clock
        url = sqlite_store_with(tmp_path / "mall.sqlite3", 2)
        argv = ["relay", "--store", url, "--webhook", receiver.url(), "--secret", SECRET]
        assert main([*argv, "--allow-private", "--once", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out == {
            "delivered": 2,
            "retried": 0,
            "dead_lettered": 0,
            "halted": [],
            "backlog": {"webhook": 0},
        }
        assert len(receiver.processed) == 2

    def test_relay_exits_1_when_the_endpoint_is_gone(
        self, receiver: Receiver, tmp_path: Path, capsys: Any
    ) -> None:
        """A disabled endpoint makes the command exit with status 1; its event goes to stderr."""
        receiver.routes["/gone"] = (410, {})
        url = sqlite_store_with(tmp_path / "mall.sqlite3", 1)
        argv = ["relay", "--store", url, "--webhook", receiver.url("/gone"), "--secret", SECRET]
        assert main([*argv, "--allow-private", "--once"]) == 1
        out, err = capsys.readouterr()
        assert out == "delivered 0, retried 0, dead-lettered 0, waiting 1, halted: webhook\n"
        assert '"event": "onestop.endpoint.disabled"' in err

    def test_relay_refuses_a_private_endpoint(self, tmp_path: Path, capsys: Any) -> None:
        """Without --allow-private a loopback webhook URL is a usage error (status 2)."""
        url = sqlite_store_with(tmp_path / "mall.sqlite3", 1)
        argv = ["relay", "--store", url, "--webhook", "http://127.0.0.1:9/", "--secret", SECRET]
        assert main([*argv, "--once"]) == 2
        assert "not a public address" in capsys.readouterr().err

    def test_relay_stops_gracefully_on_sigterm(
        self, receiver: Receiver, clock: FakeClock, tmp_path: Path
    ) -> None:
        """The worker delivers, then on SIGTERM finishes, prints its summary and exits 0."""
        clock.current = datetime.now(UTC)
        url = sqlite_store_with(tmp_path / "mall.sqlite3", 2)
        command = [sys.executable, "-m", "onestop.cli", "relay", "--store", url]
        command += ["--webhook", receiver.url(), "--allow-private", "--poll-interval", "0.05"]
        worker = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "ONESTOP_WEBHOOK_SECRET": SECRET},
        )
        try:
            deadline = time.monotonic() + 20
            while len(receiver.processed) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=20)
        finally:
            worker.kill()
        assert worker.returncode == 0, err
        assert out == "delivered 2, retried 0, dead-lettered 0, waiting 0\n"
        assert "Traceback" not in err


class TestExample:
    def test_example_receiver_runs_and_stops_by_itself(self) -> None:
        """examples/webhook_receiver.py verifies, drops one copy and exits 0 within seconds."""
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "webhook_receiver.py")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        assert "receiver processed 2 webhook(s), dropped 1 copy" in result.stdout
        assert time.monotonic() - started < 30
