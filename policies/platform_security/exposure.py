"""Exposure: how traffic reaches the cluster. One way in (the ingress controller's load balancer), TLS from
cert-manager on every route, and plain HTTP only ever as a redirect to HTTPS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .framework import Doc, Settings, Subject, resource_policy, stack_policy
from .props import UNKNOWN, items, peek
from .traefik import redirects_to_https, traefik_values

FAMILY = "exposure"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_ROUTES = (
    "kubernetes:traefik.io/v1alpha1:IngressRoute",
    "kubernetes:traefik.containo.us/v1alpha1:IngressRoute",
)
MIDDLEWARES = (
    "kubernetes:traefik.io/v1alpha1:Middleware",
    "kubernetes:traefik.containo.us/v1alpha1:Middleware",
)
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
ISSUER = "kubernetes:cert-manager.io/v1:Issuer"

CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
ISSUER_ANNOTATION = "cert-manager.io/issuer"
ENTRYPOINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints"
MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"


def _service_type(subject: Subject) -> Any:
    return peek(subject.props, "spec", "type", default="ClusterIP")


def _check_node_port(subject: Subject, settings: Settings) -> Iterable[str]:
    if _service_type(subject) == "NodePort":
        yield (
            f"{subject.display} is type NodePort: it opens a port on every node's interfaces, where "
            "NetworkPolicies do not apply. Use ClusterIP behind an Ingress/IngressRoute."
        )


no_node_port = resource_policy(
    name="exposure-no-node-port",
    description="Services must not be of type NodePort.",
    level=EnforcementLevel.MANDATORY,
    types=[SERVICE],
    check=_check_node_port,
    doc=Doc(
        family=FAMILY,
        prevents="Ports opened on every node, bypassing the ingress controller, TLS and NetworkPolicies.",
        comply="`type: ClusterIP` and an Ingress or IngressRoute.",
        exempt="`exemptions` by Service name and/or namespace",
    ),
)


def _check_load_balancer(subject: Subject, settings: Settings) -> Iterable[str]:
    if _service_type(subject) != "LoadBalancer":
        return
    allowed = [(c["namespace"], c["name"]) for c in settings["ingressControllers"]]
    if (subject.namespace, subject.name) not in allowed:
        shown = ", ".join(f"{ns}/{name}" for ns, name in allowed)
        yield (
            f"{subject.display} is type LoadBalancer: it would buy a public Hetzner load balancer that skips "
            f"the ingress controller. Only the ingress controller ({shown}) gets one; route through it."
        )


lb_only_ingress = resource_policy(
    name="exposure-load-balancer-only-ingress",
    description="Only the ingress controller's Service may be of type LoadBalancer.",
    level=EnforcementLevel.MANDATORY,
    types=[SERVICE],
    check=_check_load_balancer,
    config={
        "ingressControllers": {
            "type": "array",
            "default": [{"namespace": "kube-system", "name": "traefik"}],
            "description": "Services allowed to be type LoadBalancer.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["namespace", "name"],
                "properties": {
                    "namespace": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "minLength": 1},
                },
            },
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="Extra public load balancers (cost, and exposure without TLS or middleware).",
        comply="Route through the ingress controller.",
        exempt="`ingressControllers` (default kube-system/traefik); `exemptions`",
    ),
)


# --- TLS on every route ------------------------------------------------------------------------------


def _ingress_tls_gaps(subject: Subject) -> Iterator[str]:
    tls = list(items(peek(subject.props, "spec", "tls")))
    hosts = {
        h for rule in items(peek(subject.props, "spec", "rules")) if isinstance(h := peek(rule, "host"), str)
    }
    covered = {h for entry in tls for h in items(peek(entry, "hosts")) if isinstance(h, str)}
    if not tls:
        yield f"{subject.display} has no spec.tls: it serves plain HTTP."
    elif hosts - covered:
        yield f"{subject.display} serves {', '.join(sorted(hosts - covered))} without a TLS entry."
    annotations = subject.annotations
    if not (annotations.get(CLUSTER_ISSUER_ANNOTATION) or annotations.get(ISSUER_ANNOTATION)):
        yield f"{subject.display} names no cert-manager issuer ({CLUSTER_ISSUER_ANNOTATION} annotation)."


def _ingress_route_tls_gaps(subject: Subject) -> Iterator[str]:
    tls = peek(subject.props, "spec", "tls")
    if tls is UNKNOWN:
        return
    if tls is None:
        yield f"{subject.display} has no spec.tls: it serves plain HTTP."
    elif not peek(tls, "secretName"):
        resolver = peek(tls, "certResolver")
        how = f"Traefik's own resolver '{resolver}'" if resolver else "Traefik's default certificate"
        yield f"{subject.display} uses {how} instead of a cert-manager Certificate (spec.tls.secretName)."


def _check_tls(subject: Subject, settings: Settings) -> Iterable[str]:
    gaps = list(_ingress_tls_gaps(subject) if subject.type == INGRESS else _ingress_route_tls_gaps(subject))
    if gaps:
        yield (
            " ".join(gaps) + f" Add TLS for every host with a certificate from a cert-manager issuer "
            f"({CLUSTER_ISSUER_ANNOTATION} on an Ingress, a Certificate's secretName on an IngressRoute)."
        )


ingress_tls = resource_policy(
    name="exposure-ingress-tls",
    description="Every Ingress and IngressRoute must serve TLS with a certificate from a "
    "cert-manager issuer.",
    level=EnforcementLevel.MANDATORY,
    types=[INGRESS, *INGRESS_ROUTES],
    check=_check_tls,
    severity=Severity.HIGH,
    doc=Doc(
        family=FAMILY,
        prevents="Hosts served over plain HTTP, or with Traefik's self-signed default certificate.",
        comply="`spec.tls` covering every host plus the `cert-manager.io/cluster-issuer` annotation; "
        "IngressRoutes use `tls.secretName` of a cert-manager Certificate.",
        exempt="`exemptions` by route name and/or namespace",
    ),
)


def _check_issuers_exist(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    cluster_issuers = {s.name for s in subjects if s.type == CLUSTER_ISSUER}
    issuers = {(s.namespace, s.name) for s in subjects if s.type == ISSUER}
    certificates = {
        (s.namespace, peek(s.props, "spec", "secretName")) for s in subjects if s.type == CERTIFICATE
    }
    for route in subjects:
        if route.type == INGRESS:
            annotations = route.annotations
            cluster_issuer, issuer = (
                annotations.get(CLUSTER_ISSUER_ANNOTATION),
                annotations.get(ISSUER_ANNOTATION),
            )
            if cluster_issuer and cluster_issuer not in cluster_issuers:
                yield (
                    f"{route.display} asks for ClusterIssuer '{cluster_issuer}', which this stack does not "
                    f"create (it has: {', '.join(sorted(cluster_issuers)) or 'none'}); no certificate would "
                    "be issued. Fix the annotation.",
                    route.urn,
                )
            if issuer and (route.namespace, issuer) not in issuers:
                yield (
                    f"{route.display} asks for Issuer '{issuer}' in its namespace, which this stack does not "
                    "create; no certificate would be issued.",
                    route.urn,
                )
        elif route.type in INGRESS_ROUTES:
            secret = peek(route.props, "spec", "tls", "secretName")
            if isinstance(secret, str) and (route.namespace, secret) not in certificates:
                yield (
                    f"{route.display} serves TLS from Secret '{secret}', which no cert-manager "
                    "Certificate in "
                    f"namespace {route.namespace} fills. Create a Certificate with secretName '{secret}'.",
                    route.urn,
                )


tls_from_cert_manager = stack_policy(
    name="exposure-tls-from-cert-manager",
    description="TLS secrets and issuers that routes refer to must be created by cert-manager in this stack.",
    level=EnforcementLevel.MANDATORY,
    check=_check_issuers_exist,
    doc=Doc(
        family=FAMILY,
        prevents="A typo in an issuer or secret name that leaves a host on Traefik's default certificate.",
        comply="Reference the ClusterIssuers the Ingress component creates; back IngressRoute secrets with a "
        "Certificate.",
        exempt="`exemptions` by route name and/or namespace",
    ),
)


# --- HTTP redirects to HTTPS ---------------------------------------------------------------------------


def _redirect_middlewares(subjects: list[Subject]) -> set[str]:
    """Middleware references (`namespace-name@kubernetescrd` and plain names) that redirect to https."""
    names: set[str] = set()
    for s in subjects:
        if s.type in MIDDLEWARES and peek(s.props, "spec", "redirectScheme", "scheme") == "https":
            names.update({s.name, f"{s.namespace}-{s.name}@kubernetescrd", f"{s.namespace}-{s.name}"})
    return names


def _check_redirects(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    if any(redirects_to_https(values) for _, values in traefik_values(subjects)):
        return
    redirects = _redirect_middlewares(subjects)
    for route in subjects:
        if route.type == INGRESS:
            entrypoints = {
                e.strip() for e in route.annotations.get(ENTRYPOINTS_ANNOTATION, "").split(",") if e
            }
            middlewares = {
                m.strip() for m in route.annotations.get(MIDDLEWARES_ANNOTATION, "").split(",") if m
            }
        elif route.type in INGRESS_ROUTES:
            entrypoints = {e for e in items(peek(route.props, "spec", "entryPoints")) if isinstance(e, str)}
            middlewares = {
                str(peek(m, "name"))
                for r in items(peek(route.props, "spec", "routes"))
                for m in items(peek(r, "middlewares"))
            }
        else:
            continue
        serves_http = not entrypoints or "web" in entrypoints
        if serves_http and not middlewares & redirects:
            yield (
                f"{route.display} answers plain HTTP without redirecting to HTTPS. Redirect the `web` entry "
                "point globally in Traefik (ports.web.http.redirections.entryPoint.to: websecure), or limit "
                "the route to the websecure entry point.",
                route.urn,
            )


http_redirects = stack_policy(
    name="exposure-http-redirects-to-https",
    description="Plain HTTP must only ever redirect to HTTPS.",
    level=EnforcementLevel.MANDATORY,
    check=_check_redirects,
    doc=Doc(
        family=FAMILY,
        prevents="Sessions, cookies and credentials sent over plain HTTP.",
        comply="Keep the Ingress component's global redirect in the Traefik HelmChartConfig, or serve routes "
        "on `websecure` only, or add a redirectScheme middleware.",
        exempt="`exemptions` by route name and/or namespace",
    ),
)
