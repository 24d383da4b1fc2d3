"""The agency gateway, its circuit breaker and agencies' signed status callbacks."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import httpx
import pytest
from structlog.testing import capture_logs

from onestop.domain.applications.events import ErasureRecorded
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import (
    ApplicationNotFound,
    CallbackRefused,
    CircuitOpen,
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    DeliveryTimeout,
    EndpointDisabled,
    StorageUnavailable,
    WebhookVerificationError,
)
from onestop.storage.memory import MemoryStore
from onestop.storage.sqlite import SQLiteStore
from onestop.transport.base import OutboundMessage, Transport
from onestop.transport.breaker import BreakerState, CircuitBreaker
from onestop.transport.gateway import ENVELOPE_VERSION, AgencyEndpoint, AgencyGateway, may_retry
from onestop.transport.inbound.callbacks import AgencyCallbacks, CallbackRoute
from onestop.transport.recording import RecordingTransport
from onestop.transport.relay import Relay, RetryPolicy
from onestop.transport.signing import MemoryReplayCache, WebhookSigner, WebhookVerifier
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 7, 14, 9, 0, tzinfo=WIB)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
AGENCY = "dinas-teknis"
TOKEN = "s3cret-token-never-logged"  # noqa: S105 - a test value
HOME = "Jl. Kanari 7, Menteng"  # a canary: personal data that must only go where named
NAME = "Siti Canary"
FRONT_OFFICE = Actor(id="fo-1", roles={"front_office"})
CITIZEN = Actor(id="citizen-7", roles={"applicant"})

CATALOGUE_TOML = """
[catalogue]
name = { en = "Agency gateway test mall" }
languages = ["en"]

[[agencies]]
code = "dpmptsp"
name = { en = "One-stop investment office" }
kind = "regional"
time_zone = "Asia/Jakarta"

[[agencies]]
code = "dinas-teknis"
name = { en = "Technical agency" }
kind = "regional"
time_zone = "Asia/Jakarta"

[[evidence_types]]
code = "ktp-el"
name = { en = "Electronic identity card" }

[[services]]
code = "izin-usaha"
version = 1
status = "published"
effective_from = 2025-01-01
agency = "dpmptsp"
name = { en = "Business licence" }
kind = "licensing"
time_limit = "5 working days"
service_norm = "3 working days"
workflow = "forwarded"

[[services.channels]]
channel = "online"

[[services.form]]
name = "business_name"
label = { en = "Business name" }
type = "text"
required = true

[[services.form]]
name = "floor_area"
label = { en = "Floor area" }
type = "number"
required = true

[[services.form]]
name = "home_address"
label = { en = "Home address" }
type = "long_text"
personal_data = true

[[services.requirements]]
code = "ktp"
evidence_type = "ktp-el"
presentation = ["upload"]

[[workflows]]
code = "forwarded"
version = 1
roles = ["applicant", "front_office", "agency"]

[[workflows.states]]
name = "submitted"
kind = "initial"
label = { en = "Submitted" }

[[workflows.states]]
name = "at_agency"
kind = "active"
label = { en = "At the technical agency" }

[[workflows.states]]
name = "approved"
kind = "active"
label = { en = "Approved" }

[[workflows.states]]
name = "issued"
kind = "success"
label = { en = "Issued" }

[[workflows.states]]
name = "rejected"
kind = "failure"
label = { en = "Rejected" }

[[workflows.transitions]]
action = "forward"
sources = ["submitted"]
target = "at_agency"
roles = ["front_office"]
effects = ["forward_to_agency"]

[[workflows.transitions]]
action = "agency_approve"
sources = ["at_agency"]
target = "approved"
roles = ["agency"]
inputs = ["reference"]

[[workflows.transitions]]
action = "agency_reject"
sources = ["at_agency"]
target = "rejected"
roles = ["agency"]
inputs = ["reason"]

[[workflows.transitions]]
action = "agency_approved"
sources = ["at_agency"]
target = "approved"
trigger = "event"
event = "agency.approved"

[[workflows.transitions]]
action = "issue"
sources = ["approved"]
target = "issued"
roles = ["front_office"]
"""


# --- fixtures and helpers ----------------------------------------------------------------


@attrs.define
class FakeTime:
    """One fake time for everything: the mall's and relay's clock, and the breaker's seconds."""

    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def __call__(self) -> float:
        return (self.current - START).total_seconds()

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@attrs.define
class CountingIds:
    """Readable application ids."""

    count: int = 0

    def new_id(self) -> str:
        self.count += 1
        return f"app-{self.count:04d}"

    def secret(self) -> str:
        return f"secret-{self.count:04d}-0123456789abcdef"


@attrs.define
class Agency:
    """A scripted agency back office behind `httpx.MockTransport`."""

    script: list[Callable[[httpx.Request], httpx.Response]] = attrs.field(factory=list)
    requests: list[httpx.Request] = attrs.field(factory=list)
    down: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.script:
            return self.script.pop(0)(request)
        return httpx.Response(202, json={"received": True})

    def envelopes(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]

    def keys(self) -> list[str]:
        return [request.headers["Idempotency-Key"] for request in self.requests]


