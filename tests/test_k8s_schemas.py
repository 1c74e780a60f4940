"""Every Kubernetes object the program renders validates against the pinned Kubernetes version's schemas."""

from __future__ import annotations

import copy

import pytest

from tests.k8s_schema import kubernetes_objects, schema_errors
from tests.pilot_runs import stack_run


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_rendered_object_matches_its_schema(stack: str) -> None:
    objects = kubernetes_objects(stack_run(stack))
    kinds = {o["kind"] for o in objects.values()}
    assert {"Deployment", "NetworkPolicy", "PrometheusRule", "ClusterIssuer", "TLSOption"} <= kinds
    assert schema_errors(objects) == {}


def test_a_wrong_field_in_a_builtin_kind_is_reported() -> None:
    objects = kubernetes_objects(stack_run("dev"))
    deployment = copy.deepcopy(next(o for o in objects.values() if o["kind"] == "Deployment"))
    deployment["spec"]["replicas"] = "two"
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    errors = schema_errors([deployment])[f"Deployment/{deployment['metadata']['name']}"]
    assert any("spec.replicas" in e and "'two'" in e for e in errors)
    assert any("livenessprobe" in e for e in errors)


def test_a_wrong_field_in_a_custom_resource_is_reported() -> None:
    objects = kubernetes_objects(stack_run("dev"))
    rule = copy.deepcopy(next(o for o in objects.values() if o["kind"] == "PrometheusRule"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"
    split = copy.deepcopy(next(o for o in objects.values() if o["kind"] == "TraefikService"))
    split["spec"]["weighted"]["services"][0]["weight"] = "ninety"
    problems = schema_errors([rule, split])
    assert any("/for" in e for e in problems[f"PrometheusRule/{rule['metadata']['name']}"])
    assert any("weight" in e for e in problems["TraefikService/web-split"])


def test_a_kind_without_any_schema_is_an_error_not_a_pass() -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert "no schema for Widget" in schema_errors([unknown])["Widget/w"][0]
