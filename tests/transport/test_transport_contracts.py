"""`onestop.testing.transport_contracts.TransportContract` run against every transport.

The recording transport (the executable specification), the webhook transport and the
agency gateway over ``httpx.MockTransport``, and the NATS publisher against the test
server (marked ``nats``: it needs ``ONESTOP_TEST_NATS_URL``; a fresh stream per test,
deleted after).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import nats
import pytest
from nats_support import CuttableProxy
from test_gateway import AGENCY, CATALOGUE_TOML, CountingIds, FakeTime, forwarded
from test_nats import _delete_stream
from test_webhook import PUBLIC_V4, SECRET, START

from onestop.exceptions import WebhookVerificationError
from onestop.ports.events import Notification
from onestop.storage.memory import MemoryStore
from onestop.testing.transport_contracts import TransportContract, TransportHarness
from onestop.transport.base import OutboundMessage
from onestop.transport.gateway import AgencyEndpoint, AgencyGateway
from onestop.transport.nats import NatsPublisher
from onestop.transport.recording import RecordingTransport
from onestop.transport.signing import WebhookVerifier
from onestop.transport.webhook import WebhookEndpoint, WebhookTransport
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

NATS_URL_VARIABLE = "ONESTOP_TEST_NATS_URL"


def notice(n: int, *, kind: str = "submitted") -> OutboundMessage:
    """The *n*-th message of the recording and webhook harnesses (a JSON body)."""
    body = json.dumps({"application_id": f"app-{n}", "state": kind}).encode()
    return OutboundMessage.from_notification(
        Notification(
            position=n, stream_id=f"app-{n}", version=1, kind=kind, body=body, recorded_at=START
        )
    )


class RecordingHarness:
    """The recording transport: its list is the destination."""

    def __init__(self) -> None:
        self.transport = RecordingTransport()

    def message(self, n: int, /) -> OutboundMessage:
        return notice(n)

    def refused(self) -> OutboundMessage:
        self.transport.reject()
        return notice(999)

    def received(self) -> list[str]:
        return self.transport.ids()

    def go_down(self) -> None:
        self.transport.fail(times=10**6)


class _Destination:
    """An HTTP destination behind `httpx.MockTransport`: keeps the ids it accepted."""

    def __init__(self, key_header: str, *, verifier: WebhookVerifier | None = None) -> None:
        self.key_header = key_header
        self.verifier = verifier
        self.down = False
        self.refusing: set[str] = set()
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.verifier is not None:  # only what verifies counts as received
            try:
                self.verifier.verify(dict(request.headers), request.content, now=START)
            except WebhookVerificationError as exc:  # a copy is dropped, and answered 2xx
                return httpx.Response(200 if exc.reason == "replayed" else 401)
        key = request.headers[self.key_header]
        if key in self.refusing:
            return httpx.Response(422, json={"error": "refused"})
        with self.lock:
            self.ids.append(key)
        return httpx.Response(202)


class _HttpHarness:
    """What the HTTP harnesses share: a `_Destination` to read, refuse with and cut."""

    destination: _Destination

    def message(self, n: int, /) -> OutboundMessage:
        return notice(n)

    def refused(self) -> OutboundMessage:
        message = self._new_message()
        self.destination.refusing.add(message.id)
        return message

    def _new_message(self) -> OutboundMessage:
        return notice(999)

    def received(self) -> list[str]:
        return list(self.destination.ids)

    def go_down(self) -> None:
        self.destination.down = True


class WebhookHarness(_HttpHarness):
    """A signed webhook to a destination that verifies each request."""

    def __init__(self) -> None:
        self.destination = _Destination("webhook-id", verifier=WebhookVerifier([SECRET]))
        self.client = httpx.Client(transport=httpx.MockTransport(self.destination))
        self.transport = WebhookTransport(
            self.client,
            WebhookEndpoint("https://hooks.agency.example/in", secrets=(SECRET,)),
            clock=FakeTime(START),
            resolver=lambda _host, _port: [PUBLIC_V4],
            sleep=lambda _seconds: None,
        )


class GatewayHarness(_HttpHarness):
    """An agency gateway forwarding applications of a mall in memory."""

    def __init__(self, mall: Mall) -> None:
        self.mall = mall
        self.destination = _Destination("Idempotency-Key")
        self.client = httpx.Client(transport=httpx.MockTransport(self.destination))
        endpoint = AgencyEndpoint(
            code=AGENCY,
            base_url="https://teknis.agency.test/api/",
            token="contract-token-never-logged",  # noqa: S106 - a test value
            services=("izin-usaha",),
        )
        self.transport = AgencyGateway(
            self.client, endpoint, applications=mall, sleep=lambda _seconds: None
        )
        self.messages: dict[int, OutboundMessage] = {}
        self.lock = threading.Lock()

    def message(self, n: int, /) -> OutboundMessage:
        with self.lock:  # a forward is an application submitted and acted on
            if n not in self.messages:
                self.messages[n] = forwarded(self.mall)[1]
            return self.messages[n]

    def _new_message(self) -> OutboundMessage:
        return forwarded(self.mall)[1]


async def _stored_ids(url: str, stream: str) -> list[str]:
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        try:
            info = await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return []
        found = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            stored = await js.get_msg(stream, sequence)
            found.append((stored.headers or {})["Nats-Msg-Id"])
        return found
    finally:
        await client.close()


class NatsHarness:
    """A publisher to a stream of its own, through a proxy the test can cut."""

    def __init__(self, url: str) -> None:
        token = secrets.token_hex(4)
        self.url, self.stream = url, f"ONESTOP_CONTRACT_{token}"
        self.proxy = CuttableProxy(url)
        self.proxy.restore()
        self.transport = NatsPublisher(
            self.proxy.url,
            stream=self.stream,
            prefix=f"onestop.contract{token}",
            timeout=1.0,
            options={"max_reconnect_attempts": 1, "reconnect_time_wait": 0.1},
            sleep=lambda _seconds: None,
        )

    def message(self, n: int, /) -> OutboundMessage:
        return notice(n)

    def refused(self) -> OutboundMessage:
        return notice(999, kind="not one token")  # no subject carries it

    def received(self) -> list[str]:
        return asyncio.run(_stored_ids(self.url, self.stream))

    def go_down(self) -> None:
        self.proxy.cut()

    def close(self) -> None:
        try:
            self.transport.close()
        finally:
            self.proxy.cut()
            asyncio.run(_delete_stream(self.url, self.stream))


def test_every_harness_here_is_one() -> None:
    """The harnesses below satisfy the protocol the contract asks for."""
    assert isinstance(RecordingHarness(), TransportHarness)


class TestRecordingTransport(TransportContract):
    @pytest.fixture
    def harness(self) -> RecordingHarness:
        return RecordingHarness()


class TestWebhookTransport(TransportContract):
    @pytest.fixture
    def harness(self) -> Iterator[WebhookHarness]:
        found = WebhookHarness()
        with found.client:
            yield found


@pytest.fixture(scope="module")
def gateway_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The gateway tests' catalogue, loaded once."""
    folder = tmp_path_factory.mktemp("catalogue")
    (folder / "catalogue.toml").write_text(CATALOGUE_TOML, encoding="utf-8")
    return load_catalogue(folder)


class TestAgencyGateway(TransportContract):
    @pytest.fixture
    def harness(self, gateway_catalogue: Any) -> Iterator[GatewayHarness]:
        mall = Mall(
            catalogue=gateway_catalogue, store=MemoryStore(), clock=FakeTime(), ids=CountingIds()
        )
        found = GatewayHarness(mall)
        with found.client:
            yield found


@pytest.mark.nats
class TestNatsPublisher(TransportContract):
    @pytest.fixture
    def harness(self) -> Iterator[NatsHarness]:
        url = os.environ.get(NATS_URL_VARIABLE, "")
        if not url:
            pytest.skip(f"{NATS_URL_VARIABLE} is not set")
        found = NatsHarness(url)
        try:
            yield found
        finally:
            found.close()
