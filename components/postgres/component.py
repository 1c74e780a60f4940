"""PostgresServer: the application's PostgreSQL, as a managed service (option A) or the VM (option B).

VM mode owns a dedicated hcloud server on the private network, a volume with the data directory,
a database CA and server certificate (pulumi-tls), generated role passwords and repository
passphrase (pulumi-random), and the user-data that installs everything (cloud_init.py). Both modes
hand the cluster the same Secret: a `verify-full` connection URL plus the CA.

The server is cattle, the volume is the pet: every file on the VM comes from Pulumi, so a rebuilt
server (shut down cleanly first) adopts the data on the re-attached volume with the current
settings. A plain `pulumi up` never replaces it; rolling out changed settings is a deliberate
rebuild (docs/postgres.md).
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud
import pulumi_random as random
import pulumi_tls as tls

from .. import versions
from ..config.catalog import SERVER_TYPES
from ..config.postgres import PostgresConfig
from ..config.secrets import StackSecrets
from ..config.stack import StackConfig
from ..naming import Component, base_labels
from ..network import Network
from ..observability.rules import rule_files_in
from .cloud_init import Schedules, VmSecrets, user_data
from .render import FILES, DatabaseSpec, HostLayout, S3Repository
from .scram import scram_sha256_verifier
from .tuning import tuned_settings

COMPONENT = Component.POSTGRES
PORT = 5432
CA_MOUNT_PATH = "/etc/postgres-ca/ca.crt"
"""Where pods mount the Secret's `ca.crt`; the connection URL's sslrootcert points there."""
CERT_VALIDITY_HOURS = 5 * 365 * 24
CA_VALIDITY_HOURS = 10 * 365 * 24
CERT_EARLY_RENEWAL_HOURS = 90 * 24
NODE_POSTGRES_IP_SERVERNAME = "localhost"
"""node-postgres (postgres-meta's driver) connects to an IP address without a TLS server name, so
Node checks the certificate against `localhost` (pg lib/connection.js sets `servername` only for
host names). The server certificate names it too, so postgres-meta can verify the server; the CA
is this database's own and signs nothing else, so the name proves nothing less than the IP does."""

SUPERUSER = "supabase_root"
"""The superuser role self-hosted Supabase's bootstrap logs in as (its own SQL manages `supabase_admin`)."""


@dataclass(frozen=True)
class PostgresServerArgs:
    config: PostgresConfig
    location: str
    image: str
    protect: bool
    network_cidr: str
    """The private network; pg_hba.conf admits TLS clients from it and nothing else."""
    database_ip: str
    """The VM's fixed private address (ip_plan.database_ip)."""
    repo_path: str
    """Folder of the pgBackRest repository in the bucket."""
    bucket: str
    network_id: pulumi.Input[int] | None = None
    infra_subnet_id: pulumi.Input[str] | None = None
    ssh_key_ids: tuple[pulumi.Input[str], ...] = ()
    firewall_id: pulumi.Input[int] | None = None
    s3_access_key: pulumi.Output[str] | None = None
    s3_secret_key: pulumi.Output[str] | None = None
    managed_url: pulumi.Output[str] | None = None
    logical_replication: bool = False
    """wal_level = logical and the wal2json plugin (self-hosted Supabase's Realtime)."""
    supabase_admin: bool = False
    """Create the superuser role SUPERUSER with a generated password (self-hosted Supabase's bootstrap)."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        network: Network,
    ) -> PostgresServerArgs:
        project_stack = f"{pulumi.get_project()}-{pulumi.get_stack()}"
        backup = config.postgres.backup
        return cls(
            config=config.postgres,
            location=config.location,
            image=config.cluster.image,
            protect=config.protected,
            network_cidr=config.network.cidr,
            database_ip=network.ip_plan.database_ip,
            repo_path=backup.repo_path or f"/pgbackrest/{project_stack}",
            bucket=backup.s3_bucket or f"{project_stack}-pgbackrest",
            network_id=network.network_id,
            infra_subnet_id=network.infra_subnet_id,
            ssh_key_ids=tuple(network.ssh_key_ids),
            firewall_id=network.database_firewall_id,
            s3_access_key=secrets.postgres_s3_access_key,
            s3_secret_key=secrets.postgres_s3_secret_key,
            managed_url=secrets.postgres_managed_url,
            logical_replication=config.supabase.self_hosted,
            supabase_admin=config.supabase.self_hosted,
        )


def database_spec(args: PostgresServerArgs) -> DatabaseSpec:
    """What the VM's database is, from the stack config (also used by the tests and benchmarks)."""
    cfg = args.config
    server_type = SERVER_TYPES[cfg.server_type]
    return DatabaseSpec(
        tuned_settings=tuned_settings(server_type, cfg.max_connections),
        max_connections=cfg.max_connections,
        archive_timeout=cfg.archive_timeout_seconds,
        allowed_network=args.network_cidr,
        repository=S3Repository(
            endpoint=cfg.backup.s3_endpoint,
            region=cfg.backup.s3_region,
            bucket=args.bucket,
            uri_style=cfg.backup.s3_uri_style,
        ),
        repo_path=args.repo_path,
        retention_full=cfg.backup.retention_full,
        retention_diff=cfg.backup.retention_diff,
        process_max=max(1, server_type.vcpus // 2),
        archive_push_queue_max=cfg.backup.archive_push_queue_max,
        database=cfg.database,
        app_user=cfg.app_user,
        admin_user=cfg.admin_user,
        logical_replication=args.logical_replication,
        superuser=SUPERUSER if args.supabase_admin else "",
    )


def connection_url(user: str, password: str, host: str, port: int, database: str) -> str:
    quoted = urllib.parse.quote(password, safe="")
    query = urllib.parse.urlencode({"sslmode": "verify-full", "sslrootcert": CA_MOUNT_PATH})
    return f"postgresql://{user}:{quoted}@{host}:{port}/{database}?{query}"


class PostgresServer(pulumi.ComponentResource):
    """The application's PostgreSQL: a managed service's URL, or the database VM with its volume, CA and
    server certificate, generated role passwords, tuned PostgreSQL, pgBackRest to off-site S3 with WAL
    archiving, a restore drill and a node-exporter.

    Either way it hands on the keys of the Secret that tells the cluster how to reach it
    (`connection_data`; the App places that Secret in its own namespace)."""

    def __init__(self, name: str, args: PostgresServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:index:PostgresServer", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self.mode = args.config.mode
        self.server_id: pulumi.Output[int] | None = None
        self.ca_cert_pem: pulumi.Output[str] | None = None
        self.admin_password: pulumi.Output[str] | None = None
        self.superuser: str | None = None
        self.superuser_password: pulumi.Output[str] | None = None
        self.repository_cipher_pass: pulumi.Output[str] | None = None
        self.metrics_endpoint: str | None = None

        if args.config.mode == "managed":
            if args.managed_url is None:
                raise ValueError("postgres.mode is managed but the secret postgresManagedUrl was not passed")
            self.host: pulumi.Input[str] = pulumi.Output.secret(
                args.managed_url.apply(lambda url: urllib.parse.urlsplit(url).hostname or "")
            )
            self.app_url: pulumi.Output[str] = pulumi.Output.secret(args.managed_url)
            secret_data: dict[str, pulumi.Input[str]] = {"uri": self.app_url}
        else:
            secret_data = self._vm(args)
        self.connection_data = secret_data
        """The connection Secret's keys, for components that place it in their own namespace."""
        self.alert_rule_files = rule_files_in(FILES) if self.mode == "vm" else ()
        """The backup and restore-drill alerts: only the VM runs pgBackRest (managed has its own)."""
        endpoint = self.metrics_endpoint
        self.scrape_targets: dict[str, str] = {"database": endpoint} if endpoint else {}
        """The VM's node-exporter for Prometheus, outside the cluster (none in managed mode)."""

        self.register_outputs(
            {
                "mode": self.mode,
                "host": self.host,
                "serverId": self.server_id,
                "caCertPem": self.ca_cert_pem,
                "metricsEndpoint": self.metrics_endpoint,
            }
        )

    def _vm(self, args: PostgresServerArgs) -> dict[str, pulumi.Input[str]]:
        cfg = args.config
        name = self._name
        if args.s3_access_key is None or args.s3_secret_key is None:
            raise ValueError("postgres.mode is vm but the S3 keys of the backup bucket were not passed")
        labels = {**base_labels(COMPONENT), "platform/role": "database"}

        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=self._child)
        ca_cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"{name} database CA", organization="platform"),
            is_ca_certificate=True,
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing"],
            opts=self._child,
        )
        server_key = tls.PrivateKey(
            f"{name}-server-key", algorithm="ECDSA", ecdsa_curve="P256", opts=self._child
        )
        server_csr = tls.CertRequest(
            f"{name}-server-csr",
            private_key_pem=server_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=args.database_ip, organization="platform"),
            ip_addresses=[args.database_ip],
            dns_names=[f"{name}.internal", NODE_POSTGRES_IP_SERVERNAME],
            opts=self._child,
        )
        server_cert = tls.LocallySignedCert(
            f"{name}-server-cert",
            cert_request_pem=server_csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=CERT_VALIDITY_HOURS,
            early_renewal_hours=CERT_EARLY_RENEWAL_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=self._child,
        )

        def password(role: str) -> random.RandomPassword:
            # Letters and digits only: safe in URLs, shells and connection strings without quoting.
            return random.RandomPassword(
                f"{name}-{role}-password", length=40, special=False, opts=self._child
            )

        def salt(role: str) -> random.RandomId:
            return random.RandomId(f"{name}-{role}-scram-salt", byte_length=16, opts=self._child)

        admin_password, app_password = password("admin"), password("app")
        admin_salt, app_salt = salt("admin"), salt("app")
        superuser_password, superuser_salt = (
            (password("superuser"), salt("superuser")) if args.supabase_admin else (None, None)
        )
        cipher_pass = random.RandomPassword(
            f"{name}-repo-cipher-pass", length=64, special=False, opts=self._child
        )

        volume = hcloud.Volume(
            f"{name}-data",
            size=cfg.volume_size_gb,
            location=args.location,
            format="ext4",
            automount=False,
            delete_protection=args.protect,
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        layout = HostLayout.debian(cfg.major_version)
        spec = database_spec(args)
        schedules = Schedules(cfg.backup.full_schedule, cfg.backup.diff_schedule, cfg.backup.drill_schedule)

        def render(values: list) -> str:
            volume_id, cert, key, cipher, s3_key, s3_secret, admin_pw, admin_s, app_pw, app_s = values[:10]
            su_pw, su_s = values[10:]

            secrets = VmSecrets(
                server_cert_pem=cert,
                server_key_pem=key,
                cipher_pass=cipher,
                s3_key=s3_key,
                s3_key_secret=s3_secret,
                admin_verifier=scram_sha256_verifier(admin_pw, base64.b64decode(admin_s)),
                app_verifier=scram_sha256_verifier(app_pw, base64.b64decode(app_s)),
                superuser_verifier=scram_sha256_verifier(su_pw, base64.b64decode(su_s)) if su_pw else "",
            )
            return user_data(
                layout=layout,
                spec=spec,
                secrets=secrets,
                schedules=schedules,
                volume_device=f"/dev/disk/by-id/scsi-0HC_Volume_{volume_id}",
                volume_mount="/var/lib/postgresql",
                pgbackrest_version=versions.PGBACKREST_VERSION,
            )

        rendered: pulumi.Output[str] = pulumi.Output.all(
            volume.id,
            server_cert.cert_pem,
            server_key.private_key_pem,
            cipher_pass.result,
            args.s3_access_key,
            args.s3_secret_key,
            admin_password.result,
            admin_salt.b64_std,
            app_password.result,
            app_salt.b64_std,
            superuser_password.result if superuser_password else None,
            superuser_salt.b64_std if superuser_salt else None,
        ).apply(lambda values: pulumi.Output.secret(render(values)))

        networks = None
        if args.network_id is not None:
            # Reading the subnet id makes the server wait for the subnet its address belongs to.
            network_id = pulumi.Output.all(args.network_id, args.infra_subnet_id).apply(lambda v: int(v[0]))
            networks = [hcloud.ServerNetworkArgs(network_id=network_id, ip=args.database_ip)]

        server = hcloud.Server(
            f"{name}-server",
            server_type=cfg.server_type,
            image=args.image,
            location=args.location,
            ssh_keys=list(args.ssh_key_ids),
            firewall_ids=[args.firewall_id] if args.firewall_id is not None else None,
            networks=networks,
            public_nets=[hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv6_enabled=True)],
            user_data=rendered,
            labels=labels,
            delete_protection=args.protect,
            rebuild_protection=args.protect,
            shutdown_before_deletion=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                delete_before_replace=True,
                # Like every server of the platform, never replaced by a plain `pulumi up`: a database
                # restart is a deliberate step (docs/postgres.md, "Changing settings"). A changed
                # sshPublicKeys reaches it over SSH, not by replacement (README, Day 2).
                ignore_changes=["userData", "image", "sshKeys"],
                additional_secret_outputs=["user_data"],
            ),
        )
        hcloud.VolumeAttachment(
            f"{name}-data-attachment",
            server_id=server.id.apply(int),
            volume_id=volume.id.apply(int),
            automount=False,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )

        self.server_id = server.id.apply(int)
        self.host = args.database_ip
        self.ca_cert_pem = ca_cert.cert_pem
        # Secret on every path: explicit, not only through the random provider's own marking.
        self.admin_password = pulumi.Output.secret(admin_password.result)
        self.repository_cipher_pass = pulumi.Output.secret(cipher_pass.result)
        if superuser_password is not None:
            self.superuser = SUPERUSER
            self.superuser_password = pulumi.Output.secret(superuser_password.result)
        self.metrics_endpoint = f"{args.database_ip}:9100"
        self.app_url = pulumi.Output.secret(
            app_password.result.apply(
                lambda pw: connection_url(cfg.app_user, pw, args.database_ip, PORT, cfg.database)
            )
        )
        return {
            "uri": self.app_url,
            "host": args.database_ip,
            "port": str(PORT),
            "database": cfg.database,
            "username": cfg.app_user,
            "password": pulumi.Output.secret(app_password.result),
            "sslmode": "verify-full",
            "ca.crt": ca_cert.cert_pem,
        }
