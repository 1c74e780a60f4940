"""decK's offline validation of a Kong declarative file (`deck file validate`'s steps on the library decK
runs them with; tests/supabase/deckvalidate/main.go says what it checks and what it cannot), built by
scripts/build-deck-validate.sh from the Go module proxy, once per version (then cached).

Kong's declarative format also takes a consumer's credentials and ACL groups as top-level lists that name
their consumer (upstream's kong.yml, and ours, do that); decK's file format only nests them under the
consumer. So before validation each such entry moves under the consumer it names, and one that names no
consumer of the file is an error here, as it is for Kong."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

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


CONSUMER_CHILDREN = ("acls", "basicauth_credentials", "keyauth_credentials")
"""The top-level lists of consumer-owned entities a kong.yml may hold (the ones ours and upstream's use)."""


def nested_form(config: str) -> str:
    """The same declarative config with every top-level consumer-owned entity under its consumer."""
    data: dict[str, Any] = yaml.safe_load(config)
    consumers = {consumer["username"]: consumer for consumer in data.get("consumers", [])}
    for kind in CONSUMER_CHILDREN:
        for entity in data.pop(kind, []):
            name = entity.pop("consumer")
            if name not in consumers:
                raise ValueError(f"{kind}: names consumer {name!r}, which the file does not define")
            consumers[name].setdefault(kind, []).append(entity)
    return yaml.safe_dump(data, sort_keys=False)


def deck_errors(config: str) -> str:
    """What decK's offline validation says about this kong.yml text: "" when it accepts it."""
    try:
        nested = nested_form(config)
    except ValueError as err:
        return str(err)
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
        file.write(nested)
        file.flush()
        done = subprocess.run(
            [str(deck_validate_binary()), file.name], capture_output=True, text=True, check=False
        )
    if done.returncode not in (0, 1):
        pytest.fail(f"deck-file-validate crashed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done.stderr if done.returncode else ""
