"""The cluster and cron-job gates of `python -m acceptance`, against a real kube-apiserver started from
dev's rendered files (tests/controlplane) and Debian's Prometheus loading the cron-job window rules the
program renders. Objects get the status a kubelet, the CSI driver, cert-manager or the CronJob
controller would write, through the status subresource, as those controllers do."""

from __future__ import annotations

import base64
import datetime
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import versions
from offline.program import ProgramRun
from offline.wire import reveal
from tests.controlplane.api import Api
from tests.controlplane.cluster import ControlPlane, build_binaries, start
from tests.pilot_runs import stack_run
from tests.upstream_data import upstream_dir

from .prometheus_server import prometheus
from .test_acceptance import acceptance, verdicts

CLUSTER_GATES = ("every node Ready", "every PVC Bound", "every Certificate Ready", "no pod crash-looping")
NAMESPACE = "acceptance"
RESTRICTED_POD = {
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "web",
            "image": "ghcr.io/example/web:1.4.2",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
}


def _stamp(hours_ago: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=hours_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Cluster:
    plane: ControlPlane
    api: Api
    kubeconfig: Path
    run: ProgramRun

    def status(self, path: str, status: dict[str, Any]) -> None:
        answer = self.api.request(
            "PATCH", f"{path}/status", {"status": status}, content_type="application/merge-patch+json"
        )
        assert answer.accepted, answer.message

    def create(self, obj: dict[str, Any]) -> str:
        answer = self.api.apply(obj, wait_seconds=30)
        assert answer.accepted, answer.message
        return self.api.object_path(obj)


def _kubeconfig(plane: ControlPlane, folder: Path) -> Path:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "dev",
                "cluster": {"server": plane.url, "certificate-authority-data": b64(plane.kubeconfig.ca_pem)},
            }
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate-data": b64(plane.kubeconfig.cert_pem),
                    "client-key-data": b64(plane.kubeconfig.key_pem),
                },
            }
        ],
        "contexts": [{"name": "dev", "context": {"cluster": "dev", "user": "admin"}}],
        "current-context": "dev",
    }
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    run = stack_run("dev")
    workdir = Path(tempfile.mkdtemp(prefix="acceptance-cluster-"))
    plane = start(build_binaries(), run, workdir / "plane")
    try:
        api = plane.api
        crds = upstream_dir() / "charts" / f"cert-manager-{versions.CERT_MANAGER_CHART_VERSION}" / "crds"
        for crd in sorted(crds.glob("*.yaml")):
            assert api.apply(yaml.safe_load(crd.read_text())).accepted
        ready = Cluster(plane, api, _kubeconfig(plane, workdir), run)
        ready.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        ready.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}})
        # No controller-manager runs here to make each namespace's default ServiceAccount.
        for namespace in (NAMESPACE, "app"):
            ready.create(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": namespace},
                }
            )
        for name in ("dev-k3s-cp-0", "dev-k3s-general-0"):
            path = ready.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
            ready.status(
                path, {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}
            )
        claim = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": NAMESPACE},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
        }
        ready.status(ready.create(claim), {"phase": "Bound"})
        certificate = {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "web", "namespace": NAMESPACE},
            "spec": {
                "secretName": "web-tls",
                "dnsNames": ["app.dev.example.com"],
                "issuerRef": {"name": "letsencrypt-staging", "kind": "ClusterIssuer"},
            },
        }
        ready.status(ready.create(certificate), {"conditions": [{"type": "Ready", "status": "True"}]})
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": NAMESPACE},
            "spec": RESTRICTED_POD,
        }
        ready.status(
            ready.create(pod),
            {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "web",
                        "ready": True,
                        "restartCount": 0,
                        "image": "ghcr.io/example/web:1.4.2",
                        "imageID": "",
                        "state": {"running": {"startedAt": _stamp(1)}},
                    }
                ],
            },
        )
        yield ready
    finally:
        plane.stop()


def test_cluster_gates_pass_on_a_healthy_cluster(tmp_path: Path, cluster: Cluster) -> None:
    args = [arg for gate in CLUSTER_GATES for arg in ("--gate", gate)]
    result = acceptance(tmp_path, "--kubeconfig", str(cluster.kubeconfig), *args)
    assert verdicts(result) == dict.fromkeys(CLUSTER_GATES, "pass"), result.stdout + result.stderr
    assert "2/2 Ready" in result.stdout and "1/1 Bound" in result.stdout


def test_cluster_gates_name_what_is_wrong(tmp_path: Path, cluster: Cluster) -> None:
    api = cluster.api
    cluster.status(
        "/api/v1/nodes/dev-k3s-general-0",
        {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}]},
    )
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "stuck", "namespace": NAMESPACE},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
        }
    )
    cluster.status(
        f"/apis/cert-manager.io/v1/namespaces/{NAMESPACE}/certificates/web",
        {"conditions": [{"type": "Ready", "status": "False"}]},
    )
    cluster.status(
        f"/api/v1/namespaces/{NAMESPACE}/pods/web",
        {
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": False,
                    "restartCount": 7,
                    "image": "ghcr.io/example/web:1.4.2",
                    "imageID": "",
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ]
        },
    )
    try:
        args = [arg for gate in CLUSTER_GATES for arg in ("--gate", gate)]
        result = acceptance(tmp_path, "--kubeconfig", str(cluster.kubeconfig), *args)
    finally:
        cluster.status(
            "/api/v1/nodes/dev-k3s-general-0",
            {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
        )
        api.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/stuck")
    assert verdicts(result) == dict.fromkeys(CLUSTER_GATES, "FAIL"), result.stdout + result.stderr
    for named in (
        "not: dev-k3s-general-0",
        f"not: {NAMESPACE}/stuck",
        f"not: {NAMESPACE}/web",
        f"{NAMESPACE}/web",
    ):
        assert named in result.stdout


def _window_rules(run: ProgramRun, folder: Path) -> Path:
    """The cron-job window rules exactly as the program renders them (a PrometheusRule's spec)."""
    (rule,) = [
        r
        for r in run.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        if any(g["name"] == "cron-job-windows" for g in (reveal(r.inputs)["spec"]["groups"]))
    ]
    path = folder / "windows.rules.yaml"
    path.write_text(json.dumps(reveal(rule.inputs)["spec"]))
    return path


def test_cron_jobs_within_their_alert_windows(tmp_path: Path, cluster: Cluster) -> None:
    """dev's `ingest` runs every 30 minutes (last success 10 minutes ago: on time); `checks` may be 26 h
    late (last success 30 h ago: late)."""
    for name, hours_ago in (("ingest", 1 / 6), ("checks", 30)):
        job = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name, "namespace": "app"},
            "spec": {
                "schedule": "*/30 * * * *",
                "jobTemplate": {"spec": {"template": {"spec": {**RESTRICTED_POD, "restartPolicy": "Never"}}}},
            },
        }
        cluster.status(
            cluster.create(job),
            {"lastScheduleTime": _stamp(hours_ago), "lastSuccessfulTime": _stamp(hours_ago)},
        )
    with prometheus(tmp_path / "prom", {}, 0, rule_files=[_window_rules(cluster.run, tmp_path)]) as url:
        result = acceptance(
            tmp_path,
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--prometheus",
            url,
            "--gate",
            "cron jobs on time",
        )
    assert verdicts(result) == {"cron job app/ingest": "pass", "cron job app/checks": "FAIL"}, (
        result.stdout + result.stderr
    )
    assert "success within 26 h" in result.stdout and "last success 30.0 h ago" in result.stdout
