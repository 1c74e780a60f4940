"""Day-2 settings are checked before anything is registered, and the errors name the key and the fix;
the alert rules pass promtool's own unit tests."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config


@pytest.fixture(autouse=True)
def event_loop_for_outputs() -> Iterator[None]:
    """parse_stack_config wraps secrets in pulumi Outputs, which need an event loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
    asyncio.set_event_loop(None)
    loop.close()


BASE: dict[str, Any] = {
    "environment": "dev",
    "adminCidrs": ["203.0.113.0/24"],
    "sshPublicKeys": ["ssh-ed25519 AAAA x"],
}


def _parse(cluster: dict[str, Any], secrets: dict[str, str] | None = None, **top: Any) -> Any:
    secrets = {"hcloudToken": "t", **(secrets or {})}
    values = {**BASE, **top, "cluster": cluster, **secrets}
    return parse_stack_config("platform", values, {f"platform:{key}" for key in secrets})


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        ({"maintenance": {"startTime": "3am"}}, ["cluster.maintenance.startTime", "HH:MM"]),
        ({"maintenance": {"timeZone": "Mars/Olympus"}}, ["cluster.maintenance.timeZone", "IANA time zone"]),
        ({"maintenance": {"days": ["monday"]}}, ["cluster.maintenance.days[0]", "'mon'"]),
        ({"maintenance": {"days": ["mon", "mon"]}}, ["names a day twice"]),
        ({"maintenance": {"startTime": "04:00", "endTime": "04:00"}}, ["window would be empty"]),
        ({"etcdBackup": {"schedule": "hourly"}}, ["cluster.etcdBackup.schedule", "5-field cron"]),
        (
            {"etcdBackup": {"s3Endpoint": "https://fsn1.example"}},
            ["cluster.etcdBackup.s3Endpoint", "no scheme"],
        ),
        ({"etcdBackup": {"retention": 0}}, ["cluster.etcdBackup.retention"]),
    ],
)
def test_bad_day2_settings_name_the_key(cluster: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ConfigError) as failure:
        _parse(cluster)
    for text in expected:
        assert text in str(failure.value)


def test_good_day2_settings_load() -> None:
    loaded = _parse({"maintenance": {"days": ["sat", "sun"], "startTime": "01:30", "timeZone": "UTC"}})
    assert loaded.config.cluster.maintenance.days == ["sat", "sun"]


def test_offsite_snapshots_need_the_s3_secrets() -> None:
    with pytest.raises(ConfigError) as failure:
        _parse({"etcdBackup": {"offsite": True}})
    message = str(failure.value)
    assert "platform:etcdS3AccessKey is required (cluster.etcdBackup.offsite is on" in message
    assert "pulumi config set --secret etcdS3SecretKey" in message


def test_prod_turns_offsite_snapshots_on_by_default() -> None:
    with pytest.raises(ConfigError, match="etcdS3AccessKey is required"):
        _parse({}, environment="prod")
    loaded = _parse({}, {"etcdS3AccessKey": "a", "etcdS3SecretKey": "b"}, environment="prod")
    assert loaded.config.cluster.etcd_backup.offsite_enabled(loaded.config.is_prod)


def test_alert_rules_pass_promtool_unit_tests() -> None:
    here = Path(__file__).parent
    result = subprocess.run(
        ["promtool", "test", "rules", "k3s-day2.rules.test.yaml"],
        cwd=here,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr
