"""Entry point Pulumi runs for `--policy-pack policies`: build the pack and nothing else.

Constructing `PolicyPack` starts the Analyzer gRPC server and blocks, so this module is never imported
by tests; they import `platform_security` instead.
"""

from platform_security import ALL_POLICIES, PACK_NAME
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Blocks insecure configuration of the k3s-on-Hetzner platform before it reaches the cloud.",
)
