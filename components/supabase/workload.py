"""Kubernetes objects for one service spec: a Deployment and its ClusterIP Service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..naming import Component, base_labels
from .spec import DB_CA_CONFIGMAP, DB_CA_DIR, DatabaseCaEnv, Probe, SecretEnv, ServiceSpec

COMPONENT = Component.SUPABASE


def selector_labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "supabase"}


def pod_labels(service: str) -> dict[str, str]:
    return {**base_labels(COMPONENT), **selector_labels(service)}


@dataclass(frozen=True)
class Mount:
    """A ConfigMap or Secret mounted read-only into a service's container."""

    volume: str
    kind: str  # "configMap" or "secret"
    source: pulumi.Input[str]
    path: str
    items: Sequence[tuple[str, str]] = ()
    """(key, relative path) pairs; empty mounts every key as a file of that name."""

    def volume_spec(self) -> dict[str, Any]:
        items = [{"key": key, "path": path} for key, path in self.items] or None
        if self.kind == "secret":
            return {"name": self.volume, "secret": {"secretName": self.source, "items": items}}
        return {"name": self.volume, "configMap": {"name": self.source, "items": items}}


def restricted_container_context(spec: ServiceSpec) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": spec.read_only_root,
        "runAsNonRoot": True,
        "runAsUser": spec.run_as_user,
        "runAsGroup": spec.run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _env(spec: ServiceSpec, env_secret: pulumi.Input[str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for name, value in spec.env.items():
        if isinstance(value, SecretEnv):
            entries.append(
                {"name": name, "valueFrom": {"secretKeyRef": {"name": env_secret, "key": value.key}}}
            )
        elif isinstance(value, DatabaseCaEnv):
            entries.append(
                {
                    "name": name,
                    "valueFrom": {"configMapKeyRef": {"name": DB_CA_CONFIGMAP, "key": "ca.crt"}},
                }
            )
        else:
            entries.append({"name": name, "value": value})
    return entries


def _probe(probe: Probe, initial_delay: int) -> dict[str, Any]:
    timing = {
        "initialDelaySeconds": initial_delay,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 6,
    }
    if probe.kind == "http":
        return {"httpGet": {"path": probe.path, "port": probe.port}, **timing}
    if probe.kind == "tcp":
        return {"tcpSocket": {"port": probe.port}, **timing}
    return {"exec": {"command": list(probe.command)}, **timing}


def _refuse_overlapping_mounts(service: str, paths: Sequence[str]) -> None:
    """The API server rejects a container with two mounts at one path; a mount below another hides
    part of it. Both are programming errors: fail at preview, naming them."""
    for i, path in enumerate(paths):
        for other in paths[i + 1 :]:
            inner, outer = sorted((path, other), key=len, reverse=True)
            if inner == outer or inner.startswith(outer.rstrip("/") + "/"):
                raise ValueError(f"{service}: volume mounts {outer!r} and {inner!r} overlap")


def deployment(
    resource_name: str,
    spec: ServiceSpec,
    *,
    namespace: pulumi.Input[str],
    env_secret: pulumi.Input[str],
    mounts: Sequence[Mount],
    opts: pulumi.ResourceOptions,
) -> k8s.apps.v1.Deployment:
    scratch = [(f"scratch-{i}", path) for i, path in enumerate(spec.writable_paths)]
    volumes: list[dict[str, Any]] = [
        {"name": name, "emptyDir": {"sizeLimit": "256Mi"}} for name, _ in scratch
    ]
    volumes += [mount.volume_spec() for mount in mounts]
    volume_mounts: list[dict[str, Any]] = [{"name": name, "mountPath": path} for name, path in scratch]
    volume_mounts += [{"name": m.volume, "mountPath": m.path, "readOnly": True} for m in mounts]
    if spec.uses_database:
        volumes.append({"name": "db-ca", "configMap": {"name": DB_CA_CONFIGMAP}})
        volume_mounts.append({"name": "db-ca", "mountPath": DB_CA_DIR, "readOnly": True})
    _refuse_overlapping_mounts(spec.name, [mount["mountPath"] for mount in volume_mounts])
    container = {
        "name": spec.name,
        "image": spec.image,
        "command": list(spec.command) or None,
        "args": list(spec.args) or None,
        "ports": [{"name": "http", "containerPort": spec.port}],
        "env": _env(spec, env_secret),
        "resources": {
            "requests": {"cpu": spec.resources.cpu, "memory": spec.resources.memory},
            "limits": {"memory": spec.resources.memory_limit},
        },
        "readinessProbe": _probe(spec.probe, 5),
        "livenessProbe": _probe(spec.probe, 30),
        "securityContext": restricted_container_context(spec),
        "volumeMounts": volume_mounts,
    }
    return k8s.apps.v1.Deployment(
        resource_name,
        metadata={"name": spec.name, "namespace": namespace, "labels": pod_labels(spec.name)},
        spec={
            "replicas": 1,
            # Realtime's seeded tenant and Erlang node are single-instance: never run two at once.
            "strategy": {"type": "Recreate" if spec.name == "realtime" else "RollingUpdate"},
            "selector": {"matchLabels": selector_labels(spec.name)},
            "template": {
                "metadata": {"labels": pod_labels(spec.name)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "fsGroup": spec.run_as_user,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
        opts=opts,
    )


def service(
    resource_name: str, spec: ServiceSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> k8s.core.v1.Service:
    """ClusterIP Service named like upstream's compose service, so the gateway config's hosts resolve."""
    return k8s.core.v1.Service(
        resource_name,
        metadata={"name": spec.name, "namespace": namespace, "labels": pod_labels(spec.name)},
        spec={
            "type": "ClusterIP",
            "selector": selector_labels(spec.name),
            "ports": [{"name": "http", "port": spec.port, "targetPort": "http"}],
        },
        opts=opts,
    )
