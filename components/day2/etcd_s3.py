"""The Secret k3s reads before every scheduled or on-demand etcd snapshot upload (see
components/k3s/etcd_backup.py for why the S3 settings live here and not in config.yaml)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..k3s.etcd_backup import S3_CONFIG_SECRET, EtcdBackupPlan
from ..naming import Component, base_labels


def etcd_s3_secret(
    name: str,
    plan: EtcdBackupPlan,
    access_key: pulumi.Output[str],
    secret_key: pulumi.Output[str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """kube-system/k3s-etcd-s3: where snapshots go, with the credentials, and how many are kept."""
    return k8s.core.v1.Secret(
        f"{name}-etcd-s3",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=S3_CONFIG_SECRET, namespace="kube-system", labels=base_labels(Component.K3S_CLUSTER)
        ),
        type="Opaque",
        string_data={
            "etcd-s3-endpoint": plan.endpoint,
            "etcd-s3-region": plan.region,
            "etcd-s3-bucket": plan.bucket,
            "etcd-s3-folder": plan.folder,
            "etcd-s3-access-key": access_key,
            "etcd-s3-secret-key": secret_key,
            "etcd-s3-timeout": "5m",
            "etcd-s3-retention": str(plan.offsite_retention),
        },
        opts=opts,
    )
