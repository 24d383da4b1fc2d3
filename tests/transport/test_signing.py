"""Standard Webhooks signing and verification (reliability plan W1, W6, W7).

The known-answer vector is the one the specification's reference libraries test
against: ``libraries/python/tests/test_webhooks.py`` (``test_sign_function``) and
``libraries/go/webhook_test.go`` (``TestWebhookSign``) in
github.com/standard-webhooks/standard-webhooks.  The Hypothesis properties mutate
valid requests every way W6 lists; together they run 4,000 examples, and every
mutated request must be refused with `WebhookVerificationError`, nothing else.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import inspect
import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from onestop.exceptions import (
    InvalidWebhookInput,
    NaiveDatetime,
    TransportError,
    WebhookVerificationError,
)
from onestop.transport import signing
from onestop.transport.signing import (
    MemoryReplayCache,
    VerifiedWebhook,
    WebhookSigner,
    WebhookVerifier,
)

# The published vector (see the module docstring for where it comes from).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a published test secret
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SENT_AT = datetime.fromtimestamp(TIMESTAMP, UTC)
PUBLISHED_HEADERS = {
    "webhook-id": MSG_ID,
    "webhook-timestamp": str(TIMESTAMP),
    "webhook-signature": SIGNATURE,
}
# From the reference libraries' tests: a wrong v1 signature, and the last character
# of the published one changed (test_invalid_signature_raises_error).
WRONG_V1 = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
ALTERED_V1 = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="

OLD_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
NEW_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 124))).decode()
TOLERANCE = timedelta(minutes=5)
SECOND = timedelta(seconds=1)


def refusal(headers: dict[str, str], body: bytes = BODY, **kwargs: Any) -> str:
    """Verify at the vector's time and return the reason the request was refused."""
    verifier = WebhookVerifier([SECRET], **kwargs)
    with pytest.raises(WebhookVerificationError) as caught:
        verifier.verify(headers, body, now=SENT_AT)
    return caught.value.reason


# --- the published vector -----------------------------------------------------------


class TestPublishedVector:
    def test_signing_reproduces_the_published_signature(self) -> None:
        """Signing the published message gives the published headers, byte for byte."""
        headers = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        assert headers == PUBLISHED_HEADERS

    def test_the_published_request_is_accepted(self) -> None:
        """The published request verifies and yields its id, time and body."""
        verified = WebhookVerifier([SECRET]).verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

        assert verified == VerifiedWebhook(id=MSG_ID, timestamp=SENT_AT, body=BODY)

    def test_the_published_multi_signature_header_is_accepted(self) -> None:
        """A valid v1 signature among wrong and unknown-version ones is accepted."""
        signatures = " ".join([WRONG_V1, "v2" + WRONG_V1[2:], SIGNATURE, WRONG_V1])
        headers = {**PUBLISHED_HEADERS, "webhook-signature": signatures}

        assert WebhookVerifier([SECRET]).verify(headers, BODY, now=SENT_AT).id == MSG_ID

    def test_the_published_wrong_signature_is_refused(self) -> None:
        """The reference tests' altered signature is refused as a bad signature."""
        headers = {**PUBLISHED_HEADERS, "webhook-signature": ALTERED_V1}

        assert refusal(headers) == "bad_signature"


# --- signing ------------------------------------------------------------------------


