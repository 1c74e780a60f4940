"""The database VM reserves the huge pages its tuned shared_buffers need (bootstrap.sh's
reserve_huge_pages, run here on the rendered configuration with Debian's real `postgres -C`):
`huge_pages = try` otherwise falls back to 4 kB pages without a word, and every backend then faults
the shared buffers in page by page."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.config.postgres import PostgresBackupConfig, PostgresConfig
from components.postgres.render import FILES

from .pg_host import PgHost

pytestmark = pytest.mark.slow


def _function(name: str) -> str:
    text = (FILES / "bootstrap.sh").read_text()
    start = text.index(f"{name}() {{")
    return text[start : text.index("\n}\n", start) + 3]


@pytest.fixture
def stopped_host(request: pytest.FixtureRequest) -> Iterator[PgHost]:
    config = PostgresConfig(server_type=request.param, backup=PostgresBackupConfig(s3_bucket="unused"))
    host = PgHost.create(config=config)
    try:
        host.initdb()
        yield host
    finally:
        host.destroy()


def _reserve(host: PgHost, tmp_path: Path) -> tuple[str, str]:
    """bootstrap.sh's reserve_huge_pages with sysctl recorded instead of applied (a shared test machine)."""
    sysctl_file, calls = tmp_path / "60-postgresql-huge-pages.conf", tmp_path / "sysctl-calls"
    as_postgres = 'runuser -u postgres -- "$@"' if os.geteuid() == 0 else '"$@"'
    script = f"""set -euo pipefail
log() {{ echo "$*"; }}
as_postgres() {{ {as_postgres}; }}
sysctl() {{ echo "$*" >>"{calls}"; [ "$1" != -n ] || echo 0; }}
{_function("reserve_huge_pages")}
reserve_huge_pages
"""
    env = {
        **os.environ,
        "PG_MAJOR": str(host.layout.pg_major),
        "PG_CONF_DIR": host.layout.conf_dir,
        "HUGE_PAGES_SYSCTL": str(sysctl_file),
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return (sysctl_file.read_text() if sysctl_file.exists() else ""), (
        calls.read_text() if calls.exists() else ""
    )


@pytest.mark.parametrize("stopped_host", ["cpx32"], indirect=True)
def test_a_server_with_2gb_of_shared_buffers_gets_its_huge_pages_reserved(
    stopped_host: PgHost, tmp_path: Path
) -> None:
    assert stopped_host.spec.tuned_settings["huge_pages"] == "try"
    written, calls = _reserve(stopped_host, tmp_path)
    pages = int(written.removeprefix("vm.nr_hugepages = "))
    # 2 GB of shared_buffers alone are 1024 pages of 2 MB; PostgreSQL adds its other shared memory.
    assert 1024 < pages < 1200
    assert f"-q -p {tmp_path / '60-postgresql-huge-pages.conf'}" in calls


@pytest.mark.parametrize("stopped_host", ["cpx22"], indirect=True)
def test_a_server_with_huge_pages_off_reserves_none(stopped_host: PgHost, tmp_path: Path) -> None:
    assert stopped_host.spec.tuned_settings["huge_pages"] == "off"  # 1 GB of shared_buffers on 4 GB
    assert _reserve(stopped_host, tmp_path) == ("", "")
