"""The webhook transport against `httpx.MockTransport`: signing, statuses, SSRF, disabling.

Requests never leave the process: the client's transport is a handler, and host
names resolve through a resolver the test passes in (reliability plan W2-W5).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import httpx
import pytest
from structlog.testing import capture_logs

from onestop.exceptions import (
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    DeliveryTimeout,
    EndpointDisabled,
    EndpointNotAllowed,
    InvalidWebhookInput,
    TransientError,
)
from onestop.transport.base import OutboundMessage, Transport
from onestop.transport.relay import RetryPolicy
from onestop.transport.signing import WebhookVerifier
from onestop.transport.webhook import (
    HttpResponse,
    WebhookEndpoint,
    WebhookTransport,
    is_public_address,
    parse_retry_after,
    resolve_host,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the specification's test secret
NEW_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
URL = "https://hooks.agency.example/onestop?token=s3cr3t-token"
START = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

Handler = Callable[[httpx.Request], httpx.Response]


@attrs.define
class FakeClock:
    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@attrs.define
class Table:
    """A resolver answering from a table, counting the lookups."""

    answers: Mapping[str, Sequence[str]] = attrs.field(factory=dict)
    lookups: list[tuple[str, int]] = attrs.field(factory=list)

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def message(version: int = 1, *, stream_id: str = "app-1", body: bytes | None = None) -> Any:
    notice = {"application_id": stream_id, "state": "submitted", "version": version}
    return OutboundMessage(
        id=f"{stream_id}:{version}",
        kind="submitted",
        stream_id=stream_id,
        version=version,
        position=version,
        body=json.dumps(notice).encode() if body is None else body,
        recorded_at=START,
    )


@attrs.define
class Harness:
    """A webhook transport over a mock client that records every request."""

    respond: Handler = lambda request: httpx.Response(204)
    requests: list[httpx.Request] = attrs.field(factory=list)
    clock: FakeClock = attrs.field(factory=FakeClock)
    resolver: Table = attrs.field(factory=lambda: Table({"hooks.agency.example": [PUBLIC_V4]}))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def transport(
        self, url: str = URL, *, secrets: Sequence[str] = (SECRET,), **options: Any
    ) -> WebhookTransport:
        client = httpx.Client(transport=httpx.MockTransport(self.handle))
        endpoint = WebhookEndpoint(
            url, secrets=secrets, allow_private=options.pop("allow_private", False)
        )
        return WebhookTransport(
            client, endpoint, clock=self.clock, resolver=self.resolver, **options
        )


def answering(status: int, headers: Mapping[str, str] | None = None) -> Harness:
    return Harness(respond=lambda request: httpx.Response(status, headers=headers))


class TestSigning:
    def test_request_verifies_with_the_shared_secret(self) -> None:
        """The POST carries Standard Webhooks headers that verify against the raw body."""
        harness = Harness()
        harness.transport().deliver(message())
        (request,) = harness.requests
        verified = WebhookVerifier([SECRET]).verify(
            dict(request.headers), request.content, now=START
        )
        assert (request.method, verified.id) == ("POST", "app-1:1")

    def test_retries_keep_the_id_and_renew_timestamp_and_signature(self) -> None:
        """Every attempt has the same webhook-id, and its own timestamp and signature."""
        harness = Harness()
        transport = harness.transport()
        transport.deliver(message())
        harness.clock.advance(300)
        transport.deliver(message())
        first, second = (r.headers for r in harness.requests)
        assert first["webhook-id"] == second["webhook-id"] == "app-1:1"
        assert int(second["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 300
        assert first["webhook-signature"] != second["webhook-signature"]

    def test_rotation_signs_with_every_active_secret(self) -> None:
        """While rotating, each secret signs, so receivers with either one accept."""
        harness = Harness()
        harness.transport(secrets=(NEW_SECRET, SECRET)).deliver(message())
        (request,) = harness.requests
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        for secret in (SECRET, NEW_SECRET):
            WebhookVerifier([secret]).verify(dict(request.headers), request.content, now=START)

    def test_body_is_a_thin_envelope_around_the_notification(self) -> None:
        """The body holds the id, type, time and the notification's thin body, nothing else."""
        harness = Harness()
        harness.transport().deliver(message())
        (request,) = harness.requests
        assert json.loads(request.content) == {
            "data": {"application_id": "app-1", "state": "submitted", "version": 1},
            "id": "app-1:1",
            "timestamp": "2025-07-14T02:00:00Z",
            "type": "submitted",
        }
        assert request.headers["content-type"] == "application/json"

    def test_links_are_built_from_templates(self) -> None:
        """Link templates are filled with the message's stream, version and id."""
        harness = Harness()
        links = {"status": "https://mall.example/applications/{stream_id}/v/{version}"}
        harness.transport(links=links).deliver(message(2))
        body = json.loads(harness.requests[0].content)
        assert body["links"] == {"status": "https://mall.example/applications/app-1/v/2"}

    def test_message_that_cannot_be_signed_is_rejected(self) -> None:
        """An id with a space cannot be a webhook-id: the message is refused for good."""
        harness = Harness()
        with pytest.raises(DeliveryRejected, match="cannot be signed"):
            harness.transport().deliver(message(stream_id="app 1"))
        assert harness.requests == []

    def test_an_id_with_a_full_stop_is_sent_and_verifies(self) -> None:
        """An application id holding a full stop (a key the Mall accepts) is delivered."""
        harness = Harness()
        harness.transport().deliver(message(stream_id="2025.000001"))
        (request,) = harness.requests
        assert request.headers["webhook-id"] == "2025.000001:1"
        verified = WebhookVerifier([SECRET]).verify(
            dict(request.headers), request.content, now=START
        )
        assert verified.id == "2025.000001:1"

    def test_body_that_is_not_json_is_rejected(self) -> None:
        """A notification body that is not JSON is refused for good, never sent."""
        harness = Harness()
        with pytest.raises(DeliveryRejected, match="not JSON"):
            harness.transport().deliver(message(body=b"\xff not json"))
        assert harness.requests == []

    @pytest.mark.parametrize(
        "body",
        [b'{"a":NaN}', b'{"a":-Infinity}', b'{"a":1e999}', b"[" * 100_000 + b"]" * 100_000],
    )
    def test_body_json_cannot_carry_is_rejected(self, body: bytes) -> None:
        """NaN, an infinity or nesting too deep is refused as not JSON, never sent."""
        harness = Harness()
        with pytest.raises(DeliveryRejected, match="not JSON"):
            harness.transport().deliver(message(body=body))
        assert harness.requests == []


