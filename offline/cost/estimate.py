"""Prices every billable resource of a preview and adds the account-level charges.

Only hcloud resources cost money on Hetzner's invoice; Kubernetes objects, certificates and random
values run on the servers already paid for. Hetzner bills a server's primary IPv4 separately: a
server whose `publicNets` does not turn IPv4 off and does not name an existing primary IP gets one
created with it, and that address is priced on the server's line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..program import Registration
from .baseline import Baseline
from .prices import PriceTable

SERVER = "hcloud:index/server:Server"
VOLUME = "hcloud:index/volume:Volume"
LOAD_BALANCER = "hcloud:index/loadBalancer:LoadBalancer"
PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp"

FREE_HCLOUD_TYPES = frozenset(
    f"hcloud:index/{name}"
    for name in (
        "network:Network",
        "networkSubnet:NetworkSubnet",
        "networkRoute:NetworkRoute",
        "firewall:Firewall",
        "firewallAttachment:FirewallAttachment",
        "placementGroup:PlacementGroup",
        "sshKey:SshKey",
        "serverNetwork:ServerNetwork",
        "volumeAttachment:VolumeAttachment",
        "loadBalancerNetwork:LoadBalancerNetwork",
        "loadBalancerService:LoadBalancerService",
        "loadBalancerTarget:LoadBalancerTarget",
        "rdns:Rdns",
        "certificate:Certificate",
        "managedCertificate:ManagedCertificate",
        "uploadedCertificate:UploadedCertificate",
        "zone:Zone",
        "zoneRrset:ZoneRrset",
    )
)
"""hcloud resources Hetzner does not bill for."""


@dataclass(frozen=True)
class LineItem:
    what: str
    """Registration name, or the account-level charge."""
    kind: str
    detail: str
    monthly: float
    urn: str = ""


PLAN_SAVING_TARGET = (30.0, 60.0)
"""The migration plan's expectation: "Potential infra savings of 30-60% compared to fully managed PaaS"."""


@dataclass(frozen=True)
class CostEstimate:
    prices: PriceTable
    items: tuple[LineItem, ...]
    warnings: tuple[str, ...] = ()
    baseline: Baseline | None = None

    @property
    def total(self) -> float:
        return round(sum(item.monthly for item in self.items), 2)

    @property
    def saving_percent(self) -> float | None:
        if self.baseline is None or self.baseline.total <= 0:
            return None
        return round(100 * (self.baseline.total - self.total) / self.baseline.total, 1)

    @property
    def against_plan(self) -> str | None:
        """How the saving compares with the plan's 30-60 %, said plainly when it falls short."""
        saving = self.saving_percent
        if saving is None:
            return None
        low, high = PLAN_SAVING_TARGET
        if saving < low:
            return f"short of the plan's {low:g}-{high:g} % saving"
        return f"{'within' if saving <= high else 'beyond'} the plan's {low:g}-{high:g} % saving"

    def by_kind(self) -> dict[str, tuple[int, float]]:
        summary: dict[str, tuple[int, float]] = {}
        for item in self.items:
            count, subtotal = summary.get(item.kind, (0, 0.0))
            summary[item.kind] = (count + 1, round(subtotal + item.monthly, 2))
        return summary


