"""The pack over the real program's resources: dev and prod pass; insecure variants fail on the right policy.

The program runs under the offline mocks (`offline.program.run_program`); its registrations go to the pack
through pulumi_policy's servicer exactly as the engine would send them (inputs in wire form with secret
envelopes, dependencies for the stack-level policies), with each stack's `config.<stack>.json`.

Variants are of three kinds, all things a user could plausibly do:
- stack config a user sets (the real program, other values);
- a component edited by hand (the real registrations with one property changed);
- a resource added to the stack by hand (the real registrations plus one object).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from offline.program import ProgramRun, run_program
from offline.wire import is_secret

from . import policy_fixtures as fx
from .policy_wire import Diagnostic, Pack, Res, load_config, secret

SERVER = "hcloud:index/server:Server"


def as_resources(run: ProgramRun) -> list[Res]:
    return [
        Res(r.type, r.name, copy.deepcopy(r.inputs), list(r.dependencies), urn=r.urn)
        for r in run.resources
        if r.type != "pulumi:pulumi:Stack"
    ]


def verdict(stack: str, resources: list[Res]) -> list[Diagnostic]:
    return Pack(load_config(stack)).run(resources)


def mandatory(diagnostics: list[Diagnostic]) -> set[str]:
    return {d.policy for d in diagnostics if d.level == "mandatory"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_pass_with_no_mandatory_violation(stack: str, request: pytest.FixtureRequest) -> None:
    run: ProgramRun = request.getfixturevalue(f"{stack}_run")
    diagnostics = verdict(stack, as_resources(run))
    assert mandatory(diagnostics) == set(), [d.message for d in diagnostics]
    assert [d for d in diagnostics if "can't run policy" in d.message] == []


def test_real_servers_are_actually_checked() -> None:
    """Guards against a vacuous pass: the policies see the roles, user-data and firewalls they look for."""
    run = run_program("dev")
    servers = [r for r in run.resources if r.type == SERVER]
    roles = {r.plain_inputs["labels"]["platform/role"] for r in servers}
    assert roles == {"control-plane", "agent"}
    assert all(is_secret(r.inputs["userData"]) for r in servers)
    assert all(r.plain_inputs["firewallIds"] for r in servers)


# --- variants ----------------------------------------------------------------------------------------

Edit = Callable[[list[Res]], list[Res]]


@dataclass(frozen=True)
class Variant:
    id: str
    stack: str
    policy: str
    says: str
    overrides: dict[str, Any] | None = None
    edit: Edit | None = None


def _servers(resources: list[Res], role: str) -> list[Res]:
    return [r for r in resources if r.type == SERVER and _plain(r.props["labels"])["platform/role"] == role]


def _plain(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def _edit_user_data(role: str, change: Callable[[str], str]) -> Edit:
    def edit(resources: list[Res]) -> list[Res]:
        for server in _servers(resources, role):
            text = _plain(server.props["userData"])
            changed = change(text)
            assert changed != text, "the variant must change the rendered user-data"
            server.props["userData"] = secret(changed)
        return resources

    return edit


def _drop_prop(role: str, key: str) -> Edit:
    def edit(resources: list[Res]) -> list[Res]:
        server = _servers(resources, role)[0]
        del server.props[key]
        server.dependencies = []  # the ids it referred to are gone with the property
        return resources

    return edit


def _open_to_world(port: str, protocol: str = "tcp") -> Edit:
    def edit(resources: list[Res]) -> list[Res]:
        firewall = next(r for r in resources if r.type == fx.FIREWALL)
        firewall.props["rules"].append(fx.rule(port, ["0.0.0.0/0", "::/0"], protocol))
        return resources

    return edit


def _public_api_lb(resources: list[Res]) -> list[Res]:
    return [r for r in resources if r.type != fx.LB_NETWORK]


def _add(*extra: Res) -> Edit:
    return lambda resources: [*resources, *extra]


def _public_database() -> Edit:
    db = fx.server(
        "db", "database", user_data=secret(fx.db_user_data()), deleteProtection=True, rebuildProtection=True
    )
    firewall = fx.db_firewall(fx.rule("5432", ["0.0.0.0/0"]))
    return _add(firewall, db)


_C0 = "spec.template.spec.containers.0"
_K3S_ENCRYPTION = "secrets-encryption: true"

VARIANTS = [
    Variant(
        "dev-ssh-and-api-open-to-world",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "22/tcp (SSH)",
        overrides={"adminCidrs": ["0.0.0.0/0"]},
    ),
    Variant(
        "dev-admin-ipv6-world",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "the Kubernetes API",
        overrides={"adminCidrs": ["::/0"]},
    ),
    Variant(
        "dev-world-split-in-halves",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "0.0.0.0/1",
        overrides={"adminCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
    ),
    Variant(
        "prod-without-protection",
        "prod",
        "hcloud-prod-protection",
        "deleteProtection",
        overrides={"protect": False},
    ),
    Variant(
        "prod-kubelet-open-to-world",
        "prod",
        "hcloud-firewall-no-world-admin-ports",
        "10250/tcp",
        edit=_open_to_world("10250"),
    ),
    Variant(
        "prod-flannel-open-to-world",
        "prod",
        "hcloud-firewall-no-world-admin-ports",
        "8472/udp",
        edit=_open_to_world("8472", "udp"),
    ),
    Variant(
        "prod-agent-without-firewall",
        "prod",
        "hcloud-server-has-firewall",
        "has no firewall",
        edit=_drop_prop("agent", "firewallIds"),
    ),
    Variant(
        "prod-server-without-ssh-keys",
        "prod",
        "hcloud-server-ssh-keys",
        "has no sshKeys",
        edit=_drop_prop("agent", "sshKeys"),
    ),
    Variant(
        "prod-api-on-public-load-balancer",
        "prod",
        "k3s-api-not-on-public-lb",
        "forwards port 6443",
        edit=_public_api_lb,
    ),
    Variant(
        "prod-k3s-without-secrets-encryption",
        "prod",
        "k3s-server-hardening",
        "secrets encryption",
        edit=_edit_user_data(
            "control-plane", lambda t: t.replace(_K3S_ENCRYPTION, "secrets-encryption: false")
        ),
    ),
    Variant(
        "dev-k3s-without-audit-log",
        "dev",
        "k3s-server-hardening",
        "the audit log",
        edit=_edit_user_data("control-plane", lambda t: t.replace("audit-log-path", "audit-log-maxage")),
    ),
    Variant(
        "dev-k3s-without-metadata-block",
        "dev",
        "k3s-server-hardening",
        "169.254.169.254",
        edit=_edit_user_data("control-plane", lambda t: t.replace("-j DROP", "-j ACCEPT")),
    ),
    Variant(
        "prod-public-database",
        "prod",
        "hcloud-database-not-public",
        "reachable from the public internet",
        edit=_public_database(),
    ),
    Variant(
        "prod-database-without-backups",
        "prod",
        "hcloud-prod-database-backups",
        "no off-site backup",
        edit=_add(
            fx.server(
                "db",
                "database",
                deleteProtection=True,
                rebuildProtection=True,
                user_data=secret(fx.db_user_data("[global]\nrepo1-type=posix\n")),
            )
        ),
    ),
    Variant(
        "dev-privileged-pod",
        "dev",
        "workload-no-privileged",
        "runs privileged",
        edit=_add(fx.changed(fx.deployment(), f"{_C0}.securityContext.privileged", True)),
    ),
    Variant(
        "dev-latest-image",
        "dev",
        "workload-image-pinned",
        "uses the `latest` tag",
        edit=_add(fx.changed(fx.deployment(), f"{_C0}.image", "ghcr.io/acme/web:latest")),
    ),
    Variant(
        "dev-password-in-env",
        "dev",
        "workload-no-secret-env-literals",
        "DATABASE_PASSWORD",
        edit=_add(
            fx.changed(fx.deployment(), f"{_C0}.env", [{"name": "DATABASE_PASSWORD", "value": "hunter2"}])
        ),
    ),
    Variant(
        "dev-host-path-runtime-socket",
        "dev",
        "workload-no-host-path",
        "container runtime socket",
        edit=_add(
            fx.changed(
                fx.deployment(),
                "spec.template.spec.volumes",
                [{"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock"}}],
            )
        ),
    ),
    Variant(
        "dev-ingress-without-tls",
        "dev",
        "exposure-ingress-tls",
        "has no spec.tls",
        edit=_add(fx.ingress(tls=False), fx.cluster_issuer(), fx.traefik_config()),
    ),
    Variant(
        "dev-node-port-service",
        "dev",
        "exposure-no-node-port",
        "is type NodePort",
        edit=_add(fx.service(type_="NodePort")),
    ),
    Variant(
        "dev-namespace-without-default-deny",
        "dev",
        "namespace-default-deny",
        "no default-deny",
        edit=_add(fx.namespace()),
    ),
    Variant(
        "dev-namespace-without-pod-security",
        "dev",
        "namespace-pod-security-label",
        "has no pod-security",
        edit=_add(fx.namespace(level=None), fx.default_deny()),
    ),
    Variant(
        "prod-staging-certificates",
        "prod",
        "prod-cluster-issuer-letsencrypt-production",
        "acme-staging",
        edit=_add(fx.ingress(), fx.traefik_config(), fx.cluster_issuer(server_url=fx.LE_STAGING)),
    ),
    Variant(
        "prod-single-replica-web",
        "prod",
        "prod-web-tier-availability",
        "runs 1 replica(s)",
        edit=_add(fx.deployment(replicas=1), fx.pdb()),
    ),
]


def _resources(variant: Variant, request: pytest.FixtureRequest) -> list[Res]:
    if variant.overrides is not None:
        return as_resources(run_program(variant.stack, overrides=variant.overrides))
    base: ProgramRun = request.getfixturevalue(f"{variant.stack}_run")
    return as_resources(base)


def test_there_are_at_least_fifteen_variants_over_distinct_policies() -> None:
    assert len(VARIANTS) >= 15
    assert len({v.policy for v in VARIANTS}) >= 15


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_insecure_variant_fails_on_the_right_policy(variant: Variant, request: pytest.FixtureRequest) -> None:
    resources = _resources(variant, request)
    if variant.edit is not None:
        resources = variant.edit(resources)
    diagnostics = verdict(variant.stack, resources)
    hits = [d for d in diagnostics if d.policy == variant.policy and d.level == "mandatory"]
    assert hits, f"{variant.policy} did not fire; got {sorted(mandatory(diagnostics))}"
    assert any(variant.says in d.message for d in hits), [d.message for d in hits]
