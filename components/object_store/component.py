"""`ObjectStore`: S3-compatible storage (Hetzner Object Storage or SeaweedFS), its buckets and keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .. import release_timeouts, versions
from ..config import StackConfig, StackSecrets
from ..config.object_store import ObjectStoreConfig, hetzner_object_storage_host
from ..k8s_namespace import allow_egress_outside_cluster, allow_ingress, platform_namespace
from ..naming import base_labels
from . import seaweedfs
from .bootstrap import bootstrap_files, checksum, job_spec

COMPONENT = "object-store"
NAMESPACE = "object-store"
CREDENTIALS_SECRET = "object-store"
"""Secret written into every consumer namespace: S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_FORCE_PATH_STYLE,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the names the AWS SDKs and Supabase Storage read)."""
ADMIN_SECRET = "object-store-admin"
SEAWEEDFS_REGION = "us-east-1"
"""SeaweedFS ignores the region; SDKs need one, and us-east-1 needs no LocationConstraint."""


@dataclass(frozen=True)
class Consumer:
    """A namespace whose pods use the store: it gets the credentials Secret and a network path to it."""

    name: str
    namespace: k8s.core.v1.Namespace


@dataclass(frozen=True)
class ObjectStoreArgs:
    config: ObjectStoreConfig
    location: str
    """Hetzner location of the buckets (hetzner mode)."""
    hetzner_keys: tuple[pulumi.Output[str], pulumi.Output[str]] | None
    """Hetzner Object Storage access and secret key (hetzner mode)."""
    protect: bool = False
    consumers: Sequence[Consumer] = field(default_factory=tuple)
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist first: the CSI driver and its StorageClass (in-cluster mode)."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        *,
        consumers: Sequence[Consumer] = (),
        after: Sequence[pulumi.Resource] = (),
    ) -> ObjectStoreArgs:
        store = config.object_store
        keys = secrets.object_storage_keys if store.mode == "hetzner" else None
        return cls(
            store,
            store.hetzner_location(config.location),
            keys,
            config.protected,
            tuple(consumers),
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
            allow_egress_outside_cluster(f"{name}-egress", self.namespace, COMPONENT, opts=self._in_ns)
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
        for consumer in args.consumers:
            self.grant(consumer)

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
        release = k8s.helm.v3.Release(
            f"{name}-seaweedfs",
            name=seaweedfs.RELEASE,
            chart="seaweedfs",
            version=versions.SEAWEEDFS_CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.SEAWEEDFS_HELM_REPO),
            namespace=NAMESPACE,
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

    def grant(self, consumer: Consumer) -> None:
        """Give a namespace the credentials Secret and (in-cluster) a network path to the store.

        Public for consumers built after the store: self-hosted Supabase needs the store's outputs first.
        """
        keys, in_cluster = self._app_keys, self._in_cluster
        name = f"{self._name}-{consumer.name}"
        in_consumer = pulumi.ResourceOptions(parent=self, depends_on=[consumer.namespace])
        k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CREDENTIALS_SECRET, namespace=consumer.namespace.metadata.name, labels=self._labels
            ),
            type="Opaque",
            string_data=self._credentials(keys),
            opts=in_consumer,
        )
        if not in_cluster:
            return
        allow_ingress(
            f"{name}-s3-in",
            self.namespace,
            f"allow-s3-from-{consumer.name}",
            COMPONENT,
            to_pods={"app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/component": "filer"},
            ports=[seaweedfs.S3_PORT],
            from_namespace=consumer.name,
            opts=self._in_ns,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-s3-out",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="allow-egress-to-object-store",
                namespace=consumer.namespace.metadata.name,
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
