"""The database server, end to end: its rendered user-data booted under cloud-init in a VM.

What differs from production, and why, is listed in tests/vm/database.py (PostgreSQL 15 from Debian's
packages instead of the PostgreSQL project's repository, moto's S3 on the host as the repository).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .database import APT_ADDRESS, PGDG_STAND_IN_LOG, DatabaseVm, database_run, database_vm
from .machine import PUBLIC_NETWORK

pytestmark = [pytest.mark.slow, pytest.mark.vm]

TIMERS = (
    "pgbackrest-full.timer",
    "pgbackrest-diff.timer",
    "postgres-metrics.timer",
    "postgres-restore-drill.timer",
)
VOLUME_MOUNT = "/var/lib/postgresql"
FORMATTING = "formatting the new, empty volume"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseVm]:
    with database_vm(tmp_path_factory.mktemp("database"), database_run()) as vm:
        status = vm.machine.wait_for_cloud_init()
        log = vm.machine.run("tail -n 60 /var/log/cloud-init-output.log").stdout
        assert status.returncode == 0, f"cloud-init did not finish cleanly:\n{status.stdout}\n{log}"
        yield vm


def host_psql(
    database: DatabaseVm, *, sslmode: str, password: str, sql: str = "select 1"
) -> subprocess.CompletedProcess[str]:
    """psql on the host, as the application connects: to the server's private address (the name the
    certificate holds), reached through the forward on the host's loopback."""
    ca = Path(os.environ.get("TMPDIR", "/tmp")) / f"vmtest-db-ca-{os.getpid()}.crt"
    ca.write_text(database.ca_pem)
    conninfo = (
        f"host={database.server.private_ip} hostaddr=127.0.0.1 port={database.pg_port} "
        f"dbname={database.database} user={database.app_user} sslmode={sslmode} sslrootcert={ca} "
        "connect_timeout=30"
    )
    return subprocess.run(
        ["psql", "-XAtq", "-d", conninfo, "-c", sql],
        env={**os.environ, "PGPASSWORD": password},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_first_boot_runs_the_user_data_to_the_end_from_the_local_mirror(database: DatabaseVm) -> None:
    log = database.machine.run("cat /var/log/cloud-init-output.log").check().stdout
    assert "bootstrap: database ready on port 5432" in log
    # The stand-in for the PostgreSQL project's repository setup was called as bootstrap.sh calls it.
    assert database.machine.run(f"cat {PGDG_STAND_IN_LOG}").check().stdout == "-y\n"
    # The guest's apt fetched the packages from the mirror the test serves (and nowhere else: the
    # VM's networks are restricted to the forwards the test set up).
    fetched = {path.rsplit("/", 1)[-1].split("_", 1)[0] for _, path in database.apt.requests}
    assert {"postgresql-15", "pgbackrest", "prometheus-node-exporter", "jq"} <= fetched


def test_volume_is_found_by_its_hetzner_name_formatted_once_and_mounted(database: DatabaseVm) -> None:
    env = database.server.file("/usr/local/lib/platform-postgres/postgres.env")
    device = next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("VOLUME_DEVICE="))
    run = database.machine.run
    assert run(f"findmnt -no SOURCE {VOLUME_MOUNT}").check().stdout == run(f"readlink -f {device}").stdout
    assert run(f"blkid -s LABEL -o value {device}").check().stdout.strip() == "pgdata"
    uuid = run(f"blkid -s UUID -o value {device}").check().stdout.strip()
    assert f"UUID={uuid} {VOLUME_MOUNT} ext4" in run("cat /etc/fstab").stdout
    assert run("cat /var/log/cloud-init-output.log").stdout.count(FORMATTING) == 1


def test_postgresql_runs_the_rendered_configuration_with_tls_and_scram(database: DatabaseVm) -> None:
    rendered = database.server.file("/etc/platform-postgres/postgresql.conf")
    installed = database.machine.run("cat /etc/postgresql/15/main/postgresql.conf").check().stdout
    assert hashlib.sha256(installed.encode()).hexdigest() == hashlib.sha256(rendered.encode()).hexdigest()
    # Every line of the rendered file was read without error by the running server.
    assert database.psql("select name, error from pg_file_settings where error is not null") == ""
    assert database.psql("show data_directory") == f"{VOLUME_MOUNT}/15/main\n"
    assert database.psql("show ssl") == "on\n"
    assert database.psql("show password_encryption") == "scram-sha-256\n"
    verifier = database.psql(f"select rolpassword from pg_authid where rolname = '{database.app_user}'")
    assert verifier.startswith("SCRAM-SHA-256$4096:")


