"""Stack-level: properties of the whole stack no single resource shows (namespaces isolated, the prod web
tier highly available, prod certificates from Let's Encrypt production)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .exposure import CLUSTER_ISSUER, CLUSTER_ISSUER_ANNOTATION, INGRESS, INGRESS_ROUTES
from .framework import ENVIRONMENT_SCHEMA, Doc, Settings, Subject, resource_policy, stack_policy
from .net import is_world
from .props import UNKNOWN, as_int, items, peek, str_map

FAMILY = "stack"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"


# --- namespaces ------------------------------------------------------------------------------------------


def _check_psa_label(subject: Subject, settings: Settings) -> Iterable[str]:
    level = subject.labels.get(PSA_ENFORCE)
    allowed = settings["allowedLevels"]
    if level not in allowed:
        shown = f"'{level}'" if level else "no"
        yield (
            f"Namespace '{subject.name}' has {shown} {PSA_ENFORCE} label, so the API server admits any pod "
            f"into it. Label it {PSA_ENFORCE}: restricted (baseline only with a documented reason)."
        )


namespace_pod_security = resource_policy(
    name="namespace-pod-security-label",
    description="Every namespace must enforce a Pod Security level.",
    level=EnforcementLevel.MANDATORY,
    types=[NAMESPACE],
    check=_check_psa_label,
    config={
        "allowedLevels": {
            "type": "array",
            "items": {"enum": ["restricted", "baseline", "privileged"]},
            "minItems": 1,
            "default": ["restricted", "baseline"],
            "description": "Pod Security levels a namespace may enforce.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="Namespaces where the admission controller lets privileged or host-access pods in.",
        comply="`pod-security.kubernetes.io/enforce: restricted` (or baseline) on every Namespace.",
        exempt="`exemptions` by namespace name; `allowedLevels` (default restricted, baseline)",
    ),
)


def _wide_peer(peer: Any) -> bool:
    """A peer that admits everything: the whole internet, or every namespace."""
    cidr = peek(peer, "ipBlock", "cidr")
    if isinstance(cidr, str):
        return is_world(cidr)
    namespaces = peek(peer, "namespaceSelector")
    return isinstance(namespaces, Mapping) and not any(peek(namespaces, k) for k in namespaces)


def _opens_everything(rule: Any, peers_key: str) -> bool:
    """A rule with neither ports nor peers (or a peer that is everyone) allows a whole direction."""
    if list(items(peek(rule, "ports"))):
        return False
    peers = list(items(peek(rule, peers_key)))
    return not peers or any(_wide_peer(p) for p in peers)


def _is_default_deny(policy: Subject, required: list[str]) -> bool:
    """Selects every pod and, for each required direction, allows nothing but explicitly scoped rules
    (`podSelector: {}` with no rules is the classic form; a policy that also lists, say, DNS and the API
    server as the only ways out is just as closed)."""
    spec = peek(policy.props, "spec")
    selector = peek(spec, "podSelector")
    if selector is UNKNOWN or (isinstance(selector, Mapping) and any(peek(selector, k) for k in selector)):
        return False
    types = {t for t in items(peek(spec, "policyTypes")) if isinstance(t, str)}
    if not set(required) <= types:
        return False
    peers_key = {"Ingress": "from", "Egress": "to"}
    return not any(
        _opens_everything(rule, peers_key[t]) for t in required for rule in items(peek(spec, t.lower()))
    )


def _namespace_of(policy: Subject, namespaces: list[Subject]) -> Subject | None:
    for namespace in namespaces:
        if policy.namespace == namespace.name or namespace.urn in policy.dependencies:
            return namespace
    return None


def _check_default_deny(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    required = list(settings["policyTypes"])
    namespaces = [s for s in subjects if s.type == NAMESPACE]
    covered = {
        ns.urn
        for p in subjects
        if p.type == NETWORK_POLICY and _is_default_deny(p, required)
        if (ns := _namespace_of(p, namespaces)) is not None
    }
    for namespace in namespaces:
        if namespace.urn not in covered:
            yield (
                f"Namespace '{namespace.name}' has no default-deny NetworkPolicy (empty podSelector, "
                f"policyTypes {required}, no rule that opens a direction to everyone), so its pods accept "
                "traffic from anywhere in the cluster. Add one and allow the flows each workload needs "
                "explicitly.",
                namespace.urn,
            )


namespace_default_deny = stack_policy(
    name="namespace-default-deny",
    description="Every namespace the program creates must have a default-deny NetworkPolicy.",
    level=EnforcementLevel.MANDATORY,
    check=_check_default_deny,
    config={
        "policyTypes": {
            "type": "array",
            "items": {"enum": ["Ingress", "Egress"]},
            "minItems": 1,
            "uniqueItems": True,
            "default": ["Ingress", "Egress"],
            "description": "Directions the default-deny policy must cover.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="Flat pod networks: a compromised pod reaching every other pod, the database and the "
        "metadata endpoint.",
        comply="A NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress, Egress]` and no rules (or "
        "only scoped ones: DNS, the API port) in every namespace, plus explicit allows.",
        exempt="`exemptions` by namespace name; `policyTypes` (default Ingress and Egress)",
    ),
)


# --- prod web tier --------------------------------------------------------------------------------------


def _template_labels(workload: Subject) -> dict[str, str]:
    return str_map(peek(workload.props, "spec", "template", "metadata", "labels"))


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _replicas(workload: Subject, subjects: list[Subject]) -> int | None:
    """Replicas a workload runs with at least: the HPA's minReplicas when one scales it."""
    kind = workload.type.rsplit(":", 1)[-1]
    for hpa in subjects:
        target = peek(hpa.props, "spec", "scaleTargetRef")
        if (
            hpa.type == HPA
            and hpa.namespace == workload.namespace
            and peek(target, "kind") == kind
            and (peek(target, "name") == workload.name or workload.urn in hpa.dependencies)
        ):
            return as_int(peek(hpa.props, "spec", "minReplicas", default=1.0))
    value = peek(workload.props, "spec", "replicas", default=1.0)
    return None if value is UNKNOWN else as_int(value)


