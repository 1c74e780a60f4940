"""Compliant resources as the program registers them, each a starting point a test breaks one thing in.

Props use the engine's wire names (camelCase); numbers may be written as ints here, `policy_wire.struct`
turns them into the floats the engine sends.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import yaml

from .policy_wire import Res

FIREWALL = "hcloud:index/firewall:Firewall"
SERVER = "hcloud:index/server:Server"
VOLUME = "hcloud:index/volume:Volume"
LOAD_BALANCER = "hcloud:index/loadBalancer:LoadBalancer"
LB_SERVICE = "hcloud:index/loadBalancerService:LoadBalancerService"
LB_NETWORK = "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork"
FIREWALL_ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"

ADMIN_CIDR = "203.0.113.7/32"


def labels(component: str, **extra: str) -> dict[str, str]:
    return {
        "platform/project": "hetzner-k3s-platform",
        "platform/stack": "prod",
        "platform/component": component,
        **extra,
    }


def rule(port: str, sources: list[str] | str, protocol: str = "tcp", **extra: Any) -> dict[str, Any]:
    return {"direction": "in", "protocol": protocol, "port": port, "sourceIps": sources, **extra}


def nodes_firewall(*extra_rules: dict[str, Any]) -> Res:
    rules = [
        rule("22", [ADMIN_CIDR], description="ssh from admins"),
        rule("6443", [ADMIN_CIDR], description="kubernetes api from admins"),
        {"direction": "in", "protocol": "icmp", "sourceIps": ["0.0.0.0/0", "::/0"]},
        *extra_rules,
    ]
    return Res(
        FIREWALL,
        "nodes",
        {
            "name": "prod-nodes",
            "labels": labels("network"),
            "rules": rules,
            "applyTos": [{"labelSelector": "platform/stack=prod,platform/role in (control-plane,agent)"}],
        },
    )


def db_firewall(*extra_rules: dict[str, Any]) -> Res:
    return Res(
        FIREWALL,
        "database",
        {
            "name": "prod-database",
            "labels": labels("postgres"),
            "rules": [rule("22", [ADMIN_CIDR]), *extra_rules],
            "applyTos": [{"labelSelector": "platform/stack=prod,platform/role=database"}],
        },
    )


# --- user-data ------------------------------------------------------------------------------------------

K3S_CONFIG = {
    "token-file": "/etc/rancher/k3s/token",
    "secrets-encryption": True,
    "protect-kernel-defaults": True,
    "disable": ["servicelb", "traefik-default"],
    "disable-cloud-controller": True,
    "kube-apiserver-arg": [
        "audit-log-path=/var/log/k3s/audit.log",
        "audit-policy-file=/etc/rancher/k3s/audit-policy.yaml",
        "audit-log-maxage=30",
        "admission-control-config-file=/etc/rancher/k3s/psa.yaml",
    ],
    "etcd-snapshot-schedule-cron": "0 */6 * * *",
    "etcd-s3": True,
    "etcd-s3-config-secret": "k3s-etcd-s3",
}
PSA = """apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults: {enforce: restricted, enforce-version: latest, audit: restricted, warn: restricted}
      exemptions: {namespaces: [kube-system]}
"""
METADATA_BLOCK = "iptables -I FORWARD -d 169.254.169.254/32 -j DROP"


def cloud_config(document: dict[str, Any]) -> str:
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False)


def k3s_user_data(
    config: dict[str, Any] | None = None, *, psa: str = PSA, block: bool = True, encode: bool = False
) -> str:
    text = yaml.safe_dump(K3S_CONFIG if config is None else config)
    entry: dict[str, Any] = {"path": "/etc/rancher/k3s/config.yaml", "permissions": "0600", "content": text}
    if encode:
        entry.update(content=base64.b64encode(text.encode()).decode(), encoding="b64")
    return cloud_config(
        {
            "write_files": [
                entry,
                {
                    "path": "/etc/rancher/k3s/token",
                    "permissions": "0600",
                    "content": "K10" + "a" * 64 + "::server:s3cr3t-join-token",
                },
                {
                    "path": "/etc/rancher/k3s/audit-policy.yaml",
                    "content": "apiVersion: audit.k8s.io/v1\nkind: Policy\n",
                },
                {"path": "/etc/rancher/k3s/psa.yaml", "content": psa},
            ],
            "runcmd": [METADATA_BLOCK, ["sh", "-c", "curl -sfL https://get.k3s.io | sh -"]]
            if block
            else [["sh", "-c", "curl -sfL https://get.k3s.io | sh -"]],
        }
    )


PGBACKREST = """[global]
repo1-type=s3
repo1-path=/pgbackrest/prod
repo1-s3-bucket=acme-db-backups
repo1-s3-endpoint=fsn1.your-objectstorage.com
repo1-s3-region=fsn1
repo1-cipher-type=aes-256-cbc
repo1-retention-full=4
compress-type=zst
archive-async=y

