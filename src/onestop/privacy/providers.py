"""Master key providers: a key file, an environment variable, or keys given in code.

Each implements `onestop.ports.keys.MasterKeyProvider`: it wraps data keys with its
*current* master key and unwraps them with whichever of its keys wrapped them, so a
master key is rotated by adding a new one (which becomes current) while the old ones
still unwrap; `onestop.privacy.Keyring.rotate` then rewraps every data key under the new
one, after which the old key may be removed.  A key management service (KMS) or a
vault plugs in by implementing the same three members.

**The key format.**  A master key is 32 random bytes (AES-256-GCM), written as
``ID:KEY``: its id (1 to 64 letters, digits, ``.``, ``_`` or ``-``), a colon, and the
key in base64url (43 characters, padding optional).  A *key file* holds one such entry
a line, oldest first; the **last one is current**.  Blank lines and lines starting with
``#`` are ignored.  The file must be readable by its owner only (mode ``0600``): a file
that the group or others may read or write is refused.  An environment variable holds
the same entries, separated by commas, spaces or line breaks::

    # onestop master keys (format 1): one "ID:KEY" a line; the last line is current.
    mk-7f3a9c1e:9vG1e0vQp0m3...            (an older key, still unwrapping)
    mk-b02d44f1:Xc2a8oWfK1qz...            (the current key)

`generate_key_file` writes a new file with one key; `add_master_key` adds a new
current key to one (the first step of a rotation).

>>> provider = StaticKeyProvider.generate("mk-test")
>>> wrapped = provider.wrap(bytes(64), context=b"app-1/applicant")
>>> wrapped.master_key_id, provider.unwrap(wrapped, context=b"app-1/applicant") == bytes(64)
('mk-test', True)
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from onestop.domain.common.formats import kind_of, preview
from onestop.exceptions import InvalidValue, KeyFileError, KeyUnavailable
from onestop.ports.keys import MAX_WRAPPED_BYTES, WrappedKey
from onestop.privacy._files import create_file, read_small_file
from onestop.privacy.cipher import MASTER_KEY_BYTES, MasterKey, check_bytes, new_master_key

__all__ = [
    "DEFAULT_VARIABLE",
    "EnvKeyProvider",
    "FileKeyProvider",
    "LocalKeyProvider",
    "StaticKeyProvider",
    "add_master_key",
    "generate_key_file",
]

DEFAULT_VARIABLE = "ONESTOP_MASTER_KEY"
"""The environment variable `EnvKeyProvider` reads by default."""

_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HEADER = '# onestop master keys (format 1): one "ID:KEY" a line; the last line is current.\n'
_MAX_FILE = 1 << 20  # a key file is small: a megabyte holds some ten thousand keys
_MAX_DATA_KEY = 1024


def _check_key_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _KEY_ID.fullmatch(value):
        shown = preview(value) if isinstance(value, str) else kind_of(value)
        reason = f"a key id is 1 to 64 letters, digits, '.', '_' or '-', not {shown}"
        raise InvalidValue(field=field, reason=reason)
    return value


class LocalKeyProvider:
    """Master keys held in this process, by id, one of them current; the base of the others.

    `StaticKeyProvider`, `FileKeyProvider` and `EnvKeyProvider` differ only in where
    they read the keys from.
    """

    def __init__(self, keys: Mapping[str, bytes], /, *, current: str | None = None) -> None:
        """Hold *keys* (id to 32 key bytes, oldest first); *current* defaults to the last.

        Raises:
            InvalidValue: If *keys* is empty, an id or key is malformed, or *current* is
                not one of the ids.
        """
        given: object = keys
        if not isinstance(given, Mapping) or not given:
            reason = f"expected a non-empty mapping of key ids to keys, not {kind_of(keys)}"
            raise InvalidValue(field="keys", reason=reason)
        self._keys: dict[str, MasterKey] = {}
        for index, (key_id, key) in enumerate(keys.items()):
            _check_key_id(key_id, f"keys[{index}]")
            self._keys[key_id] = MasterKey(key_id, key)
        chosen = list(self._keys)[-1] if current is None else _check_key_id(current, "current")
        if chosen not in self._keys:
            raise InvalidValue(field="current", reason="is not one of the keys' ids")
        self._current = chosen

    def __repr__(self) -> str:
        """Show how many keys and which is current, never a key."""
        return f"<{type(self).__name__} keys={len(self._keys)} current={self._current!r}>"

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse to pickle: master keys never leave the provider."""
        raise TypeError(f"a {type(self).__name__} cannot be pickled")

    @property
    def current_key_id(self) -> str:
        """The id of the key new data keys are wrapped with."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key's id, oldest first (`onestop.privacy.Keyring.rotate` reads it)."""
        return tuple(self._keys)

    def wrap(self, key: bytes, /, *, context: bytes) -> WrappedKey:
        """Return *key* wrapped by the current master key, bound to *context*.

        Raises:
            InvalidValue: If *key* is empty or over 1,024 bytes, or an argument is not bytes.
        """
        data = check_bytes(key, "key")
        if not 1 <= len(data) <= _MAX_DATA_KEY:
            reason = f"must be 1 to {_MAX_DATA_KEY} bytes long, not {len(data)}"
            raise InvalidValue(field="key", reason=reason)
        master = self._keys[self._current]
        wrapped = master.wrap(data, context=check_bytes(context, "context"))
        return WrappedKey(master_key_id=master.key_id, data=wrapped)

    def unwrap(self, wrapped: WrappedKey, /, *, context: bytes) -> bytes:
        """Return the data key *wrapped* holds.

        Raises:
            InvalidValue: If an argument is not of its type.
            KeyUnavailable: If no key has its id, or it does not open with *context*.
        """
        given: object = wrapped
        if not isinstance(given, WrappedKey):
            reason = f"expected a WrappedKey, not {kind_of(given)}"
            raise InvalidValue(field="wrapped", reason=reason)
        check_bytes(context, "context")
        master = self._keys.get(wrapped.master_key_id)
        if master is None:
            reason = "the provider has no master key with this id"
            raise KeyUnavailable(key_id=wrapped.master_key_id, reason=reason)
        return master.unwrap(wrapped.data[:MAX_WRAPPED_BYTES], context=context)


