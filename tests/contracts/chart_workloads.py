"""The pods each installed chart creates, described by the values paths its templates read for them.

Each workload names the values paths of its pod security context, its containers' security contexts and
its host network switch; every path must be one the pinned chart reads (values.yaml or
template-values-paths.txt, checked by test_pod_security.py), and every security-context path the chart
reads must be either described here or belong to a part of the chart our values leave off
(`NOT_RENDERED`, with the switch that is off). What a template writes itself (no value behind it) is in
`fixed`, with the template it comes from. Effective settings are computed from the chart's defaults with
our values merged over them, as Helm does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.contracts.charts import Path, lookup

ENABLED_KEY = ("seaweedfs", "hcloud-csi", "kube-state-metrics")
"""Charts whose security-context values carry an `enabled` switch that the template strips."""


@dataclass(frozen=True)
class Container:
    name: str
    security_context: Path | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Security context the template writes itself."""
    enabled: Path | None = None
    writes_to: Path | None = None
    """Values path of the directory the program writes to at run time (checked for a writable mount)."""
    extra_mounts: Path | None = None
    """Values path of the container's extra volumeMounts list."""


@dataclass(frozen=True)
class Workload:
    name: str
    containers: tuple[Container, ...]
    pod_security_context: Path | None = None
    host_network: Path | bool = False
    host_pid: Path | bool = False
    enabled: Path | None = None
    namespace: str | None = None
    """Where the pods run when not the release's namespace (a `namespaceOverride`)."""


OPERATOR_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def _c(name: str, sc: str | None = None, **kw: Any) -> Container:
    return Container(name, tuple(sc.split(".")) if sc else None, **kw)


def _p(path: str) -> Path:
    return tuple(path.split("."))


