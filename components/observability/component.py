"""Observability: Prometheus, Alertmanager, Grafana (kube-prometheus-stack), Loki with Alloy, SLO rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .. import helm, release_timeouts, versions
from ..config import ObservabilityConfig, StackConfig, StackSecrets
from ..k8s_namespace import (
    MONITORING_NAMESPACE,
    TRAEFIK_PODS,
    allow_egress_except_metadata,
    allow_ingress,
    platform_namespace,
)
from ..naming import Component, base_labels
from .alertmanager import alertmanager_config, render
from .rules import FILES, AlertRuleSource, load_rule_spec, rule_files_in, unique_names
from .values import (
    ALERTMANAGER_SECRET,
    GRAFANA_ADMIN_SECRET,
    NODE_EXPORTER_NAMESPACE,
    alloy_values,
    kube_prometheus_stack_values,
    loki_values,
)

COMPONENT = Component.OBSERVABILITY
DASHBOARDS = ("slo-dashboard.json",)
ALERT_RULE_FILES = rule_files_in(FILES)
"""The platform's own rules (node, cluster, SLO alerts)."""


@dataclass(frozen=True)
class ObservabilityArgs:
    config: ObservabilityConfig
    cluster_issuer: str
    discord_url: pulumi.Output[str] | None
    webhook_url: pulumi.Output[str] | None
    rule_files: tuple[Path, ...] = field(default_factory=lambda: ALERT_RULE_FILES)
    """Every rule file to load: the platform's own and those the other components bring."""
    scrape_targets: Mapping[str, str] = field(default_factory=dict)
    """node-exporters outside the cluster (`host:port`) by role, e.g. {"database": "10.0.1.20:9100"}."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        rules_from: Iterable[AlertRuleSource] = (),
        scrape_targets: Mapping[str, str] | None = None,
    ) -> ObservabilityArgs:
        """`rules_from`: the components whose `alert_rule_files` Prometheus loads besides its own."""
        receivers = config.observability.alert_receivers
        return cls(
            config.observability,
            config.cluster_issuer,
            secrets.alert_discord_webhook_url if "discord" in receivers else None,
            secrets.alert_webhook_url if "webhook" in receivers else None,
            ALERT_RULE_FILES + tuple(path for source in rules_from for path in source.alert_rule_files),
            dict(scrape_targets or {}),
        )


class Observability(pulumi.ComponentResource):
    """kube-prometheus-stack (Prometheus, Alertmanager, Grafana), Loki with Alloy, alert routes (Discord,
    webhook, dead man's switch), the platform's node and SLO rules plus those other components bring,
    dashboards, and scrape targets outside the cluster (the database VM)."""

    grafana_admin_password: pulumi.Output[str]
    grafana_url: str | None

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:Observability", name, None, opts)
        cfg = args.config
        labels = base_labels(COMPONENT)
        child = pulumi.ResourceOptions(parent=self)
        rules = unique_names(args.rule_files)  # fail on a name clash before registering anything

        namespace = platform_namespace(f"{name}-ns", MONITORING_NAMESPACE, COMPONENT, child)
        node_namespace = platform_namespace(
            f"{name}-node-ns", NODE_EXPORTER_NAMESPACE, COMPONENT, child, pod_security="privileged"
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        # Prometheus scrapes every namespace and the nodes, Alertmanager posts to Discord, Grafana and
        # Alloy read the API server: egress is open except the metadata service.
        allow_egress_except_metadata(f"{name}-egress", namespace, COMPONENT, opts=in_ns)
        allow_egress_except_metadata(f"{name}-node-egress", node_namespace, COMPONENT, opts=in_ns)
        allow_ingress(
            f"{name}-same-namespace",
            namespace,
            "allow-same-namespace",
            COMPONENT,
            to_pods={},
            ports=[3000, 3100, 8080, 9090, 9093, 9094, 12345],
            opts=in_ns,
        )
        allow_ingress(
            f"{name}-grafana-from-traefik",
            namespace,
            "allow-grafana-from-traefik",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": "grafana"},
            ports=[3000],
            from_namespace="kube-system",
            from_pods=TRAEFIK_PODS,
            opts=in_ns,
        )
        allow_ingress(
            f"{name}-node-exporter-scrape",
            node_namespace,
            "allow-prometheus-scrape",
            COMPONENT,
            to_pods={},
            ports=[9100],
            from_namespace=MONITORING_NAMESPACE,
            opts=in_ns,
        )

        password = random.RandomPassword(
            f"{name}-grafana-admin-password", length=32, special=False, opts=child
        )
        grafana_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GRAFANA_ADMIN_SECRET, namespace=MONITORING_NAMESPACE, labels=labels
            ),
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=in_ns,
        )
        am_config: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(args.discord_url, args.webhook_url).apply(
                lambda urls: render(
                    alertmanager_config(
                        discord_url=urls[0], webhook_url=urls[1], dead_mans_switch=cfg.dead_mans_switch
                    )
                )
            )
        )
        am_secret = k8s.core.v1.Secret(
            f"{name}-alertmanager-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ALERTMANAGER_SECRET, namespace=MONITORING_NAMESPACE, labels=labels
            ),
            type="Opaque",
            string_data={"alertmanager.yaml": am_config},
            opts=in_ns,
        )
        stack = helm.release(
            f"{name}-kube-prometheus-stack",
            versions.KUBE_PROMETHEUS_STACK,
            namespace=MONITORING_NAMESPACE,
            timeout=release_timeouts.WITH_VOLUMES,
            values=kube_prometheus_stack_values(
                storage_class=cfg.storage_class,
                retention=cfg.prometheus_retention,
                volume_gi=cfg.prometheus_volume_gi,
                grafana_hostname=cfg.grafana_hostname,
                cluster_issuer=args.cluster_issuer,
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[namespace, node_namespace, grafana_secret, am_secret]
            ),
        )
        loki = helm.release(
            f"{name}-loki",
            versions.LOKI,
            namespace=MONITORING_NAMESPACE,
            timeout=release_timeouts.WITH_VOLUMES,
            values=loki_values(
                storage_class=cfg.storage_class, retention=cfg.loki_retention, volume_gi=cfg.loki_volume_gi
            ),
            opts=in_ns,
        )
        helm.release(
            f"{name}-alloy",
            versions.ALLOY,
            namespace=MONITORING_NAMESPACE,
            values=alloy_values(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[loki]),
        )

        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[stack])
        for rule, path in rules.items():
            k8s.apiextensions.CustomResource(
                f"{name}-rules-{rule}",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule, namespace=MONITORING_NAMESPACE, labels=labels),
                spec=load_rule_spec(path),
                opts=after_crds,
            )
        for monitor, namespace_name, selector, port in (
            ("traefik", "kube-system", TRAEFIK_PODS, "metrics"),
            (
                "cert-manager",
                "cert-manager",
                {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "cert-manager"},
                "http-metrics",
            ),
        ):
            k8s.apiextensions.CustomResource(
                f"{name}-podmonitor-{monitor}",
                api_version="monitoring.coreos.com/v1",
                kind="PodMonitor",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=monitor, namespace=MONITORING_NAMESPACE, labels=labels
                ),
                spec={
                    "namespaceSelector": {"matchNames": [namespace_name]},
                    "selector": {"matchLabels": selector},
                    "podMetricsEndpoints": [{"port": port, "interval": "30s"}],
                },
                opts=after_crds,
            )
        for job, target in sorted(args.scrape_targets.items()):
            # Outside the cluster, so no Service to discover: a static target, labelled like the
            # node-exporter job so the platform's node alerts cover it too.
            k8s.apiextensions.CustomResource(
                f"{name}-scrape-{job}",
                api_version="monitoring.coreos.com/v1alpha1",
                kind="ScrapeConfig",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=job, namespace=MONITORING_NAMESPACE, labels=labels),
                spec={
                    "staticConfigs": [{"targets": [target], "labels": {"job": "node-exporter", "role": job}}],
                    "scrapeInterval": "30s",
                },
                opts=after_crds,
            )
        for dashboard in DASHBOARDS:
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{dashboard.removesuffix('.json')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{dashboard.removesuffix('.json')}",
                    namespace=MONITORING_NAMESPACE,
                    labels={**labels, "grafana_dashboard": "1"},
                    annotations={"grafana_folder": "Platform"},
                ),
                data={dashboard: (FILES / dashboard).read_text()},
                opts=in_ns,
            )

        self.grafana_admin_password = pulumi.Output.secret(password.result)
        self.grafana_url = f"https://{cfg.grafana_hostname}" if cfg.grafana_hostname else None
        self.register_outputs(
            {"grafanaUrl": self.grafana_url, "grafanaAdminPassword": self.grafana_admin_password}
        )
