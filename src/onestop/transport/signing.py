"""Standard Webhooks signing and verification, with no HTTP client and no clock.

`Standard Webhooks <https://www.standardwebhooks.com/>`_ (specification 1.0.0) signs
``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256 and sends three headers:

* ``webhook-id``: the message's id; it stays the same on every retry, so receivers
  use it as an idempotency key;
* ``webhook-timestamp``: the attempt's time, in integer seconds since the Unix epoch;
* ``webhook-signature``: a space-separated list of ``v1,<base64 HMAC-SHA256>``, one
  per active secret, so that secrets can be rotated without downtime.

Secrets are written ``whsec_<base64>``; the key is the decoded part (24 to 64 bytes).

>>> from datetime import UTC, datetime
>>> secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> sent_at = datetime.fromtimestamp(1614265330, UTC)
>>> body = b'{"test": 2432232314}'
>>> headers = WebhookSigner([secret]).headers(
...     "msg_p5jXN8AQM9LWM0D4loKWxJek", body, timestamp=sent_at
... )
>>> headers["webhook-signature"]
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
>>> verifier = WebhookVerifier([secret])
>>> verifier.verify(headers, body, now=sent_at).id
'msg_p5jXN8AQM9LWM0D4loKWxJek'
>>> verifier.verify(headers, body, now=sent_at)
Traceback (most recent call last):
...
onestop.exceptions.WebhookVerificationError: webhook refused (replayed): ...

Verify the body exactly as it arrived, before parsing it: JSON parsed and encoded
again rarely gives back the same bytes, and its signature then fails.

The module is pure: the time of signing and the time of verifying are passed in,
never read from a clock.  It implements the symmetric scheme (``v1``) only;
signatures of other versions (``v1a``, ed25519) are skipped when verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

import attrs

from onestop.exceptions import InvalidWebhookInput, NaiveDatetime, WebhookVerificationError

__all__ = [
    "MemoryReplayCache",
    "ReplayCache",
    "VerifiedWebhook",
    "WebhookSigner",
    "WebhookVerifier",
]

_ID_HEADER: Final = "webhook-id"
_TIMESTAMP_HEADER: Final = "webhook-timestamp"
_SIGNATURE_HEADER: Final = "webhook-signature"
_HEADERS: Final = (_ID_HEADER, _TIMESTAMP_HEADER, _SIGNATURE_HEADER)

_SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format's prefix, not a secret
_MIN_KEY_BYTES: Final = 24
_MAX_KEY_BYTES: Final = 64
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)

# Printable ASCII without the space and the full stop: the signed content joins id,
# timestamp and body with full stops, so an id holding one would be ambiguous.
_MESSAGE_ID = re.compile(r"[\x21-\x2d\x2f-\x7e]+")
# Integer seconds, no sign, no leading zero; 12 digits reach far past year 9999.
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,11}")
_VERSION = re.compile(r"[a-z0-9]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
# The canonical base64 of a 32-byte HMAC-SHA256: 43 characters and one "=".
_V1_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")


# --- secrets and the signature itself -----------------------------------------------


def _decode_secret(secret: str, argument: str) -> bytes:
    """Return the HMAC key written in *secret* (``whsec_<base64>``), never quoting it."""
    if not secret.startswith(_SECRET_PREFIX):
        raise InvalidWebhookInput(argument=argument, reason="a secret must start with 'whsec_'")
    encoded = secret.removeprefix(_SECRET_PREFIX)
    if not _BASE64.fullmatch(encoded):
        raise InvalidWebhookInput(
            argument=argument, reason="the part after 'whsec_' must be base64 text"
        )
    if "=" not in encoded:
        encoded += "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidWebhookInput(
            argument=argument, reason="the part after 'whsec_' is not valid base64"
        ) from None
    if not _MIN_KEY_BYTES <= len(key) <= _MAX_KEY_BYTES:
        raise InvalidWebhookInput(
            argument=argument,
            reason=f"a key must be {_MIN_KEY_BYTES} to {_MAX_KEY_BYTES} bytes, not {len(key)}",
        )
    return key


def _decode_secrets(secrets: Sequence[str]) -> tuple[bytes, ...]:
    """Return the distinct keys of *secrets*, in order; refuse none, or a lone string."""
    if isinstance(secrets, str):
        raise InvalidWebhookInput(
            argument="secrets", reason="give a sequence of secrets, not a single string"
        )
    keys = [_decode_secret(secret, f"secrets[{index}]") for index, secret in enumerate(secrets)]
    if not keys:
        raise InvalidWebhookInput(argument="secrets", reason="give at least one secret")
    return tuple(dict.fromkeys(keys))


def _signed_content(message_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{message_id}.{timestamp}.".encode("ascii") + body


def _v1_signatures(keys: Iterable[bytes], content: bytes) -> list[bytes]:
    """Return the base64 HMAC-SHA256 of *content* under each key, as ASCII bytes."""
    return [base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()) for key in keys]


def _any_match(
    expected: Sequence[bytes],
    candidates: Sequence[bytes],
    *,
    compare: Callable[[bytes, bytes], bool] = hmac.compare_digest,
) -> bool:
    """Tell whether any candidate equals any expected signature.

    Every pair is compared, in constant time, even after a match: how long this takes
    depends on how many signatures there are, never on which one matched or how much
    of a wrong one was right.
    """
    matched = False
    for candidate in candidates:
        for signature in expected:
            matched |= compare(signature, candidate)
    return matched


def _require_aware(value: datetime, argument: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(argument)


# --- signing ------------------------------------------------------------------------


class WebhookSigner:
    """Signs outgoing webhooks with every active secret.

    While a secret is being rotated, give both the new and the old one: the
    ``webhook-signature`` header then holds one signature per secret, and a receiver
    that knows either of them accepts the webhook.

    Args:
        secrets: The active secrets, each ``whsec_<base64>``; at least one.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If a secret is not ``whsec_`` followed
            by the base64 of 24 to 64 bytes, or none is given.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_keys",)

    def __init__(self, secrets: Sequence[str]) -> None:
        self._keys = _decode_secrets(secrets)

    def __repr__(self) -> str:
        """Show how many secrets there are, never the secrets."""
        return f"WebhookSigner(<{len(self._keys)} secret(s)>)"

    def headers(self, message_id: str, body: bytes, *, timestamp: datetime) -> dict[str, str]:
        """Return the three Standard Webhooks headers for sending *body*.

        Args:
            message_id: The message's id: printable ASCII without spaces or full stops.
                Give the same id on every retry of one message.
            body: The exact bytes that will be sent.
            timestamp: The time of this attempt; it is rounded down to whole seconds.

        Returns:
            ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``, in that order.

        Raises:
            onestop.exceptions.InvalidWebhookInput: If *message_id* is empty or holds a
                character outside printable ASCII, a space or a full stop, or
                *timestamp* is before 1970.
            onestop.exceptions.NaiveDatetime: If *timestamp* has no time zone.
        """
        if not _MESSAGE_ID.fullmatch(message_id):
            raise InvalidWebhookInput(
                argument="message_id",
                reason="an id must be printable ASCII with no space or full stop",
            )
        _require_aware(timestamp, "timestamp")
        seconds = (timestamp - _EPOCH) // _SECOND
        if seconds < 0:
            raise InvalidWebhookInput(argument="timestamp", reason="must not be before 1970")
        content = _signed_content(message_id, str(seconds), body)
        signatures = " ".join(
            f"v1,{signature.decode('ascii')}" for signature in _v1_signatures(self._keys, content)
        )
        return {
            _ID_HEADER: message_id,
            _TIMESTAMP_HEADER: str(seconds),
            _SIGNATURE_HEADER: signatures,
        }