CHART_WORKLOADS: dict[str, tuple[Workload, ...]] = {
    "cert-manager": (
        Workload(
            "cert-manager",
            (_c("cert-manager-controller", "containerSecurityContext"),),
            _p("securityContext"),
        ),
        Workload(
            "cert-manager-webhook",
            (_c("cert-manager-webhook", "webhook.containerSecurityContext"),),
            _p("webhook.securityContext"),
            host_network=_p("webhook.hostNetwork"),
        ),
        Workload(
            "cert-manager-cainjector",
            (_c("cert-manager-cainjector", "cainjector.containerSecurityContext"),),
            _p("cainjector.securityContext"),
        ),
        Workload(
            "cert-manager-startupapicheck",
            (_c("cert-manager-startupapicheck", "startupapicheck.containerSecurityContext"),),
            _p("startupapicheck.securityContext"),
            enabled=_p("startupapicheck.enabled"),
        ),
    ),
    # templates/deployment.yaml: `hostNetwork: true` when networking.enabled.
    "hcloud-cloud-controller-manager": (
        Workload(
            "hcloud-cloud-controller-manager",
            (_c("hcloud-cloud-controller-manager", "securityContext"),),
            _p("podSecurityContext"),
            host_network=_p("networking.enabled"),
        ),
    ),
    # templates/controller/deployment.yaml and node/daemonset.yaml: no container security context except
    # the node plugin's `privileged: true`.
    "hcloud-csi": (
        Workload(
            "hcloud-csi-controller",
            tuple(
                _c(n)
                for n in (
                    "hcloud-csi-driver",
                    "csi-attacher",
                    "csi-resizer",
                    "csi-provisioner",
                    "liveness-probe",
                )
            ),
            _p("controller.podSecurityContext"),
        ),
        Workload(
            "hcloud-csi-node",
            (
                _c("csi-node-driver-registrar"),
                _c("liveness-probe"),
                _c("hcloud-csi-driver", fixed={"privileged": True}),
            ),
            _p("node.podSecurityContext"),
            host_network=_p("node.hostNetwork"),
        ),
    ),
    # templates/daemonset.yaml: `hostPID: true`, `hostNetwork: {{ .Values.hostNetwork }}`.
    "kured": (
        Workload(
            "kured", (_c("kured", "containerSecurityContext"),), host_network=_p("hostNetwork"), host_pid=True
        ),
    ),
    "seaweedfs": tuple(
        Workload(
            f"seaweedfs-{part}",
            (_c("seaweedfs", f"{part}.containerSecurityContext"),),
            _p(f"{part}.podSecurityContext"),
            enabled=_p(f"{part}.enabled"),
        )
        for part in ("master", "volume", "filer")
    ),
    "loki": (
        Workload(
            "loki",
            (
                _c("loki", "loki.containerSecurityContext"),
                _c("loki-sc-rules", "sidecar.securityContext", enabled=_p("sidecar.rules.enabled")),
            ),
            _p("loki.podSecurityContext"),
        ),
    ),
    "alloy": (
        Workload(
            "alloy",
            (
                _c(
                    "alloy",
                    "alloy.securityContext",
                    writes_to=_p("alloy.storagePath"),
                    extra_mounts=_p("alloy.mounts.extra"),
                ),
                _c("config-reloader", "configReloader.securityContext", enabled=_p("configReloader.enabled")),
            ),
            _p("global.podSecurityContext"),
            host_network=_p("controller.hostNetwork"),
            host_pid=_p("controller.hostPID"),
        ),
    ),
    "kube-prometheus-stack": (
        Workload(
            "kube-prometheus-stack-operator",
            (_c("kube-prometheus-stack", "prometheusOperator.containerSecurityContext"),),
            _p("prometheusOperator.securityContext"),
            host_network=_p("prometheusOperator.hostNetwork"),
        ),
        Workload(
            "grafana",
            (
                _c("grafana", "grafana.containerSecurityContext"),
                _c("grafana-sc-dashboard", "grafana.sidecar.securityContext"),
                _c("grafana-sc-datasources", "grafana.sidecar.securityContext"),
            ),
            _p("grafana.securityContext"),
        ),
        Workload(
            "kube-state-metrics",
            (_c("kube-state-metrics", "kube-state-metrics.containerSecurityContext"),),
            _p("kube-state-metrics.securityContext"),
            host_network=_p("kube-state-metrics.hostNetwork"),
        ),
        Workload(
            "prometheus-node-exporter",
            (_c("node-exporter", "prometheus-node-exporter.containerSecurityContext"),),
            _p("prometheus-node-exporter.securityContext"),
            host_network=_p("prometheus-node-exporter.hostNetwork"),
            host_pid=_p("prometheus-node-exporter.hostPID"),
            namespace="monitoring-node",
        ),
        # Created by the operator from the Prometheus and Alertmanager resources the chart renders; the
        # operator gives every container it generates this context (prometheus-operator pkg/k8sutil).
        Workload(
            "prometheus",
            (_c("prometheus", fixed=OPERATOR_CONTAINER),),
            _p("prometheus.prometheusSpec.securityContext"),
            host_network=_p("prometheus.prometheusSpec.hostNetwork"),
        ),
        Workload(
            "alertmanager",
            (_c("alertmanager", fixed=OPERATOR_CONTAINER),),
            _p("alertmanager.alertmanagerSpec.securityContext"),
            host_network=_p("alertmanager.alertmanagerSpec.hostNetwork"),
        ),
    ),
    "cluster-autoscaler": (
        Workload(
            "cluster-autoscaler",
            (_c("cluster-autoscaler", "containerSecurityContext"),),
            _p("securityContext"),
            host_network=_p("hostNetwork"),
        ),
    ),
    "traefik": (
        Workload(
            "traefik",
            (_c("traefik", "securityContext"),),
            _p("podSecurityContext"),
            host_network=_p("hostNetwork"),
        ),
    ),
}

