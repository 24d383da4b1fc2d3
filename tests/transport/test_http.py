"""The transports' HTTP toolkit: Retry-After, the one error mapping, and answers classified.

`onestop.transport._http` serves both HTTP transports.  Its error mapping is driven
through real ``httpx.Client`` and ``httpx2.Client`` objects whose transport is a
``MockTransport`` handler that raises each library's own exceptions.
"""

from __future__ import annotations

import contextlib
import importlib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.exceptions import DeliveryFailed, DeliveryRejected, DeliveryTimeout, NaiveDatetime
from onestop.transport._http import (
    MAX_RETRY_AFTER,
    delivery_error,
    parse_retry_after,
    refusal,
    send,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAP = float(MAX_RETRY_AFTER)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Hypothesis takes naive bounds; a day inside the calendar keeps every offset in range.
FIRST = datetime(1, 1, 2, tzinfo=UTC).replace(tzinfo=None)
LAST = datetime(9999, 12, 30, tzinfo=UTC).replace(tzinfo=None)
instants = st.datetimes(min_value=FIRST, max_value=LAST, timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
nows = st.datetimes(
    min_value=FIRST,
    max_value=LAST,
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(-timedelta(hours=5))]),
)
spaces = st.text(alphabet=" \t", max_size=3)


def imf_fixdate(moment: datetime) -> str:
    return (
        f"{DAYS[moment.weekday()]}, {moment.day:02} {MONTHS[moment.month - 1]}"
        f" {moment.year:04} {moment:%H:%M:%S} GMT"
    )


def rfc850_date(moment: datetime) -> str:
    day, month, year = moment.strftime("%A"), MONTHS[moment.month - 1], moment.year % 100
    return f"{day}, {moment.day:02}-{month}-{year:02} {moment:%H:%M:%S} GMT"


def asctime_date(moment: datetime) -> str:
    return (
        f"{DAYS[moment.weekday()]} {MONTHS[moment.month - 1]} {moment.day:2}"
        f" {moment:%H:%M:%S} {moment.year:04}"
    )


def expected_wait(moment: datetime, now: datetime) -> float:
    return min(max((moment - now).total_seconds(), 0.0), CAP)