def test_a_webhook_endpoints_repr_leaves_out_the_query() -> None:
    """A token in the endpoint URL's query is not shown in its repr (nor are secrets)."""
    endpoint = WebhookEndpoint("https://agency.example/hooks?token=SEKRET-123", secrets=[SECRET])
    assert "SEKRET" not in repr(endpoint)
    assert "url='https://agency.example/hooks'" in repr(endpoint)


class TestStatuses:
    @pytest.mark.parametrize("status", [200, 201, 202, 204])
    def test_2xx_is_a_delivery(self, status: int) -> None:
        """Any 2xx answer is a delivery, with its status on the receipt."""
        receipt = answering(status).transport().deliver(message())
        assert (receipt.message_id, receipt.status) == ("app-1:1", status)
        assert receipt.transport == "webhook:hooks.agency.example"

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_redirect_is_a_failure_and_is_not_followed(self, status: int) -> None:
        """A 3xx is a transient failure; its Location is never requested."""
        harness = answering(status, {"location": "http://169.254.169.254/latest/meta-data"})
        with pytest.raises(DeliveryFailed, match="redirects are not followed") as caught:
            harness.transport().deliver(message())
        assert caught.value.status == status
        assert len(harness.requests) == 1

    def test_410_disables_the_endpoint(self) -> None:
        """410 Gone disables the endpoint: later messages are refused without a request."""
        harness = answering(410)
        transport = harness.transport()
        with capture_logs() as logs, pytest.raises(EndpointDisabled, match="410"):
            transport.deliver(message(1))
        with pytest.raises(EndpointDisabled):
            transport.deliver(message(2))
        assert len(harness.requests) == 1
        assert transport.disabled == "the receiver answered 410 Gone"
        assert logs == [
            {
                "event": "onestop.endpoint.disabled",
                "log_level": "error",
                "destination": "hooks.agency.example",
                "transport": "webhook:hooks.agency.example",
                "reason": "gone",
                "failures": 0,
                "status": 410,
            }
        ]

    def test_enable_takes_deliveries_again(self) -> None:
        """After `enable`, a disabled endpoint is called again."""
        harness = answering(410)
        transport = harness.transport()
        with pytest.raises(EndpointDisabled):
            transport.deliver(message())
        harness.respond = lambda request: httpx.Response(200)
        transport.enable()
        assert transport.deliver(message()).status == 200

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422])
    def test_other_4xx_is_a_refusal(self, status: int) -> None:
        """A 4xx other than 408, 410 and 429 refuses the message for good."""
        with pytest.raises(DeliveryRejected) as caught:
            answering(status).transport().deliver(message())
        assert caught.value.status == status
        assert not isinstance(caught.value, TransientError)

    @pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
    def test_throttling_and_server_errors_are_transient(self, status: int) -> None:
        """408, 429 and 5xx are transient failures, worth a retry."""
        with pytest.raises(DeliveryFailed) as caught:
            answering(status).transport().deliver(message())
        assert (caught.value.status, caught.value.reason) == (status, f"HTTP {status}")
        assert isinstance(caught.value, TransientError)

    def test_retry_after_in_seconds_is_passed_on(self) -> None:
        """A Retry-After in seconds is carried on the failure."""
        with pytest.raises(DeliveryFailed) as caught:
            answering(429, {"retry-after": "120"}).transport().deliver(message())
        assert caught.value.retry_after == 120.0

    def test_retry_after_as_a_date_is_passed_on_as_seconds(self) -> None:
        """A Retry-After HTTP date becomes the seconds from now until then."""
        headers = {"retry-after": "Mon, 14 Jul 2025 02:05:00 GMT"}
        with pytest.raises(DeliveryFailed) as caught:
            answering(503, headers).transport().deliver(message())
        assert caught.value.retry_after == 300.0

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("0", 0.0),
            ("  45 ", 45.0),
            ("Mon, 14 Jul 2025 01:00:00 GMT", 0.0),
            ("Mon, 14 Jul 2025 03:00:00 GMT", 3600.0),
            ("9" * 40, 1e9),
            ("soon", None),
            ("-5", None),
            ("1.5", None),
            ("", None),
            (None, None),
        ],
    )
    def test_parse_retry_after(self, value: str | None, seconds: float | None) -> None:
        """Retry-After is whole seconds or an HTTP date; past dates wait 0, nonsense is None."""
        assert parse_retry_after(value, now=START) == seconds


