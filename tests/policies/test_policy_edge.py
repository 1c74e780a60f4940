"""Cloud edge (hcloud) policies: each fires on what a user could plausibly configure, and is quiet on the
program's compliant shape."""

from __future__ import annotations

import pytest

from . import policy_fixtures as fx
from .policy_fixtures import (
    FIREWALL_ATTACHMENT,
    VOLUME,
    changed,
    control_plane,
    database,
    db_firewall,
    db_user_data,
    load_balancer,
    nodes_firewall,
    rule,
    server,
)
from .policy_wire import UNKNOWN_ARRAY, UNKNOWN_STRING, Case, Pack, Res, check_case, fired, secret

PROD = {
    "hcloud-prod-protection": {"environment": "prod"},
    "hcloud-prod-database-backups": {"environment": "prod"},
}
DEV = {
    "hcloud-prod-protection": {"environment": "dev"},
    "hcloud-prod-database-backups": {"environment": "dev"},
}

agent = server("agent-1", "agent")
DASHBOARD = fx.TRAEFIK_VALUES + "  traefik:\n    expose: {default: true}\n    exposedPort: 9000\n"
volume = Res(
    VOLUME, "pgdata", {"name": "prod-pgdata", "size": 40, "format": "ext4", "deleteProtection": True}
)
no_backups = db_user_data(pgbackrest="[global]\nrepo1-type=posix\nrepo1-path=/var/lib/pgbackrest\n")
unencrypted = db_user_data(pgbackrest="[global]\nrepo1-type=s3\nrepo1-s3-bucket=b\n")

