"""What every benchmark module shares: the `Result` record and a timer.

A benchmark module is a file ``bench_<topic>.py`` in this directory exposing
``run(quick: bool, size: int | None = None) -> list[Result]``; `run.py` finds and runs
every one of them in a single process.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["Result", "best_seconds", "comparison"]


@attrs.frozen(kw_only=True)
class Result:
    """One measured figure, compared with a peer measured in the same run.

    Attributes:
        name: What was measured, as ``topic.metric`` (``workflow.transitions_per_s``).
        value: onestop's figure.
        unit: The figure's unit (``transitions/s``, ``bytes/application``).
        peer: What it is compared with, or ``None``.
        peer_value: The peer's figure in the same unit, or ``None``.
        ratio: ``value / peer_value``, or ``None``.
        goal: The goal on the ratio, as text (``ratio >= 3``), or ``None`` if the
            figure is only reported.
        met: Whether the goal is met, or ``None`` if there is no goal.
    """

    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None
    ratio: float | None = None
    goal: str | None = None
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict with the keys in declaration order."""
        return attrs.asdict(self)


def comparison(
    name: str,
    *,
    value: float,
    unit: str,
    peer: str,
    peer_value: float,
    at_least: float | None = None,
    at_most: float | None = None,
) -> Result:
    """Build a `Result` comparing *value* with *peer_value*, with an optional goal on the ratio."""
    ratio = value / peer_value if peer_value else None
    goal: str | None = None
    met: bool | None = None
    if at_least is not None:
        goal = f"ratio >= {at_least:g}"
        met = ratio is not None and ratio >= at_least
    elif at_most is not None:
        goal = f"ratio <= {at_most:g}"
        met = ratio is not None and ratio <= at_most
    return Result(
        name=name,
        value=round(value, 3),
        unit=unit,
        peer=peer,
        peer_value=round(peer_value, 3),
        ratio=None if ratio is None else round(ratio, 4),
        goal=goal,
        met=met,
    )


def best_seconds(
    work: Callable[[], object], *, repeats: int, setup: Callable[[], object] | None = None
) -> float:
    """Return the fastest of *repeats* timed calls of *work*, each after *setup*.

    The garbage collector is paused while timing, as `timeit` does, so that a
    collection triggered by one contender's garbage is not billed to the next.
    """
    best = float("inf")
    for _ in range(repeats):
        if setup is not None:
            setup()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            elapsed = time.perf_counter() - start
        finally:
            gc.enable()
        best = min(best, elapsed)
    return best