class TestErrors:
    def test_timeout_becomes_delivery_timeout(self) -> None:
        """A timeout is a `DeliveryTimeout`: transient, and a `TimeoutError`."""

        def slow(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("no answer", request=request)

        with pytest.raises(DeliveryTimeout) as caught:
            Harness(respond=slow).transport().deliver(message())
        assert isinstance(caught.value, DeliveryFailed | TimeoutError)
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)

    def test_connection_error_becomes_delivery_failed(self) -> None:
        """A connection error is a transient `DeliveryFailed` naming the error's class."""

        def refused(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        with pytest.raises(DeliveryFailed, match="ConnectError"):
            Harness(respond=refused).transport().deliver(message())

    def test_requests_carry_the_timeout_and_never_follow_redirects(self) -> None:
        """Each request is sent with the transport's timeout on every phase."""
        harness = Harness()
        harness.transport(timeout=7.5).deliver(message())
        timeouts = harness.requests[0].extensions["timeout"]
        assert set(timeouts.values()) == {7.5}

    def test_any_look_alike_client_works(self) -> None:
        """A client that is not httpx works too; its OSErrors become `DeliveryFailed`."""

        @attrs.define
        class Answer:
            status_code: int
            headers: Mapping[str, str] = attrs.field(factory=dict)

        class Fake:
            def __init__(self) -> None:
                self.calls = 0

            def post(self, url: str, **options: Any) -> HttpResponse:
                self.calls += 1
                if self.calls == 1:
                    raise ConnectionRefusedError("refused")
                return Answer(200)

        endpoint = WebhookEndpoint(URL, secrets=[SECRET])
        resolver = Table({"hooks.agency.example": [PUBLIC_V4]})
        transport = WebhookTransport(Fake(), endpoint, resolver=resolver)
        with pytest.raises(DeliveryFailed, match="ConnectionRefusedError"):
            transport.deliver(message())
        assert transport.deliver(message()).status == 200
        assert isinstance(transport, Transport)


class TestDisabling:
    def test_endpoint_failing_long_enough_is_disabled(self) -> None:
        """N failures in a row spanning the window disable the endpoint."""
        harness = answering(503)
        transport = harness.transport(failure_limit=3, failure_window=timedelta(hours=1))
        for _ in range(2):
            with pytest.raises(DeliveryFailed):
                transport.deliver(message())
            harness.clock.advance(1800)
        with capture_logs() as logs, pytest.raises(EndpointDisabled, match="3 failures"):
            transport.deliver(message())
        assert [(e["event"], e["reason"], e["failures"]) for e in logs] == [
            ("onestop.endpoint.disabled", "failing", 3)
        ]

    def test_many_quick_failures_do_not_disable(self) -> None:
        """Failures inside the window, however many, leave the endpoint enabled."""
        harness = answering(500)
        transport = harness.transport(failure_limit=3, failure_window=timedelta(hours=1))
        for _ in range(10):
            with pytest.raises(DeliveryFailed):
                transport.deliver(message())
        assert transport.disabled is None

    def test_a_success_resets_the_count(self) -> None:
        """One delivery clears the failures counted so far."""
        statuses = iter([500, 500, 200, 500, 500])
        harness = Harness(respond=lambda request: httpx.Response(next(statuses)))
        transport = harness.transport(failure_limit=3, failure_window=timedelta(0))
        for _ in range(5):
            with contextlib.suppress(DeliveryFailed):
                transport.deliver(message())
        assert transport.disabled is None

    def test_refusals_count_as_failures(self) -> None:
        """A receiver refusing everything is disabled too."""
        harness = answering(400)
        transport = harness.transport(failure_limit=2, failure_window=timedelta(0))
        with pytest.raises(DeliveryRejected):
            transport.deliver(message(1))
        with pytest.raises(EndpointDisabled):
            transport.deliver(message(2))

    @pytest.mark.parametrize(
        "options",
        [
            {"timeout": 0},
            {"timeout": 10**400},
            {"failure_limit": 0},
            {"name": "webhook\n"},
            {"name": "w" * 100_000},
            {"links": {"status": "https://mall.example/{stream_id.__class__}"}},
            {"links": {"status": "https://mall.example/{0}"}},
            {"links": {"status": "https://mall.example/{applicant}"}},
            {"links": {"status": "https://mall.example/{id!r}"}},
            {"links": {"status": "https://mall.example/{version:>99999999}"}},
            {"links": {"status": "https://mall.example/{id"}},
        ],
    )
    def test_nonsense_settings_are_refused(self, options: dict[str, Any]) -> None:
        """A timeout or failure limit out of range, a name with a control character or
        too long, a link template that names more than a message's ids: refused at once."""
        with pytest.raises(ConfigurationError) as caught:
            Harness().transport(**options)
        assert len(str(caught.value)) < 300


NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.0.9",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "169.254.1.1",
    "198.18.0.1",
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fec0::1",  # site-local, deprecated (RFC 3879): reserved, never public
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "2002:a00:1::1",
    "2002:7f00:1::",
    "64:ff9b::a9fe:a9fe",
    "2001:db8::1",
]
PUBLIC = [PUBLIC_V4, "8.8.8.8", "1.1.1.1", PUBLIC_V6, "2001:4860:4860::8888", "::ffff:8.8.8.8"]


