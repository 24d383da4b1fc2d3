"""Transports: how onestop's messages leave the process, and how signed ones come in.

The domain raises notifications; a relay hands them to a transport, which delivers
them to an agency, a citizen's channel or a broker.  Everything here sits outside
`onestop.domain` and may do I/O, but only through clients the host application
injects: no module builds an HTTP client or a connection at import time.

The names most programs need are importable from here (`Relay`, `WebhookTransport`,
`WebhookSigner`, `AgencyGateway`, `NatsPublisher`, ...); each is imported from its
module on first use, so ``import onestop.transport`` imports no HTTP client and no
broker driver (`NatsPublisher` needs the ``nats`` extra when it is first asked for).

* `onestop.transport.signing`: Standard Webhooks signing and verification
  (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).  It is pure: it
  needs no HTTP client and reads no clock, so it serves any transport and any web
  framework on the receiving side.
* `onestop.transport.webhook`: `WebhookTransport`, signed webhooks to one endpoint.
* `onestop.transport.gateway`: `AgencyGateway`, which forwards applications to an
  agency's back office over HTTP (only the fields the agency is configured to receive),
  with a timeout on every request, keyed retries and a circuit breaker per agency
  (`onestop.transport.breaker`).
* The two HTTP transports share one toolkit: one client protocol (an ``httpx`` or
  ``httpx2`` client), one mapping of those libraries' errors onto
  `onestop.exceptions.DeliveryFailed` and `onestop.exceptions.DeliveryTimeout`, one
  reading of answers and of ``Retry-After`` (`onestop.transport.webhook.parse_retry_after`);
  when to try again is one `onestop.transport.relay.RetryPolicy`.
* `onestop.transport.nats` (extra ``onestop-mall[nats]``): `NatsPublisher`, publishing
  to NATS JetStream de-duplicated by message id.
* `onestop.transport.oidc` (extra ``onestop-mall[oidc]``): `OpenIDConnect`, staff sign-in
  through a government's OpenID Connect provider (`onestop.ports.identity`).
* `onestop.transport.inbound`: what comes in.  `onestop.transport.inbound.callbacks`
  applies the agencies' signed status callbacks; `onestop.transport.inbound.idempotent`
  helps consumers apply each message once.

Errors about a message or a transport's settings derive from
`onestop.exceptions.TransportError`; a naive datetime raises
`onestop.exceptions.NaiveDatetime`, as everywhere in onestop.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onestop.transport.addresses import is_public_address
    from onestop.transport.base import (
        EVENTS,
        OutboundMessage,
        Receipt,
        Transport,
        check_message,
        get_logger,
    )
    from onestop.transport.breaker import BreakerState, CircuitBreaker
    from onestop.transport.gateway import AgencyEndpoint, AgencyGateway, ApplicationSource
    from onestop.transport.inbound.callbacks import AgencyCallbacks, CallbackResult, CallbackRoute
    from onestop.transport.inbound.idempotent import (
        IdempotentConsumer,
        Incoming,
        ProcessedLog,
        SqliteProcessedLog,
    )
    from onestop.transport.nats import NatsPublisher, PublishAck
    from onestop.transport.oidc import OpenIDConnect
    from onestop.transport.recording import RecordingTransport
    from onestop.transport.relay import (
        DeadLetter,
        DeadLetterSink,
        MemoryDeadLetters,
        Relay,
        RelayReport,
        RetryPolicy,
    )
    from onestop.transport.signing import (
        MemoryReplayCache,
        ReplayCache,
        VerifiedWebhook,
        WebhookSigner,
        WebhookVerifier,
    )
    from onestop.transport.webhook import WebhookEndpoint, WebhookTransport

__all__ = [
    "AgencyCallbacks",
    "AgencyEndpoint",
    "AgencyGateway",
    "ApplicationSource",
    "BreakerState",
    "CallbackResult",
    "CallbackRoute",
    "check_message",
    "CircuitBreaker",
    "DeadLetter",
    "DeadLetterSink",
    "EVENTS",
    "get_logger",
    "IdempotentConsumer",
    "Incoming",
    "is_public_address",
    "MemoryDeadLetters",
    "MemoryReplayCache",
    "NatsPublisher",
    "OpenIDConnect",
    "OutboundMessage",
    "ProcessedLog",
    "PublishAck",
    "Receipt",
    "RecordingTransport",
    "Relay",
    "RelayReport",
    "ReplayCache",
    "RetryPolicy",
    "SqliteProcessedLog",
    "Transport",
    "VerifiedWebhook",
    "WebhookEndpoint",
    "WebhookSigner",
    "WebhookTransport",
    "WebhookVerifier",
]

_EXPORTS: dict[str, str] = {
    "EVENTS": "onestop.transport.base",
    "OutboundMessage": "onestop.transport.base",
    "Receipt": "onestop.transport.base",
    "Transport": "onestop.transport.base",
    "check_message": "onestop.transport.base",
    "get_logger": "onestop.transport.base",
    "DeadLetter": "onestop.transport.relay",
    "DeadLetterSink": "onestop.transport.relay",
    "MemoryDeadLetters": "onestop.transport.relay",
    "Relay": "onestop.transport.relay",
    "RelayReport": "onestop.transport.relay",
    "RetryPolicy": "onestop.transport.relay",
    "RecordingTransport": "onestop.transport.recording",
    "MemoryReplayCache": "onestop.transport.signing",
    "ReplayCache": "onestop.transport.signing",
    "VerifiedWebhook": "onestop.transport.signing",
    "WebhookSigner": "onestop.transport.signing",
    "WebhookVerifier": "onestop.transport.signing",
    "WebhookEndpoint": "onestop.transport.webhook",
    "WebhookTransport": "onestop.transport.webhook",
    "is_public_address": "onestop.transport.addresses",
    "AgencyEndpoint": "onestop.transport.gateway",
    "AgencyGateway": "onestop.transport.gateway",
    "ApplicationSource": "onestop.transport.gateway",
    "AgencyCallbacks": "onestop.transport.inbound.callbacks",
    "CallbackResult": "onestop.transport.inbound.callbacks",
    "CallbackRoute": "onestop.transport.inbound.callbacks",
    "BreakerState": "onestop.transport.breaker",
    "CircuitBreaker": "onestop.transport.breaker",
    "NatsPublisher": "onestop.transport.nats",
    "OpenIDConnect": "onestop.transport.oidc",
    "PublishAck": "onestop.transport.nats",
    "IdempotentConsumer": "onestop.transport.inbound.idempotent",
    "Incoming": "onestop.transport.inbound.idempotent",
    "ProcessedLog": "onestop.transport.inbound.idempotent",
    "SqliteProcessedLog": "onestop.transport.inbound.idempotent",
}

"""Each name offered here, and the module it is imported from on first use."""


if not TYPE_CHECKING:  # mypy and IDEs see the imports above; Python imports on first use

    def __getattr__(name: str) -> Any:
        """Import *name* from its module the first time it is asked for, and keep it."""
        if name not in _EXPORTS:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """List the names offered here, imported or not, with the module's own."""
    return sorted(set(globals()) | set(__all__))
