"""The estimate prices what Hetzner bills, from the shipped table or the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from offline.cost.baseline import load_baseline
from offline.cost.estimate import estimate
from offline.cost.prices import default_prices_file, load_prices

from .registrations import SERVER, registration

PRICES = load_prices()


def test_shipped_table_is_dated_sourced_and_prices_every_catalog_server_type() -> None:
    from components.config import SERVER_TYPES

    text = default_prices_file().read_text()
    assert PRICES.effective.isoformat() in default_prices_file().name
    assert "docs.hetzner.com/general/infrastructure-and-availability/price-adjustment" in text
    assert sorted(set(SERVER_TYPES) - set(PRICES.server_types)) == []


def test_server_line_adds_backups_and_the_primary_ipv4_hetzner_creates_with_it() -> None:
    plain = registration(SERVER, "plain", {"serverType": "cx33", "location": "nbg1"})
    backed_up = registration(SERVER, "backed", {"serverType": "cx33", "location": "nbg1", "backups": True})
    ipv6_only = registration(
        SERVER, "v6", {"serverType": "cx33", "publicNets": [{"ipv4Enabled": False, "ipv6Enabled": True}]}
    )
    own_ip = registration(
        SERVER, "own", {"serverType": "cx33", "publicNets": [{"ipv4Enabled": True, "ipv4": 7.0}]}
    )
    items = {i.what: i.monthly for i in estimate([plain, backed_up, ipv6_only, own_ip], PRICES).items}
    # Literal euros from the dated table (hetzner-2026-06-15): cx33 8.49, primary IPv4 0.50, backups 20 %.
    assert items == {
        "plain": 8.99,
        "backed": 10.69,  # 8.49 + 1.698 backups + 0.50, to the cent
        "v6": 8.49,
        "own": 8.49,  # the explicit PrimaryIp resource carries its own line
    }


def test_volumes_load_balancers_and_free_resources() -> None:
    resources = [
        registration("hcloud:index/volume:Volume", "data", {"size": 100.0}),
        registration("hcloud:index/loadBalancer:LoadBalancer", "api", {"loadBalancerType": "lb11"}),
        registration("hcloud:index/firewall:Firewall", "fw", {"rules": []}),
        registration("kubernetes:core/v1:Namespace", "ns", {"kind": "Namespace"}),
    ]
    result = estimate(resources, PRICES)
    assert {i.what: i.monthly for i in result.items} == {
        "data": 5.72,  # 100 GB at 0.0572
        "api": 7.49,  # lb11
    }
    assert result.warnings == ()


def test_unpriced_types_and_other_locations_are_named_not_guessed() -> None:
    resources = [
        registration(SERVER, "odd", {"serverType": "cx99", "location": "nbg1"}),
        registration(SERVER, "far", {"serverType": "ccx13", "location": "ash"}),
        registration("hcloud:index/floatingIp:FloatingIp", "fip", {"type": "ipv4"}),
    ]
    result = estimate(resources, PRICES)
    assert [i.what for i in result.items] == ["far"]
    assert any("no price for server type 'cx99'" in w and "--prices" in w for w in result.warnings)
    assert any("far" in w and "not ash" in w for w in result.warnings)
    assert any("FloatingIp is not priced" in w for w in result.warnings)


def test_baseline_saving_traffic_overage_and_object_storage() -> None:
    baseline = load_baseline()
    servers = [registration(SERVER, "s", {"serverType": "cx23"})]
    result = estimate(servers, PRICES, baseline, object_storage=True)
    # managed-today.yaml: 325 USD at 0.8982 = 291.915 EUR; here cx23 5.49 + IPv4 0.50 + object storage
    # base 6.49 (0.1 TB stored, 1 TB included) = 12.48 EUR; saving 279.435 / 291.915 = 95.7 %.
    assert baseline.total == pytest.approx(291.915)
    assert result.total == pytest.approx(12.48)
    assert result.saving_percent == 95.7
    assert {i.kind: i.monthly for i in result.items} == {"server": 5.99, "object storage": 6.49}
    heavy = baseline.model_copy(
        update={"usage": baseline.usage.model_copy(update={"egress_tb_per_month": 25.0})}
    )
    overage = {i.kind: i.monthly for i in estimate(servers, PRICES, heavy).items}["traffic"]
    assert overage == 5.00  # 25 TB out, 20 TB included with one server, 1.00 per TB beyond


def test_user_price_table_overrides_and_a_broken_one_says_what_is_wrong(tmp_path: Path) -> None:
    data = yaml.safe_load(default_prices_file().read_text())
    data["server_types"]["cx23"] = 1.00
    cheaper = tmp_path / "prices.yaml"
    cheaper.write_text(yaml.safe_dump(data))
    server = registration(SERVER, "s", {"serverType": "cx23", "publicNets": [{"ipv4Enabled": False}]})
    assert estimate([server], load_prices(cheaper)).total == 1.00
    del data["volume_per_gb"]
    cheaper.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="volume_per_gb: Field required"):
        load_prices(cheaper)
