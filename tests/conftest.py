"""Shared fixtures: the real program run once per stack under the offline mocks."""

from __future__ import annotations

import pytest

from offline.program import ProgramRun, run_program


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_program("dev")


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    return run_program("prod")
