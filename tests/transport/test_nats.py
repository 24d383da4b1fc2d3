"""NATS JetStream publishing de-duplicated by message id, and idempotent consumers.

The tests marked ``nats`` need the server named by ``ONESTOP_TEST_NATS_URL``; each run
uses a fresh stream and subject prefix, and deletes the stream at the end.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats_support import CuttableProxy

from onestop.exceptions import (
    ConfigurationError,
    DeliveryFailed,
    InvalidStoreInput,
    NaiveDatetime,
    StorageError,
)
from onestop.ports.events import Commit, NewEvent, Summary
from onestop.storage.memory import MemoryStore
from onestop.transport.base import OutboundMessage, Receipt, Transport
from onestop.transport.inbound.idempotent import (
    MAX_MESSAGE_ID,
    IdempotentConsumer,
    Incoming,
    SqliteProcessedLog,
)
from onestop.transport.nats import NatsPublisher, PublishAck, consume, message_id_of
from onestop.transport.relay import Relay, RetryPolicy

NATS_URL_VARIABLE = "ONESTOP_TEST_NATS_URL"
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


# --- an idempotent consumer over SQLite (no server needed) -------------------------------


@attrs.define
class Mirror:
    """An effect that copies each message's id into a table, and counts its runs."""

    runs: int = 0
    fail_next: bool = False

    def __call__(self, tx: sqlite3.Connection, message: Incoming) -> None:
        self.runs += 1
        tx.execute("INSERT INTO mirror (id, body) VALUES (?, ?)", (message.id, message.body))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the effect failed half-way")


@pytest.fixture
def log() -> Iterator[SqliteProcessedLog]:
    log = SqliteProcessedLog.connect(":memory:")
    log.connection.execute("CREATE TABLE mirror (id TEXT, body BLOB)")
    yield log
    log.close()


def mirrored(log: SqliteProcessedLog) -> list[str]:
    return [row[0] for row in log.connection.execute("SELECT id FROM mirror ORDER BY id")]


