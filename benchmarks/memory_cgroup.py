"""A memory-limited cgroup (cgroup v1) sized to the target server, for the processes a benchmark starts.

The database server runs inside it so that its shared memory, its backends and the page cache its
files occupy are all charged to one limit, the target server type's RAM: a host with far more RAM
than the server would otherwise cache everything and hide what the configuration is for. Processes
inherit the cgroup at fork, so a server started from inside `entered()` stays in it after this process
steps out again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MEMORY_ROOT = Path("/sys/fs/cgroup/memory")


def _own(controller_root: Path) -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return controller_root / path.lstrip("/")
    return controller_root


@dataclass
class MemoryCgroup:
    path: Path
    limit_bytes: int

    @classmethod
    def create(cls, name: str, limit_bytes: int) -> MemoryCgroup:
        path = MEMORY_ROOT / f"benchmark-{name}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            path.mkdir()
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
        except OSError as error:
            with contextlib.suppress(OSError):
                path.rmdir()
            raise SystemExit(
                f"cannot set up a memory cgroup at {path} ({error}): run as root on a host with cgroup v1's "
                f"memory controller at {MEMORY_ROOT}"
            ) from None
        return cls(path, limit_bytes)

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """This process (and what it starts meanwhile) inside the cgroup; back where it was after."""
        previous = _own(MEMORY_ROOT)
        (self.path / "cgroup.procs").write_text(str(os.getpid()))
        try:
            yield
        finally:
            (previous / "cgroup.procs").write_text(str(os.getpid()))

    def limit(self, limit_bytes: int) -> None:
        """A new limit (lowering it reclaims page cache first)."""
        (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))

    def peak_bytes(self) -> int:
        return int((self.path / "memory.max_usage_in_bytes").read_text())

    def limit_hits(self) -> int:
        """How often usage reached the limit (the kernel then reclaimed page cache, or worse)."""
        return int((self.path / "memory.failcnt").read_text())

    def remove(self) -> None:
        """Move whatever still runs in it to the parent and remove it (the page cache is reparented)."""
        for pid in (self.path / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):
                (MEMORY_ROOT / "cgroup.procs").write_text(pid)
        with contextlib.suppress(OSError):
            self.path.rmdir()
