"""Values sealed with a data key (AES-SIV): round trips, determinism, refusals."""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.exceptions import InvalidValue, StorageError
from onestop.privacy.cipher import (
    DATA_KEY_BYTES,
    TOKEN_PREFIX,
    new_data_key,
    open_value,
    seal_value,
)

KEY = bytes(range(DATA_KEY_BYTES))


@given(plaintext=st.binary(), context=st.binary())
def test_any_bytes_round_trip(plaintext: bytes, context: bytes) -> None:
    """Any bytes sealed with any context open with that context to the same bytes."""
    assert (
        open_value(KEY, seal_value(KEY, plaintext, context=context), context=context) == plaintext
    )


@given(plaintext=st.binary(max_size=64))
def test_a_token_is_ascii_with_the_version_prefix_and_deterministic(plaintext: bytes) -> None:
    """A token is the version prefix and padded base64; sealing again gives it again."""
    token = seal_value(KEY, plaintext, context=b"c")
    assert token.isascii()
    assert token.startswith(TOKEN_PREFIX)
    assert binascii.a2b_base64(token[len(TOKEN_PREFIX) :], strict_mode=True)
    assert seal_value(KEY, plaintext, context=b"c") == token


def test_another_key_or_context_does_not_open() -> None:
    """A token opened with another key or another context is refused with StorageError."""
    token = seal_value(KEY, b"Siti", context=b"app-1")
    with pytest.raises(StorageError):
        open_value(new_data_key(), token, context=b"app-1")
    with pytest.raises(StorageError):
        open_value(KEY, token, context=b"app-2")


@given(data=st.data())
def test_an_altered_token_does_not_open(data: st.DataObject) -> None:
    """Changing any one character of a token makes it not open (StorageError, nothing quoted)."""
    token = seal_value(KEY, b"3171015708450001", context=b"c")
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != token[index]))
    altered = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(StorageError) as refused:
        open_value(KEY, altered, context=b"c")
    assert altered not in str(refused.value)
    assert "3171015708450001" not in str(refused.value)


@pytest.mark.parametrize(
    "token",
    ["", "s1.AAAA", "s2.", "x1.AAAA", "s2.!!!!", "s2.é", "s2.AAAAAAAA", "s2.AAA", "s2.AA=A"],
)
def test_a_token_of_no_known_form_is_a_storage_error(token: str) -> None:
    """Text that is no token of ours is refused with StorageError."""
    with pytest.raises(StorageError):
        open_value(KEY, token, context=b"c")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: seal_value(b"short", b"x", context=b"c"), "key"),
        (lambda: seal_value(KEY, "text", context=b"c"), "plaintext"),  # type: ignore[arg-type]
        (lambda: seal_value(KEY, b"x", context="c"), "context"),  # type: ignore[arg-type]
        (lambda: open_value(KEY, b"s1.AAAA", context=b"c"), "token"),  # type: ignore[arg-type]
        (lambda: open_value(bytearray(KEY), "s1.", context=b"c"), "key"),  # type: ignore[arg-type]
    ],
)
def test_arguments_of_the_wrong_type_are_invalid_values(call: object, field: str) -> None:
    """A key of the wrong size, or an argument of the wrong type, is an InvalidValue naming it."""
    with pytest.raises(InvalidValue) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field