class TestSigner:
    def test_the_timestamp_is_rounded_down_to_whole_seconds(self) -> None:
        """A timestamp with a fraction of a second signs as its whole second."""
        late = SENT_AT + timedelta(microseconds=999_999)

        assert WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=late) == PUBLISHED_HEADERS

    def test_the_timestamp_may_be_given_in_any_time_zone(self) -> None:
        """The same instant written in Jakarta's zone signs the same."""
        jakarta = SENT_AT.astimezone(timezone(timedelta(hours=7)))

        headers = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=jakarta)

        assert headers == PUBLISHED_HEADERS

    def test_every_active_secret_signs(self) -> None:
        """With two secrets, the header holds two v1 signatures, the first secret's first."""
        headers = WebhookSigner([SECRET, NEW_SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        entries = headers["webhook-signature"].split(" ")
        assert len(entries) == 2
        assert entries[0] == SIGNATURE
        assert entries[1].startswith("v1,")

    def test_a_secret_given_twice_signs_once(self) -> None:
        """Repeating a secret does not repeat its signature."""
        headers = WebhookSigner([SECRET, SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        assert headers["webhook-signature"] == SIGNATURE

    @pytest.mark.parametrize("message_id", ["", "msg 1", "msg\r\nX-Evil: 1", "pesan_é"])
    def test_an_unusable_message_id_is_refused(self, message_id: str) -> None:
        """An empty id, or one with a space, control or non-ASCII letter, is refused."""
        with pytest.raises(InvalidWebhookInput) as caught:
            WebhookSigner([SECRET]).headers(message_id, BODY, timestamp=SENT_AT)

        assert caught.value.argument == "message_id"

    def test_a_naive_timestamp_is_refused(self) -> None:
        """A timestamp without a time zone raises NaiveDatetime."""
        with pytest.raises(NaiveDatetime):
            WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=datetime(2025, 1, 1))  # noqa: DTZ001

    def test_a_timestamp_before_1970_is_refused(self) -> None:
        """Standard Webhooks timestamps cannot be negative."""
        before = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)

        with pytest.raises(InvalidWebhookInput, match="timestamp"):
            WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=before)


class TestSecrets:
    @pytest.mark.parametrize(
        ("secrets", "argument"),
        [
            ([], "secrets"),
            (["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "secrets[0]"),
            ([SECRET, "whsec_not*base64"], "secrets[1]"),
            ([SECRET + "A"], "secrets[0]"),
            (["whsec_" + base64.b64encode(bytes(23)).decode()], "secrets[0]"),
            (["whsec_" + base64.b64encode(bytes(65)).decode()], "secrets[0]"),
        ],
        ids=["none", "no-prefix", "not-base64", "bad-padding", "23-bytes", "65-bytes"],
    )
    def test_an_unusable_secret_is_refused(self, secrets: list[str], argument: str) -> None:
        """No secret, no ``whsec_`` prefix, bad base64 or a key outside 24-64 bytes is refused."""
        with pytest.raises(InvalidWebhookInput) as caught:
            WebhookSigner(secrets)

        assert caught.value.argument == argument

    def test_a_lone_string_is_not_taken_for_a_list_of_secrets(self) -> None:
        """Passing one secret string instead of a sequence is refused, not split into letters."""
        with pytest.raises(InvalidWebhookInput, match="single string"):
            WebhookVerifier(SECRET)

    def test_unpadded_base64_is_accepted(self) -> None:
        """A secret whose base64 lacks its ``=`` padding decodes to the same key."""
        key = bytes(range(25))
        padded = "whsec_" + base64.b64encode(key).decode()
        unpadded = padded.rstrip("=")
        signer = WebhookSigner([unpadded])

        headers = signer.headers(MSG_ID, BODY, timestamp=SENT_AT)

        assert WebhookVerifier([padded]).verify(headers, BODY, now=SENT_AT).id == MSG_ID

    def test_errors_and_reprs_never_show_a_secret(self) -> None:
        """Neither an error about a secret nor a signer's or verifier's repr quotes it."""
        short = "whsec_" + base64.b64encode(b"0123456789").decode()
        with pytest.raises(InvalidWebhookInput) as caught:
            WebhookVerifier([short])
        shown = [str(caught.value), repr(WebhookSigner([SECRET])), repr(WebhookVerifier([SECRET]))]

        assert not [text for text in shown if "MfKQ9r8" in text or short[6:] in text]


# --- verification: one test per reason ----------------------------------------------


class TestVerifier:
    @pytest.mark.parametrize("name", sorted(PUBLISHED_HEADERS))
    def test_a_missing_header_is_refused(self, name: str) -> None:
        """Each of the three headers is required."""
        headers = {k: v for k, v in PUBLISHED_HEADERS.items() if k != name}

        assert refusal(headers) == "missing_header"

    @pytest.mark.parametrize("name", sorted(PUBLISHED_HEADERS))
    def test_an_empty_header_counts_as_missing(self, name: str) -> None:
        """A header given with an empty value is refused as missing."""
        assert refusal({**PUBLISHED_HEADERS, name: ""}) == "missing_header"

    def test_header_names_are_matched_case_insensitively(self) -> None:
        """``Webhook-Id`` and ``WEBHOOK-SIGNATURE`` are the headers the spec names."""
        headers = {
            name.upper() if "sig" in name else name.title(): value
            for name, value in PUBLISHED_HEADERS.items()
        }

        assert WebhookVerifier([SECRET]).verify(headers, BODY, now=SENT_AT).id == MSG_ID

    def test_a_header_given_twice_in_different_cases_is_refused(self) -> None:
        """Two spellings of one header are ambiguous, even with the same value."""
        headers = {**PUBLISHED_HEADERS, "Webhook-Timestamp": str(TIMESTAMP)}

        assert refusal(headers) == "malformed_header"

    @pytest.mark.parametrize(
        "timestamp",
        [
            "hello",
            "1614265330.0",
            "+1614265330",
            " 1614265330",
            "01614265330",
            "-1",
            "1_614_265_330",
            "\u0661\u0666\u0661\u0664\u0662\u0666\u0665\u0663\u0663\u0660",
            "1" * 13,
            "9" * 5000,
        ],
    )
    def test_a_timestamp_that_is_not_plain_integer_seconds_is_refused(self, timestamp: str) -> None:
        """Only unsigned ASCII digits without a leading zero make a timestamp."""
        assert refusal({**PUBLISHED_HEADERS, "webhook-timestamp": timestamp}) == "malformed_header"

    @pytest.mark.parametrize("message_id", ["msg 1", "pesan_é", "msg\t1"])
    def test_an_id_that_could_not_have_been_signed_is_refused(self, message_id: str) -> None:
        """An id with whitespace or a non-ASCII character is malformed."""
        assert refusal({**PUBLISHED_HEADERS, "webhook-id": message_id}) == "malformed_header"

    def test_an_id_with_full_stops_signs_and_verifies(self) -> None:
        """A full stop in the id is unambiguous (the timestamp is digits): it verifies."""
        headers = WebhookSigner([SECRET]).headers("dinas.2025.7", BODY, timestamp=SENT_AT)
        assert WebhookVerifier([SECRET]).verify(headers, BODY, now=SENT_AT).id == "dinas.2025.7"

    @pytest.mark.parametrize(
        "signature",
        [
            "v1",
            "v1,",
            ",abc=",
            "v1,a,b",
            "v1,not base64!",
            SIGNATURE[:-2],
            SIGNATURE + "AAAA",
            SIGNATURE[:-2] + "F=",
            SIGNATURE + " ",
            SIGNATURE + "  " + WRONG_V1,
            "V1" + SIGNATURE[2:],
            "v1a,***",
        ],
        ids=[
            "bare-version",
            "empty-v1",
            "no-version",
            "two-commas",
            "not-base64",
            "truncated",
            "too-long",
            "non-canonical",
            "trailing-space",
            "double-space",
            "upper-case",
            "bad-unknown-version",
        ],
    )
    def test_a_malformed_signature_entry_is_refused(self, signature: str) -> None:
        """Each entry must be ``<version>,<base64>``, v1 ones 32 bytes in canonical base64."""
        assert refusal({**PUBLISHED_HEADERS, "webhook-signature": signature}) == "malformed_header"

    def test_only_unknown_versions_is_refused(self) -> None:
        """A header with v1a and v2 signatures but no v1 one cannot be checked."""
        signatures = "v1a," + base64.b64encode(bytes(64)).decode() + " v2" + WRONG_V1[2:]

        assert refusal({**PUBLISHED_HEADERS, "webhook-signature": signatures}) == "unknown_version"

    def test_a_timestamp_older_than_the_tolerance_is_refused(self) -> None:
        """A request 5 minutes and 1 second old has expired."""
        verifier = WebhookVerifier([SECRET])

        with pytest.raises(WebhookVerificationError) as caught:
            verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT + TOLERANCE + SECOND)

        assert caught.value.reason == "expired"

    def test_a_timestamp_further_ahead_than_the_tolerance_is_refused(self) -> None:
        """A request dated 5 minutes and 1 second ahead is refused as future."""
        verifier = WebhookVerifier([SECRET])

        with pytest.raises(WebhookVerificationError) as caught:
            verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT - TOLERANCE - SECOND)

        assert caught.value.reason == "future"

    @pytest.mark.parametrize("offset", [TOLERANCE, -TOLERANCE])
    def test_a_timestamp_exactly_at_the_tolerance_is_accepted(self, offset: timedelta) -> None:
        """The tolerance is inclusive on both sides."""
        verified = WebhookVerifier([SECRET]).verify(PUBLISHED_HEADERS, BODY, now=SENT_AT + offset)

        assert verified.id == MSG_ID

    def test_the_tolerance_can_be_narrowed(self) -> None:
        """With a 30-second tolerance, a request 31 seconds old has expired."""
        verifier = WebhookVerifier([SECRET], tolerance=timedelta(seconds=30))

        with pytest.raises(WebhookVerificationError, match="expired"):
            verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT + 31 * SECOND)

    @pytest.mark.parametrize("tolerance", [timedelta(0), -SECOND])
    def test_a_tolerance_that_is_not_positive_is_refused(self, tolerance: timedelta) -> None:
        """A zero or negative tolerance would refuse everything, so it is a setting error."""
        with pytest.raises(InvalidWebhookInput, match="tolerance"):
            WebhookVerifier([SECRET], tolerance=tolerance)

    def test_a_naive_now_is_refused(self) -> None:
        """``now`` without a time zone raises NaiveDatetime."""
        with pytest.raises(NaiveDatetime):
            WebhookVerifier([SECRET]).verify(PUBLISHED_HEADERS, BODY, now=datetime(2021, 2, 25))  # noqa: DTZ001

    def test_a_request_signed_with_another_secret_is_refused(self) -> None:
        """A verifier that does not know the signer's secret refuses its signature."""
        headers = WebhookSigner([OLD_SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        assert refusal(headers) == "bad_signature"

    def test_a_re_serialised_json_body_is_refused(self) -> None:
        """The same JSON written without the space after the colon no longer verifies."""
        reencoded = json.dumps(json.loads(BODY), separators=(",", ":")).encode()

        assert refusal(PUBLISHED_HEADERS, reencoded) == "bad_signature"

    def test_a_replayed_request_is_refused(self) -> None:
        """The second delivery of an accepted request is refused as a replay."""
        verifier = WebhookVerifier([SECRET])
        verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

        with pytest.raises(WebhookVerificationError) as caught:
            verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT + SECOND)

        assert caught.value.reason == "replayed"

    def test_errors_never_quote_a_header_value_or_the_body(self) -> None:
        """A refusal's message names the reason and header, not what the sender sent."""
        headers = {**PUBLISHED_HEADERS, "webhook-id": "msg_CANARY"}

        with pytest.raises(WebhookVerificationError) as caught:
            WebhookVerifier([SECRET]).verify(headers, b'{"nik": "CANARY"}', now=SENT_AT)

        assert str(caught.value) == (
            "webhook refused (bad_signature): "
            "no v1 signature in webhook-signature matches any secret"
        )

    def test_the_error_is_a_transport_error_and_a_value_error(self) -> None:
        """Callers can catch it as TransportError, or as the ValueError it also is."""
        assert issubclass(WebhookVerificationError, TransportError)
        assert issubclass(WebhookVerificationError, ValueError)

    def test_the_verified_webhook_keeps_its_body_out_of_its_repr(self) -> None:
        """The body may hold personal data, so repr leaves it out."""
        verified = WebhookVerifier([SECRET]).verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

        assert "2432232314" not in repr(verified)

    def test_a_timestamp_near_the_end_of_the_calendar_is_handled(self) -> None:
        """A request signed in the last second of year 9999 verifies without overflowing."""
        last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        headers = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=last)

        assert WebhookVerifier([SECRET]).verify(headers, BODY, now=last).timestamp == last