class TestServerSideRequestForgery:
    @pytest.mark.parametrize("address", NOT_PUBLIC)
    def test_address_that_is_not_public_is_refused(self, address: str) -> None:
        """Loopback, private, link-local, metadata, mapped and embedded addresses are refused."""
        assert not is_public_address(address)

    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_address_is_allowed(self, address: str) -> None:
        """Public IPv4 and IPv6 addresses (and IPv4-mapped public ones) are allowed."""
        assert is_public_address(address)

    @pytest.mark.parametrize("address", [a for a in NOT_PUBLIC if "%" not in a])
    def test_literal_address_is_refused_when_the_endpoint_is_made(self, address: str) -> None:
        """An endpoint whose host is a non-public IP literal cannot even be created."""
        host = f"[{address}]" if ":" in address else address
        with pytest.raises(EndpointNotAllowed) as caught:
            WebhookEndpoint(f"https://{host}/hook", secrets=[SECRET])
        assert caught.value.destination == address.lower()

    @pytest.mark.parametrize("address", NOT_PUBLIC)
    def test_name_resolving_to_a_private_address_is_refused(self, address: str) -> None:
        """A host name that resolves to a non-public address is refused before any request."""
        harness = Harness(resolver=Table({"hooks.agency.example": [address]}))
        with pytest.raises(EndpointNotAllowed) as caught:
            harness.transport().deliver(message())
        assert (caught.value.destination, caught.value.address) == ("hooks.agency.example", address)
        assert harness.requests == []

    def test_one_private_address_among_public_ones_is_refused(self) -> None:
        """Every address a name resolves to is checked, not just the first."""
        harness = Harness(resolver=Table({"hooks.agency.example": [PUBLIC_V4, "10.1.2.3"]}))
        with pytest.raises(EndpointNotAllowed):
            harness.transport().deliver(message())
        assert harness.requests == []

    def test_request_goes_to_the_address_checked(self) -> None:
        """The request is pinned to the checked address, keeping the Host and TLS name."""
        harness = Harness()
        harness.transport().deliver(message())
        (request,) = harness.requests
        assert request.url.host == PUBLIC_V4
        assert request.url.query == b"token=s3cr3t-token"
        assert request.headers["host"] == "hooks.agency.example"
        assert request.extensions["sni_hostname"] == "hooks.agency.example"

    def test_ipv6_address_is_pinned_with_its_port(self) -> None:
        """An IPv6 address is pinned in brackets, with the URL's explicit port."""
        harness = Harness(resolver=Table({"hooks.agency.example": [PUBLIC_V6]}))
        url = "https://hooks.agency.example:8443/in"
        harness.transport(url).deliver(message())
        (request,) = harness.requests
        assert (request.url.host, request.url.port) == (PUBLIC_V6, 8443)
        assert request.headers["host"] == "hooks.agency.example:8443"
        assert harness.resolver.lookups == [("hooks.agency.example", 8443)]

    def test_international_host_names_are_sent_in_ascii(self) -> None:
        """A host name in another script goes out IDNA-encoded in Host and the TLS name."""
        harness = Harness(resolver=Table({"ดีนาส.example": [PUBLIC_V4]}))
        harness.transport("https://ดีนาส.example/in").deliver(message())
        (request,) = harness.requests
        assert request.headers["host"] == "xn--l3ck5c5an.example"
        assert request.extensions["sni_hostname"] == "xn--l3ck5c5an.example"

    def test_plain_http_sends_no_tls_name(self) -> None:
        """An http:// endpoint is pinned without a TLS server name."""
        harness = Harness()
        harness.transport("http://hooks.agency.example/in").deliver(message())
        assert "sni_hostname" not in harness.requests[0].extensions
        assert harness.resolver.lookups == [("hooks.agency.example", 80)]

    def test_allow_private_sends_to_the_url_as_given(self) -> None:
        """With allow_private the host is neither resolved nor pinned."""
        harness = Harness()
        harness.transport("http://receiver.internal:8080/in", allow_private=True).deliver(message())
        assert str(harness.requests[0].url) == "http://receiver.internal:8080/in"
        assert harness.resolver.lookups == []

    def test_a_name_that_does_not_resolve_is_a_transient_failure(self) -> None:
        """A DNS failure may pass: it is a `DeliveryFailed`, and no request is made."""
        harness = Harness(resolver=Table({}))
        with pytest.raises(DeliveryFailed, match="did not resolve"):
            harness.transport().deliver(message())
        assert harness.requests == []

    def test_a_name_that_never_resolves_disables_the_endpoint_in_time(self) -> None:
        """DNS failures count as failures: a name that never resolves is disabled too."""
        harness = Harness(resolver=Table({}))
        transport = harness.transport(failure_limit=2, failure_window=timedelta(0))
        with pytest.raises(DeliveryFailed):
            transport.deliver(message())
        with pytest.raises(EndpointDisabled):
            transport.deliver(message())

    def test_an_answer_that_is_not_an_address_is_refused(self) -> None:
        """A resolver answering something that is not an IP address is not trusted."""
        harness = Harness(resolver=Table({"hooks.agency.example": ["not-an-ip"]}))
        with pytest.raises(EndpointNotAllowed):
            harness.transport().deliver(message())

    def test_a_name_without_addresses_is_a_transient_failure(self) -> None:
        """A resolver answering nothing gives a `DeliveryFailed`."""
        harness = Harness(resolver=Table({"hooks.agency.example": []}))
        with pytest.raises(DeliveryFailed, match="no address"):
            harness.transport().deliver(message())

    @pytest.mark.parametrize(
        "host", ["localhost", "2130706433", "0x7f.1", "017700000001", "127.1", "0"]
    )
    def test_the_system_resolver_sees_through_numeric_disguises(self, host: str) -> None:
        """Decimal, hex, octal and short forms of loopback resolve to loopback: refused."""
        addresses = resolve_host(host, 443)
        assert addresses
        assert not any(is_public_address(address) for address in addresses)


