"""The rendering for self-hosted Supabase on Debian's real PostgreSQL: logical WAL and the superuser.

Supabase's bootstrap Job logs in as the superuser over TLS, and Realtime creates a publication and a
logical replication slot; both are refused by a server rendered with the default `wal_level = replica`
(test_real_postgres.py checks that default).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.postgres.component import SUPERUSER

from .pg_host import SUPERUSER_PASSWORD, PgHost


@pytest.fixture(scope="module")
def host() -> Iterator[PgHost]:
    host = PgHost.create(supabase=True)
    try:
        host.initdb()
        host.start()
        host.create_roles()
        yield host
    finally:
        host.destroy()


def test_superuser_logs_in_over_tls_and_creates_a_publication_and_a_logical_slot(host: PgHost) -> None:
    conninfo = (
        f"host=127.0.0.1 port={host.layout.port} dbname=postgres user={SUPERUSER} "
        f"sslmode=verify-full sslrootcert={host.ca_file}"
    )
    publication = host.tcp(
        conninfo,
        "create publication supabase_realtime; select rolsuper from pg_roles where rolname = current_user",
        password=SUPERUSER_PASSWORD,
    )
    assert publication.returncode == 0, publication.stderr
    assert publication.stdout.split()[-1] == "t"
    # A slot cannot be created in a transaction that wrote (psql -c runs one): a second session.
    slot = host.tcp(
        conninfo,
        "select from pg_create_logical_replication_slot('realtime_test', 'test_decoding');"
        "select slot_type from pg_replication_slots where slot_name = 'realtime_test'",
        password=SUPERUSER_PASSWORD,
    )
    assert slot.returncode == 0, slot.stderr
    assert slot.stdout.split()[-1] == "logical"
    assert host.psql("show wal_level") == "logical"


def test_superuser_refuses_a_wrong_password(host: PgHost) -> None:
    conninfo = f"host=127.0.0.1 port={host.layout.port} dbname=postgres user={SUPERUSER} sslmode=require"
    result = host.tcp(conninfo, password="wrong")
    assert result.returncode != 0
    assert "password authentication failed" in result.stderr