def status(code: int, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: httpx.Response(code, headers=headers)


def raising(exc: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc("scripted", request=request)

    return respond


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    folder: Path = tmp_path_factory.mktemp("catalogue")
    (folder / "catalogue.toml").write_text(CATALOGUE_TOML, encoding="utf-8")
    return load_catalogue(folder)


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def mall(catalogue: Catalogue, store: MemoryStore, time: FakeTime) -> Mall:
    return Mall(catalogue=catalogue, store=store, clock=time, ids=CountingIds())


@pytest.fixture
def agency() -> Agency:
    return Agency()


@pytest.fixture
def client(agency: Agency) -> Iterator[httpx.Client]:
    # No timeout on the client: the gateway must bring its own to every request.
    with httpx.Client(transport=httpx.MockTransport(agency), timeout=None) as client:  # noqa: S113
        yield client


ENDPOINT = AgencyEndpoint(
    code=AGENCY,
    base_url="https://teknis.agency.test/api/",
    token=TOKEN,
    services=("izin-usaha",),
    answers=("business_name", "floor_area"),
    documents=("ktp",),
)


def gateway(
    client: Any, mall: Mall, time: FakeTime, *, endpoint: AgencyEndpoint = ENDPOINT, **kw: Any
) -> AgencyGateway:
    kw.setdefault(
        "breaker", CircuitBreaker(AGENCY, failure_threshold=3, reset_timeout=30, clock=time)
    )
    kw.setdefault("sleep", lambda _seconds: None)
    return AgencyGateway(client, endpoint, applications=mall, timeout=2.5, **kw)


def submit(mall: Mall) -> str:
    content = b"scan of the identity card"
    document = DocumentRef(
        requirement="ktp",
        evidence_type="ktp-el",
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/jpeg",
        size=len(content),
        content=content,
    )
    applicant = Person.of(identity_number="3171015703850001", identity_scheme="id-nik", name=NAME)
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=applicant,
        answers={"business_name": "Warung Sederhana", "floor_area": 36, "home_address": HOME},
        actor=CITIZEN,
        documents=[document],
    )
    return receipt.application_id


def forwarded(mall: Mall) -> tuple[str, OutboundMessage]:
    """Submit and forward an application; return its id and the forward's message."""
    application_id = submit(mall)
    mall.act(application_id, "forward", actor=FRONT_OFFICE)
    notes = mall.store.notifications(after=0, limit=10_000)
    note = [n for n in notes if n.stream_id == application_id][-1]
    return application_id, OutboundMessage.from_notification(note)


# --- forwarding ---------------------------------------------------------------------------


class TestForwarding:
    def test_posts_one_keyed_json_envelope(self, mall, client, agency, time) -> None:
        """A forward is one JSON POST to the agency whose Idempotency-Key is the message id."""
        application_id, message = forwarded(mall)
        receipt = gateway(client, mall, time).deliver(message)

        assert receipt.status == 202
        assert receipt.transport == f"agency:{AGENCY}"
        [request] = agency.requests
        assert request.method == "POST"
        assert str(request.url) == "https://teknis.agency.test/api/applications"
        assert request.headers["Idempotency-Key"] == message.id
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
        [envelope] = agency.envelopes()
        assert envelope["type"] == ENVELOPE_VERSION
        assert envelope["application_id"] == application_id
        assert envelope["service"] == {"code": "izin-usaha", "version": 1}
        assert envelope["action"] == "forward"

    def test_sends_only_the_answers_and_documents_named(self, mall, client, agency, time) -> None:
        """Only the answers and document references the endpoint names reach the agency."""
        _, message = forwarded(mall)
        gateway(client, mall, time).deliver(message)

        [envelope] = agency.envelopes()
        assert envelope["answers"] == {"business_name": "Warung Sederhana", "floor_area": 36}
        assert [d["requirement"] for d in envelope["documents"]] == ["ktp"]
        text = agency.requests[0].content.decode()
        assert HOME not in text
        assert NAME not in text
        assert "3171015703850001" not in text

    def test_personal_data_goes_when_named_explicitly(self, mall, client, agency, time) -> None:
        """A personal-data field is sent when, and only when, the endpoint names it."""
        _, message = forwarded(mall)
        named = attrs.evolve(ENDPOINT, answers=("home_address",))
        gateway(client, mall, time, endpoint=named).deliver(message)

        assert agency.envelopes()[0]["answers"] == {"home_address": HOME}

    def test_an_erased_application_goes_without_its_answers(
        self, mall, client, agency, time
    ) -> None:
        """Once the application's erasure is recorded, the forward carries none of its
        answers, even from a process whose copy still holds them opened."""
        application_id, message = forwarded(mall)
        held = mall.application(application_id)
        erasure = ErasureRecorded(
            subjects=(f"{application_id}/applicant",),
            legal_basis="UU 27/2022",
            actor="officer-1",
            at=held.updated_at,
        )
        copy = held.apply(erasure)  # the answers still opened, as a stale cache holds them

        class Stale:
            def application(self, _application_id: str) -> Any:
                return copy

        gateway(client, Stale(), time).deliver(message)  # type: ignore[arg-type]

        [envelope] = agency.envelopes()
        assert envelope["answers"] == {}
        assert "Warung" not in agency.requests[0].content.decode()

    def test_every_request_carries_the_gateways_timeout(self, mall, client, agency, time) -> None:
        """The gateway's timeout applies even to a client built with ``timeout=None``."""
        _, message = forwarded(mall)
        gateway(client, mall, time).deliver(message)

        timeout = agency.requests[0].extensions["timeout"]
        assert timeout == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}

    def test_ignores_messages_that_are_not_its_forwards(self, mall, client, agency, time) -> None:
        """Other events, and forwards of services another agency handles, make no call."""
        _, forward = forwarded(mall)
        submitted = OutboundMessage.from_notification(mall.store.notifications()[0])
        other = attrs.evolve(ENDPOINT, code="bpn", services=("sertifikat-tanah",))

        assert gateway(client, mall, time).deliver(submitted).status is None
        assert gateway(client, mall, time, endpoint=other).deliver(forward).status is None
        assert agency.requests == []

    def test_logs_never_carry_the_envelope_or_the_token(self, mall, client, agency, time) -> None:
        """A retry is logged with ids and a status, never answers or credentials."""
        _, message = forwarded(mall)
        agency.script = [status(503)]
        with capture_logs() as logs:
            gateway(client, mall, time).deliver(message)

        assert [log["event"] for log in logs] == ["onestop.delivery.retry_scheduled"]
        assert logs[0]["message_id"] == message.id
        assert logs[0]["status"] == 503
        text = repr(logs)
        assert "Warung" not in text
        assert TOKEN not in text

    def test_repr_hides_the_token(self, mall, client, time) -> None:
        """Neither the endpoint's nor the gateway's repr shows the token or headers."""
        secret = attrs.evolve(ENDPOINT, headers={"X-Api-Key": "key-123"})
        shown = repr(secret) + repr(gateway(client, mall, time, endpoint=secret))

        assert TOKEN not in shown
        assert "key-123" not in shown


