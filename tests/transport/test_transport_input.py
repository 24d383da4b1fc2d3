"""Transports refuse what they cannot carry with a typed error, before anything is sent.

A message is checked when it is built (`OutboundMessage`); a publish or a consume
checks its own arguments; none of these needs a server.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from nats.aio.msg import Msg

from onestop.exceptions import (
    DeliveryRejected,
    HostNotResolved,
    InvalidValue,
    InvalidWebhookInput,
    NaiveDatetime,
)
from onestop.transport.addresses import resolve_host
from onestop.transport.base import OutboundMessage
from onestop.transport.inbound.idempotent import IdempotentConsumer, Incoming, SqliteProcessedLog
from onestop.transport.nats import NatsPublisher, consume, message_id_of

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
MESSAGE = OutboundMessage(
    id="app-1:2",
    kind="action_taken",
    stream_id="app-1",
    version=2,
    position=7,
    body=b"{}",
    recorded_at=T0,
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", b"submitted"),
        ("stream_id", b"app-1"),
        ("stream_id", ""),
        ("stream_id", "app\x00-1"),
        ("id", "app-1\ud800:2"),
        ("kind", "k" * 100_000),
        ("version", True),
        ("version", 0),
        ("position", 2**63),
        ("body", "{}"),
        ("body", bytearray(b"{}")),
        ("recorded_at", "2025-03-03T02:00:00Z"),
    ],
)
def test_a_message_no_transport_can_carry_cannot_be_built(field: str, value: object) -> None:
    """Bytes for text, control characters, a bool or 0 as a version, text as a body: refused."""
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(MESSAGE, **{field: value})
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


def test_a_message_needs_an_aware_instant() -> None:
    """A naive recorded_at is refused: no transport could say when it happened."""
    with pytest.raises(NaiveDatetime):
        attrs.evolve(MESSAGE, recorded_at=datetime(2025, 3, 3))  # noqa: DTZ001 - naive


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"body": "{}"}, "body"),
        ({"message_id": b"app-1:1"}, "message_id"),
        ({"message_id": " app-1:1"}, "message_id"),
        ({"headers": {"Onestop-Version": 2}}, "headers['Onestop-Version']"),
        ({"headers": {"Onestop Version": "2"}}, "headers"),
        ({"headers": {None: "2"}}, "headers"),
        ({"headers": {"Onestop-Version": "2\r\nX-Evil: 1"}}, "headers['Onestop-Version']"),
        ({"headers": ["Onestop-Version"]}, "headers"),
    ],
)
def test_a_publish_nats_cannot_carry_is_refused_before_connecting(
    arguments: dict[str, Any], field: str
) -> None:
    """A body that is not bytes, an id or header NATS would change: InvalidValue, no connection."""
    publisher = NatsPublisher("nats://127.0.0.1:1", timeout=0.1)
    call = {"body": b"{}", "message_id": "app-1:1", "headers": None, **arguments}
    with pytest.raises(InvalidValue) as caught:
        publisher.publish("submitted", call.pop("body"), **call)
    assert caught.value.field == field
    assert "stopped" in repr(publisher)


def test_a_message_nats_cannot_carry_is_rejected_for_good() -> None:
    """A stream id with white space at an end cannot be sent as it is: a dead letter."""
    publisher = NatsPublisher("nats://127.0.0.1:1", timeout=0.1)
    with pytest.raises(DeliveryRejected, match="Onestop-Stream-Id"):
        publisher.deliver(attrs.evolve(MESSAGE, stream_id="app-1 "))
    assert "stopped" in repr(publisher)


def _consumer() -> tuple[IdempotentConsumer[None], list[str]]:
    applied: list[str] = []

    def effect(tx: sqlite3.Connection, message: Incoming) -> None:
        applied.append(message.id)

    log = SqliteProcessedLog.connect(":memory:")
    return IdempotentConsumer("mirror", log, effect), applied


@pytest.mark.parametrize(
    "msg",
    [
        Msg(None, subject="s", data=b"{}", headers={"Nats-Msg-Id": "app-1:1"}),  # type: ignore[arg-type]
        Msg(None, subject="s", reply="_INBOX.x", data=b"{}"),  # type: ignore[arg-type]
        "app-1:1",
    ],
    ids=["core-with-id", "core-request", "text"],
)
def test_only_a_jetstream_message_is_consumed(msg: Any) -> None:
    """A core NATS message (no JetStream reply) or no message at all: InvalidValue, no effect."""
    consumer, applied = _consumer()
    with pytest.raises(InvalidValue):
        asyncio.run(consume(consumer, msg))
    with pytest.raises(InvalidValue):
        message_id_of(msg)
    assert applied == []


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The system resolver, answering every name as unknown, as offline: no test asks DNS."""
    asked: list[object] = []

    def unknown(host: object, *args: object, **kwargs: object) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    return asked


def test_a_name_that_does_not_resolve_is_a_typed_error(lookups: list[object]) -> None:
    """The resolver's gaierror becomes HostNotResolved, still an OSError, with it as cause."""
    with pytest.raises(HostNotResolved) as caught:
        resolve_host("hooks.agency.example", 443)
    assert isinstance(caught.value, OSError)
    assert isinstance(caught.value.__cause__, socket.gaierror)
    assert caught.value.reason == "Name or service not known"
    assert lookups == ["hooks.agency.example"]


@pytest.mark.parametrize(
    "host", ["", "a..example", "x" * 64 + ".example", "a" * 300, "hooks\x00.example", "a b"]
)
def test_text_that_is_no_host_name_is_never_looked_up(host: str, lookups: list[object]) -> None:
    """Empty labels, labels over 63 characters, NUL or spaces: refused before any lookup."""
    with pytest.raises(HostNotResolved) as caught:
        resolve_host(host, 443)
    assert lookups == []
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("host", "port", "argument"),
    [(b"hooks.example", 443, "host"), ("hooks.example", True, "port"), ("h", 65536, "port")],
)
def test_resolve_host_refuses_arguments_of_the_wrong_kind(
    host: Any, port: Any, argument: str, lookups: list[object]
) -> None:
    """Bytes as a host, a bool or 65536 as a port: InvalidWebhookInput, no lookup."""
    with pytest.raises(InvalidWebhookInput) as caught:
        resolve_host(host, port)
    assert caught.value.argument == argument
    assert lookups == []
