"""Stack-level policies: namespaces isolated and admission-controlled, the prod web tier available, prod
certificates trusted."""

from __future__ import annotations

from typing import Any

import pytest

from .policy_fixtures import (
    LE_STAGING,
    certificate,
    changed,
    cluster_issuer,
    default_deny,
    deployment,
    hpa,
    ingress,
    namespace,
    pdb,
    traefik_config,
)
from .policy_wire import Case, Pack, check_case, fired

PROD = {
    "prod-web-tier-availability": {"environment": "prod"},
    "prod-cluster-issuer-letsencrypt-production": {"environment": "prod"},
}
DEV = {
    "prod-web-tier-availability": {"environment": "dev"},
    "prod-cluster-issuer-letsencrypt-production": {"environment": "dev"},
}
site = [ingress(), traefik_config()]

CASES = [
    Case("namespace-pod-security-label", [namespace(level=None)], [namespace()], "has no pod-security"),
    Case(
        "namespace-pod-security-label",
        [namespace(level="privileged")],
        [namespace(level="baseline")],
        "has 'privileged'",
    ),
    Case(
        "namespace-default-deny",
        [namespace(), default_deny("other")],
        [namespace(), default_deny()],
        "Namespace 'app' has no default-deny NetworkPolicy",
    ),
    Case(
        "namespace-default-deny",
        [namespace(), default_deny(types=("Ingress",))],
        [namespace(), default_deny()],
        "policyTypes ['Ingress', 'Egress']",
    ),
    Case(
        "prod-web-tier-availability",
        [deployment(replicas=1), pdb()],
        [deployment(), pdb()],
        "runs 1 replica(s)",
        config=PROD,
    ),
    Case(
        "prod-web-tier-availability",
        [deployment()],
        [deployment(), pdb()],
        "without a PodDisruptionBudget",
        config=PROD,
    ),
    Case(
        "prod-cluster-issuer-letsencrypt-production",
        [*site, cluster_issuer(server_url=LE_STAGING)],
        [*site, cluster_issuer()],
        "acme-staging-v02",
        config=PROD,
    ),
    Case(
        "prod-cluster-issuer-letsencrypt-production",
        [*site, certificate()],
        [*site, certificate(), cluster_issuer()],
        "creates no ClusterIssuer for Let's Encrypt production",
        config=PROD,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_fires_on_violation_and_is_quiet_on_compliance(case: Case) -> None:
    check_case(case)


def test_default_deny_found_by_dependency_when_the_namespace_name_is_computed() -> None:
    ns = changed(namespace(), "metadata.name", None)
    deny = changed(default_deny(), "metadata.namespace", "04da6b54-80e4-46f7-96ec-b56ff0331ba9").depends_on(
        ns
    )
    assert fired(Pack().analyze_stack([ns, deny]), "namespace-default-deny") == []
    assert fired(Pack().analyze_stack([ns, default_deny("other")]), "namespace-default-deny")


def test_a_policy_with_allow_rules_is_not_a_default_deny() -> None:
    allow_all = changed(default_deny(), "spec.ingress", [{}])
    assert fired(Pack().analyze_stack([namespace(), allow_all]), "namespace-default-deny")


def test_default_deny_may_list_scoped_ways_out_but_not_open_ones() -> None:
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}],
    }
    api = {"ports": [{"protocol": "TCP", "port": 6443}]}
    scoped = changed(default_deny(), "spec.egress", [dns, api])
    assert fired(Pack().analyze_stack([namespace(), scoped]), "namespace-default-deny") == []
    open_rules: list[dict[str, Any]] = [
        {},
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]},
        {"to": [{"namespaceSelector": {}}]},
    ]
    for open_rule in open_rules:
        opened = changed(default_deny(), "spec.egress", [dns, open_rule])
        assert fired(Pack().analyze_stack([namespace(), opened]), "namespace-default-deny"), open_rule


def test_namespace_exemption_covers_the_namespace_object_itself() -> None:
    config = {
        "namespace-pod-security-label": {
            "exemptions": [{"namespace": "kured", "reason": "needs hostPID to signal systemd on the node"}]
        }
    }
    privileged = changed(namespace("kured", level="privileged"), "metadata.name", "kured")
    assert fired(Pack(config).analyze(privileged), "namespace-pod-security-label") == []
    assert fired(Pack(config).analyze(namespace("other", level="privileged")), "namespace-pod-security-label")


def test_hpa_min_replicas_counts_and_dev_is_exempt() -> None:
    scaled = [changed(deployment(), "spec.replicas", None), pdb()]
    assert fired(Pack(PROD).analyze_stack([*scaled, hpa(3)]), "prod-web-tier-availability") == []
    assert fired(Pack(PROD).analyze_stack([*scaled, hpa(1)]), "prod-web-tier-availability")
    assert fired(Pack(DEV).analyze_stack([deployment(replicas=1)]), "prod-web-tier-availability") == []


def test_min_replicas_threshold_is_per_stack_config() -> None:
    strict = {"prod-web-tier-availability": {"environment": "prod", "minReplicas": 3}}
    (diagnostic,) = fired(Pack(strict).analyze_stack([deployment(), pdb()]), "prod-web-tier-availability")
    assert "Run at least 3" in diagnostic.message


def test_staging_issuer_is_fine_in_dev() -> None:
    resources = [*site, cluster_issuer("letsencrypt-prod", LE_STAGING)]
    assert fired(Pack(DEV).analyze_stack(resources), "prod-cluster-issuer-letsencrypt-production") == []
