"""Publish notifications to NATS JetStream, de-duplicated by message id (extra ``onestop[nats]``).

`NatsPublisher` is a synchronous `onestop.transport.base.Transport` over nats-py's
asyncio client, so the synchronous `onestop.transport.relay.Relay` can use it: it
runs an event loop in a background thread of its own, and each `NatsPublisher.deliver`
blocks on it for at most *timeout* seconds.

* **One subject per event kind**: ``{prefix}.{kind}``, e.g. ``onestop.events.submitted``
  and ``onestop.events.action_taken``; subscribe to ``onestop.events.>`` for all.
* **A stream is ensured on start**: *stream* with the subjects ``{prefix}.>``, file
  storage and a *duplicate_window*; an existing stream that already covers them is
  used as it is.  Every publish names the stream it expects (``Nats-Expected-Stream``),
  so a message never lands in another one.  A stream deleted while the publisher runs
  is made again, once, by the publish that finds it missing, which then tries again.
* **Reconnection**: nats-py reconnects by itself for a while (``max_reconnect_attempts`` times,
  ``reconnect_time_wait`` apart, settable in *options*); once it gives up and closes the
  connection, the next publish drops it and connects again, within *timeout*, so the
  relay's retries carry on once the server is back.
* **De-duplication by message id**: the ``Nats-Msg-Id`` header is the notification's
  `onestop.ports.events.Notification.message_id` (``stream_id:version``).  A relay that
  crashed after publishing but before recording its position publishes the same
  messages again after a restart, and JetStream drops each copy that arrives within
  the duplicate window (``PubAck.duplicate``).  Past the window a copy is stored
  again: consumers must still drop duplicates, with
  `onestop.transport.inbound.idempotent.IdempotentConsumer` (`consume` does so for a JetStream
  message).
* Headers ``Onestop-Stream-Id`` and ``Onestop-Version`` let consumers order and group
  messages per application without parsing the body.  The body is the notification's
  thin JSON body: ids, number, service, agency, state, action; never personal data.

Errors: a timeout raises `onestop.exceptions.DeliveryTimeout`, a broken connection or
an unavailable JetStream `onestop.exceptions.DeliveryFailed` (the relay tries again
later; with ``retry=``, a `onestop.transport.relay.RetryPolicy`, `NatsPublisher.deliver`
first tries again itself, as that policy allows), and a refusal of the message itself
(too large, a bad subject) `onestop.exceptions.DeliveryRejected`.

.. code-block:: python

    with NatsPublisher("nats://127.0.0.1:4222", prefix="onestop.events") as nats:
        Relay(store, {"nats": nats}).run_forever(stop)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, Final, TypeVar

import attrs
import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import Header, PubAck, StorageType, StreamConfig

from onestop.domain.common.formats import MAX_NAME, kind_of, preview, text_problem
from onestop.domain.common.kinds import seconds_problem
from onestop.exceptions import (
    ConfigurationError,
    DeliveryFailed,
    DeliveryRejected,
    DeliveryTimeout,
    InvalidValue,
)
from onestop.transport._retry import RetryPolicy, in_delivery, retrying
from onestop.transport.base import OutboundMessage, Receipt, check_message
from onestop.transport.inbound.idempotent import IdempotentConsumer

__all__ = [
    "consume",
    "message_id_of",
    "NatsPublisher",
    "PublishAck",
    "STREAM_ID_HEADER",
    "VERSION_HEADER",
]

T = TypeVar("T")

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")  # an RFC 9110 token
_MAX_HEADER = 4096
STREAM_ID_HEADER: Final = "Onestop-Stream-Id"
"""The header naming the application (event stream) a message is about."""
VERSION_HEADER: Final = "Onestop-Version"
"""The header holding the event's version in its stream, to order messages per application."""