CASES = [
    Case(
        "hcloud-firewall-no-world-admin-ports",
        [nodes_firewall(rule("22", ["0.0.0.0/0"]))],
        [nodes_firewall()],
        "lets 0.0.0.0/0 reach 22/tcp (SSH)",
    ),
    Case(
        "hcloud-firewall-no-world-admin-ports",
        [nodes_firewall(rule("6443", ["::/0"]))],
        [nodes_firewall()],
        "6443/tcp (the Kubernetes API)",
    ),
    Case(
        "hcloud-firewall-no-world-admin-ports",
        [nodes_firewall(rule("any", ["0.0.0.0/1", "128.0.0.0/1"]))],
        [nodes_firewall(rule("443", ["0.0.0.0/0", "::/0"]))],
        "10250/tcp (the kubelet API)",
    ),
    Case(
        "hcloud-firewall-no-world-admin-ports",
        [nodes_firewall(rule("8472", ["0.0.0.0/0"], "udp"))],
        [nodes_firewall(rule("8472", ["10.0.0.0/16"], "udp"))],
        "8472/udp (flannel VXLAN)",
    ),
    Case(
        "hcloud-firewall-no-world-admin-ports",
        [nodes_firewall(rule("30000-32767", ["0.0.0.0/0"]))],
        [nodes_firewall(rule("80", ["0.0.0.0/0"]))],
        "port(s) 30000-32767/tcp",
    ),
    Case(
        "hcloud-server-has-firewall",
        [nodes_firewall(), changed(agent, "labels.platform/role", "worker")],
        [nodes_firewall(), agent],
        "Server 'prod-agent-1' has no firewall",
    ),
    Case(
        "hcloud-database-not-public",
        [db_firewall(rule("5432", ["0.0.0.0/0"])), database()],
        [db_firewall(), database()],
        "firewall 'prod-database' inbound rule 2 admits 0.0.0.0/0",
    ),
    Case(
        "hcloud-database-not-public",
        [db_firewall(rule("5432", ["198.51.100.0/24"])), database()],
        [db_firewall(rule("5432", ["10.0.0.0/16"])), database()],
        "admits 198.51.100.0/24 on port 5432",
    ),
    Case(
        "hcloud-database-not-public",
        [database()],
        [database(publicNets=[{"ipv4Enabled": False, "ipv6Enabled": False}])],
        "has a public interface and no firewall",
    ),
    Case(
        "hcloud-public-lb-web-ports-only",
        load_balancer("ingress", public=True, ports=[443, 8080]),
        load_balancer("ingress", public=True, ports=[80, 443]),
        "listens on port 8080",
    ),
    Case(
        "hcloud-public-lb-web-ports-only",
        [fx.traefik_config(DASHBOARD)],
        [fx.traefik_config()],
        "Traefik's load balancer (entry point 'traefik') has a public interface and listens on port 9000",
    ),
    Case(
        "hcloud-public-lb-web-ports-only",
        [fx.changed(fx.service("traefik", "kube-system", "LoadBalancer"), "spec.ports.0.port", 8080)],
        [fx.service("traefik", "kube-system", "LoadBalancer")],
        "listens on port 8080",
    ),
    Case("hcloud-server-ssh-keys", [changed(agent, "sshKeys", [])], [agent], "has no sshKeys"),
    Case(
        "hcloud-prod-protection",
        [database(deleteProtection=False)],
        [database()],
        "has deleteProtection off",
        config=PROD,
    ),
    Case(
        "hcloud-prod-protection",
        [changed(volume, "deleteProtection", False)],
        [volume],
        "Volume 'prod-pgdata' holds state in prod",
        config=PROD,
    ),
    Case(
        "hcloud-prod-database-backups",
        [database(userData=no_backups)],
        [database()],
        "has no off-site backup in prod",
        config=PROD,
    ),
    Case(
        "hcloud-prod-database-backups",
        [database(userData=unencrypted)],
        [database()],
        "sends backups off-site unencrypted",
        config=PROD,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_fires_on_violation_and_is_quiet_on_compliance(case: Case) -> None:
    check_case(case)


def test_snake_case_props_would_pass_vacuously_so_fixtures_use_wire_names() -> None:
    """A rule written with SDK names is invisible to the policy: the reason every fixture uses camelCase."""
    snake = rule("22", ["0.0.0.0/0"])
    snake["source_ips"] = snake.pop("sourceIps")
    assert fired(Pack().analyze(nodes_firewall(snake)), "hcloud-firewall-no-world-admin-ports") == []


def test_world_rule_with_unknown_sources_is_reported_as_cannot_run_not_as_pass() -> None:
    found = fired(
        Pack().analyze(nodes_firewall(rule("22", UNKNOWN_ARRAY))), "hcloud-firewall-no-world-admin-ports"
    )
    assert [d.level for d in found] == []  # an unknown list is skipped element-wise: nothing to judge yet
    found = fired(
        Pack().analyze(nodes_firewall(rule("22", [UNKNOWN_STRING, "0.0.0.0/0"]))),
        "hcloud-firewall-no-world-admin-ports",
    )
    assert [d.level for d in found] == ["mandatory"]


@pytest.mark.parametrize("ids", [UNKNOWN_ARRAY, [UNKNOWN_STRING]], ids=["unknown list", "unknown element"])
def test_firewall_ids_unknown_in_preview_are_pending_not_a_violation_nor_a_pass(ids: object) -> None:
    """A fresh stack's server lists a firewall being created: its id (or the list) is unknown."""
    lone = changed(agent, "labels.platform/role", "worker")
    pending = changed(lone, "firewallIds", ids)
    (found,) = fired(Pack().analyze_stack([nodes_firewall(), pending]), "hcloud-server-has-firewall")
    assert found.level == "advisory"
    assert "can't run policy" in found.message and "firewallIds not known yet" in found.message


def test_firewall_attachment_by_server_id_counts() -> None:
    lone = changed(agent, "labels.platform/role", "worker")
    firewall = changed(nodes_firewall(), "applyTos", [])
    attachment = Res(FIREWALL_ATTACHMENT, "attach", {"firewallId": 5, "serverIds": [UNKNOWN_STRING]})
    attachment.depends_on(firewall, "firewallId").depends_on(lone, "serverIds")
    assert fired(Pack().analyze_stack([firewall, lone, attachment]), "hcloud-server-has-firewall") == []
    assert fired(Pack().analyze_stack([firewall, lone]), "hcloud-server-has-firewall")


def test_database_answering_ping_from_the_world_is_not_reachable_service() -> None:
    ping = {"direction": "in", "protocol": "icmp", "sourceIps": ["0.0.0.0/0", "::/0"]}
    assert fired(Pack().analyze_stack([db_firewall(ping), database()]), "hcloud-database-not-public") == []


def test_traefik_behind_a_private_load_balancer_may_expose_more() -> None:
    values = (
        DASHBOARD
        + "service:\n  annotations:\n    load-balancer.hetzner.cloud/disable-public-network: 'true'\n"
    )
    assert fired(Pack().analyze_stack([fx.traefik_config(values)]), "hcloud-public-lb-web-ports-only") == []
    metrics = fx.TRAEFIK_VALUES + "  metrics:\n    expose: true\n    port: 9100\n"
    (diagnostic,) = fired(
        Pack().analyze_stack([fx.traefik_config(metrics)]), "hcloud-public-lb-web-ports-only"
    )
    assert "entry point 'metrics'" in diagnostic.message and "port 9100" in diagnostic.message


def test_public_lb_with_private_interface_only_may_serve_any_port() -> None:
    found = Pack().analyze_stack(load_balancer("api", public=False, ports=[6443, 9345]))
    assert fired(found, "hcloud-public-lb-web-ports-only") == []


def test_protection_and_backups_are_off_outside_prod_and_on_when_config_is_missing() -> None:
    bare = database(deleteProtection=False, userData=no_backups)
    assert fired(Pack(DEV).analyze(bare), "hcloud-prod-protection") == []
    assert fired(Pack(DEV).analyze(bare), "hcloud-prod-database-backups") == []
    assert fired(Pack({}).analyze(bare), "hcloud-prod-protection")  # no environment given: strict


def test_stateful_roles_threshold_narrows_protection_to_the_database() -> None:
    config = {"hcloud-prod-protection": {"environment": "prod", "statefulRoles": ["database"]}}
    assert fired(Pack(PROD).analyze(control_plane()), "hcloud-prod-protection")
    assert fired(Pack(config).analyze(control_plane()), "hcloud-prod-protection") == []


def test_named_exemption_silences_only_that_resource() -> None:
    config = {
        "hcloud-firewall-no-world-admin-ports": {
            "exemptions": [{"name": "prod-nodes", "reason": "temporary bastion during migration"}]
        }
    }
    bad = nodes_firewall(rule("22", ["0.0.0.0/0"]))
    assert fired(Pack(config).analyze(bad), "hcloud-firewall-no-world-admin-ports") == []
    other = changed(bad, "name", "prod-other")
    assert fired(Pack(config).analyze(other), "hcloud-firewall-no-world-admin-ports")


def test_plain_user_data_with_secrets_is_remediated_into_a_secret() -> None:
    plain = control_plane(labels={"platform/role": "control-plane"}, sshKeys=secret(["101"]))
    ((policy, props),) = Pack().remediate(plain)
    assert policy == "hcloud-server-user-data-secret"
    assert props["userData"]["value"] == plain.props["userData"]
    assert props["userData"]["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    assert props["sshKeys"]["value"] == ["101"]  # other secrets keep their secretness
    assert props["serverType"] == "cx33"


def test_secret_user_data_and_user_data_without_secrets_are_left_alone() -> None:
    assert (
        Pack().remediate(changed(control_plane(), "userData", secret(control_plane().props["userData"])))
        == []
    )
    assert Pack().remediate(server("agent-2", "agent", user_data="#cloud-config\npackages: [jq]\n")) == []
