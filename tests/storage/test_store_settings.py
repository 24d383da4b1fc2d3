"""Opening stores: every hostile URL, path or setting is a ConfigurationError, never a crash.

A setting that is wrong stays wrong, so it must never look like a store that is away
for a while (`StorageUnavailable`, which callers retry) nor escape as the driver's own
``ValueError`` or ``TypeError``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.exceptions import (
    ConfigurationError,
    OnestopError,
    StorageError,
    StorageUnavailable,
    TransientError,
)
from onestop.storage import MAX_URL, from_url
from onestop.storage.postgres import PostgresStore
from onestop.storage.sqlite import MAX_BUSY_TIMEOUT, SQLiteStore
from onestop.testing.contracts import make_commit

# --- from_url, whatever the scheme -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [None, True, 7, b"memory://", ["memory://"], Path("memory://")],
    ids=["none", "bool", "int", "bytes", "list", "path"],
)
def test_a_url_that_is_not_text_is_refused(url: Any) -> None:
    """from_url given something other than text raises ConfigurationError, not AttributeError."""
    with pytest.raises(ConfigurationError, match="text"):
        from_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "memory://\x00",
        "sqlite:///a.db\x00.txt",
        "sqlite:///a.db?busy_timeout=1\n",
        "postgresql://127.0.0.1/te\x00st",
        "postgresql://127.0.0.1/test\x1b[31m",
        "mem\x00ory://",
    ],
)
def test_a_url_with_a_control_character_is_refused(url: str) -> None:
    """A NUL or another control character anywhere in a URL raises ConfigurationError."""
    with pytest.raises(ConfigurationError, match="control"):
        from_url(url)


def test_a_huge_url_is_refused_without_being_repeated() -> None:
    """A URL longer than MAX_URL raises ConfigurationError whose message stays short."""
    with pytest.raises(ConfigurationError) as caught:
        from_url("sqlite:///" + "a" * MAX_URL)
    assert len(str(caught.value)) < 100


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mongodb://db", "'mongodb'"),
        ("memory:", "'(none)'"),
        ("x" * 4000 + "://db", "'(none)'"),
        ("\u0661\u0662\u0663://db", "'(none)'"),
        ("se cret://db", "'(none)'"),
    ],
)
def test_an_unknown_scheme_is_shown_only_when_it_is_one(url: str, shown: str) -> None:
    """The unknown-scheme message quotes a scheme only if it is a short RFC 3986 scheme."""
    with pytest.raises(ConfigurationError, match="unknown store URL scheme") as caught:
        from_url(url)
    assert shown in str(caught.value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("url", ["sqlite:/x.db", "sqlite:x.db", "SQLITE:/x.db"])
def test_a_sqlite_url_without_its_slashes_says_how_many(url: str) -> None:
    """A sqlite URL short of slashes says three come before a relative path, four an absolute."""
    with pytest.raises(ConfigurationError, match="sqlite:/// then a relative path") as caught:
        from_url(url)
    assert "sqlite://// then an absolute" in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(url=st.text(max_size=60).map(lambda rest: f"memory://{rest}") | st.text(max_size=60))
def test_any_text_opens_a_store_or_raises_configuration_error(url: str) -> None:
    """from_url answers any text (but a postgresql or sqlite URL) with a store or a typed error."""
    if url.lower().startswith(("postgres", "sqlite")):
        return
    try:
        store = from_url(url)
    except ConfigurationError:
        return
    store.close()


# --- SQLite: paths and settings ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["centre\x00.sqlite3", "", 7, None, b"centre.sqlite3", "centre\ud800.sqlite3"],
    ids=["nul", "empty", "int", "none", "bytes", "lone-surrogate"],
)
def test_a_path_no_file_can_have_is_a_configuration_error(tmp_path: Path, path: Any) -> None:
    """A path with a NUL, not text, or with a lone surrogate raises ConfigurationError."""
    target = path if not isinstance(path, str) or not path else str(tmp_path / path)
    with pytest.raises(ConfigurationError, match="path"):
        SQLiteStore.open(target)


def test_a_file_name_of_non_utf8_bytes_opens_that_file(tmp_path: Path) -> None:
    """A name decoded with surrogateescape (bytes that are not UTF-8) names the original file."""
    name = os.fsdecode(b"caf\xe9.sqlite3")
    with SQLiteStore.open(tmp_path / name) as store:
        store.commit(make_commit("a"))
    assert (tmp_path / name).exists()
    assert os.fsencode(tmp_path / name).endswith(b"caf\xe9.sqlite3")
    with from_url(f"sqlite:///{tmp_path / name}") as reopened:
        assert len(reopened.read("a")) == 1


@pytest.mark.parametrize(
    "timeout",
    [
        True,
        False,
        -0.001,
        float("inf"),
        float("nan"),
        MAX_BUSY_TIMEOUT + 1,
        10**30,
        10**400,  # beyond a float: compared as an integer, never converted
        "5",
        None,
    ],
)
def test_an_unbounded_busy_timeout_is_refused(tmp_path: Path, timeout: Any) -> None:
    """A busy timeout that is a bool, not a number, negative, not finite or above an hour."""
    with pytest.raises(ConfigurationError, match="busy_timeout"):
        SQLiteStore.open(tmp_path / "centre.sqlite3", busy_timeout=timeout)
    assert not (tmp_path / "centre.sqlite3").exists()


@pytest.mark.parametrize("timeout", [0, 0.5, MAX_BUSY_TIMEOUT])
def test_busy_timeouts_from_0_to_an_hour_are_kept(tmp_path: Path, timeout: float) -> None:
    """The bounds themselves are accepted, and set in milliseconds."""
    store = SQLiteStore.open(tmp_path / "centre.sqlite3", busy_timeout=timeout)
    with store, store._reading() as connection:
        assert connection.execute("PRAGMA busy_timeout").fetchone() == (int(timeout * 1000),)


@pytest.mark.parametrize("synchronous", ["OFF", "full", 1, None, "FULL\x00"])
def test_a_synchronous_level_other_than_full_or_normal_is_refused(
    tmp_path: Path, synchronous: Any
) -> None:
    """synchronous must be exactly 'FULL' or 'NORMAL'."""
    with pytest.raises(ConfigurationError, match="synchronous"):
        SQLiteStore.open(tmp_path / "centre.sqlite3", synchronous=synchronous)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///db?busy_timeout=%D9%A1",  # an Arabic-Indic one, which float() reads as 1
        "sqlite:///db?busy_timeout=1e3",
        "sqlite:///db?busy_timeout=inf",
        "sqlite:///db?busy_timeout=99999999",
        "sqlite:///db?busy_timeout=-1",
        "sqlite:///db?busy_timeout=1&busy_timeout=2",
        "sqlite:///db?synchronous=normal&synchronous=full",
        "sqlite:///db%FF.sqlite3",  # a %-escape that is not UTF-8
        "sqlite:///db?%FF=1",
        "sqlite:///db%00.sqlite3",
        "sqlite://host:99999999999/db",
        "SQLITE://h\u0131st/db",
    ],
)
def test_a_hostile_sqlite_url_is_a_configuration_error(url: str) -> None:
    """Every malformed sqlite URL raises ConfigurationError, before any file is opened."""
    with pytest.raises(ConfigurationError):
        from_url(url)


def test_a_sqlite_path_percent_decodes_as_utf8(tmp_path: Path) -> None:
    """%-escapes in a sqlite URL's path are UTF-8: %C3%A9 is é."""
    with from_url(f"sqlite:///{tmp_path}/caf%C3%A9.sqlite3") as store:
        assert store.path == f"{tmp_path}/café.sqlite3"  # type: ignore[attr-defined]


