"""Which hcloud resources belong together in a stack: firewalls to servers, services to load balancers.

Links are found the ways the engine shows them: a resource that takes another's id depends on it
(`dependencies` / `propertyDependencies` carry the URN), a firewall applies to servers by label selector,
and, in state, an `id` output equal to the id input that refers to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from .framework import ROLE_LABEL, Subject
from .net import selector_matches
from .props import UNKNOWN, has_unknown, is_list, items, peek

SERVER = "hcloud:index/server:Server"
FIREWALL = "hcloud:index/firewall:Firewall"
FIREWALL_ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"
LOAD_BALANCER = "hcloud:index/loadBalancer:LoadBalancer"
LOAD_BALANCER_SERVICE = "hcloud:index/loadBalancerService:LoadBalancerService"
LOAD_BALANCER_NETWORK = "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork"
VOLUME = "hcloud:index/volume:Volume"


def of_type(subjects: list[Subject], resource_type: str) -> list[Subject]:
    return [s for s in subjects if s.type == resource_type]


def role(subject: Subject) -> str | None:
    return subject.labels.get(ROLE_LABEL)


def _id_of(subject: Subject) -> str | None:
    value = peek(subject.props, "id")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return value if isinstance(value, str) and value else None


def refers_to(referrer: Subject, target: Subject, id_value: object) -> bool:
    """Whether `referrer` points at `target`: by dependency, or by an id value equal to target's id."""
    if target.urn in referrer.dependencies:
        return True
    target_id = _id_of(target)
    if target_id is None or id_value is None or id_value is UNKNOWN:
        return False
    if isinstance(id_value, int | float) and not isinstance(id_value, bool):
        id_value = str(int(id_value))
    return str(id_value) == target_id


def firewalls_for(server: Subject, subjects: list[Subject]) -> tuple[list[Subject], bool]:
    """The firewalls applied to a server, and whether some attachment is not known yet (preview)."""
    labels = server.labels
    found: list[Subject] = []
    pending = False
    firewalls = of_type(subjects, FIREWALL)
    ids = peek(server.props, "firewallIds")
    if has_unknown(ids):  # a firewall being created in this preview: its id, so the list, is unknown
        pending = True
    for raw_id in items(ids):
        match = [f for f in firewalls if refers_to(server, f, raw_id)]
        found.extend(match)
        pending = pending or not match
    for firewall in firewalls:
        for apply_to in items(peek(firewall.props, "applyTos")):
            selector = peek(apply_to, "labelSelector")
            by_label = isinstance(selector, str) and selector_matches(selector, labels)
            server_id = peek(apply_to, "server")
            if by_label or (server_id is not None and refers_to(firewall, server, server_id)):
                found.append(firewall)
    for attachment in of_type(subjects, FIREWALL_ATTACHMENT):
        selectors = [s for s in items(peek(attachment.props, "labelSelectors")) if isinstance(s, str)]
        server_ids = peek(attachment.props, "serverIds")
        by_label = any(selector_matches(s, labels) for s in selectors)
        by_id = server.urn in attachment.dependencies or any(
            refers_to(attachment, server, i) for i in items(server_ids)
        )
        if by_label or by_id:
            target = [f for f in firewalls if refers_to(attachment, f, peek(attachment.props, "firewallId"))]
            found.extend(target)
            pending = pending or not target
    unique = {f.urn: f for f in found}
    return list(unique.values()), pending


def inbound_rules(firewall: Subject) -> Iterator[tuple[int, object]]:
    """(1-based position, rule) of each inbound rule; rules default to inbound."""
    for index, rule in enumerate(items(peek(firewall.props, "rules")), start=1):
        if peek(rule, "direction", default="in") == "in":
            yield index, rule


def rule_sources(rule: object) -> list[str]:
    sources = peek(rule, "sourceIps")
    return [s for s in items(sources) if isinstance(s, str)] if is_list(sources) else []


def load_balancer_is_public(lb: Subject, subjects: list[Subject]) -> bool:
    """A Hetzner load balancer has a public interface unless a LoadBalancerNetwork turns it off."""
    for attachment in of_type(subjects, LOAD_BALANCER_NETWORK):
        private = peek(attachment.props, "enablePublicInterface") is False
        if private and refers_to(attachment, lb, peek(attachment.props, "loadBalancerId")):
            return False
    return True


def services_of(lb: Subject, subjects: list[Subject]) -> list[Subject]:
    return [
        s
        for s in of_type(subjects, LOAD_BALANCER_SERVICE)
        if refers_to(s, lb, peek(s.props, "loadBalancerId"))
    ]