def test_host_connects_with_verify_full_and_the_app_password(database: DatabaseVm) -> None:
    result = host_psql(
        database,
        sslmode="verify-full",
        password=database.app_password,
        sql="select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{database.app_user}|t\n"


def test_plaintext_and_a_wrong_password_are_refused(database: DatabaseVm) -> None:
    plaintext = host_psql(database, sslmode="disable", password=database.app_password)
    assert plaintext.returncode != 0
    assert "no encryption" in plaintext.stderr
    wrong = host_psql(database, sslmode="verify-full", password=database.app_password + "x")
    assert wrong.returncode != 0
    assert f'password authentication failed for user "{database.app_user}"' in wrong.stderr


def test_first_full_backup_is_in_the_s3_repository_encrypted(database: DatabaseVm) -> None:
    info = database.machine.run("runuser -u postgres -- pgbackrest --stanza=main --output=json info")
    (stanza,) = json.loads(info.check().stdout)
    assert stanza["status"]["code"] == 0, stanza["status"]
    assert [backup["type"] for backup in stanza["backup"]] == ["full"]
    keys = database.repository_keys()
    info_keys = [key for key in keys if key.endswith("/backup/main/backup.info")]
    assert info_keys, keys
    body = database.s3.get_object(Bucket=database.bucket, Key=info_keys[0])["Body"].read()
    assert body.startswith(b"Salted__")  # pgBackRest's aes-256-cbc: the object store holds ciphertext


def test_backup_drill_and_metrics_timers_are_enabled(database: DatabaseVm) -> None:
    for timer in TIMERS:
        assert database.machine.run(f"systemctl is-enabled {timer}").stdout == "enabled\n", timer
        assert database.machine.run(f"systemctl is-active {timer}").stdout == "active\n", timer


def test_restore_drill_passes_in_the_guest(database: DatabaseVm) -> None:
    result = database.machine.run("systemctl start postgres-restore-drill.service", timeout=1200)
    journal = database.machine.run("journalctl -u postgres-restore-drill.service --no-pager | tail -n 30")
    assert result.returncode == 0, journal.stdout
    metrics = database.machine.run("cat /var/lib/prometheus/node-exporter/postgres_restore_drill.prom")
    assert "postgres_restore_drill_success 1\n" in metrics.check().stdout


def test_reboot_keeps_the_data_and_does_not_format_again(database: DatabaseVm) -> None:
    written = host_psql(
        database,
        sslmode="verify-full",
        password=database.app_password,
        sql="create table reboot_check (note text); insert into reboot_check values ('kept'); "
        "select note from reboot_check",
    )
    assert written.stdout == "kept\n", written.stderr
    run = database.machine.run
    created_time = "dumpe2fs -h $(findmnt -no SOURCE /var/lib/postgresql) | grep 'Filesystem created'"
    created = run(created_time).check().stdout
    database.machine.reboot()
    run("until pg_isready -q -h /var/run/postgresql; do sleep 2; done", timeout=600).check()
    after = host_psql(
        database, sslmode="verify-full", password=database.app_password, sql="select note from reboot_check"
    )
    assert after.stdout == "kept\n", after.stderr
    assert run(created_time).stdout == created
    assert run("cat /var/log/cloud-init-output.log").stdout.count(FORMATTING) == 1


def test_guest_reaches_the_test_services_and_nothing_else(database: DatabaseVm) -> None:
    def reachable(address: str, port: int) -> bool:
        probe = f"timeout 20 bash -c 'exec 3<>/dev/tcp/{address}/{port}'"
        return database.machine.run(probe).returncode == 0

    assert reachable(APT_ADDRESS.guest_ip, APT_ADDRESS.guest_port)
    # The same loopback service through QEMU's host address: open without restrict=on, closed with it.
    assert not reachable(str(PUBLIC_NETWORK[1]), database.apt.port)
    assert not reachable("192.0.2.1", 443)  # any other address (a documentation range here)
