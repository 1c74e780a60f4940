"""ObjectStore as the program renders it: SeaweedFS in dev, Hetzner Object Storage in prod."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline.program import ProgramError, ProgramRun, run_program
from offline.wire import reveal
from tests.k8s_schema import kubernetes_objects, schema_errors
from tests.pilot_runs import stack_run


def _mine(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {
        f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o
        for o in kubernetes_objects(run).values()
        if o["metadata"].get("labels", {}).get("platform/component") == "object-store"
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_object_store_object_matches_its_schema(stack: str) -> None:
    objects = _mine(stack_run(stack))
    assert {"Job", "ConfigMap", "Secret", "NetworkPolicy", "Namespace"} <= {
        o["kind"] for o in objects.values()
    }
    assert schema_errors(list(objects.values())) == {}


def test_schema_check_catches_a_broken_bootstrap_job() -> None:
    job = copy.deepcopy(next(o for o in _mine(stack_run("dev")).values() if o["kind"] == "Job"))
    job["spec"]["backoffLimit"] = "six"
    assert any("backoffLimit" in e for e in schema_errors([job])[f"Job/{job['metadata']['name']}"])


def test_dev_runs_seaweedfs_with_two_copies_on_hetzner_volumes() -> None:
    run = stack_run("dev")
    (release,) = [
        r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.name == "object-store-seaweedfs"
    ]
    values = release.plain_inputs["values"]
    assert values["master"]["defaultReplication"] == "001"  # one extra copy on another server
    assert values["volume"]["replicas"] == 2
    assert values["volume"]["dataDirs"][0]["storageClass"] == "hcloud-volumes"
    assert "podAntiAffinity" in values["volume"]["affinity"]  # the two copies never share a node
    assert values["filer"]["s3"] == {
        "enabled": True,
        "port": 8333,
        "enableAuth": True,
        "existingConfigSecret": "seaweedfs-s3-identities",
    }
    assert release.plain_inputs["version"] == "4.44.0"


def test_app_key_only_reaches_the_configured_buckets_and_stays_secret() -> None:
    run = stack_run("dev")
    identities_secret = run.by_name("object-store-s3-identities")
    raw = identities_secret.inputs["stringData"]
    assert raw != reveal(raw)  # a secret on the wire, not plain text in the state
    identities = {i["name"]: i for i in json.loads(reveal(raw)["seaweedfs_s3_config"])["identities"]}
    assert identities["admin"]["actions"] == ["Admin", "Read", "Write", "List", "Tagging"]
    assert sorted(identities["app"]["actions"]) == sorted(
        f"{action}:{bucket}"
        for bucket in ("uploads", "exports")
        for action in ("Read", "Write", "List", "Tagging")
    )
    credentials = run.by_name("object-store-app-credentials").plain_inputs["stringData"]
    assert credentials["AWS_ACCESS_KEY_ID"] == identities["app"]["credentials"][0]["accessKey"]
    assert credentials["S3_ENDPOINT"] == "http://seaweedfs-filer.object-store.svc.cluster.local:8333"
    assert credentials["S3_BUCKET"] == "uploads"


def test_bootstrap_job_reruns_when_a_bucket_setting_changes() -> None:
    def job_name(run: ProgramRun) -> str:
        (job,) = run.of_type("kubernetes:batch/v1:Job")
        return str(job.plain_inputs["metadata"]["name"])

    store = copy.deepcopy(stack_run("dev").settings.config["platform:objectStore"])
    changed = json.loads(store)
    changed["buckets"][0]["lifecycle"][0]["noncurrentExpireDays"] = 60
    assert job_name(run_program("dev", overrides={"objectStore": changed})) != job_name(stack_run("dev"))


def test_prod_uses_hetzner_object_storage_in_its_location_without_an_in_cluster_store() -> None:
    run = stack_run("prod")
    assert not [r for r in run.of_type("kubernetes:helm.sh/v3:Release") if "seaweedfs" in r.name]
    credentials = run.by_name("object-store-app-credentials").plain_inputs["stringData"]
    assert credentials["S3_ENDPOINT"] == "https://nbg1.your-objectstorage.com"
    assert credentials["S3_REGION"] == "nbg1"
    config_map = run.by_name("object-store-bootstrap-files").plain_inputs["data"]
    assert "BUCKETS='example-prod-uploads'" in config_map["buckets.env"]
    assert "S3_REGION='nbg1'" in config_map["buckets.env"]


def test_hetzner_mode_without_its_keys_stops_before_any_resource() -> None:
    with pytest.raises(ProgramError) as failure:
        run_program("prod", stand_in_missing_secrets=False, secret_overrides={"hcloudToken": "x"})
    message = str(failure.value)
    assert "platform:objectStorageAccessKey is required (objectStore.mode is hetzner)" in message
    assert "pulumi config set --secret objectStorageAccessKey" in message
    assert failure.value.registered == []