class TestRetryAfter:
    @given(seconds=st.integers(min_value=0, max_value=10**12), before=spaces, after=spaces)
    def test_delta_seconds_are_read_up_to_the_cap(self, seconds: int, before: str, after: str):
        """ASCII digits, with spaces or tabs around, are that many seconds, at most the cap."""
        text = f"{before}{seconds}{after}"
        assert parse_retry_after(text, now=NOW) == float(min(seconds, MAX_RETRY_AFTER))

    @given(zeros=st.integers(min_value=1, max_value=50), seconds=st.integers(0, 10**6))
    def test_leading_zeros_do_not_make_a_number_huge(self, zeros: int, seconds: int) -> None:
        """``000…0120`` is 120 seconds, however many zeros lead."""
        assert parse_retry_after("0" * zeros + str(seconds), now=NOW) == float(seconds)

    @given(digits=st.integers(min_value=11, max_value=100_000))
    def test_a_huge_number_is_the_cap(self, digits: int) -> None:
        """A run of digits too long to be a wait anyone means reads as the cap."""
        assert parse_retry_after("9" * digits, now=NOW) == CAP

    @given(moment=instants, now=nows)
    def test_an_imf_fixdate_is_the_seconds_until_then(self, moment: datetime, now: datetime):
        """An IMF-fixdate is the seconds from *now* until it; a past one is no wait."""
        assert parse_retry_after(imf_fixdate(moment), now=now) == expected_wait(moment, now)

    @given(moment=instants)
    def test_an_asctime_date_is_read_like_an_imf_fixdate(self, moment: datetime) -> None:
        """The obsolete asctime format gives the same wait as the IMF-fixdate."""
        wait = parse_retry_after(asctime_date(moment), now=NOW)
        assert wait == parse_retry_after(imf_fixdate(moment), now=NOW) == expected_wait(moment, NOW)

    @given(
        moment=st.datetimes(
            min_value=(NOW - timedelta(days=49 * 365)).replace(tzinfo=None),
            max_value=(NOW + timedelta(days=49 * 365)).replace(tzinfo=None),
            timezones=st.just(UTC),
        ).map(lambda moment: moment.replace(microsecond=0))
    )
    def test_an_rfc850_date_reads_its_year_within_fifty_years(self, moment: datetime) -> None:
        """A two-digit year is the one at most 50 years after now and 50 before (RFC 9110)."""
        assert parse_retry_after(rfc850_date(moment), now=NOW) == expected_wait(moment, NOW)

    def test_an_rfc850_year_more_than_fifty_years_ahead_is_in_the_past(self) -> None:
        """``-80`` in 2026 is 1980, not 2080: a date that far ahead is read as the last one."""
        assert parse_retry_after("Monday, 01-Jan-80 00:00:00 GMT", now=NOW) == 0.0

    @pytest.mark.parametrize(
        "value",
        [
            "120\n",
            "120\r\n",
            "\n120",
            "-5",
            "+5",
            "1.5",
            "1_000",
            "1e3",
            "\u0661\u0662\u0660",  # Arabic-Indic digits
            "\uff11\uff12\uff10",  # full-width digits
            "12\uff10",
            "\u00b9\u00b2",  # superscript digits, which str.isdigit() accepts
            "",
            "   ",
            "soon",
            "120, 130",
            "sun, 06 nov 1994 08:49:37 gmt",  # dates are case-sensitive
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 30 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 0000 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\n",
            "Sun, 06 Nov 1994 08:49:37 GMT\x00",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 06 08:49:37 1994 GMT",
            None,
            b"120",
            120,
        ],
    )
    def test_hostile_values_fall_back_to_no_hint(self, value: object) -> None:
        """A value that is neither delta-seconds nor an HTTP date gives ``None``, never a guess."""
        assert parse_retry_after(value, now=NOW) is None

    def test_a_leap_second_reads_as_the_second_before(self) -> None:
        """Second 60 (a leap second, allowed by the grammar) counts as 59."""
        assert parse_retry_after("Sun, 01 Mar 2026 12:00:60 GMT", now=NOW) == 59.0

    def test_a_date_beyond_the_cap_waits_the_cap(self) -> None:
        """A date in the year 9999 is a wait of the cap, not of eight thousand years."""
        assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW) == CAP

    @given(text=st.text(max_size=60), now=nows)
    def test_any_text_gives_none_or_a_wait_within_the_cap(self, text: str, now: datetime):
        """Whatever the header holds, the answer is ``None`` or a wait from 0 to the cap."""
        wait = parse_retry_after(text, now=now)
        assert wait is None or 0.0 <= wait <= CAP

    @given(text=st.text(min_size=1, max_size=20), bad=st.sampled_from(["\n", "\r", "\x0b", "\f"]))
    def test_a_line_break_anywhere_is_refused(self, text: str, bad: str) -> None:
        """A value holding a CR, LF or other vertical space is never read."""
        assert parse_retry_after(text + bad, now=NOW) is None
        assert parse_retry_after(bad + text, now=NOW) is None

    def test_a_naive_now_is_refused(self) -> None:
        """*now* without a time zone raises `NaiveDatetime`."""
        with pytest.raises(NaiveDatetime):
            parse_retry_after("120", now=datetime(2026, 3, 1))  # noqa: DTZ001

    def test_a_now_that_is_not_a_datetime_gives_none(self) -> None:
        """A *now* of the wrong kind gives ``None``: no wait can be counted from it."""
        assert parse_retry_after("120", now="now") is None  # type: ignore[arg-type]


# --- the error mapping, through both libraries -------------------------------------------


def _library(name: str) -> ModuleType:
    return pytest.importorskip(name, reason=f"{name} is not installed")


LIBRARIES = ["httpx", "httpx2"]
TIMEOUTS = ["ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout"]
FAILURES = ["ConnectError", "ReadError", "WriteError", "RemoteProtocolError", "ProxyError"]


def _client(library: ModuleType, respond: Callable[[Any], Any]) -> Any:
    return library.Client(transport=library.MockTransport(respond))


def _post(client: Any, **options: Any) -> Any:
    return send(
        client,
        "https://agency.example/in",
        content=b"{}",
        headers={"content-type": "application/json"},
        timeout=3.0,
        message_id="app-1:1",
        destination="agency.example",
        **options,
    )


