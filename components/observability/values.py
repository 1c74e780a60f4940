"""Chart values for kube-prometheus-stack, Loki and Alloy, fitted to a 2-3 node k3s cluster (4-8 GB)."""

from __future__ import annotations

from typing import Any

from .. import versions

NODE_EXPORTER_NAMESPACE = "monitoring-node"
"""node-exporter needs the host's network, PID namespace and /proc, /sys: Pod Security `privileged`.
It gets its own namespace so `monitoring` itself stays `restricted`."""

ALERTMANAGER_SECRET = "alertmanager-platform"
GRAFANA_ADMIN_SECRET = "grafana-admin"
LOKI_URL = "http://loki.monitoring.svc.cluster.local:3100"

TEXTFILE_DIRECTORY = "/var/lib/node_exporter/textfile_collector"
"""node-exporter textfile collector directory on every node (written by components/k3s/files scripts)."""

NODE_EXPORTER_CHART_ARGS = (
    "--collector.filesystem.mount-points-exclude="
    "^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)",
    "--collector.filesystem.fs-types-exclude="
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue"
    "|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|erofs)$",
)
"""kube-prometheus-stack's own `prometheus-node-exporter.extraArgs`. Helm replaces a list instead of merging
it, so ours repeats these: without them every PVC and pod volume under /var/lib/kubelet becomes a node
filesystem, and a full Prometheus volume pages as a full node disk."""

ALLOY_STORAGE_PATH = "/tmp/alloy"
"""The alloy chart's `alloy.storagePath` (its --storage.path); Alloy creates component data under it at
start-up, so it gets a writable emptyDir while the root filesystem stays read-only."""

REPLACED_DEFAULT_ALERTS = (
    "KubePodCrashLooping",
    "KubeJobFailed",
    "KubeNodeNotReady",
    "KubeNodeUnreachable",
    "NodeFilesystemSpaceFillingUp",
    "NodeFilesystemAlmostOutOfSpace",
    "KubePersistentVolumeFillingUp",
    "KubeClientCertificateExpiration",
)
"""Defaults our platform.rules.yaml replaces, so one problem raises one alert."""

