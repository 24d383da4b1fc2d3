"""Run a blocking write on the event loop, its waits in a thread (`on_loop`).

`Runtime.write` runs an action or a submission of a worker on a local store through
`Writes`: when no other write is under way, the write (`onestop.usecases.mall.Mall.act`,
``Mall.submit``: the guard, the events, the read-model row, the transaction's
statements) runs on the event loop itself, in a greenlet, and each of its waits (the
store's lock, ``BEGIN IMMEDIATE`` when another process writes, the ``COMMIT`` and its
``fsync``; see ``onestop.storage._handoff``) is handed to a thread while the loop
serves other requests; a write that comes meanwhile runs whole in the worker's writer
thread.  The greenlet lets the synchronous core stop in the middle of a call and go on
when the wait is over, as SQLAlchemy's asyncio layer does for its drivers.

In a thread, every statement of a write lets go of the interpreter's lock and the loop
takes it, so a write of ten statements passed the lock between two threads some twenty
times.  Run on the loop without a hand-off, the loop waited out every ``fsync`` and
served nothing meanwhile.  benchmarks/README.md has the figures.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar, cast

from greenlet import getcurrent, greenlet

from onestop.storage._handoff import handing_off

__all__ = ["Writes", "on_loop"]

_T = TypeVar("_T")


def _hand_off(step: Callable[[], Any]) -> Any:
    """Stop this write's greenlet until the loop has run *step* in a thread."""
    parent = getcurrent().parent
    if parent is None:  # not in a write's greenlet: nothing to stop, wait here
        return step()
    return parent.switch(step)


async def on_loop(
    call: Callable[[], _T],
    executor: Executor,
    /,
    *,
    context: contextvars.Context | None = None,
) -> _T:
    """Run the blocking *call* on this event loop, its waits (a store's
    ``onestop.storage._handoff.blocking`` steps) in *executor*, and return its result
    or raise its error.

    The caller must run one such call at a time per store (`Writes` does): a second
    one would find the store held by the first, on the same thread.  It must not be
    cancelled either (`Runtime.write` shields it): a wait cancelled while its step
    still runs would have the write roll back beside its own ``COMMIT``.  *context* (a
    copy of the current one by default) is the one *call* runs in.
    """
    context = contextvars.copy_context() if context is None else context

    def run() -> _T:
        handing_off(_hand_off)  # in *context* only: the loop's own context is untouched
        return call()

    child = greenlet(lambda: context.run(run))
    loop = asyncio.get_running_loop()
    given: object = child.switch()
    while not child.dead:
        step = cast("Callable[[], Any]", given)
        try:
            try:
                waiting = loop.run_in_executor(executor, step)
            except RuntimeError:  # the writer stopped (the worker is stopping) mid-write:
                waiting = loop.run_in_executor(None, step)  # its last waits go elsewhere
            value = await waiting
        except BaseException as error:  # noqa: BLE001 - handed back to the write, which decides
            given = child.throw(error)
        else:
            given = child.switch(value)
    return cast("_T", given)


class Writes:
    """The writes of one event loop: on the loop itself when none is under way, else in
    the writer thread (`run`).

    On the loop (`on_loop`) a write costs the least CPU, but after each of its waits it
    goes on only when the loop next comes round to it: under a load of reads, a pass
    over the loop's ready tasks, while the store stands idle.  When writes come faster
    than that (a slow disk, many writes), each one that arrives while another is under
    way runs whole in the writer thread instead, back to back, as a queue of writes
    always ran: there the store never waits for the loop.  At most one write is on the
    loop at a time; its waits run in a thread of their own (*waits*), so that they never
    queue behind a write of the writer thread that waits for the store it holds.
    """

    def __init__(self, writer: Executor, waits: Executor) -> None:
        """Run whole writes in *writer* and the waits of a write on the loop in *waits*."""
        self._writer = writer
        self._waits = waits
        self._under_way = 0

    async def run(self, call: Callable[[], _T], /) -> _T:
        """Run the blocking *call*, which writes, and return its result or raise its error.

        The caller must not be cancelled meanwhile (`Runtime.write` shields it).
        """
        context = contextvars.copy_context()
        on_the_loop = not self._under_way
        self._under_way += 1
        try:
            if on_the_loop:
                return await on_loop(call, self._waits, context=context)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer, context.run, call)
        finally:
            self._under_way -= 1
