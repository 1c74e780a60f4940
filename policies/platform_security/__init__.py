"""The platform-security policy pack: every policy, grouped by family, with no side effects on import.

`policies/__main__.py` hands `ALL_POLICIES` to `PolicyPack`; tests and the docs generator import this
package directly (constructing a PolicyPack starts a gRPC server, so nothing here does).
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import cluster, exposure, hcloud_edge, stack, workloads

PACK_NAME = "platform-security"

ALL_POLICIES: list[Policy] = [
    hcloud_edge.firewall_no_world_admin_ports,
    hcloud_edge.server_has_firewall,
    hcloud_edge.database_not_public,
    hcloud_edge.public_lb_web_only,
    hcloud_edge.server_ssh_keys,
    hcloud_edge.prod_protection,
    hcloud_edge.prod_database_backups,
    hcloud_edge.server_user_data_secret,
    cluster.k3s_server_hardening,
    cluster.k3s_api_not_public,
    cluster.k3s_prod_etcd_offsite,
    workloads.no_privileged,
    workloads.no_host_namespaces,
    workloads.no_host_path,
    workloads.run_as_non_root,
    workloads.no_privilege_escalation,
    workloads.drop_all_capabilities,
    workloads.seccomp_runtime_default,
    workloads.read_only_root_fs,
    workloads.resources_set,
    workloads.image_pinned,
    workloads.probes_set,
    workloads.no_token_automount,
    workloads.no_secret_env_literals,
    exposure.no_node_port,
    exposure.lb_only_ingress,
    exposure.ingress_tls,
    exposure.tls_from_cert_manager,
    exposure.http_redirects,
    stack.namespace_pod_security,
    stack.namespace_default_deny,
    stack.prod_web_tier,
    stack.prod_cluster_issuer,
]

__all__ = ["ALL_POLICIES", "PACK_NAME"]
