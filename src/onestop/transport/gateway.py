"""The agency gateway: forward an application to an agency's back office over HTTP.

When a workflow transition requests the ``forward_to_agency`` effect, the relay hands
its notification to every transport; the `AgencyGateway` of the agency concerned
loads the application and POSTs a small JSON envelope to the agency.  The gateway
is called by the relay, **after** the command's store transaction has committed and
outside any other: an agency that is down or slow delays only its own deliveries,
never the mall's commands (`onestop.transport.relay`).

What goes to the agency is an explicit choice, made per agency in `AgencyEndpoint`.
The agency is a legitimate recipient of personal data, but only of what it needs:

* always: the envelope's ``type`` (`ENVELOPE_VERSION`), the message id, the
  application's id and number, the service code and version, the providing agency,
  the receiving agency (``to``), the state, the action that forwarded it, when it was
  received and when it was forwarded;
* ``answers``: only the form fields named in `AgencyEndpoint.answers` (none unless
  named); a field the application did not answer is left out, and every one once
  its personal data is erased;
* ``documents``: references (requirement, evidence type, SHA-256, media type, size)
  of the documents for the requirements named in `AgencyEndpoint.documents`; never
  their bytes, which the agency fetches from the document store by hash;
* never: the applicant and representative records, notes, the lookup secret's digest.

For example (``answers=("business_name",)``, ``documents=("ktp",)``)::

    {"type": "onestop.agency-forward.v1", "message_id": "app-1:2",
     "application_id": "app-1", "number": "dpmptsp/izin-usaha/2025/000001",
     "service": {"code": "izin-usaha", "version": 1}, "agency": "dpmptsp",
     "to": "dinas-teknis", "state": "at_agency", "action": "forward",
     "received": "2025-07-14T09:00:00+07:00", "forwarded_at": "2025-07-14T02:05:00Z",
     "answers": {"business_name": "Warung Sederhana"},
     "documents": [{"requirement": "ktp", "evidence_type": "ktp-el",
                    "sha256": "9f86...", "media_type": "image/jpeg", "size": 25}]}

The envelope is never logged; log events carry the message id, the agency's code and
the HTTP status only.

Every request:

* has a timeout, the gateway's own (``timeout=``), whatever the injected client's;
* carries ``Idempotency-Key: <message id>`` (draft-ietf-httpapi-idempotency-key-header):
  the POST is retried **only because it is keyed**, so the agency can drop a copy it
  has processed.  `may_retry` states the rule: idempotent methods, or a key;
* is retried as its `onestop.transport.relay.RetryPolicy` (``retry=``) allows, on
  timeouts, connection errors, 3xx (redirects are not followed), 408, 409 (the same
  key still in flight), 425, 429 and 5xx, after the policy's backoff or the agency's
  ``Retry-After`` when that is within the policy's cap; then
  `onestop.exceptions.DeliveryFailed` (or `onestop.exceptions.DeliveryTimeout`) tells
  the relay to try again later, on its own schedule;
* 401, 403, 404, 405 and 410 say the endpoint is misconfigured (credentials, URL):
  `onestop.exceptions.EndpointDisabled` makes the relay halt this gateway and keep its
  backlog, whole, until `onestop.transport.relay.Relay.resume`; any other 4xx is a
  `onestop.exceptions.DeliveryRejected` (the agency refuses this envelope for good),
  which the relay keeps as a dead letter;
* passes the agency's `onestop.transport.breaker.CircuitBreaker` first: after
  repeated failures calls fail fast with `onestop.exceptions.CircuitOpen`, without a
  network call, until a probe succeeds.

The client is injected, as an ``httpx.Client`` or an ``httpx2.Client`` (the same API;
`HttpClient` is the small part of it used here), built by the host with its TLS
trust, proxies and limits.  Errors are recognised by their class in either library.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.applications.forms import Answer, DocumentRef
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_type, seconds_problem
from onestop.exceptions import (
    CircuitOpen,
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    EndpointDisabled,
    InvalidValue,
)
from onestop.ports.events import Clock
from onestop.transport._gateway_checks import (
    check_endpoint,
    check_retry,
    check_wiring,
    codes,
    frozen_headers,
    goes_to,
    url_repr,
)
from onestop.transport._http import HttpClient, HttpResponse, refusal, send
from onestop.transport._retry import RetryPolicy, retrying
from onestop.transport.base import OutboundMessage, Receipt, check_message
from onestop.transport.breaker import CircuitBreaker

__all__ = [
    "AgencyEndpoint",
    "AgencyGateway",
    "ApplicationSource",
    "envelope",
    "ENVELOPE_VERSION",
    "FORWARD_EFFECT",
    "HttpClient",
    "HttpResponse",
    "may_retry",
]

ENVELOPE_VERSION: Final = "onestop.agency-forward.v1"
"""The ``type`` of the JSON envelope the gateway sends."""

FORWARD_EFFECT: Final = "forward_to_agency"
"""The workflow effect that makes the gateway forward an application."""

_IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Answers worth another attempt that say nothing about the agency's health: the same
# key is still being processed (409), or the agency wants the request later (425).
_IN_FLIGHT_STATUSES: Final = frozenset({409, 425})
# Answers that say the endpoint itself is wrong (credentials, URL), not this message:
# the relay halts the gateway and keeps its backlog until an operator resumes it.
_HALTING_STATUSES: Final = frozenset({401, 403, 404, 405, 410})
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class ApplicationSource(Protocol):
    """Where the gateway reads the application it forwards: `onestop.usecases.mall.Mall` is one."""

    def application(self, application_id: str, /) -> Application:
        """Return the application's current state."""
        ...


