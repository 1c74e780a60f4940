"""The stack's outputs, in one place: what `pulumi stack output` shows an operator after `pulumi up`."""

from __future__ import annotations

import pulumi

from components.app import App
from components.k3s import K3sCluster
from components.object_store import ObjectStore
from components.observability import Observability
from components.postgres import PostgresServer
from components.supabase import Supabase


def export_outputs(
    cluster: K3sCluster,
    database: PostgresServer,
    observability: Observability,
    store: ObjectStore | None,
    supabase: Supabase,
    app: App | None,
) -> None:
    if store is not None:
        pulumi.export(
            "objectStore", {"endpoint": store.endpoint, "region": store.region, "buckets": store.buckets}
        )
    if supabase.dashboard_password is not None:  # self-hosted
        pulumi.export("supabaseUrl", supabase.url)
        pulumi.export("supabaseDashboardPassword", pulumi.Output.secret(supabase.dashboard_password))
    if app is not None:
        pulumi.export("appUrls", app.urls)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("grafanaUrl", observability.grafana_url)
    pulumi.export("grafanaAdminPassword", observability.grafana_admin_password)
    pulumi.export("apiEndpoint", cluster.api_endpoint)
    pulumi.export("apiEndpoints", cluster.api_endpoints)
    pulumi.export("nodes", _nodes(cluster))
    pulumi.export(
        "database",
        {
            "mode": database.mode,
            "host": database.host,
            "caCertPem": database.ca_cert_pem,
            # Secret: keep an offline copy, the encrypted backups are unreadable without it.
            "repositoryCipherPass": database.repository_cipher_pass,
        },
    )


def _nodes(cluster: K3sCluster) -> pulumi.Output[list[dict[str, str]]]:
    """Every node with its role, pool, private address and public IPv4 (known once created)."""
    return pulumi.Output.all(*[node.public_ipv4 for node in cluster.nodes]).apply(
        lambda public_ips: [
            {
                "name": node.name,
                "role": node.role,
                "pool": node.pool,
                "privateIp": node.private_ip,
                "publicIpv4": ip,
            }
            for node, ip in zip(cluster.nodes, public_ips, strict=True)
        ]
    )
