"""The real CLI and engine on a fresh stack: `stack init`, the README's secrets, and `pulumi preview`.

What the engine checks before the program starts (pkg/workspace/config.go in pulumi/pulumi): every key
Pulumi.yaml declares without a default must be set in the stack, and a `secret: true` key only as an
encrypted value. These tests run the real binary alone, so a preview that passes those checks stops
where the engine loads the Python language host (tests/cli/test_program_run.py goes on from there).
"""

from __future__ import annotations

import hashlib
import re
import tomllib

import pytest
import yaml

from tests.upstream_data import REPO_ROOT

from .pulumi_cli import BUILD_SCRIPT, README_PLACEHOLDERS, CliProject, readme_secret_commands

STACKS = ("dev", "prod")
# Where a preview stops once the engine has accepted the stack's config: loading the language host.
LANGUAGE_HOST_MISSING = "failed to load language plugin python"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _preview(cli: CliProject, stack: str) -> str:
    """The README's preview command for STACK; returns everything the CLI printed (it fails here)."""
    done = cli.run(
        "preview", "--stack", stack,
        "--policy-pack", "policies", "--policy-pack-config", f"policies/config.{stack}.json",
    )  # fmt: skip
    assert done.returncode != 0, "a preview cannot succeed without a language host and provider plugins"
    return done.stdout + done.stderr


def test_version_is_the_built_release_and_not_older_than_the_sdk(cli: CliProject) -> None:
    pinned = re.search(r"^PULUMI_CLI_VERSION=(\S+)$", BUILD_SCRIPT.read_text(), flags=re.MULTILINE)
    assert pinned is not None
    assert cli.ok("version").strip() == f"v{pinned.group(1)}"
    with (REPO_ROOT / "uv.lock").open("rb") as lock:
        sdk = next(p["version"] for p in tomllib.load(lock)["package"] if p["name"] == "pulumi")
    assert tuple(map(int, sdk.split("."))) <= tuple(map(int, pinned.group(1).split(".")))


def test_readme_shows_the_secret_command_every_stack_needs() -> None:
    commands = readme_secret_commands()
    assert ["pulumi", "config", "set", "--secret", "hcloudToken", README_PLACEHOLDERS["<token>"]] in commands


@pytest.mark.parametrize("stack", STACKS)
def test_readme_secret_commands_store_encrypted_values(cli: CliProject, stack: str) -> None:
    cli.init_stack(stack)
    cli.set_readme_secrets()
    stack_file = yaml.safe_load((cli.project / f"Pulumi.{stack}.yaml").read_text())
    assert "encryptionsalt" in stack_file
    stored = stack_file["config"]["platform:hcloudToken"]
    assert set(stored) == {"secure"} and stored["secure"].startswith("v1:")
    token = README_PLACEHOLDERS["<token>"]
    assert _sha256(cli.ok("config", "get", "hcloudToken", "--stack", stack).strip()) == _sha256(token)


@pytest.mark.parametrize("stack", STACKS)
def test_preview_of_a_fresh_stack_passes_the_engines_config_validation(cli: CliProject, stack: str) -> None:
    cli.init_stack(stack)
    cli.set_readme_secrets()
    output = _preview(cli, stack)
    assert "validating stack config" not in output, output
    assert LANGUAGE_HOST_MISSING in output, output


@pytest.mark.parametrize("stack", STACKS)
def test_engine_names_the_one_key_a_fresh_stack_still_lacks(cli: CliProject, stack: str) -> None:
    cli.init_stack(stack)
    output = _preview(cli, stack)
    assert f"Stack '{stack}' is missing configuration value 'hcloudToken'" in output, output


def test_engine_refuses_the_token_in_plain_text(cli: CliProject) -> None:
    cli.init_stack("dev")
    cli.ok("config", "set", "hcloudToken", README_PLACEHOLDERS["<token>"])
    output = _preview(cli, "dev")
    refusal = "Stack 'dev' with configuration key 'hcloudToken' must be encrypted as it's secret"
    assert refusal in output, output
