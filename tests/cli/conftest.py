"""The real `pulumi` binary (and the stand-in language host), built once per session; a fresh scratch
project per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from .pulumi_cli import Binaries, CliProject, build_binaries


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    return build_binaries()


@pytest.fixture
def cli(binaries: Binaries, tmp_path: Path) -> CliProject:
    """The real CLI alone: a preview stops where the engine loads the language host."""
    return CliProject.create(binaries, tmp_path)


@pytest.fixture
def cli_with_host(binaries: Binaries, tmp_path: Path) -> CliProject:
    """The real CLI with the stand-in language host and uv on PATH: the program and the pack run."""
    return CliProject.create(binaries, tmp_path, language_host=True)
