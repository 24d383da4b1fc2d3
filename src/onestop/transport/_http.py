"""The HTTP toolkit of the transports: one client protocol, one error mapping, one parser.

Private to `onestop.transport.webhook` and `onestop.transport.gateway`, which re-export
what users name (`HttpClient`, `HttpResponse`, `parse_retry_after`).  Both transports
POST through a client the host application builds and owns, an ``httpx.Client`` or an
``httpx2.Client`` (or a look-alike); neither library is imported here.  Everything an
HTTP answer means to a relay is decided in this module, once:

* `send` makes the request (never following a redirect; reading the answer's status
  and headers, never its body; within the timeout as the whole attempt's budget) and
  turns the client's errors into onestop's with `delivery_error`, the one
  classification: timeouts of either library (and `TimeoutError`) are
  `onestop.exceptions.DeliveryTimeout`, their other request errors (and any
  `OSError`) `onestop.exceptions.DeliveryFailed`;
* `refusal` reads a non-2xx answer: 3xx (redirects are not followed), 408, 429, 5xx and
  the statuses a transport adds are transient, carrying the receiver's ``Retry-After``;
  any other 4xx is `onestop.exceptions.DeliveryRejected`;
* `parse_retry_after` reads ``Retry-After`` (RFC 9110, section 10.2.3): seconds, or an
  HTTP date in any of the three formats a recipient must accept.

When to try again lives in one policy too: `onestop.transport.relay.RetryPolicy`.

>>> now = datetime(1994, 11, 6, 8, 49, 0, tzinfo=UTC)
>>> [parse_retry_after(v, now=now) for v in ("120", "Sun, 06 Nov 1994 08:49:37 GMT",
...     "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "120\\n", "-1")]
[120.0, 37.0, 37.0, 37.0, None, None]
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from onestop.exceptions import DeliveryFailed, DeliveryRejected, DeliveryTimeout, NaiveDatetime

__all__ = [
    "MAX_RETRY_AFTER",
    "HttpClient",
    "HttpResponse",
    "delivery_error",
    "parse_retry_after",
    "refusal",
    "send",
]

MAX_RETRY_AFTER: Final = 10**9
"""The longest wait, in seconds, a ``Retry-After`` is read as (about 31 years).

A longer one, in seconds or as a date, is read as this: the receiver asks for a very
long wait, and a retry policy caps it at its own longest wait anyway.
"""

_MAX_WAIT: Final = float(MAX_RETRY_AFTER)
_TRANSIENT: Final = frozenset({408, 429})
_LIBRARIES: Final = frozenset({"httpx", "httpx2"})


class HttpResponse(Protocol):
    """The part of an ``httpx.Response`` (or ``httpx2.Response``) a transport reads."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response's headers, matched case-insensitively."""
        ...


