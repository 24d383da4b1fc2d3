"""Errors of transports: signing, delivering and accepting messages."""

from __future__ import annotations

from typing import Literal

from onestop.exceptions._base import OnestopError, TransientError, _shown


class TransportError(OnestopError):
    """A message could not be signed, delivered or accepted by a transport."""


class InvalidWebhookInput(TransportError, ValueError):
    """A webhook signer, verifier or replay cache was given something it cannot use.

    The message never quotes a secret.

    Attributes:
        argument: The argument at fault, e.g. ``secrets[1]``, ``message_id``.
        reason: What is wrong with it.
    """

    def __init__(self, *, argument: str, reason: str) -> None:
        self.argument = argument
        self.reason = reason
        super().__init__(f"{argument}: {reason}")


#: Why `WebhookVerificationError` refused a webhook.
WebhookRefusal = Literal[
    "missing_header",
    "malformed_header",
    "expired",
    "future",
    "replayed",
    "bad_signature",
    "unknown_version",
]


_WEBHOOK_REFUSALS: dict[str, str] = {
    "missing_header": "the {header} header is missing or empty",
    "malformed_header": "the {header} header is malformed or given twice",
    "expired": "the {header} is older than the tolerance allows",
    "future": "the {header} lies further ahead than the tolerance allows",
    "replayed": "this {header} was already accepted",
    "bad_signature": "no v1 signature in {header} matches any secret",
    "unknown_version": "the {header} header holds no v1 signature",
}


class WebhookVerificationError(TransportError, ValueError):
    """An incoming webhook was refused; answer it with a 4xx status.

    The message names the reason and the header concerned, and never quotes a
    header's value, the body or a secret.

    Attributes:
        reason: Why: ``missing_header``, ``malformed_header``, ``expired``,
            ``future``, ``replayed``, ``bad_signature`` or ``unknown_version``.
        header: The header concerned: ``webhook-id``, ``webhook-timestamp`` or
            ``webhook-signature``.
    """

    def __init__(self, reason: WebhookRefusal, *, header: str) -> None:
        self.reason: WebhookRefusal = reason
        self.header = header
        template = _WEBHOOK_REFUSALS.get(reason, "{header}")
        super().__init__(f"webhook refused ({reason}): {template.format(header=header)}")


def _toward(destination: str | None) -> str:
    return f" to {destination}" if destination else ""


class DeliveryFailed(TransportError, TransientError):
    """A message was not delivered this time; delivering it again later may succeed.

    Retrying is safe: a message keeps its id on every attempt (the ``webhook-id``),
    so a receiver drops a copy it has processed already.

    Attributes:
        message_id: The message's stable id.
        destination: Where it was going: a host name or a transport's name, never a
            full URL (which may carry a token).
        reason: What went wrong, e.g. ``HTTP 503`` or ``connection failed``.
        status: The HTTP status received, or ``None`` when there was no response.
        retry_after: How many seconds the receiver asked to wait (``Retry-After``),
            or ``None``.
    """

    def __init__(
        self,
        *,
        message_id: str,
        destination: str | None,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message_id = message_id
        self.destination = destination
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"delivery of {_shown(message_id)}{_toward(destination)} failed: {reason}")


class DeliveryTimeout(DeliveryFailed, TimeoutError):
    """The receiver did not answer in time; the message may or may not have arrived."""


class CircuitOpen(DeliveryFailed):
    """Calls to an upstream are refused at once: it failed too often, and is left alone.

    No network call was made.  After `retry_after` seconds one probe call goes through;
    its success closes the circuit (`onestop.transport.breaker.CircuitBreaker`).

    Attributes:
        upstream: What the circuit guards (an agency's code).
        retry_after: How many seconds until a probe is let through.
        message_id: The message that was not sent, or ``""`` when raised outside a
            delivery.
    """

    def __init__(self, *, upstream: str, retry_after: float, message_id: str = "") -> None:
        super().__init__(
            message_id=message_id,
            destination=upstream,
            reason=f"the circuit is open; next probe in {retry_after} s",
            retry_after=retry_after,
        )
        self.upstream = upstream
        if not message_id:
            shown = _shown(upstream)
            self.args = (f"the circuit to {shown} is open; next probe in {retry_after} s",)


class DeliveryRejected(TransportError):
    """The receiver refused a message for good (a 4xx answer); do not send it again.

    Attributes:
        message_id: The message's stable id.
        destination: Where it was going: a host name or a transport's name.
        reason: Why, e.g. ``HTTP 422``.
        status: The HTTP status received, or ``None``.
    """

    def __init__(
        self,
        *,
        message_id: str,
        destination: str | None,
        reason: str,
        status: int | None = None,
    ) -> None:
        self.message_id = message_id
        self.destination = destination
        self.reason = reason
        self.status = status
        toward = _toward(destination)
        super().__init__(f"delivery of {_shown(message_id)}{toward} rejected: {reason}")


class EndpointDisabled(TransportError):
    """An endpoint takes no more deliveries: it answered 410 Gone, or kept failing.

    Nothing is lost: the relay keeps its position for that endpoint until it is
    enabled again.

    Attributes:
        destination: The endpoint's host name.
        reason: Why it was disabled.
    """

    def __init__(self, *, destination: str, reason: str) -> None:
        self.destination = destination
        self.reason = reason
        super().__init__(f"endpoint {destination} is disabled: {reason}")


class EndpointNotAllowed(TransportError):
    """An endpoint resolves to an address that is not public, and may not be called.

    Loopback, private, link-local (cloud metadata at ``169.254.169.254``), shared,
    reserved, multicast and unspecified addresses are refused, in IPv4 and IPv6 and
    embedded in IPv6 (IPv4-mapped, 6to4, NAT64), unless the endpoint allows private
    addresses.  This guards against server-side request forgery.

    Attributes:
        destination: The endpoint's host name.
        address: The refused address.
    """

    def __init__(self, *, destination: str, address: str) -> None:
        self.destination = destination
        self.address = address
        super().__init__(
            f"endpoint {destination} is not allowed: it resolves to {address}, "
            "which is not a public address"
        )


class HostNotResolved(TransportError, OSError):
    """A host name did not resolve to any address (`onestop.transport.addresses.resolve_host`).

    The name may not exist, or the resolver may be unreachable now; a webhook
    delivery that meets it fails with `DeliveryFailed` and is tried again later.

    Attributes:
        host: The host name asked for (shortened in the message if long).
        reason: Why: the resolver's answer, or what makes the text no host name.
    """

    def __init__(self, *, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"the host {_shown(host)} did not resolve: {reason}")


class CallbackRefused(TransportError, ValueError):
    """A verified callback from an agency cannot be applied; nothing was changed.

    Answer it with a 4xx status.  The message never quotes the callback's body.

    Attributes:
        reason: What is wrong, e.g. ``status 'approvedd' is not mapped for agency 'bpn'``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"callback refused: {reason}")
