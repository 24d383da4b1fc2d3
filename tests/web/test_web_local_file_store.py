"""`LocalFileStore`: Litestar's `FileStore`, its operations made on the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import anyio
import pytest
from litestar.stores.file import FileStore

from onestop.web._local_store import LocalFileStore


def test_values_round_trip_and_expire(tmp_path: Path) -> None:
    """A value set is read back until it expires, then reads as missing and is removed."""

    async def scenario() -> None:
        store = LocalFileStore(tmp_path / "limits")
        await store.set("k", "value", expires_in=1)
        assert await store.get("k") == b"value"
        assert await store.exists("k")
        assert await store.expires_in("k") in {0, 1}
        await asyncio.sleep(1.1)
        assert await store.get("k") is None
        assert not await store.exists("k")  # removed when found expired

    anyio.run(scenario)


def test_deleting_and_renewing(tmp_path: Path) -> None:
    """A deleted key is gone (deleting a missing one is no error); ``renew_for`` pushes
    an expiring value's expiry on."""

    async def scenario() -> None:
        store = LocalFileStore(tmp_path / "limits")
        await store.delete("missing")
        await store.set("k", b"v", expires_in=1)
        assert await store.get("k", renew_for=60) == b"v"
        assert (await store.expires_in("k") or 0) > 50
        await store.delete("k")
        assert await store.get("k") is None
        assert await store.expires_in("k") is None

    anyio.run(scenario)


def test_its_files_are_litestars(tmp_path: Path) -> None:
    """Workers of either kind share the directory: each reads what the other wrote."""

    async def scenario() -> None:
        ours, theirs = LocalFileStore(tmp_path), FileStore(tmp_path)
        await ours.set("a", b"from ours", expires_in=60)
        await theirs.set("b", b"from theirs", expires_in=60)
        assert await theirs.get("a") == b"from ours"
        assert await ours.get("b") == b"from theirs"

    anyio.run(scenario)


def test_no_operation_leaves_the_event_loop_thread(tmp_path: Path) -> None:
    """Every operation runs on the calling thread: no hop to a worker thread."""
    started: list[str] = []
    real = threading.Thread.start

    def counting(thread: threading.Thread) -> None:
        started.append(thread.name)
        real(thread)

    async def scenario() -> None:
        store = LocalFileStore(tmp_path / "limits")
        await store.set("k", b"v")
        await store.get("k")
        await store.exists("k")
        await store.expires_in("k")
        await store.delete("k")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Thread, "start", counting)
        anyio.run(scenario)
    assert started == []


def test_a_namespace_is_a_local_store_in_a_sub_folder(tmp_path: Path) -> None:
    """``with_namespace`` gives a `LocalFileStore` under the folder; a name that is not
    alphanumeric is refused as Litestar refuses it."""
    store = LocalFileStore(tmp_path).with_namespace("lookups")
    assert isinstance(store, LocalFileStore)
    assert Path(store.path) == tmp_path / "lookups"
    with pytest.raises(ValueError, match="namespace"):
        LocalFileStore(tmp_path).with_namespace("../up")


def test_a_value_set_without_expiry_never_expires(tmp_path: Path) -> None:
    """A value set with no expiry is kept and has no expiry to report."""

    async def scenario() -> None:
        store = LocalFileStore(tmp_path)
        await store.set("k", "v")
        assert await store.expires_in("k") is None
        assert await store.get("k") == b"v"

    anyio.run(scenario)


def test_a_value_overwritten_in_place_reads_back_whole(tmp_path: Path) -> None:
    """``overwrite`` replaces a longer value with a shorter one leaving nothing of the old,
    readable by Litestar's own store, and makes the folder again if it is gone."""

    async def scenario() -> None:
        store = LocalFileStore(tmp_path / "limits")
        await store.overwrite("k", b"a much longer value than the next", expires_in=60)
        await store.overwrite("k", b"short", expires_in=60)
        assert await FileStore(tmp_path / "limits").get("k") == b"short"
        await store.delete("k")
        (tmp_path / "limits").rmdir()
        await store.overwrite("k", b"again")
        assert await store.get("k") == b"again"

    anyio.run(scenario)


BEING_WRITTEN, CUT_SHORT = "e" * 64, "f" * 64  # named as entries are (`ENTRY_NAME`)


def test_the_sweep_passes_over_a_write_in_progress(tmp_path: Path) -> None:
    """``delete_expired`` removes expired entries and unreadable files older than
    ``UNREADABLE_FOR``; it keeps live entries, young unreadable files (a write in
    progress) and sub-folders, and never fails on them, nor on a folder never made."""

    async def scenario() -> set[str]:
        store = LocalFileStore(tmp_path)
        await store.set("live", b"v", expires_in=60)
        await store.set("gone", b"v", expires_in=1)
        await asyncio.sleep(1.1)
        (tmp_path / BEING_WRITTEN).write_bytes(b"")
        (tmp_path / CUT_SHORT).write_bytes(b"\x85\xa4da")
        os.utime(tmp_path / CUT_SHORT, (1, 1))
        (tmp_path / "namespace").mkdir()
        await store.delete_expired()
        await LocalFileStore(tmp_path / "never-made").delete_expired()
        return {path.name for path in tmp_path.iterdir()}

    left = anyio.run(scenario)
    store = LocalFileStore(tmp_path)
    assert left == {
        store._path_from_key("live").name,
        BEING_WRITTEN,
        "namespace",
    }
