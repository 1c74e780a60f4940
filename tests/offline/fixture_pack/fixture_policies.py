"""Three policies with a known trigger each: one mandatory, one advisory, one stack-wide with config."""

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
    StackValidationPolicy(
        name="max-servers",
        description="The stack stays under a server budget.",
        validate=_max_servers,
        config_schema=PolicyConfigSchema(properties={"maxServers": {"type": "integer", "default": 10}}),
    ),
]
