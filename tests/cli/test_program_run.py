"""`pulumi preview` of a fresh stack under the real engine, with the program and the policy pack running.

The Python language host here is the stand-in from tests/cli/langhost (Pulumi's own cannot be built
from the Go module proxy); the environment, the program runner and the policy pack are the SDK's own.
A preview gets as far as the program's first provider: no provider plugin can be built here either
(scripts/build-pulumi.sh says why), so the engine stops at `pulumi-resource-hcloud`.
"""

from __future__ import annotations

import json
import re

import pytest

from components.config import SECRET_SPECS

from .pulumi_cli import CliProject

STACKS = ("dev", "prod")
# What the program's own config loader prints for each secret a stack still needs (components/config).
MISSING_SECRET = re.compile(
    r"^\s*platform:(\w+) is required .* but not set: pulumi config set --secret (\w+) <value>"
)
FIRST_PROVIDER_MISSING = (
    "no resource plugin 'pulumi-resource-hcloud' found in the workspace at version v1.43.3"
)


def _preview(cli: CliProject, stack: str, pack_config: str) -> str:
    done = cli.run(
        "preview", "--stack", stack, "--policy-pack", "policies", "--policy-pack-config", pack_config
    )
    assert done.returncode != 0, "a preview cannot succeed without provider plugins"
    return done.stdout + done.stderr


def _stand_in(key: str) -> str:
    """A value of the shape the program checks (a URL stays a URL), from the secret's own spec."""
    example = next(spec.offline_example for spec in SECRET_SPECS if spec.key == key)
    return example or f"cli-test-{key}"


@pytest.mark.parametrize("stack", STACKS)
def test_preview_runs_the_program_and_the_policy_pack(cli_with_host: CliProject, stack: str) -> None:
    cli = cli_with_host
    cli.init_stack(stack)
    cli.set_readme_secrets()
    first = _preview(cli, stack, f"policies/config.{stack}.json")
    # The engine accepted the stack and the pack config, and the program itself says what is missing.
    assert "Loading policy packs...: done" in first, first
    asked = [match.group(1) for line in first.splitlines() if (match := MISSING_SECRET.match(line))]
    assert asked, first
    for key in asked:  # the commands exactly as the program prints them
        cli.ok("config", "set", "--secret", key, _stand_in(key), "--stack", stack)
    second = _preview(cli, stack, f"policies/config.{stack}.json")
    assert "invalid stack configuration" not in second, second
    assert FIRST_PROVIDER_MISSING in second, second


def test_engine_validates_the_policy_pack_config(cli_with_host: CliProject) -> None:
    cli = cli_with_host
    cli.init_stack("dev")
    cli.set_readme_secrets()
    config = json.loads((cli.project / "policies" / "config.dev.json").read_text())
    config["hcloud-prod-protection"]["environment"] = "production"
    (cli.project / "bad-pack-config.json").write_text(json.dumps(config))
    output = _preview(cli, "dev", "bad-pack-config.json")
    refusal = (
        "validating policy config: platform-security 0.1.0  hcloud-prod-protection: environment: "
        'environment must be one of the following: "dev", "staging", "prod"'
    )
    assert refusal in output, output
