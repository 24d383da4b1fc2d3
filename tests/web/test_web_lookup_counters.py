"""The failed-lookup counters: files kept open, a number counted only when a lookup of it
fails, and the files answering every sequence of lookups as the store-backed counts do."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore

from onestop.exceptions import ApplicationNotFound, Throttled
from onestop.web._limits import CounterFiles, Limits


def _missing() -> str:
    raise ApplicationNotFound(None)


def _file_limits(folder: Path, limit: int) -> Limits:
    (folder / "limits").mkdir(parents=True, exist_ok=True)
    return Limits(store=FileStore(folder / "limits"), lookups_per_minute=limit)


def _counters(folder: Path) -> list[Path]:
    return sorted((folder / "limits.lookups").iterdir())


def _answer(limits: Limits, client: str, number: str, found: bool, *, inline: bool = False) -> str:
    async def one() -> str:
        try:
            return await limits.tracked(
                client=client,
                number=number,
                call=(lambda: "200") if found else _missing,
                inline=inline,
            )
        except ApplicationNotFound:
            return "404"
        except Throttled:
            return "429"

    return anyio.run(one)


def test_a_correct_lookup_writes_its_clients_counter_only(tmp_path: Path) -> None:
    """A lookup that succeeds in a thread leaves no counter for its number, and its
    client's at 0."""
    limits = _file_limits(tmp_path, 3)
    assert [_answer(limits, "10.0.0.1", "n-1", True) for _ in range(5)] == ["200"] * 5
    (client,) = _counters(tmp_path)
    assert client.read_bytes().split(b":")[0] == b"0"
    limits.close()


def test_a_correct_lookup_on_the_loop_writes_no_counter(tmp_path: Path) -> None:
    """A lookup that succeeds on the event loop (under the counters' lock) writes nothing:
    its client's counter is read, empty, and its number has none."""
    limits = _file_limits(tmp_path, 3)
    answers = [_answer(limits, "10.0.0.1", "n-1", True, inline=True) for _ in range(5)]
    assert answers == ["200"] * 5
    (client,) = _counters(tmp_path)
    assert client.read_bytes() == b""
    limits.close()


def test_a_failure_is_counted_on_its_client_and_its_number(tmp_path: Path) -> None:
    """A lookup that fails leaves its client's and its number's counters at 1 each."""
    limits = _file_limits(tmp_path, 3)
    assert _answer(limits, "10.0.0.1", "n-1", False) == "404"
    assert [path.read_bytes().split(b":")[0] for path in _counters(tmp_path)] == [b"1", b"1"]
    limits.close()


def test_a_counter_swept_by_another_worker_is_opened_again(tmp_path: Path) -> None:
    """A worker keeping a counter open sees it removed by another worker's sweep (its
    window over) and counts in the new file, which the other worker then reads."""
    here, there = _file_limits(tmp_path, 5), _file_limits(tmp_path, 5)
    assert _answer(here, "10.0.0.1", "n-1", False) == "404"  # both counters kept open
    for path in _counters(tmp_path):
        path.write_bytes(b"1:1".ljust(32))  # windows that ended in 1970
    assert there._files is not None
    assert there._files.sweep() == 2
    assert _counters(tmp_path) == []
    for _ in range(5):
        assert _answer(here, "10.0.0.1", f"n-{_}", False) == "404"
    assert _answer(there, "10.0.0.1", "n-9", True) == "429"  # five failures seen there
    here.close()
    there.close()


def test_no_more_counters_stay_open_than_the_bound(tmp_path: Path) -> None:
    """Past `OPEN_COUNTERS` keys the least recently used are closed, and every count is
    still right when they are opened again."""
    (tmp_path / "limits").mkdir()
    files = CounterFiles(FileStore(tmp_path / "limits"))
    files.OPEN_COUNTERS = 4  # type: ignore[misc]
    keys = [f"lookup-number-{n}" for n in range(10)]
    for key in keys + keys:
        assert files.fail(key, limit=5) is None
    assert len(files._open_counters) == 4
    assert [files.fail(key, limit=2) for key in keys] == [files.fail(keys[0], limit=2)] * 10
    assert all(
        (tmp_path / "limits.lookups" / key).read_bytes().split(b":")[0] == b"2" for key in keys
    )
    files.close()
    assert files._open_counters == {}


def test_closing_closes_every_counter_kept_open(tmp_path: Path) -> None:
    """`Limits.close` leaves no descriptor of a counter open, and counting goes on after."""
    limits = _file_limits(tmp_path, 3)
    assert _answer(limits, "10.0.0.1", "n-1", False) == "404"
    assert limits._files is not None
    kept = list(limits._files._open_counters.values())
    limits.close()
    for fd in kept:
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)
    assert _answer(limits, "10.0.0.1", "n-2", False) == "404"
    limits.close()


LOOKUPS = st.lists(
    st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.booleans()), max_size=25
)


@settings(max_examples=60, deadline=None)
@given(lookups=LOOKUPS, limit=st.integers(min_value=1, max_value=4))
def test_the_counter_files_answer_as_the_store_does(
    tmp_path_factory: pytest.TempPathFactory, lookups: list[tuple[str, str, bool]], limit: int
) -> None:
    """For any sequence of lookups (client, number, found or not), the counters in files
    (the lookup on the loop or in a thread) and the counts in a store answer each one
    alike (200, 404 or 429)."""
    files = _file_limits(tmp_path_factory.mktemp("counters"), limit)
    threaded = _file_limits(tmp_path_factory.mktemp("counters"), limit)
    store = Limits(store=MemoryStore(), lookups_per_minute=limit)
    assert files._files is not None
    assert store._files is None
    answers = [
        (
            _answer(files, c, n, found, inline=True),
            _answer(threaded, c, n, found),
            _answer(store, c, n, found),
        )
        for c, n, found in lookups
    ]
    files.close()
    threaded.close()
    assert all(len(set(three)) == 1 for three in answers), answers
    failures: dict[str, int] = {}
    for (client, _, found), (answer, _, _) in zip(lookups, answers, strict=True):
        if failures.get(client, 0) >= limit:
            assert answer == "429"  # a client at its limit is refused, found or not
        elif found:
            assert answer == "200"
        else:
            failures[client] = failures.get(client, 0) + 1
