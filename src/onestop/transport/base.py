"""The transport port: one method, ``deliver(message) -> Receipt``, and what it carries.

A transport takes one `OutboundMessage` (built from an entry of the store's
notification log) to one place: a webhook endpoint, an agency's gateway, a broker
subject.  It is handed its client by the host application and builds none itself.
`onestop.transport.relay.Relay` reads the log and calls transports; a transport never
reads the store and never runs inside a store transaction.

>>> from datetime import UTC, datetime
>>> from onestop.ports.events import Notification
>>> note = Notification(position=7, stream_id="app-1", version=2, kind="action_taken",
...                     body=b'{"state":"verified"}', recorded_at=datetime(2025, 3, 3, tzinfo=UTC))
>>> message = OutboundMessage.from_notification(note)
>>> message
OutboundMessage(id='app-1:2', kind='action_taken', stream_id='app-1', version=2, position=7)

How a transport reports the outcome of `Transport.deliver`:

* it returns a `Receipt`: the receiver has the message;
* `onestop.exceptions.DeliveryFailed` (and `onestop.exceptions.DeliveryTimeout`):
  not this time; the relay retries the same message later, on its schedule;
* `onestop.exceptions.DeliveryRejected`: the receiver refuses this message for good;
  the relay records a dead letter and moves on;
* `onestop.exceptions.EndpointDisabled` or `onestop.exceptions.EndpointNotAllowed`:
  the destination takes nothing now; the relay stops using the transport and keeps
  its position, so nothing is lost.

Every message keeps its `OutboundMessage.id` on every attempt and through every relay:
delivery is at least once, and receivers drop the copies they have seen by that id.

Logging: onestop logs through ``structlog.get_logger("onestop")``, looked up when an
event is logged, and never configures structlog; `EVENTS` lists the event names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Protocol, runtime_checkable

import attrs
import structlog

from onestop.domain.common.formats import check_int, check_text, kind_of
from onestop.domain.common.kinds import check_instant, check_type
from onestop.exceptions import InvalidValue
from onestop.ports.checks import MAX_STORED_TEXT
from onestop.ports.events import Notification

__all__ = [
    "EVENTS",
    "LOGGER_NAME",
    "OutboundMessage",
    "Receipt",
    "Transport",
    "check_message",
    "get_logger",
]

LOGGER_NAME: Final = "onestop"
"""The name onestop's logger is requested under (the stdlib logger's name, if routed there)."""

EVENTS: Final = (
    "onestop.delivery.retry_scheduled",
    "onestop.delivery.failed",
    "onestop.endpoint.disabled",
    "onestop.relay.store_failed",
)
"""Every event name onestop's transports log; each carries ids, never a body.

