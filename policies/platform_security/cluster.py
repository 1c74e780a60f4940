"""Cluster: the k3s server configuration rendered into each control-plane server's user-data, and where
the Kubernetes API may be reached from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel, Severity

from .cloudinit import CloudConfig, UserDataError, parse_user_data
from .framework import ENVIRONMENT_SCHEMA, Doc, Settings, Subject, resource_policy, stack_policy
from .props import as_int, peek
from .topology import LOAD_BALANCER, SERVER, load_balancer_is_public, of_type, role, services_of

FAMILY = "cluster"
K3S_CONFIG = "/etc/rancher/k3s/config.yaml"
K3S_CONFIG_DROPINS = "/etc/rancher/k3s/config.yaml.d/"
METADATA_IP = "169.254.169.254"
# iptables `-j DROP|REJECT`, nftables `drop|reject` statements.
_BLOCK_RULE = re.compile(r"(-j|--jump)\s+(DROP|REJECT)\b|\b(drop|reject)\b")


def k3s_config(cloud_config: CloudConfig) -> dict[str, Any] | None:
    """The merged k3s config (config.yaml, then config.yaml.d/*.yaml in name order), None if absent."""
    main = cloud_config.file(K3S_CONFIG)
    dropins = sorted(
        (f for f in cloud_config.files if f.path.startswith(K3S_CONFIG_DROPINS)), key=lambda f: f.path
    )
    if main is None and not dropins:
        return None
    merged: dict[str, Any] = {}
    for written in [*([main] if main else []), *dropins]:
        try:
            document = yaml.load(written.content, Loader=yaml.CSafeLoader) or {}
        except yaml.YAMLError as err:
            raise UserDataError(f"{written.path} is not valid YAML: {err}") from err
        if not isinstance(document, dict):
            raise UserDataError(f"{written.path} is not a YAML mapping")
        merged.update(document)
    return merged


def _flags(config: dict[str, Any], key: str) -> dict[str, str]:
    """`kube-apiserver-arg` style entries as {flag: value}, with or without leading dashes."""
    raw = config.get(key) or []
    entries = [raw] if isinstance(raw, str) else list(raw)
    flags: dict[str, str] = {}
    for entry in entries:
        name, _, value = str(entry).lstrip("-").partition("=")
        flags[name] = value
    return flags


def _pod_security_missing(cloud_config: CloudConfig, admission_file: str | None) -> str | None:
    if not admission_file:
        return (
            "Pod Security admission defaults (kube-apiserver-arg admission-control-config-file=... with a "
            "PodSecurity configuration)"
        )
    written = cloud_config.file(admission_file)
    if written is not None and ("PodSecurity" not in written.content or "enforce" not in written.content):
        return f"a PodSecurity plugin with an `enforce` default in {admission_file}"
    return None


def hardening_gaps(cloud_config: CloudConfig) -> list[str]:
    """What a k3s server's user-data lacks of the hardening ADR 0007 (docs/adr/) asks for."""
    config = k3s_config(cloud_config)
    if config is None:
        return [f"a k3s config file at {K3S_CONFIG} (write_files)"]
    gaps: list[str] = []
    if config.get("secrets-encryption") is not True:
        gaps.append("secrets encryption (`secrets-encryption: true`)")
    api_flags = _flags(config, "kube-apiserver-arg")
    if not api_flags.get("audit-log-path") or not api_flags.get("audit-policy-file"):
        gaps.append("the audit log (kube-apiserver-arg audit-log-path=... and audit-policy-file=...)")
    pod_security = _pod_security_missing(cloud_config, api_flags.get("admission-control-config-file"))
    if pod_security:
        gaps.append(pod_security)
    # One file, script or command that names the address and drops or rejects (the address may sit in a
    # variable a line above the rule, as in the K3sCluster's platform-block-metadata script).
    blocked = any(METADATA_IP in text and _BLOCK_RULE.search(text) for text in cloud_config.all_text())
    if not blocked:
        gaps.append(f"the rule that drops pod traffic to the metadata endpoint {METADATA_IP}")
    return gaps


def _server_user_data(subject: Subject, without_it: str) -> tuple[Any, str]:
    """A k3s server's user-data as cloud-init reads it, or None and the violation that says why not.

    During preview the user-data is unknown and the SDK reports the policy as "can't run" before this."""
    user_data = subject.props.get("userData")
    if not isinstance(user_data, str) or not user_data.strip():
        return None, f"k3s server '{subject.name}' has no user-data, so {without_it}."
    try:
        return parse_user_data(user_data), ""
    except UserDataError as err:
        return None, f"k3s server '{subject.name}' user-data cannot be read as cloud-init would: {err}."


def _check_server_hardening(subject: Subject, settings: Settings) -> Iterable[str]:
    if role(subject) != "control-plane":
        return
    document, problem = _server_user_data(subject, "none of its hardening is configured")
    if document is None:
        yield problem
        return
    gaps = hardening_gaps(document)
    if gaps:
        yield (
            f"k3s server '{subject.name}' is missing: {'; '.join(gaps)}. These come from the K3sCluster "
            "component's rendered cloud-init; do not remove them from the template."
        )


k3s_server_hardening = resource_policy(
    name="k3s-server-hardening",
    description="Every k3s server must run with secrets encryption, an audit log, Pod Security admission "
    "defaults and the block that keeps pods away from the metadata endpoint.",
    level=EnforcementLevel.MANDATORY,
    types=[SERVER],
    check=_check_server_hardening,
    severity=Severity.CRITICAL,
    doc=Doc(
        family=FAMILY,
        prevents="Secrets stored in etcd in plain text, no audit trail, pods admitted without Pod Security "
        "defaults, and pods reading user-data (join token, CA keys) from 169.254.169.254.",
        comply="Keep the K3sCluster cloud-init template's config.yaml keys and the metadata-endpoint rule.",
        exempt="`exemptions` by server name (servers carry `platform/role=control-plane`)",
    ),
)


def _offsite_etcd_gap(config: dict[str, Any]) -> str | None:
    """Why a k3s server's merged config does not copy etcd snapshots off-site, or None."""
    if config.get("etcd-s3") is not True:
        return "`etcd-s3: true` is not set"
    if not (config.get("etcd-s3-config-secret") or config.get("etcd-s3-bucket")):
        return "`etcd-s3` is on but names no bucket (etcd-s3-bucket) and no etcd-s3-config-secret"
    if config.get("etcd-snapshot-schedule-cron") == "" or config.get("etcd-disable-snapshots") is True:
        return "scheduled snapshots are turned off"
    return None


def _check_etcd_offsite(subject: Subject, settings: Settings) -> Iterable[str]:
    if not settings.is_prod or role(subject) != "control-plane" or settings["backedUpOtherwise"]:
        return
    document, problem = _server_user_data(subject, "no etcd snapshot leaves it")
    if document is None:
        yield problem
        return
    config = k3s_config(document)
    gap = f"there is no k3s config at {K3S_CONFIG}" if config is None else _offsite_etcd_gap(config)
    if gap:
        yield (
            f"k3s server '{subject.name}' keeps etcd snapshots only on its own disk in prod ({gap}): "
            "losing the servers loses the cluster state. Set cluster.etcdBackup.offsite (default in "
            "prod) and the etcdS3AccessKey/etcdS3SecretKey secrets, or, if etcd is backed up another "
            "way, say how in this policy's `backedUpOtherwise`."
        )


k3s_prod_etcd_offsite = resource_policy(
    name="k3s-prod-etcd-offsite",
    description="In prod, every k3s server must copy its scheduled etcd snapshots off-site (S3).",
    level=EnforcementLevel.MANDATORY,
    types=[SERVER],
    check=_check_etcd_offsite,
    severity=Severity.HIGH,
    config={
        "environment": ENVIRONMENT_SCHEMA,
        "backedUpOtherwise": {
            "type": "string",
            "default": "",
            "description": "The named exemption: how etcd is backed up instead (at least 10 characters, "
            "e.g. 'nightly Velero backup to the ops bucket'); empty keeps the gate.",
            "anyOf": [{"maxLength": 0}, {"minLength": 10}],
        },
    },
    doc=Doc(
        family=FAMILY,
        prevents="A prod cluster whose only etcd snapshots live on the servers they would restore.",
        comply="Keep `cluster.etcdBackup.offsite` on (the prod default) with the two etcdS3 secrets set.",
        exempt="`backedUpOtherwise` (how etcd is backed up instead); `exemptions` by server name; "
        "off outside prod",
    ),
)


def _check_api_exposure(subjects: list[Subject], settings: Settings) -> Iterator[tuple[str, str | None]]:
    api_ports = {int(p) for p in settings["apiPorts"]}
    for lb in of_type(subjects, LOAD_BALANCER):
        if not load_balancer_is_public(lb, subjects):
            continue
        for service in services_of(lb, subjects):
            ports = {
                as_int(peek(service.props, "listenPort")),
                as_int(peek(service.props, "destinationPort")),
            }
            exposed = sorted(p for p in ports if p in api_ports)
            if exposed:
                yield (
                    f"Load balancer '{lb.name}' has a public interface and forwards port {exposed[0]} (the "
                    "Kubernetes API or k3s join): Hetzner firewalls do not apply to load balancers, "
                    "so the API "
                    "would be open to the world. Attach it to the private network with "
                    "enablePublicInterface=false; admins reach the API on the servers, limited to "
                    "adminCidrs.",
                    lb.urn,
                )


k3s_api_not_public = stack_policy(
    name="k3s-api-not-on-public-lb",
    description="The Kubernetes API must never be behind a load balancer with a public interface.",
    level=EnforcementLevel.MANDATORY,
    check=_check_api_exposure,
    severity=Severity.CRITICAL,
    config={
        "apiPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "default": [6443, 9345],
            "description": "Ports of the Kubernetes API and the k3s supervisor.",
        }
    },
    doc=Doc(
        family=FAMILY,
        prevents="The API (6443) or k3s join endpoint (9345) reachable from the internet through a load "
        "balancer, where no Hetzner firewall applies.",
        comply="Use a private load balancer (LoadBalancerNetwork with `enablePublicInterface: false`).",
        exempt="`exemptions` by load balancer name; `apiPorts` (default 6443, 9345)",
    ),
)
