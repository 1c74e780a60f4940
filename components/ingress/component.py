"""Ingress: k3s's Traefik made the HTTPS front door, plus cert-manager and Let's Encrypt issuers."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import helm, versions
from ..config import IngressConfig, StackConfig
from ..k8s_namespace import (
    MONITORING_NAMESPACE,
    PROMETHEUS_PODS,
    allow_egress_except_metadata,
    allow_ingress,
    platform_namespace,
)
from ..naming import Component, base_labels
from .traefik_values import (
    SECURITY_HEADERS_MIDDLEWARE,
    load_balancer_annotations,
    security_headers_spec,
    tls_option_spec,
    traefik_values,
)

COMPONENT = Component.INGRESS
INGRESS_CLASS = "traefik"
CERT_MANAGER_NAMESPACE = "cert-manager"
ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
}


@dataclass(frozen=True)
class IngressArgs:
    config: IngressConfig
    location: str
    network_cidr: str
    """Private network range; the load balancer's PROXY protocol headers are trusted from it only."""
    cluster_issuer: str

    @classmethod
    def from_config(cls, config: StackConfig) -> IngressArgs:
        return cls(config.ingress, config.location, config.network.cidr, config.cluster_issuer)


class Ingress(pulumi.ComponentResource):
    """Traefik configuration, TLS defaults, security headers, cert-manager and its ClusterIssuers."""

    ingress_class: str
    cluster_issuer: str
    """Name of the ClusterIssuer Ingresses should use in this stack."""
    ready: list[pulumi.Resource]
    """Depend on these before creating an Ingress that asks for a certificate."""

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Ingress", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = base_labels(COMPONENT)
        cfg = args.config

        tls_option = k8s.apiextensions.CustomResource(
            f"{name}-tls-default",
            api_version="traefik.io/v1alpha1",
            kind="TLSOption",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default", namespace="kube-system", labels=labels),
            spec=tls_option_spec(),
            opts=child,
        )
        headers = k8s.apiextensions.CustomResource(
            f"{name}-security-headers",
            api_version="traefik.io/v1alpha1",
            kind="Middleware",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SECURITY_HEADERS_MIDDLEWARE, namespace="kube-system", labels=labels
            ),
            spec=security_headers_spec(hsts_max_age=cfg.hsts_max_age_seconds, hsts_preload=cfg.hsts_preload),
            opts=child,
        )
        values = traefik_values(
            lb_annotations=load_balancer_annotations(
                name=f"{pulumi.get_project()}-{pulumi.get_stack()}-ingress",
                location=args.location,
                lb_type=cfg.load_balancer_type,
            ),
            trusted_cidr=args.network_cidr,
            replicas=cfg.replicas,
        )
        traefik = k8s.apiextensions.CustomResource(
            f"{name}-traefik-config",
            api_version="helm.cattle.io/v1",
            kind="HelmChartConfig",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="traefik", namespace="kube-system", labels=labels),
            # The entry-point middleware must exist before Traefik restarts with a reference to it.
            spec={"valuesContent": yaml.safe_dump(values, sort_keys=True)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[headers, tls_option]),
        )

        namespace = platform_namespace(f"{name}-cert-manager-ns", CERT_MANAGER_NAMESPACE, COMPONENT, child)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        # cert-manager talks to Let's Encrypt and the API server; the API server calls its webhook
        # (10250) from the host network, and Prometheus scrapes its metrics (9402).
        allow_egress_except_metadata(f"{name}-cert-manager-egress", namespace, COMPONENT, opts=in_ns)
        allow_ingress(
            f"{name}-cert-manager-webhook",
            namespace,
            "allow-webhook-from-apiserver",
            COMPONENT,
            to_pods={"app.kubernetes.io/component": "webhook"},
            ports=[10250],
            from_cidr="0.0.0.0/0",
            opts=in_ns,
        )
        allow_ingress(
            f"{name}-cert-manager-scrape",
            namespace,
            "allow-prometheus-scrape",
            COMPONENT,
            to_pods={"app.kubernetes.io/component": "controller"},
            ports=[9402],
            from_namespace=MONITORING_NAMESPACE,
            from_pods=PROMETHEUS_PODS,
            opts=in_ns,
        )
        cert_manager = helm.release(
            f"{name}-cert-manager",
            versions.CERT_MANAGER,
            namespace=CERT_MANAGER_NAMESPACE,
            values=_cert_manager_values(),
            opts=in_ns,
        )
        issuers = [
            k8s.apiextensions.CustomResource(
                f"{name}-{issuer}",
                api_version="cert-manager.io/v1",
                kind="ClusterIssuer",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=issuer, labels=labels),
                spec={"acme": _acme_spec(issuer, cfg.acme_email)},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cert_manager]),
            )
            for issuer in ACME_SERVERS
        ]

        self.ingress_class = INGRESS_CLASS
        self.cluster_issuer = args.cluster_issuer
        self.ready = [traefik, *issuers]
        self.register_outputs({"clusterIssuer": self.cluster_issuer, "ingressClass": self.ingress_class})


def _acme_spec(issuer: str, email: str | None) -> dict[str, object]:
    spec: dict[str, object] = {
        "server": ACME_SERVERS[issuer],
        "privateKeySecretRef": {"name": f"{issuer}-account-key"},
        "solvers": [{"http01": {"ingress": {"ingressClassName": INGRESS_CLASS}}}],
    }
    if email:
        spec["email"] = email
    return spec


def _cert_manager_values() -> dict[str, object]:
    restricted = {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    small = {"requests": {"cpu": "10m", "memory": "48Mi"}, "limits": {"memory": "128Mi"}}
    return {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        "securityContext": restricted,
        "containerSecurityContext": container,
        "resources": small,
        "webhook": {"securityContext": restricted, "containerSecurityContext": container, "resources": small},
        "cainjector": {
            "securityContext": restricted,
            "containerSecurityContext": container,
            "resources": small,
        },
        "startupapicheck": {"securityContext": restricted, "containerSecurityContext": container},
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
    }