def _failure(library_name: str, name: str) -> tuple[DeliveryFailed, type[BaseException]]:
    """POST through a client of *library_name* whose handler raises its exception *name*."""
    library = _library(library_name)
    raised = getattr(library, name)

    def respond(request: Any) -> Any:
        raise raised("scripted", request=request)

    with _client(library, respond) as client, pytest.raises(DeliveryFailed) as caught:
        _post(client)
    return caught.value, raised


def _answered(
    library_name: str, status: int, headers: Mapping[str, str] | None = None, **options: Any
) -> tuple[Any, list[Any]]:
    """POST through a client of *library_name* that answers *status*; return what it saw."""
    library = _library(library_name)
    seen: list[Any] = []

    def respond(request: Any) -> Any:
        seen.append(request)
        return library.Response(status, headers=headers)

    with _client(library, respond) as client:
        return _post(client, **options), seen


class TestErrors:
    @pytest.mark.parametrize("name", TIMEOUTS)
    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_a_timeout_of_either_library_is_a_delivery_timeout(self, library_name, name):
        """Each timeout of httpx and of httpx2 becomes `DeliveryTimeout`, chained to it."""
        error, raised = _failure(library_name, name)
        assert isinstance(error, DeliveryTimeout)
        assert (error.reason, error.destination) == ("timed out", "agency.example")
        assert type(error.__cause__) is raised

    @pytest.mark.parametrize("name", FAILURES)
    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_a_request_error_of_either_library_is_a_delivery_failure(self, library_name, name):
        """Other request errors become `DeliveryFailed` (not a timeout), naming the class."""
        error, raised = _failure(library_name, name)
        assert not isinstance(error, DeliveryTimeout)
        assert (error.reason, error.message_id) == (f"connection failed ({name})", "app-1:1")
        assert type(error.__cause__) is raised

    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_an_error_that_is_not_the_networks_propagates(self, library_name: str) -> None:
        """A bug in the handler is not a delivery failure: it propagates as it is."""
        library = _library(library_name)

        def broken(request: Any) -> Any:
            raise KeyError("bug")

        with _client(library, broken) as client, pytest.raises(KeyError):
            _post(client)

    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_an_invalid_url_error_is_left_to_the_caller(self, library_name: str) -> None:
        """``InvalidURL`` is no ``RequestError``: no delivery error is made of it."""
        library = _library(library_name)
        assert delivery_error(library.InvalidURL("x"), message_id="m", destination="d") is None

    @pytest.mark.parametrize(
        ("exc", "expected"),
        [
            (TimeoutError("slow"), DeliveryTimeout),
            (ConnectionRefusedError("refused"), DeliveryFailed),
            (OSError("unreachable"), DeliveryFailed),
        ],
    )
    def test_a_look_alike_clients_os_errors_are_mapped_too(self, exc, expected) -> None:
        """`TimeoutError` is a timeout, any other `OSError` a failed connection."""
        error = delivery_error(exc, message_id="m", destination="d")
        assert type(error) is expected
        assert error.__cause__ is exc

    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_send_never_follows_a_redirect(self, library_name: str) -> None:
        """A 302 comes back as the answer; its Location is not visited."""
        response, seen = _answered(library_name, 302, {"location": "https://elsewhere.example/"})
        assert response.status_code == 302
        assert [str(request.url) for request in seen] == ["https://agency.example/in"]

    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_send_passes_the_timeout_and_the_extensions(self, library_name: str) -> None:
        """Each request carries the timeout on every phase, and the extensions given."""
        _, seen = _answered(library_name, 204, extensions={"sni_hostname": "agency.example"})
        assert set(seen[0].extensions["timeout"].values()) == {3.0}
        assert seen[0].extensions["sni_hostname"] == "agency.example"

    def test_a_look_alike_without_extensions_is_not_given_any(self) -> None:
        """A client whose ``post`` takes no ``extensions`` serves when none are needed."""

        class Plain:
            def post(self, url: str, *, content: bytes, headers: Any, follow_redirects: bool,
                     timeout: float) -> Any:  # fmt: skip
                return Answer(201)

        assert _post(Plain()).status_code == 201


# --- a receiver that is slow or says too much, over a real socket ------------------------