[main]
pg1-path=/mnt/pgdata/16/main
"""


def db_user_data(pgbackrest: str = PGBACKREST) -> str:
    return cloud_config(
        {
            "write_files": [
                {"path": "/etc/pgbackrest/pgbackrest.conf", "permissions": "0640", "content": pgbackrest},
                {"path": "/etc/postgresql/16/main/conf.d/90-platform.conf", "content": "archive_mode = on\n"},
            ]
        }
    )


# --- servers ---------------------------------------------------------------------------------------------


def server(name: str, role: str, *, user_data: Any = None, **extra: Any) -> Res:
    props: dict[str, Any] = {
        "name": f"prod-{name}",
        "serverType": "cx33",
        "image": "ubuntu-24.04",
        "location": "nbg1",
        "sshKeys": ["101"],
        "labels": labels("cluster" if role != "database" else "postgres", **{"platform/role": role}),
        "networks": [{"networkId": 7, "ip": "10.0.1.10"}],
        "deleteProtection": False,
        "rebuildProtection": False,
    }
    if user_data is not None:
        props["userData"] = user_data
    props.update(extra)
    return Res(SERVER, name, props)


def control_plane(**extra: Any) -> Res:
    return server("cp-1", "control-plane", user_data=k3s_user_data(), **extra)


def database(**extra: Any) -> Res:
    base: dict[str, Any] = {
        "deleteProtection": True,
        "rebuildProtection": True,
        "publicNets": [{"ipv4Enabled": True, "ipv6Enabled": True}],
    }
    return server("db", "database", user_data=db_user_data(), **{**base, **extra})


# --- load balancers --------------------------------------------------------------------------------------


def load_balancer(name: str, *, public: bool, ports: list[int]) -> list[Res]:
    lb = Res(
        LOAD_BALANCER,
        name,
        {"name": f"prod-{name}", "loadBalancerType": "lb11", "location": "nbg1", "labels": labels("cluster")},
    )
    resources = [lb]
    if not public:
        resources.append(
            Res(
                LB_NETWORK,
                f"{name}-net",
                {"loadBalancerId": UNKNOWN_ID, "networkId": 7, "enablePublicInterface": False},
            ).depends_on(lb, "loadBalancerId")
        )
    for port in ports:
        resources.append(
            Res(
                LB_SERVICE,
                f"{name}-{port}",
                {
                    "loadBalancerId": UNKNOWN_ID,
                    "protocol": "tcp",
                    "listenPort": port,
                    "destinationPort": port,
                },
            ).depends_on(lb, "loadBalancerId")
        )
    return resources


UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown string: ids are unknown in preview


# --- Kubernetes ------------------------------------------------------------------------------------------


def container(name: str = "web", **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "image": "ghcr.io/acme/web:1.4.2",
        "ports": [{"containerPort": 3000, "name": "http"}],
        "env": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    spec.update(overrides)
    return spec


def pod_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container()],
    }
    spec.update(overrides)
    return spec


def meta(name: str, namespace: str = "app", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": labels("app", **extra)}


def deployment(
    spec: dict[str, Any] | None = None, *, name: str = "web", replicas: int = 2, kind: str = "Deployment"
) -> Res:
    template = {
        "metadata": {"labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}},
        "spec": spec or pod_spec(),
    }
    api = "apps/v1"
    body: dict[str, Any] = {
        "apiVersion": api,
        "kind": kind,
        "metadata": meta(name),
        "spec": {
            "replicas": replicas,
            "template": template,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        },
    }
    return Res(f"kubernetes:{api}:{kind}", name, body)


def cron_job(spec: dict[str, Any] | None = None, name: str = "ingest") -> Res:
    pod = spec or pod_spec(
        containers=[container("ingest", livenessProbe=None, readinessProbe=None)], restartPolicy="OnFailure"
    )
    body = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(name),
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": pod}}}},
    }
    return Res("kubernetes:batch/v1:CronJob", name, body)


def pod(spec: dict[str, Any] | None = None, name: str = "debug") -> Res:
    return Res(
        "kubernetes:core/v1:Pod",
        name,
        {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name), "spec": spec or pod_spec()},
    )


def namespace(name: str = "app", level: str | None = "restricted") -> Res:
    extra = {"pod-security.kubernetes.io/enforce": level} if level else {}
    return Res(
        "kubernetes:core/v1:Namespace",
        f"ns-{name}",
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {**labels("app"), **extra}},
        },
    )


def default_deny(namespace_name: str = "app", types: tuple[str, ...] = ("Ingress", "Egress")) -> Res:
    return Res(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        f"{namespace_name}-default-deny",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": namespace_name},
            "spec": {"podSelector": {}, "policyTypes": list(types)},
        },
    )


def service(name: str = "web", namespace_name: str = "app", type_: str = "ClusterIP") -> Res:
    return Res(
        "kubernetes:core/v1:Service",
        f"{namespace_name}-{name}",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace_name},
            "spec": {"type": type_, "ports": [{"port": 80, "targetPort": "http"}], "selector": {"app": name}},
        },
    )


def ingress(
    *,
    tls: bool = True,
    issuer: str | None = "letsencrypt-prod",
    host: str = "app.example.com",
    annotations: dict[str, str] | None = None,
) -> Res:
    notes = {"cert-manager.io/cluster-issuer": issuer} if issuer else {}
    spec: dict[str, Any] = {
        "ingressClassName": "traefik",
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "web-tls"}]
    return Res(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "web",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "app", "annotations": {**notes, **(annotations or {})}},
            "spec": spec,
        },
    )


def ingress_route(
    tls: dict[str, Any] | None, entry_points: list[str] | None = None, middlewares: list[str] | None = None
) -> Res:
    route: dict[str, Any] = {
        "match": "Host(`grafana.example.com`)",
        "kind": "Rule",
        "services": [{"name": "grafana", "port": 80}],
    }
    if middlewares:
        route["middlewares"] = [{"name": m} for m in middlewares]
    spec: dict[str, Any] = {"entryPoints": entry_points or ["websecure"], "routes": [route]}
    if tls is not None:
        spec["tls"] = tls
    return Res(
        "kubernetes:traefik.io/v1alpha1:IngressRoute",
        "grafana",
        {
            "apiVersion": "traefik.io/v1alpha1",
            "kind": "IngressRoute",
            "metadata": {"name": "grafana", "namespace": "monitoring"},
            "spec": spec,
        },
    )


def certificate(secret_name: str = "grafana-tls", namespace_name: str = "monitoring") -> Res:
    return Res(
        "kubernetes:cert-manager.io/v1:Certificate",
        secret_name,
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": secret_name, "namespace": namespace_name},
            "spec": {
                "secretName": secret_name,
                "dnsNames": ["grafana.example.com"],
                "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"},
            },
        },
    )


LE_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"
LE_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"


def cluster_issuer(name: str = "letsencrypt-prod", server_url: str = LE_PRODUCTION) -> Res:
    return Res(
        "kubernetes:cert-manager.io/v1:ClusterIssuer",
        name,
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": name},
            "spec": {
                "acme": {
                    "server": server_url,
                    "email": "ops@example.com",
                    "privateKeySecretRef": {"name": f"{name}-account"},
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "traefik"}}}],
                }
            },
        },
    )


TRAEFIK_VALUES = """ports:
  web:
    http:
      redirections:
        entryPoint: {to: websecure, scheme: https, permanent: true}
  websecure:
    http:
      tls: {enabled: true}
"""


def traefik_config(values: str = TRAEFIK_VALUES) -> Res:
    return Res(
        "kubernetes:helm.cattle.io/v1:HelmChartConfig",
        "traefik",
        {
            "apiVersion": "helm.cattle.io/v1",
            "kind": "HelmChartConfig",
            "metadata": {"name": "traefik", "namespace": "kube-system"},
            "spec": {"valuesContent": values},
        },
    )


def pdb(name: str = "web") -> Res:
    return Res(
        "kubernetes:policy/v1:PodDisruptionBudget",
        f"{name}-pdb",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": "app"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}},
        },
    )


def hpa(min_replicas: int, name: str = "web") -> Res:
    return Res(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        f"{name}-hpa",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": "app"},
            "spec": {
                "minReplicas": min_replicas,
                "maxReplicas": 6,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            },
        },
    )


def changed(res: Res, path: str, value: Any) -> Res:
    """A copy of `res` with the dotted `path` (list indexes as numbers) set to `value` (None deletes)."""
    clone = copy.deepcopy(res)
    node: Any = clone.props
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return clone