def test_backup_to_a_path_with_a_nul_is_a_configuration_error(tmp_path: Path) -> None:
    """backup() refuses a target no file can have, as open() does."""
    with SQLiteStore.open(":memory:") as store, pytest.raises(ConfigurationError, match="path"):
        store.backup(str(tmp_path / "copy\x00.sqlite3"))


def test_an_unopenable_file_stays_a_storage_error(tmp_path: Path) -> None:
    """A path that is well formed but cannot be opened is the store's failure, not the URL's."""
    with pytest.raises(StorageError) as caught:
        SQLiteStore.open(tmp_path / "missing" / "centre.sqlite3")
    assert not isinstance(caught.value, TransientError)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


# --- PostgreSQL: settings the server refuses are configuration ---------------------------


def _with(url: str, **parameters: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in parameters.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        lambda url: _database(url, "onestop_no_such_database"),
        lambda url: _with(url, sslmode="bogus"),
        lambda url: _with(url, user="onestop_no_such_role"),
        lambda url: _with(url, options="-c%20onestop_no_such.parameter"),
        lambda url: _with(url, options="-c%20statement_timeout%3Dsoon"),
        lambda url: _with(url, gssencmode="bogus"),
        lambda url: _with(url, sslmode="require"),  # the test server has no SSL
        lambda url: _with(url, port="99999"),
        lambda url: _with(url, keepalives="often"),
    ],
    ids=[
        "no-such-database",
        "bad-sslmode",
        "no-such-role",
        "option-without-value",
        "option-with-bad-value",
        "bad-gssencmode",
        "ssl-required",
        "port-out-of-range",
        "bad-integer-option",
    ],
)
def test_settings_the_server_refuses_are_configuration_errors(
    postgres_url: str, change: Any
) -> None:
    """A database, role or option the server refuses is ConfigurationError, not retryable.

    Against the real server: before, these were StorageUnavailable, which callers retry
    for ever.
    """
    with pytest.raises(ConfigurationError) as caught:
        PostgresStore.connect(change(postgres_url), timeout=5)
    assert not isinstance(caught.value, TransientError)
    assert isinstance(caught.value.__cause__, psycopg.Error)


