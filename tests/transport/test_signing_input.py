"""What the webhook signer and verifier take, and how they answer anything else.

The body is bytes, or text taken as its UTF-8 encoding; headers are a mapping or
``(name, value)`` pairs of str or bytes.  What the caller gets wrong (a body that is
``None``, a header value that is a number) raises `InvalidWebhookInput`; what the
sender gets wrong raises `WebhookVerificationError`.  Nothing else ever escapes.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.exceptions import InvalidWebhookInput, NaiveDatetime, WebhookVerificationError
from onestop.transport.signing import (
    MAX_HEADER_LENGTH,
    MAX_MESSAGE_ID,
    MemoryReplayCache,
    WebhookSigner,
    WebhookVerifier,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the specification's test secret
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SENT_AT = datetime.fromtimestamp(1614265330, UTC)
BODY = '{"name": "Siti", "city": "Phnom Penh \u1797\u17d2\u1793\u17c6\u1796\u17c1\u1789"}'
HEADERS = WebhookSigner([SECRET]).headers(MSG_ID, BODY.encode(), timestamp=SENT_AT)


RAW = BODY.encode()


def _verify(headers: Any, body: Any = RAW, **kwargs: Any) -> Any:
    return WebhookVerifier([SECRET], **kwargs).verify(headers, body, now=SENT_AT)


def _refused(headers: Any, body: Any = RAW) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(headers, body)
    return caught.value.reason


# --- the body -------------------------------------------------------------------------


def test_a_text_body_is_verified_as_its_utf8_encoding() -> None:
    """A str body verifies exactly as its UTF-8 bytes; the webhook's body comes back as bytes."""
    verified = _verify(HEADERS, BODY)
    assert verified.body == BODY.encode("utf-8")


@pytest.mark.parametrize("body", [bytearray(BODY.encode()), memoryview(BODY.encode())])
def test_a_bytearray_or_memoryview_body_is_copied_and_verified(body: Any) -> None:
    """A mutable buffer is read as the bytes it holds now, and a copy is returned."""
    verified = _verify(HEADERS, body)
    assert type(verified.body) is bytes
    assert verified.body == BODY.encode()


@pytest.mark.parametrize("body", [None, 7, ["{}"], {"a": 1}, "\ud800"])
def test_a_body_that_is_not_bytes_or_text_is_refused(body: Any) -> None:
    """None, a number, a list, a dict, or text with a lone surrogate: InvalidWebhookInput."""
    with pytest.raises(InvalidWebhookInput) as caught:
        _verify(HEADERS, body)
    assert caught.value.argument == "body"


# --- the headers ----------------------------------------------------------------------


def test_headers_as_bytes_pairs_are_verified() -> None:
    """ASGI's raw headers, a list of (bytes, bytes) pairs, verify like a dict."""
    raw = [(b"content-type", b"application/json")]
    raw += [(name.encode(), value.encode()) for name, value in HEADERS.items()]
    assert _verify(raw).id == MSG_ID


def test_headers_with_names_in_any_case_and_bytes_values_are_verified() -> None:
    """Names match case-insensitively; str and bytes may be mixed."""
    mixed = {name.upper(): value.encode() for name, value in HEADERS.items()}
    assert _verify(mixed).id == MSG_ID


def test_a_signature_header_given_twice_as_pairs_is_refused() -> None:
    """Two webhook-signature pairs are refused as malformed, not merged."""
    pairs = [*HEADERS.items(), ("webhook-signature", HEADERS["webhook-signature"])]
    assert _refused(pairs) == "malformed_header"


def test_a_repeated_signature_within_the_header_is_harmless() -> None:
    """The same v1 signature twice in one header verifies once."""
    twice = {**HEADERS, "webhook-signature": " ".join([HEADERS["webhook-signature"]] * 2)}
    assert _verify(twice).id == MSG_ID


@pytest.mark.parametrize(
    "headers",
    [None, 7, "webhook-id: x", b"raw", [("webhook-id",)], [("a", "b", "c")], [7]],
    ids=["none", "int", "text", "bytes", "one-item", "three-items", "not-a-pair"],
)
def test_headers_that_are_not_a_mapping_or_pairs_are_refused(headers: Any) -> None:
    """Headers the caller built wrongly raise InvalidWebhookInput naming the headers."""
    with pytest.raises(InvalidWebhookInput) as caught:
        _verify(headers)
    assert caught.value.argument == "headers"


@pytest.mark.parametrize(
    "headers",
    [
        {**HEADERS, 7: "x"},
        {**HEADERS, None: "x"},
        {**HEADERS, "webhook-id": None},
        {**HEADERS, "x-other": 7},
        {**HEADERS, "webhook-timestamp": 1614265330},
    ],
    ids=["int-name", "none-name", "none-value", "int-other-value", "int-timestamp"],
)
def test_header_names_or_values_that_are_not_text_are_refused(headers: Any) -> None:
    """A name or a value that is neither str nor bytes is the caller's bug: InvalidWebhookInput."""
    with pytest.raises(InvalidWebhookInput) as caught:
        _verify(headers)
    assert caught.value.argument == "headers"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-id", "msg_\u0661"),
        ("webhook-id", b"msg_\xff"),
        ("webhook-id", "m" * (MAX_MESSAGE_ID + 1)),
        ("webhook-timestamp", "\u0661\u0666\u0661\u0664"),
        ("webhook-timestamp", "1614265330\n"),
        ("webhook-signature", HEADERS["webhook-signature"] + " v1," + "A" * MAX_HEADER_LENGTH),
        ("webhook-signature", HEADERS["webhook-signature"] + "\x00"),
    ],
    ids=[
        "arabic-digit-id",
        "latin1-id",
        "huge-id",
        "arabic-digit-timestamp",
        "line-break",
        "huge-signature",
        "nul",
    ],
)
def test_a_header_value_the_sender_mangled_is_refused_as_malformed(
    header: str, value: str | bytes
) -> None:
    """Non-ASCII, over-long or control-character values are refused, never quoted."""
    reason = _refused({**HEADERS, header: value})
    assert reason == "malformed_header"


