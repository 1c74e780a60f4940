"""`ObjectStore`: S3-compatible storage (Hetzner Object Storage or SeaweedFS), its buckets and keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .. import helm, release_timeouts, versions
from ..config import StackConfig, StackSecrets
from ..config.object_store import ObjectStoreConfig, hetzner_object_storage_host
from ..k8s_namespace import PlatformNamespace, allow_egress_except_metadata, allow_ingress, platform_namespace
from ..naming import Component, base_labels
from . import seaweedfs
from .bootstrap import bootstrap_files, checksum, job_spec

COMPONENT = Component.OBJECT_STORE
NAMESPACE = "object-store"
CREDENTIALS_SECRET = "object-store"
"""Secret written into every consumer namespace: S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_FORCE_PATH_STYLE,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the names the AWS SDKs and Supabase Storage read)."""
ADMIN_SECRET = "object-store-admin"
SEAWEEDFS_REGION = "us-east-1"
"""SeaweedFS ignores the region; SDKs need one, and us-east-1 needs no LocationConstraint."""


@dataclass(frozen=True)
class ObjectStoreArgs:
    config: ObjectStoreConfig
    location: str
    """Hetzner location of the buckets (hetzner mode)."""
    hetzner_keys: tuple[pulumi.Output[str], pulumi.Output[str]] | None
    """Hetzner Object Storage access and secret key (hetzner mode)."""
    protect: bool = False
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist first: the CSI driver and its StorageClass (in-cluster mode)."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        *,
        after: Sequence[pulumi.Resource] = (),
    ) -> ObjectStoreArgs:
        store = config.object_store
        keys = secrets.object_storage_keys if store.mode == "hetzner" else None
        return cls(
            store,
            store.hetzner_location(config.location),
            keys,
            config.protected,
            tuple(after),
        )


class ObjectStore(pulumi.ComponentResource):
    """S3-compatible storage: Hetzner Object Storage, or SeaweedFS in the cluster with generated keys;
    its buckets (a bootstrap Job), and in each consumer namespace the credentials Secret and (in-cluster)
    the network path to the store."""

    endpoint: str
    """S3 endpoint URL reachable from the cluster."""
    region: str
    buckets: list[str]
    force_path_style: bool
    access_key_id: pulumi.Output[str]
    """Key the app and Supabase Storage use (secret)."""
    secret_access_key: pulumi.Output[str]
    credentials_secret: str
    """Name of the Secret with the variables above, in each consumer namespace."""
    ready: list[pulumi.Resource]
    """What a workload that uses the store waits for: the store, and the access it has granted so far
    (credentials Secrets, network paths; `grant` adds them)."""

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:ObjectStore", name, None, opts)
        cfg = args.config
        if not cfg.enabled:
            raise ValueError("ObjectStore needs objectStore.mode hetzner or in-cluster")
        self._name = name
        self._labels = base_labels(COMPONENT)
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = platform_namespace(f"{name}-ns", NAMESPACE, COMPONENT, child)
        self._in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *args.after])
        self.buckets = [bucket.name for bucket in cfg.buckets]
        self.force_path_style = True
        self.credentials_secret = CREDENTIALS_SECRET

        if cfg.mode == "hetzner":
            assert args.hetzner_keys is not None  # the config loader requires both keys in hetzner mode
            self.endpoint = f"https://{hetzner_object_storage_host(args.location)}"
            self.region = args.location
            admin = app = args.hetzner_keys  # Hetzner keys are per project; there is no narrower key
            allow_egress_except_metadata(f"{name}-egress", self.namespace, COMPONENT, opts=self._in_ns)
            store: list[pulumi.Resource] = []
        else:
            self.endpoint = seaweedfs.endpoint(NAMESPACE)
            self.region = SEAWEEDFS_REGION
            admin, app = self._key_pair("admin"), self._key_pair("app")
            store = self._seaweedfs(args, admin, app)

        self._bootstrap(args, admin, after=store)
        self.access_key_id = pulumi.Output.secret(app[0])
        self.secret_access_key = pulumi.Output.secret(app[1])
        self._app_keys = app
        self._in_cluster = cfg.mode == "in-cluster"
        self._after = tuple(args.after)
        self.ready = [self]

        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "region": self.region,
                "buckets": self.buckets,
                "accessKeyId": self.access_key_id,
                "secretAccessKey": self.secret_access_key,
                "credentialsSecret": self.credentials_secret,
            }
        )

    def _key_pair(self, who: str) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        child = pulumi.ResourceOptions(parent=self)
        access = random.RandomPassword(
            f"{self._name}-{who}-access-key", length=20, special=False, lower=False, opts=child
        )
        secret = random.RandomPassword(f"{self._name}-{who}-secret-key", length=40, special=False, opts=child)
        return access.result, secret.result

    def _credentials(
        self, keys: tuple[pulumi.Output[str], pulumi.Output[str]]
    ) -> dict[str, pulumi.Input[str]]:
        return {
            "S3_ENDPOINT": self.endpoint,
            "S3_REGION": self.region,
            "S3_BUCKET": self.buckets[0],
            "S3_FORCE_PATH_STYLE": "true",
            "AWS_ACCESS_KEY_ID": keys[0],
            "AWS_SECRET_ACCESS_KEY": keys[1],
        }

    def _seaweedfs(
        self,
        args: ObjectStoreArgs,
        admin: tuple[pulumi.Output[str], pulumi.Output[str]],
        app: tuple[pulumi.Output[str], pulumi.Output[str]],
    ) -> list[pulumi.Resource]:
        name = self._name
        identities: pulumi.Output[str] = pulumi.Output.all(admin[0], admin[1], app[0], app[1]).apply(
            lambda keys: seaweedfs.identities((keys[0], keys[1]), (keys[2], keys[3]), self.buckets)
        )
        secret_identities: pulumi.Output[str] = pulumi.Output.secret(identities)
        config_secret = k8s.core.v1.Secret(
            f"{name}-s3-identities",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=seaweedfs.S3_CONFIG_SECRET, namespace=NAMESPACE, labels=self._labels
            ),
            type="Opaque",
            string_data={seaweedfs.S3_CONFIG_KEY: secret_identities},
            opts=self._in_ns,
        )
        # The store's pods talk to each other (master, volume, filer, gRPC) inside the namespace only.
        allow_ingress(
            f"{name}-internal",
            self.namespace,
            "allow-seaweedfs-internal",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": "seaweedfs"},
            ports=[9333, 19333, 8080, 18080, 8888, 18888, seaweedfs.S3_PORT],
            opts=self._in_ns,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-internal-egress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="allow-egress-within-namespace", namespace=NAMESPACE, labels=self._labels
            ),
            spec={"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": {}}]}]},
            opts=self._in_ns,
        )
        release = helm.release(
            f"{name}-seaweedfs",
            versions.SEAWEEDFS,
            namespace=NAMESPACE,
            release_name=seaweedfs.RELEASE,
            timeout=release_timeouts.WITH_VOLUMES,
            values=seaweedfs.helm_values(args.config.in_cluster),
            opts=pulumi.ResourceOptions.merge(
                self._in_ns, pulumi.ResourceOptions(depends_on=[config_secret], protect=args.protect)
            ),
        )
        return [release]

    def _bootstrap(
        self,
        args: ObjectStoreArgs,
        admin: tuple[pulumi.Output[str], pulumi.Output[str]],
        after: list[pulumi.Resource],
    ) -> None:
        name = self._name
        files = bootstrap_files(list(args.config.buckets), self.region)
        admin_secret = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ADMIN_SECRET, namespace=NAMESPACE, labels=self._labels),
            type="Opaque",
            string_data={
                "S3_ENDPOINT": self.endpoint,
                "AWS_ACCESS_KEY_ID": admin[0],
                "AWS_SECRET_ACCESS_KEY": admin[1],
            },
            opts=self._in_ns,
        )
        script = k8s.core.v1.ConfigMap(
            f"{name}-bootstrap-files",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="bucket-bootstrap", namespace=NAMESPACE, labels=self._labels
            ),
            data=files,
            opts=self._in_ns,
        )
        # A new name per settings checksum: Jobs are immutable, so a change runs a fresh Job.
        k8s.batch.v1.Job(
            f"{name}-bootstrap",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"bucket-bootstrap-{checksum(files)[:10]}", namespace=NAMESPACE, labels=self._labels
            ),
            spec=job_spec("bucket-bootstrap", ADMIN_SECRET, files),
            opts=pulumi.ResourceOptions.merge(
                self._in_ns, pulumi.ResourceOptions(depends_on=[admin_secret, script, *after])
            ),
        )

    def grant(self, consumer: PlatformNamespace, owner: pulumi.Resource) -> None:
        """Give a consumer's namespace the credentials Secret and (in-cluster) a network path to the store.

        The consumer calls this while it builds itself (`owner` is the consumer component, parent of
        what this creates): consumers come after the store, since they need its outputs (self-hosted
        Supabase its endpoint and keys), and the store is complete when its own constructor ends. The
        objects were the store's children before #19; the alias keeps their state. They join `ready`.
        """
        keys, in_cluster = self._app_keys, self._in_cluster
        name = f"{self._name}-{consumer.name}"
        was_ours = [pulumi.Alias(parent=self)]
        in_consumer = pulumi.ResourceOptions(parent=owner, depends_on=[consumer], aliases=was_ours)
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CREDENTIALS_SECRET, namespace=consumer.metadata.name, labels=self._labels
            ),
            type="Opaque",
            string_data=self._credentials(keys),
            opts=in_consumer,
        )
        self.ready.append(credentials)
        if not in_cluster:
            return
        inbound = allow_ingress(
            f"{name}-s3-in",
            self.namespace,
            f"allow-s3-from-{consumer.name}",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/component": "filer"},
            ports=[seaweedfs.S3_PORT],
            from_namespace=consumer.name,
            opts=pulumi.ResourceOptions(
                parent=owner, depends_on=[self.namespace, *self._after], aliases=was_ours
            ),
        )
        outbound = k8s.networking.v1.NetworkPolicy(
            f"{name}-s3-out",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="allow-egress-to-object-store",
                namespace=consumer.metadata.name,
                labels=self._labels,
            ),
            spec={
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}
                                },
                                "podSelector": {"matchLabels": {"app.kubernetes.io/component": "filer"}},
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": seaweedfs.S3_PORT}],
                    }
                ],
            },
            opts=in_consumer,
        )
        self.ready += [inbound, outbound]
