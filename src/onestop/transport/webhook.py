"""Signed webhooks over an injected HTTP client (extra ``onestop[http]``).

`WebhookTransport` POSTs each message as a thin JSON body signed with Standard
Webhooks headers (`onestop.transport.signing.WebhookSigner`), through an
``httpx.Client`` or ``httpx2.Client`` the host application builds and owns (it
carries proxies, TLS settings and limits).  This module imports neither: any object
whose ``post`` takes the same arguments will do.

The rules, after the Standard Webhooks specification:

* only a 2xx answer is a delivery; redirects are **not** followed (a 3xx is a failure);
* ``410 Gone`` disables the endpoint for good (`onestop.exceptions.EndpointDisabled`);
* 408, 429, 3xx and 5xx answers, timeouts and connection errors are transient
  (`onestop.exceptions.DeliveryFailed`, with ``Retry-After`` in seconds or as an
  HTTP date); any other 4xx is a refusal (`onestop.exceptions.DeliveryRejected`);
* a transient failure is tried again within the delivery only as the transport's
  `onestop.transport.relay.RetryPolicy` (``retry=``) allows; by default it is not, and
  the relay tries the message again later (the ``webhook-id`` lets the receiver drop
  a copy, so either is safe);
* an endpoint that fails *failure_limit* times in a row, over at least
  *failure_window*, is disabled;
* an endpoint whose host resolves to a loopback, private, link-local, shared,
  reserved, multicast or unspecified address is refused
  (`onestop.exceptions.EndpointNotAllowed`) unless it allows private addresses.  The
  host is resolved at every delivery, every address is checked, and the request is
  sent to the address checked (with the original ``Host`` header and TLS server
  name), so a DNS answer that changes in between cannot redirect it.

>>> endpoint = WebhookEndpoint("https://agency.example/hooks",
...                            secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
>>> endpoint
WebhookEndpoint(url='https://agency.example/hooks', allow_private=False)
>>> is_public_address("169.254.169.254"), is_public_address("::ffff:10.0.0.1")
(False, False)
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from string import Formatter
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

import attrs

from onestop.domain.common.formats import MAX_NAME, int_problem, kind_of, text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import (
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    EndpointDisabled,
    EndpointNotAllowed,
    InvalidWebhookInput,
)
from onestop.ports.events import Clock
from onestop.transport._gateway_checks import url_repr
from onestop.transport._http import HttpClient, HttpResponse, parse_retry_after, refusal, send
from onestop.transport._retry import RetryPolicy, in_delivery, retrying
from onestop.transport.addresses import (
    Resolver,
    is_public_address,
    literal_address,
    resolve_host,
)
from onestop.transport.base import OutboundMessage, Receipt, check_message, get_logger
from onestop.transport.signing import WebhookSigner

__all__ = [
    "HttpClient",
    "HttpResponse",
    "Resolver",
    "WebhookEndpoint",
    "WebhookTransport",
    "is_public_address",
    "parse_retry_after",
    "resolve_host",
]

_MAX_URL = 8192
_MAX_FAILURE_LIMIT = 10**6


def _check_url(url: object) -> SplitResult:
    if not isinstance(url, str) or not 1 <= len(url) <= _MAX_URL:
        raise InvalidWebhookInput(
            argument="url", reason=f"must be text of 1 to {_MAX_URL} characters"
        )
    if any(char.isspace() or not char.isprintable() for char in url):
        raise InvalidWebhookInput(argument="url", reason="the URL holds spaces or controls")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise InvalidWebhookInput(argument="url", reason="not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookInput(argument="url", reason="the scheme must be https or http")
    if not parts.hostname:
        raise InvalidWebhookInput(argument="url", reason="the URL has no host")
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise InvalidWebhookInput(argument="url", reason="the host is not a valid name") from None
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookInput(
            argument="url", reason="credentials in the URL are not allowed; sign, or use headers"
        )
    if parts.fragment:
        raise InvalidWebhookInput(argument="url", reason="the URL must not have a fragment")
    return parts


def _as_tuple(value: Sequence[str]) -> tuple[str, ...]:
    # A lone string stays a string, so that WebhookSigner refuses it with a clear message.
    return value if isinstance(value, str) else tuple(value)  # type: ignore[return-value]


@attrs.frozen
class WebhookEndpoint:
    """Where webhooks go, and the secrets they are signed with.

    Attributes:
        url: The ``https://`` (or ``http://``) URL; no credentials, no fragment.
            It may hold a token in its query: it is never logged, only its host.
        secrets: The active ``whsec_...`` secrets; give two while rotating.
        allow_private: Allow hosts on loopback, private and link-local addresses
            (a receiver in the same network, a test server on 127.0.0.1).

    Raises:
        onestop.exceptions.InvalidWebhookInput: If the URL or a secret is not usable.
        onestop.exceptions.EndpointNotAllowed: If the host is an IP address that is
            not public and *allow_private* is false.

    .. versionadded:: 0.1.0
    """

    url: str = attrs.field(repr=url_repr)  # a token in its query is never shown
    secrets: tuple[str, ...] = attrs.field(kw_only=True, converter=_as_tuple, repr=False)
    allow_private: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        """Check the URL and secrets, and refuse a non-public IP given as the host."""
        _check_url(self.url)
        WebhookSigner(self.secrets)  # raises InvalidWebhookInput for a bad secret
        literal = literal_address(self.host)
        if literal is not None and not self.allow_private and not is_public_address(literal):
            raise EndpointNotAllowed(destination=self.host, address=str(literal))

    @property
    def host(self) -> str:
        """The URL's host, lower-cased, without brackets."""
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        """The URL's port, or the scheme's default."""
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)


