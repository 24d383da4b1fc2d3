"""One-time codes: bound to one handoff of one application, short-lived, single use."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import pytest
from courier_support import APP, KEY, OTHER_APP, T0, minutes
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.courier import otp
from onestop.domain.courier.otp import OneTimeCode, issue_code, verify_code
from onestop.exceptions import (
    CodeAlreadyUsed,
    CodeExpired,
    CodeForAnotherApplication,
    CodeForAnotherHandoff,
    CodeRejected,
    CustodyError,
    InvalidValue,
    NaiveDatetime,
    WrongCode,
)

EXPIRES = T0 + minutes(10)


def _verify(issued: OneTimeCode, code: str, **overrides: object) -> None:
    arguments: dict[str, object] = {
        "secret_key": KEY,
        "application_id": APP,
        "handoff_id": "h-1",
        "at": T0,
    }
    arguments.update(overrides)
    verify_code(issued, code, **arguments)  # type: ignore[arg-type]


@pytest.fixture
def issued() -> tuple[str, OneTimeCode]:
    return issue_code(KEY, APP, "h-1", EXPIRES)


@settings(max_examples=200, deadline=None, database=None)
@given(key=st.binary(min_size=0, max_size=200), message=st.binary(max_size=300))
def test_hand_made_hmac_matches_the_standard_library(key: bytes, message: bytes) -> None:
    """The domain's hashlib-only HMAC-SHA256 equals the standard library's hmac."""
    assert otp._hmac_sha256(key, message) == hmac.digest(key, message, hashlib.sha256)


def test_code_has_six_digits_by_default(issued: tuple[str, OneTimeCode]) -> None:
    """A code is six ASCII digits unless asked otherwise."""
    code, _ = issued
    assert len(code) == 6
    assert code.isascii()
    assert code.isdigit()


@pytest.mark.parametrize("digits", [6, 7, 8])
def test_code_length_can_be_six_to_eight(digits: int) -> None:
    """Codes of 6, 7 and 8 digits can be issued and verified."""
    code, issued = issue_code(KEY, APP, "h-1", EXPIRES, digits=digits)
    assert len(code) == digits
    _verify(issued, code)


@pytest.mark.parametrize("digits", [5, 9, True])
def test_other_lengths_are_refused(digits: int) -> None:
    """Asking for fewer than 6 or more than 8 digits raises InvalidValue."""
    with pytest.raises(InvalidValue):
        issue_code(KEY, APP, "h-1", EXPIRES, digits=digits)


def test_issuing_is_deterministic() -> None:
    """Issuing twice for the same binding gives the same code and record."""
    assert issue_code(KEY, APP, "h-1", EXPIRES) == issue_code(KEY, APP, "h-1", EXPIRES)


def test_the_record_never_holds_the_code(issued: tuple[str, OneTimeCode]) -> None:
    """The record's fields and repr do not contain the code."""
    code, record = issued
    assert code not in repr(record)
    assert code not in record.digest
    assert "digest" not in repr(record)


def test_good_code_verifies(issued: tuple[str, OneTimeCode]) -> None:
    """The code verifies for its application and handoff before it expires."""
    code, record = issued
    _verify(record, code)


def test_spaces_around_the_code_are_ignored(issued: tuple[str, OneTimeCode]) -> None:
    """A code typed with surrounding spaces still verifies."""
    code, record = issued
    _verify(record, f" {code} ")


def test_wrong_code_is_refused(issued: tuple[str, OneTimeCode]) -> None:
    """Another code raises WrongCode, and the message quotes neither code."""
    code, record = issued
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(WrongCode) as caught:
        _verify(record, wrong)
    assert wrong not in str(caught.value)
    assert code not in str(caught.value)


@pytest.mark.parametrize(
    "typed", ["", "12345", "abcdef", "\uff11\uff12\uff13\uff14\uff15\uff16", "123456789"]
)
def test_malformed_code_is_a_wrong_code(issued: tuple[str, OneTimeCode], typed: str) -> None:
    """Empty, short, long, non-digit or non-ASCII digit input raises WrongCode."""
    _, record = issued
    with pytest.raises(WrongCode):
        _verify(record, typed)


def test_expired_code_is_refused(issued: tuple[str, OneTimeCode]) -> None:
    """At its expiry instant the code raises CodeExpired, naming when it expired."""
    code, record = issued
    with pytest.raises(CodeExpired) as caught:
        _verify(record, code, at=EXPIRES)
    assert caught.value.expired_at == EXPIRES


def test_code_for_another_handoff_is_refused(issued: tuple[str, OneTimeCode]) -> None:
    """A code issued for another handoff raises CodeForAnotherHandoff."""
    code, record = issued
    with pytest.raises(CodeForAnotherHandoff):
        _verify(record, code, handoff_id="h-2")


def test_code_for_another_application_is_refused() -> None:
    """A code issued for another application raises CodeForAnotherApplication."""
    code, record = issue_code(KEY, OTHER_APP, "h-1", EXPIRES)
    with pytest.raises(CodeForAnotherApplication):
        _verify(record, code)


def test_used_code_is_a_replay(issued: tuple[str, OneTimeCode]) -> None:
    """A code whose digest is among the used ones raises CodeAlreadyUsed."""
    code, record = issued
    with pytest.raises(CodeAlreadyUsed):
        _verify(record, code, used={record.digest})


def test_altered_record_does_not_verify(issued: tuple[str, OneTimeCode]) -> None:
    """A record moved to another handoff keeps its digest, so the right code fails."""
    code, record = issued
    moved = OneTimeCode(
        application_id=APP, handoff_id="h-2", expires_at=EXPIRES, digest=record.digest
    )
    with pytest.raises(WrongCode):
        _verify(moved, code, handoff_id="h-2")


def test_extended_expiry_does_not_verify(issued: tuple[str, OneTimeCode]) -> None:
    """A record whose expiry was pushed back no longer matches its digest."""
    code, record = issued
    later = OneTimeCode(
        application_id=APP, handoff_id="h-1", expires_at=EXPIRES + minutes(60), digest=record.digest
    )
    with pytest.raises(WrongCode):
        _verify(later, code, at=EXPIRES + minutes(1))


def test_another_key_does_not_verify(issued: tuple[str, OneTimeCode]) -> None:
    """Verifying under another key raises WrongCode."""
    code, record = issued
    with pytest.raises(WrongCode):
        _verify(record, code, secret_key=b"another-secret-key-of-32-bytes!!")


def test_short_keys_are_refused() -> None:
    """A key under 16 bytes raises InvalidValue."""
    with pytest.raises(InvalidValue):
        issue_code(b"short", APP, "h-1", EXPIRES)


def test_naive_expiry_is_refused() -> None:
    """An expiry without a time zone raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime):
        issue_code(KEY, APP, "h-1", datetime(2025, 3, 10, 9, 0))  # noqa: DTZ001


def test_code_errors_are_custody_errors() -> None:
    """Every code rejection is a CodeRejected, hence a CustodyError."""
    for error in (
        WrongCode,
        CodeExpired,
        CodeAlreadyUsed,
        CodeForAnotherHandoff,
        CodeForAnotherApplication,
    ):
        assert issubclass(error, CodeRejected)
        assert issubclass(error, CustodyError)