class TestEndpoint:
    @pytest.mark.parametrize(
        "url",
        [
            "ftp://hooks.agency.example/",
            "hooks.agency.example/in",
            "https:///in",
            "https://user:pass@hooks.agency.example/in",
            "https://hooks.agency.example/in#frag",
            "https://hooks.agency.example:99999/in",
            "https://hooks.agency.example/in put",
            "https://hooks.agency.example/in\n",
            "https://" + "x" * 64 + ".example/in",
        ],
    )
    def test_unusable_url_is_refused(self, url: str) -> None:
        """Only http(s) URLs with a host, no credentials and no fragment are accepted."""
        with pytest.raises(InvalidWebhookInput) as caught:
            WebhookEndpoint(url, secrets=[SECRET])
        assert "pass" not in str(caught.value)

    @pytest.mark.parametrize("secrets", [[], ["not-a-secret"], SECRET])
    def test_unusable_secrets_are_refused(self, secrets: Any) -> None:
        """No secret, a malformed one or a lone string is refused."""
        with pytest.raises(InvalidWebhookInput):
            WebhookEndpoint(URL, secrets=secrets)

    def test_reprs_hide_the_secrets_and_the_path(self) -> None:
        """The endpoint's repr hides its secrets; the transport's shows only the host."""
        endpoint = WebhookEndpoint(URL, secrets=[SECRET])
        transport = Harness().transport()
        assert SECRET not in repr(endpoint)
        assert repr(transport) == "<WebhookTransport 'webhook:hooks.agency.example'>"
        assert endpoint.port == 443
        assert transport.endpoint.host == "hooks.agency.example"

    def test_a_disabled_transport_says_so_in_its_repr(self) -> None:
        """A disabled transport's repr says why."""
        transport = answering(410).transport()
        with pytest.raises(EndpointDisabled):
            transport.deliver(message())
        assert "disabled (the receiver answered 410 Gone)" in repr(transport)