_PINNED_HOSTS: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
_PINNED_LOCK = threading.Lock()


def _claim(client: object, host: str) -> None:
    """Refuse *client* for *host* if it already carries pinned requests to another host.

    A pinned request goes to an address, and an ``httpx`` pool keys its connections by
    the URL's scheme, address and port, not by the TLS server name: a connection
    verified for one host would serve a request for another host at the same address
    without checking that host's certificate.  So one client pins for one host only.
    A client that cannot be weakly referenced (a look-alike) is not checked.
    """
    with _PINNED_LOCK:
        try:
            claimed = _PINNED_HOSTS.setdefault(client, host)
        except TypeError:
            return
    if claimed != host:
        raise ConfigurationError(
            f"this client already sends pinned webhooks to {claimed}: give the endpoint for"
            f" {host} a client of its own (an httpx pool keys its connections by address,"
            " so one shared across hosts would reuse a TLS connection verified for another)"
        )


def _no_constant(name: str) -> NoReturn:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity``: JSON has no such values."""
    raise ValueError(f"{name} is not JSON")


def _check_settings(
    *,
    timeout: object,
    failure_limit: object,
    failure_window: object,
    links: object,
    name: object,
) -> None:
    """Refuse `WebhookTransport` settings of the wrong kind with `ConfigurationError`."""
    problem = seconds_problem(timeout, positive=True)
    if problem is not None:
        raise ConfigurationError(f"timeout {problem}")
    problem = int_problem(failure_limit, minimum=1, maximum=_MAX_FAILURE_LIMIT)
    if problem is not None:
        raise ConfigurationError(f"failure_limit {problem}")
    if not isinstance(failure_window, timedelta):
        raise ConfigurationError("failure_window must be a timedelta")
    if links is not None and not (
        isinstance(links, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in links.items())
    ):
        raise ConfigurationError("links must map names to URL templates, all text")
    for template in (links or {}).values():
        _check_template(template)
    problem = None if name is None else text_problem(name, max_length=MAX_NAME)
    if problem is not None:
        raise ConfigurationError(f"name {problem}")


_LINK_FIELDS = frozenset({"stream_id", "version", "id"})


def _check_template(template: str) -> None:
    """Refuse a link template that `str.format_map` cannot fill from a message's ids."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:  # a lone brace
        parts = [("", "?", "", None)]
    if any(
        field is not None and (field not in _LINK_FIELDS or spec or conversion)
        for _, field, spec, conversion in parts
    ):
        raise ConfigurationError(
            "a link template may hold only {stream_id}, {version} and {id}, without"
            " formats, conversions, attributes or indexes, and no lone brace"
        )