class TestIdempotentConsumer:
    def test_applies_each_message_once(self, log) -> None:
        """A message handled three times has its effect applied once."""
        effect = Mirror()
        consumer = IdempotentConsumer("mirror", log, effect)

        applied = [consumer.handle("app-1:1", b"{}") for _ in range(3)]

        assert applied == [True, False, False]
        assert (effect.runs, mirrored(log)) == (1, ["app-1:1"])

    def test_a_failed_effect_records_nothing(self, log) -> None:
        """An effect that raises rolls back its writes and the record; the retry applies it."""
        effect = Mirror(fail_next=True)
        consumer = IdempotentConsumer("mirror", log, effect)

        with pytest.raises(RuntimeError):
            consumer.handle("app-1:1", b"{}")
        assert mirrored(log) == []
        assert not log.processed("mirror", "app-1:1")

        assert consumer.handle("app-1:1", b"{}")
        assert mirrored(log) == ["app-1:1"]

    def test_consumers_keep_their_own_records(self, log) -> None:
        """Two consumers of the same message each apply their effect."""
        first = IdempotentConsumer("first", log, Mirror())
        second = IdempotentConsumer("second", log, Mirror())

        assert first.handle("app-1:1", b"{}")
        assert second.handle("app-1:1", b"{}")
        assert mirrored(log) == ["app-1:1", "app-1:1"]

    def test_the_effect_sees_the_message(self, log) -> None:
        """The effect is handed the id, body, subject and headers of the message."""
        seen: list[Incoming] = []
        consumer = IdempotentConsumer("spy", log, lambda _tx, message: seen.append(message))

        consumer.handle("app-1:2", b"body", subject="onestop.events.submitted", headers={"a": "b"})

        [message] = seen
        assert (message.id, message.body, message.subject) == (
            "app-1:2",
            b"body",
            "onestop.events.submitted",
        )
        assert dict(message.headers) == {"a": "b"}
        assert "body" not in repr(message)

    def test_an_effect_may_not_commit(self, log) -> None:
        """An effect that commits the transaction itself is reported as a wiring error."""
        consumer = IdempotentConsumer("rogue", log, lambda tx, _message: tx.execute("COMMIT"))

        with pytest.raises(ConfigurationError):
            consumer.handle("app-1:1", b"{}")

    def test_records_can_be_pruned(self, log) -> None:
        """Records older than a cut-off are dropped; newer ones stay."""
        consumer = IdempotentConsumer("mirror", log, Mirror())
        consumer.handle("app-1:1", b"{}")

        assert log.prune("mirror", before=datetime.now(UTC) - timedelta(days=1)) == 0
        assert log.prune("mirror", before=datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert not log.processed("mirror", "app-1:1")

    @pytest.mark.parametrize(
        "message_id",
        ["", "app-1:1\x00", "app-1:1\ud800", "app-1\n:1", "m" * (MAX_MESSAGE_ID + 1), 7, None],
        ids=["empty", "nul", "surrogate", "line-break", "too-long", "int", "none"],
    )
    def test_a_message_id_no_log_keeps_is_refused(self, log, message_id: Any) -> None:
        """An id that is not clean text of at most MAX_MESSAGE_ID is refused; nothing runs."""
        effect = Mirror()
        consumer = IdempotentConsumer("mirror", log, effect)

        with pytest.raises(InvalidStoreInput) as caught:
            consumer.handle(message_id, b"{}")
        assert caught.value.field == "message_id"
        with pytest.raises(InvalidStoreInput):
            log.apply_once("mirror", message_id, lambda _tx: None)
        assert (effect.runs, mirrored(log)) == (0, [])
        assert not log.processed("mirror", message_id)

    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ({"body": "{}"}, "body"),
            ({"body": bytearray(b"{}")}, "body"),
            ({"body": None}, "body"),
            ({"subject": 7}, "subject"),
            ({"headers": {"a": 1}}, "headers"),
            ({"headers": [("a", "b")]}, "headers"),
        ],
    )
    def test_a_message_of_the_wrong_shape_is_refused(
        self, log, arguments: dict[str, Any], field: str
    ) -> None:
        """A body that is not bytes, a subject not text, headers not text to text: refused."""
        consumer = IdempotentConsumer("mirror", log, Mirror())
        given = {"body": b"{}", **arguments}
        body = given.pop("body")

        with pytest.raises(InvalidStoreInput) as caught:
            consumer.handle("app-1:1", body, **given)
        assert caught.value.field == field
        assert mirrored(log) == []

    @pytest.mark.parametrize("name", ["", "mir\x00ror", 7, "m" * 257])
    def test_a_consumer_name_no_log_keeps_is_refused(self, log, name: Any) -> None:
        """A consumer's name must be clean text of 1 to 256 characters."""
        with pytest.raises(ConfigurationError):
            IdempotentConsumer(name, log, Mirror())

    def test_records_are_stamped_in_utc_so_pruning_compares_instants(self, log) -> None:
        """A clock in another zone stamps the same instant; prune compares instants, not text."""
        jakarta = timezone(timedelta(hours=7))
        zoned = SqliteProcessedLog(log.connection, clock=lambda: T0.astimezone(jakarta))
        IdempotentConsumer("mirror", zoned, Mirror()).handle("app-1:1", b"{}")

        assert zoned.prune("mirror", before=T0 - timedelta(minutes=1)) == 0
        assert zoned.prune("mirror", before=T0 + timedelta(minutes=1)) == 1

    @pytest.mark.parametrize(
        ("before", "error"),
        [("yesterday", InvalidStoreInput), (T0.replace(tzinfo=None), NaiveDatetime)],
    )
    def test_prune_needs_an_aware_instant(self, log, before: Any, error: type) -> None:
        """prune() refuses a cut-off that is not a timezone-aware datetime."""
        with pytest.raises(error):
            log.prune("mirror", before=before)

    @pytest.mark.parametrize(
        "options",
        [
            {"timeout": True},
            {"timeout": -1},
            {"timeout": float("inf")},
            {"timeout": 10**400},
            {"table": 7},
        ],
    )
    def test_connect_refuses_settings_out_of_range(self, options: dict[str, Any]) -> None:
        """connect() refuses a timeout that is a bool, negative or infinite, or a bad table."""
        with pytest.raises(ConfigurationError):
            SqliteProcessedLog.connect(":memory:", **options)

    @pytest.mark.parametrize("path", ["log\x00.sqlite3", 7, b"log.sqlite3"])
    def test_connect_refuses_a_path_no_file_has(self, path: Any) -> None:
        """A path with a NUL, or not text, raises ConfigurationError, not ValueError."""
        with pytest.raises(ConfigurationError):
            SqliteProcessedLog.connect(path)

    def test_the_log_needs_an_autocommit_connection(self) -> None:
        """A connection that opens transactions by itself is refused."""
        connection = sqlite3.connect(":memory:")
        try:
            with pytest.raises(ConfigurationError):
                SqliteProcessedLog(connection)
            with pytest.raises(ConfigurationError):
                SqliteProcessedLog(sqlite3.connect(":memory:", isolation_level=None), table="a b")
        finally:
            connection.close()

    def test_a_broken_database_is_a_storage_error(self, tmp_path) -> None:
        """A failure to record raises StorageError, with the driver's error as cause."""
        log = SqliteProcessedLog.connect(tmp_path / "processed.db")
        log.connection.execute("DROP TABLE onestop_processed")
        consumer = IdempotentConsumer("mirror", log, Mirror())
        try:
            with pytest.raises(StorageError) as caught:
                consumer.handle("app-1:1", b"{}")
            assert isinstance(caught.value.__cause__, sqlite3.Error)
        finally:
            log.close()