class TestRotation:
    def test_a_request_signed_with_the_old_secret_verifies_while_both_are_active(self) -> None:
        """A sender still on the old secret is accepted by a receiver holding both."""
        headers = WebhookSigner([OLD_SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        verifier = WebhookVerifier([NEW_SECRET, OLD_SECRET])

        assert verifier.verify(headers, BODY, now=SENT_AT).id == MSG_ID

    def test_a_request_signed_with_both_secrets_verifies_with_either(self) -> None:
        """During rotation a receiver that knows only one of the two secrets accepts."""
        headers = WebhookSigner([OLD_SECRET, NEW_SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        for secret in (OLD_SECRET, NEW_SECRET):
            assert WebhookVerifier([secret]).verify(headers, BODY, now=SENT_AT).id == MSG_ID

    def test_a_retired_secret_no_longer_verifies(self) -> None:
        """Once the old secret is dropped, a request signed only with it is refused."""
        headers = WebhookSigner([OLD_SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)

        with pytest.raises(WebhookVerificationError, match="bad_signature"):
            WebhookVerifier([NEW_SECRET]).verify(headers, BODY, now=SENT_AT)


class TestConstantTime:
    def test_every_pair_is_compared_even_after_a_match(self) -> None:
        """Matching stops at no candidate: 3 candidates and 2 secrets make 6 comparisons."""
        compared: list[tuple[bytes, bytes]] = []

        def compare(a: bytes, b: bytes) -> bool:
            compared.append((a, b))
            return a == b

        matched = signing._any_match([b"x", b"y"], [b"x", b"z", b"y"], compare=compare)

        assert matched
        assert len(compared) == 6

    def test_comparison_uses_hmac_compare_digest(self) -> None:
        """Signatures are compared with `hmac.compare_digest` unless a test says otherwise."""
        default = inspect.signature(signing._any_match).parameters["compare"].default

        assert default is hmac.compare_digest

    def test_the_module_reads_no_clock(self) -> None:
        """The signing module never asks for the time: it is always passed in."""
        tree = ast.parse(Path(signing.__file__).read_text(encoding="utf-8"))
        clocks = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}

        called = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }

        assert not called & clocks


# --- the replay cache ---------------------------------------------------------------


class TestReplayCache:
    def test_verifiers_sharing_a_cache_refuse_each_others_replays(self) -> None:
        """A request accepted by one verifier is a replay to another with the same cache."""
        cache = MemoryReplayCache()
        WebhookVerifier([SECRET], seen=cache).verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

        with pytest.raises(WebhookVerificationError, match="replayed"):
            WebhookVerifier([SECRET], seen=cache).verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

    def test_a_retry_with_the_same_id_is_refused_within_the_window(self) -> None:
        """A fresh attempt of an accepted message, newly signed, is a duplicate while remembered."""
        verifier = WebhookVerifier([SECRET])
        verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)
        retry_at = SENT_AT + 5 * SECOND
        retry = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=retry_at)

        with pytest.raises(WebhookVerificationError, match="replayed"):
            verifier.verify(retry, BODY, now=retry_at)

    def test_an_id_is_forgotten_once_its_request_has_expired(self) -> None:
        """After the original could no longer be accepted, a new attempt of the id is."""
        verifier = WebhookVerifier([SECRET])
        verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)
        later = SENT_AT + TOLERANCE + SECOND
        retry = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=later)

        assert verifier.verify(retry, BODY, now=later).timestamp == later

    def test_a_refused_request_does_not_block_its_id(self) -> None:
        """A forged request carrying a real id does not stop the genuine one."""
        cache = MemoryReplayCache()
        verifier = WebhookVerifier([SECRET], seen=cache)
        forged = {**PUBLISHED_HEADERS, "webhook-signature": WRONG_V1}
        with pytest.raises(WebhookVerificationError):
            verifier.verify(forged, BODY, now=SENT_AT)

        assert verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT).id == MSG_ID

    def test_forgetting_an_id_lets_it_through_again(self) -> None:
        """After `forget`, e.g. because processing failed, the sender's retry is accepted."""
        cache = MemoryReplayCache()
        verifier = WebhookVerifier([SECRET], seen=cache)
        verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)

        cache.forget(MSG_ID)

        assert verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT).id == MSG_ID

    def test_expired_ids_are_dropped_as_new_ones_arrive(self) -> None:
        """Entries whose time has passed leave the cache on the next `remember`."""
        cache = MemoryReplayCache()
        cache.remember("a", until=SENT_AT, now=SENT_AT)
        cache.remember("b", until=SENT_AT + SECOND, now=SENT_AT)

        cache.remember("c", until=SENT_AT + TOLERANCE, now=SENT_AT + 2 * SECOND)

        assert len(cache) == 1

    def test_the_oldest_id_makes_room_when_full(self) -> None:
        """At capacity, the oldest live id is dropped and can pass again."""
        cache = MemoryReplayCache(capacity=2)
        until = SENT_AT + TOLERANCE
        for message_id in ("a", "b", "c"):
            cache.remember(message_id, until=until, now=SENT_AT)

        assert [cache.remember(m, until=until, now=SENT_AT) for m in ("c", "a")] == [False, True]

    def test_a_capacity_below_one_is_refused(self) -> None:
        """A cache that can hold nothing would let every replay through."""
        with pytest.raises(InvalidWebhookInput, match="capacity"):
            MemoryReplayCache(capacity=0)

    def test_concurrent_deliveries_of_one_id_let_exactly_one_through(self) -> None:
        """Eight threads verifying the same request at once: one accepted, seven replays."""
        verifier = WebhookVerifier([SECRET])
        barrier = threading.Barrier(8)
        outcomes: list[str] = []

        def deliver() -> None:
            barrier.wait()
            try:
                verifier.verify(PUBLISHED_HEADERS, BODY, now=SENT_AT)
                outcomes.append("accepted")
            except WebhookVerificationError as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes) == ["accepted"] + ["replayed"] * 7