class WebhookTransport:
    """A `onestop.transport.base.Transport` that POSTs signed, thin JSON webhooks.

    The body is ``{"data": ..., "id": ..., "links": ..., "timestamp": ...,
    "type": ...}``: the message's id, its event kind as ``type``, when it was
    recorded, the notification's thin body (ids, number, service, agency, state,
    action; never personal data) and, if given, links built from *links*.

    Args:
        client: An ``httpx.Client`` or ``httpx2.Client`` (or a look-alike), owned by
            the caller.
        endpoint: Where to send, and the secrets to sign with.
        timeout: Seconds allowed for each phase of a request (connect, write, read).
        name: The transport's name (``webhook:<host>`` if ``None``).
        clock: The time for ``webhook-timestamp`` and failure windows (the system's
            UTC clock if ``None``).
        resolver: Resolves the endpoint's host (`resolve_host` if ``None``).
        failure_limit: Consecutive failures after which the endpoint is disabled...
        failure_window: ...if they span at least this long.
        links: Link names and URL templates with ``{stream_id}``, ``{version}`` and
            ``{id}``, e.g. ``{"status": "https://mall.example/a/{stream_id}"}``.
        retry: When a transient failure is tried again within the delivery, re-signed
            (`onestop.transport.relay.RetryPolicy`, decided by its ``next_wait``; a
            ``Retry-After`` beyond its cap is left to the relay).  ``None``, the
            default, sends once: the relay tries again later.  New in 0.2.0.
        sleep: How to wait between those attempts (``time.sleep``); tests pass a fake.
            New in 0.2.0.

    Raises:
        onestop.exceptions.ConfigurationError: If *timeout* is not a number of
            seconds above 0 (and at most `onestop.domain.common.kinds.MAX_SECONDS`),
            *failure_limit* is not an integer from 1 to 1,000,000, *failure_window* is
            not a `timedelta`, *links* is not a mapping of text to templates that
            name only ``{stream_id}``, ``{version}`` and ``{id}``, *name* is not
            text of at most 200 characters without control characters, *retry* is not
            a `RetryPolicy` with ``max_attempts``, or *sleep* is not a function.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        client: HttpClient,
        endpoint: WebhookEndpoint,
        *,
        timeout: float = 15.0,
        name: str | None = None,
        clock: Clock | None = None,
        resolver: Resolver | None = None,
        failure_limit: int = 50,
        failure_window: timedelta = timedelta(days=3),
        links: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(endpoint, WebhookEndpoint):
            raise ConfigurationError(f"endpoint must be a WebhookEndpoint, not {kind_of(endpoint)}")
        _check_settings(
            timeout=timeout,
            failure_limit=failure_limit,
            failure_window=failure_window,
            links=links,
            name=name,
        )
        self._retry = in_delivery(retry, sleep=sleep)
        if not endpoint.allow_private:
            _claim(client, endpoint.host)
        self.name = name if name is not None else f"webhook:{endpoint.host}"
        self._client = client
        self._endpoint = endpoint
        self._signer = WebhookSigner(endpoint.secrets)
        self._timeout = timeout
        self._clock = clock
        self._resolver: Resolver = resolver if resolver is not None else resolve_host
        self._failure_limit = failure_limit
        self._failure_window = failure_window
        self._links = dict(links or {})
        self._sleep = sleep
        self._lock = threading.Lock()
        self._failures = 0
        self._failing_since: datetime | None = None
        self._disabled: str | None = None

    def __repr__(self) -> str:
        """Show the name and state, never the URL's path or the secrets."""
        state = f" disabled ({self._disabled})" if self._disabled else ""
        return f"<WebhookTransport {self.name!r}{state}>"

    @property
    def endpoint(self) -> WebhookEndpoint:
        """Where this transport sends."""
        return self._endpoint

    @property
    def disabled(self) -> str | None:
        """Why the endpoint is disabled, or ``None`` while it takes deliveries."""
        return self._disabled

    def enable(self) -> None:
        """Take deliveries again, with a clean failure count (after the receiver is fixed)."""
        with self._lock:
            self._disabled = None
            self._failures, self._failing_since = 0, None

    def _check_enabled(self) -> None:
        if self._disabled is not None:
            raise EndpointDisabled(destination=self._endpoint.host, reason=self._disabled)

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        """POST *message*, signed; see `onestop.transport.base.Transport.deliver`.

        Raises:
            onestop.exceptions.InvalidValue: If *message* is not an `OutboundMessage`.
        """
        check_message(message)
        self._check_enabled()
        body = self._payload(message)
        return retrying(
            lambda: self._attempt(message, body),
            policy=self._retry,
            sleep=self._sleep,
            message_id=message.id,
            transport=self.name,
        )

    def _attempt(self, message: OutboundMessage, body: bytes) -> Receipt | DeliveryFailed:
        """Sign and POST *body* once; return a receipt, or the failure worth another attempt."""
        self._check_enabled()
        host = self._endpoint.host
        now = self._now()
        try:
            signature = self._signer.headers(message.id, body, timestamp=now)
        except InvalidWebhookInput as exc:
            raise DeliveryRejected(
                message_id=message.id, destination=host, reason=f"cannot be signed: {exc.reason}"
            ) from exc
        try:
            url, headers, extensions = self._target(message)
            headers.update(signature)
            response = send(
                self._client,
                url,
                content=body,
                headers=headers,
                timeout=self._timeout,
                extensions=extensions,
                message_id=message.id,
                destination=host,
            )
            status = response.status_code
            if 200 <= status < 300:
                self._succeeded()
                return Receipt(message_id=message.id, transport=self.name, status=status)
            if status == 410:
                self._disable("gone", status=status, message="the receiver answered 410 Gone")
            raise refusal(response, message_id=message.id, destination=host, now=now)
        except (DeliveryFailed, DeliveryRejected) as exc:
            self._failed(exc)
            if isinstance(exc, DeliveryRejected):
                raise
            return exc

    def _target(self, message: OutboundMessage) -> tuple[str, dict[str, str], dict[str, Any]]:
        """Return the URL to POST to, pinned to a checked address, with headers to match."""
        headers = {"content-type": "application/json", "user-agent": "onestop-webhooks"}
        endpoint = self._endpoint
        if endpoint.allow_private:
            return endpoint.url, headers, {}
        host, port = endpoint.host, endpoint.port
        literal = literal_address(host)
        if literal is not None:
            addresses: Sequence[str] = [str(literal)]
        else:
            try:
                addresses = self._resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise DeliveryFailed(
                    message_id=message.id, destination=host, reason="the host name did not resolve"
                ) from exc
        if not addresses:
            raise DeliveryFailed(
                message_id=message.id, destination=host, reason="the host name has no address"
            )
        for address in addresses:
            try:
                public = is_public_address(address)
            except ValueError:  # a resolver's answer that is not an address at all
                public = False
            if not public:
                raise EndpointNotAllowed(destination=host, address=address)
        if literal is not None:
            return endpoint.url, headers, {}
        parts = urlsplit(endpoint.url)
        pinned = ipaddress.ip_address(addresses[0].partition("%")[0])
        netloc = f"[{pinned}]" if pinned.version == 6 else str(pinned)
        name = host.encode("idna").decode("ascii")  # checked when the endpoint was made
        headers["host"] = name
        if parts.port is not None:
            netloc += f":{parts.port}"
            headers["host"] += f":{parts.port}"
        extensions = {"sni_hostname": name} if parts.scheme == "https" else {}
        return parts._replace(netloc=netloc).geturl(), headers, extensions

    def _payload(self, message: OutboundMessage) -> bytes:
        try:
            data = json.loads(message.body, parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise DeliveryRejected(
                message_id=message.id,
                destination=self._endpoint.host,
                reason="the message body is not JSON",
            ) from exc
        envelope: dict[str, Any] = {
            "data": data,
            "id": message.id,
            "timestamp": message.recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "type": message.kind,
        }
        if self._links:
            fields = {"stream_id": message.stream_id, "version": message.version, "id": message.id}
            envelope["links"] = {
                name: template.format_map(fields) for name, template in self._links.items()
            }
        try:
            return json.dumps(
                envelope, separators=(",", ":"), sort_keys=True, allow_nan=False
            ).encode()
        except (ValueError, RecursionError) as exc:  # NaN or Infinity from a float; too deep
            raise DeliveryRejected(
                message_id=message.id,
                destination=self._endpoint.host,
                reason="the message body is not JSON",
            ) from exc

    def _succeeded(self) -> None:
        with self._lock:
            self._failures, self._failing_since = 0, None

    def _failed(self, exc: DeliveryFailed | DeliveryRejected) -> None:
        now = self._now()
        with self._lock:
            self._failures += 1
            if self._failing_since is None:
                self._failing_since = now
            failures, since = self._failures, self._failing_since
        if failures >= self._failure_limit and now - since >= self._failure_window:
            self._disable(
                "failing",
                status=exc.status,
                message=f"{failures} failures in a row since {since.isoformat()}",
                cause=exc,
            )

    def _disable(
        self,
        reason: str,
        *,
        status: int | None,
        message: str,
        cause: BaseException | None = None,
    ) -> NoReturn:
        with self._lock:
            self._disabled = message
            failures = self._failures
        get_logger().error(
            "onestop.endpoint.disabled",
            destination=self._endpoint.host,
            transport=self.name,
            reason=reason,
            failures=failures,
            status=status,
        )
        raise EndpointDisabled(destination=self._endpoint.host, reason=message) from cause
