"""The bucket bootstrap script, run for real: the AWS CLI against a real S3 API server, twice.

Neither SeaweedFS nor Garage installs from the package registries this project uses (no Debian, PyPI
or npm package ships either server), so the S3 side is moto's server mode (`moto[server]` from PyPI):
a standalone HTTP server implementing the S3 REST API, including versioning and lifecycle
configuration, which the script drives exactly as it drives Hetzner Object Storage or SeaweedFS.
The client is the AWS CLI from PyPI (v1; the s3api commands the script uses are the same in v2, which
the Job's image runs).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from components.config.object_store import BucketConfig
from components.object_store.bootstrap import FILES, SCRIPT, bootstrap_files

AWS = Path(sys.executable).with_name("aws")
MOTO = Path(sys.executable).with_name("moto_server")
KEYS = {"AWS_ACCESS_KEY_ID": "bootstrap-admin", "AWS_SECRET_ACCESS_KEY": "bootstrap-secret"}
REGION = "nbg1"  # a non-default region, so create-bucket needs its LocationConstraint as on Hetzner


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(200):  # wait until it accepts connections (not a timing assertion)
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def _bootstrap(
    tmp_path: Path, endpoint: str, buckets: list[BucketConfig], **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Lay the ConfigMap's files out as the Job mounts them, and run the script as the Job does."""
    mount = tmp_path / "bootstrap"
    shutil.rmtree(mount, ignore_errors=True)
    mount.mkdir()
    for name, content in bootstrap_files(buckets, REGION).items():
        (mount / name).write_text(content)
    env = {
        "PATH": f"{AWS.parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "S3_ENDPOINT": endpoint,
        **KEYS,
        **extra_env,
    }
    return subprocess.run(
        ["/bin/sh", str(mount / SCRIPT)], check=False, env=env, capture_output=True, text=True
    )


UPLOADS = BucketConfig.model_validate(
    {
        "name": "uploads",
        "versioning": True,
        "lifecycle": [
            {"id": "old-versions", "noncurrentExpireDays": 30},
            {"id": "stale-uploads", "abortIncompleteUploadDays": 7},
        ],
    }
)
EXPORTS = BucketConfig.model_validate(
    {
        "name": "exports",
        "versioning": False,
        "lifecycle": [{"id": "expire", "prefix": "exports/", "expireDays": 14}],
    }
)


def test_script_passes_shellcheck() -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=sh", str(FILES / SCRIPT)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_bootstrap_creates_then_keeps_buckets_objects_and_versions(tmp_path: Path, s3_endpoint: str) -> None:
    s3 = _client(s3_endpoint)
    assert s3.list_buckets()["Buckets"] == []

    first = _bootstrap(tmp_path, s3_endpoint, [UPLOADS, EXPORTS])

    assert first.returncode == 0, first.stderr
    assert "bucket uploads: created" in first.stdout
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["exports", "uploads"]
    assert s3.get_bucket_location(Bucket="uploads")["LocationConstraint"] == REGION
    assert s3.get_bucket_versioning(Bucket="uploads")["Status"] == "Enabled"
    assert "Status" not in s3.get_bucket_versioning(Bucket="exports")
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="uploads")["Rules"]}
    assert rules["old-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rules["stale-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    (export_rule,) = s3.get_bucket_lifecycle_configuration(Bucket="exports")["Rules"]
    assert export_rule["Expiration"]["Days"] == 14
    assert export_rule["Filter"]["Prefix"] == "exports/"

    s3.put_object(Bucket="uploads", Key="avatar.png", Body=b"v1")
    s3.put_object(Bucket="uploads", Key="avatar.png", Body=b"v2")
    again = _bootstrap(tmp_path, s3_endpoint, [UPLOADS, EXPORTS])

    assert again.returncode == 0, again.stderr
    assert "bucket uploads: exists" in again.stdout
    assert "created" not in again.stdout
    assert s3.get_object(Bucket="uploads", Key="avatar.png")["Body"].read() == b"v2"
    versions = s3.list_object_versions(Bucket="uploads", Prefix="avatar.png")["Versions"]
    assert len(versions) == 2  # both versions survive a re-run
    assert s3.get_bucket_versioning(Bucket="uploads")["Status"] == "Enabled"
    assert len(s3.get_bucket_lifecycle_configuration(Bucket="uploads")["Rules"]) == 2


def test_changed_settings_are_applied_on_the_next_run(tmp_path: Path, s3_endpoint: str) -> None:
    s3 = _client(s3_endpoint)
    assert _bootstrap(tmp_path, s3_endpoint, [UPLOADS]).returncode == 0
    unversioned_without_rules = BucketConfig(name="uploads", versioning=False)

    result = _bootstrap(tmp_path, s3_endpoint, [unversioned_without_rules])

    assert result.returncode == 0, result.stderr
    # Versioning cannot be switched off once on, only suspended; the lifecycle rules are removed.
    assert s3.get_bucket_versioning(Bucket="uploads")["Status"] == "Suspended"
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket="uploads")


def test_unreachable_store_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_free_port()}"

    # One attempt: in the cluster the CLI's retries ride out a store that is still starting.
    result = _bootstrap(tmp_path, closed, [UPLOADS], AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")

    assert result.returncode != 0
    assert "bucket uploads: cannot be used" in result.stderr
    assert "Could not connect" in result.stderr


def test_lifecycle_documents_are_valid_json_with_one_rule_per_config_rule() -> None:
    files = bootstrap_files([UPLOADS, EXPORTS, BucketConfig(name="plain")], REGION)
    assert set(files) == {SCRIPT, "buckets.env", "lifecycle-uploads.json", "lifecycle-exports.json"}
    assert [r["ID"] for r in json.loads(files["lifecycle-uploads.json"])["Rules"]] == [
        "old-versions",
        "stale-uploads",
    ]
    assert "VERSIONED_BUCKETS='uploads plain'" in files["buckets.env"]
