"""In-place upgrades: k3s through system-upgrade-controller Plans, OS reboots through kured.

Changing `cluster.k3sVersion` changes only the two Plans' `version`; the controller then upgrades
servers one at a time (cordoned), and agents one at a time (drained) once every server is done.
Servers ignore user-data changes, so no server is ever replaced for an upgrade. Both the Plans and
kured act only inside `cluster.maintenance` (the Plans' `window` uses kured's time-window parser).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import helm, versions
from ..config.day2 import MaintenanceWindow
from ..k8s_namespace import allow_egress_except_metadata, platform_namespace
from ..naming import Component, base_labels

SUC_NAMESPACE = "system-upgrade"
SUC_NAME = "system-upgrade-controller"
SUC_SERVICE_ACCOUNT = "system-upgrade"
KURED_NAMESPACE = "kured"
SERVER_PLAN = "k3s-server"
AGENT_PLAN = "k3s-agent"
OPT_OUT_LABEL = "platform/k3s-upgrade"
"""Label a node `platform/k3s-upgrade=disabled` to keep it out of automatic k3s upgrades."""

_COMPONENT = Component.UPGRADES
_TOLERATE_EVERYTHING = [{"operator": "Exists"}]
"""Upgrade Jobs and kured must reach every node, whatever taints a pool carries."""


def window(maintenance: MaintenanceWindow) -> dict[str, Any]:
    """The Plan `window` (SUC TimeWindowSpec)."""
    return {
        "days": list(maintenance.days),
        "startTime": maintenance.start_time,
        "endTime": maintenance.end_time,
        "timeZone": maintenance.time_zone,
    }


def upgrade_plans(k3s_version: str, maintenance: MaintenanceWindow) -> list[dict[str, Any]]:
    """The server and agent Plans (upgrade.cattle.io/v1), as the API receives them."""
    opted_in = {"key": OPT_OUT_LABEL, "operator": "NotIn", "values": ["disabled"]}
    common: dict[str, Any] = {
        "concurrency": 1,
        "version": k3s_version,
        "serviceAccountName": SUC_SERVICE_ACCOUNT,
        "tolerations": _TOLERATE_EVERYTHING,
        "window": window(maintenance),
        "upgrade": {"image": versions.K3S_UPGRADE_IMAGE},
    }
    labels = base_labels(_COMPONENT)

    def plan(name: str, nodes: dict[str, Any], **steps: Any) -> dict[str, Any]:
        return {
            "apiVersion": "upgrade.cattle.io/v1",
            "kind": "Plan",
            "metadata": {"name": name, "namespace": SUC_NAMESPACE, "labels": labels},
            "spec": {**common, "nodeSelector": {"matchExpressions": [nodes, opted_in]}, **steps},
        }

    server = plan(
        SERVER_PLAN,
        {"key": "node-role.kubernetes.io/control-plane", "operator": "In", "values": ["true"]},
        # Cordon only: draining a server would evict the control plane's own add-ons with nowhere to
        # go in a one-server cluster; k3s restarts in place and running pods survive the restart.
        cordon=True,
    )
    agent = plan(
        AGENT_PLAN,
        {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"},
        # The prepare step blocks until the server Plan has finished on every server, so agents
        # never run a newer kubelet than the API server.
        prepare={"image": versions.K3S_UPGRADE_IMAGE, "args": ["prepare", SERVER_PLAN]},
        drain={
            "force": True,
            "ignoreDaemonSets": True,
            "deleteEmptydirData": True,
            "skipWaitForDeleteTimeout": 60,
            "timeout": "15m",
        },
    )
    return [server, agent]


def _controller_rbac(name: str, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """What the controller needs (from the upstream manifests of the pinned release)."""
    labels = base_labels(_COMPONENT)
    meta = k8s.meta.v1.ObjectMetaArgs
    rule = k8s.rbac.v1.PolicyRuleArgs
    subject = [
        k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=SUC_SERVICE_ACCOUNT, namespace=SUC_NAMESPACE)
    ]
    account = k8s.core.v1.ServiceAccount(
        f"{name}-suc",
        metadata=meta(name=SUC_SERVICE_ACCOUNT, namespace=SUC_NAMESPACE, labels=labels),
        opts=opts,
    )
    controller_role = k8s.rbac.v1.ClusterRole(
        f"{name}-suc",
        metadata=meta(name=SUC_NAME, labels=labels),
        rules=[
            rule(api_groups=["batch"], resources=["jobs"], verbs=["get", "list", "watch"]),
            rule(
                api_groups=["apiextensions.k8s.io"],
                resources=["customresourcedefinitions"],
                verbs=["get", "list", "watch", "create", "patch", "update"],
            ),
            rule(api_groups=[""], resources=["namespaces", "nodes"], verbs=["get", "list", "watch"]),
            rule(api_groups=[""], resources=["nodes"], verbs=["update"]),
            rule(api_groups=[""], resources=["events"], verbs=["get", "create", "patch", "update"]),
            rule(api_groups=["coordination.k8s.io"], resources=["leases"], verbs=["create"]),
            rule(
                api_groups=["coordination.k8s.io"],
                resources=["leases"],
                resource_names=[SUC_NAME],
                verbs=["get", "update"],
            ),
            rule(
                api_groups=["upgrade.cattle.io"],
                resources=["plans", "plans/status"],
                verbs=["get", "list", "watch", "create", "patch", "update", "delete"],
            ),
        ],
        opts=opts,
    )
    drainer_role = k8s.rbac.v1.ClusterRole(
        f"{name}-suc-drainer",
        metadata=meta(name=f"{SUC_NAME}-drainer", labels=labels),
        rules=[
            rule(api_groups=[""], resources=["pods/eviction"], verbs=["create"]),
            rule(api_groups=[""], resources=["pods"], verbs=["get", "list", "delete"]),
            rule(api_groups=[""], resources=["nodes"], verbs=["get", "patch"]),
            rule(
                api_groups=["apps"],
                resources=["statefulsets", "daemonsets", "replicasets"],
                verbs=["get", "list"],
            ),
        ],
        opts=opts,
    )
    namespaced_role = k8s.rbac.v1.Role(
        f"{name}-suc",
        metadata=meta(name=SUC_NAME, namespace=SUC_NAMESPACE, labels=labels),
        rules=[
            rule(
                api_groups=["batch"],
                resources=["jobs"],
                verbs=["create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"],
            ),
            rule(api_groups=[""], resources=["secrets"], verbs=["get", "list", "watch"]),
        ],
        opts=opts,
    )
    bindings: list[pulumi.Resource] = [
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-suc{suffix}",
            metadata=meta(name=f"{SUC_SERVICE_ACCOUNT}{suffix}", labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=subject,
            opts=opts,
        )
        for suffix, role in (("", controller_role), ("-drainer", drainer_role))
    ]
    bindings.append(
        k8s.rbac.v1.RoleBinding(
            f"{name}-suc",
            metadata=meta(name=SUC_SERVICE_ACCOUNT, namespace=SUC_NAMESPACE, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="Role", name=namespaced_role.metadata.name
            ),
            subjects=subject,
            opts=opts,
        )
    )
    return [account, *bindings]


_CONTROLLER_ENV = {
    "SYSTEM_UPGRADE_CONTROLLER_DEBUG": "false",
    "SYSTEM_UPGRADE_CONTROLLER_THREADS": "2",
    "SYSTEM_UPGRADE_CONTROLLER_LEADER_ELECT": "true",
    "SYSTEM_UPGRADE_JOB_ACTIVE_DEADLINE_SECONDS": "900",
    "SYSTEM_UPGRADE_JOB_BACKOFF_LIMIT": "99",
    "SYSTEM_UPGRADE_JOB_IMAGE_PULL_POLICY": "IfNotPresent",
    "SYSTEM_UPGRADE_JOB_KUBECTL_IMAGE": versions.SYSTEM_UPGRADE_KUBECTL_IMAGE,
    "SYSTEM_UPGRADE_JOB_PRIVILEGED": "true",
    "SYSTEM_UPGRADE_JOB_TTL_SECONDS_AFTER_FINISH": "900",
    "SYSTEM_UPGRADE_PLAN_POLLING_INTERVAL": "15m",
}
"""The controller's settings (same names as the upstream ConfigMap `default-controller-env`)."""