NOT_RENDERED: dict[str, dict[str, tuple[Path | None, str]]] = {
    "seaweedfs": {
        part: (_p(f"{part}.enabled"), "component not enabled")
        for part in ("admin", "allInOne", "cosi", "s3", "sftp", "worker")
    },
    "loki": {
        "gateway": (_p("gateway.enabled"), "no gateway in front of a single binary"),
        "lokiCanary": (_p("lokiCanary.enabled"), "no canary"),
        "memcached": (_p("chunksCache.enabled"), "no caches"),
        "memcachedExporter": (_p("resultsCache.enabled"), "no caches"),
        "rollout_operator": (_p("rollout_operator.enabled"), "no rollout operator"),
    },
    "kube-prometheus-stack": {
        "crds.upgradeJob": (_p("crds.upgradeJob.enabled"), "CRDs installed by the chart itself"),
        "grafana.downloadDashboards": (_p("grafana.dashboards"), "no dashboards downloaded (empty map)"),
        "grafana.imageRenderer": (_p("grafana.imageRenderer.enabled"), "no image renderer"),
        "grafana.initChownData": (_p("grafana.initChownData.enabled"), "no persistence to chown"),
        "grafana.testFramework": (None, "a `helm test` hook; Pulumi's Release never runs helm test"),
        "kube-state-metrics.kubeRBACProxy": (_p("kube-state-metrics.kubeRBACProxy.enabled"), "no proxy"),
        "prometheus-node-exporter.kubeRBACProxy": (
            _p("prometheus-node-exporter.kubeRBACProxy.enabled"),
            "no proxy",
        ),
        "prometheus-node-exporter.permissionInitContainer": (
            _p("prometheus-node-exporter.permissionInitContainer.fixes"),
            "rendered only when one of its fixes (or extraCommands) is on",
        ),
        "prometheusOperator.admissionWebhooks": (
            _p("prometheusOperator.admissionWebhooks.enabled"),
            "no admission webhook",
        ),
        "thanosRuler": (_p("thanosRuler.enabled"), "no Thanos ruler"),
    },
}
"""Per chart: prefix of security-context paths for parts our values switch off -> (switch that must be
off, reason), or (None, reason) for parts no install ever creates."""


def switched_on(setting: Any) -> bool:
    """A switch value: a map of switches (node-exporter's `fixes`) is on when any of them is."""
    if isinstance(setting, Mapping):
        return any(switched_on(v) for v in setting.values())
    return bool(setting)


def value(merged: Mapping[str, Any], source: Path | bool | None, default: Any = None) -> Any:
    if source is None:
        return default
    if isinstance(source, bool):
        return source
    present, found = lookup(merged, source)
    return found if present else default


def context(chart: str, merged: Mapping[str, Any], path: Path | None) -> dict[str, Any]:
    """A security context as the template renders it (seaweedfs/csi/ksm strip their `enabled` switch,
    and render nothing when it is false)."""
    found = value(merged, path, {}) or {}
    if chart in ENABLED_KEY and isinstance(found, Mapping) and "enabled" in found:
        if not found["enabled"]:
            return {}
        found = {k: v for k, v in found.items() if k != "enabled"}
    return dict(found)


def container_context(
    chart: str, merged: Mapping[str, Any], workload: Workload, container: Container
) -> dict[str, Any]:
    """The container's effective settings: pod-level runAsUser/runAsNonRoot/seccompProfile/runAsGroup as
    fallback, its own security context over them (Kubernetes' precedence)."""
    pod = context(chart, merged, workload.pod_security_context)
    own = {**context(chart, merged, container.security_context), **container.fixed}
    inherited: dict[str, Any] = {
        k: pod[k] for k in ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile") if k in pod
    }
    return {**inherited, **own}


def rendered(merged: Mapping[str, Any], workload: Workload) -> list[Container]:
    """The workload's containers that our values leave on ([] when the workload itself is off)."""
    if workload.enabled is not None and not value(merged, workload.enabled, True):
        return []
    return [c for c in workload.containers if c.enabled is None or value(merged, c.enabled, True)]
