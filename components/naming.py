"""Labels and names every resource carries, so a stack's resources can be found (and billed) by label."""

from __future__ import annotations

from enum import StrEnum

import pulumi

LABEL_PREFIX = "platform"


class Component(StrEnum):
    """Values of the `platform/component` label: which part of the platform a resource belongs to.

    One value per ComponentResource, except Day2, whose parts kept the values they had as K3sCluster's
    children (upgrades, autoscaler; its etcd-snapshot Secret and ClusterAddons' hcloud Secret say
    k3s-cluster): label values are inputs (pod templates carry them), so a rename would update live
    objects and roll pods for no gain.
    """

    NETWORK = "network"
    K3S_CLUSTER = "k3s-cluster"
    UPGRADES = "upgrades"
    AUTOSCALER = "autoscaler"
    POSTGRES = "postgres"
    INGRESS = "ingress"
    OBSERVABILITY = "observability"
    OBJECT_STORE = "object-store"
    SUPABASE = "supabase"
    APP = "app"
    WORKLOADS = "workloads"


def base_labels(component: Component) -> dict[str, str]:
    """Labels for hcloud resources and Kubernetes objects: project, stack and owning component."""
    return {**stack_labels(), f"{LABEL_PREFIX}/component": component}


def stack_labels() -> dict[str, str]:
    """The labels that say a resource belongs to this stack (of this project)."""
    return {f"{LABEL_PREFIX}/project": pulumi.get_project(), f"{LABEL_PREFIX}/stack": pulumi.get_stack()}
