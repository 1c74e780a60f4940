"""Phase 2: every scheduled job ran recently enough, and its failure alerts are loaded."""

from __future__ import annotations

from datetime import datetime

from .gates import Context, GateResult, NotMeasurableError

WINDOW_SERIES = "platform:cronjob_alert_after_seconds"
"""What the workloads component records per CronJob (components/workloads/alerts.py)."""
FAILURE_ALERTS = ("CronJobFailing", "CronJobNotSucceeded")


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def cron_jobs_on_time(ctx: Context) -> list[GateResult]:
    prometheus = ctx.need_prometheus()
    windows = {(m["namespace"], m["cronjob"]): v for m, v in prometheus.query(WINDOW_SERIES)}
    now = prometheus.scalar("time()") or 0.0
    results = []
    for job in ctx.need_kube().items("/apis/batch/v1/cronjobs"):
        key = (job["metadata"]["namespace"], job["metadata"]["name"])
        if key not in windows:
            continue  # not a job this program manages
        status = job.get("status", {})
        success = status.get("lastSuccessfulTime")
        age = now - _epoch(success) if success else None
        scheduled = status.get("lastScheduleTime")
        measured = (f"last success {age / 3600:.1f} h ago" if age is not None else "never succeeded") + (
            f", last scheduled {(now - _epoch(scheduled)) / 3600:.1f} h ago"
            if scheduled
            else ", never scheduled"
        )
        results.append(
            GateResult(
                f"cron job {key[0]}/{key[1]}",
                measured,
                f"success within {windows[key] / 3600:g} h",
                age is not None and age <= windows[key],
                "kubectl get jobs -n NS; kubectl logs job/NAME: why the last run failed",
            )
        )
    if not results:
        raise NotMeasurableError(f"no CronJob with a recorded alert window ({WINDOW_SERIES}) found")
    return results


def failure_alerts_loaded(ctx: Context) -> list[GateResult]:
    rules = ctx.need_prometheus().rule_names()
    missing = [name for name in FAILURE_ALERTS if rules.get(name) != "ok"]
    measured = (
        "loaded and healthy"
        if not missing
        else "missing or unhealthy: " + ", ".join(f"{name} ({rules.get(name, 'absent')})" for name in missing)
    )
    return [
        GateResult(
            "job failure alerts",
            measured,
            ", ".join(FAILURE_ALERTS),
            not missing,
            "kubectl get prometheusrules -n monitoring; Prometheus /rules shows a rule's error",
        )
    ]