@settings(max_examples=300, deadline=None)
@given(
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x"])
        | st.text(max_size=5),
        st.one_of(st.text(max_size=30), st.binary(max_size=30), st.just(HEADERS["webhook-id"])),
    ),
    body=st.one_of(st.binary(max_size=30), st.text(max_size=30)),
)
def test_any_headers_and_body_are_refused_with_a_verification_error(
    headers: dict[str, str | bytes], body: bytes | str
) -> None:
    """Random headers and bodies of the allowed types never raise anything else."""
    with contextlib.suppress(WebhookVerificationError, InvalidWebhookInput):
        _verify(headers, body)


# --- time, settings and the signer -------------------------------------------------------


@pytest.mark.parametrize("now", ["2021-02-25", 1614265330, None])
def test_a_now_that_is_not_a_datetime_is_refused(now: Any) -> None:
    """now must be a timezone-aware datetime."""
    with pytest.raises(InvalidWebhookInput) as caught:
        WebhookVerifier([SECRET]).verify(HEADERS, BODY, now=now)
    assert caught.value.argument == "now"


def test_a_naive_now_is_refused() -> None:
    """A naive now raises NaiveDatetime, as before."""
    with pytest.raises(NaiveDatetime):
        WebhookVerifier([SECRET]).verify(HEADERS, BODY, now=SENT_AT.replace(tzinfo=None))


@pytest.mark.parametrize(
    "options",
    [
        {"tolerance": 300},
        {"tolerance": "5m"},
        {"tolerance": timedelta(0)},
        {"seen": object()},
        {"seen": "cache"},
    ],
)
def test_verifier_settings_of_the_wrong_kind_are_refused(options: dict[str, Any]) -> None:
    """A tolerance that is not a positive timedelta, or a cache that is not one."""
    with pytest.raises(InvalidWebhookInput):
        WebhookVerifier([SECRET], **options)


@pytest.mark.parametrize(
    "secrets",
    [None, 7, [7], [None], SECRET.encode(), [SECRET.encode()], {"a": SECRET}],
    ids=["none", "int", "int-item", "none-item", "bytes", "bytes-item", "dict"],
)
def test_secrets_of_the_wrong_kind_are_refused(secrets: Any) -> None:
    """Signer and verifier refuse secrets that are not a sequence of text."""
    for build in (WebhookSigner, WebhookVerifier):
        with pytest.raises(InvalidWebhookInput):
            build(secrets)


@pytest.mark.parametrize(
    ("message_id", "body", "timestamp"),
    [
        (7, b"{}", SENT_AT),
        (None, b"{}", SENT_AT),
        ("m" * (MAX_MESSAGE_ID + 1), b"{}", SENT_AT),
        ("msg\n", b"{}", SENT_AT),
        (MSG_ID, None, SENT_AT),
        (MSG_ID, b"{}", "2021-02-25T15:02:10Z"),
        (MSG_ID, b"{}", 1614265330),
    ],
    ids=["int-id", "none-id", "huge-id", "line-break-id", "none-body", "text-time", "int-time"],
)
def test_the_signer_refuses_what_it_cannot_sign(message_id: Any, body: Any, timestamp: Any) -> None:
    """Every argument of the wrong kind raises InvalidWebhookInput, naming it."""
    with pytest.raises(InvalidWebhookInput):
        WebhookSigner([SECRET]).headers(message_id, body, timestamp=timestamp)


def test_the_signer_signs_text_as_utf8() -> None:
    """A str body is signed as its UTF-8 encoding, so the verifier accepts its bytes."""
    headers = WebhookSigner([SECRET]).headers(MSG_ID, BODY, timestamp=SENT_AT)
    assert headers == HEADERS


@pytest.mark.parametrize("capacity", [True, 0, "5", 1.5, 10**9, None])
def test_a_replay_cache_capacity_out_of_range_is_refused(capacity: Any) -> None:
    """The capacity is an integer from 1 to 100,000,000; a bool is not one."""
    with pytest.raises(InvalidWebhookInput) as caught:
        MemoryReplayCache(capacity)
    assert caught.value.argument == "capacity"


@pytest.mark.parametrize(
    ("message_id", "until", "now"),
    [
        (7, SENT_AT, SENT_AT),
        ("m", "tomorrow", SENT_AT),
        ("m", SENT_AT, None),
        ("m", SENT_AT.replace(tzinfo=None), SENT_AT),
    ],
)
def test_the_replay_cache_refuses_arguments_of_the_wrong_kind(
    message_id: Any, until: Any, now: Any
) -> None:
    """remember() with a non-text id, or instants that are not aware datetimes, is refused."""
    with pytest.raises((InvalidWebhookInput, NaiveDatetime)):
        MemoryReplayCache().remember(message_id, until=until, now=now)
