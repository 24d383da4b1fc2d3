"""The relay: at least once, in order, positions per transport, retries and dead letters.

Every test runs against `MemoryStore` (the executable specification of the port)
and `RecordingTransport`, with a fake clock: nothing sleeps, nothing uses a network.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from structlog.testing import capture_logs

from onestop.exceptions import ConfigurationError, StorageUnavailable
from onestop.ports.events import Commit, NewEvent, Summary
from onestop.storage.memory import MemoryStore
from onestop.transport.base import EVENTS, OutboundMessage, Receipt, Transport
from onestop.transport.recording import RecordingTransport
from onestop.transport.relay import (
    DeadLetter,
    DeadLetterSink,
    MemoryDeadLetters,
    Relay,
    RelayReport,
    RetryPolicy,
)

START = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)
STEADY = RetryPolicy(jitter=False)


@attrs.define
class FakeClock:
    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


SUMMARY = Summary(
    stream_id="?",
    number="?",
    service="s",
    service_version=1,
    agency="a",
    channel="online",
    state="submitted",
    assignee=None,
    received=START,
    due=None,
    at_risk_from=None,
    suspended=False,
    closed=False,
    version=1,
    updated_at=START,
)


def commit(store: MemoryStore, stream_id: str, version: int) -> None:
    """Append one event (with its notification) to *stream_id*."""
    summary = attrs.evolve(SUMMARY, stream_id=stream_id, number=f"N/{stream_id}", version=version)
    notice = json.dumps({"application_id": stream_id, "version": version}).encode()
    event = NewEvent(
        kind="submitted", body=b"{}", hash="1" * 64, previous_hash="0" * 64, notice=notice
    )
    store.commit(
        Commit(
            stream_id=stream_id,
            expected_version=version - 1,
            events=(event,),
            summary=summary,
            recorded_at=START,
        )
    )


def filled(*streams: tuple[str, int]) -> MemoryStore:
    """A store holding, for each (stream, count), that many events, interleaved by version."""
    store = MemoryStore()
    for version in range(1, max(count for _, count in streams) + 1):
        for stream_id, count in streams:
            if version <= count:
                commit(store, stream_id, version)
    return store


def relay_for(store: MemoryStore, clock: FakeClock | None = None, **transports: Any) -> Relay:
    return Relay(store, transports, clock=clock or FakeClock(), policy=STEADY)


class TestDelivery:
    def test_delivers_every_notification_in_log_order(self) -> None:
        """Each notification reaches the transport once, in the order of the log."""
        store = filled(("app-1", 2), ("app-2", 2))
        inbox = RecordingTransport()
        report = relay_for(store, inbox=inbox).run_once()
        assert inbox.ids() == ["app-1:1", "app-2:1", "app-1:2", "app-2:2"]
        assert report.delivered == 4

    def test_message_id_is_stream_and_version(self) -> None:
        """A message's id is its stream and version, the same in every pass and relay."""
        store = filled(("app-1", 1))
        inbox = RecordingTransport()
        relay_for(store, inbox=inbox).run_once()
        (message,) = inbox.delivered
        assert (message.id, message.stream_id, message.version) == ("app-1:1", "app-1", 1)

    def test_records_position_only_after_delivery(self) -> None:
        """While a message is being delivered, the stored position is still before it."""
        store = filled(("app-1", 3))
        seen: list[tuple[int, int]] = []

        class Watching(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                seen.append((message.position, store.position("relay/inbox")))
                return super().deliver(message)

        relay_for(store, inbox=Watching()).run_once()
        assert seen == [(1, 0), (2, 1), (3, 2)]
        assert store.position("relay/inbox") == 3

    def test_next_pass_delivers_only_what_is_new(self) -> None:
        """A second pass starts after the recorded position: nothing is sent twice."""
        store = filled(("app-1", 2))
        inbox = RecordingTransport()
        relay = relay_for(store, inbox=inbox)
        relay.run_once()
        commit(store, "app-1", 3)
        assert relay.run_once().delivered == 1
        assert inbox.ids() == ["app-1:1", "app-1:2", "app-1:3"]

    def test_batch_limits_one_pass_and_reports_more(self) -> None:
        """A pass takes at most a batch per transport and says when more may wait."""
        store = filled(("app-1", 5))
        relay = Relay(store, {"inbox": RecordingTransport()}, batch=2, clock=FakeClock())
        first = relay.run_once()
        assert (first.delivered, first.more) == (2, True)
        assert relay.backlog() == {"inbox": 3}

    def test_each_transport_has_its_own_position(self) -> None:
        """A failing transport holds back only itself; the others move on."""
        store = filled(("app-1", 3))
        healthy, failing = RecordingTransport("a"), RecordingTransport("b")
        failing.fail(times=1)
        relay = relay_for(store, a=healthy, b=failing)
        relay.run_once()
        assert relay.positions() == {"a": 3, "b": 0}
        assert relay.consumer_for("b") == "relay/b"


class TestRetries:
    def test_failed_message_is_neither_skipped_nor_passed(self) -> None:
        """After a transient failure the position stays before the failed message."""
        store = filled(("app-1", 3))
        inbox = RecordingTransport()
        inbox.fail(times=1)
        relay = relay_for(store, inbox=inbox)
        report = relay.run_once()
        assert (report.delivered, report.retried) == (0, 1)
        assert relay.positions() == {"inbox": 0}
        assert inbox.attempts == ["app-1:1"]

    def test_retry_waits_for_its_delay(self) -> None:
        """A failed message is not tried again before its delay is over."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=1)
        relay = relay_for(store, clock, inbox=inbox)
        assert relay.run_once().next_attempt_at == START + timedelta(seconds=5)
        clock.advance(4.9)
        relay.run_once()
        assert inbox.attempts == ["app-1:1"]
        clock.advance(0.1)
        assert relay.run_once().delivered == 1

    def test_backoff_doubles_up_to_the_cap(self) -> None:
        """Without jitter the waits are 5 s, 10 s, 20 s, ... up to the one-hour cap."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=12)
        relay = relay_for(store, clock, inbox=inbox)
        delays = []
        for _ in range(12):
            report = relay.run_once()
            assert report.next_attempt_at is not None
            delays.append((report.next_attempt_at - clock.now()).total_seconds())
            clock.current = report.next_attempt_at
        assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        assert relay.run_once().delivered == 1

    def test_full_jitter_is_drawn_below_the_ceiling_from_the_rng(self) -> None:
        """With jitter each wait is uniform below its ceiling, repeatable from a seed."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=6)
        relay = Relay(store, {"inbox": inbox}, clock=clock, rng=random.Random(7))
        with capture_logs() as logs:
            for _ in range(6):
                report = relay.run_once()
                assert report.next_attempt_at is not None
                clock.current = report.next_attempt_at
        expected = random.Random(7)
        assert [entry["delay"] for entry in logs] == [
            expected.uniform(0, ceiling) for ceiling in (5, 10, 20, 40, 80, 160)
        ]

    @pytest.mark.parametrize(("retry_after", "delay"), [(1, 5), (120, 120), (10**7, 3600)])
    def test_retry_after_is_a_floor_up_to_the_cap(self, retry_after: int, delay: int) -> None:
        """A receiver's Retry-After longer than the backoff is waited out, up to the cap."""
        store = filled(("app-1", 1))
        inbox = RecordingTransport()
        inbox.fail(times=1, retry_after=retry_after)
        report = relay_for(store, inbox=inbox).run_once()
        assert report.next_attempt_at == START + timedelta(seconds=delay)

    def test_unknown_errors_are_retried(self) -> None:
        """An error a transport should not raise is treated as worth another try."""
        store = filled(("app-1", 1))

        class Broken(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                raise RuntimeError("Siti's NIK 3171015708850001 leaked into a message")

        with capture_logs() as logs:
            report = relay_for(store, broken=Broken()).run_once()
        assert report.retried == 1
        assert logs[0]["error"] == "RuntimeError"
        assert "3171015708850001" not in repr(logs)

    def test_retry_state_resets_when_the_head_moves(self) -> None:
        """Failures are counted per message: the next message starts from the first delay."""
        store, clock = filled(("app-1", 2)), FakeClock()
        failures = {"app-1:1": 2, "app-1:2": 1}

        class Picky(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                if failures.get(message.id, 0) > 0:
                    failures[message.id] -= 1
                    self.fail(times=1)
                return super().deliver(message)

        relay = relay_for(store, clock, inbox=Picky())
        delays = []
        for _ in range(3):
            report = relay.run_once()
            assert report.next_attempt_at is not None
            delays.append((report.next_attempt_at - clock.now()).total_seconds())
            clock.current = report.next_attempt_at
        assert delays == [5, 10, 5]
        assert relay.run_once().delivered == 1


class TestDeadLetters:
    def test_rejected_message_becomes_a_dead_letter_and_the_relay_moves_on(self) -> None:
        """A refused message is kept as a dead letter and the next one is delivered."""
        store = filled(("app-1", 2))
        inbox = RecordingTransport()
        inbox.reject(times=1)
        sink = MemoryDeadLetters()
        relay = Relay(store, {"inbox": inbox}, dead_letters=sink, clock=FakeClock())
        report = relay.run_once()
        assert (report.delivered, report.dead_lettered) == (1, 1)
        assert relay.positions() == {"inbox": 2}
        assert relay.dead_letters is sink
        (letter,) = list(sink)
        assert (letter.message.id, letter.reason, letter.attempts) == ("app-1:1", "rejected", 1)
        assert letter.error == "delivery of 'app-1:1' to recording rejected: HTTP 422"

    def test_message_out_of_attempts_becomes_a_dead_letter(self) -> None:
        """After max_attempts transient failures the message is given up on, and kept."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=3)
        sink = MemoryDeadLetters()
        policy = RetryPolicy(max_attempts=3, jitter=False)
        relay = Relay(store, {"inbox": inbox}, clock=clock, policy=policy, dead_letters=sink)
        reports = []
        for _ in range(3):
            reports.append(relay.run_once())
            clock.advance(3600)
        assert [r.dead_lettered for r in reports] == [0, 0, 1]
        (letter,) = list(sink)
        assert (letter.reason, letter.attempts) == ("retries_exhausted", 3)
        assert letter.at == START + timedelta(seconds=7200)
        assert relay.positions() == {"inbox": 1}

    def test_a_failing_sink_keeps_the_message(self) -> None:
        """If the dead letter cannot be kept, the relay does not move past the message."""
        store = filled(("app-1", 1))
        inbox = RecordingTransport()
        inbox.reject(times=1)

        class FullSink:
            def add(self, letter: DeadLetter, /) -> None:
                raise StorageUnavailable("the dead-letter table is unreachable")

        clock = FakeClock()
        relay = Relay(store, {"inbox": inbox}, dead_letters=FullSink(), clock=clock)
        with capture_logs() as logs:
            report = relay.run_once()
        assert (report.retried, report.dead_lettered) == (1, 0)
        assert relay.positions() == {"inbox": 0}
        assert {"event": "onestop.relay.dead_letter_failed", "message_id": "app-1:1",
                "transport": "inbox", "error": "StorageUnavailable",
                "log_level": "warning"} in logs  # fmt: skip
        clock.advance(3600)
        assert relay.run_once().delivered == 1

    def test_run_forever_survives_a_failing_sink(self) -> None:
        """A sink whose add raises (a locked database) makes a retry, not a crashed relay."""
        store = filled(("app-1", 2))
        inbox = RecordingTransport("inbox")
        inbox.reject(times=1)
        stop = threading.Event()

        class LockedOnce:
            calls = 0

            def add(self, letter: DeadLetter, /) -> None:
                self.calls += 1
                if self.calls == 1:
                    raise RuntimeError("database is locked")

        sink = LockedOnce()
        relay = Relay(store, {"inbox": inbox}, dead_letters=sink, sleep=lambda _: stop.set())
        report = relay.run_forever(stop)
        assert (report.retried, sink.calls, relay.positions()) == (1, 1, {"inbox": 0})

    def test_dead_letter_of_an_unknown_error_names_only_its_class(self) -> None:
        """A dead letter quotes onestop's own errors only; others by class name."""
        store = filled(("app-1", 1))

        class Broken(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                raise ValueError("Jl. Kanari 7, personal")

        sink = MemoryDeadLetters()
        policy = RetryPolicy(max_attempts=1)
        Relay(store, {"b": Broken()}, policy=policy, dead_letters=sink).run_once()
        assert [letter.error for letter in sink] == ["ValueError"]


class TestHalts:
    def test_disabled_endpoint_halts_its_transport_and_keeps_the_backlog(self) -> None:
        """A disabled endpoint stops its transport at its position; nothing is dropped."""
        store = filled(("app-1", 3))
        gone, other = RecordingTransport("gone"), RecordingTransport("other")
        gone.disable()
        relay = relay_for(store, gone=gone, other=other)
        report = relay.run_once()
        assert report.halted == ("gone",)
        assert relay.positions() == {"gone": 0, "other": 3}
        assert list(relay.halted) == ["gone"]
        assert relay.run_once().delivered == 0
        assert gone.attempts == ["app-1:1"]

    def test_resume_drains_the_backlog_after_the_endpoint_is_fixed(self) -> None:
        """Resuming a halted transport delivers its whole backlog, in order."""
        store = filled(("app-1", 3))
        gone = RecordingTransport("gone")
        gone.disable()
        relay = relay_for(store, gone=gone)
        relay.run_once()
        gone.enable()
        relay.resume("gone")
        assert relay.run_once().delivered == 3
        assert gone.ids() == ["app-1:1", "app-1:2", "app-1:3"]

    @pytest.mark.parametrize("name", ["nope", "n" * 100_000, b"inbox", None])
    def test_resume_of_an_unknown_transport_raises(self, name: Any) -> None:
        """Resuming a name the relay does not know is a ConfigurationError, named short."""
        with pytest.raises(ConfigurationError) as caught:
            relay_for(filled(("app-1", 1)), inbox=RecordingTransport()).resume(name)
        assert len(str(caught.value)) < 200


class FlakyStore(MemoryStore):
    """A memory store whose next few calls of one method raise StorageUnavailable."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: dict[str, int] = {}

    def _maybe_fail(self, method: str) -> None:
        if self.broken.get(method, 0) > 0:
            self.broken[method] -= 1
            raise StorageUnavailable(f"{method} failed")

    def record_position(self, consumer: str, position: int, /) -> None:
        self._maybe_fail("record_position")
        super().record_position(consumer, position)

    def notifications(self, *, after: int = 0, limit: int = 100) -> tuple[Any, ...]:
        self._maybe_fail("notifications")
        return super().notifications(after=after, limit=limit)


class TestAtLeastOnce:
    def test_a_crash_before_recording_progress_sends_the_message_again(self) -> None:
        """If progress cannot be recorded, the same message (same id) is sent again."""
        store = FlakyStore()
        commit(store, "app-1", 1)
        inbox = RecordingTransport()
        relay = relay_for(store, inbox=inbox)
        store.broken["record_position"] = 1
        with pytest.raises(StorageUnavailable):
            relay.run_once()
        relay.run_once()
        assert inbox.ids() == ["app-1:1", "app-1:1"]

    def test_a_relay_finding_another_ahead_stops_quietly(self) -> None:
        """When another relay of the same consumer moved ahead, this one leaves the rest."""
        store = filled(("app-1", 3))
        shared = RecordingTransport()
        other = relay_for(store, inbox=shared)

        class Racing(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                other.run_once()  # the other relay delivers everything meanwhile
                return shared.deliver(message)

        report = relay_for(store, inbox=Racing()).run_once()
        assert report.delivered == 1
        assert store.position("relay/inbox") == 3
        assert sorted(set(shared.ids())) == ["app-1:1", "app-1:2", "app-1:3"]

    def test_two_relays_on_one_store_lose_nothing(self) -> None:
        """Two relays sharing a consumer deliver every message at least once between them."""
        store = filled(("app-1", 40), ("app-2", 40))
        shared = RecordingTransport()
        relays = [Relay(store, {"inbox": shared}, batch=7, clock=FakeClock()) for _ in range(2)]

        def drain(relay: Relay) -> None:
            for _ in range(40):
                relay.run_once()

        threads = [threading.Thread(target=drain, args=(relay,)) for relay in relays]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert set(shared.ids()) == {note.message_id for note in store.notifications(limit=100)}
        assert store.position("relay/inbox") == 80


class TestRunForever:
    def test_sleeps_until_the_next_retry_then_polls(self) -> None:
        """Between passes it sleeps until the next retry is due, else the poll interval."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=3)
        stop = threading.Event()
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            clock.advance(seconds)
            if inbox.delivered:
                stop.set()

        relay = Relay(store, {"inbox": inbox}, clock=clock, sleep=sleep, policy=STEADY)
        total = relay.run_forever(stop, poll_interval=60)
        assert sleeps == [5, 10, 20, 60]
        assert (total.delivered, total.retried) == (1, 3)

    def test_does_not_sleep_while_a_batch_was_full(self) -> None:
        """With a full batch delivered it starts the next pass at once."""
        store = filled(("app-1", 5))
        inbox = RecordingTransport()
        stop = threading.Event()
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            stop.set()

        relay = Relay(store, {"inbox": inbox}, batch=2, sleep=sleep, clock=FakeClock())
        relay.run_forever(stop, poll_interval=1)
        assert (len(inbox.delivered), sleeps) == (5, [1])

    def test_stops_between_messages(self) -> None:
        """A stop asked for during a delivery ends the run after that delivery."""
        store = filled(("app-1", 3))
        stop = threading.Event()

        class Stopping(RecordingTransport):
            def deliver(self, message: OutboundMessage, /) -> Receipt:
                stop.set()
                return super().deliver(message)

        inbox = Stopping()
        report = relay_for(store, inbox=inbox).run_forever(stop)
        assert (report.delivered, store.position("relay/inbox")) == (1, 1)

    def test_stops_from_another_thread_promptly(self) -> None:
        """Setting the stop event wakes a waiting relay at once."""
        relay = Relay(filled(("app-1", 1)), {"inbox": RecordingTransport()})
        stop = threading.Event()
        thread = threading.Thread(
            target=relay.run_forever, args=(stop,), kwargs={"poll_interval": 30}
        )
        thread.start()
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive()

    def test_survives_a_failing_store(self) -> None:
        """A store failure is logged and the relay tries again after the poll interval."""
        store = FlakyStore()
        commit(store, "app-1", 1)
        store.broken["notifications"] = 1
        inbox = RecordingTransport()
        stop = threading.Event()

        def sleep(seconds: float) -> None:
            if inbox.delivered:
                stop.set()

        relay = Relay(store, {"inbox": inbox}, sleep=sleep, clock=FakeClock())
        with capture_logs() as logs:
            relay.run_forever(stop, poll_interval=2)
        event = {"event": "onestop.relay.store_failed", "consumer": "relay"}
        assert logs == [{**event, "log_level": "warning", "error": "StorageUnavailable"}]
        assert inbox.ids() == ["app-1:1"]

    def test_refuses_a_poll_interval_that_is_not_positive(self) -> None:
        """A poll interval of zero would spin; it is refused."""
        relay = Relay(MemoryStore(), {"inbox": RecordingTransport()})
        with pytest.raises(ConfigurationError):
            relay.run_forever(threading.Event(), poll_interval=0)


class TestLogs:
    def test_retry_and_dead_letter_events_carry_ids_not_bodies(self) -> None:
        """Retry and give-up events hold ids, names, attempt and status; never a body."""
        store = filled(("app-1", 2))
        inbox = RecordingTransport()
        inbox.fail(times=1)
        inbox.reject(times=1)
        clock = FakeClock()
        relay = relay_for(store, clock, inbox=inbox)
        with capture_logs() as logs:
            relay.run_once()
            clock.advance(5)
            relay.run_once()
        assert [entry["event"] for entry in logs] == [
            "onestop.delivery.retry_scheduled",
            "onestop.delivery.failed",
        ]
        assert logs[0] == {
            "event": "onestop.delivery.retry_scheduled",
            "log_level": "warning",
            "message_id": "app-1:1",
            "transport": "inbox",
            "destination": "recording",
            "attempt": 1,
            "status": None,
            "delay": 5.0,
            "error": "DeliveryFailed",
        }
        assert logs[1]["outcome"] == "dead_lettered"
        assert {entry["event"] for entry in logs} <= set(EVENTS)


class TestSettings:
    @pytest.mark.parametrize(
        "settings",
        [
            {"base": 0},
            {"cap": -1},
            {"base": 10, "cap": 5},
            {"max_attempts": 0},
            {"base": "5"},
            {"base": True},
            {"cap": float("inf")},
            {"base": float("nan")},
            {"max_attempts": True},
            {"max_attempts": 2.5},
        ],
    )
    def test_retry_policy_refuses_nonsense(self, settings: dict[str, float]) -> None:
        """Non-positive, infinite or non-numeric waits, a cap below its base, or no attempt."""
        with pytest.raises(ConfigurationError):
            RetryPolicy(**settings)  # type: ignore[arg-type]

    def test_by_default_a_transient_failure_never_dead_letters(self) -> None:
        """With the default policy a failing message is tried, at most hourly, until it passes."""
        store, clock = filled(("app-1", 1)), FakeClock()
        inbox = RecordingTransport()
        inbox.fail(times=100)
        sink = MemoryDeadLetters()
        relay = Relay(store, {"inbox": inbox}, clock=clock, dead_letters=sink)
        while not (report := relay.run_once()).delivered:
            assert report.next_attempt_at is not None
            assert report.next_attempt_at - clock.now() <= timedelta(hours=1)
            clock.current = report.next_attempt_at
        assert (len(inbox.attempts), len(sink)) == (101, 0)
        assert RetryPolicy().ceilings()[-2:] == (2560, 3600)

    @pytest.mark.parametrize(
        "arguments",
        [
            {"transports": {}},
            {"transports": {"": RecordingTransport()}},
            {"transports": {"in\x00box": RecordingTransport()}},
            {"transports": {"inbox\n": RecordingTransport()}},
            {"transports": [("inbox", RecordingTransport())]},
            {"consumer": "relay\ud800"},
            {"consumer": "r" * 300},
            {"batch": 0},
            {"batch": True},
            {"batch": "100"},
            {"batch": 10**6},
        ],
    )
    def test_relay_refuses_bad_wiring(self, arguments: dict[str, Any]) -> None:
        """A relay needs named transports a store can keep positions for, and a batch of 1-1000."""
        settings: dict[str, Any] = {"transports": {"inbox": RecordingTransport()}} | arguments
        with pytest.raises(ConfigurationError):
            Relay(MemoryStore(), settings.pop("transports"), **settings)

    def test_reports_add_up(self) -> None:
        """Adding reports adds their counts and keeps the later one's state."""
        first = RelayReport(delivered=2, retried=1, halted=("a",))
        second = RelayReport(delivered=3, dead_lettered=1, more=True)
        assert first + second == RelayReport(delivered=5, retried=1, dead_lettered=1, more=True)

    def test_fakes_satisfy_the_ports(self) -> None:
        """`RecordingTransport` is a `Transport`; `MemoryDeadLetters` a `DeadLetterSink`."""
        assert isinstance(RecordingTransport(), Transport)
        assert isinstance(MemoryDeadLetters(), DeadLetterSink)

    def test_reprs_show_no_content(self) -> None:
        """The relay, its sink and the recording transport show names and counts only."""
        relay = relay_for(filled(("app-1", 1)), inbox=RecordingTransport())
        relay.run_once()
        assert repr(relay) == "<Relay 'relay' transports=[inbox]>"
        assert repr(relay.dead_letters) == "<MemoryDeadLetters 0>"
        assert (
            repr(RecordingTransport()) == "<RecordingTransport 'recording' delivered=0 attempts=0>"
        )
