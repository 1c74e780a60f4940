"""The VM image the tests boot: built (or found in the cache) by scripts/build-vm-image.sh."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build-vm-image.sh"


@dataclass(frozen=True)
class VmImage:
    folder: Path

    @property
    def root(self) -> Path:
        return self.folder / "root.qcow2"

    @property
    def kernel(self) -> Path:
        return self.folder / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.folder / "initrd.img"

    @property
    def repository(self) -> Path:
        """Debian's .deb files of every package the user-data installs, with Packages and Release."""
        return self.folder / "repo"


@functools.cache
def vm_image() -> VmImage:
    """Builds the image on first use (minutes), then finds it in the per-recipe cache."""
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{BUILD_SCRIPT.name} failed:\n{result.stderr[-4000:]}")
    return VmImage(Path(result.stdout.strip().splitlines()[-1]))
