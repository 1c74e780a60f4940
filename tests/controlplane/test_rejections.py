"""What the real API server must refuse, each case starting from an object the program renders."""

from __future__ import annotations

import copy
from typing import Any

from .cluster import ControlPlane
from .objects import Applied, rendered_objects
from .workloads import pod_from_template, privilege_escalating_pod, workload_with_a_volume


def test_a_pod_violating_restricted_is_refused_in_a_restricted_namespace(
    control_plane: ControlPlane, applied: Applied
) -> None:
    answer = control_plane.api.create(privilege_escalating_pod(control_plane.run, "escalating"))
    assert answer.status == 403, answer.message
    assert 'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' in answer.message


def test_two_volume_mounts_at_one_path_are_refused(control_plane: ControlPlane, applied: Applied) -> None:
    _, workload = workload_with_a_volume(control_plane.run)
    spec = workload["spec"]["template"]["spec"]
    mounts = spec["containers"][0]["volumeMounts"]
    path = mounts[0]["mountPath"]
    spec["volumes"] = [*spec.get("volumes", []), {"name": "second-at-same-path", "emptyDir": {}}]
    mounts.append({"name": "second-at-same-path", "mountPath": path})
    # As `pulumi up` sends it (server-side apply): volumeMounts is a list keyed by mountPath.
    applied_twice = control_plane.api.apply(workload, dry_run=True)
    assert not applied_twice.accepted
    assert f'volumeMounts: duplicate entries for key [mountPath="{path}"]' in applied_twice.message
    # As a controller creating the Pod would: the API's own validation.
    pod = pod_from_template("two-mounts", workload["metadata"]["namespace"], workload["spec"]["template"])
    created = control_plane.api.create(pod, dry_run=True)
    assert created.status == 422, created.message
    assert (
        f'volumeMounts[{len(mounts) - 1}].mountPath: Invalid value: "{path}": must be unique'
        in created.message
    )


def _prometheus_rule(control_plane: ControlPlane) -> dict[str, Any]:
    rules = [obj for _, obj in rendered_objects(control_plane.run) if obj["kind"] == "PrometheusRule"]
    assert rules, "the program renders no PrometheusRule"
    return copy.deepcopy(rules[0])


def test_a_custom_resource_with_an_unknown_field_is_refused(
    control_plane: ControlPlane, applied: Applied
) -> None:
    rule = _prometheus_rule(control_plane)
    group = rule["spec"]["groups"][0]
    group["alertAfter"] = "10m"
    answer = control_plane.api.apply(rule, dry_run=True)
    assert not answer.accepted
    assert f'.spec.groups[name="{group["name"]}"].alertAfter: field not declared in schema' in answer.message


def test_a_custom_resource_with_an_invalid_value_is_refused(
    control_plane: ControlPlane, applied: Applied
) -> None:
    rule = _prometheus_rule(control_plane)
    rule["spec"]["groups"][0]["rules"][0]["for"] = "5 minutes"
    answer = control_plane.api.apply(rule, dry_run=True)
    assert answer.status == 422, answer.message
    assert 'spec.groups[0].rules[0].for: Invalid value: "5 minutes"' in answer.message
