"""The contract every `onestop.transport.base.Transport` keeps, as a pytest class to subclass.

A transport has one method, ``deliver(message) -> Receipt``, and promises what it
raises (`onestop.transport.base`).  `TransportContract` turns each promise into a
check.  Subclass it in your adapter's tests and override its ``harness`` fixture, so
that it yields a `TransportHarness`: the transport under test, wired to a destination
of the test's own (an ``httpx.MockTransport``, a test server) that the test can read
and make unreachable::

    class TestMyTransport(TransportContract):
        @pytest.fixture
        def harness(self):
            with MyHarness() as harness:
                yield harness

`onestop.transport.recording.RecordingTransport` is the executable specification; the
webhook transport, the agency gateway and the NATS publisher run the same suite in
onestop's own tests.  Retries inside a transport should not sleep under the contract
(give it a no-op ``sleep``).  This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import pytest

from onestop.exceptions import DeliveryFailed, DeliveryRejected, InvalidValue
from onestop.ports.events import Notification
from onestop.transport.base import OutboundMessage, Receipt, Transport

__all__ = ["TransportContract", "TransportHarness"]

_THREADS = 8

_NOT_MESSAGES: dict[str, object] = {
    "None": None,
    "the id alone": "app-1:1",
    "bytes": b'{"state": "submitted"}',
    "a dict": {"id": "app-1:1", "kind": "submitted", "body": b"{}"},
    "a bool": True,
    "a number": 10**30,
    "a notification": Notification(
        position=1,
        stream_id="app-1",
        version=1,
        kind="submitted",
        body=b"{}",
        recorded_at=datetime(2025, 3, 3, tzinfo=UTC),
    ),
}
"""What a caller might hand `deliver` by mistake, or an attacker on purpose."""


@runtime_checkable
class TransportHarness(Protocol):
    """What `TransportContract` needs around a transport: a destination it can read and break."""

    @property
    def transport(self) -> Transport:
        """The transport under test, delivering to the harness's destination."""
        ...

    def message(self, n: int, /) -> OutboundMessage:
        """Return a message the destination accepts, its id its own for each *n* from 1."""
        ...

    def refused(self) -> OutboundMessage:
        """Return a message the destination (or the transport itself) refuses for good."""
        ...

    def received(self) -> list[str]:
        """Return the ids of the messages the destination holds, in the order they came.

        A copy the destination kept (a message delivered twice) appears twice; one it
        dropped by its id appears once.
        """
        ...

    def go_down(self) -> None:
        """Make the destination unreachable: every delivery from now on fails, for now."""
        ...


def _failed(harness: TransportHarness, message: object) -> BaseException:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is the check that follows
        harness.transport.deliver(message)  # type: ignore[arg-type]
    return caught.value


class TransportContract:
    """The behaviour every `onestop.transport.base.Transport` must show.

    Override the ``harness`` fixture so that it yields a new `TransportHarness` whose
    destination holds nothing yet.
    """

    @pytest.fixture
    def harness(self) -> Any:
        """Yield a `TransportHarness` over a destination that holds nothing; override it."""
        raise NotImplementedError("override the harness fixture in the subclass")

    def test_a_transport_is_one_and_has_a_name(self, harness: TransportHarness) -> None:
        """The transport satisfies the protocol, and its name is text for reports and logs."""
        transport = harness.transport
        assert isinstance(transport, Transport)
        assert isinstance(transport.name, str)
        assert transport.name == transport.name.strip() != ""

    def test_a_delivery_returns_the_receipt_of_its_message(self, harness: TransportHarness) -> None:
        """A delivery's receipt names the message and the transport that delivered it."""
        message = harness.message(1)
        receipt = harness.transport.deliver(message)
        assert isinstance(receipt, Receipt)
        assert (receipt.message_id, receipt.transport) == (message.id, harness.transport.name)
        assert receipt.status is None or 200 <= receipt.status < 300

    def test_the_destination_holds_what_was_delivered_in_order(
        self, harness: TransportHarness
    ) -> None:
        """Messages delivered one after another reach the destination, in that order."""
        messages = [harness.message(n) for n in (1, 2, 3)]
        for message in messages:
            harness.transport.deliver(message)
        assert harness.received() == [message.id for message in messages]

    def test_delivering_a_message_again_is_safe(self, harness: TransportHarness) -> None:
        """A message delivered twice (a retry, a second relay) is received again under its
        own id, or dropped by it: never a new message, never an error."""
        message = harness.message(1)
        first = harness.transport.deliver(message)
        second = harness.transport.deliver(message)
        assert first.message_id == second.message_id == message.id
        assert harness.received() in ([message.id], [message.id, message.id])

    def test_a_refused_message_is_rejected_for_good(self, harness: TransportHarness) -> None:
        """A message the destination refuses raises DeliveryRejected naming it, and is not
        held there."""
        message = harness.refused()
        error = _failed(harness, message)
        assert isinstance(error, DeliveryRejected), repr(error)
        assert error.message_id == message.id
        assert message.id not in harness.received()

    def test_a_destination_out_of_reach_fails_the_delivery_for_now(
        self, harness: TransportHarness
    ) -> None:
        """A destination that cannot be reached raises DeliveryFailed (the relay tries
        again later), naming the message; it holds nothing."""
        harness.transport.deliver(harness.message(1))
        harness.go_down()
        message = harness.message(2)
        error = _failed(harness, message)
        assert isinstance(error, DeliveryFailed), repr(error)
        assert error.message_id == message.id
        assert message.id not in harness.received()

    @pytest.mark.parametrize("value", _NOT_MESSAGES.values(), ids=list(_NOT_MESSAGES))
    def test_anything_but_a_message_is_refused_before_it_is_sent(
        self, harness: TransportHarness, value: object
    ) -> None:
        """Anything but an OutboundMessage raises InvalidValue naming the message, and
        nothing reaches the destination."""
        error = _failed(harness, value)
        assert isinstance(error, InvalidValue), repr(error)
        assert error.field == "message"
        assert harness.received() == []

    def test_deliveries_from_several_threads_all_arrive(self, harness: TransportHarness) -> None:
        """A transport shared by threads delivers every message each of them hands it."""
        messages = [harness.message(n) for n in range(1, 4 * _THREADS + 1)]
        with ThreadPoolExecutor(_THREADS) as pool:
            receipts = list(pool.map(harness.transport.deliver, messages))
        assert [receipt.message_id for receipt in receipts] == [m.id for m in messages]
        assert sorted(harness.received()) == sorted(message.id for message in messages)
