"""Bad Phase 2-3 settings stop the program before anything is registered, naming key, value and fix."""

from __future__ import annotations

from typing import Any

import pytest

from offline.program import ProgramError, run_program

JOB = {"name": "ingest", "image": "ghcr.io/example/web:1.4.2", "schedule": "*/30 * * * *"}

CASES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "cron syntax",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "schedule": "*/30 * * *"}]}},
        ["platform:workloads.cronJobs[0].schedule", "not a cron schedule", "5 fields"],
    ),
    (
        "six-field cron (seconds) Kubernetes does not read",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "schedule": "0 */30 * * * *"}]}},
        ["platform:workloads.cronJobs[0].schedule", "5 fields"],
    ),
    (
        "time zone inside the schedule",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "schedule": "TZ=Europe/Berlin 0 3 * * *"}]}},
        ["schedule", "use timeZone instead"],
    ),
    (
        "unknown time zone",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "timeZone": "Europe/Bonn"}]}},
        ["platform:workloads.cronJobs[0].timeZone", "Europe/Bonn", "IANA time zone"],
    ),
    (
        "image without a tag",
        "dev",
        {"workloads": {"workers": [{"name": "mailer", "image": "ghcr.io/example/web"}]}},
        ["platform:workloads.workers[0].image", "not pinned"],
    ),
    (
        "image pinned to latest",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "image": "ghcr.io/example/web:latest"}]}},
        ["platform:workloads.cronJobs[0].image", "not pinned"],
    ),
    (
        "alert window shorter than the schedule",
        "dev",
        {"workloads": {"cronJobs": [{**JOB, "alertAfter": "20m"}]}},
        ["platform:workloads.cronJobs[0].alertAfter", '"20m"', "a healthy job would alert", "1h00m"],
    ),
    (
        "duplicate names",
        "dev",
        {
            "workloads": {
                "workers": [{"name": "ingest", "image": "ghcr.io/example/web:1.4.2"}],
                "cronJobs": [JOB],
            }
        },
        ["platform:workloads.workers/cronJobs", "ingest", "used twice"],
    ),
    (
        "burst below average",
        "dev",
        {"workloads": {"rateLimit": {"average": 100, "burst": 10}}},
        ["platform:workloads.rateLimit.burst = 10", "below average"],
    ),
    (
        "object store asked for while off",
        "dev",
        {"objectStore": None, "workloads": {"cronJobs": [{**JOB, "objectStore": True}]}},
        ["platform:workloads.cronJobs[0].objectStore", "objectStore.mode is none"],
    ),
    (
        "workloads without the app",
        "dev",
        {"app": None, "workloads": {"cronJobs": [JOB]}},
        ["platform:workloads", "needs the app section"],
    ),
    (
        "Hetzner Object Storage where it is not sold",
        "prod",
        {"objectStore": {"mode": "hetzner", "location": "ash", "buckets": [{"name": "example-uploads"}]}},
        ["platform:objectStore.location", "not sold in 'ash'", "fsn1, nbg1, hel1"],
    ),
    (
        "more copies than volume servers",
        "dev",
        {
            "objectStore": {
                "mode": "in-cluster",
                "buckets": [{"name": "uploads"}],
                "inCluster": {"volumeServers": 1, "copies": 2},
            }
        },
        ["platform:objectStore.inCluster.copies = 2", "volumeServers is 1"],
    ),
    (
        "store on without buckets",
        "dev",
        {"objectStore": {"mode": "in-cluster"}},
        ["platform:objectStore.buckets", "list at least one bucket"],
    ),
    (
        "bucket name S3 rejects",
        "dev",
        {"objectStore": {"mode": "in-cluster", "buckets": [{"name": "Uploads_2"}]}},
        ["platform:objectStore.buckets[0].name", "not a bucket name"],
    ),
    (
        "lifecycle rule without an action",
        "dev",
        {
            "objectStore": {
                "mode": "in-cluster",
                "buckets": [{"name": "uploads", "lifecycle": [{"id": "noop"}]}],
            }
        },
        ["lifecycle[0].id", "has no action"],
    ),
]


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_setting_is_refused_with_a_clear_message(
    stack: str, overrides: dict[str, Any], expected: list[str]
) -> None:
    with pytest.raises(ProgramError) as failure:
        run_program(stack, overrides=overrides)
    message = str(failure.value)
    for fragment in expected:
        assert fragment in message
    assert failure.value.registered == []


def test_the_same_settings_fixed_are_accepted() -> None:
    run = run_program("dev", overrides={"workloads": {"cronJobs": [{**JOB, "alertAfter": "2h"}]}})
    assert [r.name for r in run.of_type("kubernetes:batch/v1:CronJob")] == ["workloads-cron-ingest"]
