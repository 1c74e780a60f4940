"""Where the tests find upstream's own data: the vendored, read-only copy beside the repository.

`../shared/upstream/` (relative to the repository root) holds files copied byte-exact from the
upstream projects this program feeds: chart values and schemas, CRDs, k3s flags, the Supabase
self-hosted compose files, Hetzner's documented limits. Its README says where each file comes from
and SHA256SUMS pins every byte. Tests compare what the program renders against this data, never
against a copy of the project's own assumptions. `PLATFORM_UPSTREAM_DIR` points elsewhere when the
checkout does not sit beside it.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class UpstreamDataError(RuntimeError):
    """The vendored upstream data is not where the tests look for it."""


@cache
def upstream_dir() -> Path:
    """The vendored upstream folder, checked against its SHA256SUMS once per session."""
    root = Path(os.environ.get("PLATFORM_UPSTREAM_DIR", REPO_ROOT.parent / "shared" / "upstream"))
    sums = root / "SHA256SUMS"
    if not sums.is_file():
        raise UpstreamDataError(
            f"no vendored upstream data at {root} (SHA256SUMS missing): check out the project beside "
            "shared/upstream/, or set PLATFORM_UPSTREAM_DIR to that folder"
        )
    for line in sums.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest:
            raise UpstreamDataError(f"{root / name} does not match its SHA256SUMS line: damaged copy")
    return root


def upstream_file(relative: str) -> Path:
    """One vendored file, e.g. `charts/loki-18.11.0/values.yaml`; a clear error when it is absent."""
    path = upstream_dir() / relative
    if not path.exists():
        raise UpstreamDataError(f"{path} is not in the vendored upstream data (its README lists it)")
    return path