class TestRetryPolicy:
    def test_by_default_a_failure_is_left_to_the_relay(self) -> None:
        """Without retry=, a transient failure is raised after one request."""
        harness = answering(503)
        with pytest.raises(DeliveryFailed):
            harness.transport().deliver(message())
        assert len(harness.requests) == 1

    def test_the_policy_retries_within_the_delivery_resigned(self) -> None:
        """With retry=, 503s are tried again after the policy's waits, each freshly signed."""
        answers = [httpx.Response(503), httpx.Response(503), httpx.Response(204)]
        harness = Harness(respond=lambda request: answers.pop(0))
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            harness.clock.advance(seconds)

        retry = RetryPolicy(base=1, cap=60, max_attempts=3, jitter=False)
        receipt = harness.transport(retry=retry, sleep=sleep).deliver(message())

        assert (receipt.status, waits) == (204, [1.0, 2.0])
        stamps = [int(r.headers["webhook-timestamp"]) for r in harness.requests]
        assert [b - a for a, b in itertools.pairwise(stamps)] == [1, 2]
        assert {r.headers["webhook-id"] for r in harness.requests} == {"app-1:1"}

    def test_a_dated_retry_after_is_waited_out(self) -> None:
        """A Retry-After as an HTTP date within the cap is the wait before the next request."""
        answers = [
            httpx.Response(429, headers={"Retry-After": "Mon, 14 Jul 2025 02:00:20 GMT"}),
            httpx.Response(204),
        ]
        harness = Harness(respond=lambda request: answers.pop(0))
        waits: list[float] = []
        retry = RetryPolicy(base=1, cap=60, max_attempts=2, jitter=False)

        harness.transport(retry=retry, sleep=waits.append).deliver(message())

        assert waits == [20.0]

    def test_a_retry_after_beyond_the_cap_is_left_to_the_relay(self) -> None:
        """A Retry-After longer than the policy's cap ends the delivery at once, carrying it."""
        harness = answering(503, {"Retry-After": "600"})
        retry = RetryPolicy(base=1, cap=60, max_attempts=5, jitter=False)

        with pytest.raises(DeliveryFailed) as caught:
            harness.transport(retry=retry, sleep=lambda _s: None).deliver(message())
        assert (caught.value.retry_after, len(harness.requests)) == (600.0, 1)

    def test_a_refusal_is_not_retried(self) -> None:
        """A 4xx refusal ends the delivery whatever the policy allows."""
        harness = answering(422)
        retry = RetryPolicy(base=1, cap=60, max_attempts=5, jitter=False)

        with pytest.raises(DeliveryRejected):
            harness.transport(retry=retry, sleep=lambda _s: None).deliver(message())
        assert len(harness.requests) == 1

    @pytest.mark.parametrize("options", [{"retry": 3}, {"retry": RetryPolicy()}, {"sleep": 1}])
    def test_a_retry_setting_of_the_wrong_kind_is_refused(self, options: dict[str, Any]) -> None:
        """retry= must be a RetryPolicy with max_attempts, sleep= a function."""
        with pytest.raises(ConfigurationError):
            Harness().transport(**options)


