"""Policies with a known trigger each: mandatory, advisory, stack-wide with config, and a remediation."""

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

FIREWALL = "hcloud:index/firewall:Firewall"
SERVER = "hcloud:index/server:Server"


def _no_world_ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FIREWALL:
        return
    for rule in args.props.get("rules") or []:
        if rule.get("port") == "22" and "0.0.0.0/0" in (rule.get("sourceIps") or []):
            report("SSH (port 22) is open to 0.0.0.0/0; list admin addresses in adminCidrs instead.", None)


def _servers_have_labels(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == SERVER and not args.props.get("labels"):
        report("Server has no labels.", None)


def _label_firewalls(args: ResourceValidationArgs) -> Any:
    if args.resource_type != FIREWALL or args.props.get("labels"):
        return None
    props: Any = args.props  # a secrets-preserving proxy that accepts writes
    props["labels"] = {"platform/remediated": "true"}  # writing through the proxy keeps secrets secret
    return props


def _max_servers(args: StackValidationArgs, report: ReportViolation) -> None:
    limit = int(args.get_config()["maxServers"])  # numbers arrive as floats, as from the engine
    servers = [r for r in args.resources if r.resource_type == SERVER]
    if len(servers) > limit:
        report(f"{len(servers)} servers exceed the limit of {limit}.", None)


POLICIES = [
    ResourceValidationPolicy(
        name="no-world-ssh",
        description="SSH must not be reachable from the whole internet.",
        validate=_no_world_ssh,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="servers-have-labels",
        description="Servers carry labels.",
        validate=_servers_have_labels,
    ),
    ResourceValidationPolicy(
        name="label-firewalls",
        description="Firewalls carry labels.",
        remediate=_label_firewalls,
        enforcement_level=EnforcementLevel.REMEDIATE,
    ),
    StackValidationPolicy(
        name="max-servers",
        description="The stack stays under a server budget.",
        validate=_max_servers,
        config_schema=PolicyConfigSchema(properties={"maxServers": {"type": "integer", "default": 10}}),
    ),
]
