"""Sealing values with data keys, and wrapping data keys with master keys.

Values are sealed with AES-SIV (RFC 5297, `cryptography`'s ``AESSIV``) under a 64-byte
*data key*: an authenticated cipher that is deterministic, so the same key, value and
associated data always give the same token (a stored event body stays a function of
the event and the keys).  Determinism shows only that two sealed values are equal,
within one subject and context; nothing else.  A value is sealed with one item of
associated data (the caller's context): AES-SIV spends a CMAC on each item.  A token is
ASCII text: the version prefix `TOKEN_PREFIX` and the ciphertext in padded base64
(RFC 4648, section 4), which decodes in one C call.

Data keys are *wrapped* with AES-256-GCM (``AESGCM``) under a 32-byte *master key*, with
a random 96-bit nonce; the master key's id and the caller's context are the associated
data, so a wrapped key opens only with its own master key and context.

>>> key = new_data_key()
>>> token = seal_value(key, "Siti Rahayu".encode(), context=b"app-1")
>>> token.startswith(TOKEN_PREFIX), token == seal_value(key, b"Siti Rahayu", context=b"app-1")
(True, True)
>>> open_value(key, token, context=b"app-1").decode()
'Siti Rahayu'
>>> open_value(key, token, context=b"app-2")
Traceback (most recent call last):
...
onestop.exceptions.StorageError: a sealed value does not open: ...
"""

from __future__ import annotations

import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

from onestop.domain.common.formats import kind_of
from onestop.exceptions import InvalidValue, KeyUnavailable, StorageError

__all__ = [
    "DATA_KEY_BYTES",
    "MASTER_KEY_BYTES",
    "TOKEN_PREFIX",
    "new_data_key",
    "new_master_key",
    "open_value",
    "seal_value",
]

DATA_KEY_BYTES = 64
"""The length of a data key in bytes (AES-SIV with two 256-bit halves)."""

MASTER_KEY_BYTES = 32
"""The length of a master key in bytes (AES-256-GCM)."""

TOKEN_PREFIX = "s2."  # noqa: S105 - a format's version, not a password
"""The first characters of every sealed token, which name the format's version."""

_PREFIX = len(TOKEN_PREFIX)
_NONCE = 12
_TAG = 16
_DOES_NOT_OPEN = (
    "a sealed value does not open: it was altered, or sealed under another key or context"
)


def new_data_key() -> bytes:
    """Return a new random data key of `DATA_KEY_BYTES` bytes."""
    return os.urandom(DATA_KEY_BYTES)


def new_master_key() -> bytes:
    """Return a new random master key of `MASTER_KEY_BYTES` bytes."""
    return os.urandom(MASTER_KEY_BYTES)


def check_bytes(value: object, field: str) -> bytes:
    """Return *value* if it is `bytes`, else raise `InvalidValue` naming *field*."""
    if not isinstance(value, bytes):
        raise InvalidValue(field=field, reason=f"expected bytes, not {kind_of(value)}")
    return value


def _key(value: object, field: str, size: int) -> bytes:
    key = check_bytes(value, field)
    if len(key) != size:
        raise InvalidValue(field=field, reason=f"must be {size} bytes long, not {len(key)}")
    return key


