"""One stack of the platform: configuration first, then components in dependency order, then outputs.

Network ── K3sCluster ── Day2 ── ClusterAddons ──┬── Ingress ── App ── Workloads
PostgresServer ─────────────────────────────────┼── Observability (the components' alert rules, VM exporter)
                                                └── ObjectStore ── Supabase (managed: the hosted keys)
"""

import pulumi
import pulumi_hcloud as hcloud

from components.app import App, AppArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.config import load_stack_config
from components.day2 import Day2, Day2Args
from components.ingress import Ingress, IngressArgs
from components.k3s import K3sCluster, K3sClusterArgs
from components.network import Network, NetworkArgs
from components.object_store import ObjectStore, ObjectStoreArgs
from components.observability import Observability, ObservabilityArgs
from components.postgres import PostgresServer, PostgresServerArgs
from components.supabase import Supabase, SupabaseArgs
from components.workloads import Workloads, WorkloadsArgs
from exports import export_outputs

loaded = load_stack_config()  # fails with one clear message before any resource is registered
config, secrets = loaded.config, loaded.secrets

hcloud_provider = hcloud.Provider("hcloud", token=secrets.hcloud_token)
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
observability = Observability(
    "observability",
    ObservabilityArgs.from_config(
        config, secrets, rules_from=(cluster, database, Workloads), scrape_targets=database.scrape_targets
    ),
    on_cluster,
)
store = None
if config.object_store.enabled:
    store = ObjectStore(
        "object-store", ObjectStoreArgs.from_config(config, secrets, after=addons.addons), on_cluster
    )
supabase = Supabase("supabase", SupabaseArgs.from_config(config, secrets, database, store), on_cluster)
app = None
if config.app is not None:
    app = App("app", AppArgs.from_config(config, ingress, database, supabase, store), on_cluster)
if app is not None and config.workloads.enabled:
    after = [observability, ingress, *(store.ready if store else [])]
    Workloads("workloads", WorkloadsArgs(config.workloads, app.namespace, after), on_cluster)

export_outputs(cluster, database, observability, store, supabase, app)