@pytest.mark.postgres
def test_a_missing_database_is_a_configuration_error_through_from_url(postgres_url: str) -> None:
    """from_url says the same for a database that does not exist."""
    with pytest.raises(ConfigurationError, match="does not exist"):
        from_url(_database(postgres_url, "onestop_no_such_database"))


def test_a_refused_connection_stays_unavailable() -> None:
    """Nothing listening on the port is StorageUnavailable: the server may come back."""
    with pytest.raises(StorageUnavailable):
        PostgresStore.connect("postgresql://127.0.0.1:1/db", timeout=1)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://mall:se@cret@127.0.0.1/db",
        "postgres://mall:se@cret@db.invalid:5432/db?schema=x",
        "POSTGRESQL://mall@x:se@cret@127.0.0.1/db",
    ],
)
def test_an_unescaped_at_sign_in_the_password_is_refused_without_quoting_it(url: str) -> None:
    """A password holding a raw '@' is a ConfigurationError saying to write %40, quoting none
    of it; before, libpq read the rest as the host, and the unavailable host's message
    quoted that part of the password.
    """
    with pytest.raises(ConfigurationError, match="%40") as caught:
        PostgresStore.connect(url, timeout=1)
    assert "cret" not in str(caught.value)
    assert caught.value.__cause__ is None  # refused before connecting


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://127.0.0.1/db?nosuch=1",
        "postgresql://[::1/db",
        "postgresql://u:pa%00ss@127.0.0.1/db",
        "postgresql://127.0.0.1/te\ud800st",
        "postgresql://127.0.0.1/db?schema=a&schema=b",
        "postgresql://127.0.0.1/db?schema=Bad",
        "postgresql://127.0.0.1/db?schema=%FF",
    ],
)
def test_a_url_libpq_cannot_take_is_refused_before_connecting(url: str) -> None:
    """A URL libpq cannot parse raises ConfigurationError that never repeats the URL."""
    with pytest.raises(ConfigurationError) as caught:
        PostgresStore.connect(url)
    assert "pa%00ss" not in str(caught.value)
    assert "127.0.0.1" not in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"min_size": True},
        {"max_size": 1.5},
        {"min_size": 0},
        {"max_size": 10**6},
        {"timeout": float("inf")},
        {"timeout": float("nan")},
        {"timeout": 0},
        {"timeout": True},
        {"timeout": "10"},
        {"timeout": 10**400},
        {"schema": 7},
    ],
)
def test_pool_settings_out_of_range_are_refused(options: dict[str, Any]) -> None:
    """A pool size or timeout that is a bool, not finite or out of range is refused."""
    with pytest.raises(ConfigurationError):
        PostgresStore.connect("postgresql://db.invalid/malls", **options)


def test_every_opening_error_is_an_onestop_error(tmp_path: Path) -> None:
    """No setting, however odd, lets a driver's own error escape from opening a store."""
    for options in ({"busy_timeout": [1]}, {"synchronous": {"FULL"}}, {"busy_timeout": 1j}):
        with pytest.raises(OnestopError):
            SQLiteStore.open(tmp_path / "x.sqlite3", **options)
