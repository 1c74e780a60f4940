"""The offline preview over the real stacks: dev and prod pass; insecure variants exit non-zero naming
the right policy.

Every case runs `python -m offline preview` (its `main`, in-process): the real program under the mocks,
the pack in `policies/` started as its own process and driven over the Analyzer gRPC protocol with each
stack's `config.<stack>.json`, and the exit status a CI job sees. Variants are things a user could
plausibly do:
- set stack config (`--set`, the real program with other values);
- edit a component by hand (the real registrations with one property changed);
- add a resource to the stack by hand (the real registrations plus one object).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import offline.cli
import offline.preview_run
from offline.policy.gate import run_policy_pack
from offline.policy.pack import StackContext
from offline.program import ProgramRun, Registration
from offline.wire import is_secret, reveal, secret

from ..cloud_init_files import decoded
from . import policy_fixtures as fx
from .policy_wire import POLICIES_DIR, Res

SERVER = "hcloud:index/server:Server"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def preview(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stack: str,
    *args: str,
    run: ProgramRun | None = None,
) -> Outcome:
    """The offline preview's exit status and report; `run` stands in for the program's registrations."""
    if run is not None:
        monkeypatch.setattr(offline.preview_run, "run_with_settings", lambda *a, **kw: run)
    code = offline.cli.main(["preview", stack, *args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_pass_with_no_mandatory_violation(
    stack: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = copy.deepcopy(request.getfixturevalue(f"{stack}_run"))  # the session's run stays untouched
    outcome = preview(monkeypatch, capsys, stack, run=run)
    assert (outcome.code, outcome.err) == (0, "")
    assert "platform-security@v0.1.0" in outcome.out and "❌" not in outcome.out
    assert "[mandatory]" not in outcome.out and "can't run policy" not in outcome.out


def test_real_servers_are_actually_checked(dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    """Guards against a vacuous pass: the policies see the roles, user-data and firewalls they look for."""
    servers = [r for r in dev_run.resources if r.type == SERVER]
    assert {r.plain("labels")["platform/role"] for r in servers} == {"control-plane", "agent", "database"}
    assert all(is_secret(r.inputs["userData"]) for r in servers)
    assert all(r.plain("firewallIds") for r in servers)
    deployments = [r for r in prod_run.resources if r.type == "kubernetes:apps/v1:Deployment"]
    (web,) = [r for r in deployments if r.name == "app-web"]
    assert web.plain("spec")["template"]["metadata"]["labels"]["app.kubernetes.io/instance"] == "web"


# --- variants ----------------------------------------------------------------------------------------

Edit = Callable[[list[Registration]], list[Registration]]


@dataclass(frozen=True)
class Variant:
    id: str
    stack: str
    policy: str
    says: str
    sets: tuple[str, ...] = ()
    edit: Edit | None = None


def _servers(resources: list[Registration], role: str) -> list[Registration]:
    return [r for r in resources if r.type == SERVER and r.plain("labels")["platform/role"] == role]


def _set(resource: Registration, key: str, value: Any) -> None:
    """Change a property the way a code change would: in the inputs and in the outputs that echo them."""
    resource.inputs[key] = value
    if key in resource.outputs:
        resource.outputs[key] = value


def _delete(resource: Registration, key: str) -> None:
    resource.inputs.pop(key, None)
    resource.outputs.pop(key, None)
    gone = set(resource.property_dependencies.pop(key, []))
    resource.dependencies = [d for d in resource.dependencies if d not in gone]


def _plain_user_data(user_data: str) -> str:
    """The same document with every write_files entry as plain text (as someone editing it by hand)."""
    document = yaml.safe_load(user_data)
    document["write_files"] = [
        {**{k: v for k, v in entry.items() if k != "encoding"}, "content": decoded(entry)}
        for entry in document["write_files"]
    ]
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False)


def _edit_user_data(role: str, change: Callable[[str], str]) -> Edit:
    def edit(resources: list[Registration]) -> list[Registration]:
        for server in _servers(resources, role):
            text = _plain_user_data(reveal(server.inputs["userData"]))
            assert change(text) != text, "the variant must change the rendered user-data"
            _set(server, "userData", secret(change(text)))
        return resources

    return edit


def _drop_prop(role: str, key: str) -> Edit:
    def edit(resources: list[Registration]) -> list[Registration]:
        _delete(_servers(resources, role)[0], key)
        return resources

    return edit


def _open_to_world(port: str, protocol: str = "tcp") -> Edit:
    def edit(resources: list[Registration]) -> list[Registration]:
        firewall = next(r for r in resources if r.type == fx.FIREWALL)
        _set(firewall, "rules", [*firewall.inputs["rules"], fx.rule(port, ["0.0.0.0/0", "::/0"], protocol)])
        return resources

    return edit


def _public_api_lb(resources: list[Registration]) -> list[Registration]:
    assert any(r.type == fx.LB_NETWORK for r in resources)
    return [r for r in resources if r.type != fx.LB_NETWORK]


def _registration(res: Res) -> Registration:
    return Registration(
        urn=res.urn,
        type=res.type,
        name=res.name,
        parent="",
        custom=True,
        provider="",
        dependencies=list(res.dependencies),
        inputs=copy.deepcopy(res.props),
        protect=False,
        ignore_changes=[],
        delete_before_replace=False,
        additional_secret_outputs=[],
        property_dependencies=dict(res.property_dependencies),
    )


def _add(*extra: Res) -> Edit:
    return lambda resources: [*resources, *(_registration(r) for r in extra)]


def _database(*firewall_rules: dict[str, Any], pgbackrest: str = fx.PGBACKREST) -> Edit:
    db = fx.server(
        "db",
        "database",
        user_data=secret(fx.db_user_data(pgbackrest)),
        deleteProtection=True,
        rebuildProtection=True,
    )
    return _add(fx.db_firewall(*firewall_rules), db)


_C0 = "spec.template.spec.containers.0"
_WORLD = 'adminCidrs=["0.0.0.0/0"]'

VARIANTS = [
    Variant(
        "dev-ssh-and-api-open-to-world",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "22/tcp (SSH)",
        sets=(_WORLD,),
    ),
    Variant(
        "dev-admin-ipv6-world",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "the Kubernetes API",
        sets=('adminCidrs=["::/0"]',),
    ),
    Variant(
        "dev-world-split-in-halves",
        "dev",
        "hcloud-firewall-no-world-admin-ports",
        "0.0.0.0/1",
        sets=('adminCidrs=["0.0.0.0/1", "128.0.0.0/1"]',),
    ),
    Variant(
        "prod-without-protection",
        "prod",
        "hcloud-prod-protection",
        "deleteProtection",
        sets=("protect=false",),
    ),
    Variant(
        "prod-single-web-replica",
        "prod",
        "prod-web-tier-availability",
        "runs 1 replica(s)",
        sets=("app.web.minReplicas=1",),
    ),
    Variant(
        "prod-staging-issuer",
        "prod",
        "prod-cluster-issuer-letsencrypt-production",
        "acme-staging",
        sets=("ingress.issuer=letsencrypt-staging",),
    ),
    Variant(
        "dev-password-in-plain-env",
        "dev",
        "workload-no-secret-env-literals",
        "env DATABASE_PASSWORD",
        sets=('app.web.env={"DATABASE_PASSWORD": "hunter2"}',),
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
        "prod-etcd-snapshots-local-only",
        "prod",
        "k3s-prod-etcd-offsite",
        "keeps etcd snapshots only on its own disk in prod",
        sets=("cluster.etcdBackup.offsite=false",),
    ),
    Variant(
        "prod-k3s-without-secrets-encryption",
        "prod",
        "k3s-server-hardening",
        "secrets encryption",
        edit=_edit_user_data(
            "control-plane", lambda t: t.replace("secrets-encryption: true", "secrets-encryption: false")
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
        edit=_database(fx.rule("5432", ["0.0.0.0/0"])),
    ),
    Variant(
        "prod-database-without-backups",
        "prod",
        "hcloud-prod-database-backups",
        "no off-site backup",
        edit=_database(pgbackrest="[global]\nrepo1-type=posix\n"),
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
]


def test_there_are_at_least_fifteen_variants_over_distinct_policies() -> None:
    assert len(VARIANTS) >= 15
    assert len({v.policy for v in VARIANTS}) >= 15


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_insecure_variant_fails_the_offline_preview_on_the_right_policy(
    variant: Variant,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if variant.edit is None:
        outcome = preview(
            monkeypatch, capsys, variant.stack, *(a for s in variant.sets for a in ("--set", s))
        )
    else:
        run = copy.deepcopy(request.getfixturevalue(f"{variant.stack}_run"))
        run.resources = variant.edit(run.resources)
        outcome = preview(monkeypatch, capsys, variant.stack, run=run)
    assert outcome.code == offline.cli.EXIT_POLICY, outcome.err or outcome.out
    assert re.search(rf"\[mandatory\]\s+{re.escape(variant.policy)}\s", outcome.out), outcome.out
    assert variant.says in outcome.out


def test_plain_user_data_is_made_secret_by_the_pack_in_the_offline_gate(dev_run: ProgramRun) -> None:
    """The remediation runs in the pack process before Analyze, as the engine orders it."""
    run = copy.deepcopy(dev_run)
    (control_plane,) = _servers(run.resources, "control-plane")
    _set(control_plane, "userData", reveal(control_plane.inputs["userData"]))
    context = StackContext("organization", run.settings.project, "dev", {})
    report, analyzed = run_policy_pack(POLICIES_DIR, run.resources, context, POLICIES_DIR / "config.dev.json")
    assert [(r.policy, r.urn) for r in report.remediations] == [
        ("hcloud-server-user-data-secret", control_plane.urn)
    ]
    (after,) = [r for r in analyzed if r.urn == control_plane.urn]
    assert is_secret(after.inputs["userData"])
    assert reveal(after.inputs["userData"]) == reveal(control_plane.inputs["userData"])
    assert report.passed


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"hcloud-prod-protection": {"environment": "production"}}, "'production' is not one of"),
        ({"workload-probes": {"exemption": []}}, "unknown config key(s) exemption; it accepts exemptions"),
    ],
)
def test_bad_policy_config_stops_the_offline_preview_with_the_reason(
    config: dict[str, Any],
    complaint: str,
    tmp_path: Path,
    dev_run: ProgramRun,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    outcome = preview(
        monkeypatch, capsys, "dev", "--policy-config", str(config_file), run=copy.deepcopy(dev_run)
    )
    assert outcome.code == offline.cli.EXIT_INPUT
    assert complaint in outcome.err
