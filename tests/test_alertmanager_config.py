"""The Alertmanager configuration the program renders is accepted by amtool of the deployed version."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components import versions
from components.observability.alertmanager import alertmanager_config, render
from offline.wire import is_secret, mask
from tests.pilot_runs import stack_run

AMTOOL = shutil.which("amtool")


@pytest.fixture(autouse=True)
def _amtool_installed() -> None:
    """A missing checker fails the suite instead of skipping it: scripts/test.sh installs it."""
    assert AMTOOL is not None, "amtool missing: run scripts/install-debian-tools.sh"


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(AMTOOL), *args], check=False, capture_output=True, text=True)


def _rendered(stack: str) -> str:
    secret = stack_run(stack).by_name("observability-alertmanager-config")
    return secret.plain_inputs["stringData"]["alertmanager.yaml"]


def test_amtool_is_the_version_of_the_deployed_image() -> None:
    output = _amtool("--version")
    found = re.search(r"version (\d+\.\d+)\.\d+", output.stdout + output.stderr)
    assert found and versions.ALERTMANAGER_IMAGE_TAG.startswith(f"v{found.group(1)}.")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_config_passes_amtool(stack: str, tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(_rendered(stack))
    result = _amtool("check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_prod_routes_pages_tickets_and_heartbeat(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(_rendered("prod"))

    def route(*labels: str) -> str:
        result = _amtool("config", "routes", "test", f"--config.file={path}", *labels)
        return result.stdout.strip()

    assert (
        route("alertname=WebAvailabilityErrorBudgetBurnPage", "severity=page", "slo=web-availability")
        == "notify"
    )
    assert route("alertname=PodCrashLooping", "severity=ticket") == "notify"
    assert route("alertname=Watchdog", "severity=none") == "heartbeat"
    assert route("alertname=CPUThrottlingHigh", "severity=info") == "null"


def test_dev_without_receivers_drops_everything_quietly() -> None:
    config = yaml.safe_load(_rendered("dev"))
    assert config["route"]["receiver"] == "null"
    assert [r["name"] for r in config["receivers"]] == ["null"]


def test_amtool_rejects_a_broken_receiver(tmp_path: Path) -> None:
    """Negative control: a Discord receiver without a URL is refused by the real parser."""
    config = alertmanager_config(
        discord_url="https://discord.com/api/webhooks/1/x", webhook_url=None, dead_mans_switch=False
    )
    config["receivers"][1]["discord_configs"][0].pop("webhook_url")
    path = tmp_path / "alertmanager.yaml"
    path.write_text(render(config))
    assert _amtool("check-config", str(path)).returncode != 0


def test_webhook_urls_only_live_in_a_secret() -> None:
    run = stack_run("prod")
    secret = run.by_name("observability-alertmanager-config")
    assert secret.type == "kubernetes:core/v1:Secret"
    assert is_secret(secret.inputs["stringData"])
    assert "discord.com" not in str(mask(secret.inputs))
    assert "discord.com" in secret.plain_inputs["stringData"]["alertmanager.yaml"]


def test_on_call_hears_when_a_page_resolves() -> None:
    """Every channel of the notify receiver sends the resolution too (only the heartbeat does not)."""
    config = yaml.safe_load(_rendered("prod"))
    (notify,) = [r for r in config["receivers"] if r["name"] == "notify"]
    channels = [c for key, configs in notify.items() if key.endswith("_configs") for c in configs]
    assert len(channels) == 2, "prod notifies through Discord and the webhook"
    assert all(c["send_resolved"] is True for c in channels)
