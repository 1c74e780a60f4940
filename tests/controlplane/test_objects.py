"""Every Kubernetes object the program renders is accepted by the real API server, admission included."""

from __future__ import annotations

from .api import Answer
from .cluster import ControlPlane
from .objects import NO_CRD_AVAILABLE, Applied, rendered_objects
from .workloads import pod_from_template, pod_templates


def _refusals(answers: dict[str, Answer]) -> dict[str, str]:
    return {
        name: f"HTTP {a.status}: {a.message}" for name, a in answers.items() if a.status not in (200, 201)
    }


def test_upstream_crds_of_the_pinned_charts_are_accepted(applied: Applied) -> None:
    assert applied.crds
    assert _refusals(applied.crds) == {}


def test_every_rendered_object_is_accepted(control_plane: ControlPlane, applied: Applied) -> None:
    assert len(applied.objects) > 20
    assert _refusals(applied.objects) == {}
    kinds = {(obj["apiVersion"], obj["kind"]) for name, obj in rendered_objects(control_plane.run)
             if name in applied.not_applied}  # fmt: skip
    assert kinds <= set(NO_CRD_AVAILABLE)


def test_every_rendered_pod_template_passes_pod_security_admission(
    control_plane: ControlPlane, applied: Applied
) -> None:
    # Pod Security enforces on Pods only (for Deployments it merely warns), so create each template's
    # Pod, as its controller would, in a dry run: admission runs, nothing is stored.
    templates = pod_templates(control_plane.run)
    assert templates
    api = control_plane.api
    refused = {}
    for name, namespace, template in templates:
        answer = api.create(pod_from_template(name, namespace, template), dry_run=True)
        if answer.status != 201:
            refused[name] = f"HTTP {answer.status}: {answer.message}"
    assert refused == {}
