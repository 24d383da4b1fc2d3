"""Ed25519 signing of checkpoints (`onestop.ports.signing`), and the key files it reads.

Key files:

* the **private key** is a PEM file (PKCS #8, unencrypted, ``-----BEGIN PRIVATE KEY-----``),
  as ``openssl genpkey -algorithm ed25519`` writes it too.  `write_key_files` creates it
  readable by its owner only (mode 0600), and `Ed25519Signer.from_file` refuses one that
  its group or others may read;
* the **public key** is a PEM file (``-----BEGIN PUBLIC KEY-----``) or a single line of
  base64 holding the 32 raw bytes.  It is what a government publishes next to its
  checkpoints and an inspector passes to ``onestop audit verify --public-key``.

No key material ever appears in a repr or an error: errors name the file and what is
wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onestop.domain.common.checkpoints import key_fingerprint
from onestop.domain.common.formats import kind_of
from onestop.exceptions import SigningKeyError
from onestop.privacy._files import create_file, read_small_file

__all__ = ["Ed25519Signer", "Ed25519Verifier", "write_key_files"]

_MAX_KEY_FILE = 4096
_RAW = serialization.Encoding.Raw


def _path(path: object) -> Path:
    """*path* as a `Path`, if this system can name a file so."""
    if not isinstance(path, str | Path) or not str(path) or "\x00" in str(path):
        raise SigningKeyError(path=str(kind_of(path)), reason="a key file is named by a path")
    try:
        os.fsencode(path)
    except UnicodeError:
        shown = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
        raise SigningKeyError(
            path=shown, reason="is not a file name this system can hold"
        ) from None
    return Path(path)


def _read(path: Path) -> bytes:
    """The key file at *path*: a regular file (a FIFO is refused, not waited on), small."""
    try:
        return read_small_file(path, limit=_MAX_KEY_FILE)
    except OSError as exc:
        raise SigningKeyError(path=str(path), reason=exc.strerror or "cannot be read") from None


@attrs.frozen
class Ed25519Verifier:
    """Checks Ed25519 signatures under one trusted public key.

    Attributes:
        key: The public key.
    """

    key: Ed25519PublicKey = attrs.field(repr=False)

    @classmethod
    def from_bytes(cls, raw: bytes, /) -> Ed25519Verifier:
        """The verifier of the 32-byte raw public key *raw*.

        Raises:
            onestop.exceptions.SigningKeyError: If *raw* is not 32 bytes.
        """
        given: object = raw
        if not isinstance(given, bytes) or len(given) != 32:
            raise SigningKeyError(path="<bytes>", reason="an Ed25519 public key is 32 bytes")
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    @classmethod
    def from_file(cls, path: str | Path, /) -> Ed25519Verifier:
        """Read a public key file: PEM, or one line of base64 of the 32 raw bytes.

        Raises:
            onestop.exceptions.SigningKeyError: If the file is missing, unreadable or
                not an Ed25519 public key.
        """
        where = _path(path)
        data = _read(where).strip()
        if data.startswith(b"-----BEGIN"):
            try:
                key = serialization.load_pem_public_key(data)
            except (ValueError, TypeError):
                key = None
            if isinstance(key, Ed25519PublicKey):
                return cls(key)
            raise SigningKeyError(path=str(where), reason="is not an Ed25519 public key (PEM)")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise SigningKeyError(path=str(where), reason="is not an Ed25519 public key")
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self.key.public_bytes(_RAW, serialization.PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint, as checkpoints name their signer."""
        return key_fingerprint(self.public_key)

    def pem(self) -> str:
        """The public key as a PEM text, to publish."""
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        return self.key.public_bytes(serialization.Encoding.PEM, spki).decode("ascii")

    def verify(self, signature: bytes, message: bytes, /) -> bool:
        """Whether *signature* is a valid signature of *message* under this key."""
        given: tuple[object, object] = (signature, message)
        if not all(isinstance(part, bytes) for part in given):
            return False
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@attrs.frozen
class Ed25519Signer:
    """Signs with an Ed25519 private key.

    Attributes:
        key: The private key (never shown).
    """

    key: Ed25519PrivateKey = attrs.field(repr=False)

    @classmethod
    def from_file(cls, path: str | Path, /) -> Ed25519Signer:
        """Read a private key file (PEM, PKCS #8, unencrypted) that only its owner may read.

        Raises:
            onestop.exceptions.SigningKeyError: If the file is missing, unreadable, open
                to its group or others, or not an Ed25519 private key.
        """
        where = _path(path)
        try:
            mode = where.stat().st_mode
        except OSError as exc:
            raise SigningKeyError(path=str(where), reason=exc.strerror or "is missing") from None
        if not stat.S_ISREG(mode):
            raise SigningKeyError(path=str(where), reason="is not a regular file")
        if mode & 0o077:
            reason = f"its group or others may read it (mode {stat.S_IMODE(mode):04o}): chmod 600"
            raise SigningKeyError(path=str(where), reason=reason)
        try:
            key = serialization.load_pem_private_key(_read(where), password=None)
        except (ValueError, TypeError, binascii.Error):
            key = None
        if not isinstance(key, Ed25519PrivateKey):
            reason = "is not an unencrypted Ed25519 private key (PEM, PKCS #8)"
            raise SigningKeyError(path=str(where), reason=reason)
        return cls(key)

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self.key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)

    def verifier(self) -> Ed25519Verifier:
        """The verifier of this key's public half."""
        return Ed25519Verifier(self.key.public_key())

    def sign(self, message: bytes, /) -> bytes:
        """The 64-byte signature of *message*.

        Raises:
            onestop.exceptions.SigningKeyError: If *message* is not bytes.
        """
        given: object = message
        if not isinstance(given, bytes):
            raise SigningKeyError(path="<message>", reason=f"signs bytes, not {kind_of(given)}")
        return self.key.sign(given)


def _create(path: Path, data: bytes, mode: int) -> None:
    reason = create_file(path, data, mode=mode)
    if reason is not None:
        raise SigningKeyError(path=str(path), reason=reason)


def write_key_files(path: str | Path, /) -> Ed25519Verifier:
    """Make a new key pair: the private key at *path* (mode 0600), the public at *path*.pub.

    Neither file may exist already, and both are written or neither is.  Returns the
    verifier of the new public key.

    Raises:
        onestop.exceptions.SigningKeyError: If either file exists or cannot be written.
    """
    private = _path(path)
    if not private.name:  # "." or "/": a directory, with no name to put ".pub" after
        raise SigningKeyError(path=str(private), reason="exists already: not overwritten")
    public = private.with_name(private.name + ".pub")
    for where in (private, public):
        if where.exists() or where.is_symlink():
            raise SigningKeyError(path=str(where), reason="exists already: not overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _create(private, pem, 0o600)
    verifier = Ed25519Verifier(key.public_key())
    try:
        _create(public, verifier.pem().encode("ascii"), 0o644)
    except SigningKeyError:  # both files or neither: a private key alone is of no use
        private.unlink(missing_ok=True)
        raise
    return verifier
