"""A database host in a scratch directory: Debian's PostgreSQL and pgBackRest running the files the
component renders, with only the paths, port, allowed network and repository (posix for S3) swapped
through the same parameters the VM gets. Shared by the tests and the benchmarks.

PostgreSQL refuses to run as root, so as root every command runs as the `postgres` OS user.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.config.postgres import PostgresBackupConfig, PostgresConfig
from components.postgres.component import (
    NODE_POSTGRES_IP_SERVERNAME,
    SUPERUSER,
    PostgresServerArgs,
    database_spec,
)
from components.postgres.render import (
    FILES,
    STANZA,
    DatabaseSpec,
    HostLayout,
    PosixRepository,
    environment_file,
    pg_hba_conf,
    pgbackrest_conf,
    pgbackrest_secrets_conf,
    postgresql_conf,
    read_file,
)
from components.postgres.scram import scram_sha256_verifier

OS_USER = "postgres"
APP_PASSWORD = "app-test-password-1"
ADMIN_PASSWORD = "admin-test-password-1"
SUPERUSER_PASSWORD = "superuser-test-password-1"
CIPHER_PASS = "test-cipher-passphrase-not-a-secret"


def pg_major() -> int:
    installed = sorted(int(p.name) for p in Path("/usr/lib/postgresql").iterdir() if p.name.isdigit())
    if not installed:
        raise RuntimeError("no PostgreSQL server found; run scripts/install-debian-tools.sh")
    return installed[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_db_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *command] if os.geteuid() == 0 else command


def _certificates(directory: Path) -> Path:
    """A project CA and a server certificate for 127.0.0.1, like the component's pulumi-tls ones."""
    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("test database CA"))
        .issuer_name(name("test database CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName(NODE_POSTGRES_IP_SERVERNAME)]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ca_path = directory.parent / "ca.crt"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca_path


def vm_spec(allowed_network: str, repo_path: str, config: PostgresConfig | None = None) -> DatabaseSpec:
    """The VM's DatabaseSpec for the stack defaults, with a posix repository in place of S3."""
    args = PostgresServerArgs(
        config=config or PostgresConfig(backup=PostgresBackupConfig(s3_bucket="unused")),
        location="nbg1",
        image="debian-12",
        protect=False,
        network_cidr=allowed_network,
        database_ip="127.0.0.1",
        repo_path=repo_path,
        bucket="unused",
    )
    return dataclasses.replace(database_spec(args), repository=PosixRepository())


@dataclass
class PgHost:
    base: Path
    layout: HostLayout
    spec: DatabaseSpec
    ca_file: Path

    @property
    def scripts(self) -> Path:
        return self.base / "scripts"

    @classmethod
    def create(
        cls,
        allowed_network: str = "127.0.0.1/32",
        config: PostgresConfig | None = None,
        supabase: bool = False,
    ) -> PgHost:
        """A scratch host; `supabase` renders it as self-hosted Supabase needs it (logical WAL, superuser)."""
        base = Path(tempfile.mkdtemp(prefix="pgtest-"))
        major = pg_major()
        layout = HostLayout(
            pg_major=major,
            data_directory=str(base / "data"),
            conf_dir=str(base / "conf"),
            socket_directory=str(base / "sock"),
            pid_file=str(base / "sock" / "postmaster.pid.ext"),
            bin_dir=f"/usr/lib/postgresql/{major}/bin",
            pgbackrest_config_path=str(base / "pgbackrest"),
            spool_path=str(base / "spool"),
            lock_path=str(base / "lock"),
            log_path=str(base / "log"),
            textfile_dir=str(base / "textfile"),
            drill_directory=str(base / "drill"),
            drill_socket_directory=str(base / "drill-sock"),
            port=free_port(),
            drill_port=free_port(),
            listen_addresses="127.0.0.1,::1",
        )
        spec = vm_spec(allowed_network, str(base / "repo"), config)
        if supabase:
            spec = dataclasses.replace(spec, logical_replication=True, superuser=SUPERUSER)
        for sub in (
            "conf",
            "sock",
            "pgbackrest/conf.d",
            "spool",
            "lock",
            "log",
            "textfile",
            "repo",
            "scripts",
        ):
            (base / sub).mkdir(parents=True, exist_ok=True)
        ca_file = _certificates(base / "conf")
        host = cls(base, layout, spec, ca_file)
        host.write_config()
        for script in ("backup.sh", "metrics.sh", "restore-drill.sh"):
            shutil.copy(FILES / script, host.scripts / script)
        shutil.copy(FILES / "roles.sql", host.scripts / "roles.sql")
        (host.scripts / "postgres.env").write_text(environment_file(layout, spec))
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{OS_USER}:{OS_USER}", str(base)], check=True)
        base.chmod(0o755)
        (base / "conf" / "server.key").chmod(0o600)
        return host

    def write_config(self) -> None:
        conf = Path(self.layout.conf_dir)
        (conf / "postgresql.conf").write_text(postgresql_conf(self.layout, self.spec))
        (conf / "pg_hba.conf").write_text(pg_hba_conf(self.spec))
        (conf / "pg_ident.conf").write_text(read_file("pg_ident.conf"))
        pgbr = Path(self.layout.pgbackrest_config_path)
        (pgbr / "pgbackrest.conf").write_text(pgbackrest_conf(self.layout, self.spec))
        (pgbr / "conf.d" / "secrets.conf").write_text(pgbackrest_secrets_conf(CIPHER_PASS))

    def run(self, command: list[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(as_db_user(command), capture_output=True, text=True, check=False, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def bin(self, name: str) -> str:
        return f"{self.layout.bin_dir}/{name}"

    def initdb(self) -> None:
        data = self.layout.data_directory
        self.run(
            [
                self.bin("initdb"),
                "-D",
                data,
                "-U",
                "postgres",
                "--data-checksums",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--auth=reject",
            ]
        )
        # Like Debian: the configuration lives outside the data directory.
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            self.run(["rm", f"{data}/{name}"])

    def start(self) -> None:
        self.run(
            [
                self.bin("pg_ctl"),
                "-D",
                self.layout.conf_dir,
                "-l",
                str(self.base / "log" / "pg.log"),
                "-w",
                "start",
            ]
        )

    def stop(self) -> None:
        self.run([self.bin("pg_ctl"), "-D", self.layout.conf_dir, "-m", "fast", "-w", "stop"], check=False)

    def kill(self) -> None:
        """The disaster: SIGKILL the postmaster, no shutdown checkpoint, no final WAL switch."""
        pid = int(Path(self.layout.data_directory, "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists():
            time.sleep(0.05)

    def psql(
        self, sql: str, port: int | None = None, socket_dir: str | None = None, db: str = "postgres"
    ) -> str:
        result = self.run(
            [
                "psql",
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                socket_dir or self.layout.socket_directory,
                "-p",
                str(port or self.layout.port),
                "-d",
                db,
                "-c",
                sql,
            ]
        )
        return result.stdout.strip()

    def tcp(
        self, conninfo: str, sql: str = "select 1", password: str = APP_PASSWORD
    ) -> subprocess.CompletedProcess[str]:
        """A client connection over TCP (as any client on the private network would make)."""
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"}
        return subprocess.run(
            ["psql", "-X", "-A", "-t", "-w", "-c", sql, conninfo],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )

    def create_roles(self) -> None:
        spec = self.spec
        self.run(
            [
                "psql",
                "-X",
                "-q",
                "-h",
                self.layout.socket_directory,
                "-p",
                str(self.layout.port),
                "-d",
                "postgres",
                "-f",
                str(self.scripts / "roles.sql"),
                "-v",
                f"admin_user={spec.admin_user}",
                "-v",
                f"admin_verifier={scram_sha256_verifier(ADMIN_PASSWORD, os.urandom(16))}",
                "-v",
                f"app_user={spec.app_user}",
                "-v",
                f"app_verifier={scram_sha256_verifier(APP_PASSWORD, os.urandom(16))}",
                "-v",
                f"database={spec.database}",
                "-v",
                f"superuser={spec.superuser}",
                "-v",
                "superuser_verifier="
                + (scram_sha256_verifier(SUPERUSER_PASSWORD, os.urandom(16)) if spec.superuser else ""),
            ]
        )

    def pgbackrest(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            ["pgbackrest", f"--config-path={self.layout.pgbackrest_config_path}", f"--stanza={STANZA}", *args]
        )

    def script(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.scripts / name), *args], check=check)

    def wait_archived(self) -> None:
        """Switch to a new WAL segment and wait until the previous one is in the repository."""
        segment = self.psql("select pg_walfile_name(pg_switch_wal())")
        for _ in range(600):
            if self.psql("select last_archived_wal from pg_stat_archiver") >= segment:
                return
            time.sleep(0.1)
        raise AssertionError(f"WAL segment {segment} was not archived within 60 s")

    def destroy(self) -> None:
        self.run(
            [self.bin("pg_ctl"), "-D", self.layout.drill_directory, "-m", "immediate", "stop"], check=False
        )
        self.run([self.bin("pg_ctl"), "-D", self.layout.conf_dir, "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.base, ignore_errors=True)
