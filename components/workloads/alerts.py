"""Alert rules for the cron jobs: the static rule file, and each job's window recorded from config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config.workloads import CronJobConfig

FILES = Path(__file__).resolve().parent / "files"
WINDOW_SERIES = "platform:cronjob_alert_after_seconds"
"""Recorded per CronJob; `CronJobNotSucceeded` in files/cron-jobs.rules.yaml compares against it."""


def window_rules(namespace: str, cron_jobs: list[CronJobConfig]) -> dict[str, Any]:
    """Rule groups recording each job's alert window as a constant series labelled like kube-state-metrics.

    A job without a recorded window is never judged late, so only jobs this program manages alert.
    """
    return {
        "groups": [
            {
                "name": "cron-job-windows",
                "rules": [
                    {
                        "record": WINDOW_SERIES,
                        "expr": f"vector({job.alert_after_seconds})",
                        "labels": {"namespace": namespace, "cronjob": job.name},
                    }
                    for job in cron_jobs
                ],
            }
        ]
    }