class _Receiver:
    """A one-connection HTTP server on loopback that answers with *script*, then notes
    whether the client hung up before the script was sent in full."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/in"
        self.cut_short = False
        self._script = script
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            conn.recv(65536)
            try:
                self._script(conn)
            except OSError:
                self.cut_short = True
                return
            with contextlib.suppress(OSError):
                while conn.recv(65536):  # until the client hangs up
                    pass

    def join(self) -> None:
        self._thread.join(10)
        self._listener.close()


def _dripped_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(40):
        time.sleep(0.02)
        conn.sendall(b"1\r\nx\r\n")
    conn.sendall(b"0\r\n\r\n")


def _huge_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (64 << 20))
    chunk = b"x" * (1 << 20)
    for _ in range(64):
        conn.sendall(chunk)


def _dripped_headers(conn: socket.socket) -> None:
    head = b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"s" * 60 + b"\r\n\r\n"
    for byte in head:
        time.sleep(0.02)
        conn.sendall(bytes([byte]))


class TestBoundedAnswers:
    @pytest.mark.parametrize("script", [_dripped_body, _huge_body])
    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_the_answers_body_is_never_read(self, library_name: str, script) -> None:
        """Only the status and headers are read: the client hangs up on a long body."""
        receiver = _Receiver(script)
        with _library(library_name).Client() as client:
            response = send(client, receiver.url, content=b"{}", headers={}, timeout=5.0,
                            message_id="app-1:1", destination="d")  # fmt: skip
        receiver.join()
        assert (response.status_code, receiver.cut_short) == (200, True)

    @pytest.mark.parametrize("library_name", LIBRARIES)
    def test_the_timeout_bounds_the_whole_attempt(self, library_name: str) -> None:
        """Headers dripped past the timeout end the attempt as a timeout, however steady."""
        receiver = _Receiver(_dripped_headers)
        with _library(library_name).Client() as client, pytest.raises(DeliveryTimeout):
            send(client, receiver.url, content=b"{}", headers={}, timeout=0.3,
                 message_id="app-1:1", destination="d")  # fmt: skip
        receiver.join()
        assert receiver.cut_short


# --- answers ------------------------------------------------------------------------------


@attrs.define
class Answer:
    status_code: int
    headers: Mapping[str, str] = attrs.field(factory=dict)


def _refusal(answer: Answer, **options: Any) -> DeliveryFailed | DeliveryRejected:
    return refusal(answer, message_id="m", destination="d", now=NOW, **options)


class TestAnswers:
    @given(status=st.integers(min_value=300, max_value=599))
    def test_only_client_errors_are_refusals(self, status: int) -> None:
        """A 4xx other than 408 and 429 is a refusal; 3xx, 408, 429 and 5xx are transient."""
        error = _refusal(Answer(status))
        refused = 400 <= status < 500 and status not in (408, 429)
        assert isinstance(error, DeliveryRejected) is refused
        assert isinstance(error, DeliveryFailed) is not refused
        assert error.status == status

    @given(status=st.sampled_from([409, 425, 422]))
    def test_a_transport_may_add_transient_statuses(self, status: int) -> None:
        """The statuses a transport names are transient for it alone."""
        assert isinstance(_refusal(Answer(status), transient=frozenset({status})), DeliveryFailed)
        assert isinstance(_refusal(Answer(status)), DeliveryRejected)

    @pytest.mark.parametrize("name", ["retry-after", "Retry-After", "RETRY-AFTER"])
    def test_retry_after_is_read_in_any_case(self, name: str) -> None:
        """A plain mapping's Retry-After is found whatever the case of its name."""
        assert _refusal(Answer(503, {name: "30"})).retry_after == 30.0

    def test_a_redirect_says_it_was_not_followed(self) -> None:
        """A 3xx is transient, and its reason says that redirects are not followed."""
        assert _refusal(Answer(301)).reason == "HTTP 301 (redirects are not followed)"

    @given(moment=instants)
    def test_a_dated_retry_after_is_counted_from_now(self, moment: datetime) -> None:
        """An HTTP date in Retry-After becomes the seconds from *now* until then."""
        answer = Answer(429, {"retry-after": imf_fixdate(moment)})
        assert _refusal(answer).retry_after == expected_wait(moment, NOW)


def test_both_libraries_are_installed_for_the_test_run() -> None:
    """The test group installs httpx and httpx2, so neither half above is skipped."""
    assert all(importlib.util.find_spec(name) is not None for name in LIBRARIES)
