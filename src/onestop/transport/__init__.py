"""Transports: how onestop's messages leave the process, and how signed ones come in.

The domain raises notifications; a relay hands them to a transport, which delivers
them to an agency, a citizen's channel or a broker.  Everything here sits outside
`onestop.domain` and may do I/O, but only through clients the host application
injects: no module builds an HTTP client or a connection at import time.

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
* `onestop.transport.inbound`: what comes in.  `onestop.transport.inbound.callbacks`
  applies the agencies' signed status callbacks; `onestop.transport.inbound.idempotent`
  helps consumers apply each message once.

Errors about a message or a transport's settings derive from
`onestop.exceptions.TransportError`; a naive datetime raises
`onestop.exceptions.NaiveDatetime`, as everywhere in onestop.
"""