class StaticKeyProvider(LocalKeyProvider):
    """Master keys given in code (tests, or a secret store the caller reads itself).

    >>> StaticKeyProvider({"mk-1": bytes(32), "mk-2": bytes(range(32))})
    <StaticKeyProvider keys=2 current='mk-2'>
    """

    @classmethod
    def generate(cls, key_id: str = "mk-1", /) -> StaticKeyProvider:
        """Return a provider with one new random master key, called *key_id*.

        Raises:
            InvalidValue: If *key_id* is not a key id.
        """
        return cls({_check_key_id(key_id, "key_id"): new_master_key()})


def _parse(text: str, source: str) -> dict[str, bytes]:
    """Read ``ID:KEY`` entries from *text*; *source* names the file or variable in errors."""
    keys: dict[str, bytes] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        for entry in re.split(r"[\s,]+", line.strip()):
            if entry:
                key_id, key = _entry(entry, source, number)
                if key_id in keys:
                    raise KeyFileError(path=source, reason=f"line {number}: key id repeated")
                keys[key_id] = key
    if not keys:
        raise KeyFileError(path=source, reason="holds no master key")
    return keys


def _entry(entry: str, source: str, number: int) -> tuple[str, bytes]:
    key_id, colon, encoded = entry.partition(":")
    where = f"line {number}"
    if not colon or not _KEY_ID.fullmatch(key_id):
        reason = f'{where}: expected "ID:KEY", with an id of letters, digits, ".", "_" or "-"'
        raise KeyFileError(path=source, reason=reason)
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != MASTER_KEY_BYTES or not encoded.isascii():
        reason = f"{where}: the key is not {MASTER_KEY_BYTES} bytes in base64url"
        raise KeyFileError(path=source, reason=reason)
    return key_id, key


def _path(path: object) -> Path:
    if isinstance(path, str | os.PathLike) and not isinstance(path, bytes):
        text = os.fspath(path)
        if isinstance(text, str) and text and "\x00" not in text:
            return Path(text)
    raise InvalidValue(field="path", reason=f"expected a file path, not {kind_of(path)}")


def _read_private(path: Path) -> str:
    """Read the key file at *path*, refusing one that others may read or write, or that
    is not a regular file (a FIFO is refused, not waited on)."""
    shown = str(path)
    try:
        raw = read_small_file(path, limit=_MAX_FILE, private=True)
    except OSError as exc:
        raise KeyFileError(path=shown, reason=exc.strerror or "cannot be read") from None
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(path=shown, reason="is not ASCII text") from None


