"""What the pack does with what it cannot see yet (issue 14 item 2).

On the first preview of a new stack the engine hands every Kubernetes resource to AnalyzeStack with
empty properties: the kubeconfig is unknown, so pulumi-kubernetes is never called (pulumi/pulumi
provider_plugin.go, Create in preview with unknown provider config). Such a subject is pending: never
a violation, never a silent pass (the SDK's advisory "can't run ... during preview"), while
violations in what the pack can see still fail at their level.
"""

from __future__ import annotations

import pytest

from . import policy_fixtures as fx
from .policy_fixtures import changed, nodes_firewall, server
from .policy_wire import Pack, Res, fired, load_config


def unseen(res: Res) -> Res:
    """The resource as the engine shows it on a fresh stack: type and URN, no properties."""
    return Res(res.type, res.name, {}, list(res.dependencies), dict(res.property_dependencies), res.urn)


KUBERNETES_STACK = [
    fx.namespace(),
    fx.default_deny(),
    fx.deployment(),
    fx.pdb(),
    fx.ingress_route({"secretName": "web-tls"}),
    fx.cluster_issuer(),
    fx.traefik_config(),
]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubernetes_objects_without_properties_are_pending_not_violations(stack: str) -> None:
    pack = Pack(load_config(stack))
    found = pack.analyze_stack([unseen(r) for r in KUBERNETES_STACK])
    assert [d for d in found if d.level == "mandatory"] == []
    pending = {d.policy for d in found if "have no properties yet" in d.message}
    assert {"namespace-default-deny", "exposure-http-redirects-to-https"} <= pending
    if stack == "prod":
        assert "prod-cluster-issuer-letsencrypt-production" in pending
    assert all(d.level == "advisory" for d in found if d.policy in pending)


def test_the_same_objects_with_properties_are_judged() -> None:
    """Not vacuous: with properties, a namespace without default-deny fails as before."""
    found = Pack(load_config("dev")).analyze_stack([fx.namespace(), fx.default_deny("other")])
    assert [d.level for d in fired(found, "namespace-default-deny")] == ["mandatory"]


def test_visible_violations_still_fail_next_to_unseen_objects() -> None:
    lone = changed(server("agent-1", "agent"), "labels.platform/role", "worker")
    found = Pack(load_config("dev")).analyze_stack([nodes_firewall(), lone, *map(unseen, KUBERNETES_STACK)])
    (violation,) = fired(found, "hcloud-server-has-firewall")
    assert violation.level == "mandatory" and "has no firewall" in violation.message


def test_a_policy_that_needs_unseen_objects_still_reports_what_it_can_see() -> None:
    """hcloud-public-lb-web-ports-only reads Traefik's config (Kubernetes) and load balancers (hcloud):
    the public load balancer's extra port fails although Traefik's config is not visible."""
    lb = fx.load_balancer("web", public=True, ports=[80, 443, 8080])
    found = Pack(load_config("dev")).analyze_stack([*lb, unseen(fx.traefik_config())])
    levels = sorted(d.level for d in fired(found, "hcloud-public-lb-web-ports-only"))
    assert levels == ["advisory", "mandatory"]
