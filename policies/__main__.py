"""Entry point Pulumi runs for `--policy-pack policies`: build the pack and nothing else.

Constructing `PolicyPack` starts the Analyzer gRPC server and blocks, so this module is never imported
by tests; they import `platform_security` instead.
"""

import gc

from platform_security import ALL_POLICIES, PACK_NAME, conversion, runtime_settings, unknown_proxy
from pulumi_policy import EnforcementLevel, PolicyPack

conversion.install()  # each resource converted once, not once per policy (platform_security/conversion.py)
runtime_settings.install()  # the runtime configured once per thread (platform_security/runtime_settings.py)
unknown_proxy.install()  # properties wrapped as policies read them (platform_security/unknown_proxy.py)

# Everything imported so far lives as long as the pack: keep the cyclic collector from re-scanning it
# on every full pass while the pack serves (a sixth of its CPU over a preview of prod).
gc.freeze()

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Blocks insecure configuration of the k3s-on-Hetzner platform before it reaches the cloud.",
)
