"""A stand-in for `onestop.privacy.Keyring` in the sealing tests: AES-SIV keys per subject.

`FakeKeys` keeps one random AES-SIV key per data subject in memory; `FakeKeys.erase`
forgets a subject's key for good, as destroying its wrapped key does.  It seals
deterministically, as the port requires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Collection

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from onestop.exceptions import PersonalDataErased, StorageError


class FakeKeys:
    """`onestop.ports.keys.PersonalDataKeys` in memory, with an ``erase``."""

    def __init__(self, *, seed: bytes | None = None) -> None:
        """Random keys; or, given a *seed*, keys derived from it (equal across instances)."""
        self._keys: dict[str, bytes] = {}
        self._erased: set[str] = set()
        self._seed = seed
        self._index_key = os.urandom(32) if seed is None else self._derived("blind-index", 32)
        self.forgotten: list[str] = []

    def _derived(self, subject: str, size: int) -> bytes:
        assert self._seed is not None
        stream = b""
        for counter in range(size // 32):
            message = f"{counter}:{subject}".encode()
            stream += hmac.new(self._seed, message, hashlib.sha256).digest()
        return stream

    def _new_key(self, subject: str) -> bytes:
        return AESSIV.generate_key(512) if self._seed is None else self._derived(subject, 64)

    def seal(self, subject: str, plaintext: bytes, /, *, context: bytes) -> str:
        if subject in self._erased:
            raise PersonalDataErased(subject=subject)
        key = self._keys.get(subject) or self._keys.setdefault(subject, self._new_key(subject))
        return base64.urlsafe_b64encode(AESSIV(key).encrypt(plaintext, [context])).decode()

    def open(self, subject: str, token: str, /, *, context: bytes) -> bytes | None:
        if subject in self._erased:
            return None
        key = self._keys.get(subject)
        if key is None:
            raise StorageError("a sealed value names a subject without a key")
        try:
            return AESSIV(key).decrypt(base64.urlsafe_b64decode(token), [context])
        except (InvalidTag, ValueError):
            raise StorageError("a sealed value does not open") from None

    def blind_index(self, scheme: str, number: str, /) -> str:
        message = f"{scheme}:{number}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def forget(self, subjects: Collection[str], /) -> None:
        self.forgotten.extend(subjects)

    def erase(self, subject: str) -> None:
        """Destroy *subject*'s key: its sealed values never open again."""
        self._erased.add(subject)
        self._keys.pop(subject, None)


def forms(value: str) -> list[bytes]:
    """Every byte form a stored copy of *value* could take: as typed, cased, JSON-escaped."""
    texts = {value, value.lower(), value.upper(), value.casefold()}
    found: set[bytes] = set()
    for text in texts:
        found.add(text.encode("utf-8"))
        found.add(text.encode("utf-16-le"))
        for ascii_only in (True, False):
            escaped = json.dumps(text, ensure_ascii=ascii_only)[1:-1]
            found.add(escaped.encode("utf-8"))
    return sorted(found)
