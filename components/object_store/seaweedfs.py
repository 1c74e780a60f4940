"""SeaweedFS, the in-cluster store: Helm values and S3 identities (docs/adr/0001-object-store-seaweedfs.md).

Layout: masters (1 or 3, Raft) hold the topology; volume servers, one per node, hold the data on Hetzner
volumes with every object written to `copies` of them; one filer holds bucket and object metadata on its
own volume and serves the S3 API on port 8333.
"""

from __future__ import annotations

import json
from typing import Any

from ..config.object_store import InClusterStoreConfig

RELEASE = "seaweedfs"
S3_PORT = 8333
S3_SERVICE = f"{RELEASE}-filer"
"""The chart names services `<release>-<component>`; the filer's service carries the S3 port."""
S3_CONFIG_SECRET = "seaweedfs-s3-identities"
S3_CONFIG_KEY = "seaweedfs_s3_config"
"""File name the chart mounts (-s3.config=/etc/sw/seaweedfs_s3_config)."""
STORAGE_CLASS = "hcloud-volumes"
RUN_AS = 1000
"""The `seaweed` user of the SeaweedFS image."""


def endpoint(namespace: str) -> str:
    return f"http://{S3_SERVICE}.{namespace}.svc.cluster.local:{S3_PORT}"


def identities(admin: tuple[str, str], app: tuple[str, str], buckets: list[str]) -> str:
    """S3 identities: `admin` may do anything (bucket bootstrap); `app` only reads and writes its buckets."""
    scoped = [f"{action}:{bucket}" for bucket in buckets for action in ("Read", "Write", "List", "Tagging")]
    document = {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {"name": "app", "credentials": [{"accessKey": app[0], "secretKey": app[1]}], "actions": scoped},
        ]
    }
    return json.dumps(document, indent=2)


def _pvc(size: str) -> dict[str, Any]:
    return {"type": "persistentVolumeClaim", "size": size, "storageClass": STORAGE_CLASS}


def _restricted(component: str) -> dict[str, Any]:
    """Pod placement and the restricted security context, in the chart's per-component keys."""
    return {
        "podSecurityContext": {
            "enabled": True,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "enabled": True,
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # One pod per node (required): losing a node then loses one copy, never two.
        "affinity": (
            "podAntiAffinity:\n"
            "  requiredDuringSchedulingIgnoredDuringExecution:\n"
            "    - labelSelector:\n"
            "        matchLabels:\n"
            "          app.kubernetes.io/name: seaweedfs\n"
            f"          app.kubernetes.io/component: {component}\n"
            "      topologyKey: kubernetes.io/hostname\n"
        ),
    }


def helm_values(cfg: InClusterStoreConfig) -> dict[str, Any]:
    """Values for the `seaweedfs` chart: replicated volumes on Hetzner CSI, S3 with our identities."""
    return {
        "global": {
            "seaweedfs": {"enableReplication": True, "replicationPlacement": cfg.replication},
        },
        "master": {
            **_restricted("master"),
            "replicas": cfg.masters,
            "defaultReplication": cfg.replication,
            "data": _pvc("10Gi"),
            "logs": {"type": "emptyDir"},
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        },
        "volume": {
            **_restricted("volume"),
            "replicas": cfg.volume_servers,
            "dataDirs": [{"name": "data", **_pvc(cfg.volume_size), "maxVolumes": 0}],
            "logs": {"type": "emptyDir"},
            # The resize hook runs an extra image with cluster rights; resize volumes through Pulumi instead.
            "resizeHook": {"enabled": False},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        },
        "filer": {
            **_restricted("filer"),
            "replicas": 1,
            "defaultReplicaPlacement": cfg.replication,
            "data": _pvc(cfg.filer_volume_size),
            "logs": {"type": "emptyDir"},
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
            "s3": {
                "enabled": True,
                "port": S3_PORT,
                "enableAuth": True,
                "existingConfigSecret": S3_CONFIG_SECRET,
            },
        },
        "s3": {"enabled": False},
    }
