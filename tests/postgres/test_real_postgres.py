"""The rendered postgresql.conf, pg_hba.conf, pgbackrest.conf and scripts, run for real.

One scratch database host (pg_host.PgHost) for the module: Debian's PostgreSQL and pgBackRest with
a posix repository in place of S3, encryption on. Every test leaves it running and as it found it, so
the order does not matter; the disaster (killing the server) gets a host of its own.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.postgres.render import pg_hba_conf

from .pg_host import ADMIN_PASSWORD, PgHost

pytestmark = pytest.mark.slow


def _backed_up_host() -> Iterator[PgHost]:
    host = PgHost.create(allowed_network="127.0.0.1/32")
    try:
        host.initdb()
        host.start()
        host.create_roles()
        host.pgbackrest("stanza-create")
        host.pgbackrest("check")
        host.script("backup.sh", "full")
        yield host
    finally:
        host.destroy()


@pytest.fixture(scope="module")
def host() -> Iterator[PgHost]:
    yield from _backed_up_host()


@pytest.fixture
def doomed_host() -> Iterator[PgHost]:
    """A host of its own for the test that kills the server."""
    yield from _backed_up_host()


def conninfo(host: PgHost, address: str, sslmode: str, user: str = "app") -> str:
    return (
        f"host={address} port={host.layout.port} dbname={host.spec.database} user={user} "
        f"sslmode={sslmode} sslrootcert={host.ca_file}"
    )


def test_rendered_settings_are_the_running_settings(host: PgHost) -> None:
    for name, value in host.spec.tuned_settings.items():
        shown = host.psql(f"select current_setting('{name}')")
        assert shown.replace(" ", "") == value, f"{name}: PostgreSQL runs {shown}, rendered {value}"
    assert host.psql("show archive_mode") == "on"
    assert host.psql("show password_encryption") == "scram-sha-256"
    assert host.psql("show ssl") == "on"
    assert host.psql("show ssl_min_protocol_version") == "TLSv1.2", "no TLS 1.0/1.1 on other builds"
    # Without self-hosted Supabase: physical WAL only and no superuser that logs in over the network.
    assert host.psql("show wal_level") == "replica"
    assert host.psql("select count(*) from pg_roles where rolsuper and rolcanlogin") == "1"


def test_app_connects_over_tls_with_its_scram_password_and_verifies_the_server(host: PgHost) -> None:
    result = host.tcp(
        conninfo(host, "127.0.0.1", "verify-full"),
        "select current_user || ' ' || ssl || ' ' || version from pg_stat_ssl where pid = pg_backend_pid()",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("app true TLSv1.")
    admin = host.tcp(conninfo(host, "127.0.0.1", "verify-full", user="dbadmin"), password=ADMIN_PASSWORD)
    assert admin.returncode == 0, admin.stderr


def test_pg_hba_rejects_a_connection_without_tls(host: PgHost) -> None:
    result = host.tcp(conninfo(host, "127.0.0.1", "disable"))
    assert result.returncode != 0
    assert 'pg_hba.conf rejects connection for host "127.0.0.1"' in result.stderr
    assert "no encryption" in result.stderr


def test_pg_hba_rejects_a_wrong_password(host: PgHost) -> None:
    result = host.tcp(conninfo(host, "127.0.0.1", "verify-full"), password="not-the-password")
    assert result.returncode != 0
    assert 'password authentication failed for user "app"' in result.stderr


def test_pg_hba_rejects_tls_clients_from_outside_the_allowed_network(host: PgHost) -> None:
    # ::1 is outside 127.0.0.1/32: TLS and the right password do not help.
    result = host.tcp(conninfo(host, "::1", "require"))
    assert result.returncode != 0
    assert 'pg_hba.conf rejects connection for host "::1"' in result.stderr
    assert "SSL encryption" in result.stderr


def test_pg_hba_admits_only_the_configured_network(host: PgHost) -> None:
    """Allow 127.0.0.2/32 only: the same TLS client from 127.0.0.1 is now turned away."""
    hba = Path(host.layout.conf_dir, "pg_hba.conf")
    original = hba.read_text()
    try:
        hba.write_text(pg_hba_conf(dataclasses.replace(host.spec, allowed_network="127.0.0.2/32")))
        host.psql("select pg_reload_conf()")
        refused = host.tcp(conninfo(host, "127.0.0.1", "verify-full"))
    finally:
        hba.write_text(original)
        host.psql("select pg_reload_conf()")
    assert refused.returncode != 0
    assert 'pg_hba.conf rejects connection for host "127.0.0.1"' in refused.stderr
    assert host.tcp(conninfo(host, "127.0.0.1", "verify-full")).returncode == 0


def test_metrics_file_is_valid_exposition_and_reports_the_backup(host: PgHost) -> None:
    host.script("metrics.sh")
    text = Path(host.layout.textfile_dir, "postgres_backup.prom").read_text()
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    (info,) = json.loads(host.pgbackrest("info", "--output=json").stdout)
    newest = max(info["backup"], key=lambda b: b["timestamp"]["stop"])
    reported = float(values['pgbackrest_last_good_backup_timestamp_seconds{stanza="main"}'])
    assert reported == newest["timestamp"]["stop"], "the newest backup pgBackRest itself lists"
    assert [repo["cipher"] for repo in info["repo"]] == ["aes-256-cbc"], "the repository is encrypted"
    assert values['pgbackrest_last_backup_timestamp_seconds{stanza="main",type="diff"}'] == "0"
    assert values["postgres_up"] == "1"
    assert values["postgres_archiver_failed_total"] == "0"


def test_restore_drill_restores_the_newest_state_checks_it_and_cleans_up(host: PgHost) -> None:
    host.psql(
        "create table drill_rows(id int primary key); insert into drill_rows select generate_series(1, 5000)",
        db="app",
    )
    host.wait_archived()
    result = host.script("restore-drill.sh")
    assert "amcheck=ok" in result.stdout
    assert "app_tables=1" in result.stdout
    assert "data_loss=" in result.stdout and "unknown" not in result.stdout
    metrics = Path(host.layout.textfile_dir, "postgres_restore_drill.prom").read_text()
    assert "postgres_restore_drill_success 1" in metrics
    assert not Path(host.layout.drill_directory).exists(), "the drill must remove its scratch copy"


def test_restore_drill_fails_loudly_on_an_unreachable_target(host: PgHost) -> None:
    result = host.script("restore-drill.sh", "--target", "2000-01-01 00:00:00+00", check=False)
    assert result.returncode != 0
    metrics = Path(host.layout.textfile_dir, "postgres_restore_drill.prom").read_text()
    assert "postgres_restore_drill_success 0" in metrics
    assert not Path(host.layout.drill_directory).exists()


def test_point_in_time_recovery_after_the_server_is_killed(doomed_host: PgHost) -> None:
    host = doomed_host
    host.psql("create table orders(id int primary key, note text)", db="app")
    host.psql("insert into orders select g, 'before' from generate_series(1, 100) g", db="app")
    target = host.psql("select clock_timestamp()")
    time.sleep(1.1)  # commit timestamps after the target must differ from it
    host.psql("insert into orders select g, 'after' from generate_series(101, 200) g", db="app")
    host.psql("delete from orders where id <= 10", db="app")
    host.wait_archived()  # the later rows are in the repository: PITR must leave them out on purpose
    host.kill()

    host.script("restore-drill.sh", "--target", target, "--keep")
    try:
        rows = host.psql(
            "select count(*), min(id), max(id), bool_and(note = 'before') from orders",
            port=host.layout.drill_port,
            socket_dir=host.layout.drill_socket_directory,
            db="app",
        )
        assert rows == "100|1|100|t", "rows up to the target are back, none after it"
        assert (
            host.psql(
                "select pg_is_in_recovery()",
                port=host.layout.drill_port,
                socket_dir=host.layout.drill_socket_directory,
            )
            == "f"
        )
    finally:
        host.script("restore-drill.sh", "--cleanup")
    assert not Path(host.layout.drill_directory).exists()
