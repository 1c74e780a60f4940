"""The bucket bootstrap: its script, the parameters it reads, and the Job that runs it.

The same Job serves both modes: it talks S3 to Hetzner Object Storage or to the in-cluster SeaweedFS,
with keys that can create buckets. pulumi-hcloud has no bucket resource (Object Storage is S3-only), and
a Job inside the cluster reaches an in-cluster store that the machine running `pulumi up` cannot.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..config.object_store import BucketConfig, LifecycleRule
from ..versions import AWS_CLI_IMAGE

FILES = Path(__file__).resolve().parent / "files"
SCRIPT = "bootstrap-buckets.sh"
MOUNT = "/bootstrap"


def lifecycle_document(rules: list[LifecycleRule]) -> dict[str, Any]:
    """S3 `LifecycleConfiguration` for put-bucket-lifecycle-configuration."""
    documents = []
    for rule in rules:
        document: dict[str, Any] = {"ID": rule.id, "Status": "Enabled", "Filter": {"Prefix": rule.prefix}}
        if rule.expire_days is not None:
            document["Expiration"] = {"Days": rule.expire_days}
        if rule.noncurrent_expire_days is not None:
            document["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expire_days}
        if rule.abort_incomplete_upload_days is not None:
            document["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": rule.abort_incomplete_upload_days
            }
        documents.append(document)
    return {"Rules": documents}


def bootstrap_files(buckets: list[BucketConfig], region: str) -> dict[str, str]:
    """ConfigMap data: the script, `buckets.env` beside it, lifecycle-<bucket>.json for buckets with rules."""
    env = {
        "BUCKETS": " ".join(b.name for b in buckets),
        "VERSIONED_BUCKETS": " ".join(b.name for b in buckets if b.versioning),
        "S3_REGION": region,
    }
    files = {
        SCRIPT: (FILES / SCRIPT).read_text(),
        "buckets.env": "".join(f"{key}='{value}'\n" for key, value in env.items()),
    }
    for bucket in buckets:
        if bucket.lifecycle:
            files[f"lifecycle-{bucket.name}.json"] = json.dumps(
                lifecycle_document(bucket.lifecycle), indent=2
            )
    return files


def checksum(files: dict[str, str]) -> str:
    """Changes whenever a bucket setting or the script changes, so the Job is replaced and runs again."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def job_spec(config_map: str, credentials_secret: str, files: dict[str, str]) -> dict[str, Any]:
    """A one-shot Job running the script with the store's admin keys; Pulumi waits for it to succeed."""
    return {
        "backoffLimit": 6,
        "activeDeadlineSeconds": 900,
        "template": {
            "metadata": {"annotations": {"platform/bootstrap-checksum": checksum(files)}},
            "spec": {
                "restartPolicy": "OnFailure",
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 65532,
                    "runAsGroup": 65532,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "bootstrap",
                        "image": AWS_CLI_IMAGE,
                        "command": ["/bin/sh", f"{MOUNT}/{SCRIPT}"],
                        "envFrom": [{"secretRef": {"name": credentials_secret}}],
                        # The CLI writes its cache under HOME; the root filesystem stays read-only.
                        "env": [{"name": "HOME", "value": "/tmp"}],
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumeMounts": [
                            {"name": "bootstrap", "mountPath": MOUNT, "readOnly": True},
                            {"name": "tmp", "mountPath": "/tmp"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "bootstrap", "configMap": {"name": config_map}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                ],
            },
        },
    }