# --- replay protection --------------------------------------------------------------


class ReplayCache(Protocol):
    """Remembers the ids of verified webhooks for a while, to refuse them a second time.

    `WebhookVerifier` calls `remember` only after a signature has verified, so that
    nobody without a secret can fill the cache or block an id.  Implementations must
    make `remember` atomic: of two calls with the same unexpired id, one returns
    ``True``.  A cache shared by every process that receives webhooks (Redis
    ``SET id 1 NX PXAT until``, a database table with a unique key) stops replays
    across processes; `MemoryReplayCache` stops them within one.
    """

    def remember(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record *message_id* until *until*, and tell whether it was new.

        Args:
            message_id: The ``webhook-id`` of a verified webhook.
            until: The last instant at which this webhook could be accepted again.
            now: The current time, as given to `WebhookVerifier.verify`.

        Returns:
            ``True`` if the id was not recorded, or its record expired before *now*;
            ``False`` if it is still recorded: the webhook is a replay.
        """
        ...

    def forget(self, message_id: str, /) -> None:
        """Drop *message_id*, so that the sender's next retry of it is accepted.

        Call it when processing a verified webhook failed and you answer with an
        error, so that the sender retries.
        """
        ...


class MemoryReplayCache:
    """A `ReplayCache` in this process's memory, bounded in size, safe across threads.

    Expired ids are dropped as new ones arrive.  When *capacity* ids are still live,
    the oldest is dropped to make room, which lets a replay of it through: choose a
    capacity above the number of webhooks received in twice the verifier's tolerance
    (the default holds 100,000, i.e. more than 150 webhooks a second for 10 minutes).

    Args:
        capacity: The most ids kept at once; at least 1.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If *capacity* is below 1.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_capacity", "_entries", "_lock")

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise InvalidWebhookInput(argument="capacity", reason="must be at least 1")
        self._capacity = capacity
        self._entries: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return how many ids are held, expired ones not yet dropped included."""
        return len(self._entries)

    def remember(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record *message_id* until *until*; see `ReplayCache.remember`."""
        with self._lock:
            while self._entries:
                oldest, oldest_until = next(iter(self._entries.items()))
                if oldest_until >= now:
                    break
                del self._entries[oldest]
            recorded_until = self._entries.get(message_id)
            if recorded_until is not None and recorded_until >= now:
                return False
            self._entries[message_id] = until
            self._entries.move_to_end(message_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
            return True

    def forget(self, message_id: str, /) -> None:
        """Drop *message_id*; see `ReplayCache.forget`."""
        with self._lock:
            self._entries.pop(message_id, None)


# --- verification -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class VerifiedWebhook:
    """A webhook whose signature, time and id have been checked.

    Attributes:
        id: The ``webhook-id``: the message's idempotency key.
        timestamp: The ``webhook-timestamp``, in UTC.
        body: The body exactly as it arrived; left out of `repr`, since it may hold
            personal data.

    .. versionadded:: 0.1.0
    """

    id: str
    timestamp: datetime
    body: bytes = attrs.field(repr=False)


class WebhookVerifier:
    """Checks incoming Standard Webhooks against the secrets shared with the sender.

    A webhook is accepted when its three headers are present and well formed, its
    timestamp lies within *tolerance* of now, one of its ``v1`` signatures matches
    one of the *secrets*, and its id has not been accepted before while it could
    still be replayed.  Signatures are compared in constant time, all of them.

    Args:
        secrets: The secrets to accept, each ``whsec_<base64>``; during a rotation,
            give the new and the old one.
        tolerance: How far the timestamp may lie from now, either way.
        seen: Where accepted ids are remembered.  ``None`` gives this verifier its
            own `MemoryReplayCache`; share one cache between verifiers, and a shared
            store between processes.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If a secret is not ``whsec_`` followed
            by the base64 of 24 to 64 bytes, none is given, or *tolerance* is not
            positive.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_keys", "_seen", "_tolerance")

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        tolerance: timedelta = timedelta(minutes=5),
        seen: ReplayCache | None = None,
    ) -> None:
        self._keys = _decode_secrets(secrets)
        if tolerance <= timedelta(0):
            raise InvalidWebhookInput(argument="tolerance", reason="must be positive")
        self._tolerance = tolerance
        self._seen: ReplayCache = MemoryReplayCache() if seen is None else seen

    def __repr__(self) -> str:
        """Show the settings, never the secrets."""
        return f"WebhookVerifier(<{len(self._keys)} secret(s)>, tolerance={self._tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> VerifiedWebhook:
        """Check a webhook and return what it carries, or refuse it.

        Args:
            headers: The request's headers; names are matched case-insensitively, and
                a name given twice is refused.
            body: The body exactly as it arrived, before any parsing.
            now: The current time.

        Returns:
            The webhook's id, timestamp and body.

        Raises:
            onestop.exceptions.WebhookVerificationError: If the webhook is refused;
                its ``reason`` says why.
            onestop.exceptions.NaiveDatetime: If *now* has no time zone.
        """
        _require_aware(now, "now")
        message_id, raw_timestamp, raw_signatures = _find_headers(headers)
        if not _MESSAGE_ID.fullmatch(message_id):
            raise WebhookVerificationError("malformed_header", header=_ID_HEADER)
        if not _TIMESTAMP.fullmatch(raw_timestamp):
            raise WebhookVerificationError("malformed_header", header=_TIMESTAMP_HEADER)
        candidates = _parse_signatures(raw_signatures)

        sent = timedelta(seconds=int(raw_timestamp))
        age = (now - _EPOCH) - sent
        if age > self._tolerance:
            raise WebhookVerificationError("expired", header=_TIMESTAMP_HEADER)
        if -age > self._tolerance:
            raise WebhookVerificationError("future", header=_TIMESTAMP_HEADER)
        if not candidates:
            raise WebhookVerificationError("unknown_version", header=_SIGNATURE_HEADER)

        content = _signed_content(message_id, raw_timestamp, body)
        if not _any_match(_v1_signatures(self._keys, content), candidates):
            raise WebhookVerificationError("bad_signature", header=_SIGNATURE_HEADER)

        timestamp = _EPOCH + sent
        try:
            until = timestamp + self._tolerance
        except OverflowError:  # a tolerance of centuries, or a clock near year 9999
            until = datetime.max.replace(tzinfo=UTC)
        if not self._seen.remember(message_id, until=until, now=now):
            raise WebhookVerificationError("replayed", header=_ID_HEADER)
        return VerifiedWebhook(id=message_id, timestamp=timestamp, body=body)


def _find_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    """Return the id, timestamp and signature headers' values, matched case-insensitively."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower() if name.isascii() else name
        if lowered not in _HEADERS:
            continue
        if lowered in found:
            raise WebhookVerificationError("malformed_header", header=lowered)
        found[lowered] = value
    for name in _HEADERS:
        if not found.get(name):
            raise WebhookVerificationError("missing_header", header=name)
    return found[_ID_HEADER], found[_TIMESTAMP_HEADER], found[_SIGNATURE_HEADER]


def _parse_signatures(value: str) -> list[bytes]:
    """Return the ``v1`` signatures in a ``webhook-signature`` value, as ASCII bytes.

    Entries of other versions are skipped, but every entry must be well formed:
    ``<version>,<base64>``, separated by single spaces.
    """
    candidates: list[bytes] = []
    for entry in value.split(" "):
        version, comma, signature = entry.partition(",")
        if not (comma and _VERSION.fullmatch(version) and _BASE64.fullmatch(signature)):
            raise WebhookVerificationError("malformed_header", header=_SIGNATURE_HEADER)
        if version != "v1":
            continue
        if not _V1_SIGNATURE.fullmatch(signature):
            raise WebhookVerificationError("malformed_header", header=_SIGNATURE_HEADER)
        candidates.append(signature.encode("ascii"))
    return candidates
