"""Workers, cron jobs, their alert windows and the rate limit, as the program renders them (dev, prod)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.workloads import CronJobConfig, WorkerConfig
from components.workloads.specs import cron_job_spec, worker_deployment_spec
from offline.program import ProgramRun
from tests.k8s_schema import kubernetes_objects, schema_errors
from tests.pilot_runs import stack_run

MINE = ("Deployment", "PodDisruptionBudget", "CronJob", "Middleware", "PrometheusRule")


def _objects(run: ProgramRun, kind: str) -> dict[str, dict[str, Any]]:
    """This component's objects of one kind, by Kubernetes name."""
    return {
        o["metadata"]["name"]: o
        for o in kubernetes_objects(run).values()
        if o["kind"] == kind and o["metadata"]["labels"].get("platform/component") == "workloads"
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_workloads_object_matches_its_schema(stack: str) -> None:
    objects = [
        o
        for o in kubernetes_objects(stack_run(stack)).values()
        if o["metadata"]["labels"].get("platform/component") == "workloads"
    ]
    assert {"CronJob", "Middleware", "PrometheusRule"} <= {o["kind"] for o in objects}
    assert schema_errors(objects) == {}


def test_schema_check_catches_a_misspelt_cron_job_field() -> None:
    cron = copy.deepcopy(_objects(stack_run("dev"), "CronJob")["ingest"])
    cron["spec"]["concurrencypolicy"] = "Forbid"
    cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] = "three"
    errors = schema_errors([cron])["CronJob/ingest"]
    assert any("concurrencypolicy" in e for e in errors)
    assert any("backoffLimit" in e for e in errors)


def test_cron_jobs_never_overlap_retry_and_stop_at_their_deadline() -> None:
    jobs = _objects(stack_run("dev"), "CronJob")
    assert set(jobs) == {"ingest", "checks"}
    ingest = jobs["ingest"]["spec"]
    assert ingest["schedule"] == "*/30 * * * *"
    assert ingest["timeZone"] == "Europe/Berlin"
    assert ingest["concurrencyPolicy"] == "Forbid"
    assert ingest["startingDeadlineSeconds"] == 300
    assert (ingest["successfulJobsHistoryLimit"], ingest["failedJobsHistoryLimit"]) == (3, 3)
    job = ingest["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (3, 1200)
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["command"] == ["bun", "run", "scripts/ingest.ts"]
    assert {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "web-env", "key": "DATABASE_URL"}},
    } in (container["env"])
    assert container["envFrom"] == [{"secretRef": {"name": "object-store"}}]


def _restricted(pod: dict[str, Any]) -> None:
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True
        assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]


def test_every_pod_runs_restricted_with_requests_and_a_memory_limit() -> None:
    run = stack_run("dev")
    for cron in _objects(run, "CronJob").values():
        _restricted(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    for deployment in _objects(run, "Deployment").values():
        _restricted(deployment["spec"]["template"]["spec"])


WORKER = {"name": "mailer", "image": "ghcr.io/example/web:1.4.2"}


def test_worker_probes_only_when_it_serves_http() -> None:
    silent = worker_deployment_spec(WorkerConfig.model_validate(WORKER))["template"]["spec"]["containers"][0]
    serving = worker_deployment_spec(WorkerConfig.model_validate({**WORKER, "port": 9100}))
    container = serving["template"]["spec"]["containers"][0]
    assert not {"startupProbe", "readinessProbe", "livenessProbe", "ports"} & set(silent)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 9100, "protocol": "TCP"}]
    assert (
        serving["template"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    )


def test_worker_gets_a_disruption_budget_from_two_replicas() -> None:
    dev = stack_run("dev")
    assert _objects(dev, "Deployment")["mailer"]["spec"]["replicas"] == 1
    assert "mailer" not in _objects(dev, "PodDisruptionBudget")  # one pod: a budget would block every drain
    two = stack_run_with_replicas(2)
    budget = _objects(two, "PodDisruptionBudget")["mailer"]["spec"]
    assert budget == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": _objects(two, "Deployment")["mailer"]["spec"]["selector"]["matchLabels"]},
    }


def stack_run_with_replicas(replicas: int) -> ProgramRun:
    from offline.program import run_program

    workloads = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.dev.yaml").read_text())[
        "config"
    ]["platform:workloads"]
    workloads["workers"][0]["replicas"] = replicas
    return run_program("dev", overrides={"workloads": workloads})


def test_rate_limit_middleware_guards_the_public_api() -> None:
    run = stack_run("dev")
    (middleware,) = _objects(run, "Middleware").values()
    assert middleware["metadata"] == {**middleware["metadata"], "name": "api-rate-limit", "namespace": "app"}
    assert middleware["spec"] == {"rateLimit": {"average": 50, "burst": 100, "period": "1s"}}
    # dev runs a canary, so the web/API is routed by an IngressRoute; prod by a plain Ingress.
    route = next(o for o in kubernetes_objects(run).values() if o["kind"] == "IngressRoute")
    assert route["spec"]["routes"][0]["middlewares"] == [{"name": "api-rate-limit", "namespace": "app"}]
    ingress = next(o for o in kubernetes_objects(stack_run("prod")).values() if o["kind"] == "Ingress")
    annotation = ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"]
    assert annotation == "app-api-rate-limit@kubernetescrd"


def test_alert_windows_follow_each_jobs_schedule_and_pass_promtool(tmp_path: Path) -> None:
    (rule,) = _objects(stack_run("dev"), "PrometheusRule").values()
    windows = {r["labels"]["cronjob"]: r["expr"] for r in rule["spec"]["groups"][0]["rules"]}
    # checks: alertAfter 26h as configured; ingest: every 30 min + 20 min deadline + 15 min grace.
    assert windows == {"checks": f"vector({26 * 3600})", "ingest": f"vector({(30 + 20 + 15) * 60})"}
    path = tmp_path / "windows.rules.yaml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run scripts/install-debian-tools.sh"
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_window_is_longer_than_the_longest_gap_between_runs() -> None:
    weekdays = CronJobConfig.model_validate(
        {
            "name": "report",
            "image": "ghcr.io/example/web:1.4.2",
            "schedule": "0 7 * * 1-5",
            "activeDeadlineSeconds": 600,
        }
    )
    # Friday 07:00 to Monday 07:00 is the longest gap: a healthy weekday job must not alert on Sunday.
    assert weekdays.alert_after_seconds == 3 * 86400 + 600 + 900
    spec = cron_job_spec(weekdays)
    assert spec["timeZone"] == "Etc/UTC"