class DataKey:
    """An unwrapped data key, ready to seal and open; it never shows its bytes.

    The keyring caches these rather than the key's bytes.
    """

    __slots__ = ("_siv",)

    def __init__(self, key: bytes, /) -> None:
        """Hold *key* (`DATA_KEY_BYTES` bytes) for sealing.

        Raises:
            InvalidValue: If *key* is not bytes of that length.
        """
        self._siv = AESSIV(_key(key, "key", DATA_KEY_BYTES))

    def __repr__(self) -> str:
        """Show that it is a key, never which."""
        return "<DataKey>"

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse to pickle: an unwrapped key never leaves the process."""
        raise TypeError("a DataKey cannot be pickled")

    def seal(self, plaintext: bytes, /, *, context: bytes) -> str:
        """Return *plaintext* sealed, with *context* as its one associated data item."""
        sealed = self._siv.encrypt(check_bytes(plaintext, "plaintext"), [context])
        return TOKEN_PREFIX + binascii.b2a_base64(sealed, newline=False).decode("ascii")

    def open(self, token: str, /, *, context: bytes) -> bytes:
        """Return the plaintext *token* seals with *context*.

        Raises:
            InvalidValue: If *token* is not text.
            StorageError: If it does not open; it is never quoted.
        """
        if not isinstance(token, str):
            raise InvalidValue(field="token", reason=f"expected text, not {kind_of(token)}")
        if not (token.startswith(TOKEN_PREFIX) and token.isascii()):
            raise StorageError("a sealed value is not a token of a known format")
        try:
            body = token[_PREFIX:]
            sealed = binascii.a2b_base64(body, strict_mode=True)
            # only the canonical form opens: no padding bits set (strict mode allows them)
            if binascii.b2a_base64(sealed, newline=False).decode("ascii") != body:
                raise StorageError(_DOES_NOT_OPEN)
            return self._siv.decrypt(sealed, [context])
        except (binascii.Error, ValueError, InvalidTag):
            raise StorageError(_DOES_NOT_OPEN) from None


def seal_value(key: bytes, plaintext: bytes, /, *, context: bytes) -> str:
    """Return *plaintext* sealed under data *key*, bound to *context*, as an ASCII token.

    Raises:
        InvalidValue: If *key* is not a data key, or an argument is not bytes.
    """
    return DataKey(key).seal(plaintext, context=check_bytes(context, "context"))


def open_value(key: bytes, token: str, /, *, context: bytes) -> bytes:
    """Return the plaintext *token* seals under data *key* with *context*.

    Raises:
        InvalidValue: If *key* is not a data key, *token* not text or *context* not bytes.
        StorageError: If *token* does not open; it is never quoted.
    """
    return DataKey(key).open(token, context=check_bytes(context, "context"))


class MasterKey:
    """One master key, by id, that wraps and unwraps data keys; it never shows its bytes."""

    __slots__ = ("_gcm", "key_id")

    def __init__(self, key_id: str, key: bytes, /) -> None:
        """Hold *key* (`MASTER_KEY_BYTES` bytes) under *key_id*.

        Raises:
            InvalidValue: If *key* is not bytes of that length.
        """
        self.key_id = key_id
        self._gcm = AESGCM(_key(key, "master key", MASTER_KEY_BYTES))

    def __repr__(self) -> str:
        """Show the key's id, never its bytes."""
        return f"<MasterKey {self.key_id!r}>"

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse to pickle: a master key never leaves its provider."""
        raise TypeError("a MasterKey cannot be pickled")

    def _associated(self, context: bytes) -> bytes:
        return b"onestop/wrap/v1\x00" + self.key_id.encode("utf-8") + b"\x00" + context

    def wrap(self, key: bytes, /, *, context: bytes) -> bytes:
        """Return *key* wrapped: a random nonce, then the ciphertext and its tag."""
        nonce = os.urandom(_NONCE)
        return nonce + self._gcm.encrypt(nonce, key, self._associated(context))

    def unwrap(self, data: bytes, /, *, context: bytes) -> bytes:
        """Return the key *data* wraps with *context*.

        Raises:
            KeyUnavailable: If it does not open with this key and context.
        """
        if len(data) < _NONCE + _TAG:
            raise KeyUnavailable(key_id=self.key_id, reason="the wrapped key is too short")
        try:
            return self._gcm.decrypt(data[:_NONCE], data[_NONCE:], self._associated(context))
        except InvalidTag:
            reason = "the wrapped key does not open with this master key and context"
            raise KeyUnavailable(key_id=self.key_id, reason=reason) from None