* ``onestop.delivery.retry_scheduled`` (warning): a delivery failed and will be tried
  again; ``message_id``, ``transport``, ``destination``, ``attempt``, ``status``,
  ``delay`` (seconds), ``error`` (the exception's class name).
* ``onestop.delivery.failed`` (error): a message was given up on; the same keys and
  ``outcome``: ``dead_lettered`` (rejected, or out of attempts) or ``halted`` (the
  endpoint is disabled or not allowed; the message waits).
* ``onestop.endpoint.disabled`` (error): a webhook endpoint was disabled;
  ``destination``, ``reason`` (``gone`` or ``failing``), ``failures``, ``status``.
* ``onestop.relay.store_failed`` (warning): a relay could not read or write the
  store and will try again; ``consumer``, ``error``.
"""


def get_logger() -> Any:
    """Return onestop's structlog logger, looked up now, so the host's configuration applies.

    onestop never calls ``structlog.configure``: how (and whether) its events are
    rendered is the application's choice.
    """
    return structlog.get_logger(LOGGER_NAME)


def _text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    # The id joins a stream id and a version, each of which a store keeps.
    limit = 2 * MAX_STORED_TEXT if attribute.name == "id" else MAX_STORED_TEXT
    check_text(value, field=attribute.name, max_length=limit)


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_int(value, field=attribute.name, minimum=1)


def _body(_: object, attribute: attrs.Attribute[bytes], value: object) -> None:
    if type(value) is not bytes:  # a bytearray could change while it is sent
        raise InvalidValue(field=attribute.name, reason=f"expected bytes, not {kind_of(value)}")


def _instant(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


@attrs.frozen(kw_only=True)
class OutboundMessage:
    """One message for transports: an entry of the notification log, as it leaves.

    Attributes:
        id: The message's stable id (`onestop.ports.events.Notification.message_id`,
            ``stream_id:version``).  It is the same on every attempt and from every
            relay, so receivers use it to drop duplicates.
        kind: The event's kind tag (``submitted``, ``action_taken``, ...).
        stream_id: The stream (application) the event belongs to.
        version: The event's version in its stream.
        position: The entry's position in the notification log.
        body: The thin JSON body recorded with the event: ids, number, service,
            agency, state and action, never personal data.
        recorded_at: When the event was committed.

    Every field is checked when the message is built, so that a transport never meets
    a message it cannot encode: text no store keeps (empty, a control character, a
    lone surrogate, too long), a version or position that is not an integer from 1,
    a body that is not `bytes`, or an instant that is not timezone-aware.

    Raises:
        onestop.exceptions.InvalidValue: Naming the field at fault.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=_text)
    kind: str = attrs.field(validator=_text)
    stream_id: str = attrs.field(validator=_text)
    version: int = attrs.field(validator=_count)
    position: int = attrs.field(validator=_count)
    body: bytes = attrs.field(repr=False, validator=_body)
    recorded_at: datetime = attrs.field(repr=False, validator=_instant)

    @classmethod
    def from_notification(cls, notification: Notification, /) -> OutboundMessage:
        """Build the message announcing *notification*.

        Raises:
            onestop.exceptions.InvalidValue: If *notification* is not a
                `onestop.ports.events.Notification`, or holds what no message carries.
        """
        check_type(notification, Notification, field="notification")
        return cls(
            id=notification.message_id,
            kind=notification.kind,
            stream_id=notification.stream_id,
            version=notification.version,
            position=notification.position,
            body=notification.body,
            recorded_at=notification.recorded_at,
        )


@attrs.frozen(kw_only=True)
class Receipt:
    """Proof that a transport handed a message over.

    Attributes:
        message_id: The message's id.
        transport: The name of the transport that delivered it.
        status: The receiver's HTTP status, or ``None`` for transports without one.

    .. versionadded:: 0.1.0
    """

    message_id: str
    transport: str
    status: int | None = None


@runtime_checkable
class Transport(Protocol):
    """Delivers one message to one destination.

    Implementations take their clients (HTTP, broker) from the caller and raise only
    the errors listed below; anything else they raise is treated by the relay as a
    failure worth retrying.  `deliver` may be called again with the same message
    (a retry, or another relay): it must be safe to do so, which a receiver that
    drops known ids makes it.  It may be called from several threads at once.
    `onestop.testing.TransportContract` checks all of this against a transport.

    .. versionadded:: 0.1.0
    """

    name: str
    """A short name for reports and logs (``webhook``, ``webhook:agency.example``)."""

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        """Hand *message* over; return a receipt once the receiver has it.

        Raises:
            onestop.exceptions.DeliveryFailed: Not delivered this time; retrying may
                succeed (`onestop.exceptions.DeliveryTimeout` when it timed out).
            onestop.exceptions.DeliveryRejected: The receiver refuses it for good.
            onestop.exceptions.EndpointDisabled: The destination takes no deliveries.
            onestop.exceptions.EndpointNotAllowed: The destination may not be called.
            onestop.exceptions.InvalidValue: *message* is not an `OutboundMessage`
                (`check_message`); nothing was sent.
        """
        ...


def check_message(value: object, /) -> OutboundMessage:
    """Return *value* if it is an `OutboundMessage`; every transport's ``deliver`` starts here.

    A message's fields are checked when it is built, so a transport that has one can
    encode it; anything else (``None``, a notification, a dict, the id alone) is
    refused before anything is sent.

    >>> check_message("app-1:1")
    Traceback (most recent call last):
    ...
    onestop.exceptions.InvalidValue: message: expected OutboundMessage, not text

    Raises:
        onestop.exceptions.InvalidValue: If *value* is not an `OutboundMessage`.
    """
    return check_type(value, OutboundMessage, field="message")
