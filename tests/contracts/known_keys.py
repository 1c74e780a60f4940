"""Whether a chart reads a values key: it is in the chart's values.yaml, in the paths its templates read,
or inside a map the chart passes through whole (a Kubernetes object, or a free-form map named below)."""

from __future__ import annotations

from tests.contracts.charts import Path, chart_defaults, lookup, template_paths

KUBERNETES_OBJECTS: dict[str, str] = {
    "resources": "ResourceRequirements, rendered with toYaml",
    "securityContext": "SecurityContext / PodSecurityContext, rendered with toYaml",
    "containerSecurityContext": "SecurityContext, rendered with toYaml",
    "podSecurityContext": "PodSecurityContext, rendered with toYaml (seaweedfs omits its `enabled`)",
    "annotations": "object annotations: any name",
    "podLabels": "pod labels: any name",
    "nodeSelector": "node labels: any name",
    "storageSpec": "the Prometheus CR's StorageSpec, rendered with toYaml (its CRD checks it)",
}
"""Value keys whose content is a Kubernetes API object the chart passes through; the API server's schema,
not the chart, decides which fields are valid inside (tests/test_k8s_schemas checks our own objects)."""

FREE_FORM: dict[str, dict[Path, str]] = {
    "hcloud-cloud-controller-manager": {
        ("env",): "templates/deployment.yaml ranges over env: each key is an env var of the CCM",
    },
    "cluster-autoscaler": {
        ("extraEnv",): "one env var per key",
        ("extraEnvSecrets",): "one env var from a Secret per key",
        ("extraArgs",): "one --flag per key",
    },
    "loki": {
        ("loki", "limits_config"): "Loki's limits_config block, rendered with toYaml",
        ("loki", "compactor"): "Loki's compactor block, rendered with toYaml",
        ("loki", "schemaConfig"): "Loki's schema_config, rendered with toYaml",
    },
    "kube-prometheus-stack": {
        ("grafana", "grafana.ini"): "grafana.ini sections and keys, rendered into the ini file",
    },
    "traefik": {
        ("logs", "access", "fields", "headers", "names"): "header name -> keep/drop/redact",
        ("ports", "web", "http", "redirections", "entryPoint"): (
            "entry point redirection options (to, scheme, permanent, priority); schema type object"
        ),
        ("ports", "web", "redirections", "entryPoint"): "the same options where charts before 39 read them",
        ("service", "spec"): "extra Service spec fields, rendered with toYaml",
    },
}
"""Per chart: maps whose keys are not declared by the chart (each with the reason)."""


def is_known(chart: str, version: str, path: Path) -> bool:
    """Whether the chart reads `path` (a key the program sets)."""
    defaults = chart_defaults(chart, version)
    read = template_paths(chart, version)
    if lookup(defaults, path)[0] or ".".join(path) in read:
        return True
    for depth in range(len(path) - 1, 0, -1):
        ancestor = path[:depth]
        declared = lookup(defaults, ancestor)[0] or ".".join(ancestor) in read
        if ancestor in FREE_FORM.get(chart, {}) or (declared and ancestor[-1] in KUBERNETES_OBJECTS):
            return declared
    return False
