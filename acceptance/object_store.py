"""Phase 3: the buckets keep old versions where the config asks for it, read from the S3 API itself;
in the in-cluster store, every object has the copies the config asks for, read from SeaweedFS's master.

The object store's keys come from the environment (`S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`: in
hetzner mode `pulumi config get objectStorageAccessKey` and its secret twin). botocore signs the
requests (AWS Signature Version 4, which Hetzner Object Storage and SeaweedFS both speak)."""

from __future__ import annotations

import json
import os
import urllib.request
from collections import defaultdict
from typing import Any

from components.object_store.seaweedfs import RELEASE

from .gates import Context, GateResult, NotMeasurableError

MASTER_SERVICE, MASTER_PORT = f"{RELEASE}-master", 9333
"""The chart's master Service (`<fullname>-master`, headless) and its HTTP port (`master.port`)."""


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


SHOWN = 3
"""Under-replicated volumes named in the report; the rest are counted."""
PORT_FORWARD = f"kubectl port-forward -n object-store svc/{MASTER_SERVICE} {MASTER_PORT}"


def _volume_holders(master: str) -> dict[tuple[str, int], set[str]]:
    """(collection, volume id) -> the volume servers holding a copy, from the master's /vol/status.

    The answer nests DataCenters -> racks -> volume servers -> the volumes each reports in its heartbeat
    (SeaweedFS's Topology.ToVolumeMap); a server that stopped heartbeating is no longer in it. An S3
    bucket's objects live in the volumes of the collection named after the bucket."""
    with urllib.request.urlopen(f"{master.rstrip('/')}/vol/status", timeout=30) as answer:
        status: dict[str, Any] = json.loads(answer.read())
    holders: dict[tuple[str, int], set[str]] = defaultdict(set)
    for racks in (status.get("Volumes", {}).get("DataCenters") or {}).values():
        for servers in racks.values():
            for server, volumes in servers.items():
                for volume in volumes or []:
                    holders[(volume.get("Collection", ""), int(volume["Id"]))].add(server)
    return holders


def copies_per_object(ctx: Context) -> list[GateResult]:
    if not ctx.seaweedfs_master:
        raise NotMeasurableError(
            f"pass --seaweedfs-master http://127.0.0.1:{MASTER_PORT} with `{PORT_FORWARD}` running"
        )
    wanted = ctx.config.object_store.in_cluster.copies
    holders = _volume_holders(ctx.seaweedfs_master)
    results = []
    for bucket in ctx.config.object_store.buckets:
        volumes = {
            vid: servers for (collection, vid), servers in holders.items() if collection == bucket.name
        }
        if not volumes:
            measured, passed = "no volume yet (nothing stored in the bucket)", False
        else:
            fewest = min(len(servers) for servers in volumes.values())
            short = [
                f"volume {vid} on {', '.join(sorted(servers))}"
                for vid, servers in sorted(volumes.items())
                if len(servers) < wanted
            ]
            measured = f"{fewest} cop{'y' if fewest == 1 else 'ies'} (fewest of {len(volumes)} volumes)"
            if short:
                more = f"; and {len(short) - SHOWN} more" if len(short) > SHOWN else ""
                measured += f"; short: {'; '.join(short[:SHOWN])}{more}"
            passed = fewest >= wanted
        results.append(
            GateResult(
                f"bucket {bucket.name} copies per object",
                measured,
                f">= {wanted} copies, each on its own volume server",
                passed,
                "a volume server down, or volumes written with fewer copies: kubectl get pods -n "
                "object-store; then volume.fix.replication in `weed shell` (docs/acceptance.md)",
            )
        )
    return results