def _pairs(headers: Mapping[str, str]) -> list[tuple[object, object]]:
    """The items of *headers*, typed as what a caller may really have passed."""
    return list(headers.items())


def may_retry(method: str, headers: Mapping[str, str], /) -> bool:
    """Tell whether a request may be sent again after a failure that left its fate unknown.

    Idempotent methods may (RFC 9110, section 9.2.2), and so may any request that carries
    an ``Idempotency-Key``: the receiver recognises the copy.  A POST without one may not.

    >>> may_retry("GET", {}), may_retry("POST", {}), may_retry("POST", {"Idempotency-Key": "k"})
    (True, False, True)
    """
    if method.upper() in _IDEMPOTENT_METHODS:
        return True
    return any(
        name.lower() == "idempotency-key" and bool(value)
        for name, value in _pairs(headers)
        if isinstance(name, str)  # a Mapping given at run time may hold other keys
    )


@attrs.frozen(kw_only=True)
class AgencyEndpoint:
    """An agency's back office: where to send, how to authenticate, and what to send.

    Attributes:
        code: The agency's code, as in the catalogue.
        base_url: The back office's base URL (``https://api.agency.example/v1``).
        path: The path the envelope is POSTed to, under `base_url`.
        token: A bearer token, sent as ``Authorization: Bearer ...``; never shown.
        headers: Further headers for every request (an API key); never shown.
        services: The codes of the services whose forwards go to this agency; when
            empty, the services provided by the agency `code` itself.
        answers: The names of the form fields the agency receives; none by default.
        documents: The requirement codes whose document references it receives.

    Raises:
        onestop.exceptions.ConfigurationError: If the code is not a catalogue code,
            the URL is not an ``https://`` (or ``http://``) URL of visible ASCII, or
            the token or a header holds anything but visible ASCII (a line break
            would let it write another header).

    .. versionadded:: 0.1.0
    """

    code: str
    base_url: str = attrs.field(repr=url_repr)
    path: str = "applications"
    token: str | None = attrs.field(default=None, repr=False)
    headers: Mapping[str, str] = attrs.field(
        default=_NO_HEADERS, converter=frozen_headers, repr=False
    )
    services: tuple[str, ...] = attrs.field(default=(), converter=codes)
    answers: tuple[str, ...] = attrs.field(default=(), converter=codes)
    documents: tuple[str, ...] = attrs.field(default=(), converter=codes)

    def __attrs_post_init__(self) -> None:
        """Check the code, the URL and what goes into the request's headers."""
        try:
            check_endpoint(self)
        except InvalidValue as exc:
            raise ConfigurationError(f"AgencyEndpoint.{exc}") from None

    @property
    def url(self) -> str:
        """The full URL the envelope is POSTed to.

        `path` is joined to the base URL's path, and the base URL's query (a key, say)
        is kept after it.
        """
        parts = urlsplit(self.base_url)
        joined = f"{parts.path.rstrip('/')}/{self.path.lstrip('/')}"
        return urlunsplit(parts._replace(path=joined, fragment=""))

    def serves(self, service: str, agency: str) -> bool:
        """Tell whether forwards of *service*, provided by *agency*, go to this agency."""
        return goes_to(self.code, self.services, service=service, agency=agency)


def _answer(value: Answer) -> object:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime is not an answer type, so this is a date
        return value.isoformat()
    if isinstance(value, DocumentRef):
        return _document(value)
    return list(value)


def _document(value: DocumentRef) -> dict[str, object]:
    return {
        "requirement": value.requirement,
        "evidence_type": value.evidence_type,
        "sha256": value.sha256,
        "media_type": value.media_type,
        "size": value.size,
    }