def _controller(name: str, opts: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
    labels = {**base_labels(_COMPONENT), "app.kubernetes.io/name": SUC_NAME}
    pod_labels = {
        "app.kubernetes.io/name": SUC_NAME,
        # The controller's own pod carries this label so its Jobs never drain it away.
        "upgrade.cattle.io/controller": SUC_NAME,
    }
    env_from_field = [
        ("SYSTEM_UPGRADE_CONTROLLER_NAME", "metadata.labels['upgrade.cattle.io/controller']"),
        ("SYSTEM_UPGRADE_CONTROLLER_NAMESPACE", "metadata.namespace"),
        ("SYSTEM_UPGRADE_CONTROLLER_NODE_NAME", "spec.nodeName"),
    ]
    return k8s.apps.v1.Deployment(
        f"{name}-suc",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SUC_NAME, namespace=SUC_NAMESPACE, labels=labels),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=1,
            strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"upgrade.cattle.io/controller": SUC_NAME}),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels),
                spec=k8s.core.v1.PodSpecArgs(
                    service_account_name=SUC_SERVICE_ACCOUNT,
                    automount_service_account_token=True,  # a controller: it watches Plans and Nodes
                    node_selector={"node-role.kubernetes.io/control-plane": "true"},
                    tolerations=[
                        k8s.core.v1.TolerationArgs(key="CriticalAddonsOnly", operator="Exists"),
                        k8s.core.v1.TolerationArgs(
                            key="node-role.kubernetes.io/control-plane",
                            operator="Exists",
                            effect="NoSchedule",
                        ),
                    ],
                    security_context=k8s.core.v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=65534,
                        run_as_group=65534,
                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    containers=[
                        k8s.core.v1.ContainerArgs(
                            name=SUC_NAME,
                            image=versions.SYSTEM_UPGRADE_CONTROLLER_IMAGE,
                            env=[
                                *(
                                    k8s.core.v1.EnvVarArgs(name=k, value=v)
                                    for k, v in _CONTROLLER_ENV.items()
                                ),
                                *(
                                    k8s.core.v1.EnvVarArgs(
                                        name=env_name,
                                        value_from=k8s.core.v1.EnvVarSourceArgs(
                                            field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=path)
                                        ),
                                    )
                                    for env_name, path in env_from_field
                                ),
                            ],
                            security_context=k8s.core.v1.SecurityContextArgs(
                                allow_privilege_escalation=False,
                                read_only_root_filesystem=True,
                                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                            ),
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests={"cpu": "10m", "memory": "32Mi"}, limits={"memory": "128Mi"}
                            ),
                            # No probes: the controller serves no health endpoint; a crash restarts it.
                            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
                        )
                    ],
                    volumes=[
                        k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs())
                    ],
                ),
            ),
        ),
        opts=opts,
    )