# --- the publisher's settings (no server needed) -----------------------------------------


class TestPublisherSettings:
    @pytest.mark.parametrize("prefix", ["", "a..b", "a.*", "a.>", "a b"])
    def test_a_bad_prefix_is_refused(self, prefix) -> None:
        """A subject prefix must be dot-separated plain tokens."""
        with pytest.raises(ConfigurationError):
            NatsPublisher(prefix=prefix)

    def test_one_subject_per_event_kind(self) -> None:
        """A message of kind k goes to {prefix}.k; the stream listens on {prefix}.>."""
        publisher = NatsPublisher(prefix="mall.events", stream="MALL")

        assert publisher.subject("submitted") == "mall.events.submitted"
        assert publisher.subjects == "mall.events.>"
        with pytest.raises(ConfigurationError):
            publisher.subject("a.b")

    def test_a_bad_stream_name_is_refused(self) -> None:
        """A stream name with a dot or a space is refused."""
        with pytest.raises(ConfigurationError):
            NatsPublisher(stream="a.b")

    @pytest.mark.parametrize(
        "options",
        [
            {"stream": 7},
            {"prefix": 7},
            {"timeout": True},
            {"timeout": float("inf")},
            {"timeout": "5"},
            {"duplicate_window": float("nan")},
            {"duplicate_window": 10**400},
            {"name": b"nats"},
            {"options": {"servers": ["nats://elsewhere:4222"]}},
            {"options": {"no_such_option": 1}},
            {"options": ["user", "password"]},
            {"servers": [7]},
            {"servers": None},
        ],
    )
    def test_settings_of_the_wrong_kind_are_refused(self, options: dict[str, Any]) -> None:
        """Names that are not text, and waits that are bools, text or not finite: refused."""
        with pytest.raises(ConfigurationError):
            NatsPublisher(**options)

    @pytest.mark.parametrize("kind", [7, None, "x" * 5000 + " y"])
    def test_a_kind_that_is_not_a_token_is_refused_shortly(self, kind: Any) -> None:
        """subject() of a kind that is not one token raises ConfigurationError, quoted short."""
        with pytest.raises(ConfigurationError) as caught:
            NatsPublisher().subject(kind)
        assert len(str(caught.value)) < 200

    def test_an_unreachable_server_fails_within_the_timeout(self) -> None:
        """A server that cannot be reached raises DeliveryFailed, and leaves no thread."""
        publisher = NatsPublisher("nats://127.0.0.1:1", timeout=0.3)

        with pytest.raises(DeliveryFailed):
            publisher.start()
        publisher.close()
        assert "started" not in repr(publisher)

    def test_an_unreachable_server_is_tried_as_the_policy_allows(self) -> None:
        """With retry=, deliver publishes max_attempts times, after the policy's waits."""
        waits: list[float] = []
        retry = RetryPolicy(base=0.25, cap=1, max_attempts=3, jitter=False)
        publisher = NatsPublisher(
            "nats://127.0.0.1:1", timeout=0.3, retry=retry, sleep=waits.append
        )
        store = MemoryStore()
        commit(store, "app-1", 1)
        note = OutboundMessage.from_notification(store.notifications()[0])
        try:
            with pytest.raises(DeliveryFailed):
                publisher.deliver(note)
        finally:
            publisher.close()
        assert waits == [0.25, 0.5]

    @pytest.mark.parametrize("options", [{"retry": 3}, {"retry": RetryPolicy()}, {"sleep": 1}])
    def test_a_retry_setting_of_the_wrong_kind_is_refused(self, options: dict[str, Any]) -> None:
        """retry= must be a RetryPolicy with max_attempts, sleep= a function."""
        with pytest.raises(ConfigurationError):
            NatsPublisher(**options)

    def test_is_a_transport(self) -> None:
        """The publisher satisfies the Transport protocol."""
        assert isinstance(NatsPublisher(), Transport)


