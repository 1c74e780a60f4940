"""Pod and routing specs of the web/API server, as plain functions so tests read them directly."""

from __future__ import annotations

from typing import Any

from ..config import WebConfig

WEB = "web"
CANARY = "web-canary"
ENV_SECRET = "web-env"
PORT_NAME = "http"
"""Service port name; the SLO rules match Traefik services named `app-web(-canary)-http`."""

RATE_LIMIT_MIDDLEWARE = "api-rate-limit"
"""Traefik Middleware in the app namespace that every request to the web/API passes when
`workloads.rateLimit` is set: Workloads creates it, the App's router names it."""

DATABASE_SECRET = "postgres-connection"
"""Copy of the PostgresServer's connection Secret in the app namespace (`uri`, and `ca.crt` for the VM)."""
DATABASE_CA_DIR = "/etc/postgres-ca"
"""Where `ca.crt` is mounted; the VM's connection URL names `sslrootcert=/etc/postgres-ca/ca.crt`."""

SECRET_ENV_KEYS = {
    "SUPABASE_URL": "supabaseUrl",
    "NEXT_PUBLIC_SUPABASE_URL": "supabaseUrl",
    "SUPABASE_ANON_KEY": "supabaseAnonKey",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY": "supabaseAnonKey",
    "SUPABASE_SERVICE_ROLE_KEY": "supabaseServiceRoleKey",
}
"""Environment variable -> stack secret. NEXT_PUBLIC_* are also read at runtime by server code;
the browser bundle gets its values at image build time."""


def selector(track: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": WEB, "app.kubernetes.io/instance": track}


def pod_spec(cfg: WebConfig, image: str, *, database_ca: bool) -> dict[str, Any]:
    """A restricted, read-only pod: probes on the health path, memory request = limit, spread over nodes.

    `database_ca` mounts the database CA (VM mode); the managed database's URL needs none.
    """
    probe = {"httpGet": {"path": cfg.health_path, "port": PORT_NAME}, "timeoutSeconds": 2}
    env: list[dict[str, Any]] = [
        {"name": "PORT", "value": str(cfg.port)},
        {"name": "HOSTNAME", "value": "0.0.0.0"},
    ]
    env += [{"name": k, "value": v} for k, v in sorted(cfg.env.items())]
    env.append(
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": DATABASE_SECRET, "key": "uri"}}}
    )
    writable = [("tmp", "/tmp"), ("next-cache", "/app/.next/cache")]
    mounts: list[dict[str, Any]] = [{"name": n, "mountPath": p} for n, p in writable]
    volumes: list[dict[str, Any]] = [{"name": n, "emptyDir": {"sizeLimit": "256Mi"}} for n, _ in writable]
    if database_ca:
        mounts.append({"name": "postgres-ca", "mountPath": DATABASE_CA_DIR, "readOnly": True})
        volumes.append(
            {
                "name": "postgres-ca",
                "secret": {"secretName": DATABASE_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]},
            }
        )
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1001,
            "runAsGroup": 1001,
            "fsGroup": 1001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": 30,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": WEB}},
            }
        ],
        "containers": [
            {
                "name": WEB,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"name": PORT_NAME, "containerPort": cfg.port, "protocol": "TCP"}],
                "env": env,
                "envFrom": [{"secretRef": {"name": ENV_SECRET}}],
                "resources": {
                    "requests": {"cpu": cfg.cpu_request, "memory": cfg.memory},
                    "limits": {"memory": cfg.memory},
                },
                # Startup allows 2 minutes for a cold Next.js start; then readiness gates traffic and
                # liveness restarts a wedged process after 3 missed checks.
                "startupProbe": {**probe, "periodSeconds": 5, "failureThreshold": 24},
                "readinessProbe": {**probe, "periodSeconds": 5, "failureThreshold": 2},
                "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
                # Let Traefik drop the endpoint before the process stops taking connections.
                "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": cfg.read_only_root_filesystem,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": mounts,
            }
        ],
        "volumes": volumes,
    }


def weighted_service(*, stable_weight: int, canary_weight: int, namespace: str) -> dict[str, Any]:
    """TraefikService spec splitting requests between the stable and canary Services."""
    return {
        "weighted": {
            "services": [
                {"name": WEB, "namespace": namespace, "port": PORT_NAME, "weight": stable_weight},
                {"name": CANARY, "namespace": namespace, "port": PORT_NAME, "weight": canary_weight},
            ]
        }
    }


def host_rule(hostnames: list[str]) -> str:
    return " || ".join(f"Host(`{h}`)" for h in hostnames)