class FileKeyProvider(LocalKeyProvider):
    """Master keys read from a key file (the format is in this module's docstring).

    The file is read once, when the provider is made: after `add_master_key`, make a new
    provider (restart the process) to wrap with the new key.
    """

    def __init__(self, path: str | os.PathLike[str], /) -> None:
        """Read the key file at *path*; its last key is current.

        Raises:
            InvalidValue: If *path* is not a path.
            KeyFileError: If the file is missing, readable by the group or others, not a
                key file, or holds a malformed entry (its line is named, never its content).
        """
        self._path = _path(path)
        super().__init__(_parse(_read_private(self._path), str(self._path)))

    def __repr__(self) -> str:
        """Show the file, how many keys and which is current, never a key."""
        return (
            f"<FileKeyProvider path={str(self._path)!r} keys={len(self.key_ids)} "
            f"current={self.current_key_id!r}>"
        )


class EnvKeyProvider(LocalKeyProvider):
    """Master keys read from an environment variable (``ID:KEY`` entries; the last is current)."""

    def __init__(
        self, variable: str = DEFAULT_VARIABLE, *, environ: Mapping[str, str] | None = None
    ) -> None:
        """Read the master keys in *variable* of *environ* (default: `os.environ`).

        Raises:
            InvalidValue: If *variable* is not a variable's name.
            KeyFileError: If the variable is not set, or holds a malformed entry.
        """
        name: object = variable
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name):
            shown = preview(name) if isinstance(name, str) else kind_of(name)
            raise InvalidValue(field="variable", reason=f"is not a variable name: {shown}")
        source: object = os.environ if environ is None else environ
        value = source.get(variable) if isinstance(source, Mapping) else None
        if not isinstance(value, str) or not value.strip():
            raise KeyFileError(path=f"${variable}", reason="is not set")
        self._variable = variable
        super().__init__(_parse(value, f"${variable}"))

    def __repr__(self) -> str:
        """Show the variable, how many keys and which is current, never a key."""
        return (
            f"<EnvKeyProvider variable={self._variable!r} keys={len(self.key_ids)} "
            f"current={self.current_key_id!r}>"
        )


def _new_id() -> str:
    return f"mk-{secrets.token_hex(4)}"


def _line(key_id: str) -> str:
    encoded = base64.urlsafe_b64encode(new_master_key()).rstrip(b"=").decode("ascii")
    return f"{key_id}:{encoded}\n"


def _write_private(path: Path, text: str) -> None:
    """Write *text* to *path* atomically, readable by its owner only."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".onestop-keys-")
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def generate_key_file(path: str | os.PathLike[str], /, *, key_id: str | None = None) -> str:
    """Write a new key file at *path* holding one new master key; return the key's id.

    The file is made with mode ``0600``; an existing file is never overwritten.

    Raises:
        InvalidValue: If *path* is not a path or *key_id* is not a key id.
        KeyFileError: If the file exists or cannot be written.
    """
    target = _path(path)
    chosen = _new_id() if key_id is None else _check_key_id(key_id, "key_id")
    reason = create_file(target, (_HEADER + _line(chosen)).encode("ascii"), mode=0o600)
    if reason is not None:
        raise KeyFileError(path=str(target), reason=reason)
    return chosen


def add_master_key(path: str | os.PathLike[str], /, *, key_id: str | None = None) -> str:
    """Add a new master key at the end of the key file at *path*; return its id.

    The new key becomes current for providers made afterwards; the others stay, to
    unwrap what they wrapped until `onestop.privacy.Keyring.rotate` rewraps it.

    Raises:
        InvalidValue: If *path* is not a path or *key_id* is not a key id.
        KeyFileError: If the file is not a valid private key file, or *key_id* is taken.
    """
    target = _path(path)
    text = _read_private(target)
    known = _parse(text, str(target))
    chosen = _new_id() if key_id is None else _check_key_id(key_id, "key_id")
    if chosen in known:
        raise KeyFileError(path=str(target), reason="already holds a key with this id")
    ending = "" if text.endswith("\n") else "\n"
    try:
        _write_private(target, text + ending + _line(chosen))
    except OSError as exc:
        raise KeyFileError(path=str(target), reason=exc.strerror or "cannot be written") from None
    return chosen
