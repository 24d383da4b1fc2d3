"""The oracle every hostile call is judged by, and the budget of examples.

A call either returns or raises an `onestop.exceptions.OnestopError`.  Anything else
fails the test with the original exception, re-raised with the reproducer as a note,
so that Hypothesis tells distinct bugs apart by where they were raised.  A refusal's
message must render (``str`` and ``repr``), stay short, and not repeat a huge argument.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from surface_discovery import ENTRY_POINTS, KIND_METHOD, EntryPoint
from surface_drivers import (
    STORE_CLASSES,
    Call,
    CallHung,
    Outcome,
    needs,
    perform,
    touches_world,
)
from surface_harness import NATS_URL, POSTGRES_URL, Context, Session
from surface_values import Long

CALL_SECONDS = 15
"""A call that takes longer than this is reported as hanging (generous: on a loaded machine
some honest calls passed 5 s; a hang never ends at all)."""

SLOW_CALL_SECONDS = {"onestop.cli.demo.run_demo": 60}
"""Calls that do real work (a simulated day) get longer before they count as hanging: on a
loaded machine a short demo took more than 5 s (a hang never ends at all)."""

CALL_MEMORY = 3 * 2**30
"""The address space one call may add, in bytes."""

CHECK_MESSAGES = os.environ.get("ONESTOP_SURFACE_MESSAGES", "1") != "0"
"""Judge refusals' messages too (``ONESTOP_SURFACE_MESSAGES=0`` looks past them, to find
what a message bug would hide)."""

MAX_MESSAGE = 20_000
"""The longest error message a refusal may carry, in characters."""

PURE_EXAMPLES = 40
"""Examples per entry point that does not touch a world's store."""

WORLD_EXAMPLES = 30
"""Examples per entry point that runs on each storage adapter in turn."""

SLOW = {
    "onestop.cli.demo.run_demo": 6,
    "onestop.storage.postgres.PostgresStore.connect": 8,
    "onestop.storage.postgres.open_url": 8,
    "onestop.storage.from_url": 20,
    "onestop.transport.nats.NatsPublisher": 10,
}
"""Entry points that open servers or run simulations get fewer examples (each is slow)."""


def budget(name: str, *, world: bool) -> int:
    """How many examples *name* gets."""
    return SLOW.get(name, WORLD_EXAMPLES if world else PURE_EXAMPLES)


SHRINK = os.environ.get("ONESTOP_SURFACE_SHRINK", "") not in ("", "0")
"""Shrink failing examples to minimal ones (slow with many failures; off unless asked)."""


EXPLORE = int(os.environ.get("ONESTOP_SURFACE_EXPLORE", "0") or 0)
"""``ONESTOP_SURFACE_EXPLORE=N``: draw N times the examples, from a new random seed each run,
to look for what the fixed examples of CI miss (each run may find other failures)."""


def hypothesis_settings(examples: int) -> settings:
    """Explicit settings: reproducible in CI (derandomized, no database), no deadline.

    With ``ONESTOP_SURFACE_EXPLORE`` set, random and larger instead (`EXPLORE`).

    Failures are shrunk only with ``ONESTOP_SURFACE_SHRINK=1``: every failure is
    printed with the call that raised it either way, and while many entry points
    still fail, shrinking each would take most of a CI run.
    """
    return settings(
        max_examples=examples * max(EXPLORE, 1),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink)
        if SHRINK
        else (Phase.explicit, Phase.generate),
        report_multiple_bugs=True,
        print_blob=False,
    )


_ARMED = {"seconds": 0.0}


def _interrupt(signum: int, frame: object) -> None:
    """Raise `CallHung` in the call; a late alarm after the call ended is ignored."""
    if _ARMED["seconds"]:
        raise CallHung(f"the call ran for more than {_ARMED['seconds']} s")


@contextlib.contextmanager
def time_limit(seconds: float = CALL_SECONDS) -> Iterator[None]:
    """Interrupt the block with `CallHung` after *seconds* (main thread only).

    The block may also use only `CALL_MEMORY` more bytes of address space: a call that
    asks for more gets `MemoryError` (reported as a crash) instead of the test process
    being killed by the kernel.
    """
    if signal.getsignal(signal.SIGALRM) is not _interrupt:
        signal.signal(signal.SIGALRM, _interrupt)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + CALL_MEMORY, hard))
    _ARMED["seconds"] = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _ARMED["seconds"] = 0.0
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_FAILURES: dict[tuple[str, str], type[AssertionError]] = {}


