"""The files the workers of one machine share (the limits' directory and those beside it):
claims made once across processes, typed failures, nothing written through a link.

Found by a review of the shared state: two workers could both accept one webhook id
whose record had expired, an in-flight claim could remove another's fresh marker, a full
disk raised `OSError` and left markers that blocked a key, and a directory another user
had made first let that user plant links the server wrote through.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_support import settings_for

from onestop.exceptions import ConfigurationError, StorageError
from onestop.web._app import limits_store
from onestop.web._callbacks import FileReplayCache
from onestop.web._inflight import InFlight, _claim_file
from onestop.web._limits import Limits
from onestop.web._local_store import LocalFileStore

SRC = Path(__file__).resolve().parents[2] / "src"
ROUNDS = 60
NOBODY = 65534


def _remember_in_turn(directory: str, barrier: object, answers: object) -> None:
    cache = FileReplayCache(Path(directory))
    for i in range(ROUNDS):
        barrier.wait()  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        won = cache.remember(f"msg-{i}", until=now + timedelta(minutes=5), now=now)
        answers.put((i, won))  # type: ignore[attr-defined]


def test_two_workers_remembering_an_expired_webhook_id_at_once_accept_it_once(
    tmp_path: Path,
) -> None:
    """Two processes remembering the same id at the same instant, over an expired record
    of it (an agency's retry delivered twice), are told it is new exactly once, every
    time (60 rounds)."""
    seen = tmp_path / "seen"
    cache = FileReplayCache(seen)
    past = datetime.now(UTC) - timedelta(hours=1)
    for i in range(ROUNDS):
        cache.remember(f"msg-{i}", until=past, now=past - timedelta(minutes=1))
    context = multiprocessing.get_context("fork")
    barrier, answers = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_remember_in_turn, args=(str(seen), barrier, answers))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    won: dict[int, int] = {}
    for _ in range(2 * ROUNDS):
        i, answer = answers.get(timeout=60)
        won[i] = won.get(i, 0) + answer
    for worker in workers:
        worker.join(10)
    assert won == dict.fromkeys(range(ROUNDS), 1)


def test_an_empty_webhook_id_file_left_by_a_killed_worker_is_taken_at_once(
    tmp_path: Path,
) -> None:
    """An id's file left empty (its worker killed between making and writing it, or the
    disk full) does not hold the id: the next delivery is accepted, and remembered."""
    cache = FileReplayCache(tmp_path / "seen")
    now = datetime.now(UTC)
    assert cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    (file,) = (tmp_path / "seen").iterdir()
    file.write_bytes(b"")
    assert cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    assert not cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)


def test_a_link_under_a_webhook_ids_name_is_refused_and_not_written_through(
    tmp_path: Path,
) -> None:
    """A symbolic link in place of an id's file is a `StorageError`; its target is left
    as it was."""
    cache = FileReplayCache(tmp_path / "seen")
    now = datetime.now(UTC)
    cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    (file,) = (tmp_path / "seen").iterdir()
    target = tmp_path / "precious.conf"
    target.write_bytes(b"keep me")
    file.unlink()
    file.symlink_to(target)
    with pytest.raises(StorageError, match="webhook id"):
        cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    assert target.read_bytes() == b"keep me"


def test_a_fifo_under_a_webhook_ids_name_is_refused_without_waiting(tmp_path: Path) -> None:
    """A FIFO in place of an id's file is a `StorageError` at once, not a wait for a
    writer that never comes."""
    cache = FileReplayCache(tmp_path / "seen")
    now = datetime.now(UTC)
    cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    (file,) = (tmp_path / "seen").iterdir()
    file.unlink()
    os.mkfifo(file)
    with pytest.raises(StorageError, match="not a regular file"):
        cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)


def test_the_webhook_ids_directory_removed_while_serving_is_made_again(tmp_path: Path) -> None:
    """If the ids' directory is removed under a running server, the next id remembered
    makes it again instead of failing until a restart."""
    seen = tmp_path / "seen"
    cache = FileReplayCache(seen)
    seen.rmdir()
    now = datetime.now(UTC)
    assert cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)
    assert not cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)


def test_a_claim_that_finds_a_marker_it_cannot_then_read_removes_nothing(tmp_path: Path) -> None:
    """A claim that finds the key's name taken, but nothing there when it reads the marker
    (released meanwhile), removes nothing: it tries again, never deleting the marker a
    third request may have made since.  (A dangling link stands for that instant.)"""
    marker = tmp_path / "marker"
    marker.symlink_to(tmp_path / "nothing")
    assert not _claim_file(marker, b"token", 60)
    assert marker.is_symlink()


_FULL_DISK = """
import asyncio, resource, signal, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from onestop.exceptions import StorageError
from onestop.web._callbacks import FileReplayCache
from onestop.web._inflight import InFlight
from onestop.web._local_store import LocalFileStore

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # every write past 0 bytes fails
folder = Path(sys.argv[1])
store = LocalFileStore(folder / "limits")
now = datetime.now(UTC)
calls = {
    "claim": lambda: asyncio.run(InFlight(store=store, seconds=60).claim("a:1", "key-1")),
    "remember": lambda: FileReplayCache(folder / "seen").remember(
        "msg-1", until=now + timedelta(minutes=5), now=now
    ),
    "set": lambda: asyncio.run(store.set("window", b"1", expires_in=60)),
    "overwrite": lambda: asyncio.run(store.overwrite("window", b"1", expires_in=60)),
}
for name, call in calls.items():
    try:
        call()
    except StorageError as exc:
        print(name, "StorageError", exc)
    else:
        print(name, "no error")