def install_upgrades(
    name: str,
    *,
    k3s_version: str,
    maintenance: MaintenanceWindow,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """system-upgrade-controller with its Plans, and kured when OS updates are on."""
    # privileged: the upgrade Jobs replace the k3s binary on the host (hostPath /, hostPID, privileged),
    # which no lower Pod Security level admits. The controller pod itself runs restricted.
    namespace = _namespace(f"{name}-system-upgrade", SUC_NAMESPACE, opts)
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    rbac = _controller_rbac(name, in_namespace)
    controller = _controller(
        name, pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=rbac))
    )
    # The controller creates the Plan CRD when it starts; Pulumi retries a kind it does not know yet.
    after_controller = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[controller]))
    server_plan, agent_plan = upgrade_plans(k3s_version, maintenance)
    plans = [
        k8s.apiextensions.CustomResource(
            f"{name}-plan-{plan['metadata']['name']}",
            api_version=plan["apiVersion"],
            kind=plan["kind"],
            metadata=plan["metadata"],
            spec=plan["spec"],
            opts=after_controller,
        )
        for plan in (server_plan, agent_plan)
    ]
    resources: list[pulumi.Resource] = [namespace, controller, *plans]
    if maintenance.os_updates:
        resources.append(_kured(name, maintenance, opts))
    return resources


def kured_values(maintenance: MaintenanceWindow) -> dict[str, Any]:
    """Values of the kured chart: one node at a time, drained, only inside the maintenance window."""
    return {
        "image": {"tag": versions.KURED_IMAGE_TAG},
        "configuration": {
            "rebootDays": list(maintenance.days),
            "startTime": maintenance.start_time,
            "endTime": maintenance.end_time,
            "timeZone": maintenance.time_zone,
            "period": "10m",
            "concurrency": 1,
            "drainTimeout": "15m",
            "lockTtl": "2h",
            "annotateNodes": True,
            # Never reboot a node while an upgrade Job of system-upgrade-controller runs on it.
            "blockingPodSelector": ["upgrade.cattle.io/plan"],
            # SIGRTMIN+5 to systemd instead of nsenter: the container needs CAP_KILL, not privileged.
            "rebootMethod": "signal",
        },
        "containerSecurityContext": {
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            # Kubernetes names capabilities without the CAP_ prefix (containerd adds it): "CAP_KILL" would
            # become CAP_CAP_KILL, which runc drops as unknown.
            "capabilities": {"add": ["KILL"], "drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        "tolerations": _TOLERATE_EVERYTHING,
        "podLabels": base_labels(_COMPONENT),
    }


def _kured(name: str, maintenance: MaintenanceWindow, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    # privileged: kured needs the host's PID namespace (to signal systemd) and the host's /var/run
    # (the reboot-required sentinel); neither is allowed below the privileged level.
    namespace = _namespace(f"{name}-kured", KURED_NAMESPACE, opts)
    return helm.release(
        f"{name}-kured",
        versions.KURED,
        namespace=KURED_NAMESPACE,
        values=kured_values(maintenance),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
    )


def _namespace(resource_name: str, namespace: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Namespace:
    """Privileged namespace (reasons at the call sites) whose pods may reach the API server only through
    the host network addresses, hence egress outside the cluster (the metadata service stays blocked)."""
    ns = platform_namespace(resource_name, namespace, _COMPONENT, opts, pod_security="privileged")
    allow_egress_except_metadata(f"{resource_name}-egress", ns, _COMPONENT, opts=opts)
    return ns