def failure(kind: str, location: str) -> type[AssertionError]:
    """An `AssertionError` class per kind of failure and place: Hypothesis reports each."""
    key = (kind, location)
    if key not in _FAILURES:
        _FAILURES[key] = type(f"{kind} at {location}", (AssertionError,), {})
    return _FAILURES[key]


def where(error: BaseException) -> str:
    """The innermost line of onestop's own code in *error*'s traceback (else the last)."""
    found = "?"
    tb = error.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "/onestop/" in name or found == "?":
            found = f"{name.rsplit('/src/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _shown(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception as exc:  # noqa: BLE001 - the message itself is broken
        return f"<str() raised {type(exc).__name__}>"
    return text if len(text) < 500 else text[:500] + "..."


def _trace(error: BaseException) -> str:
    lines = []
    tb = error.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "/onestop/" in name:
            lines.append(
                f"    {name.rsplit('/src/', 1)[-1]}:{tb.tb_lineno} in {tb.tb_frame.f_code.co_name}"
            )
        tb = tb.tb_next
    return "\n".join(lines[-8:])


def _longs(value: object) -> Iterator[Long]:
    if isinstance(value, Long):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _longs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _longs(item)


def judge(call: Call, outcome: Outcome) -> None:
    """Fail unless *outcome* is a return or a well-formed `OnestopError`."""
    error = outcome.error
    if outcome.kind == "crashed":
        assert error is not None
        raise failure(type(error).__name__, where(error))(
            f"{call!r}\n  raised {type(error).__name__}: {_shown(error)}\n{_trace(error)}"
        ) from None
    if outcome.kind != "refused" or not CHECK_MESSAGES:
        return
    assert error is not None
    try:
        message = str(error) + repr(error)
    except Exception as exc:
        exc.add_note(f"rendering the message of {type(error).__name__} from {call!r}")
        raise
    assert len(message) <= MAX_MESSAGE, (
        f"{type(error).__name__} from {call!r} has a message of {len(message)} characters"
    )
    for long in _longs((call.args, call.kwargs)):
        if not long.as_bytes:
            echoed = (long.unit * long.size)[:1000]
            assert echoed not in message, (
                f"{type(error).__name__} from {call!r} repeats a {long.size}-character argument"
            )


@dataclass
class Counter:
    """Counts the examples one test performed."""

    examples: int = 0


def pure_entries(*, domain: bool) -> list[object]:
    """The entry points that touch no world's store, in ``onestop.domain`` or not."""
    import pytest

    return [
        pytest.param(
            entry,
            id=entry.name,
            marks=[getattr(pytest.mark, server) for server in sorted(needs(entry))],
        )
        for entry in ENTRY_POINTS
        if not touches_world(entry) and entry.name.startswith("onestop.domain.") == domain
    ]


def world_entries() -> list[object]:
    """The entry points that touch a store; a store's own methods once per method name."""
    import pytest

    found, seen = [], set()
    for entry in ENTRY_POINTS:
        if not touches_world(entry):
            continue
        name = entry.name
        if entry.kind == KIND_METHOD and entry.owner in STORE_CLASSES:
            name = f"store.{entry.attribute}"
            if name in seen:
                continue
            seen.add(name)
        marks = [getattr(pytest.mark, server) for server in sorted(needs(entry) - {"postgres"})]
        found.append(pytest.param(entry, id=name, marks=marks))
    return found


def skip_without_servers(entry: EntryPoint) -> None:
    """Skip, visibly, a test whose entry point needs a server that is not set."""
    import pytest

    for server, variable in (("postgres", POSTGRES_URL), ("nats", NATS_URL)):
        if server in needs(entry) and not variable:
            pytest.skip(f"{entry.name} needs {server}: its ONESTOP_TEST_* URL is not set")


def drive_pure(entry: EntryPoint, surface: Session, counter: Counter) -> None:
    """Drive *entry* with its budget of examples; fail on anything but a return or refusal."""
    skip_without_servers(entry)
    calls = surface.planner.plan(entry)

    @hypothesis_settings(budget(entry.name, world=False))
    @given(data=st.data())
    def drive(data: st.DataObject) -> None:
        call = data.draw(calls, label="call")
        context = Context(surface.pools, surface.scratch)
        with time_limit(SLOW_CALL_SECONDS.get(entry.name, CALL_SECONDS)):
            outcome = perform(call, context)
        counter.examples += 1
        judge(call, outcome)

    drive()