_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _resources(cpu: str, memory: str, limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": limit}}


def kube_prometheus_stack_values(
    *,
    storage_class: str,
    retention: str,
    volume_gi: int,
    grafana_hostname: str | None,
    cluster_issuer: str,
) -> dict[str, Any]:
    grafana: dict[str, Any] = {
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        "persistence": {"enabled": False},  # dashboards and data sources are code; nothing to keep
        "initChownData": {"enabled": False},
        "securityContext": {**_POD, "runAsUser": 472, "runAsGroup": 472, "fsGroup": 472},
        "containerSecurityContext": _CONTAINER,
        "resources": _resources("50m", "192Mi", "384Mi"),
        "sidecar": {
            "dashboards": {"searchNamespace": "ALL", "folderAnnotation": "grafana_folder"},
            "securityContext": _CONTAINER,
        },
        "additionalDataSources": [{"name": "Loki", "type": "loki", "uid": "loki", "url": LOKI_URL}],
        "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False}},
    }
    if grafana_hostname:
        grafana["grafana.ini"]["server"] = {"root_url": f"https://{grafana_hostname}"}
        grafana["ingress"] = {
            "enabled": True,
            "ingressClassName": "traefik",
            "annotations": {
                "cert-manager.io/cluster-issuer": cluster_issuer,
                "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
            },
            "hosts": [grafana_hostname],
            "tls": [{"secretName": "grafana-tls", "hosts": [grafana_hostname]}],
        }
    return {
        "crds": {"enabled": True},
        "windowsMonitoring": {"enabled": False},
        # k3s runs controller-manager, scheduler and proxy inside one process whose metrics the kubelet
        # endpoint already serves; scraping them separately would ingest every series twice.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubelet": {
            "serviceMonitor": {
                "metricRelabelings": [
                    {
                        "action": "drop",
                        "sourceLabels": ["__name__", "le"],
                        # The chart's default, kept: these buckets are never used by any dashboard.
                        "regex": "(csi_operations|storage_operation_duration)_seconds_bucket;"
                        "(0.25|2.5|15|25|120|600)(\\.0)?",
                    },
                    {
                        # The API server's own histograms arrive through the apiserver job as well.
                        "action": "drop",
                        "sourceLabels": ["__name__"],
                        "regex": "(apiserver|etcd|rest_client)_request(|_sli|_slo)_duration_seconds_bucket",
                    },
                ]
            }
        },
        "defaultRules": {
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
                "windows": False,
            },
            "disabled": dict.fromkeys(REPLACED_DEFAULT_ALERTS, True),
        },
        "prometheusOperator": {
            # No admission webhook: the API server would have to reach it through default-deny, and
            # promtool checks our rules before they are ever applied.
            "admissionWebhooks": {"enabled": False, "patch": {"enabled": False}},
            "tls": {"enabled": False},
            "resources": _resources("50m", "96Mi", "256Mi"),
        },
        "prometheus": {
            "prometheusSpec": {
                "retention": retention,
                "retentionSize": f"{int(volume_gi * 0.9)}GB",
                "scrapeInterval": "30s",
                "evaluationInterval": "30s",
                "resources": _resources("200m", "1Gi", "2Gi"),
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "scrapeConfigSelectorNilUsesHelmValues": False,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{volume_gi}Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "image": {
                    "registry": "quay.io",
                    "repository": "prometheus/alertmanager",
                    "tag": versions.ALERTMANAGER_IMAGE_TAG,
                },
                "useExistingSecret": True,
                "configSecret": ALERTMANAGER_SECRET,
                "resources": _resources("10m", "48Mi", "128Mi"),
            }
        },
        "grafana": grafana,
        "kube-state-metrics": {"resources": _resources("20m", "64Mi", "192Mi")},
        "prometheus-node-exporter": {
            "namespaceOverride": NODE_EXPORTER_NAMESPACE,
            # Node scripts (k3s certificate checks) drop *.prom files here; the host's / is at /host/root.
            "extraArgs": [
                *NODE_EXPORTER_CHART_ARGS,
                f"--collector.textfile.directory=/host/root{TEXTFILE_DIRECTORY}",
            ],
            "resources": _resources("20m", "32Mi", "64Mi"),
        },
    }


def loki_values(*, storage_class: str, retention: str, volume_gi: int) -> dict[str, Any]:
    """Single-binary Loki on a volume; none of the chart's big-cluster defaults (memcached, 3 replicas)."""
    return {
        "deploymentMode": "Monolithic",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {"retention_period": retention},
            "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
        },
        "singleBinary": {
            "replicas": 1,
            "persistence": {"enabled": True, "size": f"{volume_gi}Gi", "storageClass": storage_class},
            "resources": _resources("100m", "256Mi", "1Gi"),
        },
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
    }


ALLOY_CONFIG = """\
// Every pod's logs, read through the Kubernetes API (no host paths), labelled and sent to Loki.
discovery.kubernetes "pods" {
  role = "pod"
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "%s/loki/api/v1/push"
  }
}
"""


def alloy_values() -> dict[str, Any]:
    """One Alloy replica tailing logs through the API: no privileged DaemonSet, no host mounts."""
    user = {"runAsNonRoot": True, "runAsUser": 473, "runAsGroup": 473}
    return {
        # The pod-level context covers every container the chart adds (config-reloader included).
        "global": {"podSecurityContext": {**_POD, **user, "fsGroup": 473}},
        "controller": {
            "type": "deployment",
            "replicas": 1,
            "volumes": {"extra": [{"name": "alloy-storage", "emptyDir": {}}]},
        },
        "alloy": {
            "configMap": {"create": True, "content": ALLOY_CONFIG % LOKI_URL},
            "storagePath": ALLOY_STORAGE_PATH,
            "mounts": {
                "varlog": False,
                "dockercontainers": False,
                "extra": [{"name": "alloy-storage", "mountPath": ALLOY_STORAGE_PATH}],
            },
            "securityContext": {**_CONTAINER, **user},
            "resources": _resources("50m", "128Mi", "384Mi"),
        },
        "configReloader": {"securityContext": {**_CONTAINER, **user}},
    }
