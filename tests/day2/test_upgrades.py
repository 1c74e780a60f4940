"""k3s upgrades roll through system-upgrade-controller Plans that validate against the Plan CRD's
schema, and changing `cluster.k3sVersion` changes the Plans and nothing a server would be replaced for."""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from offline.program import ProgramRun, run_program
from tests.k8s_schema import schema_errors

from ..graph import diff, stack_config
from ..k3s.user_data import written_files

PLAN = "kubernetes:upgrade.cattle.io/v1:Plan"
NEW_VERSION = "v1.34.2+k3s1"


def _plans(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {p.plain_inputs["metadata"]["name"]: p.plain_inputs for p in run.of_type(PLAN)}


def _errors(document: dict[str, Any]) -> list[str]:
    """Schema problems of one Plan, through the suite's Kubernetes validator (tests/k8s_schema.py)."""
    return schema_errors([document]).get(f"Plan/{document['metadata']['name']}", [])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plans_validate_against_the_crd_schema(stack: str, dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    plans = _plans(dev_run if stack == "dev" else prod_run)
    assert set(plans) == {"k3s-server", "k3s-agent"}
    for name, plan in plans.items():
        assert _errors(plan) == [], name


def test_the_schema_rejects_broken_plans(prod_run: ProgramRun) -> None:
    plan = _plans(prod_run)["k3s-agent"]
    no_upgrade = {**plan, "spec": {k: v for k, v in plan["spec"].items() if k != "upgrade"}}
    typo = {**plan, "spec": {**plan["spec"], "concurency": 1}}
    bad_day = {**plan, "spec": {**plan["spec"], "window": {**plan["spec"]["window"], "days": ["someday"]}}}
    assert any("'upgrade' is a required property" in e for e in _errors(no_upgrade))
    assert any("concurency" in e for e in _errors(typo))
    assert any("someday" in e for e in _errors(bad_day))


def test_servers_first_one_at_a_time_cordoned_then_agents_drained(prod_run: ProgramRun) -> None:
    plans = _plans(prod_run)
    server, agent = plans["k3s-server"]["spec"], plans["k3s-agent"]["spec"]
    assert server["concurrency"] == agent["concurrency"] == 1
    assert server["cordon"] is True and "drain" not in server
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "In", "values": ["true"]} in server[
        "nodeSelector"
    ]["matchExpressions"]
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"} in agent[
        "nodeSelector"
    ]["matchExpressions"]
    assert agent["prepare"]["args"] == ["prepare", "k3s-server"], "agents wait for the server plan"
    assert agent["drain"]["force"] is True and agent["drain"]["ignoreDaemonSets"] is True
    for spec in (server, agent):
        assert spec["version"] == versions.K3S_VERSION
        assert spec["upgrade"]["image"] == versions.K3S_UPGRADE_IMAGE
        assert spec["window"] == {
            "days": ["tue", "wed", "thu"],
            "startTime": "03:00",
            "endTime": "06:00",
            "timeZone": "Europe/Berlin",
        }


def test_controller_is_pinned_restricted_and_in_a_privileged_namespace(prod_run: ProgramRun) -> None:
    (deployment,) = [d for d in prod_run.of_type("kubernetes:apps/v1:Deployment") if d.name == "k3s-suc"]
    pod = deployment.plain_inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == versions.SYSTEM_UPGRADE_CONTROLLER_IMAGE
    assert ":" in container["image"] and not container["image"].endswith(":latest")
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SYSTEM_UPGRADE_JOB_KUBECTL_IMAGE"] == versions.SYSTEM_UPGRADE_KUBECTL_IMAGE
    namespaces = {
        n.plain_inputs["metadata"]["name"]: n.plain_inputs
        for n in prod_run.of_type("kubernetes:core/v1:Namespace")
    }
    assert (
        namespaces["system-upgrade"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "privileged"
    )


def test_kured_reboots_inside_the_window_one_at_a_time(prod_run: ProgramRun) -> None:
    (kured,) = [
        r for r in prod_run.of_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["name"] == "kured"
    ]
    inputs = kured.plain_inputs
    assert inputs["version"] == versions.KURED_CHART_VERSION
    values = inputs["values"]
    assert values["image"]["tag"] == versions.KURED_IMAGE_TAG
    conf = values["configuration"]
    assert (conf["rebootDays"], conf["startTime"], conf["endTime"], conf["timeZone"]) == (
        ["tue", "wed", "thu"],
        "03:00",
        "06:00",
        "Europe/Berlin",
    )
    assert conf["concurrency"] == 1
    assert values["containerSecurityContext"]["privileged"] is False


def test_os_updates_off_means_no_kured_and_no_unattended_upgrades() -> None:
    cluster = stack_config("dev", "cluster")
    run = run_program("dev", overrides={"cluster": {**cluster, "maintenance": {"osUpdates": False}}})
    assert not [r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["name"] == "kured"]
    for server in run.of_type("hcloud:index/server:Server"):
        assert "unattended-upgrades" not in server.plain_inputs["userData"]


def test_a_k3s_version_change_touches_only_the_plans(prod_run: ProgramRun) -> None:
    cluster = stack_config("prod", "cluster")
    # A release without a pin in versions.py comes with its binary's sha256 (docs/day2.md).
    digests = {"amd64": "1" * 64, "arm64": "2" * 64}
    upgraded = run_program(
        "prod", overrides={"cluster": {**cluster, "k3sVersion": NEW_VERSION, "k3sBinarySha256": digests}}
    )
    change = diff(prod_run, upgraded)
    assert change.added == set() and change.removed == set()
    assert change.changed == {"k3s-plan-k3s-server", "k3s-plan-k3s-agent"}, "Secrets included"
    k3s_servers = {
        s.name
        for s in upgraded.of_type("hcloud:index/server:Server")
        if s.plain_inputs["labels"]["platform/component"] == "k3s-cluster"
    }
    assert change.drifted == k3s_servers, (
        "a rebuilt k3s server installs the new version; the DB VM is as it was"
    )
    assert {p["spec"]["version"] for p in _plans(upgraded).values()} == {NEW_VERSION}
    # What lets this hold: a server ignores its user-data (which names the version) after creation.
    for server in upgraded.of_type("hcloud:index/server:Server"):
        if server.plain_inputs["labels"]["platform/component"] != "k3s-cluster":
            continue  # the database VM runs no k3s
        assert f"K3S_VERSION={NEW_VERSION}" in written_files(server)["/etc/platform/k3s.env"]["content"]
        assert "userData" in server.ignore_changes


def test_the_comparison_sees_a_server_change(prod_run: ProgramRun) -> None:
    """The failing case of the check above: a change that does reach servers is reported."""
    cluster = stack_config("prod", "cluster")
    bigger = {**cluster, "controlPlane": {**cluster["controlPlane"], "serverType": "cpx32"}}
    change = diff(prod_run, run_program("prod", overrides={"cluster": bigger}))
    assert {"k3s-cp-0", "k3s-cp-1", "k3s-cp-2"} <= change.changed