# --- one client, one pinned host ----------------------------------------------------------


def _certificate_for(name: str, directory: Any) -> tuple[str, str, str]:
    """Make a CA and a certificate for *name* it signs; return (ca, cert, key) file paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def build(subject: str, issuer: str, key: Any, signer: Any, *, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.now(UTC) - timedelta(days=1))
            .not_valid_after(datetime.now(UTC) + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("test CA", "test CA", ca_key, ca_key, ca=True)
    cert = build(name, "test CA", key, ca_key, ca=False)
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(paths[0]), str(paths[1]), str(paths[2])


class TestOneClientOneHost:
    def test_a_client_pinning_for_one_host_is_refused_for_another(self) -> None:
        """A client that pins webhooks to one host cannot be given to another host's."""
        client = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(204)))
        WebhookTransport(client, WebhookEndpoint("https://a.example/h", secrets=[SECRET]))
        WebhookTransport(client, WebhookEndpoint("https://a.example/other", secrets=[SECRET]))
        with pytest.raises(ConfigurationError, match=r"b\.example a client of its own"):
            WebhookTransport(client, WebhookEndpoint("https://b.example/h", secrets=[SECRET]))

    def test_a_tls_connection_verified_for_one_host_never_serves_another(
        self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Over real TLS, a.example's pinned connection cannot be reused for b.example."""
        import ssl
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import onestop.transport.webhook as webhook_module

        ca, cert, key = _certificate_for("a.example", tmp_path)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        # 127.0.0.1 stands for a public address both names resolve to.
        monkeypatch.setattr(webhook_module, "is_public_address", lambda _: True)

        def transport(client: httpx.Client, host: str) -> WebhookTransport:
            endpoint = WebhookEndpoint(f"https://{host}:{port}/h", secrets=[SECRET])
            return WebhookTransport(client, endpoint, resolver=lambda h, p: ["127.0.0.1"])

        try:
            trust = ssl.create_default_context(cafile=ca)
            with httpx.Client(verify=trust) as shared, httpx.Client(verify=trust) as fresh:
                assert transport(shared, "a.example").deliver(message()).status == 204
                with pytest.raises(ConfigurationError):
                    transport(shared, "b.example")
                with pytest.raises(DeliveryFailed):  # b.example's certificate is checked
                    transport(fresh, "b.example").deliver(message())
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("endpoint", [None, {}, URL, ("https://hooks.agency.example/",)])
def test_a_webhook_transport_needs_a_webhook_endpoint(endpoint: object) -> None:
    """Anything but a WebhookEndpoint (its URL alone included) is a ConfigurationError."""
    client = httpx.Client(transport=httpx.MockTransport(lambda _request: httpx.Response(204)))
    with client, pytest.raises(ConfigurationError, match="WebhookEndpoint"):
        WebhookTransport(client, endpoint)  # type: ignore[arg-type]
