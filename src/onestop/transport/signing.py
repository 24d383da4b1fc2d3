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

**What the verifier takes.**  The body is `bytes` (a `bytearray` or `memoryview` is
copied); a `str` is taken as its UTF-8 encoding, which is what a sender of JSON signed,
but only a framework's raw bytes are sure to be the bytes signed.  The headers are a
mapping (a ``dict``, a case-insensitive or multi-value header object) or a sequence of
``(name, value)`` pairs as ASGI gives them; names and values may be `str` or `bytes`
(decoded as ASCII).  Anything else (``None``, a number, a list as a value) is a bug in
the caller and raises `onestop.exceptions.InvalidWebhookInput`; what the *sender*
controls (a header missing, given twice, not ASCII, longer than
`MAX_HEADER_LENGTH`, a malformed signature) is refused with
`onestop.exceptions.WebhookVerificationError`, to be answered with a 4xx status.

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

from onestop.domain.common.formats import int_problem, kind_of
from onestop.exceptions import InvalidWebhookInput, NaiveDatetime, WebhookVerificationError

__all__ = [
    "MAX_HEADER_LENGTH",
    "MAX_MESSAGE_ID",
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

MAX_MESSAGE_ID: Final = 256
"""The longest ``webhook-id`` signed or accepted, in characters."""

MAX_HEADER_LENGTH: Final = 8192
"""The longest ``webhook-signature`` accepted, in characters (about 150 signatures)."""

_MAX_CAPACITY: Final = 100_000_000

# Printable ASCII without the space, as Standard Webhooks allows.  The signed content
# joins id, timestamp and body with full stops, so an id holding ``.<digits>`` could be
# split otherwise (id ``evt.1796633618``, timestamp T, body B signs as id ``evt``,
# timestamp 1796633618, body ``T.B``): only for a body that begins with digits and a
# fresh timestamp, never for the JSON objects onestop sends and reads.
_MESSAGE_ID = re.compile(r"[\x21-\x7e]+")
# Integer seconds, no sign, no leading zero; 12 digits reach far past year 9999.
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,11}")
_VERSION = re.compile(r"[a-z0-9]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
# The canonical base64 of a 32-byte HMAC-SHA256: 43 characters and one "=".
_V1_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")


# --- secrets and the signature itself -----------------------------------------------


def _decode_secret(secret: object, argument: str) -> bytes:
    """Return the HMAC key written in *secret* (``whsec_<base64>``), never quoting it."""
    if not isinstance(secret, str):
        raise InvalidWebhookInput(
            argument=argument, reason=f"a secret must be text, not {kind_of(secret)}"
        )
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
    if isinstance(secrets, str | bytes):
        raise InvalidWebhookInput(
            argument="secrets", reason="give a sequence of secrets, not a single string"
        )
    if not isinstance(secrets, Sequence | set | frozenset):
        raise InvalidWebhookInput(
            argument="secrets", reason=f"give a sequence of secrets, not {kind_of(secrets)}"
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


def _require_aware(value: object, argument: str) -> None:
    if not isinstance(value, datetime):
        raise InvalidWebhookInput(
            argument=argument, reason=f"must be a timezone-aware datetime, not {kind_of(value)}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(argument)


def _body(body: object) -> bytes:
    """Return *body* as bytes: bytes as they are, a str as its UTF-8 encoding."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidWebhookInput(
                argument="body", reason="text with a lone surrogate has no UTF-8 encoding"
            ) from None
    raise InvalidWebhookInput(
        argument="body", reason=f"must be bytes (or text, as UTF-8), not {kind_of(body)}"
    )


def _check_message_id(message_id: object) -> str:
    if not isinstance(message_id, str) or len(message_id) > MAX_MESSAGE_ID:
        raise InvalidWebhookInput(
            argument="message_id", reason=f"must be text of 1 to {MAX_MESSAGE_ID} characters"
        )
    if not _MESSAGE_ID.fullmatch(message_id):
        raise InvalidWebhookInput(
            argument="message_id",
            reason="an id must be printable ASCII with no space",
        )
    return message_id


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
            message_id: The message's id: 1 to `MAX_MESSAGE_ID` characters of printable
                ASCII without spaces (a full stop is allowed).  Give the same id on every
                retry of one message.
            body: The exact bytes that will be sent (a `str` is signed as its UTF-8
                encoding).
            timestamp: The time of this attempt; it is rounded down to whole seconds.

        Returns:
            ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``, in that order.

        Raises:
            onestop.exceptions.InvalidWebhookInput: If *message_id* is not text, is
                empty or too long, or holds a character outside printable ASCII or a
                space; *body* is neither bytes nor text; or *timestamp*
                is not a datetime, or is before 1970.
            onestop.exceptions.NaiveDatetime: If *timestamp* has no time zone.
        """
        message_id = _check_message_id(message_id)
        content_body = _body(body)
        _require_aware(timestamp, "timestamp")
        seconds = (timestamp - _EPOCH) // _SECOND
        if seconds < 0:
            raise InvalidWebhookInput(argument="timestamp", reason="must not be before 1970")
        content = _signed_content(message_id, str(seconds), content_body)
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
        capacity: The most ids kept at once; from 1 to 100,000,000.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If *capacity* is not an integer (a
            `bool` is not one) from 1 to 100,000,000.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_capacity", "_entries", "_lock")

    def __init__(self, capacity: int = 100_000) -> None:
        problem = int_problem(capacity, minimum=1, maximum=_MAX_CAPACITY)
        if problem is not None:
            raise InvalidWebhookInput(argument="capacity", reason=problem)
        self._capacity = capacity
        self._entries: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return how many ids are held, expired ones not yet dropped included."""
        return len(self._entries)

    def remember(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record *message_id* until *until*; see `ReplayCache.remember`.

        Raises:
            onestop.exceptions.InvalidWebhookInput: If *message_id* is not text, or
                *until* or *now* is not a datetime.
            onestop.exceptions.NaiveDatetime: If *until* or *now* has no time zone.
        """
        if not isinstance(message_id, str):
            raise InvalidWebhookInput(argument="message_id", reason="must be text")
        _require_aware(until, "until")
        _require_aware(now, "now")
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
        seen: Where accepted ids are remembered (``None``: a `MemoryReplayCache` of its
            own).  Share one between the verifiers (and processes) of one sender; give
            each sender its own, as senders pick their ids and two may pick the same.

    Raises:
        onestop.exceptions.InvalidWebhookInput: If a secret is not ``whsec_`` followed
            by the base64 of 24 to 64 bytes, none is given, *tolerance* is not a
            positive `timedelta`, or *seen* is not a `ReplayCache`.

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
        given: object = tolerance
        if not isinstance(given, timedelta) or tolerance <= timedelta(0):
            raise InvalidWebhookInput(argument="tolerance", reason="must be a positive timedelta")
        if seen is not None and not (
            callable(getattr(seen, "remember", None)) and callable(getattr(seen, "forget", None))
        ):
            raise InvalidWebhookInput(argument="seen", reason="must be a ReplayCache")
        self._tolerance = tolerance
        self._seen: ReplayCache = MemoryReplayCache() if seen is None else seen

    def __repr__(self) -> str:
        """Show the settings, never the secrets."""
        return f"WebhookVerifier(<{len(self._keys)} secret(s)>, tolerance={self._tolerance!r})"

    def verify(
        self,
        headers: Mapping[str, str]
        | Mapping[bytes, bytes]
        | Iterable[tuple[str | bytes, str | bytes]],
        body: bytes | str,
        *,
        now: datetime,
    ) -> VerifiedWebhook:
        """Check a webhook and return what it carries, or refuse it.

        Args:
            headers: The request's headers: a mapping, or ``(name, value)`` pairs;
                names and values as `str` or `bytes`.  Names are matched
                case-insensitively, and a name given twice is refused.
            body: The body exactly as it arrived, before any parsing: `bytes`, or a
                `str` taken as its UTF-8 encoding.
            now: The current time.

        Returns:
            The webhook's id, timestamp and body (as bytes).

        Raises:
            onestop.exceptions.WebhookVerificationError: If the webhook is refused;
                its ``reason`` says why.
            onestop.exceptions.InvalidWebhookInput: If *headers*, *body* or *now* is
                not of a type described above (a bug in the caller, not the sender).
            onestop.exceptions.NaiveDatetime: If *now* has no time zone.
        """
        _require_aware(now, "now")
        body = _body(body)
        message_id, raw_timestamp, raw_signatures = _find_headers(headers)
        if len(message_id) > MAX_MESSAGE_ID or not _MESSAGE_ID.fullmatch(message_id):
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


def _pairs(headers: object) -> Iterable[object]:
    """Return the ``(name, value)`` pairs of *headers*: a mapping, or a sequence of pairs."""
    if isinstance(headers, Mapping):
        items = getattr(headers, "multi_items", None) or headers.items  # one pair per value
        pairs: Iterable[object] = items()
        return pairs
    if isinstance(headers, str | bytes) or not isinstance(headers, Iterable):
        raise InvalidWebhookInput(
            argument="headers",
            reason=f"must be a mapping or (name, value) pairs, not {kind_of(headers)}",
        )
    return headers


def _text(value: object, *, header: str | None) -> str | None:
    """Return a header name or value as text; bytes are ASCII, as HTTP/1.1 sends them."""
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None  # not ASCII: refused below, if it is one of ours
    if isinstance(value, str):
        return value
    what = "a header name" if header is None else f"the {header} header's value"
    raise InvalidWebhookInput(
        argument="headers", reason=f"{what} must be str or bytes, not {kind_of(value)}"
    )


def _find_headers(headers: object) -> tuple[str, str, str]:
    """Return the id, timestamp and signature headers' values, matched case-insensitively."""
    found: dict[str, str] = {}
    for pair in _pairs(headers):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InvalidWebhookInput(argument="headers", reason="each header must be a pair")
        name = _text(pair[0], header=None)
        lowered = name.lower() if name is not None and name.isascii() else None
        if lowered not in _HEADERS:
            _text(pair[1], header="a")  # every value must be str or bytes, ours or not
            continue
        assert lowered is not None  # noqa: S101 - _HEADERS holds text only
        value = _text(pair[1], header=lowered)
        if lowered in found:
            raise WebhookVerificationError("malformed_header", header=lowered)
        if value is not None and (
            not value.isascii() or len(value) > MAX_HEADER_LENGTH or not value.isprintable()
        ):
            value = None
        if value is None:
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
