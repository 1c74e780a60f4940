"""The `Supabase` component: the app's Supabase, hosted by Supabase (managed) or on the cluster."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s

from ..ingress.traefik_values import WEBSECURE_ONLY_ANNOTATION
from ..k8s_namespace import platform_namespace
from ..naming import base_labels
from . import network_policy as policies
from .args import SupabaseArgs
from .bootstrap import JOB_LABELS, bootstrap_job
from .credentials import Credentials
from .kong import STUDIO_GATE_HEADER, KongSettings, render_kong_config
from .services import self_hosted_services
from .spec import DASHBOARD_DB_ROLE, DB_CA_CONFIGMAP, Database, ServiceSpec
from .workload import COMPONENT, Mount, deployment, service

NAMESPACE = "supabase"
STUDIO_GATE_MIDDLEWARE = "studio-gate"


class Supabase(pulumi.ComponentResource):
    """The app's Supabase. Managed: nothing registered, the hosted project's URL and keys are handed to
    the App. Self-hosted: Kong, Auth, REST, Realtime, Storage, imgproxy, meta, Studio and Edge Functions
    on the Postgres VM and the object store, with their JWT keys, bootstrap Job, NetworkPolicies and
    gateway Ingress.

    Self-hosted mode hands on the gateway's URL and the keys derived from the generated JWT secret,
    under the same stack-secret names the managed mode reads.
    """

    url: pulumi.Output[str] | None
    anon_key: pulumi.Output[str] | None
    service_role_key: pulumi.Output[str] | None
    dashboard_password: pulumi.Output[str] | None

    def __init__(self, name: str, args: SupabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Supabase", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        config = args.config
        self.dashboard_password = None

        if config.self_hosted:
            missing = args.missing_for_self_hosted()
            if missing:
                raise ValueError(
                    f"Supabase {name!r}: supabase.mode is self-hosted but SupabaseArgs lacks "
                    f"{', '.join(missing)}; build it with SupabaseArgs.from_config (the PostgresServer "
                    "and the ObjectStore) or pass them"
                )
            self.url = pulumi.Output.from_input(config.public_url)
            self._self_hosted(args)
        else:
            self.url, self.anon_key, self.service_role_key = (
                None if value is None else pulumi.Output.secret(value)
                for value in (args.managed_url, args.managed_anon_key, args.managed_service_role_key)
            )

        self.register_outputs(
            {
                "url": self.url,
                "anonKey": self.anon_key,
                "serviceRoleKey": self.service_role_key,
                "dashboardPassword": self.dashboard_password,
            }
        )

    @property
    def client_secrets(self) -> dict[str, pulumi.Output[str]]:
        """What the app needs, keyed like the stack secrets it would otherwise read."""
        values = {
            "supabaseUrl": self.url,
            "supabaseAnonKey": self.anon_key,
            "supabaseServiceRoleKey": self.service_role_key,
        }
        return {key: value for key, value in values.items() if value is not None}

    # Self-hosted ---------------------------------------------------------------------------------

    def _self_hosted(self, args: SupabaseArgs) -> None:
        config = args.config
        prefix = self._name
        assert args.database is not None and args.storage is not None  # missing_for_self_hosted

        credentials = Credentials(prefix, config.key_generation, self)
        self.anon_key = credentials.anon_key
        self.service_role_key = credentials.service_role_key
        self.dashboard_password = credentials.dashboard_password

        # Restricted Pod Security: every service runs non-root without capabilities (workload.py).
        namespace = platform_namespace(f"{prefix}-namespace", NAMESPACE, COMPONENT, self._child)
        if args.storage.store is not None:
            args.storage.store.grant(namespace, self)
        ns = namespace.metadata.name
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        database = args.database.location
        specs = self_hosted_services(config, database, args.storage.bucket, args.trusted_proxy_cidrs)

        db_ca = k8s.core.v1.ConfigMap(
            f"{prefix}-db-ca",
            metadata={"name": DB_CA_CONFIGMAP, "namespace": ns, "labels": base_labels(COMPONENT)},
            data={"ca.crt": args.database.ca_cert},
            opts=in_ns,
        )
        env_secret = self._env_secret(args, credentials, database, ns, in_ns)
        kong_secret = self._kong_secret(args, credentials, ns, in_ns)

        peer = policies.DatabasePeer(
            cidr=pulumi.Output.from_input(args.database.host).apply(_host_cidr),
            port=args.database.port,
        )
        job = bootstrap_job(
            prefix,
            namespace=ns,
            database=database,
            admin_password=args.database.admin_password,
            credentials=credentials,
            jwt_expiry=config.jwt_expiry,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, db_ca]),
        )
        policies.job_policy(prefix, job_labels=JOB_LABELS, namespace=ns, database=peer, opts=in_ns)

        mounts = self._mounts(args, kong_secret, ns, in_ns)
        after_bootstrap = pulumi.ResourceOptions(parent=self, depends_on=[namespace, job, db_ca])
        for spec in specs:
            resource_name = f"{prefix}-{spec.name}"
            deployment(
                resource_name,
                spec,
                namespace=ns,
                env_secret=env_secret.metadata.name,
                mounts=mounts.get(spec.name, []),
                opts=after_bootstrap,
            )
            service(resource_name, spec, ns, in_ns)
            policies.service_policy(
                prefix,
                spec,
                specs=specs,
                namespace=ns,
                database=peer,
                external=self._external_egress(spec, args),
                opts=in_ns,
            )
        self._ingress(args, credentials, ns, in_ns)

    def _env_secret(
        self,
        args: SupabaseArgs,
        credentials: Credentials,
        database: Database,
        namespace: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        assert args.storage is not None
        values: dict[str, pulumi.Input[str]] = {
            "jwt-secret": credentials.jwt_secret,
            "anon-key": credentials.anon_key,
            "service-role-key": credentials.service_role_key,
            "auth-database-url": credentials.database_url("supabase_auth_admin", database),
            "rest-database-url": credentials.database_url("authenticator", database),
            "storage-database-url": credentials.database_url("supabase_storage_admin", database),
            "realtime-database-password": credentials.logins["supabase_admin"].password,
            "dashboard-database-password": credentials.logins[DASHBOARD_DB_ROLE].password,
            "functions-database-url": credentials.database_url(
                DASHBOARD_DB_ROLE, database, scheme="postgresql"
            ),
            "realtime-secret-key-base": credentials.realtime_secret_key_base,
            "realtime-db-enc-key": credentials.realtime_db_enc_key,
            "pg-meta-crypto-key": credentials.pg_meta_crypto_key,
            "s3-access-key-id": args.storage.access_key_id,
            "s3-secret-access-key": args.storage.secret_access_key,
            "s3-protocol-access-key-id": credentials.s3_protocol_access_key_id,
            "s3-protocol-access-key-secret": credentials.s3_protocol_access_key_secret,
        }
        if args.smtp_password is not None:
            values["smtp-password"] = args.smtp_password
        return k8s.core.v1.Secret(
            f"{self._name}-env",
            metadata={"namespace": namespace, "labels": base_labels(COMPONENT)},
            string_data={key: pulumi.Output.secret(value) for key, value in values.items()},
            opts=opts,
        )

    def _kong_secret(
        self,
        args: SupabaseArgs,
        credentials: Credentials,
        namespace: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        config = args.config
        rendered: pulumi.Output[str] = pulumi.Output.all(
            credentials.anon_key,
            credentials.service_role_key,
            credentials.dashboard_password,
            credentials.studio_gate_token,
        ).apply(
            lambda values: render_kong_config(
                KongSettings(
                    anon_key=values[0],
                    service_role_key=values[1],
                    dashboard_username=config.dashboard_username,
                    dashboard_password=values[2],
                    issuer=f"{config.public_url}/auth/v1",
                    realtime_target=f"realtime.{NAMESPACE}.svc.cluster.local:4000",
                    studio_allowed_cidrs=tuple(config.studio_allowed_cidrs),
                    functions_enabled=config.functions.enabled,
                    studio_gate_token=values[3],
                )
            )
        )
        secret: pulumi.Output[str] = pulumi.Output.secret(rendered)
        return k8s.core.v1.Secret(
            f"{self._name}-kong",
            metadata={"namespace": namespace, "labels": base_labels(COMPONENT)},
            string_data={"kong.yml": secret},
            opts=opts,
        )

    def _mounts(
        self,
        args: SupabaseArgs,
        kong_secret: k8s.core.v1.Secret,
        namespace: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> dict[str, list[Mount]]:
        mounts = {
            "kong": [Mount("declarative", "secret", kong_secret.metadata.name, "/etc/kong/declarative")]
        }
        if args.config.functions.enabled:
            files = function_files(Path(args.config.functions.source_dir))
            code = k8s.core.v1.ConfigMap(
                f"{self._name}-functions",
                metadata={"namespace": namespace, "labels": base_labels(COMPONENT)},
                data={key: text for key, (_, text) in files.items()},
                opts=opts,
            )
            items = [(key, path) for key, (path, _) in files.items()]
            mounts["functions"] = [
                Mount("code", "configMap", code.metadata.name, "/home/deno/functions", items)
            ]
            mounts["studio"] = [Mount("code", "configMap", code.metadata.name, "/app/edge-functions", items)]
        return mounts

    @staticmethod
    def _external_egress(spec: ServiceSpec, args: SupabaseArgs) -> policies.ExternalEgress | None:
        if spec.name == "auth":
            smtp = args.config.smtp
            return policies.ExternalEgress(ports=[443] + ([smtp.port] if smtp is not None else []))
        if spec.name in ("storage", "imgproxy"):
            assert args.storage is not None
            port = pulumi.Output.from_input(args.storage.bucket.endpoint).apply(_url_port)
            return policies.ExternalEgress(ports=[port], in_cluster_too=True)
        if spec.name == "functions":
            return policies.ExternalEgress(ports=[443, 80])
        return None

    def _ingress(
        self,
        args: SupabaseArgs,
        credentials: Credentials,
        namespace: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        host = args.config.host
        # Marks requests that came through the Ingress: Kong routes only those to Studio (kong.yml).
        gate = k8s.apiextensions.CustomResource(
            f"{self._name}-studio-gate",
            api_version="traefik.io/v1alpha1",
            kind="Middleware",
            metadata={
                "name": STUDIO_GATE_MIDDLEWARE,
                "namespace": namespace,
                "labels": base_labels(COMPONENT),
            },
            spec={"headers": {"customRequestHeaders": {STUDIO_GATE_HEADER: credentials.studio_gate_token}}},
            opts=opts,
        )
        k8s.networking.v1.Ingress(
            f"{self._name}-gateway",
            metadata={
                "name": "gateway",
                "namespace": namespace,
                "labels": base_labels(COMPONENT),
                "annotations": {
                    "cert-manager.io/cluster-issuer": args.cluster_issuer,
                    **WEBSECURE_ONLY_ANNOTATION,
                    "traefik.ingress.kubernetes.io/router.tls": "true",
                    "traefik.ingress.kubernetes.io/router.middlewares": (
                        f"{NAMESPACE}-{STUDIO_GATE_MIDDLEWARE}@kubernetescrd"
                    ),
                },
            },
            spec={
                "ingressClassName": "traefik",
                "tls": [{"hosts": [host], "secretName": "supabase-gateway-tls"}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "kong", "port": {"number": 8000}}},
                                }
                            ]
                        },
                    }
                ],
            },
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[gate])),
        )


def function_files(source_dir: Path) -> dict[str, tuple[str, str]]:
    """ConfigMap key -> (path below the functions folder, content) for every file of the functions tree."""
    if not (source_dir / "main" / "index.ts").is_file():
        raise ValueError(
            f"supabase.functions.sourceDir {str(source_dir)!r} has no main/index.ts; the edge runtime starts "
            "that router and it dispatches to <name>/index.ts (see docs/supabase.md)"
        )
    files = {}
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(source_dir).as_posix()
        files[relative.replace("/", "__")] = (relative, path.read_text())
    return files


def _host_cidr(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as err:
        raise ValueError(
            f"the Postgres host {host!r} must be an IP address: the NetworkPolicies allow "
            "exactly that address"
        ) from err
    return f"{address}/{address.max_prefixlen}"


def _url_port(url: str) -> int:
    parsed = urlparse(url)
    return parsed.port or (80 if parsed.scheme == "http" else 443)
