"""Phase 3: the buckets keep old versions where the config asks for it, read from the S3 API itself.

The object store's keys come from the environment (`S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`: in
hetzner mode `pulumi config get objectStorageAccessKey` and its secret twin). botocore signs the
requests (AWS Signature Version 4, which Hetzner Object Storage and SeaweedFS both speak)."""

from __future__ import annotations

import os

from .gates import Context, GateResult, NotMeasurableError


def bucket_versioning(ctx: Context) -> list[GateResult]:
    import boto3  # a dependency of this gate alone
    from botocore.config import Config as BotoConfig

    store = ctx.outputs.get("objectStore") or {}
    endpoint = ctx.s3_endpoint or store.get("endpoint", "")
    if not endpoint or ".svc" in endpoint:
        raise NotMeasurableError("no reachable S3 endpoint: pass --s3-endpoint (in-cluster: a port-forward)")
    keys = os.environ.get("S3_ACCESS_KEY_ID"), os.environ.get("S3_SECRET_ACCESS_KEY")
    if not all(keys):
        raise NotMeasurableError("set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to the object store's keys")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=store.get("region") or "us-east-1",
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )
    results = []
    for bucket in ctx.config.object_store.buckets:
        status = client.get_bucket_versioning(Bucket=bucket.name).get("Status", "never enabled")
        wanted = "Enabled" if bucket.versioning else "not required"
        results.append(
            GateResult(
                f"bucket {bucket.name} versioning",
                status,
                wanted,
                status == "Enabled" or not bucket.versioning,
                "the bucket bootstrap Job sets it (kubectl logs -n object-store job/…-buckets)",
            )
        )
    return results
