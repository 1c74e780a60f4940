"""decK's offline validation of a Kong declarative file (`deck file validate`'s steps on the library decK
runs them with; tests/supabase/deckvalidate/main.go says what it checks and what it cannot), built by
scripts/build-deck-validate.sh from the Go module proxy, once per version (then cached)."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pytest

from tests.upstream_data import REPO_ROOT

BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-deck-validate.sh"


@cache
def deck_validate_binary() -> Path:
    """The built deck-file-validate (the first call of a session builds it, or finds it in the cache)."""
    done = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"scripts/build-deck-validate.sh failed (exit {done.returncode}); it needs Go 1.26 and the Go "
            f"module proxy (scripts/test.sh runs it). Last lines:\n{done.stderr[-3000:]}"
        )
    return Path(done.stdout.strip()) / "deck-file-validate"


def deck_errors(config: str) -> str:
    """What decK's offline validation says about this kong.yml text: "" when it accepts it."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
        file.write(config)
        file.flush()
        done = subprocess.run(
            [str(deck_validate_binary()), file.name], capture_output=True, text=True, check=False
        )
    if done.returncode not in (0, 1):
        pytest.fail(f"deck-file-validate crashed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done.stderr if done.returncode else ""