class TestFailures:
    def test_a_read_timeout_is_a_delivery_timeout(self, mall, client, agency, time) -> None:
        """A request that times out on every attempt ends in DeliveryTimeout."""
        _, message = forwarded(mall)
        agency.script = [raising(httpx.ReadTimeout)] * 3

        with pytest.raises(DeliveryTimeout) as caught:
            gateway(client, mall, time).deliver(message)
        assert caught.value.message_id == message.id
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
        assert len(agency.requests) == 3

    def test_keyed_post_is_retried_with_the_same_key(self, mall, client, agency, time) -> None:
        """Two 503s then a 202 make three POSTs, all with the message id as key."""
        _, message = forwarded(mall)
        agency.script = [status(503), raising(httpx.ConnectError)]
        waits: list[float] = []

        receipt = gateway(client, mall, time, sleep=waits.append).deliver(message)

        assert receipt.status == 202
        assert agency.keys() == [message.id] * 3
        assert waits == [0.5, 1.0]

    def test_gives_up_after_its_attempts(self, mall, client, agency, time) -> None:
        """After the policy's max_attempts failures the relay is told to try again later."""
        _, message = forwarded(mall)
        agency.script = [status(502)] * 5
        retry = RetryPolicy(base=0.5, cap=10, max_attempts=2, jitter=False)

        with pytest.raises(DeliveryFailed) as caught:
            gateway(client, mall, time, retry=retry).deliver(message)
        assert caught.value.status == 502
        assert len(agency.requests) == 2

    def test_a_long_retry_after_is_left_to_the_relay(self, mall, client, agency, time) -> None:
        """A Retry-After longer than the policy's cap ends the delivery at once, carrying it."""
        _, message = forwarded(mall)
        agency.script = [status(429, **{"Retry-After": "120"})]

        with pytest.raises(DeliveryFailed) as caught:
            gateway(client, mall, time).deliver(message)
        assert caught.value.retry_after == 120.0
        assert len(agency.requests) == 1

    def test_a_dated_retry_after_is_counted_on_the_gateways_clock(
        self, mall, client, agency, time
    ) -> None:
        """A Retry-After given as an HTTP date waits from the gateway's clock until then."""
        _, message = forwarded(mall)
        # START is 09:00 in Jakarta, 02:00 GMT: the agency asks for three seconds.
        agency.script = [status(503, **{"Retry-After": "Mon, 14 Jul 2025 02:00:03 GMT"})]
        waits: list[float] = []

        receipt = gateway(client, mall, time, sleep=waits.append, clock=time).deliver(message)

        assert (receipt.status, waits) == (202, [3.0])

    def test_a_redirect_is_retried_and_says_it_was_not_followed(
        self, mall, client, agency, time
    ) -> None:
        """A 3xx is never followed: it is retried, and the last one is a DeliveryFailed."""
        _, message = forwarded(mall)
        agency.script = [status(308, location="https://elsewhere.example/")] * 3

        with pytest.raises(DeliveryFailed) as caught:
            gateway(client, mall, time).deliver(message)
        assert caught.value.reason == "HTTP 308 (redirects are not followed)"
        assert len(agency.requests) == 3

    def test_a_look_alike_clients_os_error_is_a_delivery_failure(self, mall, time) -> None:
        """A client that is not httpx raising OSError gives DeliveryFailed, after retries."""

        class Refusing:
            calls = 0

            def post(self, url: str, **options: Any) -> Any:
                self.calls += 1
                raise ConnectionRefusedError("refused")

        _, message = forwarded(mall)
        refusing = Refusing()
        with pytest.raises(DeliveryFailed, match="ConnectionRefusedError"):
            gateway(refusing, mall, time).deliver(message)
        assert refusing.calls == 3

    @pytest.mark.parametrize("code", [400, 413, 422])
    def test_a_refusal_is_not_retried(self, mall, client, agency, time, code) -> None:
        """A 4xx refusal of the envelope is a DeliveryRejected after one call."""
        _, message = forwarded(mall)
        agency.script = [status(code)]

        with pytest.raises(DeliveryRejected) as caught:
            gateway(client, mall, time).deliver(message)
        assert caught.value.status == code
        assert len(agency.requests) == 1

    @pytest.mark.parametrize("code", [401, 403, 404])
    def test_bad_credentials_or_url_halt_the_gateway(self, mall, client, agency, time, code):
        """401, 403 and 404 raise EndpointDisabled, so the relay keeps the backlog."""
        _, message = forwarded(mall)
        agency.script = [status(code)]

        with pytest.raises(EndpointDisabled):
            gateway(client, mall, time).deliver(message)
        assert len(agency.requests) == 1

    def test_only_idempotent_or_keyed_requests_may_be_retried(self) -> None:
        """GET and PUT may be sent again; a POST only with an Idempotency-Key."""
        assert may_retry("GET", {})
        assert may_retry("put", {})
        assert not may_retry("POST", {})
        assert not may_retry("POST", {"Idempotency-Key": ""})
        assert may_retry("POST", {"idempotency-key": "app-1:2"})

    def test_settings_are_checked(self, mall, client) -> None:
        """A gateway without a positive timeout or an attempt is refused."""
        with pytest.raises(ConfigurationError):
            AgencyGateway(client, ENDPOINT, applications=mall, timeout=0)
        with pytest.raises(ConfigurationError):
            AgencyGateway(client, ENDPOINT, applications=mall, attempts=0)

    def test_is_a_transport(self, mall, client) -> None:
        """The gateway satisfies the Transport protocol."""
        assert isinstance(AgencyGateway(client, ENDPOINT, applications=mall), Transport)


# --- the circuit breaker ------------------------------------------------------------------


