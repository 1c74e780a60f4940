"""One stack of the platform: configuration first, then components in dependency order, then outputs."""

import pulumi
import pulumi_hcloud as hcloud

from components.config import load_stack_config
from components.k3s import K3sCluster, K3sClusterArgs
from components.k8s_namespace import allow_egress_outside_cluster, platform_namespace
from components.network import Network, NetworkArgs
from components.object_store import Consumer, ObjectStore, ObjectStoreArgs
from components.workloads import Workloads, WorkloadsArgs

loaded = load_stack_config()  # fails with one clear message before any resource is registered
config, secrets = loaded.config, loaded.secrets

hcloud_provider = hcloud.Provider("hcloud", token=secrets.require("hcloudToken"))
on_hcloud = pulumi.ResourceOptions(providers={"hcloud": hcloud_provider})

network = Network("network", NetworkArgs.from_config(config), on_hcloud)
cluster = K3sCluster(
    "k3s", K3sClusterArgs.from_config(config, network, secrets.require("hcloudToken")), on_hcloud
)
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})

# Phases 2-3: workers, cron jobs and the object store share the app's namespace and its Secrets.
if config.workloads.enabled or config.object_store.enabled:
    app_namespace = platform_namespace("app-ns", "app", "app", on_cluster)
    allow_egress_outside_cluster("app-egress", app_namespace, "app", opts=on_cluster)
    store = None
    if config.object_store.enabled:
        store = ObjectStore(
            "object-store",
            ObjectStoreArgs.from_config(
                config, secrets, consumers=[Consumer("app", app_namespace)], after=cluster.addons
            ),
            on_cluster,
        )
        pulumi.export(
            "objectStore", {"endpoint": store.endpoint, "region": store.region, "buckets": store.buckets}
        )
    if config.workloads.enabled:
        Workloads(
            "workloads",
            WorkloadsArgs(config.workloads, "app", app_namespace, after=[store] if store else []),
            on_cluster,
        )

pulumi.export("kubeconfig", cluster.kubeconfig)
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
