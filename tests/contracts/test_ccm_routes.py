"""The Hetzner CCM's route controller stays off: flannel (VXLAN or WireGuard) carries pod traffic itself,
and private-network routes are for CNIs with native routing. The CCM docs (explanation/private-networks.md
at the pinned release) say the route controller runs whenever networking is on and a network is given,
unless HCLOUD_NETWORK_ROUTES_ENABLED is false; a failed route creation would mark a node
NetworkUnavailable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.charts import chart_releases, lookup
from tests.contracts.runs import STACKS, contract_run
from tests.contracts.test_chart_values import merged_values
from tests.k3s.user_data import k3s_config, k3s_nodes

CCM = "hcloud-cloud-controller-manager"


def route_controller_on(merged: dict[str, Any]) -> bool:
    networking = bool(lookup(merged, ("networking", "enabled"))[1])
    setting = str(lookup(merged, ("env", "HCLOUD_NETWORK_ROUTES_ENABLED", "value"))[1] or "true").lower()
    return networking and setting != "false"


@pytest.mark.parametrize("stack", STACKS[:2])
def test_route_controller_is_off_with_flannel(stack: str) -> None:
    run = contract_run(stack)
    backend = k3s_config(k3s_nodes(run)[0]).get("flannel-backend", "vxlan")
    assert backend in ("vxlan", "wireguard-native")
    (ccm,) = [r for r in chart_releases(run) if r.chart == CCM]
    assert not route_controller_on(merged_values(ccm))


def test_the_previous_values_left_it_on() -> None:
    assert route_controller_on({"networking": {"enabled": True}, "env": {}})
