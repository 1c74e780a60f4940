"""The README's acceptance command and `make acceptance STACK=prod`, run as written on a scratch copy of
the project: the real Pulumi CLI (scripts/build-pulumi.sh) with a `file://` backend holds the stack's
state and its secret config, so `pulumi config get hcloudToken` and `pulumi stack output --json
--show-secrets` answer for real; the Hetzner API is the fake the other acceptance tests use.

The one change to the README's line: DATABASE_PUBLIC_IP, its placeholder, becomes 127.0.0.1, where no
database server answers (so the database gates fail, as on a stack whose server is unreachable)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.pulumi_cli import Binaries, CliProject, build_binaries
from tests.fake_hcloud import READ_ONLY_TOKEN, FakeHcloud, serve
from tests.upstream_data import REPO_ROOT

from .test_acceptance import verdicts

SCRIPT_FILES = ("Makefile",)
SCRIPT_DIRS = ("scripts", "acceptance", "offline", "preflight")
PLACEHOLDERS = {"DATABASE_PUBLIC_IP": "127.0.0.1"}
RUN_TIMEOUT_SECONDS = 900


def readme_acceptance_command() -> str:
    """The shell command of the README's acceptance section (continuation lines joined)."""
    section = (REPO_ROOT / "README.md").read_text().split("### Acceptance", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block, "the README's acceptance section shows no ```sh block"
    command = block.group(1).replace("\\\n", " ").strip()
    for placeholder, value in PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    return command


@pytest.fixture(scope="module")
def binaries() -> Binaries:
    return build_binaries()


def _firewalls(admin_source: str) -> list[dict[str, Any]]:
    labels = {"platform/project": "platform", "platform/stack": "prod"}
    rules = [
        {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": [admin_source]},
        {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["203.0.113.0/24"]},
    ]
    return [{"id": 1, "name": "network-control-plane", "labels": labels, "rules": rules}]


@pytest.fixture
def prod(tmp_path: Path, binaries: Binaries) -> CliProject:
    """A copy of the project with a `prod` stack whose state has outputs and whose config has the token."""
    project = CliProject.create(binaries, tmp_path / "cli")
    for name in SCRIPT_FILES:
        shutil.copy2(REPO_ROOT / name, project.project / name)
    for name in SCRIPT_DIRS:
        shutil.copytree(
            REPO_ROOT / name, project.project / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    (project.project / ".tools").symlink_to(REPO_ROOT / ".tools")  # uv, as scripts/ensure-uv.sh left it
    project.init_stack("prod")
    project.ok("config", "set", "--secret", "hcloudToken", READ_ONLY_TOKEN, "--stack", "prod")
    deployment = json.loads(project.ok("stack", "export", "--stack", "prod"))
    deployment["deployment"]["resources"] = [
        {
            "urn": "urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod",
            "custom": False,
            "type": "pulumi:pulumi:Stack",
            "outputs": {"apiEndpoints": ["https://127.0.0.1:1"]},
        }
    ]
    state = tmp_path / "deployment.json"
    state.write_text(json.dumps(deployment))
    project.ok("stack", "import", "--file", str(state), "--stack", "prod")
    return project


def _run(project: CliProject, command: str, fake: FakeHcloud) -> subprocess.CompletedProcess[str]:
    env = {**project.env(), "HCLOUD_ENDPOINT": fake.url}
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project.project,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
        start_new_session=True,  # no terminal: ssh cannot prompt
    )


def test_readme_command_reports_the_gates_and_fails_what_it_cannot_reach(prod: CliProject) -> None:
    fake = FakeHcloud({"firewalls": _firewalls("203.0.113.7/32")})
    with serve(fake):
        result = _run(prod, readme_acceptance_command(), fake)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("### Acceptance of `prod`"), result.stdout + result.stderr
    table = result.stdout
    assert (
        "| 1 | SSH and API only from adminCidrs | 1 firewalls checked | sources within 203.0.113.0/24 "
        "| ✅ pass |" in table
    )
    assert "| 1 | every node Ready | not measured | measured | ❌ FAIL |" in table
    assert (
        "| 4 | restore drill | failed: ssh: connect to host 127.0.0.1 port 22: Connection refused |" in table
    )
    assert re.search(r"^2 of \d+ gates pass$", table, flags=re.MULTILINE)  # the two firewall gates
    assert "[15/15] phase 4: restore drill" in result.stderr  # a progress line per gate
    assert fake.writes() == []


@pytest.mark.parametrize(
    ("admin_source", "exit_code"), [("203.0.113.7/32", 0), ("0.0.0.0/0", 1)], ids=["as-deployed", "opened"]
)
def test_readme_command_exit_code_follows_the_gates(
    prod: CliProject, admin_source: str, exit_code: int
) -> None:
    """The README's command, narrowed to the firewall gate: exit 0 when it passes, 1 when it fails."""
    fake = FakeHcloud({"firewalls": _firewalls(admin_source)})
    with serve(fake):
        result = _run(prod, readme_acceptance_command() + " --gate firewalls --format text", fake)
    assert result.returncode == exit_code, result.stdout + result.stderr
    expected = "pass" if exit_code == 0 else "FAIL"
    assert verdicts(result) == {
        "SSH and API only from adminCidrs": expected,
        "no public database port": "pass",
    }


def test_make_acceptance(prod: CliProject) -> None:
    """`make acceptance STACK=prod` with the token in the environment, as the README's line sets it."""
    fake = FakeHcloud({"firewalls": _firewalls("203.0.113.7/32")})
    token = "HCLOUD_TOKEN=$(pulumi config get hcloudToken --stack prod)"
    with serve(fake):
        result = _run(prod, f"{token} make acceptance STACK=prod", fake)
    assert "acceptance of prod" in result.stdout, result.stdout + result.stderr
    assert verdicts(result)["SSH and API only from adminCidrs"] == "pass"
    assert (
        result.returncode == 2 and "acceptance] Error 1" in result.stderr
    )  # make's exit for a failed recipe
