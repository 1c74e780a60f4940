"""Labels and names every resource carries, so a stack's resources can be found (and billed) by label."""

from __future__ import annotations

import pulumi

LABEL_PREFIX = "platform"


def base_labels(component: str) -> dict[str, str]:
    """Labels for hcloud resources and Kubernetes objects: project, stack and owning component."""
    return {**stack_labels(), f"{LABEL_PREFIX}/component": component}


def stack_labels() -> dict[str, str]:
    """The labels that say a resource belongs to this stack (of this project)."""
    return {f"{LABEL_PREFIX}/project": pulumi.get_project(), f"{LABEL_PREFIX}/stack": pulumi.get_stack()}