class HttpClient(Protocol):
    """The part of an ``httpx.Client`` (or ``httpx2.Client``) the transports call.

    A client that also has ``stream`` (as both libraries do) is streamed instead, so
    that only the answer's status and headers are read; see `send`.  ``extensions`` is
    passed only when a transport needs it (the webhook transport names the TLS server
    when it sends to a checked address), so a look-alike client without it serves the
    agency gateway.
    """

    def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        follow_redirects: bool,
        timeout: float,
        extensions: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Send a POST and return the answer, without following redirects."""
        ...


# --- errors -------------------------------------------------------------------------------


def delivery_error(
    exc: BaseException, /, *, message_id: str, destination: str
) -> DeliveryFailed | None:
    """Return onestop's error for *exc*, raised by an HTTP client, or ``None`` if none fits.

    A class of ``httpx`` or ``httpx2`` is recognised by its module and name anywhere in
    *exc*'s class hierarchy, so neither library is imported and both are served:

    * ``TimeoutException`` (connect, read, write, pool) and the built-in `TimeoutError`
      give `onestop.exceptions.DeliveryTimeout` (``timed out``);
    * any other ``RequestError`` (a refused connection, a protocol error) and any
      other `OSError` (from a look-alike client) give
      `onestop.exceptions.DeliveryFailed` (``connection failed (ConnectError)``);
    * anything else (a bug, ``httpx.InvalidURL``) gives ``None``: the caller re-raises it.

    The error is returned, not raised, with *exc* as its ``__cause__``.
    """
    timeout, failed = False, False
    for cls in type(exc).__mro__:
        if cls.__module__.partition(".")[0] not in _LIBRARIES:
            continue
        timeout = timeout or cls.__name__ == "TimeoutException"
        failed = failed or cls.__name__ == "RequestError"
    if not (timeout or failed) and isinstance(exc, OSError):
        timeout, failed = isinstance(exc, TimeoutError), True
    error: DeliveryFailed
    if timeout:
        error = DeliveryTimeout(message_id=message_id, destination=destination, reason="timed out")
    elif failed:
        reason = f"connection failed ({type(exc).__name__})"
        error = DeliveryFailed(message_id=message_id, destination=destination, reason=reason)
    else:
        return None
    error.__cause__ = exc
    return error


def send(
    client: HttpClient,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout: float,
    message_id: str,
    destination: str,
    extensions: dict[str, Any] | None = None,
) -> HttpResponse:
    """POST *content* to *url* through *client*, never following a redirect.

    A client with a ``stream`` method (``httpx`` and ``httpx2``) is streamed: only the
    answer's status and headers are read, never its body, and the response is closed at
    once (so its connection too: each attempt uses a connection of its own).  *timeout*
    bounds each phase (connect, write, read) and the whole attempt: once it has passed, a
    watchdog shuts the attempt's connection, so a receiver that drips its answer cannot
    hold the relay.  A look-alike with only ``post`` is called as it is.

    Raises:
        onestop.exceptions.DeliveryFailed: For the client's errors that
            `delivery_error` knows (`onestop.exceptions.DeliveryTimeout` for a
            timeout, and for an attempt cut at its deadline); any other error
            propagates as it is.
    """
    stream: Any = getattr(client, "stream", None)
    deadline = _Deadline(timeout) if callable(stream) else None
    options: dict[str, Any] = dict(extensions or {})
    try:
        if deadline is None:
            answer: HttpResponse = client.post(
                url,
                content=content,
                headers=headers,
                follow_redirects=False,
                timeout=timeout,
                **({"extensions": options} if options else {}),
            )
            return answer
        options["trace"] = deadline.trace
        with (
            deadline,
            stream(
                "POST",
                url,
                content=content,
                headers=headers,
                follow_redirects=False,
                timeout=timeout,
                extensions=options,
            ) as response,
        ):
            answer = response  # closed on leaving: its body is never read
    except Exception as exc:
        error = delivery_error(exc, message_id=message_id, destination=destination)
        if deadline is not None and deadline.expired and error is not None:
            error = DeliveryTimeout(
                message_id=message_id, destination=destination, reason="timed out"
            )
        if error is None:
            raise
        raise error from exc
    return answer


class _Deadline:
    """A watchdog over one attempt: past *seconds*, it shuts the attempt's connections.

    The connections are learnt from httpcore's ``trace`` request extension (as each is
    made); shutting the socket down ends a read blocked on it, which the client reports
    as an error of its own.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[Any] = []
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """Note the socket of each connection the attempt makes; refuse to go on once late."""
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with self._lock:
                if sock is not None:
                    self._sockets.append(sock)
        with self._lock:
            expired = self.expired
        if expired:
            self._shut()
            raise TimeoutError("the attempt ran past its deadline")

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
        self._shut()

    def _shut(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            # The plain socket's shutdown, even for a TLS one: it only ends the reads.
            with contextlib.suppress(OSError, TypeError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


# --- answers ------------------------------------------------------------------------------


def refusal(
    response: HttpResponse,
    /,
    *,
    message_id: str,
    destination: str,
    now: datetime,
    transient: frozenset[int] = frozenset(),
) -> DeliveryFailed | DeliveryRejected:
    """Classify an answer that is not a 2xx: transient (retry it) or a refusal (never again).

    3xx (redirects are not followed: a moved endpoint is a fault to fix), 408, 429,
    5xx and the *transient* statuses give `onestop.exceptions.DeliveryFailed` with the
    seconds of the answer's ``Retry-After`` (`parse_retry_after`, against *now*); any
    other status gives `onestop.exceptions.DeliveryRejected`.  The error is returned,
    for the transport to raise, or to retry first.
    """
    status = response.status_code
    reason = f"HTTP {status}"
    if 400 <= status < 500 and status not in _TRANSIENT | transient:
        return DeliveryRejected(
            message_id=message_id, destination=destination, reason=reason, status=status
        )
    if 300 <= status < 400:
        reason += " (redirects are not followed)"
    return DeliveryFailed(
        message_id=message_id,
        destination=destination,
        reason=reason,
        status=status,
        retry_after=parse_retry_after(_header(response.headers, "retry-after"), now=now),
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Return the header *name* (lower case), matched case-insensitively in any mapping."""
    value = headers.get(name)
    if value is not None:
        return value
    return next((v for k, v in headers.items() if k.lower() == name), None)


# --- Retry-After --------------------------------------------------------------------------

_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
)  # fmt: skip
_MONTH = f"(?P<month>{'|'.join(_MONTHS)})"
_TIME = "(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
_DATES: Final = (
    # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    re.compile(f"{_DAY}, (?P<day>[0-9]{{2}}) {_MONTH} (?P<year>[0-9]{{4}}) {_TIME} GMT"),
    # obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    re.compile(f"{_LONG_DAY}, (?P<day>[0-9]{{2}})-{_MONTH}-(?P<yy>[0-9]{{2}}) {_TIME} GMT"),
    # obsolete asctime: Sun Nov  6 08:49:37 1994
    re.compile(f"{_DAY} {_MONTH} (?P<day>[0-9]{{2}}| [0-9]) {_TIME} (?P<year>[0-9]{{4}})"),
)
_SECONDS = re.compile("[0-9]+")
_OWS = " \t"  # the optional whitespace around a field value; never CR or LF


def parse_retry_after(value: object, /, *, now: datetime) -> float | None:
    """Return the seconds a ``Retry-After`` header asks to wait, or ``None`` if unusable.

    The value is either delta-seconds, ASCII digits (``120``), or an HTTP date
    (RFC 9110, section 5.6.7): an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``) or one
    of the obsolete formats, RFC 850 (``Sunday, 06-Nov-94 08:49:37 GMT``, its two-digit
    year read as the nearest that is at most 50 years after *now*) and asctime
    (``Sun Nov  6 08:49:37 1994``).  Dates are case-sensitive and in GMT; a date in
    the past means no wait.  Spaces and tabs around the value are ignored.

    Anything else is ``None``, so that the caller's own backoff applies: a negative or
    fractional number, digits of another script (``١٢٠``), a line break, a date that
    does not exist (30 February), a value that is not text, or a *now* that is not a
    datetime.  A wait longer than `MAX_RETRY_AFTER` seconds is read as that.

    Raises:
        onestop.exceptions.NaiveDatetime: If *now* has no time zone.

    >>> parse_retry_after("120", now=datetime(2025, 10, 21, tzinfo=UTC))
    120.0
    >>> parse_retry_after("Tue, 21 Oct 2025 00:02:00 GMT", now=datetime(2025, 10, 21, tzinfo=UTC))
    120.0
    """
    moment: object = now
    if isinstance(moment, datetime) and moment.utcoffset() is None:
        raise NaiveDatetime("now")
    if not isinstance(value, str) or not isinstance(moment, datetime):
        return None
    text = value.strip(_OWS)
    if _SECONDS.fullmatch(text):
        # Never int() a long run of digits: it would be slow, and is the cap anyway.
        digits = text.lstrip("0") or "0"
        return float(min(int(digits), MAX_RETRY_AFTER)) if len(digits) <= 10 else _MAX_WAIT
    when = _http_date(text, now=moment)
    if when is None:
        return None
    try:
        wait = (when - moment).total_seconds()
    except OverflowError:  # a date and a now at opposite ends of the calendar
        return None
    return min(max(wait, 0.0), _MAX_WAIT)


def _http_date(text: str, *, now: datetime) -> datetime | None:
    """Read an HTTP date in one of its three formats, or return ``None``."""
    for pattern in _DATES:
        found = pattern.fullmatch(text)
        if found is not None:
            break
    else:
        return None
    parts = found.groupdict()
    if parts.get("yy") is not None:
        try:
            year = _full_year(int(parts["yy"]), now=now)
        except OverflowError:
            return None
    else:
        year = int(parts["year"])
    try:
        return datetime(
            year,
            _MONTHS.index(parts["month"]) + 1,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            min(int(parts["second"]), 59),  # a leap second, 60, is read as 59
            tzinfo=UTC,
        )
    except ValueError:  # 30 February, hour 25, year 0
        return None


def _full_year(yy: int, *, now: datetime) -> int:
    """The year ending in *yy* that is nearest, but not more than 50 years after *now*."""
    current = now.astimezone(UTC).year
    year = current - current % 100 + yy
    if year > current + 50:
        year -= 100
    elif year <= current - 50:
        year += 100
    return year
