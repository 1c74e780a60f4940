"""Values for k3s's bundled Traefik chart (see versions.TRAEFIK_CHART_VERSION), as a plain dict.

k3s installs Traefik itself; a HelmChartConfig named `traefik` in kube-system merges these values
over k3s's own, and k3s's helm-controller upgrades the release when they change.
"""

from __future__ import annotations

from typing import Any

LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1.2, 5.0)
"""Request-duration histogram buckets. Traefik's defaults (0.1, 0.3, 1.2, 5) have no 0.4 s edge, so
"95 % of requests under 400 ms" could only be interpolated; with an exact edge it is counted."""

SECURITY_HEADERS_MIDDLEWARE = "security-headers"
"""Middleware in kube-system applied to every HTTPS request at the entry point."""

WEBSECURE_ONLY_ANNOTATION = {"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"}
"""Put on every Ingress: its routes exist only on HTTPS, so plain HTTP meets the redirect."""


def load_balancer_annotations(*, name: str, location: str, lb_type: str) -> dict[str, str]:
    """Annotations that make the Hetzner CCM create and manage Traefik's load balancer."""
    prefix = "load-balancer.hetzner.cloud"
    return {
        f"{prefix}/name": name,
        f"{prefix}/location": location,
        f"{prefix}/type": lb_type,
        # Targets are the nodes' private IPs; the LB's own private interface is not an entry point.
        f"{prefix}/use-private-ip": "true",
        f"{prefix}/disable-private-ingress": "true",
        # TCP pass-through with the PROXY protocol so Traefik logs and rate-limits real client IPs.
        f"{prefix}/uses-proxyprotocol": "true",
    }


def traefik_values(*, lb_annotations: dict[str, str], trusted_cidr: str, replicas: int) -> dict[str, Any]:
    """Values merged over k3s's Traefik: redirect, TLS entry point, PROXY protocol, logs, metrics."""
    trusted = {"trustedIPs": [trusted_cidr]}
    return {
        "deployment": {"replicas": replicas},
        "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
            }
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "96Mi"},
            "limits": {"memory": "256Mi"},
        },
        # Local: kube-proxy hands the load balancer's connection to a Traefik pod on the same node without
        # masquerading it, so the peer Traefik sees is the load balancer's private address (inside
        # `trusted_cidr`) and the PROXY header it sends is honoured. With Cluster the peer would be a
        # node's pod-network address, outside the trusted range, and every header would be ignored.
        # Nodes without a Traefik pod fail the load balancer's NodePort health check and get no traffic.
        "service": {"annotations": lb_annotations, "spec": {"externalTrafficPolicy": "Local"}},
        # Chart 39+ (k3s v1.34.5+) reads redirections, middlewares and tls under `ports.<name>.http`.
        "ports": {
            "web": {
                "http": {
                    # Low priority: any router with a real rule (cert-manager's HTTP-01 solver) wins over
                    # the catch-all redirect; app routes only exist on websecure, so they always redirect.
                    "redirections": {
                        "entryPoint": {"to": "websecure", "scheme": "https", "permanent": True, "priority": 1}
                    },
                },
                "proxyProtocol": trusted,
                "forwardedHeaders": trusted,
            },
            "websecure": {
                "http": {"middlewares": [f"kube-system-{SECURITY_HEADERS_MIDDLEWARE}@kubernetescrd"]},
                "proxyProtocol": trusted,
                "forwardedHeaders": trusted,
            },
        },
        "logs": {
            "general": {"format": "json", "level": "INFO"},
            # Headers are dropped by default (cookies, tokens); keep the few that help debugging.
            "access": {
                "enabled": True,
                "format": "json",
                "fields": {
                    "general": {"defaultmode": "keep"},
                    "headers": {
                        "defaultmode": "drop",
                        "names": {"User-Agent": "keep", "X-Request-Id": "keep", "Referer": "keep"},
                    },
                },
            },
        },
        "metrics": {
            "prometheus": {
                "buckets": ",".join(f"{b:g}" for b in LATENCY_BUCKETS),
                "addEntryPointsLabels": True,
                "addServicesLabels": True,
                "addRoutersLabels": False,
            }
        },
    }


def tls_option_spec() -> dict[str, Any]:
    """The `default` TLSOption: TLS 1.2 or newer, forward-secret AEAD ciphers only for TLS 1.2."""
    return {
        "minVersion": "VersionTLS12",
        "cipherSuites": [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ],
        "curvePreferences": ["X25519", "CurveP256"],
    }


def security_headers_spec(*, hsts_max_age: int, hsts_preload: bool) -> dict[str, Any]:
    """HSTS and the usual browser hardening headers for every HTTPS response."""
    return {
        "headers": {
            "stsSeconds": hsts_max_age,
            "stsIncludeSubdomains": True,
            "stsPreload": hsts_preload,
            "forceSTSHeader": True,
            "contentTypeNosniff": True,
            "frameDeny": True,
            "referrerPolicy": "strict-origin-when-cross-origin",
            "permissionsPolicy": "camera=(), microphone=(), geolocation=()",
        }
    }
