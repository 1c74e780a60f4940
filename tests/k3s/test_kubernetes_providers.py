"""How the two Kubernetes providers are configured, where pulumi-kubernetes' behaviour depends on it.

- `clusterIdentifier` (issue 14 item 5): without it, pulumi-kubernetes plans a provider replacement
  whenever the kubeconfig is unknown in preview (provider.go DiffConfig), which the admin
  certificate's early renewal causes about once a year, and every Kubernetes resource is then planned
  for replacement with it. With it, only a changed identifier replaces the provider.
- `deleteUnreachable` (issue 14 item 6): with it on, a refresh that cannot reach the API (a drift job
  outside adminCidrs, an API blip during an upgrade) drops every Kubernetes resource from the state.
  It is left to the `PULUMI_K8S_DELETE_UNREACHABLE` environment variable, for forgetting a destroyed
  cluster on purpose (docs/design.md).
"""

from __future__ import annotations

import pytest
import yaml

from offline.program import ProgramRun

PROVIDER = "pulumi:providers:kubernetes"


def _providers(run: ProgramRun) -> list[dict]:
    providers = [r.plain_inputs for r in run.of_type(PROVIDER)]
    assert len(providers) == 2, "the add-on provider and the workload provider"
    return providers


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_providers_carry_the_clusters_identity_not_its_credentials(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = {"dev": dev_run, "prod": prod_run}[stack]
    identities = set()
    for provider in _providers(run):
        identity = provider.get("clusterIdentifier")
        assert identity, "without clusterIdentifier a renewed admin certificate replaces every resource"
        user = yaml.safe_load(provider["kubeconfig"])["users"][0]["user"]
        assert user["client-certificate-data"][:40] not in identity
        identities.add(identity)
    assert identities == {f"platform-{stack}-k3s"}, "both providers talk to the one cluster of this stack"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_providers_never_drop_unreachable_resources_from_the_state(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = {"dev": dev_run, "prod": prod_run}[stack]
    for provider in _providers(run):
        assert provider.get("deleteUnreachable") in (None, False, "false")


def test_kubeconfig_points_at_the_server_the_readiness_gate_found(prod_run: ProgramRun) -> None:
    (gate,) = [r for r in prod_run.resources if r.name.endswith("-api-ready")]
    endpoints = gate.plain_inputs["endpoints"]
    assert len(endpoints) == 3, "every control-plane server is a candidate"
    for provider in _providers(prod_run):
        server = yaml.safe_load(provider["kubeconfig"])["clusters"][0]["cluster"]["server"]
        assert server == gate.outputs["endpoint"]