def envelope(
    application: Application,
    endpoint: AgencyEndpoint,
    /,
    *,
    message_id: str,
    action: str | None,
    forwarded_at: datetime | str | None = None,
) -> dict[str, Any]:
    """Return the JSON envelope that forwards *application* to *endpoint*'s agency.

    Only the answers and document references the endpoint names are included (no answer
    once the application's personal data is erased); the module's docstring lists every
    field.

    Args:
        application: The application, as loaded when forwarding.
        endpoint: The agency it goes to.
        message_id: The delivery's stable id (also the ``Idempotency-Key``).
        action: The workflow action that requested the forward, if known.
        forwarded_at: When the forwarding action was recorded (a datetime, or the
            ISO 8601 text of the notification), if known.
    """
    check_type(application, Application, field="application")
    check_type(endpoint, AgencyEndpoint, field="endpoint")
    # Once erased, none: a process may still hold the answers opened (its copy folded,
    # or the subject's key cached, before another process recorded the erasure).
    answers = {
        name: _answer(application.answers[name])
        for name in endpoint.answers
        if name in application.answers and application.erased is None
    }
    documents = [
        _document(application.documents[code])
        for code in endpoint.documents
        if code in application.documents
    ]
    at = forwarded_at.isoformat() if isinstance(forwarded_at, datetime) else forwarded_at
    return {
        "type": ENVELOPE_VERSION,
        "message_id": message_id,
        "application_id": application.id,
        "number": application.number,
        "service": {"code": application.service, "version": application.service_version},
        "agency": application.agency,
        "to": endpoint.code,
        "state": application.state,
        "action": action,
        "received": application.received.isoformat(),
        "forwarded_at": at,
        "answers": answers,
        "documents": documents,
    }


_ONCE: Final = RetryPolicy(max_attempts=1)
"""The policy of a request that may not be sent twice (no ``Idempotency-Key``)."""