def _has_pdb(workload: Subject, subjects: list[Subject]) -> bool:
    labels = _template_labels(workload)
    for pdb in subjects:
        if pdb.type != PDB or pdb.namespace != workload.namespace:
            continue
        selector = str_map(peek(pdb.props, "spec", "selector", "matchLabels"))
        if _matches(selector, labels):
            return True
    return False


def _check_web_tier(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    if not settings.is_prod:
        return
    minimum = int(settings["minReplicas"])
    selectors: list[dict[str, str]] = [dict(s) for s in settings["webTierSelectors"]]
    for workload in subjects:
        if workload.type not in (DEPLOYMENT, STATEFUL_SET):
            continue
        labels = {**_template_labels(workload), **workload.labels}
        if not any(_matches(s, labels) for s in selectors):
            continue
        replicas = _replicas(workload, subjects)
        if replicas is not None and replicas < minimum:
            yield (
                f"{workload.display} is the prod web tier but runs {replicas} replica(s): a node drain or "
                f"one crash takes the site down. Run at least {minimum} (replicas or HPA minReplicas).",
                workload.urn,
            )
        if not _has_pdb(workload, subjects):
            yield (
                f"{workload.display} is the prod web tier without a PodDisruptionBudget selecting its pods: "
                "a node upgrade may evict every replica at once. Add a PDB (e.g. maxUnavailable: 1).",
                workload.urn,
            )


prod_web_tier = stack_policy(
    name="prod-web-tier-availability",
    description="In prod, the web tier must run at least two replicas and have a PodDisruptionBudget.",
    level=EnforcementLevel.MANDATORY,
    check=_check_web_tier,
    severity=Severity.MEDIUM,
    config={
        "environment": ENVIRONMENT_SCHEMA,
        "minReplicas": {
            "type": "integer",
            "minimum": 1,
            "default": 2,
            "description": "Fewest replicas (or HPA minReplicas) the prod web tier may run.",
        },
        "webTierSelectors": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
            "default": [{"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web"}],
            "description": "Label sets (any one matches) that mark a Deployment/StatefulSet as web tier.",
        },
    },
    doc=Doc(
        family=FAMILY,
        prevents="A prod site that goes down on every node drain, upgrade or single crash.",
        comply="replicas (or HPA minReplicas) >= 2 and a PodDisruptionBudget for the web Deployment.",
        exempt="`exemptions` by name; `minReplicas`, `webTierSelectors`; off outside prod",
    ),
)


# --- prod certificates ----------------------------------------------------------------------------------


def _acme_server(issuer: Subject) -> Any:
    return peek(issuer.props, "spec", "acme", "server")


def _check_prod_issuer(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    if not settings.is_prod:
        return
    issuers = {s.name: s for s in subjects if s.type == CLUSTER_ISSUER}
    used = {r.annotations.get(CLUSTER_ISSUER_ANNOTATION) for r in subjects if r.type == INGRESS}
    used |= {
        peek(c.props, "spec", "issuerRef", "name")
        for c in subjects
        if c.type == "kubernetes:cert-manager.io/v1:Certificate"
        and peek(c.props, "spec", "issuerRef", "kind", default="Issuer") == "ClusterIssuer"
    }
    for name in sorted(n for n in used if isinstance(n, str) and n in issuers):
        server = _acme_server(issuers[name])
        if server not in (LETS_ENCRYPT_PRODUCTION, UNKNOWN):
            yield (
                f"ClusterIssuer '{name}' issues prod certificates from {server or 'no ACME server'}, which "
                f"browsers do not trust. Use Let's Encrypt production ({LETS_ENCRYPT_PRODUCTION}).",
                issuers[name].urn,
            )
    serves_tls = any(r.type == INGRESS or r.type in INGRESS_ROUTES for r in subjects)
    if serves_tls and not any(_acme_server(i) == LETS_ENCRYPT_PRODUCTION for i in issuers.values()):
        yield (
            "The prod stack serves routes but creates no ClusterIssuer for Let's Encrypt production "
            f"({LETS_ENCRYPT_PRODUCTION}). Create one and point the routes at it.",
            None,
        )


prod_cluster_issuer = stack_policy(
    name="prod-cluster-issuer-letsencrypt-production",
    description="In prod, certificates must come from Let's Encrypt production.",
    level=EnforcementLevel.MANDATORY,
    check=_check_prod_issuer,
    severity=Severity.MEDIUM,
    config={"environment": ENVIRONMENT_SCHEMA},
    doc=Doc(
        family=FAMILY,
        prevents="Prod served with untrusted staging certificates (a browser warning on every visit).",
        comply="Point prod Ingresses at the Let's Encrypt production ClusterIssuer.",
        exempt="`exemptions` by issuer or route name; off outside prod",
    ),
)
