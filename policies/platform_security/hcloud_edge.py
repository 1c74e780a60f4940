"""Cloud edge (Hetzner): what no existing scanner checks for hcloud (research dr_obs_policy.md §C.3)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity
from pulumi_policy.secret import Secret

from .cloudinit import UserDataError, parse_user_data
from .framework import (
    ENVIRONMENT_SCHEMA,
    Doc,
    PendingError,
    Settings,
    Subject,
    remediation_policy,
    resource_policy,
    stack_policy,
)
from .net import ADMIN_PORTS, admin_services, is_private, is_world, parse_port
from .props import UNKNOWN, as_int, is_list, items, peek
from .secrets import carries_secrets
from .topology import (
    FIREWALL,
    LOAD_BALANCER,
    SERVER,
    VOLUME,
    firewalls_for,
    inbound_rules,
    load_balancer_is_public,
    of_type,
    role,
    rule_sources,
    services_of,
)
from .traefik import PRIVATE_ANNOTATION, exposed_ports, service_is_public, traefik_values

FAMILY = "hcloud-edge"
K8S_SERVICE = "kubernetes:core/v1:Service"
MANDATORY = EnforcementLevel.MANDATORY

_PORT_LIST = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": 65535},
    "uniqueItems": True,
}


def _ports(settings: Mapping[str, Any], key: str) -> set[int]:
    return {int(p) for p in settings[key]}


# --- firewall rules open to the world ------------------------------------------------------------


def _world_rule_findings(firewall: Subject, allowed: set[int]) -> Iterator[str]:
    for index, rule in inbound_rules(firewall):
        protocol = str(peek(rule, "protocol", default="")).lower()
        if protocol not in ("tcp", "udp"):
            continue
        world = [s for s in rule_sources(rule) if is_world(s)]
        ports = parse_port(peek(rule, "port", default="any"))
        if not world or ports is None:
            continue
        outside = [p for p in range(ports.low, ports.high + 1) if p not in allowed]
        if not outside:
            continue
        services = admin_services(protocol, ports)
        what = ", ".join(services) if services else f"port(s) {ports}/{protocol}"
        label = peek(rule, "description")
        named = f" ({label})" if isinstance(label, str) and label else ""
        yield (
            f"Firewall '{firewall.name}' inbound rule {index}{named} lets {', '.join(world)} reach {what}. "
            f"Restrict sourceIps to your adminCidrs (office or VPN addresses) or the private network; "
            f"only {sorted(allowed)} may be open to the whole internet."
        )


def _check_firewall(subject: Subject, settings: Settings) -> Iterable[str]:
    return _world_rule_findings(subject, _ports(settings, "worldOpenPorts"))


firewall_no_world_admin_ports = resource_policy(
    name="hcloud-firewall-no-world-admin-ports",
    description="Hetzner firewalls must not open SSH, the Kubernetes API, kubelet, etcd, flannel, "
    "the database, "
    "node-exporter or any other non-web port to 0.0.0.0/0 or ::/0.",
    level=MANDATORY,
    types=[FIREWALL],
    check=_check_firewall,
    severity=Severity.CRITICAL,
    config={
        "worldOpenPorts": {
            **_PORT_LIST,
            "default": [80, 443],
            "description": "Ports an inbound rule may open to the whole internet.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="Admin and cluster-internal ports ("
        + ", ".join(sorted({f"{p}/{proto}" for proto, p in ADMIN_PORTS}, key=lambda s: int(s.split("/")[0])))
        + ") reachable from the internet; a world range split into halves (0.0.0.0/1) counts as the world.",
        comply="Set `adminCidrs` to your office/VPN addresses; cluster ports stay on the private network.",
        exempt="`exemptions` by firewall name; `worldOpenPorts` (default 80, 443)",
    ),
)


# --- every server behind a firewall ------------------------------------------------------------


def _check_server_firewalls(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    waiting: list[str] = []
    for server in of_type(subjects, SERVER):
        firewalls, pending = firewalls_for(server, subjects)
        if firewalls:
            continue
        if pending:
            waiting.append(server.name)
            continue
        yield (
            f"Server '{server.name}' has no firewall: neither firewallIds, a firewall applyTo label selector "
            "matching its labels, nor a FirewallAttachment covers it, so every port it listens on is public. "
            "Attach the Network component's firewall (firewallIds) or label the server so the firewall's "
            "selector matches it.",
            server.urn,
        )
    if waiting:
        raise PendingError(_firewalls_pending(waiting))


def _firewalls_pending(servers: list[str]) -> str:
    return (
        f"the firewalls of server(s) {', '.join(sorted(servers))} are being created "
        "(firewallIds not known yet); checked during `pulumi up`"
    )


server_has_firewall = stack_policy(
    name="hcloud-server-has-firewall",
    description="Every Hetzner server must be covered by a firewall, directly or by label selector.",
    level=MANDATORY,
    check=_check_server_firewalls,
    severity=Severity.CRITICAL,
    doc=Doc(
        family=FAMILY,
        prevents="A new node joining with every listening port public because nothing attached a firewall.",
        comply="Pass `firewallIds`, or give the server the labels a firewall's "
        "`applyTos.labelSelector` selects.",
        exempt="`exemptions` by server name",
    ),
)


# --- the database server is private ----------------------------------------------------------------


def _has_public_interface(server: Subject) -> bool:
    nets = list(items(peek(server.props, "publicNets")))
    if not nets:
        return True  # Hetzner gives a server public IPv4 and IPv6 unless publicNets turns them off
    return any(
        peek(n, "ipv4Enabled", default=True) is not False or peek(n, "ipv6Enabled", default=True) is not False
        for n in nets
    )


def _check_database_private(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    db_ports = _ports(settings, "databasePorts")
    waiting: list[str] = []
    for server in of_type(subjects, SERVER):
        if role(server) != "database" or not _has_public_interface(server):
            continue
        firewalls, pending = firewalls_for(server, subjects)
        if not firewalls and pending:
            waiting.append(server.name)
            continue
        if not firewalls:
            yield (
                f"Database server '{server.name}' has a public interface and no firewall: PostgreSQL is "
                "reachable from the internet. Turn off publicNets (ipv4Enabled/ipv6Enabled false) or attach "
                "a firewall that allows only SSH from adminCidrs.",
                server.urn,
            )
            continue
        for firewall in firewalls:
            for index, rule in inbound_rules(firewall):
                if str(peek(rule, "protocol", default="")).lower() not in ("tcp", "udp"):
                    continue  # ping and path-MTU discovery reach no service
                ports = parse_port(peek(rule, "port", default="any"))
                sources = rule_sources(rule)
                world = [s for s in sources if is_world(s)]
                public = [s for s in sources if not is_private(s)]
                exposes_db = ports is not None and any(ports.covers(p) for p in db_ports)
                if world or (exposes_db and public):
                    yield (
                        f"Database server '{server.name}' is reachable from the public internet: firewall "
                        f"'{firewall.name}' inbound rule {index} admits {', '.join(world or public)} on port "
                        f"{peek(rule, 'port', default='any')}. Database ports may only be reached from the "
                        "private network; remove the rule or limit it to SSH from adminCidrs.",
                        server.urn,
                    )
    if waiting:
        raise PendingError(_firewalls_pending(waiting))


database_not_public = stack_policy(
    name="hcloud-database-not-public",
    description="The database server must not be reachable from the public internet.",
    level=MANDATORY,
    check=_check_database_private,
    severity=Severity.CRITICAL,
    config={
        "databasePorts": {
            **_PORT_LIST,
            "default": [5432, 6432],
            "description": "Ports that must only be reachable from private addresses.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="PostgreSQL (or anything on the DB VM) reachable from the internet: a world-open "
        "rule on its "
        "firewall, a database port open to any public address, or a public interface with no firewall.",
        comply="Give the DB server (label `platform/role=database`) its own firewall with SSH from "
        "adminCidrs "
        "only, or no public interface at all.",
        exempt="`exemptions` by server name; `databasePorts` (default 5432, 6432)",
    ),
)


# --- public load balancers serve the web only --------------------------------------------------------


def _hcloud_lb_ports(subjects: list[Subject]) -> Iterator[tuple[Subject, int, str]]:
    for lb in of_type(subjects, LOAD_BALANCER):
        if not load_balancer_is_public(lb, subjects):
            continue
        for service in services_of(lb, subjects):
            port = as_int(peek(service.props, "listenPort"))
            protocol = peek(service.props, "protocol")
            if port is None and isinstance(protocol, str):
                port = {"http": 80, "https": 443}.get(protocol)
            if port is not None:
                yield lb, port, f"Load balancer '{lb.name}'"


def _cluster_lb_ports(subjects: list[Subject]) -> Iterator[tuple[Subject, int, str]]:
    """Ports of the load balancers the Hetzner CCM buys for Services of type LoadBalancer."""
    for owner, values in traefik_values(subjects):
        if service_is_public(values):
            for entry_point, port in exposed_ports(values):
                yield owner, port, f"Traefik's load balancer (entry point '{entry_point}')"
    for service in subjects:
        if service.type != K8S_SERVICE or peek(service.props, "spec", "type") != "LoadBalancer":
            continue
        if service.annotations.get(PRIVATE_ANNOTATION, "false").lower() == "true":
            continue
        for entry in items(peek(service.props, "spec", "ports")):
            service_port = as_int(peek(entry, "port"))
            if service_port is not None:
                yield service, service_port, f"The load balancer of {service.display}"


def _check_public_lb_ports(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    allowed = _ports(settings, "publicPorts")
    for owner, port, what in [*_hcloud_lb_ports(subjects), *_cluster_lb_ports(subjects)]:
        if port not in allowed:
            yield (
                f"{what} has a public interface and listens on port {port}: Hetzner firewalls do not cover "
                f"load balancers, so the port is open to the world. Serve only {sorted(allowed)} publicly; "
                "keep the rest on the private network (LoadBalancerNetwork with enablePublicInterface=false, "
                f'or the Service annotation {PRIVATE_ANNOTATION}: "true").',
                owner.urn,
            )


public_lb_web_only = stack_policy(
    name="hcloud-public-lb-web-ports-only",
    description="Public Hetzner load balancers, including those the CCM creates for Traefik and other "
    "LoadBalancer Services, may only expose HTTP and HTTPS (80/443).",
    level=MANDATORY,
    check=_check_public_lb_ports,
    config={
        "publicPorts": {
            **_PORT_LIST,
            "default": [80, 443],
            "description": "Ports a load balancer with a public interface may listen on.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="Any non-web port on a load balancer with a public interface (firewalls do not apply to "
        "LBs): Pulumi-made ones, Traefik's (dashboard, metrics entry points) and other LoadBalancer "
        "Services.",
        comply="Keep internal services (API, join) on a load balancer with `enablePublicInterface: false`; "
        "expose only Traefik's web and websecure entry points.",
        exempt="`exemptions` by load balancer name; `publicPorts` (default 80, 443)",
    ),
)


# --- SSH keys ---------------------------------------------------------------------------------------


def _check_ssh_keys(subject: Subject, settings: Settings) -> Iterable[str]:
    keys = peek(subject.props, "sshKeys")
    if keys is UNKNOWN or (is_list(keys) and len(keys) > 0):
        return []
    return [
        f"Server '{subject.name}' has no sshKeys: Hetzner then enables a root password and e-mails it. "
        "Pass the SshKey resources from the Network component (sshKeys=[key.id, ...])."
    ]


server_ssh_keys = resource_policy(
    name="hcloud-server-ssh-keys",
    description="Every Hetzner server must be created with SSH keys.",
    level=MANDATORY,
    types=[SERVER],
    check=_check_ssh_keys,
    doc=Doc(
        family=FAMILY,
        prevents="Servers with a root password mailed in plain text and password logins.",
        comply="Set `sshPublicKeys` in the stack config; every server gets the project's SshKeys.",
        exempt="`exemptions` by server name",
    ),
)


# --- prod: protection and backups -----------------------------------------------------------------------


def _check_protection(subject: Subject, settings: Settings) -> Iterable[str]:
    if not settings.is_prod:
        return
    if subject.type == VOLUME:
        wanted = ["deleteProtection"]
    elif role(subject) in settings["statefulRoles"]:
        wanted = ["deleteProtection", "rebuildProtection"]
    else:
        return
    missing = [key for key in wanted if peek(subject.props, key) not in (True, UNKNOWN)]
    if missing:
        yield (
            f"{subject.display} holds state in prod but has {', '.join(missing)} off: one wrong command or "
            f"console click destroys it. Set {' and '.join(f'{k}=True' for k in missing)} (the stack "
            "config's `protect`, which defaults to true in prod)."
        )


prod_protection = resource_policy(
    name="hcloud-prod-protection",
    description="In prod, stateful servers need delete and rebuild protection and volumes delete protection.",
    level=MANDATORY,
    types=[SERVER, VOLUME],
    check=_check_protection,
    config={
        "environment": ENVIRONMENT_SCHEMA,
        "statefulRoles": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["control-plane", "database"],
            "description": "`platform/role` values of servers that hold state.",
        },
    },
    doc=Doc(
        family=FAMILY,
        prevents="Deleting or rebuilding (wiping) a control-plane node (etcd), the database server or a "
        "volume in prod by accident.",
        comply="Leave `protect` at its prod default (true).",
        exempt="`exemptions` by name; `statefulRoles` (default control-plane, database); off outside prod",
    ),
)


_OFFSITE_REPO = ("s3", "gcs", "azure", "sftp")


def _pgbackrest_settings(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().startswith("repo"):
            found[key.strip()] = value.strip()
    return found


def _check_backups(subject: Subject, settings: Settings) -> Iterable[str]:
    if not settings.is_prod or role(subject) != "database":
        return
    user_data = subject.props.get("userData")  # unknown during preview: the SDK reports "can't run"
    conf: dict[str, str] = {}
    if isinstance(user_data, str):
        try:
            cloud_config = parse_user_data(user_data)
        except UserDataError as err:
            yield f"Database server '{subject.name}' user-data cannot be read: {err}."
            return
        for text in cloud_config.all_text():
            conf.update(_pgbackrest_settings(text))
    repos = {
        key.split("-", 1)[0]
        for key, value in conf.items()
        if key.endswith("-type") and value in _OFFSITE_REPO
    }
    if not repos:
        yield (
            f"Database server '{subject.name}' has no off-site backup in prod: its user-data configures no "
            f"pgBackRest repository of type {'/'.join(_OFFSITE_REPO)}. Configure postgres.backup (S3 "
            "endpoint, "
            "bucket and keys) so WAL and base backups leave the machine."
        )
        return
    plain = sorted(r for r in repos if conf.get(f"{r}-cipher-type", "none") == "none")
    if plain:
        yield (
            f"Database server '{subject.name}' sends backups off-site unencrypted ({', '.join(plain)} has no "
            "cipher-type). Set repo cipher-type=aes-256-cbc with a generated cipher-pass."
        )


prod_database_backups = resource_policy(
    name="hcloud-prod-database-backups",
    description="In prod, the database server must ship encrypted backups off-site (pgBackRest to "
    "S3-compatible "
    "storage).",
    level=MANDATORY,
    types=[SERVER],
    check=_check_backups,
    config={"environment": ENVIRONMENT_SCHEMA},
    doc=Doc(
        family=FAMILY,
        prevents="A prod database whose only copy lives on the VM and its volume, or whose off-site copy is "
        "readable by whoever gets the bucket.",
        comply="Configure the off-site pgBackRest repository (S3 endpoint, bucket, keys); encryption "
        "is on by "
        "default.",
        exempt="`exemptions` by server name; off outside prod",
    ),
)


# --- user-data as a Pulumi secret (remediation) -----------------------------------------------------


def _secret_user_data(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Make plain-text user-data that carries secrets a Pulumi secret; new props, or None to keep them.

    Only `Remediate` can tell: pulumi_policy unwraps secrets before `Analyze` (proxy_secrets=False),
    so a validation never knows whether userData was secret (pulumi/pulumi-policy#241). In `Remediate`
    the props are a secrets-preserving proxy whose raw target still holds `Secret` wrappers. The props
    are changed in place and returned: building a new dict would drop secretness elsewhere (§3 pitfall).
    """
    raw = peek(args.props, "__target")
    if not isinstance(raw, dict) or "userData" not in raw or isinstance(raw["userData"], Secret):
        return None
    value = raw["userData"]
    if not isinstance(value, str) or carries_secrets(value) is None:
        return None
    props: Any = args.props
    props["userData"] = Secret(value)
    return props


server_user_data_secret = remediation_policy(
    name="hcloud-server-user-data-secret",
    description="Server user-data that carries secrets (tokens, keys, passwords) must be a Pulumi secret.",
    types=[SERVER],
    remediate=_secret_user_data,
    doc=Doc(
        family=FAMILY,
        prevents="Join tokens, CA keys and passwords stored in plain text in the Pulumi state and shown in "
        "diffs.",
        comply="Build user-data with `pulumi.Output.secret(...)`; the remediation marks it secret if you do "
        "not.",
        exempt="set the policy's enforcementLevel (remediate by default; Analyze cannot see secretness)",
    ),
)
