"""A real kube-apiserver and etcd per stack, started from what the program renders, shared by the tests.

Stacks: dev, prod, and dev with self-hosted Supabase. Each control plane lives in its own temporary
directory and is stopped and removed once the tests of its stack are done (pytest finishes one
parameter of a session fixture before it starts the next).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.program import ProgramRun, run_program
from tests.pilot_runs import stack_run
from tests.supabase.test_program import SELF_HOSTED

from .cluster import Binaries, ControlPlane, build_binaries, start
from .objects import Applied, apply_everything

STACKS = ("dev", "prod", "supabase")


def program_run(stack: str) -> ProgramRun:
    if stack == "supabase":
        return run_program("dev", overrides=SELF_HOSTED)
    return stack_run(stack)


@pytest.fixture(scope="session")
def controlplane_binaries() -> Binaries:
    return build_binaries()


@pytest.fixture(scope="session", params=STACKS)
def control_plane(request: pytest.FixtureRequest, controlplane_binaries: Binaries) -> Iterator[ControlPlane]:
    run = program_run(request.param)
    plane = start(controlplane_binaries, run, Path(tempfile.mkdtemp(prefix=f"controlplane-{request.param}-")))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def applied(control_plane: ControlPlane) -> Applied:
    """Everything the stack renders, applied once; later tests rely on its namespaces and CRDs."""
    return apply_everything(control_plane.api, control_plane.run)