class TestCircuitBreaker:
    def test_opens_after_consecutive_failures(self, time) -> None:
        """The third consecutive failure opens a breaker whose threshold is three."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=3, reset_timeout=30, clock=time)
        states = []
        for _ in range(3):
            breaker.before_call()
            breaker.record_failure()
            states.append(breaker.state)
        assert states == [BreakerState.CLOSED, BreakerState.CLOSED, BreakerState.OPEN]

    def test_a_success_resets_the_count(self, time) -> None:
        """Failures must be consecutive: a success in between starts the count again."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=2, clock=time)
        breaker.record_failure()
        breaker.record_success()
        breaker.record_failure()
        assert breaker.state is BreakerState.CLOSED
        assert breaker.failures == 1

    def test_half_opens_after_the_cool_down(self, time) -> None:
        """An open breaker lets one probe through once the cool-down has passed."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=1, reset_timeout=30, clock=time)
        breaker.record_failure()
        time.advance(29.9)
        with pytest.raises(CircuitOpen) as caught:
            breaker.before_call()
        assert caught.value.retry_after == pytest.approx(0.1)
        time.advance(0.1)
        assert breaker.state is BreakerState.HALF_OPEN
        breaker.before_call()
        with pytest.raises(CircuitOpen):
            breaker.before_call()  # one probe at a time

    def test_a_successful_probe_closes_it(self, time) -> None:
        """The probe's success closes the circuit."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=1, reset_timeout=30, clock=time)
        breaker.record_failure()
        time.advance(30)
        breaker.before_call()
        breaker.record_success()
        assert breaker.state is BreakerState.CLOSED

    def test_a_failed_probe_opens_it_again(self, time) -> None:
        """The probe's failure opens the circuit for another full cool-down."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=5, reset_timeout=30, clock=time)
        for _ in range(5):
            breaker.record_failure()
        time.advance(30)
        breaker.before_call()
        breaker.record_failure()
        assert breaker.state is BreakerState.OPEN
        time.advance(29)
        assert breaker.state is BreakerState.OPEN

    def test_a_lost_probe_is_given_up_after_a_cool_down(self, time) -> None:
        """A probe whose outcome is never reported does not keep the circuit open forever."""
        breaker = CircuitBreaker(AGENCY, failure_threshold=1, reset_timeout=30, clock=time)
        breaker.record_failure()
        time.advance(30)
        breaker.before_call()
        time.advance(30)
        assert breaker.state is BreakerState.HALF_OPEN

    def test_settings_are_checked(self) -> None:
        """A threshold below one or a negative cool-down is refused."""
        with pytest.raises(ConfigurationError):
            CircuitBreaker("x", failure_threshold=0)
        with pytest.raises(ConfigurationError):
            CircuitBreaker("x", reset_timeout=-1)


@pytest.mark.parametrize(
    "options",
    [
        {"failure_threshold": True},
        {"failure_threshold": 0},
        {"failure_threshold": "5"},
        {"reset_timeout": float("inf")},
        {"reset_timeout": -1},
        {"reset_timeout": True},
        {"reset_timeout": -(10**400)},
        {"reset_timeout": 10**400},
        {"clock": "monotonic"},
    ],
)
def test_a_circuit_breaker_refuses_settings_of_the_wrong_kind(options: dict[str, Any]) -> None:
    """A threshold that is not an integer from 1, a wait that is not finite, no clock."""
    with pytest.raises(ConfigurationError):
        CircuitBreaker(AGENCY, **options)


@pytest.mark.parametrize("name", [b"dukcapil", "", "duk\ncapil", "d" * 100_000, None])
def test_a_circuit_breaker_needs_a_name_fit_for_its_messages(name: object) -> None:
    """Bytes, empty text, a control character or a huge name is refused, never echoed."""
    with pytest.raises(ConfigurationError) as caught:
        CircuitBreaker(name)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "dinas tata ruang"},
        {"code": 7},
        {"base_url": "ftp://agency.example"},
        {"base_url": "https://agency.example/v1\r\nHost: evil"},
        {"token": "abc\r\nX-Admin: yes"},
        {"token": ""},
        {"headers": {"X-Key": "a\nb"}},
        {"headers": {"X-K\u00e9y": "a"}},
        {"headers": [("X-Key", "a")]},
        {"services": 7},
        {"answers": [7]},
    ],
)
def test_an_agency_endpoint_refuses_what_would_break_its_requests(changes: dict[str, Any]) -> None:
    """A code that is not one, a URL that is not https, or a header with a line break."""
    arguments: dict[str, Any] = {"code": AGENCY, "base_url": "https://agency.example/v1"}
    with pytest.raises(ConfigurationError):
        AgencyEndpoint(**(arguments | changes))


@pytest.mark.parametrize(
    "url", ["https://svc:S3cr3t@api.agency.example/v1", "https://svc@a.example"]
)
def test_an_agency_endpoint_refuses_credentials_in_its_url(url: str) -> None:
    """Credentials in base_url are refused, naming the field, and never shown."""
    with pytest.raises(ConfigurationError, match=r"^base_url must not hold credentials") as caught:
        AgencyEndpoint(code=AGENCY, base_url=url)
    assert "S3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://a.example/api", "https://a.example/api/applications"),
        ("https://a.example/api/", "https://a.example/api/applications"),
        ("https://a.example/api?key=K1", "https://a.example/api/applications?key=K1"),
        ("https://a.example?key=K1#top", "https://a.example/applications?key=K1"),
    ],
)
def test_an_agency_endpoints_url_joins_the_path_before_the_query(base_url: str, url: str) -> None:
    """The path is joined to the base URL's path, and a query (a key) kept after it,
    not glued onto the query's end."""
    assert AgencyEndpoint(code=AGENCY, base_url=base_url).url == url


def test_an_agency_endpoints_repr_leaves_out_the_query() -> None:
    """A key in base_url's query string is not shown in the endpoint's repr."""
    endpoint = AgencyEndpoint(code=AGENCY, base_url="https://api.agency.example/v1?api_key=S3cr3t")
    assert "S3cr3t" not in repr(endpoint)
    assert "base_url='https://api.agency.example/v1'" in repr(endpoint)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": True},
        {"timeout": "10"},
        {"timeout": -(10**400)},
        {"max_delay": 10**400},
        {"attempts": True},
        {"attempts": 0},
        {"max_delay": -1},
        {"retry": 3},
        {"retry": RetryPolicy()},
        {"applications": "mall"},
        {"breaker": "breaker"},
        {"backoff": 30.0},
        {"sleep": None},
        {"clock": "now"},
        {"effect": b"forward_to_agency"},
        {"effect": "forward\n" * 1000},
    ],
)
def test_an_agency_gateway_refuses_settings_of_the_wrong_kind(
    mall, client, options: dict[str, Any]
) -> None:
    """Timeouts that are bools, text or huge, attempts that are not an integer from 1,
    collaborators that are not what they stand for: refused when the gateway is built."""
    endpoint = AgencyEndpoint(code=AGENCY, base_url="https://agency.example/v1")
    with pytest.raises(ConfigurationError) as caught:
        AgencyGateway(client, endpoint, **({"applications": mall} | options))
    assert len(str(caught.value)) < 300


def test_an_agency_gateway_needs_an_agency_endpoint(mall, client) -> None:
    """An agency's code is not its endpoint."""
    with pytest.raises(ConfigurationError):
        AgencyGateway(client, AGENCY, applications=mall)  # type: ignore[arg-type]


def test_a_recording_transport_refuses_a_negative_or_boolean_count() -> None:
    """fail(times=...) with a bool or a negative count is a ConfigurationError."""
    inbox = RecordingTransport()
    for times in (True, -1, "2"):
        with pytest.raises(ConfigurationError):
            inbox.fail(times=times)  # type: ignore[arg-type]


class TestGatewayBreaker:
    def test_open_circuit_fails_fast_without_a_call(self, mall, client, agency, time) -> None:
        """Once the agency failed three times, deliveries raise CircuitOpen and make no call."""
        _, message = forwarded(mall)
        agency.down = True
        gateway_ = gateway(client, mall, time)
        with pytest.raises(DeliveryFailed):
            gateway_.deliver(message)
        assert len(agency.requests) == 3
        assert gateway_.breaker.state is BreakerState.OPEN

        with pytest.raises(CircuitOpen) as caught:
            gateway_.deliver(message)
        assert caught.value.message_id == message.id
        assert caught.value.upstream == AGENCY
        assert len(agency.requests) == 3

    def test_the_circuit_opens_in_the_middle_of_retries(self, mall, client, agency, time):
        """A breaker that opens during a delivery's retries stops them at once."""
        _, message = forwarded(mall)
        agency.down = True
        breaker = CircuitBreaker(AGENCY, failure_threshold=2, reset_timeout=30, clock=time)

        retry = RetryPolicy(base=0.5, cap=10, max_attempts=5, jitter=False)
        with pytest.raises(CircuitOpen):
            gateway(client, mall, time, breaker=breaker, retry=retry).deliver(message)
        assert len(agency.requests) == 2

    def test_the_agency_back_closes_the_circuit(self, mall, client, agency, time) -> None:
        """After the cool-down a successful probe delivers and closes the circuit."""
        _, message = forwarded(mall)
        gateway_ = gateway(client, mall, time)
        agency.down = True
        with pytest.raises(DeliveryFailed):
            gateway_.deliver(message)
        agency.down = False
        time.advance(30)

        assert gateway_.deliver(message).status == 202
        assert gateway_.breaker.state is BreakerState.CLOSED

    def test_refusals_do_not_open_the_circuit(self, mall, client, agency, time) -> None:
        """A 4xx answer shows the agency is up: it never counts as a failure."""
        _, message = forwarded(mall)
        gateway_ = gateway(client, mall, time)
        agency.script = [status(422)] * 5
        for _ in range(5):
            with pytest.raises(DeliveryRejected):
                gateway_.deliver(message)
        assert gateway_.breaker.state is BreakerState.CLOSED


