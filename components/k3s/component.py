"""`K3sCluster`: trust, addresses, servers, agents, the API endpoint, readiness, kubeconfig, and the
Kubernetes provider the cluster's own machinery uses (ClusterAddons and Day2 build on it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_hcloud as hcloud
import pulumi_kubernetes as k8s

from ..config import ClusterConfig, StackConfig
from ..naming import Component, base_labels
from ..network import Network
from ..observability.rules import rule_files_in
from .admin_api import AdminApi
from .etcd_backup import EtcdBackupPlan
from .kubeconfig import render_kubeconfig
from .node_config import ClusterSettings, NodeSettings, agent_config, server_config
from .readiness import ApiReadiness
from .trust import ClusterTrust
from .user_data import FILES, NodeBoot, node_user_data

API_PORT = 6443
READINESS_TIMEOUT_SECONDS = 900
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule"
ROLE_LABEL = "platform/role"
POOL_LABEL = "platform/pool"


@dataclass(frozen=True)
class K3sClusterArgs:
    cluster: ClusterConfig
    location: str
    protected: bool
    network: Network
    is_prod: bool = False

    @classmethod
    def from_config(cls, config: StackConfig, network: Network) -> K3sClusterArgs:
        return cls(config.cluster, config.location, config.protected, network, is_prod=config.is_prod)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    role: str
    pool: str
    private_ip: str
    public_ipv4: pulumi.Output[str]


class K3sCluster(pulumi.ComponentResource):
    """A k3s cluster whose trust is made before its servers, so every join pins the cluster CA: CAs and
    tokens, primary IPs, the private API load balancer (HA), servers, agents, the /readyz gate, the
    kubeconfig and the provider the cluster's own add-ons use."""

    addons_provider: k8s.Provider
    """For what the cluster runs for itself (ClusterAddons, Day2). Workloads use ClusterAddons.provider,
    which waits for the cloud-objects teardown, so that destroy removes them first."""
    admin_api: AdminApi
    kubeconfig: pulumi.Output[str]
    api_endpoint: pulumi.Output[str]
    nodes: list[NodeInfo]
    cluster_identity: str
    """pulumi-kubernetes' cluster identifier: names this stack's cluster, holds no credential."""
    alert_rule_files = rule_files_in(FILES)
    """Day-2 alerts (upgrades, kured, etcd snapshots, certificates) for Observability."""

    def __init__(self, name: str, args: K3sClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:K3sCluster", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        # Pulumi-level protection in prod: `pulumi destroy` refuses before it deletes anything, until
        # `protect: false` + `pulumi up` (or `pulumi state unprotect`) lifts it deliberately.
        self._protected = pulumi.ResourceOptions(parent=self, protect=args.protected)
        self._labels = base_labels(Component.K3S_CLUSTER)
        cluster = args.cluster
        plan = args.network.ip_plan
        self.trust = ClusterTrust(name, self._child)
        self.cluster_cidr = cluster.cluster_cidr
        self.etcd_backup = EtcdBackupPlan.from_config(
            cluster.etcd_backup, is_prod=args.is_prod, servers=cluster.control_plane.count
        )

        server_ips = [plan.control_plane_ip(i) for i in range(cluster.control_plane.count)]
        public_ips = [self._primary_ip(i) for i in range(cluster.control_plane.count)]
        self.api_load_balancer = self._api_load_balancer() if cluster.ha else None
        join_host = plan.api_load_balancer_ip if cluster.ha else server_ips[0]
        tls_sans = pulumi.Output.all(*[ip.ip_address for ip in public_ips]).apply(
            lambda addresses: [*addresses, *server_ips, *([plan.api_load_balancer_ip] if cluster.ha else [])]
        )
        etcd_settings = self.etcd_backup.server_settings()
        settings = tls_sans.apply(
            lambda sans: ClusterSettings(
                cluster_cidr=cluster.cluster_cidr,
                service_cidr=cluster.service_cidr,
                flannel_backend=cluster.flannel_backend,
                join_endpoint=f"https://{join_host}:{API_PORT}",
                tls_sans=sans,
                server_extras=etcd_settings,
            )
        )
        self._settings = settings

        self.nodes = []
        servers = [
            self._control_plane_server(index, server_ips[index], public_ips[index], settings)
            for index in range(cluster.control_plane.count)
        ]
        agents = [
            self._agent(pool_index, index, settings)
            for pool_index, pool in enumerate(cluster.agent_pools)
            for index in range(pool.count)
        ]

        self.api_endpoints = pulumi.Output.all(*[ip.ip_address for ip in public_ips]).apply(
            lambda addresses: [f"https://{address}:{API_PORT}" for address in addresses]
        )
        trust = self.trust
        self.admin_api = AdminApi(
            self.api_endpoints,
            trust.server_ca_pem,
            trust.admin_cert.cert_pem,
            trust.admin_key.private_key_pem,
        )
        # The gate opens when any server answers; its `endpoint` is that server, and the kubeconfig
        # (so both Kubernetes providers) use it: with server 0 down the cluster is still reachable.
        readiness = ApiReadiness(
            f"{name}-api-ready",
            self.admin_api,
            timeout_seconds=READINESS_TIMEOUT_SECONDS,
            opts=pulumi.ResourceOptions(parent=self, depends_on=servers),
        )
        self.api_endpoint = readiness.endpoint
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self.api_endpoint,
                trust.server_ca_pem,
                trust.admin_cert.cert_pem,
                trust.admin_key.private_key_pem,
            ).apply(lambda a: render_kubeconfig(name, a[0], a[1], a[2], a[3]))
        )
        # With a cluster identity set, pulumi-kubernetes replaces a provider only when the identity
        # changes: a renewed admin certificate or another healthy server in the kubeconfig is an
        # update of the provider, not a new cluster with every Kubernetes resource planned for
        # replacement. The identity names this stack's cluster; it holds no credential.
        self.cluster_identity = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"
        # Two providers on the same kubeconfig: this one, for the add-ons that create things in Hetzner
        # (CCM, CSI, autoscaler) and the day-2 machinery, and ClusterAddons.provider for everything else,
        # which depends on the cloud-objects teardown, which depends on the add-ons and day 2.
        # `pulumi destroy` then runs in this order: workloads, teardown (removes load balancers and
        # volumes), add-ons, servers. This provider also waits for the agents' creation (not their boot),
        # so destroy removes agents only after the teardown: workloads and their volumes never lose their
        # node before they are cleaned up. (Its name predates the split: a rename would replace it.)
        self.addons_provider = k8s.Provider(
            f"{name}-k8s-addons",
            kubeconfig=self.kubeconfig,
            cluster_identifier=self.cluster_identity,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[readiness, *agents]),
        )
        self.servers = servers
        self.agents = agents
        self.register_outputs(
            {
                "apiEndpoint": self.api_endpoint,
                "kubeconfig": self.kubeconfig,
                "nodes": [node.name for node in self.nodes],
            }
        )

    # -- building blocks ---------------------------------------------------------------------------

    def _primary_ip(self, index: int) -> hcloud.PrimaryIp:
        """A public IPv4 made before its server, so the API certificate can name it from first boot."""
        return hcloud.PrimaryIp(
            f"{self._name}-cp-{index}-ipv4",
            type="ipv4",
            location=self._args.location,
            assignee_type="server",
            auto_delete=False,
            delete_protection=self._args.protected,
            labels=self._labels,
            opts=self._protected,
        )

    def _api_load_balancer(self) -> hcloud.LoadBalancer:
        """Private-only load balancer in front of the k3s servers; joins go through it in HA."""
        plan = self._args.network.ip_plan
        lb = hcloud.LoadBalancer(
            f"{self._name}-api",
            load_balancer_type=self._args.cluster.api_load_balancer_type,
            location=self._args.location,
            labels={**self._labels, ROLE_LABEL: "api-load-balancer"},
            delete_protection=self._args.protected,
            opts=self._protected,
        )
        lb_id = lb.id.apply(int)
        attachment = hcloud.LoadBalancerNetwork(
            f"{self._name}-api",
            load_balancer_id=lb_id,
            subnet_id=self._args.network.infra_subnet_id,
            ip=plan.api_load_balancer_ip,
            enable_public_interface=False,
            opts=self._child,
        )
        hcloud.LoadBalancerService(
            f"{self._name}-api",
            load_balancer_id=lb.id,
            protocol="tcp",
            listen_port=API_PORT,
            destination_port=API_PORT,
            health_check=hcloud.LoadBalancerServiceHealthCheckArgs(
                protocol="tcp", port=API_PORT, interval=5, timeout=3, retries=3
            ),
            opts=self._child,
        )
        hcloud.LoadBalancerTarget(
            f"{self._name}-api",
            load_balancer_id=lb_id,
            type="label_selector",
            label_selector=f"{ROLE_LABEL}=control-plane,platform/stack={pulumi.get_stack()}",
            use_private_ip=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        return lb

    def _host_name(self, server_name: str) -> str:
        """The server's name in Hetzner and its Kubernetes node name (the hcloud CCM matches the two):
        prefixed with the stack, because server names are unique per Hetzner project and dev and prod
        may share one. A hostname label: lowercase letters, digits and hyphens, at most 63."""
        name = re.sub(r"[^a-z0-9-]+", "-", f"{pulumi.get_stack()}-{server_name}".lower()).strip("-")
        if len(name) > 63:
            raise ValueError(f"server name {name!r} is longer than 63 characters; use a shorter stack name")
        return name

    def _server(
        self,
        server_name: str,
        *,
        server_type: str,
        role_label: str,
        firewall_id: pulumi.Output[int],
        placement_group_id: pulumi.Output[int],
        subnet_id: pulumi.Output[str],
        private_ip: str,
        public_net: hcloud.ServerPublicNetArgs,
        user_data: pulumi.Output[str],
        extra_labels: dict[str, str],
        protected: bool,
    ) -> hcloud.Server:
        network = self._args.network
        return hcloud.Server(
            server_name,
            name=self._host_name(server_name),
            server_type=server_type,
            image=self._args.cluster.image,
            location=self._args.location,
            ssh_keys=network.ssh_key_ids,
            firewall_ids=[firewall_id],
            placement_group_id=placement_group_id,
            networks=[
                hcloud.ServerNetworkArgs(network_id=network.network_id, subnet_id=subnet_id, ip=private_ip)
            ],
            public_nets=[public_net],
            user_data=user_data,
            labels={**self._labels, ROLE_LABEL: role_label, **extra_labels},
            delete_protection=protected,
            rebuild_protection=protected,
            # user-data and image only matter at first boot; upgrades roll through the
            # system-upgrade-controller instead of replacing servers. Hetzner copies ssh_keys into
            # the server at creation only, and a change would replace the server (ForceNew): a key
            # rotation reaches running servers over SSH (README, Day 2), new servers get the new keys.
            # A replacement (location, say) deletes first: the name is taken until the old one goes.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["userData", "image", "sshKeys"],
                protect=protected,
                delete_before_replace=True,
            ),
        )

    def _control_plane_server(
        self,
        index: int,
        private_ip: str,
        public_ip: hcloud.PrimaryIp,
        settings: pulumi.Output[ClusterSettings],
    ) -> hcloud.Server:
        args = self._args
        server_name = f"{self._name}-cp-{index}"
        node_name = self._host_name(server_name)
        first = index == 0
        taints = [CONTROL_PLANE_TAINT] if args.cluster.ha else []
        k3s_config: pulumi.Output[dict[str, Any]] = pulumi.Output.all(
            settings, public_ip.ip_address, self.trust.server_token, self.trust.agent_secret.result
        ).apply(
            lambda a: server_config(
                a[0],
                NodeSettings(node_name, private_ip, a[1], {POOL_LABEL: "control-plane"}, taints),
                token=a[2],
                agent_token=a[3],
                single=not args.cluster.ha,
            )
        )
        boot = NodeBoot(
            role="server",
            k3s_version=args.cluster.k3s_version,
            private_network=args.network.ip_plan.cidr,
            private_ip=private_ip,
            cert_renew_slot=index,
            cert_renew_slots=args.cluster.control_plane.count,
            os_updates=args.cluster.maintenance.os_updates,
            etcd_backup_env=self.etcd_backup.restore_env(),
            k3s_binary_sha256=args.cluster.k3s_binary_digests,
            init_peers=self._init_peers() if first and args.cluster.ha else (),
        )
        user_data = node_user_data(boot, k3s_config, self.trust.bootstrap_files() if first else [])
        self.nodes.append(
            NodeInfo(node_name, "control-plane", "control-plane", private_ip, public_ip.ip_address)
        )
        return self._server(
            server_name,
            server_type=args.cluster.control_plane.server_type,
            role_label="control-plane",
            firewall_id=args.network.control_plane_firewall_id,
            placement_group_id=args.network.control_plane_placement_group_id,
            subnet_id=args.network.infra_subnet_id,
            private_ip=private_ip,
            public_net=hcloud.ServerPublicNetArgs(
                ipv4_enabled=True, ipv4=public_ip.id.apply(int), ipv6_enabled=True
            ),
            user_data=user_data,
            extra_labels={},
            protected=args.protected,
        )

    def _agent(self, pool_index: int, index: int, settings: pulumi.Output[ClusterSettings]) -> hcloud.Server:
        args = self._args
        pool = args.cluster.agent_pools[pool_index]
        server_name = f"{self._name}-{pool.name}-{index}"
        node_name = self._host_name(server_name)
        private_ip = args.network.ip_plan.agent_ip(pool_index, index)
        k3s_config: pulumi.Output[dict[str, Any]] = pulumi.Output.all(settings, self.trust.agent_token).apply(
            lambda a: agent_config(
                a[0],
                NodeSettings(
                    node_name, private_ip, None, {POOL_LABEL: pool.name, **pool.labels}, pool.taints
                ),
                agent_token=a[1],
            )
        )
        user_data = node_user_data(self._agent_boot(private_ip), k3s_config, [])
        server = self._server(
            server_name,
            server_type=pool.server_type,
            role_label="agent",
            firewall_id=args.network.agent_firewall_id,
            placement_group_id=args.network.agent_placement_group_id(pool.name, index),
            subnet_id=args.network.pool_subnet_ids[pool_index],
            private_ip=private_ip,
            public_net=hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv6_enabled=True),
            user_data=user_data,
            extra_labels={POOL_LABEL: pool.name},
            protected=False,
        )
        self.nodes.append(NodeInfo(node_name, "agent", pool.name, private_ip, server.ipv4_address))
        return server

    def _agent_boot(self, private_ip: str | None) -> NodeBoot:
        args = self._args
        return NodeBoot(
            role="agent",
            k3s_version=args.cluster.k3s_version,
            private_network=args.network.ip_plan.cidr,
            private_ip=private_ip,
            os_updates=args.cluster.maintenance.os_updates,
            k3s_binary_sha256=args.cluster.k3s_binary_digests,
        )

    def _init_peers(self) -> tuple[str, ...]:
        """The other servers' API addresses, which the first server asks before it may initialise."""
        plan = self._args.network.ip_plan
        count = self._args.cluster.control_plane.count
        return tuple(f"https://{plan.control_plane_ip(i)}:{API_PORT}" for i in range(1, count))

    def agent_user_data(self, labels: dict[str, str], taints: list[str]) -> pulumi.Output[str]:
        """The user-data of an agent without a fixed name or address (an autoscaled node): the agent
        token is its only secret."""
        k3s_config: pulumi.Output[dict[str, Any]] = pulumi.Output.all(
            self._settings, self.trust.agent_token
        ).apply(
            lambda a: agent_config(a[0], NodeSettings(None, None, None, labels, taints), agent_token=a[1])
        )
        return node_user_data(self._agent_boot(None), k3s_config, [])