# --- properties (W6): every mutation refused, the untouched request accepted ----------
#
# A request is drawn from three numbers and a body: a seed (which gives one to three
# secrets of 24 to 64 bytes and the id), the timestamp, the offset of "now" from it,
# and the body.  Few draws per example keep the 4,000 examples within seconds.

HEADER_NAMES = tuple(PUBLISHED_HEADERS)
SEEDS = st.integers(0, 2**32 - 1)
ANY_BODY = st.binary(max_size=300)
WITHIN_TOLERANCE = st.integers(-300_000_000, 300_000_000).map(
    lambda microseconds: timedelta(microseconds=microseconds)
)


def secrets_from(seed: int) -> tuple[str, ...]:
    """Return one to three distinct secrets of 24 to 64 bytes, derived from *seed*."""
    stream = hashlib.shake_256(seed.to_bytes(4, "big")).digest(4 + 3 * 64)
    keys, start = [], 4
    for index in range(1 + stream[0] % 3):
        length = 24 + stream[1 + index] % 41
        keys.append(stream[start : start + length])
        start += length
    return tuple("whsec_" + base64.b64encode(key).decode() for key in keys)


@attrs.frozen
class Request:
    """A request signed at ``sent_at`` and verified at ``now``, with its secrets."""

    seed: int
    secrets: tuple[str, ...]
    headers: dict[str, str]
    body: bytes
    sent_at: datetime
    now: datetime

    def verifier(self, secrets: tuple[str, ...] | None = None) -> WebhookVerifier:
        """Return a fresh verifier (with an empty replay cache) for these or other secrets."""
        return WebhookVerifier(self.secrets if secrets is None else secrets)

    def refusal(self, headers: dict[str, str] | None = None, body: bytes | None = None) -> str:
        """Verify with a change and return the refusal's reason; any other exception fails."""
        with pytest.raises(WebhookVerificationError) as caught:
            self.verifier().verify(
                self.headers if headers is None else headers,
                self.body if body is None else body,
                now=self.now,
            )
        return caught.value.reason


