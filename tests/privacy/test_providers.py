"""Master key providers: the key file, the environment variable, keys given in code."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from onestop.exceptions import InvalidValue, KeyFileError, KeyUnavailable
from onestop.ports.keys import MasterKeyProvider, WrappedKey
from onestop.privacy import (
    EnvKeyProvider,
    FileKeyProvider,
    StaticKeyProvider,
    add_master_key,
    generate_key_file,
)

posix = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
DATA_KEY = bytes(range(64))


@posix
def test_a_generated_key_file_is_private_and_opens(tmp_path: Path) -> None:
    """generate_key_file writes a 0600 file whose one key is current, and a provider reads it."""
    path = tmp_path / "keys.txt"
    key_id = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    provider = FileKeyProvider(path)
    assert isinstance(provider, MasterKeyProvider)
    assert provider.current_key_id == key_id
    assert provider.key_ids == (key_id,)
    wrapped = provider.wrap(DATA_KEY, context=b"s")
    assert provider.unwrap(wrapped, context=b"s") == DATA_KEY


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    """generate_key_file refuses a path that exists, and leaves the file as it was."""
    path = tmp_path / "keys.txt"
    generate_key_file(path, key_id="mk-a")
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="exists"):
        generate_key_file(path)
    assert path.read_bytes() == before


def test_a_key_file_in_a_missing_directory_names_the_directory(tmp_path: Path) -> None:
    """generate_key_file into a directory that does not exist says so, naming it."""
    folder = tmp_path / "etc" / "onestop"
    with pytest.raises(KeyFileError, match="does not exist: make it first") as refused:
        generate_key_file(folder / "mall.keys")
    assert str(folder) in str(refused.value)


@posix
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o666])
def test_a_key_file_others_may_open_is_refused(tmp_path: Path, mode: int) -> None:
    """A key file the group or others may read or write is refused with KeyFileError."""
    path = tmp_path / "keys.txt"
    generate_key_file(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600") as refused:
        FileKeyProvider(path)
    assert refused.value.path == str(path)


@posix
def test_a_key_file_that_is_a_fifo_is_refused_without_waiting_on_it(tmp_path: Path) -> None:
    """A key file path naming a FIFO is refused as no regular file at once, never waited on
    for a writer (a key file pointed at the wrong place must not hang a server's start)."""
    fifo = tmp_path / "keys.pipe"
    os.mkfifo(fifo, 0o600)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            FileKeyProvider(fifo)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(5)
    waited = reader.is_alive()
    if waited:  # the regression: open() waits for a writer; let it go, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
    assert not waited, "the FIFO was waited on for a writer"
    assert len(outcome) == 1
    assert isinstance(outcome[0], KeyFileError)
    assert "is not a regular file" in str(outcome[0])


@posix
def test_adding_a_key_makes_it_current_and_the_old_one_still_unwraps(tmp_path: Path) -> None:
    """After add_master_key, a new provider wraps with the new key and unwraps with the old."""
    path = tmp_path / "keys.txt"
    old = generate_key_file(path, key_id="mk-old")
    wrapped = FileKeyProvider(path).wrap(DATA_KEY, context=b"s")
    new = add_master_key(path, key_id="mk-new")
    provider = FileKeyProvider(path)
    assert (provider.key_ids, provider.current_key_id) == ((old, new), new)
    assert provider.unwrap(wrapped, context=b"s") == DATA_KEY
    assert provider.wrap(DATA_KEY, context=b"s").master_key_id == new
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyFileError, match="already holds"):
        add_master_key(path, key_id="mk-old")


@posix
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "holds no master key"),
        ("# only a comment\n", "holds no master key"),
        ("mk-1 AAAA\n", "line 1"),
        ("mk-1:AAAA\n", "line 1: the key is not 32 bytes"),
        ("mk-1:" + "A" * 43 + "\nmk-1:" + "B" * 43 + "\n", "line 2: key id repeated"),
        ("bad id:" + "A" * 43 + "\n", "line 1"),
        ("mk-1:" + "é" * 43 + "\n", "not ASCII"),
    ],
)
def test_a_malformed_key_file_is_refused_without_quoting_it(
    tmp_path: Path, content: str, reason: str
) -> None:
    """A malformed key file is refused with KeyFileError naming the line, never its content."""
    path = tmp_path / "keys.txt"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=reason) as refused:
        FileKeyProvider(path)
    for secret in ("AAAA", "B" * 8, "é"):
        assert secret not in str(refused.value)


