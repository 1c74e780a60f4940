"""One stack of the platform: configuration first, then components in dependency order, then outputs."""

from typing import Any

import pulumi
import pulumi_hcloud as hcloud

from components.app import App, AppArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.config import load_stack_config
from components.day2 import Day2, Day2Args
from components.ingress import Ingress, IngressArgs
from components.k3s import K3sCluster, K3sClusterArgs
from components.k3s.user_data import FILES as K3S_FILES
from components.network import Network, NetworkArgs
from components.object_store import Consumer, ObjectStore, ObjectStoreArgs
from components.observability import Observability, ObservabilityArgs, rule_files_in
from components.postgres import PostgresServer, PostgresServerArgs
from components.postgres.render import FILES as POSTGRES_FILES
from components.supabase import Supabase, SupabaseArgs
from components.workloads import RULE_FILES_DIR, Workloads, WorkloadsArgs

loaded = load_stack_config()  # fails with one clear message before any resource is registered
config, secrets = loaded.config, loaded.secrets

hcloud_provider = hcloud.Provider("hcloud", token=secrets.require("hcloudToken"))
on_hcloud = pulumi.ResourceOptions(providers={"hcloud": hcloud_provider})

network = Network("network", NetworkArgs.from_config(config), on_hcloud)
cluster = K3sCluster("k3s", K3sClusterArgs.from_config(config, network), on_hcloud)
day2 = Day2("k3s", Day2Args.from_config(config, secrets, cluster, network), on_hcloud)
addons = ClusterAddons(
    "k3s", ClusterAddonsArgs.from_config(config, secrets, cluster, network, after=day2.resources), on_hcloud
)
database = PostgresServer("postgres", PostgresServerArgs.from_config(config, secrets, network), on_hcloud)
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": addons.provider})
ingress = Ingress("ingress", IngressArgs.from_config(config), on_cluster)
component_rules = (
    rule_files_in(K3S_FILES)
    + (rule_files_in(POSTGRES_FILES) if database.mode == "vm" else ())
    + rule_files_in(RULE_FILES_DIR)
)
node_exporters = {"database": database.metrics_endpoint} if database.metrics_endpoint else {}
observability = Observability(
    "observability",
    ObservabilityArgs.from_config(config, secrets, component_rules, node_exporters),
    on_cluster,
)
# Phases 2-3: the store comes first, self-hosted Supabase keeps Storage's files in it; each namespace that
# uses it (Supabase's, the app's, where workers and cron jobs run too) gets its credentials and a path.
store = None
if config.object_store.enabled:
    store = ObjectStore(
        "object-store", ObjectStoreArgs.from_config(config, secrets, after=addons.addons), on_cluster
    )
    pulumi.export(
        "objectStore", {"endpoint": store.endpoint, "region": store.region, "buckets": store.buckets}
    )
# Self-hosted Supabase: the Postgres VM (superuser, logical WAL) and a bucket of the store (config rules).
self_hosted_inputs: dict[str, Any] = {}
if config.supabase.self_hosted and store is not None:
    self_hosted_inputs = {
        "db_host": database.host,
        "db_name": config.postgres.database,
        "db_admin_user": database.superuser,
        "db_admin_password": database.superuser_password,
        "db_ca_cert": database.ca_cert_pem,
        "s3_endpoint": store.endpoint,
        "s3_bucket": config.supabase.storage_bucket,
        "s3_region": store.region,
        "s3_access_key_id": store.access_key_id,
        "s3_secret_access_key": store.secret_access_key,
        "s3_force_path_style": store.force_path_style,
    }
supabase = Supabase(
    "supabase",
    SupabaseArgs(
        config=config.supabase,
        managed_url=secrets.get("supabaseUrl"),
        managed_anon_key=secrets.get("supabaseAnonKey"),
        managed_service_role_key=secrets.get("supabaseServiceRoleKey"),
        smtp_password=secrets.get("supabaseSmtpPassword"),
        cluster_issuer=config.cluster_issuer,
        trusted_proxy_cidrs=(config.cluster.cluster_cidr,),
        **self_hosted_inputs,
    ),
    on_cluster,
)
if store is not None and supabase.namespace is not None:
    store.grant(Consumer("supabase", supabase.namespace))
if config.supabase.self_hosted:
    pulumi.export("supabaseUrl", supabase.url)
    pulumi.export("supabaseDashboardPassword", pulumi.Output.secret(supabase.dashboard_password))
app = None
if config.app is not None:
    client_secrets = supabase.client_secrets if config.supabase.self_hosted else None
    app = App("app", AppArgs.from_config(config, secrets, ingress, database, client_secrets), on_cluster)
    pulumi.export("appUrls", app.urls)
    if store is not None:
        store.grant(Consumer(app.namespace_name, app.namespace))
if app is not None and config.workloads.enabled:
    Workloads(
        "workloads",
        WorkloadsArgs(
            config.workloads,
            app.namespace_name,
            app.namespace,
            after=[observability, ingress, *([store] if store else [])],
        ),
        on_cluster,
    )

pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("grafanaUrl", observability.grafana_url)
pulumi.export("grafanaAdminPassword", observability.grafana_admin_password)
pulumi.export("apiEndpoint", cluster.api_endpoint)
pulumi.export("apiEndpoints", cluster.api_endpoints)
pulumi.export(
    "nodes",
    pulumi.Output.all(*[node.public_ipv4 for node in cluster.nodes]).apply(
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
    ),
)
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
