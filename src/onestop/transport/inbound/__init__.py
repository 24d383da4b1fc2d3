"""Inbound handlers: what comes into the mall from outside, applied once.

The transports around this package send; these modules receive, in the host's web
framework or broker consumer, and need only the raw request or message:

* `onestop.transport.inbound.callbacks`: `AgencyCallbacks` verifies an agency's
  Standard Webhooks-signed status callback and moves the application on (a workflow
  action or event);
* `onestop.transport.inbound.idempotent`: `IdempotentConsumer` applies each message's
  effect once, however often a broker delivers it, by recording its id in the same
  transaction as the effect.

Both lived at ``onestop.transport.callbacks`` and ``onestop.transport.idempotent`` in
onestop 0.1.0; those paths still work until 0.3.0, with a `DeprecationWarning`.
"""