def test_a_missing_key_file_is_a_key_file_error(tmp_path: Path) -> None:
    """A key file that does not exist is refused with KeyFileError naming the path."""
    with pytest.raises(KeyFileError) as refused:
        FileKeyProvider(tmp_path / "nowhere.txt")
    assert refused.value.path.endswith("nowhere.txt")


def test_the_environment_variable_holds_entries_and_the_last_is_current() -> None:
    """EnvKeyProvider reads comma- or space-separated ID:KEY entries; the last is current."""
    environ = {"ONESTOP_MASTER_KEY": "mk-1:" + "A" * 43 + ", mk-2:" + "B" * 43}
    provider = EnvKeyProvider(environ=environ)
    assert (provider.key_ids, provider.current_key_id) == (("mk-1", "mk-2"), "mk-2")
    with pytest.raises(KeyFileError, match="is not set"):
        EnvKeyProvider("OTHER", environ=environ)


def test_the_environment_variable_is_read_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default EnvKeyProvider reads ONESTOP_MASTER_KEY from the process's environment."""
    monkeypatch.setenv("ONESTOP_MASTER_KEY", "mk-env:" + "C" * 43)
    assert EnvKeyProvider().current_key_id == "mk-env"


def test_an_unknown_master_key_id_is_unavailable() -> None:
    """Unwrapping a key wrapped by a master key the provider lacks raises KeyUnavailable."""
    wrapped = StaticKeyProvider.generate("mk-gone").wrap(DATA_KEY, context=b"s")
    with pytest.raises(KeyUnavailable) as refused:
        StaticKeyProvider.generate("mk-1").unwrap(wrapped, context=b"s")
    assert refused.value.key_id == "mk-gone"


def test_a_wrapped_key_opens_only_with_its_context_and_bytes() -> None:
    """Another context, a same-named other key or an altered byte makes unwrap KeyUnavailable."""
    provider = StaticKeyProvider.generate("mk-1")
    wrapped = provider.wrap(DATA_KEY, context=b"app-1/applicant")
    altered = WrappedKey(master_key_id="mk-1", data=bytes([wrapped.data[0] ^ 1]) + wrapped.data[1:])
    for attempt in (
        lambda: provider.unwrap(wrapped, context=b"app-2/applicant"),
        lambda: StaticKeyProvider.generate("mk-1").unwrap(wrapped, context=b"app-1/applicant"),
        lambda: provider.unwrap(altered, context=b"app-1/applicant"),
        lambda: provider.unwrap(WrappedKey(master_key_id="mk-1", data=b"x"), context=b""),
    ):
        with pytest.raises(KeyUnavailable):
            attempt()


def test_wrapping_is_randomised() -> None:
    """Wrapping one key twice gives two different wrapped keys (a fresh nonce each time)."""
    provider = StaticKeyProvider.generate()
    assert provider.wrap(DATA_KEY, context=b"s") != provider.wrap(DATA_KEY, context=b"s")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: StaticKeyProvider({}), "keys"),
        (lambda: StaticKeyProvider({"mk 1": bytes(32)}), "keys[0]"),
        (lambda: StaticKeyProvider({"mk-1": bytes(31)}), "master key"),
        (lambda: StaticKeyProvider({"mk-1": bytes(32)}, current="mk-2"), "current"),
        (lambda: StaticKeyProvider.generate("").wrap(b"k", context=b""), "key_id"),
        (lambda: StaticKeyProvider.generate().wrap(b"", context=b""), "key"),
        (lambda: StaticKeyProvider.generate().wrap("k", context=b""), "key"),
        (lambda: StaticKeyProvider.generate().unwrap(b"k", context=b""), "wrapped"),
        (lambda: EnvKeyProvider("1BAD", environ={}), "variable"),
        (lambda: FileKeyProvider(b"keys.txt"), "path"),
        (lambda: generate_key_file("k.txt", key_id="a:b"), "key_id"),
    ],
)
def test_malformed_arguments_are_invalid_values(call: object, field: str) -> None:
    """A malformed id, key, path or argument type is an InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field