# --- against a NATS server ---------------------------------------------------------------


@attrs.frozen
class Target:
    """A fresh stream and subject prefix on the test server."""

    url: str
    stream: str
    prefix: str

    def publisher(self, **kw: Any) -> NatsPublisher:
        return NatsPublisher(self.url, stream=self.stream, prefix=self.prefix, **kw)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _delete_stream(url: str, name: str) -> None:
    client = await nats.connect(url)
    try:
        await client.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


async def _stored_ids(target: Target) -> list[str]:
    """Every stored message's Nats-Msg-Id, in stream order."""
    client = await nats.connect(target.url)
    try:
        js = client.jetstream()
        info = await js.stream_info(target.stream)
        ids = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            stored = await js.get_msg(target.stream, sequence)
            ids.append((stored.headers or {})["Nats-Msg-Id"])
        return ids
    finally:
        await client.close()


@pytest.fixture
def target() -> Iterator[Target]:
    url = os.environ.get(NATS_URL_VARIABLE, "")
    if not url:
        pytest.skip(f"{NATS_URL_VARIABLE} is not set")
    token = secrets.token_hex(4)
    found = Target(url=url, stream=f"ONESTOP_TEST_{token}", prefix=f"onestop.test{token}")
    yield found
    run(_delete_stream(url, found.stream))


def commit(store: MemoryStore, stream_id: str, version: int) -> None:
    """Append one bare event to *stream_id*, giving the log one notification."""
    summary = Summary(
        stream_id=stream_id,
        number=f"N/{stream_id}",
        service="s",
        service_version=1,
        agency="a",
        channel="online",
        state="submitted",
        assignee=None,
        received=T0,
        due=None,
        at_risk_from=None,
        suspended=False,
        closed=False,
        version=version,
        updated_at=T0,
    )
    event = NewEvent(
        kind="submitted" if version == 1 else "action_taken",
        body=b"{}",
        hash=f"{version:064x}",
        previous_hash=f"{version - 1:064x}",
        notice=b'{"kind":"x"}',
    )
    store.commit(
        Commit(
            stream_id=stream_id,
            expected_version=version - 1,
            events=(event,),
            summary=summary,
            recorded_at=T0,
        )
    )


class Killed(BaseException):
    """The relay's process died (a BaseException, so nothing catches it on the way)."""


class KilledBeforeRecording(MemoryStore):
    """A store view whose relay dies right after its n-th publish, before recording it."""

    def __init__(self, inner: MemoryStore, *, after: int) -> None:
        self._inner, self._left = inner, after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def record_position(self, consumer: str, position: int, /) -> None:
        if self._left == 0:
            raise Killed
        self._left -= 1
        self._inner.record_position(consumer, position)