class AgencyGateway:
    """A `onestop.transport.base.Transport` that forwards applications to one agency.

    `deliver` forwards the messages of ``forward_to_agency`` effects for applications
    this agency serves (`AgencyEndpoint.serves`) and returns a receipt without any call
    for every other message, so one relay can feed many gateways.

    Args:
        client: The HTTP client (``httpx.Client`` or ``httpx2.Client``).
        agency: The agency's endpoint and what it receives.
        applications: Where the application is loaded from (the `onestop.usecases.mall.Mall`).
        timeout: Seconds allowed for each request, whatever the client's default.
        breaker: The agency's circuit breaker; by default a new one named after it.
        retry: When a delivery's request is sent again
            (`onestop.transport.relay.RetryPolicy`, decided by its ``next_wait``):
            `RetryPolicy.max_attempts` requests at most, the first included; a
            ``Retry-After`` longer than its ``cap`` ends the delivery with
            `onestop.exceptions.DeliveryFailed`, and the relay tries again later.  By
            default ``RetryPolicy(base=0.5, cap=10.0, max_attempts=3, jitter=False)``.
        attempts: Deprecated since 0.2.0, use *retry* (its ``max_attempts``).
        max_delay: Deprecated since 0.2.0, use *retry* (its ``cap``).
        backoff: Deprecated since 0.2.0, use *retry* (its ``base``).
        sleep: How to wait (``time.sleep``); tests pass a fake.
        effect: The effect that triggers a forward.
        clock: The time a ``Retry-After`` given as an HTTP date is counted from (the
            system's UTC clock if ``None``).

    Raises:
        onestop.exceptions.ConfigurationError: If *timeout* or *max_delay* is not a
            number of seconds above 0 (and at most
            `onestop.domain.common.kinds.MAX_SECONDS`), *attempts* is not an integer from 1
            to 100, *retry* is not a `RetryPolicy` with ``max_attempts``, or is given with
            a deprecated option, *agency* is not an `AgencyEndpoint`, *breaker* not a
            `onestop.transport.breaker.CircuitBreaker`, *backoff* or *sleep* not a
            function, *effect* not short text, or *clock* has no ``now`` method.

    Warns:
        DeprecationWarning: If *attempts*, *max_delay* or *backoff* is given.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0
       *retry* replaces *attempts*, *max_delay* and *backoff*, deprecated.
    """

    def __init__(
        self,
        client: HttpClient,
        agency: AgencyEndpoint,
        *,
        applications: ApplicationSource,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        attempts: int | None = None,
        max_delay: float | None = None,
        backoff: Callable[[int], float] | None = None,
        effect: str = FORWARD_EFFECT,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(agency, AgencyEndpoint):
            raise ConfigurationError(f"agency must be an AgencyEndpoint, not {kind_of(agency)}")
        check_wiring(
            applications=applications,
            breaker=breaker,
            effect=effect,
            clock=clock,
        )
        problem = seconds_problem(timeout, positive=True)
        if problem is not None:
            raise ConfigurationError(f"an agency gateway's timeout {problem}")
        policy = check_retry(
            retry, sleep=sleep, attempts=attempts, max_delay=max_delay, backoff=backoff
        )
        self._client = client
        self._agency = agency
        self._applications = applications
        self._timeout = float(timeout)
        self._breaker = breaker if breaker is not None else CircuitBreaker(agency.code)
        self._retry = policy
        self._sleep = sleep
        self._effect = effect
        self._clock = clock
        self.name = f"agency:{agency.code}"

    def __repr__(self) -> str:
        """Show the agency and the breaker, never the token."""
        return f"<AgencyGateway {self._agency.code!r} {self._breaker!r}>"

    @property
    def agency(self) -> AgencyEndpoint:
        """The agency's endpoint."""
        return self._agency

    @property
    def breaker(self) -> CircuitBreaker:
        """The agency's circuit breaker."""
        return self._breaker

    @property
    def retry(self) -> RetryPolicy:
        """When a delivery's request is sent again."""
        return self._retry

    def wants(self, message: OutboundMessage, /) -> bool:
        """Tell whether *message* is a forward to this agency.

        Raises:
            onestop.exceptions.InvalidValue: If *message* is not an `OutboundMessage`.
        """
        return self._wants(_notice(check_message(message)))

    def _wants(self, notice: Mapping[str, object]) -> bool:
        effects = notice.get("effects")
        return (
            isinstance(effects, list)
            and self._effect in effects
            and self._agency.serves(str(notice.get("service")), str(notice.get("agency")))
        )

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        """Forward the application of *message* if it is for this agency; see the class.

        Raises:
            onestop.exceptions.CircuitOpen: If the agency's circuit is open; no call
                was made.
            onestop.exceptions.DeliveryTimeout: If the last attempt timed out.
            onestop.exceptions.DeliveryFailed: If the last attempt failed otherwise.
            onestop.exceptions.DeliveryRejected: If the agency refused the envelope (4xx).
            onestop.exceptions.EndpointDisabled: If the agency refused the endpoint's
                credentials or URL (401, 403, 404, 405, 410).
            onestop.exceptions.InvalidValue: If *message* is not an `OutboundMessage`.
        """
        notice = _notice(check_message(message))
        if not self._wants(notice):
            return Receipt(message_id=message.id, transport=self.name)
        application = self._applications.application(message.stream_id)
        action, at = notice.get("action"), notice.get("at")
        body = envelope(
            application,
            self._agency,
            message_id=message.id,
            action=action if isinstance(action, str) else None,
            forwarded_at=at if isinstance(at, str) else message.recorded_at,
        )
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return self._post(message.id, content)

    def _headers(self, message_id: str) -> dict[str, str]:
        headers = dict(self._agency.headers)
        if self._agency.token is not None:
            headers["Authorization"] = f"Bearer {self._agency.token}"
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = message_id
        return headers

    def _post(self, message_id: str, content: bytes) -> Receipt:
        headers = self._headers(message_id)
        return retrying(
            lambda: self._attempt(message_id, content, headers),
            policy=self._retry if may_retry("POST", headers) else _ONCE,
            sleep=self._sleep,
            message_id=message_id,
            transport=self.name,
        )

    def _attempt(
        self, message_id: str, content: bytes, headers: Mapping[str, str]
    ) -> Receipt | DeliveryFailed:
        """Make one request; return a receipt, or the failure worth another attempt."""
        code = self._agency.code
        try:
            self._breaker.before_call()
        except CircuitOpen as exc:
            raise CircuitOpen(
                upstream=exc.upstream, retry_after=exc.retry_after or 0.0, message_id=message_id
            ) from None
        try:
            response = send(
                self._client,
                self._agency.url,
                content=content,
                headers=headers,
                timeout=self._timeout,
                message_id=message_id,
                destination=code,
            )
        except Exception as exc:
            self._breaker.record_failure()
            if isinstance(exc, DeliveryFailed):
                return exc
            raise
        status = response.status_code
        if 200 <= status < 300:
            self._breaker.record_success()
            return Receipt(message_id=message_id, transport=self.name, status=status)
        error = refusal(
            response,
            message_id=message_id,
            destination=code,
            now=self._clock.now() if self._clock is not None else datetime.now(UTC),
            transient=_IN_FLIGHT_STATUSES,
        )
        # The agency answered: it is up, unless the answer says otherwise (3xx, 408, 429, 5xx).
        if isinstance(error, DeliveryRejected) or status in _IN_FLIGHT_STATUSES:
            self._breaker.record_success()
        else:
            self._breaker.record_failure()
        if status in _HALTING_STATUSES:
            raise EndpointDisabled(
                destination=code, reason=f"HTTP {status}: check the agency's URL and credentials"
            )
        if isinstance(error, DeliveryRejected):
            raise error
        return error


def _notice(message: OutboundMessage) -> dict[str, object]:
    try:
        notice = json.loads(message.body)
    except ValueError:
        return {}
    return notice if isinstance(notice, dict) else {}
