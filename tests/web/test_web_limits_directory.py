"""The limits' directory (``--limits-dir``) may be one the operator keeps other files in:
the server's sweeps remove only the files it wrote, and a directory with nothing beside
it (the root) is refused.

Before, the sweep removed every file of the directory it could not read as an entry once
it was an hour old: ``--limits-dir`` naming the folder of the SQLite store would have
deleted the store.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from web_support import settings_for, swept_once

from onestop.exceptions import ConfigurationError
from onestop.web._app import _beside_limits, limits_store
from onestop.web._callbacks import FileReplayCache
from onestop.web._limits import Limits
from onestop.web._local_store import LocalFileStore

HOURS_AGO = time.time() - 3 * 3600


def _old_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.utime(path, (HOURS_AGO, HOURS_AGO))
    return path


def _operators_files(folder: Path) -> list[Path]:
    """Files an operator might keep in a folder: a database, notes, one named like hex."""
    return [
        _old_file(folder / "records.sqlite3", b"SQLite format 3\x00" + bytes(100)),
        _old_file(folder / "README", b"our notes"),
        _old_file(folder / ("a" * 63), b"not an entry: 63 hex digits"),
        _old_file(folder / ("A" * 64), b"not an entry: upper case"),
    ]


def test_the_stores_sweep_removes_its_own_old_unreadable_entries_only(tmp_path: Path) -> None:
    """delete_expired removes an expired entry and an unreadable one of an hour ago (a
    writer killed mid-write), and leaves every file not named as an entry, however old."""
    folder = tmp_path / "limits"
    folder.mkdir()
    theirs = _operators_files(folder)
    torn = _old_file(folder / ("b" * 64), b"\x00half")
    left = _old_file(folder / f"{'c' * 64}.tmpab12_x9z", b"")

    async def scenario() -> None:
        store = LocalFileStore(folder)
        await store.set("gone", b"x", expires_in=1)
        await store.set("kept", b"y", expires_in=3600)
        os.utime(folder / hashlib.blake2s(b"gone").hexdigest(), (HOURS_AGO, HOURS_AGO))
        await anyio.sleep(1.1)
        await store.delete_expired()
        assert await store.get("kept") == b"y"
        assert not await store.exists("gone")

    anyio.run(scenario)
    assert all(path.exists() for path in theirs)
    assert not torn.exists()
    assert not left.exists()


def test_the_lookup_counters_sweep_leaves_files_that_are_not_counters(tmp_path: Path) -> None:
    """Limits.sweep removes the counters whose window ended, and leaves any other file
    beside them (before, a file that did not read as a count was swept as one)."""
    folder = tmp_path / "limits"
    folder.mkdir()
    limits = Limits(store=LocalFileStore(folder), lookups_per_minute=5)
    counters = tmp_path / "limits.lookups"
    ended = _old_file(counters / f"lookup-client-{'d' * 32}", b"3:1000")
    theirs = _operators_files(counters)
    limits.sweep()
    limits.close()
    assert not ended.exists()
    assert all(path.exists() for path in theirs)


def test_the_replay_caches_sweep_leaves_files_that_are_not_its_own(tmp_path: Path) -> None:
    """The callbacks' replay directory is swept of ids that expired only: a file of
    another name stays however old (its sweep runs every 512 ids remembered)."""
    cache = FileReplayCache(tmp_path / "seen")
    theirs = _operators_files(tmp_path / "seen")
    now = datetime.now(UTC)
    for i in range(512):
        cache.remember(f"msg_{i}", until=now - timedelta(hours=1), now=now)
    assert all(path.exists() for path in theirs)
    assert len(list((tmp_path / "seen").iterdir())) == len(theirs) + 1  # the 512th stays


def test_a_server_whose_limits_live_beside_its_store_keeps_the_store(tmp_path: Path) -> None:
    """A server given its store's own folder as the limits' directory, its store last
    written hours ago, sweeps the folder at start and leaves the store and the
    operator's files there."""
    settings = settings_for(tmp_path, limits_dir=str(tmp_path))
    swept_once(settings)  # makes the store
    store = tmp_path / "mall.sqlite3"
    os.utime(store, (HOURS_AGO, HOURS_AGO))
    theirs = [store, *_operators_files(tmp_path)]
    swept_once(settings)
    assert all(path.exists() for path in theirs)


def test_the_working_directory_may_be_the_limits_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--limits-dir .`` names the directory the server starts in, and what lies beside
    it is named after it (``Path('.')`` has no name: ValueError before)."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    settings = settings_for(tmp_path, limits_dir=".")
    store = limits_store(settings)
    assert isinstance(store, LocalFileStore)
    assert Path(str(store.path)) == here
    assert _beside_limits(settings, ".timers-lock") == tmp_path / "here.timers-lock"


def test_the_root_is_refused_as_the_limits_directory(tmp_path: Path) -> None:
    """``--limits-dir /`` is a ConfigurationError: nothing lies beside the root."""
    settings = settings_for(tmp_path, limits_dir="/")
    with pytest.raises(ConfigurationError, match="is the root"):
        limits_store(settings)
    with pytest.raises(ConfigurationError, match="is the root"):
        _beside_limits(settings, ".timers-lock")
