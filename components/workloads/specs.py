"""Kubernetes specs of workers and cron jobs, as plain functions of the config so tests read them directly."""

from __future__ import annotations

from typing import Any

from ..config.workloads import ContainerConfig, CronJobConfig, RateLimitConfig, WorkerConfig

RUN_AS = 65532
"""Unprivileged uid/gid the containers run as (the `nonroot` user of distroless and Chainguard images)."""

PORT_NAME = "http"
OBJECT_STORE_SECRET = "object-store"
"""Secret the ObjectStore writes into the app's namespace (S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID...)."""


def selector(kind: str, name: str) -> dict[str, str]:
    """Labels that select one worker's or job's pods (also what alerts and dashboards group by)."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": kind}


def _env(cfg: ContainerConfig) -> list[dict[str, Any]]:
    plain = [{"name": name, "value": value} for name, value in sorted(cfg.env.items())]
    from_secrets = [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
        for name, ref in sorted(cfg.secret_env.items())
    ]
    return plain + from_secrets


def container(cfg: ContainerConfig) -> dict[str, Any]:
    """The restricted container every worker and job runs: pinned image, no privileges, memory capped."""
    spec: dict[str, Any] = {
        "name": cfg.name,
        "image": cfg.image,
        "imagePullPolicy": "IfNotPresent",
        "env": _env(cfg),
        "resources": {
            "requests": {"cpu": cfg.resources.cpu, "memory": cfg.resources.memory},
            "limits": {"memory": cfg.resources.memory},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": cfg.read_only_root_filesystem,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if cfg.command:
        spec["command"] = list(cfg.command)
    if cfg.args:
        spec["args"] = list(cfg.args)
    if cfg.object_store:
        spec["envFrom"] = [{"secretRef": {"name": OBJECT_STORE_SECRET}}]
    return spec


def _pod(main: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [main],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        **extra,
    }


def worker_deployment_spec(cfg: WorkerConfig) -> dict[str, Any]:
    """A worker Deployment: spread over nodes, probes when it serves HTTP, rolled one pod at a time."""
    labels = selector("worker", cfg.name)
    main = container(cfg)
    if cfg.port is not None:
        probe = {"httpGet": {"path": cfg.health_path, "port": PORT_NAME}, "timeoutSeconds": 2}
        main["ports"] = [{"name": PORT_NAME, "containerPort": cfg.port, "protocol": "TCP"}]
        # Startup allows 2 minutes to connect to queues and the database; liveness then restarts a wedged
        # worker after 3 missed checks, readiness only reports (workers take no Service traffic).
        main["startupProbe"] = {**probe, "periodSeconds": 5, "failureThreshold": 24}
        main["readinessProbe"] = {**probe, "periodSeconds": 10, "failureThreshold": 3}
        main["livenessProbe"] = {**probe, "periodSeconds": 10, "failureThreshold": 3}
    pod = _pod(
        main,
        terminationGracePeriodSeconds=cfg.termination_grace_seconds,
        topologySpreadConstraints=[
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels},
            }
        ],
    )
    return {
        "replicas": cfg.replicas,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": labels},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }


def worker_needs_budget(cfg: WorkerConfig) -> bool:
    """A disruption budget only means something with two or more pods (one would block every drain)."""
    return cfg.replicas >= 2


def worker_budget_spec(cfg: WorkerConfig) -> dict[str, Any]:
    """Keep all but one pod of a worker running through node drains and upgrades."""
    return {"maxUnavailable": 1, "selector": {"matchLabels": selector("worker", cfg.name)}}


def cron_job_spec(cfg: CronJobConfig) -> dict[str, Any]:
    """A CronJob that never overlaps itself, retries with backoff, and is stopped at its deadline."""
    labels = selector("cron-job", cfg.name)
    pod = _pod(container(cfg), restartPolicy="Never")
    return {
        "schedule": cfg.schedule,
        "timeZone": cfg.time_zone,
        # A run still going when the next is due means the job is slow or stuck: skip, do not pile up.
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": cfg.starting_deadline_seconds,
        "successfulJobsHistoryLimit": cfg.successful_jobs_history_limit,
        "failedJobsHistoryLimit": cfg.failed_jobs_history_limit,
        "suspend": cfg.suspend,
        "jobTemplate": {
            "metadata": {"labels": labels},
            "spec": {
                # Retries restart the pod with exponential backoff (10s, 20s, 40s... capped at 6 minutes).
                "backoffLimit": cfg.backoff_limit,
                "activeDeadlineSeconds": cfg.active_deadline_seconds,
                # Finished Jobs are kept by the history limits above, not by a TTL that would race them.
                "template": {"metadata": {"labels": labels}, "spec": pod},
            },
        },
    }


def rate_limit_spec(cfg: RateLimitConfig) -> dict[str, Any]:
    """Traefik `rateLimit` middleware: a token bucket per client address."""
    criterion: dict[str, Any] = {"ipStrategy": {"depth": cfg.source_depth}} if cfg.source_depth else {}
    spec: dict[str, Any] = {"average": cfg.average, "burst": cfg.burst, "period": cfg.period}
    if criterion:
        spec["sourceCriterion"] = criterion
    return {"rateLimit": spec}