@pytest.mark.skipif(importlib.util.find_spec("httpx2") is None, reason="httpx2 is not installed")
def test_an_httpx2_client_works_too(mall, time) -> None:
    """The gateway takes an httpx2.Client, and recognises httpx2's timeouts."""
    import httpx2

    seen: list[httpx2.Request] = []

    def respond(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if len(seen) == 1:
            raise httpx2.ReadTimeout("scripted", request=request)
        return httpx2.Response(201)

    _, message = forwarded(mall)
    with httpx2.Client(transport=httpx2.MockTransport(respond)) as client:
        receipt = gateway(client, mall, time).deliver(message)

    assert receipt.status == 201
    assert [r.headers["Idempotency-Key"] for r in seen] == [message.id] * 2


# --- callbacks ----------------------------------------------------------------------------


@pytest.fixture
def seen() -> MemoryReplayCache:
    return MemoryReplayCache()


@pytest.fixture
def callbacks(mall, seen) -> AgencyCallbacks:
    routes: dict[str, dict[str, str | CallbackRoute]] = {
        AGENCY: {
            "approved": "agency_approve",
            "rejected": CallbackRoute.action("agency_reject"),
            "cleared": CallbackRoute.event("agency.approved"),
        }
    }
    return AgencyCallbacks(
        mall,
        WebhookVerifier([SECRET], seen=seen),
        routes,
        seen=seen,
        services={AGENCY: ENDPOINT.services},  # what the gateway forwards to it
    )


def signed(payload: dict[str, Any], *, webhook_id: str = "msg_1", at: datetime = START):
    body = json.dumps(payload).encode()
    return WebhookSigner([SECRET]).headers(webhook_id, body, timestamp=at), body


def approval(application_id: object, *, reference: str = "x") -> dict[str, Any]:
    """The agency's callback saying it approved *application_id* (any value, to send wrong ones)."""
    return {
        "agency": AGENCY,
        "application_id": application_id,
        "status": "approved",
        "reference": reference,
    }


def snapshot(store: MemoryStore) -> tuple[Any, ...]:
    return store.notifications(after=0, limit=10_000)


class TestCallbacks:
    def test_a_signed_callback_takes_the_mapped_action(self, mall, callbacks) -> None:
        """'approved' from the agency takes agency_approve as agency:<code>, with its reference."""
        application_id, _ = forwarded(mall)
        headers, body = signed(approval(application_id, reference="DT-2025-0042"))

        result = callbacks.handle(headers, body, now=START)

        assert (result.applied, result.state, result.webhook_id) == (True, "approved", "msg_1")
        application = mall.application(application_id)
        last = application.events[-1]
        assert last.actor == f"agency:{AGENCY}"
        assert last.inputs == {"reference": "DT-2025-0042"}

    def test_a_status_can_fire_an_event_transition(self, mall, callbacks) -> None:
        """A status routed to an event fires the workflow's agency.approved transition."""
        application_id, _ = forwarded(mall)
        headers, body = signed(
            {
                "agency": AGENCY,
                "number": mall.application(application_id).number,
                "status": "cleared",
                "reference": "DT-1",
            }
        )

        result = callbacks.handle(headers, body, now=START)

        assert result.state == "approved"
        assert mall.application(application_id).events[-1].action == "agency_approved"

    @pytest.mark.parametrize(
        ("tamper", "reason"),
        [
            (lambda h, b: ({**h, "webhook-signature": "v1," + "A" * 43 + "="}, b), "bad_signature"),
            (lambda h, b: (h, b.replace(b"approved", b"rejected")), "bad_signature"),
            (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "missing_header"),
        ],
        ids=["forged-signature", "altered-body", "unsigned"],
    )
    def test_a_forged_callback_changes_nothing(self, mall, store, callbacks, tamper, reason):
        """A callback whose signature does not verify is refused, and nothing is written."""
        application_id, _ = forwarded(mall)
        headers, body = tamper(*signed(approval(application_id)))
        before = snapshot(store)

        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(headers, body, now=START)
        assert caught.value.reason == reason
        assert snapshot(store) == before

    def test_an_expired_callback_changes_nothing(self, mall, store, callbacks) -> None:
        """A callback signed too long ago is refused as expired."""
        application_id, _ = forwarded(mall)
        headers, body = signed(approval(application_id))
        before = snapshot(store)

        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(headers, body, now=START + timedelta(minutes=6))
        assert caught.value.reason == "expired"
        assert snapshot(store) == before

    def test_a_replayed_callback_changes_nothing(self, mall, store, callbacks) -> None:
        """The same webhook id a second time is refused as a replay; one transition is kept."""
        application_id, _ = forwarded(mall)
        headers, body = signed(
            {
                "agency": AGENCY,
                "application_id": application_id,
                "status": "rejected",
                "reason": "zoning",
                "reference": "x",
            }
        )
        callbacks.handle(headers, body, now=START)
        before = snapshot(store)

        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(headers, body, now=START + timedelta(seconds=5))
        assert caught.value.reason == "replayed"
        assert snapshot(store) == before

    def test_an_answered_replay_is_a_duplicate_and_changes_nothing(
        self, mall, store, callbacks
    ) -> None:
        """With answer_replays, a signed retry under an applied callback's id is answered
        as a duplicate with the application's current version, and nothing is applied."""
        application_id, _ = forwarded(mall)
        payload = approval(application_id)
        first = callbacks.handle(*signed(payload), now=START, answer_replays=True)
        before = snapshot(store)

        retry = signed(payload, at=START + timedelta(seconds=30))  # re-signed, as senders retry
        again = callbacks.handle(*retry, now=START + timedelta(seconds=31), answer_replays=True)

        assert (first.duplicate, first.applied) == (False, True)
        assert (again.duplicate, again.applied) == (True, False)
        assert (again.webhook_id, again.state, again.version) == (
            "msg_1",
            "approved",
            first.version,
        )
        assert snapshot(store) == before

    def test_a_replay_of_a_callback_not_yet_recorded_is_still_refused(
        self, mall, store, seen, callbacks
    ) -> None:
        """A signed retry whose id is held while its first delivery is still being applied
        is refused as replayed even with answer_replays, so that the agency retries."""
        application_id, _ = forwarded(mall)
        headers, body = signed(approval(application_id))
        seen.remember("msg_1", until=START + timedelta(minutes=5), now=START)  # in flight
        before = snapshot(store)

        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(headers, body, now=START, answer_replays=True)
        assert caught.value.reason == "replayed"
        assert snapshot(store) == before

    def test_a_retry_of_a_second_round_is_not_answered_by_the_first_rounds_transition(
        self, tmp_path, time, seen
    ) -> None:
        """In a workflow the agency may return an application to (and it is forwarded
        again), a retry of the second "returned" whose first delivery has not been
        applied is refused as replayed, not answered as a duplicate because the first
        round's "returned" is in the history: the agency retries, and is then heard."""
        looped = CATALOGUE_TOML + (
            '\n[[workflows.transitions]]\naction = "agency_return"\nsources = ["at_agency"]\n'
            'target = "submitted"\nroles = ["agency"]\ninputs = ["reason"]\n'
        )
        (tmp_path / "catalogue.toml").write_text(looped, encoding="utf-8")
        mall = Mall(
            catalogue=load_catalogue(tmp_path), store=MemoryStore(), clock=time, ids=CountingIds()
        )
        verifier = WebhookVerifier([SECRET], seen=seen)
        routes: dict[str, dict[str, str | CallbackRoute]] = {AGENCY: {"returned": "agency_return"}}
        callbacks = AgencyCallbacks(
            mall, verifier, routes, seen=seen, services={AGENCY: ENDPOINT.services}
        )
        application_id, _ = forwarded(mall)
        returned = {
            "agency": AGENCY,
            "application_id": application_id,
            "status": "returned",
            "reference": "r",
            "reason": "incomplete",
        }
        callbacks.handle(*signed(returned, webhook_id="X1"), now=START, answer_replays=True)
        mall.act(application_id, "forward", actor=FRONT_OFFICE)  # sent to the agency again
        verifier.verify(*signed(returned, webhook_id="X2"), now=START)  # its worker then died
        retry = signed(returned, webhook_id="X2", at=START + timedelta(seconds=30))
        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(*retry, now=START + timedelta(seconds=31), answer_replays=True)
        assert caught.value.reason == "replayed"
        assert mall.application(application_id).state == "at_agency"
        seen.forget("X2")  # the dead delivery's hold on the id ends (here at once)
        heard = callbacks.handle(*retry, now=START + timedelta(seconds=31), answer_replays=True)
        assert (heard.applied, heard.state) == (True, "submitted")

    def test_a_forged_replay_is_refused_even_when_replays_are_answered(
        self, mall, callbacks
    ) -> None:
        """answer_replays answers only a correctly signed retry: a forged one under an
        applied callback's id is still refused as bad_signature."""
        application_id, _ = forwarded(mall)
        payload = approval(application_id)
        callbacks.handle(*signed(payload), now=START, answer_replays=True)
        headers, body = signed(payload)
        forged = {**headers, "webhook-signature": "v1," + "A" * 43 + "="}

        with pytest.raises(WebhookVerificationError) as caught:
            callbacks.handle(forged, body, now=START, answer_replays=True)
        assert caught.value.reason == "bad_signature"

    def test_a_repeat_under_a_new_id_is_already_applied(self, mall, store, callbacks) -> None:
        """The same status resent under a new webhook id is answered as already applied."""
        application_id, _ = forwarded(mall)
        payload = approval(application_id)
        callbacks.handle(*signed(payload, webhook_id="msg_1"), now=START)
        before = snapshot(store)

        again = callbacks.handle(*signed(payload, webhook_id="msg_2"), now=START)

        assert (again.applied, again.state) == (False, "approved")
        assert snapshot(store) == before

    def test_an_unknown_application_is_refused(self, mall, store, callbacks) -> None:
        """A callback for no known application raises ApplicationNotFound."""
        forwarded(mall)
        before = snapshot(store)
        headers, body = signed(approval("app-9999"))

        with pytest.raises(ApplicationNotFound):
            callbacks.handle(headers, body, now=START)
        assert snapshot(store) == before

    @pytest.mark.parametrize("services", [None, {AGENCY: ["other-service"]}])
    def test_an_application_not_the_agencys_is_answered_as_unknown(
        self, mall, store, seen, services
    ) -> None:
        """An agency reports only on the applications of the services given for it (else
        of those it provides): another one, found by id or number, is ApplicationNotFound,
        as if there were none, and nothing is written."""
        routes: dict[str, dict[str, str | CallbackRoute]] = {AGENCY: {"approved": "agency_approve"}}
        options = {} if services is None else {"services": services}
        callbacks = AgencyCallbacks(mall, WebhookVerifier([SECRET]), routes, **options)
        application_id, _ = forwarded(mall)  # izin-usaha, provided by dpmptsp
        before = snapshot(store)
        number = mall.application(application_id).number
        for n, named in enumerate([{"application_id": application_id}, {"number": number}]):
            payload = {"agency": AGENCY, "status": "approved", "reference": "x", **named}
            headers, body = signed(payload, webhook_id=f"msg_{n}")
            with pytest.raises(ApplicationNotFound):
                callbacks.handle(headers, body, now=START)
        assert snapshot(store) == before
        assert mall.application(application_id).state == "at_agency"

    @pytest.mark.parametrize("services", [None, {"dpmptsp": []}])
    def test_the_providing_agency_reports_on_its_services_without_a_list(
        self, mall, seen, services
    ) -> None:
        """Without services given (or given none), the agency that provides the service
        reports on it: the gateway's rule for where forwards go."""
        routes: dict[str, dict[str, str | CallbackRoute]] = {
            "dpmptsp": {"approved": "agency_approve"}
        }
        options = {} if services is None else {"services": services}
        callbacks = AgencyCallbacks(mall, WebhookVerifier([SECRET]), routes, **options)
        application_id, _ = forwarded(mall)
        headers, body = signed(
            {
                "agency": "dpmptsp",
                "application_id": application_id,
                "status": "approved",
                "reference": "x",
            }
        )
        assert callbacks.handle(headers, body, now=START).state == "approved"

    @pytest.mark.parametrize(
        "services",
        [
            ["izin-usaha"],
            {AGENCY: "izin-usaha"},
            {AGENCY: [5]},
            {AGENCY: ["not a code"]},
            {"bpn": ["izin-usaha"]},
            {5: ["izin-usaha"]},
        ],
        ids=["not-a-mapping", "a-string", "not-text", "not-a-code", "no-routes", "agency-not-text"],
    )
    def test_services_that_make_no_sense_are_a_configuration_error(self, mall, services) -> None:
        """Services not mapping an agency with routes to service codes: ConfigurationError."""
        routes: dict[str, dict[str, str | CallbackRoute]] = {AGENCY: {"approved": "agency_approve"}}
        with pytest.raises(ConfigurationError, match="services"):
            AgencyCallbacks(mall, WebhookVerifier([SECRET]), routes, services=services)

    @pytest.mark.parametrize(
        "payload",
        [
            {"agency": AGENCY, "application_id": "app-0001", "status": "lost", "reference": "x"},
            {"agency": "bpn", "application_id": "app-0001", "status": "approved", "reference": "x"},
            {"agency": AGENCY, "status": "approved", "reference": "x"},
            {"agency": AGENCY, "application_id": "app-0001", "status": "approved"},
            ["not", "an", "object"],
        ],
        ids=["unmapped-status", "unknown-agency", "no-application", "no-reference", "list"],
    )
    def test_a_callback_that_makes_no_sense_is_refused(self, mall, store, callbacks, payload):
        """A malformed callback, or one without a route, raises CallbackRefused."""
        forwarded(mall)
        before = snapshot(store)

        with pytest.raises(CallbackRefused):
            callbacks.handle(*signed(payload), now=START)
        assert snapshot(store) == before

    @pytest.mark.parametrize(
        "body",
        [
            b'{"agency": "bpn", "agency": "%s", "application_id": "app-0001",'
            b' "status": "approved", "reference": "x"}' % AGENCY.encode(),
            b'{"agency": "%s", "application_id": "app-0001", "status": "approved",'
            b' "reference": "x", "amount": NaN}' % AGENCY.encode(),
            b"[" * 100_000 + b"]" * 100_000,
            b'{"agency": "\xff\xfe"}',
            json.dumps(approval("app-0001\n")).encode(),
            json.dumps(
                {
                    "agency": AGENCY,
                    "application_id": "app-0001",
                    "status": "appro\u0000ved",
                    "reference": "x",
                }
            ).encode(),
            json.dumps(approval("app-0001", reference="\ud800")).encode(),
            json.dumps(approval("app-0001", reference="x" * 257)).encode(),
            json.dumps(approval(7)).encode(),
        ],
        ids=[
            "duplicate-key",
            "nan",
            "deep-nesting",
            "not-utf8",
            "line-break-in-id",
            "nul-in-status",
            "lone-surrogate",
            "too-long",
            "id-not-text",
        ],
    )
    def test_a_hostile_body_is_refused_as_a_callback(self, mall, store, callbacks, body) -> None:
        """A signed body that is not one clean JSON object of text fields raises CallbackRefused.

        Duplicate keys (which would let two readers see two callbacks), NaN, nesting deep
        enough to exhaust the stack, bytes that are not UTF-8, and fields with control
        characters, lone surrogates or over 256 characters: never another error.
        """
        forwarded(mall)
        before = snapshot(store)
        headers = WebhookSigner([SECRET]).headers("msg_h", body, timestamp=START)

        with pytest.raises(CallbackRefused) as caught:
            callbacks.handle(headers, body, now=START)
        assert "x" * 50 not in str(caught.value)
        assert snapshot(store) == before

    @pytest.mark.parametrize(
        ("action_map", "options"),
        [
            (None, {}),
            ({AGENCY: "approved"}, {}),
            ({AGENCY: {"approved": 7}}, {}),
            ({7: {"approved": "agency_approve"}}, {}),
            ({AGENCY: {"appro\nved": "agency_approve"}}, {}),
            ({"Agency With Spaces": {"approved": "agency_approve"}}, {}),
            ({AGENCY: {"approved": "agency_approve"}}, {"actors": {AGENCY: "agency:x"}}),
            ({AGENCY: {"approved": "agency_approve"}}, {"seen": "cache"}),
        ],
        ids=[
            "none",
            "statuses-not-a-mapping",
            "route-not-text",
            "agency-not-text",
            "control-in-status",
            "no-valid-actor",
            "actor-not-an-actor",
            "seen-not-a-cache",
        ],
    )
    def test_a_misconfigured_callback_handler_is_refused(
        self, mall, seen, action_map, options
    ) -> None:
        """Bad routes, actors or caches raise ConfigurationError when the handler is built."""
        with pytest.raises(ConfigurationError):
            AgencyCallbacks(mall, WebhookVerifier([SECRET], seen=seen), action_map, **options)

    @pytest.mark.parametrize(
        ("kind", "name"), [("actoin", "approve"), ("action", ""), ("event", 7)]
    )
    def test_a_route_of_an_unknown_kind_or_without_a_name_is_refused(self, kind, name) -> None:
        """CallbackRoute checks its kind and name."""
        with pytest.raises(ConfigurationError):
            CallbackRoute(kind, name)

    def test_a_failure_worth_retrying_forgets_the_id(self, mall, seen, catalogue, time) -> None:
        """If the mall fails transiently, the agency's retry of the same id is accepted."""
        application_id, _ = forwarded(mall)
        store = mall.store

        class FlakyMall:
            catalogue = mall.catalogue
            store = mall.store
            application = mall.application
            notify_event = mall.notify_event
            calls = 0

            def act(self, *args: Any, **kw: Any) -> Any:
                FlakyMall.calls += 1
                if FlakyMall.calls == 1:
                    raise StorageUnavailable("the database is restarting")
                return mall.act(*args, **kw)

        verifier = WebhookVerifier([SECRET], seen=seen)
        flaky = AgencyCallbacks(
            FlakyMall(),
            verifier,
            {AGENCY: {"approved": "agency_approve"}},
            seen=seen,
            services={AGENCY: ENDPOINT.services},
        )
        headers, body = signed(approval(application_id))
        with pytest.raises(StorageUnavailable):
            flaky.handle(headers, body, now=START)

        assert flaky.handle(headers, body, now=START).applied
        assert store.summary(application_id).state == "approved"


# --- availability: the relay, the mall and an agency that is down ----------------------


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_mall_accepts_commands_while_an_agency_call_hangs(catalogue, time, tmp_path, kind):
    """While the relay waits on a slow agency, no transaction is open and the mall goes on."""
    path = tmp_path / "mall.db"
    store = MemoryStore() if kind == "memory" else SQLiteStore.open(path, synchronous="NORMAL")
    mall = Mall(catalogue=catalogue, store=store, clock=time, ids=CountingIds())
    in_call, release = threading.Event(), threading.Event()
    writable: list[bool] = []

    def slow(request: httpx.Request) -> httpx.Response:
        if kind == "sqlite":  # another writer gets the database at once: no write is open
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                writable.append(True)
            finally:
                probe.close()
        in_call.set()
        release.wait(10)
        return httpx.Response(202)

    _, message = forwarded(mall)
    try:
        with httpx.Client(transport=httpx.MockTransport(slow)) as client:
            relay = Relay(store, {"agency": gateway(client, mall, time)}, clock=time)
            worker = threading.Thread(target=relay.run_once)
            worker.start()
            try:
                assert in_call.wait(5)
                done: list[str] = []
                # Commands that would wait, or deadlock, if the relay held the store.
                commander = threading.Thread(target=lambda: done.append(forwarded(mall)[0]))
                commander.start()
                commander.join(5)
                assert done, "the mall was blocked by an agency call in flight"
            finally:
                release.set()
                worker.join(10)
        assert relay.positions()["agency"] >= message.position
        assert writable == ([True] if kind == "sqlite" else [])
    finally:
        store.close()


def test_an_agency_down_for_a_while_loses_nothing(mall, client, agency, time) -> None:
    """Commands go on while the agency is down; when it returns, the backlog drains whole."""
    gateway_ = gateway(client, mall, time)
    policy = RetryPolicy(base=1, cap=60, max_attempts=1000, jitter=False)
    relay = Relay(mall.store, {"agency": gateway_}, clock=time, policy=policy)
    expected = [forwarded(mall)[1].id]
    agency.down = True

    for _ in range(20):  # twenty commands in ten minutes of outage
        expected.append(forwarded(mall)[1].id)
        relay.run_once()
        time.advance(30)
    calls_while_down = len(agency.requests)
    assert gateway_.breaker.state is not BreakerState.CLOSED
    assert calls_while_down < 20  # the open circuit spared the agency most calls

    agency.down = False
    for _ in range(100):
        time.advance(60)
        report = relay.run_once()
        if relay.backlog()["agency"] == 0:
            break

    delivered = {
        request.headers["Idempotency-Key"] for request in agency.requests[calls_while_down:]
    }
    assert delivered == set(expected)
    assert len(relay.dead_letters) == 0  # type: ignore[arg-type]
    assert report.halted == ()


# --- one retry policy ---------------------------------------------------------------------


class TestRetryPolicy:
    def test_the_policy_sets_the_requests_and_the_waits(self, mall, client, agency, time) -> None:
        """retry=RetryPolicy(...) decides how many requests a delivery makes and the waits."""
        _, message = forwarded(mall)
        agency.script = [status(503)] * 2  # the breaker opens at the third failure
        waits: list[float] = []
        retry = RetryPolicy(base=2, cap=30, max_attempts=4, jitter=False)

        receipt = gateway(client, mall, time, retry=retry, sleep=waits.append).deliver(message)

        assert (receipt.status, len(agency.requests), waits) == (202, 3, [2.0, 4.0])

    def test_retry_after_in_seconds_is_a_floor(self, mall, client, agency, time) -> None:
        """A Retry-After in seconds longer than the backoff is waited out, under the cap."""
        _, message = forwarded(mall)
        agency.script = [status(429, **{"Retry-After": "7"})]
        waits: list[float] = []
        retry = RetryPolicy(base=1, cap=10, max_attempts=2, jitter=False)

        gateway(client, mall, time, retry=retry, sleep=waits.append).deliver(message)

        assert waits == [7.0]

    def test_a_dated_retry_after_beyond_the_cap_is_left_to_the_relay(
        self, mall, client, agency, time
    ) -> None:
        """An HTTP-date Retry-After further away than the cap ends the delivery, carrying it."""
        _, message = forwarded(mall)
        agency.script = [status(503, **{"Retry-After": "Mon, 14 Jul 2025 02:01:00 GMT"})]
        retry = RetryPolicy(base=1, cap=30, max_attempts=5, jitter=False)

        with pytest.raises(DeliveryFailed) as caught:
            gateway(client, mall, time, retry=retry, clock=time).deliver(message)
        assert (caught.value.retry_after, len(agency.requests)) == (60.0, 1)

    def test_the_gateway_shows_its_policy(self, mall, client, time) -> None:
        """The gateway's retry property is the policy it was given, or the default."""
        retry = RetryPolicy(base=1, cap=5, max_attempts=2, jitter=False)

        assert gateway(client, mall, time, retry=retry).retry is retry
        assert gateway(client, mall, time).retry == RetryPolicy(
            base=0.5, cap=10.0, max_attempts=3, jitter=False
        )

    @pytest.mark.parametrize(
        ("option", "policy"),
        [
            ({"attempts": 2}, RetryPolicy(base=0.5, cap=10.0, max_attempts=2, jitter=False)),
            ({"max_delay": 4}, RetryPolicy(base=0.5, cap=4.0, max_attempts=3, jitter=False)),
        ],
    )
    def test_a_deprecated_option_warns_and_becomes_a_policy(
        self, mall, client, time, option: dict[str, Any], policy: RetryPolicy
    ) -> None:
        """attempts= and max_delay= still work, warning that retry=RetryPolicy replaces them."""
        with pytest.warns(DeprecationWarning, match=r"retry=RetryPolicy\(") as warned:
            built = gateway(client, mall, time, **option)

        assert built.retry == policy
        assert next(iter(option)) in str(warned[0].message)

    def test_a_deprecated_backoff_still_sets_the_waits(self, mall, client, agency, time) -> None:
        """backoff= warns and its waits are still used, capped by max_delay."""
        _, message = forwarded(mall)
        agency.script = [status(503), status(503)]
        waits: list[float] = []

        with pytest.warns(DeprecationWarning, match="backoff"):
            built = gateway(
                client, mall, time, backoff=lambda n: 3.0 * n, max_delay=5, sleep=waits.append
            )
        built.deliver(message)

        assert waits == [3.0, 5.0]

    @pytest.mark.parametrize("option", [{"attempts": 2}, {"max_delay": 4.0}, {"backoff": abs}])
    def test_a_policy_and_a_deprecated_option_are_refused_together(
        self, mall, client, time, option: dict[str, Any]
    ) -> None:
        """Giving retry= and a deprecated option is a ConfigurationError naming both."""
        with pytest.raises(ConfigurationError, match="not both") as caught:
            gateway(client, mall, time, retry=RetryPolicy(max_attempts=2), **option)
        assert next(iter(option)) in str(caught.value)
