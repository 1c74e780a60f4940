"""App, Phase 1: the Next.js/Bun web/API behind Traefik, with TLS, autoscaling and an optional canary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..config import AppConfig, StackConfig
from ..ingress import Ingress
from ..ingress.traefik_values import WEBSECURE_ONLY_ANNOTATION
from ..k8s_namespace import (
    MONITORING_NAMESPACE,
    PROMETHEUS_PODS,
    TRAEFIK_PODS,
    PlatformNamespace,
    allow_egress_except_metadata,
    allow_ingress,
    platform_namespace,
)
from ..naming import Component, base_labels
from ..object_store import ObjectStore
from ..postgres import PostgresServer
from ..supabase import Supabase
from .web import (
    CANARY,
    DATABASE_SECRET,
    ENV_SECRET,
    PORT_NAME,
    RATE_LIMIT_MIDDLEWARE,
    SECRET_ENV_KEYS,
    WEB,
    host_rule,
    pod_spec,
    selector,
    weighted_service,
)

COMPONENT = Component.APP
NAMESPACE = "app"
TLS_SECRET = "web-tls"


@dataclass(frozen=True)
class AppArgs:
    config: AppConfig
    secrets: dict[str, pulumi.Output[str]]
    """Stack secrets by key (see web.SECRET_ENV_KEYS)."""
    ingress: Ingress
    database: Mapping[str, pulumi.Input[str]]
    """The PostgresServer's connection Secret data (`uri`, and `ca.crt` for the VM)."""
    middlewares: tuple[str, ...] = ()
    """Traefik Middlewares in the app's namespace every request to the web/API passes (the rate limit)."""
    object_store: ObjectStore | None = None
    """The store whose credentials (and network path) the app's namespace gets, for web, workers, jobs."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        ingress: Ingress,
        database: PostgresServer,
        supabase: Supabase,
        object_store: ObjectStore | None = None,
    ) -> AppArgs:
        """The Supabase URL and keys come from the Supabase component in either mode (the hosted
        project's stack secrets, or the self-hosted gateway and its generated keys)."""
        if config.app is None:
            raise ValueError("App needs the `app` section of the stack config")
        client = supabase.client_secrets
        middlewares = (RATE_LIMIT_MIDDLEWARE,) if config.workloads.rate_limit else ()
        return cls(
            config.app,
            {key: client[key] for key in sorted(set(SECRET_ENV_KEYS.values()))},
            ingress,
            database.connection_data,
            middlewares,
            object_store,
        )


class App(pulumi.ComponentResource):
    """The web/API in the `app` namespace: Deployment with probes, Service, HPA, PDB, an optional
    weighted canary, the env and database-connection Secrets, routing with TLS."""

    urls: list[str]
    namespace: PlatformNamespace
    """The app's namespace; workers, cron jobs and the object store's credentials live here too."""

    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:App", name, None, opts)
        web = args.config.web
        labels = base_labels(COMPONENT)
        child = pulumi.ResourceOptions(parent=self)

        namespace = platform_namespace(f"{name}-ns", NAMESPACE, COMPONENT, child)
        self.namespace = namespace
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        if args.object_store is not None:
            args.object_store.grant(namespace, self)
        # Supabase and the database are outside the cluster; the metadata service stays blocked.
        allow_egress_except_metadata(f"{name}-egress", namespace, COMPONENT, opts=in_ns)
        allow_ingress(
            f"{name}-from-traefik",
            namespace,
            "allow-web-from-traefik",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": WEB},
            ports=[web.port],
            from_namespace="kube-system",
            from_pods=TRAEFIK_PODS,
            opts=in_ns,
        )
        allow_ingress(
            f"{name}-prometheus-scrape",
            namespace,
            "allow-prometheus-scrape",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": WEB},
            ports=[web.port],
            from_namespace=MONITORING_NAMESPACE,
            from_pods=PROMETHEUS_PODS,
            opts=in_ns,
        )

        env_secret = k8s.core.v1.Secret(
            f"{name}-web-env",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ENV_SECRET, namespace=NAMESPACE, labels=labels),
            type="Opaque",
            string_data={env: args.secrets[key] for env, key in SECRET_ENV_KEYS.items()},
            opts=in_ns,
        )
        database_secret = k8s.core.v1.Secret(
            f"{name}-postgres-connection",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DATABASE_SECRET, namespace=NAMESPACE, labels=labels),
            type="Opaque",
            string_data=dict(args.database),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[namespace], additional_secret_outputs=["stringData", "data"]
            ),
        )
        database_ca = "ca.crt" in args.database
        after_env = pulumi.ResourceOptions(parent=self, depends_on=[namespace, env_secret, database_secret])

        tracks: list[tuple[str, str, int | None]] = [(WEB, web.image, None)]
        if web.canary:
            tracks.append((CANARY, web.canary.image, web.canary.replicas))
        for track, image, replicas in tracks:
            match = selector(track)
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{track}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=track, namespace=NAMESPACE, labels={**labels, **match}
                ),
                spec={
                    # The autoscaler owns the stable track's replica count; the canary's is fixed.
                    "replicas": replicas if replicas is not None else web.min_replicas,
                    "revisionHistoryLimit": 5,
                    "selector": {"matchLabels": match},
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                    },
                    "template": {
                        "metadata": {"labels": {**labels, **match}},
                        "spec": pod_spec(web, image, database_ca=database_ca),
                    },
                },
                opts=pulumi.ResourceOptions.merge(
                    after_env,
                    pulumi.ResourceOptions(ignore_changes=["spec.replicas"] if replicas is None else []),
                ),
            )
            k8s.core.v1.Service(
                f"{name}-{track}-svc",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=track, namespace=NAMESPACE, labels=labels),
                spec={
                    "type": "ClusterIP",
                    "selector": match,
                    "ports": [{"name": PORT_NAME, "port": 80, "targetPort": PORT_NAME, "protocol": "TCP"}],
                },
                opts=in_ns,
            )
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{track}-pdb",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=track, namespace=NAMESPACE, labels=labels),
                spec={"selector": {"matchLabels": match}, "maxUnavailable": 1},
                opts=in_ns,
            )
            if replicas is None:
                k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    f"{name}-{track}-hpa",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=track, namespace=NAMESPACE, labels=labels),
                    spec={
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": track},
                        "minReplicas": web.min_replicas,
                        "maxReplicas": web.max_replicas,
                        "metrics": [
                            {
                                "type": "Resource",
                                "resource": {
                                    "name": "cpu",
                                    "target": {
                                        "type": "Utilization",
                                        "averageUtilization": web.target_cpu_percent,
                                    },
                                },
                            }
                        ],
                        # Scale down slowly so a short lull does not strand the next burst.
                        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
                    },
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]),
                )

        route_middlewares = [{"name": m, "namespace": NAMESPACE} for m in args.middlewares]
        routing = pulumi.ResourceOptions(parent=self, depends_on=[namespace, *args.ingress.ready])
        hosts = list(args.config.hostnames)
        if web.canary is None:
            k8s.networking.v1.Ingress(
                f"{name}-web-ingress",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=WEB,
                    namespace=NAMESPACE,
                    labels=labels,
                    annotations={
                        "cert-manager.io/cluster-issuer": args.ingress.cluster_issuer,
                        **WEBSECURE_ONLY_ANNOTATION,
                        **(
                            {
                                "traefik.ingress.kubernetes.io/router.middlewares": ",".join(
                                    f"{NAMESPACE}-{m}@kubernetescrd" for m in args.middlewares
                                )
                            }
                            if args.middlewares
                            else {}
                        ),
                    },
                ),
                spec={
                    "ingressClassName": args.ingress.ingress_class,
                    "tls": [{"hosts": hosts, "secretName": TLS_SECRET}],
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": WEB, "port": {"name": PORT_NAME}}},
                                    }
                                ]
                            },
                        }
                        for host in hosts
                    ],
                },
                opts=routing,
            )
        else:
            # Weighted routing needs Traefik's own CRDs; the certificate is then requested explicitly.
            k8s.apiextensions.CustomResource(
                f"{name}-web-certificate",
                api_version="cert-manager.io/v1",
                kind="Certificate",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=WEB, namespace=NAMESPACE, labels=labels),
                spec={
                    "secretName": TLS_SECRET,
                    "dnsNames": hosts,
                    "issuerRef": {
                        "name": args.ingress.cluster_issuer,
                        "kind": "ClusterIssuer",
                        "group": "cert-manager.io",
                    },
                },
                opts=routing,
            )
            split = k8s.apiextensions.CustomResource(
                f"{name}-web-split",
                api_version="traefik.io/v1alpha1",
                kind="TraefikService",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="web-split", namespace=NAMESPACE, labels=labels),
                spec=weighted_service(
                    stable_weight=100 - web.canary.weight,
                    canary_weight=web.canary.weight,
                    namespace=NAMESPACE,
                ),
                opts=routing,
            )
            k8s.apiextensions.CustomResource(
                f"{name}-web-route",
                api_version="traefik.io/v1alpha1",
                kind="IngressRoute",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=WEB, namespace=NAMESPACE, labels=labels),
                spec={
                    "entryPoints": ["websecure"],
                    "routes": [
                        {
                            "kind": "Rule",
                            "match": host_rule(hosts),
                            **({"middlewares": route_middlewares} if route_middlewares else {}),
                            "services": [
                                {"kind": "TraefikService", "name": "web-split", "namespace": NAMESPACE}
                            ],
                        }
                    ],
                    "tls": {"secretName": TLS_SECRET},
                },
                opts=pulumi.ResourceOptions.merge(routing, pulumi.ResourceOptions(depends_on=[split])),
            )

        self.urls = [f"https://{host}" for host in hosts]
        self.register_outputs({"urls": self.urls})
