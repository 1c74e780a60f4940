"""The config vocabulary's quantities and cron schedules say what a real kube-apiserver says.

Each value is sent in a CronJob (dry run) as a container's CPU or memory request or as the schedule;
the config type (components/config/base.py) must accept exactly what the API server accepts, except
where it deliberately refuses more, listed here with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from components.config.base import CpuQuantity, CronSchedule, MemoryQuantity

from .cluster import ControlPlane

QUANTITIES = (
    *("0", "2", "250m", "0.5", "1.5", ".5", "5.", "1.0Gi", "128974848", "1e3", "1E-2", "2e+1"),
    *("1k", "1Ki", "1M", "1Mi", "1G", "1Gi", "1Ti", "1Pi", "1Ei", "1E", "500m", "1n", "1u"),
    *("+1", "-1", "-250m", "1.5.5", "lots", "1KB", "1 Mi", "1mi", "Mi", "", "1e", "0x10", "1i", "1K"),
)
SUB_BYTE = {"250m", "500m", "1n", "1u"}
"""Memory in thousandths (m), millionths (u) or billionths (n) of a byte: the API server takes it, the
config refuses it (it is a typo for Mi every time). The config also refuses a leading + (never needed)
and a unit without a number (Mi, which the API server reads as zero)."""

SCHEDULES = (
    *("*/15 * * * *", "0 3 * * *", "15 6 * * *", "0 */6 * * *", "1-5/2 * * * *", "0 0 ? * *"),
    *("0 0 * * MON-FRI", "0 0 * JAN,JUL *", "0 0 * * sun", "@daily", "@hourly", "@weekly", "@yearly"),
    *("0 0 L * *", "0 0 * * 5#3", "0 0 1W * *", "H * * * *", "0 0 * * 7", "60 * * * *", "0 24 * * *"),
    *("* * * *", "* * * * * *", "TZ=UTC 0 0 * * *", "CRON_TZ=UTC 0 0 * * *", "hourly", "*/0 * * * *"),
    *("@every 1h", "@reboot", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 0-6", "0 0 * * 5-7"),
)
EVERY = "@every 1h"
"""The API server takes robfig/cron's @every; the config refuses it: croniter, which computes the
longest gap between runs for the missed-run alert, has no such macro."""


def _cron_job(name: str, *, schedule: str = "0 3 * * *", cpu: str = "100m", memory: str = "64Mi") -> Any:
    container = {
        "name": "c",
        "image": "busybox:1.37",
        "resources": {"requests": {"cpu": cpu, "memory": memory}},
    }
    pod = {"restartPolicy": "Never", "containers": [container]}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": pod}}}},
    }


def _api_accepts(control_plane: ControlPlane, obj: Any) -> bool:
    answer = control_plane.api.create(obj, dry_run=True)
    assert answer.status in (201, 400, 422), (answer.status, answer.message)
    return answer.accepted


def _config_accepts(kind: Any, value: str) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("control_plane", ["dev"], indirect=True)
def test_cpu_and_memory_quantities_follow_the_api_server(control_plane: ControlPlane) -> None:
    differ = []
    for value in QUANTITIES:
        api_cpu = _api_accepts(control_plane, _cron_job("q", cpu=value))
        api_memory = _api_accepts(control_plane, _cron_job("q", memory=value))
        ours = (_config_accepts(CpuQuantity, value), _config_accepts(MemoryQuantity, value))
        if (api_cpu, api_memory) != ours:
            differ.append((value, "api", (api_cpu, api_memory), "config", ours))
    expected = [(value, "api", (True, True), "config", (False, False)) for value in ("+1", "Mi")]
    expected += [(value, "api", (True, True), "config", (True, False)) for value in sorted(SUB_BYTE)]
    assert sorted(differ) == sorted(expected)


@pytest.mark.parametrize("control_plane", ["dev"], indirect=True)
def test_cron_schedules_follow_the_api_server(control_plane: ControlPlane) -> None:
    verdicts = {
        schedule: (
            _api_accepts(control_plane, _cron_job("s", schedule=schedule)),
            _config_accepts(CronSchedule, schedule),
        )
        for schedule in SCHEDULES
    }
    differ = {schedule: verdict for schedule, verdict in verdicts.items() if verdict[0] != verdict[1]}
    assert differ == {EVERY: (True, False)}
    assert sum(api for api, _ in verdicts.values()) >= 10, "most of the examples are valid schedules"
