"""The ports of signed checkpoints: a key that signs, and a trusted key that checks.

`onestop.usecases.checkpoints` signs chain heads with a `Signer` and checks a
checkpoint with a `SignatureVerifier` built from the public key the *verifier*
trusts, never from the key a checkpoint names.  `onestop.privacy.signing` implements
both with Ed25519 (from ``cryptography``); neither ever shows its key material.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["SignatureVerifier", "Signer"]


class Signer(Protocol):
    """Signs bytes with a private key it never hands out."""

    @property
    def public_key(self) -> bytes:
        """The raw public key (32 bytes for Ed25519) whose fingerprint a checkpoint names."""
        ...

    def sign(self, message: bytes, /) -> bytes:
        """Return the signature of *message* (64 bytes for Ed25519)."""
        ...


class SignatureVerifier(Protocol):
    """Checks signatures under one public key, the one the verifier trusts."""

    @property
    def public_key(self) -> bytes:
        """The raw trusted public key."""
        ...

    def verify(self, signature: bytes, message: bytes, /) -> bool:
        """Whether *signature* is a valid signature of *message* under `public_key`."""
        ...