@dataclass
class _Pricer:
    prices: PriceTable
    items: list[LineItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def _price(self, table: dict[str, float], key: object, what: str, resource: Registration) -> float | None:
        if isinstance(key, str) and key in table:
            return table[key]
        self.warnings.append(
            f"{resource.name}: no price for {what} {key!r} in {self.prices.table}; "
            f"add it to a copy of the table and pass --prices FILE"
        )
        return None

    def _check_location(self, resource: Registration) -> None:
        location = resource.plain("location")
        if isinstance(location, str) and location not in self.prices.locations:
            self.warnings.append(
                f"{resource.name}: priced with {self.prices.table}, which lists "
                f"{', '.join(self.prices.locations)}, not {location}; prices there differ"
            )

    def server(self, resource: Registration) -> None:
        server_type = resource.plain("serverType")
        price = self._price(self.prices.server_types, server_type, "server type", resource)
        if price is None:
            return
        parts = [f"{server_type} {price:.2f}"]
        monthly = price
        if resource.plain("backups"):
            backup = price * self.prices.server_backup_percent / 100
            monthly += backup
            parts.append(f"backups {backup:.2f}")
        if _gets_primary_ipv4(resource):
            monthly += self.prices.primary_ipv4
            parts.append(f"primary IPv4 {self.prices.primary_ipv4:.2f}")
        self._check_location(resource)
        self.items.append(
            LineItem(resource.name, "server", " + ".join(parts), round(monthly, 2), resource.urn)
        )

    def volume(self, resource: Registration) -> None:
        size = resource.plain("size")
        if not isinstance(size, int | float):
            self.warnings.append(f"{resource.name}: volume size unknown in preview; not priced")
            return
        monthly = round(size * self.prices.volume_per_gb, 2)
        self._check_location(resource)
        detail = f"{size:g} GB x {self.prices.volume_per_gb}"
        self.items.append(LineItem(resource.name, "volume", detail, monthly, resource.urn))

    def load_balancer(self, resource: Registration) -> None:
        lb_type = resource.plain("loadBalancerType")
        price = self._price(self.prices.load_balancer_types, lb_type, "load balancer type", resource)
        if price is not None:
            self._check_location(resource)
            self.items.append(LineItem(resource.name, "load balancer", str(lb_type), price, resource.urn))

    def primary_ip(self, resource: Registration) -> None:
        ip_type = resource.plain("type")
        price = self.prices.primary_ipv4 if ip_type == "ipv4" else self.prices.primary_ipv6
        self.items.append(LineItem(resource.name, "primary IP", str(ip_type), price, resource.urn))


def _gets_primary_ipv4(server: Registration) -> bool:
    """True when Hetzner creates (and bills) a primary IPv4 together with the server."""
    nets = server.plain("publicNets")
    if not nets:
        return True
    return any(net.get("ipv4Enabled", True) and not net.get("ipv4") for net in nets)


def estimate(
    resources: Sequence[Registration],
    prices: PriceTable,
    baseline: Baseline | None = None,
    object_storage: bool = False,
) -> CostEstimate:
    """Monthly estimate for a preview.

    `object_storage` is set when the stack keeps data in Hetzner Object Storage, which no hcloud
    resource represents (buckets are made through the S3 API).
    """
    pricer = _Pricer(prices)
    handlers = {
        SERVER: pricer.server,
        VOLUME: pricer.volume,
        LOAD_BALANCER: pricer.load_balancer,
        PRIMARY_IP: pricer.primary_ip,
    }
    servers = 0
    for resource in sorted(resources, key=lambda r: r.urn):
        if not resource.custom or not resource.type.startswith("hcloud:index/"):
            continue
        handler = handlers.get(resource.type)
        if handler is not None:
            handler(resource)
            servers += resource.type == SERVER
        elif resource.type not in FREE_HCLOUD_TYPES:
            pricer.warnings.append(f"{resource.name}: {resource.type} is not priced by the offline estimate")
    usage = baseline.usage if baseline else None
    if usage is not None:
        included = servers * prices.traffic.included_tb_per_server
        overage = max(0.0, usage.egress_tb_per_month - included)
        if overage:
            pricer.items.append(
                LineItem(
                    "traffic",
                    "traffic",
                    f"{math.ceil(overage)} TB over {included:g} TB included",
                    math.ceil(overage) * prices.traffic.overage_per_tb,
                )
            )
    if object_storage:
        store = prices.object_storage
        stored = usage.object_storage_tb if usage else 0.0
        extra = max(0.0, stored - store.included_storage_tb) * store.storage_per_tb
        pricer.items.append(
            LineItem(
                "object storage",
                "object storage",
                f"base {store.base:.2f}, {stored:g} TB stored",
                round(store.base + extra, 2),
            )
        )
    return CostEstimate(prices, tuple(pricer.items), tuple(dict.fromkeys(pricer.warnings)), baseline)
