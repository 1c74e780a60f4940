"""One offline run per stack, shared by the Phase 1 tests (a run takes a few seconds)."""

from __future__ import annotations

import functools

from offline.program import ProgramRun, run_program


@functools.cache
def stack_run(stack: str) -> ProgramRun:
    return run_program(stack)
