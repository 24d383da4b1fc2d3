"""The workflows' timer and breach transitions, fired by the server every so often.

A transition with ``trigger = "timer"`` or ``"breach"`` moves an application without a
person (`onestop.usecases.mall.Mall.fire_timers`); something must call it.  Each worker
of ``onestop serve`` runs a `TimerFiring` thread that does, every ``timers_every``
seconds; with a lock file (beside the workers' shared limits), one worker fires at a
time, and a round is let go when another worker began one less than ``timers_every``
seconds ago (the file holds when), so the workers together fire about once per
interval, not once each.  Firing twice is safe anyway (an application
another write moved first is left for the next round), so several machines sharing a
PostgreSQL store need no more than that.  A catalogue with no such transition starts
no thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import structlog

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.workflow.model import Trigger
from onestop.usecases.mall import Mall

__all__ = ["TimerFiring", "has_timers"]

_LOG = structlog.get_logger("onestop.web")


_SOONEST = 0.9
"""A round is let go when another began less than this share of *every* seconds ago
(a margin for the workers' timers, which do not tick in step)."""


def _last_round(recorded: bytes) -> float | None:
    """When the last round began, as the lock file says; ``None`` if it says nothing."""
    try:
        found = float(recorded.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return found if math.isfinite(found) else None


def has_timers(catalogue: Catalogue, /) -> bool:
    """Whether a workflow of *catalogue* has a timer or breach transition to fire."""
    return any(
        transition.trigger in (Trigger.TIMER, Trigger.BREACH)
        for workflow in catalogue.workflows
        for transition in workflow.transitions
    )


class TimerFiring:
    """Fires *mall*'s due timer and breach transitions every *every* seconds.

    It runs in a daemon thread of its own; `stop` ends it and waits for it.  With
    *lock*, a file, only the process holding it fires a round.
    """

    def __init__(self, mall: Mall, *, every: float, lock: Path | None = None) -> None:
        """Fire *mall*'s timers every *every* seconds, in turns taken on *lock*."""
        self._mall = mall
        self._every = every
        self._lock = lock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        """How many rounds this process fired (a round another process held is none)."""
        self.moved = 0
        """How many applications its rounds moved."""

    def fire(self) -> int:
        """Fire one round, if no other process is firing one; return the applications
        moved.  A failure is logged (its class only) and the next round tries again."""
        try:
            with self._turn() as mine:
                if not mine:
                    return 0
                moved = len(self._mall.fire_timers())
        except Exception as exc:  # noqa: BLE001 - a failed round is tried again next time
            _LOG.warning("timers_failed", error=type(exc).__name__)
            return 0
        self.rounds += 1
        self.moved += moved
        if moved:
            _LOG.info("timers_fired", moved=moved)
        return moved

    @contextlib.contextmanager
    def _turn(self) -> Iterator[bool]:
        """Whether this process fires this round: always without a lock file; with one,
        when no other process holds it and none began a round within *every* seconds
        (the file holds when the last round began, as a number of seconds)."""
        if self._lock is None:
            yield True
            return
        fd = os.open(self._lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            now = time.time()
            last = _last_round(os.pread(fd, 64, 0))
            if last is not None and 0 <= now - last < self._every * _SOONEST:
                yield False
                return
            os.ftruncate(fd, 0)
            os.pwrite(fd, repr(now).encode("ascii"), 0)
            yield True
        finally:
            os.close(fd)  # closing lets the lock go

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            self.fire()

    def start(self) -> None:
        """Start firing in a thread (the first round after *every* seconds)."""
        self._thread = threading.Thread(target=self._run, name="onestop-timers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop firing; wait for a round under way to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