def _check_prefix(prefix: str) -> str:
    given: object = prefix
    if not isinstance(given, str):
        raise ConfigurationError("a subject prefix is text")
    tokens = prefix.split(".")
    if not all(_TOKEN.fullmatch(token) for token in tokens):
        raise ConfigurationError(
            "a subject prefix is dot-separated tokens of letters, digits, '_' and '-'"
        )
    return prefix


_OPTIONS: Final = frozenset(inspect.signature(Client.connect).parameters) - {
    "self",
    "servers",
    "connect_timeout",
}


def _check_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return *options* as a dict if each names a parameter of ``nats.connect``."""
    given: object = options
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ConfigurationError(f"options must be a mapping, not {kind_of(given)}")
    unknown = sorted(preview(key) for key in given if key not in _OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"nats.connect takes no option {', '.join(unknown[:3])}"
            " (servers and connect_timeout are the publisher's own)"
        )
    return dict(given)


def _header_problem(value: object) -> str | None:
    """Why *value* cannot be a header value as it is (NATS trims it, and drops line breaks)."""
    problem = text_problem(value, max_length=_MAX_HEADER)
    if problem is None and value != value.strip():  # type: ignore[attr-defined]  # it is text
        return "has white space at an end, which NATS would trim"
    return problem


def _publish_problem(body: object, message_id: object, headers: object) -> tuple[str, str] | None:
    """Return the argument of a publish that NATS cannot carry as given, and why, or ``None``."""
    if type(body) is not bytes:
        return "body", f"expected bytes, not {kind_of(body)}"
    problem = _header_problem(message_id)
    if problem is not None:
        return "message_id", problem
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        return "headers", f"expected a mapping of header names to text, not {kind_of(headers)}"
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            return "headers", (
                f"{preview(name)} is not a header name: 1 to 64 ASCII letters, digits"
                " and !#$%&'*+-.^_`|~"
            )
        problem = _header_problem(value)
        if problem is not None:
            return f"headers[{preview(name)}]", problem
    return None


@attrs.frozen(kw_only=True)
class PublishAck:
    """JetStream's answer to a publish.

    Attributes:
        stream: The stream that stored the message.
        sequence: Its sequence number in the stream (the first copy's, for a duplicate).
        duplicate: Whether JetStream dropped it as a copy of a message id it had.

    .. versionadded:: 0.1.0
    """

    stream: str
    sequence: int
    duplicate: bool


class _LoopThread:
    """An asyncio event loop running in a daemon thread; coroutines are submitted to it."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        # Finish what is left (a cancelled connect, the client's own tasks) before closing.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            gathered = asyncio.gather(*pending, return_exceptions=True)
            self._loop.run_until_complete(gathered)
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()


class NatsPublisher:
    """A `onestop.transport.base.Transport` that publishes notifications to JetStream.

    Args:
        servers: The NATS server URL(s).
        prefix: The subject prefix; a message of kind ``k`` goes to ``{prefix}.k``.
        stream: The JetStream stream's name.
        duplicate_window: Seconds within which JetStream drops a repeated message id.
            Choose it longer than a relay can take to restart.
        timeout: Seconds each publish (and the start) may take.
        name: The transport's name in receipts and logs.
        options: Further keyword arguments for ``nats.connect`` (credentials, TLS,
            reconnection settings).
        retry: When `deliver` publishes again after a transient failure (the
            `onestop.transport.relay.RetryPolicy`'s ``next_wait`` decides; JetStream
            drops a copy by its message id).  ``None``, the default, publishes once:
            the relay tries again later.
        sleep: How to wait between those attempts (``time.sleep``); tests pass a fake.

    Raises:
        onestop.exceptions.ConfigurationError: If the prefix or stream name is not
            valid, the timeout or window is not positive, *retry* is not a
            `RetryPolicy` with ``max_attempts``, or *sleep* is not a function.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0
       *retry* and *sleep*.
    """

    def __init__(
        self,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        *,
        prefix: str = "onestop.events",
        stream: str = "ONESTOP_EVENTS",
        duplicate_window: float = 120.0,
        timeout: float = 5.0,
        name: str = "nats",
        options: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        given: tuple[object, ...] = (stream, servers, name)
        if not isinstance(given[0], str) or not _STREAM_NAME.fullmatch(given[0]):
            raise ConfigurationError("a stream name is letters, digits, '_' and '-'")
        for setting, seconds in (("timeout", timeout), ("duplicate_window", duplicate_window)):
            problem = seconds_problem(seconds, positive=True)
            if problem is not None:
                raise ConfigurationError(f"{setting} {problem}")
        problem = text_problem(given[2], max_length=MAX_NAME)
        if problem is not None:
            raise ConfigurationError(f"the transport's name {problem}")
        urls = given[1]
        if not isinstance(urls, str) and not (
            isinstance(urls, Sequence) and all(isinstance(url, str) for url in urls)
        ):
            raise ConfigurationError("servers must be a URL or a sequence of URLs")
        self._servers = [servers] if isinstance(servers, str) else list(servers)
        self._prefix = _check_prefix(prefix)
        self._stream = stream
        self._window = float(duplicate_window)
        self._timeout = float(timeout)
        self._options = _check_options(options)
        self._retry = in_delivery(retry, sleep=sleep)
        self._sleep = sleep
        self.name = name
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    def __repr__(self) -> str:
        """Show the stream and the subjects, never credentials."""
        state = "started" if self._js is not None else "stopped"
        return f"<NatsPublisher stream={self._stream!r} subjects='{self._prefix}.>' {state}>"

    def __enter__(self) -> NatsPublisher:
        """Start, and return the publisher."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the connection and the loop."""
        self.close()

    @property
    def stream(self) -> str:
        """The JetStream stream's name."""
        return self._stream

    @property
    def subjects(self) -> str:
        """The stream's subjects, ``{prefix}.>``."""
        return f"{self._prefix}.>"

    def subject(self, kind: str, /) -> str:
        """Return the subject of messages of *kind*.

        Raises:
            onestop.exceptions.ConfigurationError: If *kind* is not one subject token.
        """
        token: object = kind
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise ConfigurationError(f"event kind {preview(kind)} is not a valid subject token")
        return f"{self._prefix}.{kind}"

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Connect and ensure the stream exists; do nothing if started already.

        A connection nats-py closed (it gave up reconnecting) is dropped, and made again.

        Raises:
            onestop.exceptions.DeliveryFailed: If the server cannot be reached in time
                (its message id is ``(connect)``).
            onestop.exceptions.ConfigurationError: If a stream of that name exists
                without the subjects ``{prefix}.>``.
        """
        with self._lock:
            if self._js is not None and self._client is not None and not self._client.is_closed:
                return
            self._client = self._js = None  # closed for good by nats-py, if any: dropped
            loop = self._loop or _LoopThread(f"onestop-nats-{self._stream}")
            try:
                self._client, self._js = self._wait(loop.submit(self._connect()), "(connect)")
            except BaseException:
                if self._loop is None:
                    loop.stop()
                raise
            self._loop = loop

    async def _connect(self) -> tuple[Client, JetStreamContext]:
        try:
            client = await nats.connect(
                servers=self._servers, connect_timeout=self._timeout, **self._options
            )
        except (TypeError, ValueError, AttributeError) as exc:  # nats-py checks nothing first
            raise ConfigurationError(
                f"nats.connect refused the servers or options ({type(exc).__name__})"
            ) from exc
        try:
            js = client.jetstream(timeout=self._timeout)
            await self._ensure_stream(js)
        except BaseException:
            await client.close()
            raise
        return client, js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            info = await js.stream_info(self._stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=self._stream,
                    subjects=[self.subjects],
                    storage=StorageType.FILE,
                    duplicate_window=self._window,
                )
            )
            return
        if self.subjects not in (info.config.subjects or []):
            raise ConfigurationError(
                f"stream {self._stream!r} exists without the subjects {self.subjects!r}"
            )

    def close(self) -> None:
        """Close the connection and stop the loop thread; a later publish starts again.

        Closing is best effort: a connection that cannot be closed cleanly in time is
        dropped with the loop.
        """
        with self._lock:
            loop, client = self._loop, self._client
            self._loop = self._client = self._js = None
        if loop is None:
            return
        try:
            if client is not None:
                with contextlib.suppress(TimeoutError, nats.errors.Error, OSError):
                    loop.submit(client.close()).result(self._timeout)
        finally:
            loop.stop()

    # --- publishing ------------------------------------------------------------------

    def publish(
        self,
        kind: str,
        body: bytes,
        /,
        *,
        message_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        """Publish *body* to the subject of *kind*, de-duplicated by *message_id*.

        Starts the publisher first if needed, or connects again if nats-py closed the
        connection; a stream found missing is made again once, and the publish tried once
        more.

        Raises:
            onestop.exceptions.ConfigurationError: If *kind* is not one subject token, or
                the stream, found missing, exists meanwhile without ``{prefix}.>``.
            onestop.exceptions.InvalidValue: If *body* is not `bytes`, or *message_id*
                or a header is not text NATS carries as it is (a control character, a
                lone surrogate, white space at an end, a header name that is not a
                token), before anything is sent.
            onestop.exceptions.DeliveryTimeout: If JetStream did not acknowledge in time.
            onestop.exceptions.DeliveryFailed: If the connection or JetStream failed.
            onestop.exceptions.DeliveryRejected: If JetStream refused the message.
        """
        subject = self.subject(kind)
        problem = _publish_problem(body, message_id, headers)
        if problem is not None:
            raise InvalidValue(field=problem[0], reason=problem[1])
        self.start()
        loop, js = self._loop, self._js
        if loop is None or js is None:
            raise DeliveryFailed(message_id=message_id, destination=self.name, reason="closed")
        sent = {**(headers or {}), Header.MSG_ID.value: message_id}
        ack = self._wait(loop.submit(self._publish(js, subject, body, sent)), message_id)
        return PublishAck(stream=ack.stream, sequence=ack.seq, duplicate=bool(ack.duplicate))

    async def _publish(
        self, js: JetStreamContext, subject: str, body: bytes, headers: dict[str, str]
    ) -> PubAck:
        """Publish; if the stream is gone (deleted while we ran), make it again once and
        publish once more."""
        try:
            return await js.publish(
                subject, body, timeout=self._timeout, stream=self._stream, headers=headers
            )
        except nats.js.errors.NoStreamResponseError as missing:
            try:
                await self._ensure_stream(js)
            except nats.js.errors.BadRequestError:  # made meanwhile, otherwise: next time
                raise missing from None
        return await js.publish(
            subject, body, timeout=self._timeout, stream=self._stream, headers=headers
        )

    def deliver(self, message: OutboundMessage, /) -> Receipt:
        """Publish *message* to ``{prefix}.{kind}``; see `publish`.

        A message NATS cannot carry (a kind that is not one subject token, an id or
        stream id with white space at an end) raises
        `onestop.exceptions.DeliveryRejected` before anything is sent: it never could
        be, so the relay keeps it as a dead letter.

        Raises:
            onestop.exceptions.InvalidValue: If *message* is not an `OutboundMessage`.
        """
        check_message(message)
        headers = {STREAM_ID_HEADER: message.stream_id, VERSION_HEADER: str(message.version)}
        problem = _publish_problem(message.body, message.id, headers)
        if not _TOKEN.fullmatch(message.kind):
            problem = ("kind", "is not one subject token")
        if problem is not None:
            raise DeliveryRejected(
                message_id=message.id,
                destination=self.name,
                reason=f"cannot be published: {problem[0]} {problem[1]}",
            )

        def attempt() -> Receipt | DeliveryFailed:
            try:
                self.publish(message.kind, message.body, message_id=message.id, headers=headers)
            except DeliveryFailed as exc:
                return exc
            return Receipt(message_id=message.id, transport=self.name)

        return retrying(
            attempt,
            policy=self._retry,
            sleep=self._sleep,
            message_id=message.id,
            transport=self.name,
        )

    def _wait(self, future: Future[T], message_id: str) -> T:
        """Wait for *future*, translating nats-py's errors into onestop's.

        *message_id* names the message in errors (``(connect)`` while starting).
        """
        destination = self.name
        try:
            return future.result(self._timeout + 1.0)
        except TimeoutError as exc:  # nats.errors.TimeoutError is one too
            future.cancel()
            raise DeliveryTimeout(
                message_id=message_id, destination=destination, reason="timed out"
            ) from exc
        except (nats.js.errors.BadRequestError, nats.errors.MaxPayloadError) as exc:
            raise DeliveryRejected(
                message_id=message_id, destination=destination, reason=type(exc).__name__
            ) from exc
        except (nats.errors.Error, OSError) as exc:
            raise DeliveryFailed(
                message_id=message_id, destination=destination, reason=type(exc).__name__
            ) from exc


# --- consuming ------------------------------------------------------------------------


def _metadata(msg: object) -> Msg.Metadata:
    """Return the JetStream metadata of *msg*, refusing anything but a JetStream message."""
    if not isinstance(msg, Msg):
        raise InvalidValue(field="msg", reason=f"expected a nats Msg, not {kind_of(msg)}")
    try:
        return msg.metadata
    except nats.errors.Error:  # NotJSMessageError: no JetStream reply subject
        raise InvalidValue(
            field="msg", reason="is not a JetStream message: its reply subject holds no metadata"
        ) from None


def message_id_of(msg: Msg, /) -> str:
    """Return a JetStream message's stable id: its ``Nats-Msg-Id``, else stream and sequence.

    Redeliveries of one stored message keep its stream sequence, so the fallback still
    identifies them; copies stored twice (published without an id) are told apart.

    Raises:
        onestop.exceptions.InvalidValue: If *msg* is not a JetStream message.
    """
    meta = _metadata(msg)
    given = (msg.headers or {}).get(Header.MSG_ID.value)
    if given:
        return given
    return f"{meta.stream}:{meta.sequence.stream}"


async def consume(consumer: IdempotentConsumer[Any], msg: Msg, /) -> bool:
    """Apply a JetStream message through *consumer*, then acknowledge it.

    The effect and the record of its id commit together (in a worker thread, so the
    event loop is not blocked); the message is acknowledged after the commit, whether
    its effect ran now or was a duplicate.  If the effect raises, the message is
    negatively acknowledged (redelivered later) and the error re-raised.

    Returns:
        ``True`` if the effect was applied now; ``False`` for a duplicate.

    Raises:
        onestop.exceptions.InvalidValue: If *msg* is not a JetStream message, or was
            acknowledged already; nothing is applied.
        onestop.exceptions.DeliveryFailed: If the acknowledgement could not be sent
            (the message is then redelivered, and dropped as a duplicate).
    """
    message_id = message_id_of(msg)
    if msg.is_acked:
        raise InvalidValue(field="msg", reason="was acknowledged already")
    headers = dict(msg.headers or {})
    try:
        applied = await asyncio.to_thread(
            consumer.handle, message_id, msg.data, subject=msg.subject, headers=headers
        )
    except Exception:
        with contextlib.suppress(nats.errors.Error, OSError):  # the effect's error matters more
            await msg.nak()
        raise
    await _acknowledge(msg, message_id, msg.ack)
    return applied


async def _acknowledge(
    msg: Msg, message_id: str, answer: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Send *answer* (``msg.ack``), translating nats-py's errors."""
    try:
        await answer()
    except (nats.errors.Error, OSError) as exc:
        raise DeliveryFailed(
            message_id=message_id, destination="nats", reason=f"{type(exc).__name__} on ack"
        ) from exc
