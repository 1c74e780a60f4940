"""Exposure: one way in, TLS from cert-manager everywhere, HTTP only as a redirect."""

from __future__ import annotations

import pytest

from .policy_fixtures import (
    certificate,
    changed,
    cluster_issuer,
    ingress,
    ingress_route,
    service,
    traefik_config,
)
from .policy_wire import Case, Pack, Res, check_case, fired

route_tls = {"secretName": "grafana-tls"}
redirect = Res(
    "kubernetes:traefik.io/v1alpha1:Middleware",
    "https-redirect",
    {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "Middleware",
        "metadata": {"name": "https-redirect", "namespace": "app"},
        "spec": {"redirectScheme": {"scheme": "https", "permanent": True}},
    },
)

CASES = [
    Case("exposure-no-node-port", [service(type_="NodePort")], [service()], "is type NodePort"),
    Case(
        "exposure-load-balancer-only-ingress",
        [service(type_="LoadBalancer")],
        [service("traefik", "kube-system", "LoadBalancer")],
        "Only the ingress controller (kube-system/traefik)",
    ),
    Case("exposure-ingress-tls", [ingress(tls=False)], [ingress()], "has no spec.tls: it serves plain HTTP"),
    Case("exposure-ingress-tls", [ingress(issuer=None)], [ingress()], "names no cert-manager issuer"),
    Case(
        "exposure-ingress-tls",
        [changed(ingress(), "spec.tls.0.hosts", ["www.example.com"])],
        [ingress()],
        "serves app.example.com without a TLS entry",
    ),
    Case(
        "exposure-ingress-tls",
        [ingress_route({"certResolver": "le"})],
        [ingress_route(route_tls)],
        "uses Traefik's own resolver 'le'",
    ),
    Case(
        "exposure-ingress-tls",
        [ingress_route(None)],
        [ingress_route(route_tls)],
        "IngressRoute monitoring/grafana",
    ),
    Case(
        "exposure-tls-from-cert-manager",
        [ingress(issuer="letsencrypt-prd"), cluster_issuer(), traefik_config()],
        [ingress(), cluster_issuer(), traefik_config()],
        "asks for ClusterIssuer 'letsencrypt-prd'",
    ),
    Case(
        "exposure-tls-from-cert-manager",
        [ingress_route(route_tls), traefik_config()],
        [ingress_route(route_tls), certificate(), traefik_config()],
        "no cert-manager Certificate",
    ),
    Case(
        "exposure-http-redirects-to-https",
        [ingress(), cluster_issuer()],
        [ingress(), cluster_issuer(), traefik_config()],
        "answers plain HTTP without redirecting",
    ),
    Case(
        "exposure-http-redirects-to-https",
        [ingress_route(route_tls, ["web", "websecure"]), certificate()],
        [ingress_route(route_tls, ["websecure"]), certificate()],
        "IngressRoute monitoring/grafana answers plain",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_fires_on_violation_and_is_quiet_on_compliance(case: Case) -> None:
    check_case(case)


def test_redirect_by_middleware_or_websecure_only_entrypoint() -> None:
    by_middleware = ingress(
        annotations={"traefik.ingress.kubernetes.io/router.middlewares": "app-https-redirect@kubernetescrd"}
    )
    websecure_only = ingress(annotations={"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"})
    for resources in ([by_middleware, redirect, cluster_issuer()], [websecure_only, cluster_issuer()]):
        assert fired(Pack().run(resources), "exposure-http-redirects-to-https") == []


@pytest.mark.parametrize(
    "values",
    [
        "ports:\n  web:\n    redirectTo:\n      port: websecure\n",
        "ports:\n  web:\n    redirections:\n      entryPoint: {to: websecure}\n",
        "additionalArguments:\n  - --entryPoints.web.http.redirections.entryPoint.to=websecure\n",
    ],
)
def test_older_traefik_chart_redirect_forms_count(values: str) -> None:
    assert (
        fired(
            Pack().run([ingress(), cluster_issuer(), traefik_config(values)]),
            "exposure-http-redirects-to-https",
        )
        == []
    )


def test_a_traefik_config_without_redirect_does_not_count() -> None:
    config = traefik_config("ports:\n  web:\n    port: 8000\n")
    assert fired(Pack().run([ingress(), cluster_issuer(), config]), "exposure-http-redirects-to-https")
