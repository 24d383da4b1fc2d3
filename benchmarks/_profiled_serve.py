"""Run ``onestop serve`` under cProfile in every thread, for ``BENCH_SERVE_PROFILE``.

``bench_serve.py`` starts the onestop server through this script when the variable names
a directory::

    python _profiled_serve.py OUT.pstats serve CATALOGUE --store URL ...

The arguments after *OUT.pstats* are the ``onestop`` command line.  Every thread of the
process (the event loop's, the thread pools') gets a profiler of its own when it starts;
when the server stops (SIGTERM), their statistics are merged into *OUT.pstats*
(``python -m pstats OUT.pstats``, then ``sort cumtime`` and ``stats 40``).  With one
worker uvicorn serves in this process, so every request is profiled; with more, the
worker processes it spawns are not.  cProfile costs every Python call, so the figures of
a profiled run are slower than a plain run's: read them as shares, not as speeds.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

_PROFILES: list[cProfile.Profile] = []
_LOCK = threading.Lock()
_CLOCK = time.thread_time if os.environ.get("BENCH_SERVE_PROFILE_CLOCK") == "cpu" else None
"""``BENCH_SERVE_PROFILE_CLOCK=cpu``: count each thread's CPU time, not the wall clock, so
that waits (a lock, a queue, the disk) cost nothing and the shares are of CPU."""


def _start(frame: FrameType, event: str, arg: Any) -> None:
    """The first profile event of a new thread: give the thread a profiler of its own."""
    profile = cProfile.Profile(_CLOCK) if _CLOCK is not None else cProfile.Profile()
    with _LOCK:
        _PROFILES.append(profile)
    profile.enable()  # replaces this hook for this thread


def _dump(path: str) -> None:
    with _LOCK:
        profiles = list(_PROFILES)
    stats: pstats.Stats | None = None
    for profile in profiles:
        profile.snapshot_stats()
        if not profile.stats:  # type: ignore[attr-defined]
            continue
        if stats is None:
            stats = pstats.Stats(profile)
        else:
            stats.add(profile)
    if stats is not None:
        stats.dump_stats(path)
        print(f"[profiled_serve] {len(profiles)} threads profiled: {path}", file=sys.stderr)


def main(argv: list[str]) -> int:
    """Profile ``onestop`` with *argv* (the output path first)."""
    path, arguments = argv[0], argv[1:]
    from onestop.cli import main as onestop

    atexit.register(_dump, path)
    # uvicorn sends the SIGTERM that stopped it on to the handler it found: exit, with atexit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.setprofile(_start)
    _start(sys._getframe(), "call", None)
    return onestop(arguments)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