"""


def test_a_full_disk_is_a_storage_error_and_blocks_nothing_once_freed(tmp_path: Path) -> None:
    """With every write refused (a file-size limit of 0 bytes, as a full disk refuses
    them), an in-flight claim, a webhook id and a limits entry each raise `StorageError`;
    once writes work again, the same key is claimed and the same id accepted."""
    run = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert [line.split(" ", 2)[:2] for line in run.stdout.splitlines()] == [
        [name, "StorageError"] for name in ("claim", "remember", "set", "overwrite")
    ]
    store = LocalFileStore(tmp_path / "limits")
    assert asyncio.run(InFlight(store=store, seconds=60).claim("a:1", "key-1")) is not None
    now = datetime.now(UTC)
    cache = FileReplayCache(tmp_path / "seen")
    assert cache.remember("msg-1", until=now + timedelta(minutes=5), now=now)


def test_a_limits_directory_others_may_write_is_refused(tmp_path: Path) -> None:
    """A limits directory writable by its group or by others is refused at startup with a
    `ConfigurationError` naming its mode: another user could plant links in it."""
    folder = tmp_path / "limits"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(ConfigurationError, match="0777"):
        limits_store(settings_for(tmp_path, limits_dir=str(folder)))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to give a directory to another user")
def test_a_directory_beside_the_limits_another_user_made_is_refused(tmp_path: Path) -> None:
    """A ``.lookups`` directory beside the limits' that another user made first (in a
    shared parent) is refused at startup, before anything is written in it."""
    folder = tmp_path / "limits"
    beside = tmp_path / "limits.lookups"
    beside.mkdir(mode=0o755)
    os.chown(beside, NOBODY, NOBODY)
    with pytest.raises(ConfigurationError, match=f"belongs to user {NOBODY}"):
        limits_store(settings_for(tmp_path, limits_dir=str(folder)))
    assert list(beside.iterdir()) == []


def test_the_lookup_counters_sweep_passes_over_a_fifo_without_waiting(tmp_path: Path) -> None:
    """A FIFO named like a lookup counter neither stops the counters' sweep (which holds
    the machine's lookups lock) nor makes it wait; the FIFO stays."""
    folder = tmp_path / "limits"
    limits = Limits(store=LocalFileStore(folder), lookups_per_minute=5)
    fifo = tmp_path / "limits.lookups" / ("lookup-number-" + "a" * 32)
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    sweep = threading.Thread(target=limits.sweep, daemon=True)
    sweep.start()
    sweep.join(10)
    assert not sweep.is_alive()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    limits.close()
