"""`Workloads`: the app's background workers, its scheduled jobs, their alerts, and the API rate limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s

from ..app.web import RATE_LIMIT_MIDDLEWARE
from ..config.workloads import WorkloadsConfig
from ..k8s_namespace import MONITORING_NAMESPACE, PROMETHEUS_PODS, PlatformNamespace, allow_ingress
from ..naming import Component, base_labels
from ..observability.rules import rule_files_in
from .alerts import FILES, window_rules
from .specs import (
    cron_job_spec,
    rate_limit_spec,
    selector,
    worker_budget_spec,
    worker_deployment_spec,
    worker_needs_budget,
)

COMPONENT = Component.WORKLOADS


@dataclass(frozen=True)
class WorkloadsArgs:
    config: WorkloadsConfig
    namespace: PlatformNamespace
    """The app's namespace: workers and jobs share its Secrets (web-env, object-store) and policies;
    everything here waits for it (and its default-deny policy)."""
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist first: the object store's Secret, the Traefik and Prometheus Operator CRDs."""


class Workloads(pulumi.ComponentResource):
    """In the App's namespace: worker Deployments with disruption budgets, CronJobs with their alert
    windows, and the public API's rate-limit Middleware."""

    alert_rule_files: ClassVar[tuple[Path, ...]] = rule_files_in(FILES)
    """The cron jobs' alerts; static, so Observability (built first) can take them from the class."""

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Workloads", name, None, opts)
        cfg = args.config
        namespace = args.namespace.name
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[args.namespace, *args.after])

        def meta(object_name: str, kind: str | None = None) -> k8s.meta.v1.ObjectMetaArgs:
            labels = base_labels(COMPONENT) | (selector(kind, object_name) if kind else {})
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        for worker in cfg.workers:
            k8s.apps.v1.Deployment(
                f"{name}-worker-{worker.name}",
                metadata=meta(worker.name, "worker"),
                spec=worker_deployment_spec(worker),
                opts=in_ns,
            )
            if worker_needs_budget(worker):
                k8s.policy.v1.PodDisruptionBudget(
                    f"{name}-worker-{worker.name}-pdb",
                    metadata=meta(worker.name, "worker"),
                    spec=worker_budget_spec(worker),
                    opts=in_ns,
                )
            if worker.port is not None:
                allow_ingress(
                    f"{name}-worker-{worker.name}-scrape",
                    args.namespace,
                    f"allow-prometheus-scrape-{worker.name}",
                    COMPONENT,
                    to_pods=selector("worker", worker.name),
                    ports=[worker.port],
                    from_namespace=MONITORING_NAMESPACE,
                    from_pods=PROMETHEUS_PODS,
                    opts=in_ns,
                )

        for job in cfg.cron_jobs:
            k8s.batch.v1.CronJob(
                f"{name}-cron-{job.name}",
                metadata=meta(job.name, "cron-job"),
                spec=cron_job_spec(job),
                opts=in_ns,
            )
        if cfg.cron_jobs:
            k8s.apiextensions.CustomResource(
                f"{name}-cron-windows",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=meta("cron-job-windows"),
                spec=window_rules(namespace, list(cfg.cron_jobs)),
                opts=in_ns,
            )

        if cfg.rate_limit is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-rate-limit",
                api_version="traefik.io/v1alpha1",
                kind="Middleware",
                metadata=meta(RATE_LIMIT_MIDDLEWARE),
                spec=rate_limit_spec(cfg.rate_limit),
                opts=in_ns,
            )

        self.register_outputs(
            {
                "workers": [w.name for w in cfg.workers],
                "cronJobs": [c.name for c in cfg.cron_jobs],
            }
        )
