"""Phase 3's object-store gates ("copies per object", and bucket versioning) against a real SeaweedFS:
master, two volume servers and the filer with the S3 gateway on loopback, started with the replication
our chart values render and the S3 identities the object store component writes. Objects go in through
the S3 API with the app's key; the gate reads the master's own volume map.

The `weed` here is built from the Go module proxy (scripts/build-seaweedfs.sh), a newer SeaweedFS than
the chart's 4.44: the script says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.object_store import InClusterStoreConfig
from components.object_store import seaweedfs as chart
from offline.program import PROJECT_DIR
from offline.stack_file import read_stack, stack_config
from tests.upstream_data import upstream_file

from .seaweedfs_store import SeaweedStore, build_weed, seaweedfs
from .test_acceptance import acceptance, verdicts

GATE = ["--gate", "copies per object"]
ADMIN = ("ADMINKEYACCEPTANCE01", "admin-secret-for-the-acceptance-test-0001")
APP = ("APPKEYACCEPTANCE0001", "app-secret-for-the-acceptance-test-000001")
CHART = "charts/seaweedfs-4.44.0"


@pytest.fixture(scope="session")
def weed() -> Path:
    return build_weed()


def _dev_store() -> tuple[InClusterStoreConfig, list[str]]:
    config = stack_config(read_stack(PROJECT_DIR, "dev", {})).object_store
    return config.in_cluster, [bucket.name for bucket in config.buckets]


def _rendered_replication(values: dict[str, Any]) -> str:
    """The master's -defaultReplication (and the filer's -defaultReplicaPlacement) as the chart's 4.44
    StatefulSets pick it from our values: global.seaweedfs.replicationPlacement when
    global.seaweedfs.enableReplication, else master.defaultReplication."""
    shared = values["global"]["seaweedfs"]
    return str(
        shared["replicationPlacement"]
        if shared["enableReplication"]
        else values["master"]["defaultReplication"]
    )


def test_the_chart_reads_the_replication_keys_we_set() -> None:
    """Upstream's list of the values the 4.44 templates read: our keys are among them."""
    read = set(upstream_file(f"{CHART}/template-values-paths.txt").read_text().split())
    assert {"global.seaweedfs.enableReplication", "global.seaweedfs.replicationPlacement"} <= read
    assert "master.defaultReplication" in read
    master = yaml.safe_load(upstream_file(f"{CHART}/values.yaml").read_text())["master"]
    assert master["port"] == 9333  # the port the gate's port-forward hint names


@pytest.fixture
def s3_config(tmp_path: Path) -> Path:
    _, buckets = _dev_store()
    file = tmp_path / "s3.json"
    file.write_text(chart.identities(ADMIN, APP, buckets))
    return file


def _s3(store: SeaweedStore, keys: tuple[str, str]) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=store.s3,
        region_name="us-east-1",
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 5}),
    )


def _fill(store: SeaweedStore, buckets: list[str], versioned: list[str]) -> None:
    """The bucket bootstrap's part (admin key), then the app writing objects (its scoped key)."""
    admin, app = _s3(store, ADMIN), _s3(store, APP)
    for bucket in buckets:
        admin.create_bucket(Bucket=bucket)
    for bucket in versioned:
        admin.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for bucket in buckets:
        for number in range(3):
            app.put_object(Bucket=bucket, Key=f"objects/{number}.txt", Body=f"{bucket} {number}".encode())
        assert app.get_object(Bucket=bucket, Key="objects/0.txt")["Body"].read() == f"{bucket} 0".encode()


def _gate(tmp_path: Path, store: SeaweedStore) -> Any:
    return acceptance(tmp_path, *GATE, "--seaweedfs-master", store.master)


def _with_versioning(store: SeaweedStore) -> list[str]:
    """The versioning gate too, signed with the admin key, against the same SeaweedFS's S3 API."""
    return ["--gate", "bucket versioning", "--s3-endpoint", store.s3]


VERSIONING_KEYS = {"S3_ACCESS_KEY_ID": ADMIN[0], "S3_SECRET_ACCESS_KEY": ADMIN[1]}


@pytest.fixture
def replicated(tmp_path: Path, weed: Path, s3_config: Path) -> Iterator[SeaweedStore]:
    in_cluster, _ = _dev_store()
    replication = _rendered_replication(chart.helm_values(in_cluster))
    with seaweedfs(
        tmp_path / "store",
        weed,
        replication=replication,
        volume_servers=in_cluster.volume_servers,
        s3_config=s3_config,
    ) as store:
        yield store


def test_two_copies_pass_until_a_volume_server_is_lost(tmp_path: Path, replicated: SeaweedStore) -> None:
    _, buckets = _dev_store()
    empty = _gate(tmp_path, replicated)
    assert verdicts(empty) == {f"bucket {b} copies per object": "FAIL" for b in buckets}, empty.stdout
    assert "no volume yet" in empty.stdout

    _fill(replicated, buckets, versioned=["uploads"])  # dev: only uploads asks for versioning
    healthy = acceptance(
        tmp_path,
        *GATE,
        "--seaweedfs-master",
        replicated.master,
        *_with_versioning(replicated),
        env=VERSIONING_KEYS,
    )
    assert verdicts(healthy) == {
        **{f"bucket {b} copies per object": "pass" for b in buckets},
        **{f"bucket {b} versioning": "pass" for b in buckets},
    }, healthy.stdout + healthy.stderr
    assert healthy.returncode == 0
    assert "2 copies (fewest of" in healthy.stdout

    replicated.stop_volume_server(1)
    degraded = _gate(tmp_path, replicated)
    assert verdicts(degraded) == {f"bucket {b} copies per object": "FAIL" for b in buckets}, degraded.stdout
    assert degraded.returncode == 1
    assert "1 copy (fewest of" in degraded.stdout and "short: volume" in degraded.stdout


def test_one_copy_fails_the_gate(tmp_path: Path, weed: Path, s3_config: Path) -> None:
    """The chart's own default (master.defaultReplication "000"), had we not set replication."""
    unreplicated = str(
        yaml.safe_load(upstream_file(f"{CHART}/values.yaml").read_text())["master"]["defaultReplication"]
    )
    in_cluster, buckets = _dev_store()
    with seaweedfs(
        tmp_path / "store",
        weed,
        replication=unreplicated,
        volume_servers=in_cluster.volume_servers,
        s3_config=s3_config,
    ) as store:
        _fill(store, buckets, versioned=[])  # and the bootstrap's versioning step forgotten
        result = acceptance(
            tmp_path, *GATE, "--seaweedfs-master", store.master, *_with_versioning(store), env=VERSIONING_KEYS
        )
    assert verdicts(result) == {
        **{f"bucket {b} copies per object": "FAIL" for b in buckets},
        "bucket uploads versioning": "FAIL",
        "bucket exports versioning": "pass",
    }, result.stdout
    assert "1 copy (fewest of" in result.stdout and result.returncode == 1


def test_without_a_master_address_the_gate_says_how_to_reach_it(tmp_path: Path) -> None:
    result = acceptance(tmp_path, *GATE)
    assert verdicts(result) == {"copies per object": "FAIL"}
    assert "kubectl port-forward -n object-store svc/seaweedfs-master 9333" in result.stdout
