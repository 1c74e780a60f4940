"""Shared fixtures: the real program run once per stack under the offline mocks; and the guard that no
test leaves a Pulumi Output pending on a closed event loop (tests/pending_outputs.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from offline.program import ProgramRun, run_program
from tests.pending_outputs import PENDING_AT_EXIT, describe, pending_tasks, stranded_tasks


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_program("dev")


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    return run_program("prod")


@pytest.fixture(autouse=True)
def no_output_left_pending() -> Iterator[None]:
    """Fails the test that strands an Output (asyncio would report it only at interpreter exit)."""
    before = {id(task) for task in stranded_tasks()}
    yield
    new = [task for task in stranded_tasks() if id(task) not in before]
    if new:
        pytest.fail(
            f"{len(new)} Pulumi Output task(s) left pending on a closed event loop ({describe(new)}): "
            "build Outputs inside tests.pending_outputs.outputs_event_loop()"
        )


class _PendingAtExit(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if PENDING_AT_EXIT in record.getMessage():
            self.seen.append(record.getMessage().splitlines()[0])


_pending_at_exit = _PendingAtExit()
logging.getLogger("asyncio").addHandler(_pending_at_exit)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Any task still pending now would be destroyed at exit, and one destroyed while pending during the
    run (its loop was collected) was reported to the asyncio logger: either fails the session."""
    import gc

    gc.collect()
    left = pending_tasks()
    if left or _pending_at_exit.seen:
        print(f"\n{PENDING_AT_EXIT}: {describe(left)} {_pending_at_exit.seen[:3]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