@attrs.define
class Counting:
    """A Transport over the publisher that counts what JetStream answered."""

    publisher: NatsPublisher
    name: str = "nats"
    acks: list[PublishAck] = attrs.field(factory=list)

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        self.acks.append(self.publisher.publish(message.kind, message.body, message_id=message.id))
        return Receipt(message_id=message.id, transport=self.name)


@pytest.mark.nats
class TestJetStream:
    def test_start_ensures_the_stream(self, target) -> None:
        """Starting creates the stream on {prefix}.>, and a second start reuses it."""
        with target.publisher():
            pass
        with target.publisher():
            pass

        async def subjects() -> list[str]:
            client = await nats.connect(target.url)
            try:
                info = await client.jetstream().stream_info(target.stream)
                return list(info.config.subjects or [])
            finally:
                await client.close()

        assert run(subjects()) == [f"{target.prefix}.>"]

    def test_a_stream_with_other_subjects_is_refused(self, target) -> None:
        """A stream of that name that does not cover {prefix}.> is a configuration error."""

        async def create() -> None:
            client = await nats.connect(target.url)
            try:
                config = StreamConfig(name=target.stream, subjects=[f"{target.prefix}x.>"])
                await client.jetstream().add_stream(config)
            finally:
                await client.close()

        run(create())
        with pytest.raises(ConfigurationError):
            target.publisher().start()

    def test_deliver_publishes_with_the_message_id(self, target) -> None:
        """A message goes to {prefix}.{kind} with Nats-Msg-Id and the stream and version."""
        message = OutboundMessage(
            id="app-1:2",
            kind="action_taken",
            stream_id="app-1",
            version=2,
            position=7,
            body=b'{"state":"verified"}',
            recorded_at=T0,
        )
        with target.publisher() as publisher:
            receipt = publisher.deliver(message)

        async def stored() -> Any:
            client = await nats.connect(target.url)
            try:
                return await client.jetstream().get_msg(target.stream, 1)
            finally:
                await client.close()

        found = run(stored())
        assert receipt == Receipt(message_id="app-1:2", transport="nats")
        assert found.subject == f"{target.prefix}.action_taken"
        assert found.data == b'{"state":"verified"}'
        assert found.headers["Nats-Msg-Id"] == "app-1:2"
        assert (found.headers["Onestop-Stream-Id"], found.headers["Onestop-Version"]) == (
            "app-1",
            "2",
        )

    def test_a_repeated_id_is_dropped(self, target) -> None:
        """Publishing the same id twice stores one message; the second ack says duplicate."""
        with target.publisher() as publisher:
            first = publisher.publish("submitted", b"{}", message_id="app-1:1")
            second = publisher.publish("submitted", b"{}", message_id="app-1:1")

        assert (first.duplicate, second.duplicate) == (False, True)
        assert second.sequence == first.sequence
        assert run(_stored_ids(target)) == ["app-1:1"]

    def test_a_connection_nats_py_gave_up_on_is_made_again(self, target) -> None:
        """Once nats-py gives up reconnecting and closes the connection, a publish while the
        server is away fails typed, and the first one after it is back connects again."""
        proxy = CuttableProxy(target.url)
        proxy.restore()
        gave_up = threading.Event()

        async def closed() -> None:
            gave_up.set()

        options = {"max_reconnect_attempts": 1, "reconnect_time_wait": 0.1, "closed_cb": closed}
        publisher = NatsPublisher(
            proxy.url, stream=target.stream, prefix=target.prefix, timeout=1.0, options=options
        )
        try:
            publisher.publish("submitted", b"{}", message_id="app-1:1")
            proxy.cut()
            assert gave_up.wait(5), "nats-py never gave up reconnecting"
            with pytest.raises(DeliveryFailed):
                publisher.publish("submitted", b"{}", message_id="app-1:2")
            proxy.restore()
            ack = publisher.publish("submitted", b"{}", message_id="app-1:2")
        finally:
            publisher.close()
            proxy.cut()

        assert not ack.duplicate
        assert run(_stored_ids(target)) == ["app-1:1", "app-1:2"]

    def test_a_stream_deleted_while_publishing_is_made_again(self, target) -> None:
        """A stream deleted while the publisher runs is made again by the next publish,
        which is then stored."""
        with target.publisher(timeout=1.0) as publisher:
            publisher.publish("submitted", b"{}", message_id="app-1:1")
            run(_delete_stream(target.url, target.stream))
            ack = publisher.publish("submitted", b"{}", message_id="app-1:2")

        assert (ack.stream, ack.sequence, ack.duplicate) == (target.stream, 1, False)
        assert run(_stored_ids(target)) == ["app-1:2"]

    def test_a_relay_killed_100_times_loses_nothing(self, target) -> None:
        """Killed 100 times between publish and recording, the relay loses and stores no copy."""
        rng = random.Random(20250303)
        store = MemoryStore()
        versions: dict[str, int] = {}
        kills = 0
        counted: list[PublishAck] = []
        with target.publisher() as publisher:
            while kills < 100:
                for _ in range(rng.randint(1, 4)):  # the mall goes on committing
                    stream_id = f"app-{rng.randint(1, 30)}"
                    versions[stream_id] = versions.get(stream_id, 0) + 1
                    commit(store, stream_id, versions[stream_id])
                # A new relay process, killed after a random number of recorded positions.
                transport = Counting(publisher)
                killable = KilledBeforeRecording(store, after=rng.randint(0, 3))
                try:
                    Relay(killable, {"nats": transport}, batch=10).run_once()
                except Killed:
                    kills += 1
                counted += transport.acks
            # Finally a relay that is left alone drains the backlog.
            survivor = Counting(publisher)
            relay = Relay(store, {"nats": survivor}, batch=10)
            while relay.backlog()["nats"]:
                relay.run_once()
            counted += survivor.acks

        expected = {
            f"{stream}:{v}" for stream, last in versions.items() for v in range(1, last + 1)
        }
        stored = run(_stored_ids(target))
        duplicates_dropped = sum(ack.duplicate for ack in counted)
        assert kills == 100
        assert set(stored) == expected  # no event lost
        assert len(stored) == len(set(stored))  # no copy stored
        assert duplicates_dropped == len(counted) - len(expected) >= 100

    def test_a_redelivered_message_is_applied_once(self, target, log) -> None:
        """Delivered five times (nak, nak, nak, ack wait expired, ack), the effect runs once."""
        with target.publisher() as publisher:
            publisher.publish("submitted", b'{"n":1}', message_id="app-1:1")
        effect = Mirror()
        consumer = IdempotentConsumer("mirror", log, effect)

        async def deliveries() -> tuple[list[int], list[bool], int]:
            client = await nats.connect(target.url)
            try:
                js = client.jetstream()
                subscription = await js.pull_subscribe(
                    f"{target.prefix}.>",
                    durable="mirror",
                    stream=target.stream,
                    config=ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0, max_deliver=10
                    ),
                )
                delivered, applied = [], []
                for attempt in range(1, 6):
                    [msg] = await subscription.fetch(1, timeout=5)
                    delivered.append(msg.metadata.num_delivered)
                    if attempt == 5:
                        applied.append(await consume(consumer, msg))
                        break
                    # The effect commits, but the ack is lost: the broker delivers again.
                    applied.append(consumer.handle(message_id_of(msg), msg.data))
                    if attempt < 4:
                        await msg.nak()
                with pytest.raises(nats.errors.TimeoutError):
                    await subscription.fetch(1, timeout=1.5)  # acknowledged: nothing more
                return delivered, applied, effect.runs
            finally:
                await client.close()

        delivered, applied, runs = run(deliveries())

        assert delivered == [1, 2, 3, 4, 5]
        assert applied == [True, False, False, False, False]
        assert runs == 1
        assert mirrored(log) == ["app-1:1"]
