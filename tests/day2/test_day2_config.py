"""Day-2 settings are checked before anything is registered, and the errors name the key and the fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components.config import SECRET_SPECS, ConfigError, parse_stack_config
from offline.program import PROJECT_DIR
from tests.pending_outputs import outputs_event_loop

ETCD_SECRETS = ("etcdS3AccessKey", "etcdS3SecretKey")


@pytest.fixture(autouse=True)
def event_loop_for_outputs() -> Iterator[None]:
    """parse_stack_config wraps secrets in pulumi Outputs, which need an event loop."""
    with outputs_event_loop():
        yield


def _stack_values(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.removeprefix("platform:"): value for key, value in raw.items()}


def _parse(cluster: dict[str, Any], *, stack: str = "dev", without: tuple[str, ...] = ()) -> Any:
    """Parse a committed stack file with `cluster` merged in and every secret set except `without`."""
    values = _stack_values(stack)
    values["cluster"] = {**values.get("cluster", {}), **cluster}
    secrets = {spec.key: "x" for spec in SECRET_SPECS if spec.key not in without}
    return parse_stack_config("platform", {**values, **secrets}, {f"platform:{key}" for key in secrets})


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
        _parse({"etcdBackup": {"offsite": True}}, without=ETCD_SECRETS)
    message = str(failure.value)
    assert "platform:etcdS3AccessKey is required (cluster.etcdBackup.offsite is on" in message
    assert "pulumi config set --secret etcdS3SecretKey" in message


def test_prod_turns_offsite_snapshots_on_by_default() -> None:
    with pytest.raises(ConfigError, match="etcdS3AccessKey is required"):
        _parse({}, stack="prod", without=ETCD_SECRETS)
    assert _parse({}, stack="dev", without=ETCD_SECRETS), "dev keeps snapshots local unless told otherwise"
    loaded = _parse({}, stack="prod")
    assert loaded.config.cluster.etcd_backup.offsite_enabled(loaded.config.is_prod)