@st.composite
def requests(draw: st.DrawFn, bodies: st.SearchStrategy[bytes] = ANY_BODY) -> Request:
    """Draw a validly signed request and a "now" within the tolerance of it."""
    seed = draw(SEEDS)
    keys = secrets_from(seed)
    sent_at = datetime.fromtimestamp(draw(st.integers(0, 4_000_000_000)), UTC)
    body = draw(bodies)
    headers = WebhookSigner(keys).headers(f"msg_{seed:x}", body, timestamp=sent_at)
    now = sent_at + draw(WITHIN_TOLERANCE)
    return Request(seed=seed, secrets=keys, headers=headers, body=body, sent_at=sent_at, now=now)


# Thin notification payloads (reliability W4): a type, an application id and a status.
notices = st.builds(
    lambda kind, number, status: {
        "type": kind,
        "data": {"application_id": number, "status": status},
    },
    st.sampled_from(["application.submitted", "application.approved", "permohonan.ditolak"]),
    st.integers(),
    st.text(max_size=12),
)
STYLES: tuple[dict[str, Any], ...] = (
    {},
    {"indent": 2},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"separators": (",", ": ")},
)


class TestMutations:
    @settings(max_examples=600, deadline=None)
    @given(request=requests())
    def test_an_untouched_request_is_accepted(self, request: Request) -> None:
        """A valid request verifies with its secrets in any order, or with any one of them."""
        keys = request.secrets
        for secrets in (keys, keys[::-1], (keys[request.seed % len(keys)],)):
            verified = request.verifier(secrets).verify(
                request.headers, request.body, now=request.now
            )
            assert verified == VerifiedWebhook(
                id=request.headers["webhook-id"], timestamp=request.sent_at, body=request.body
            )

    @settings(max_examples=800, deadline=None)
    @given(
        request=requests(st.binary(min_size=1, max_size=300)),
        where=st.integers(0, 2**16),
        mask=st.integers(1, 255),
    )
    def test_flipping_any_bits_of_any_body_byte_is_refused(
        self, request: Request, where: int, mask: int
    ) -> None:
        """Changing one byte of the body, in any of its bits, breaks the signature."""
        body = bytearray(request.body)
        body[where % len(body)] ^= mask

        assert request.refusal(body=bytes(body)) == "bad_signature"

    @settings(max_examples=200, deadline=None)
    @given(
        request=requests(),
        grow=st.booleans(),
        cut=st.integers(0, 2**16),
        extra=st.binary(min_size=1, max_size=8),
    )
    def test_adding_or_cutting_body_bytes_is_refused(
        self, request: Request, grow: bool, cut: int, extra: bytes
    ) -> None:
        """A body with bytes added at its end, or cut from it, no longer verifies."""
        if grow or not request.body:
            body = request.body + extra
        else:
            body = request.body[: cut % len(request.body)]

        assert request.refusal(body=body) == "bad_signature"

    @settings(max_examples=800, deadline=None)
    @given(
        request=requests(),
        name=st.sampled_from(HEADER_NAMES),
        action=st.sampled_from(["remove", "change", "double", "double-same"]),
        value=st.text(max_size=60) | SEEDS.map(str) | SEEDS.map("msg_{:x}".format),
    )
    def test_changing_removing_or_doubling_a_header_is_refused(
        self, request: Request, name: str, action: str, value: str
    ) -> None:
        """Any header removed, given another value, or repeated in another case, is refused."""
        headers = dict(request.headers)
        if action == "remove":
            del headers[name]
        elif action == "change":
            assume(value != headers[name])
            headers[name] = value
        else:
            spelling = (name.upper(), name.title(), name.capitalize())[request.seed % 3]
            headers[spelling] = headers[name] if action == "double-same" else value

        request.refusal(headers=headers)

    @settings(max_examples=300, deadline=None)
    @given(request=requests(), beyond=st.integers(1, 10**11), late=st.booleans())
    def test_a_timestamp_outside_the_tolerance_is_refused(
        self, request: Request, beyond: int, late: bool
    ) -> None:
        """A correctly signed request more than 5 minutes off, either way, is refused."""
        shift = TOLERANCE + timedelta(microseconds=beyond)
        stale = attrs.evolve(request, now=request.sent_at + (shift if late else -shift))

        assert stale.refusal() == ("expired" if late else "future")

    @settings(max_examples=200, deadline=None)
    @given(request=requests(), later=WITHIN_TOLERANCE)
    def test_a_second_delivery_is_refused(self, request: Request, later: timedelta) -> None:
        """Once accepted, the same request is refused for as long as it could be accepted."""
        verifier = request.verifier()
        verifier.verify(request.headers, request.body, now=request.now)

        with pytest.raises(WebhookVerificationError, match="replayed"):
            verifier.verify(request.headers, request.body, now=request.sent_at + later)

    @settings(max_examples=300, deadline=None)
    @given(request=requests(), other=SEEDS)
    def test_a_verifier_with_other_secrets_refuses(self, request: Request, other: int) -> None:
        """Secrets swapped for others, none of them the signer's, never verify."""
        others = secrets_from(other)
        assume(not set(others) & set(request.secrets))

        with pytest.raises(WebhookVerificationError, match="bad_signature"):
            request.verifier(others).verify(request.headers, request.body, now=request.now)

    @settings(max_examples=300, deadline=None)
    @given(request=requests(), where=st.integers(0, 2**16))
    def test_a_truncated_signature_header_is_refused(self, request: Request, where: int) -> None:
        """Cutting the signature header inside an entry is refused."""
        signature = request.headers["webhook-signature"]
        cut = where % len(signature)
        assume(signature[cut] != " ")  # a cut between entries leaves whole, valid signatures

        request.refusal(headers={**request.headers, "webhook-signature": signature[:cut]})

    @settings(max_examples=200, deadline=None)
    @given(notice=notices, style=st.sampled_from(STYLES), data=st.data())
    def test_a_re_serialised_json_body_is_refused(
        self, notice: dict[str, Any], style: dict[str, Any], data: st.DataObject
    ) -> None:
        """The same JSON document, parsed and encoded again in another style, is refused."""
        sent = json.dumps(notice, separators=(",", ":")).encode()
        request = data.draw(requests(st.just(sent)))
        reencoded = json.dumps(json.loads(sent), **style).encode()

        assert request.refusal(body=reencoded) == "bad_signature"

    @settings(max_examples=300, deadline=None)
    @given(
        headers=st.dictionaries(
            st.sampled_from([*HEADER_NAMES, *(n.upper() for n in HEADER_NAMES)])
            | st.text(max_size=20),
            st.text(max_size=120),
            max_size=6,
        ),
        body=st.binary(max_size=64),
    )
    def test_arbitrary_headers_are_refused_with_the_one_error(
        self, headers: dict[str, str], body: bytes
    ) -> None:
        """Random header sets never verify, and never raise anything but the typed error."""
        with pytest.raises(WebhookVerificationError):
            WebhookVerifier([SECRET]).verify(headers, body, now=SENT_AT)
