"""Pulumi Outputs made outside a program run need an event loop, and must be finished on it.

An Output is a set of asyncio tasks. If its loop is closed while they wait, they can never run: they
stay pending until the interpreter exits and asyncio reports "Task was destroyed but it is pending!".
Tests that build components or parse config by hand use `outputs_event_loop()`; tests/conftest.py
fails any test that leaves such a stranded task behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

PENDING_AT_EXIT = "Task was destroyed but it is pending"


@contextmanager
def outputs_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A current event loop for the block; afterwards every task made on it runs to completion and the
    previous current loop is restored (code after the block, pulumi.runtime.test, may need one)."""
    try:
        previous: asyncio.AbstractEventLoop | None = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        previous = None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        while pending := [t for t in asyncio.all_tasks(loop) if not t.done()]:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        usable = previous is not None and not previous.is_closed()
        asyncio.set_event_loop(previous if usable else asyncio.new_event_loop())


def pending_tasks() -> list[asyncio.Task[object]]:
    """Every task of the process that has not finished (asyncio keeps them in a weak set)."""
    # Python 3.11 names the weak set `_all_tasks`, 3.12 and 3.13 `_scheduled_tasks`.
    name = "_all_tasks" if hasattr(asyncio.tasks, "_all_tasks") else "_scheduled_tasks"
    every: Iterable[asyncio.Task[object]] = getattr(asyncio.tasks, name)
    return [task for task in list(every) if not task.done()]


def stranded_tasks() -> list[asyncio.Task[object]]:
    """Tasks still pending on a loop that is closed: nothing can ever finish them."""
    return [task for task in pending_tasks() if task.get_loop().is_closed()]


def describe(tasks: list[asyncio.Task[object]]) -> str:
    return ", ".join(sorted({getattr(task.get_coro(), "__qualname__", repr(task)) for task in tasks}))
