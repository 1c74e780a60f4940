"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp directory, a random port.

The server runs as an unprivileged user (PostgreSQL refuses to run as root): the current user when
the tests are not root, else `nobody`. Local socket connections are trusted for the `postgres`
superuser; TCP on 127.0.0.1 asks for a SCRAM password, so tests can check real logins.

initdb runs once per session; each server starts from a copy of that cluster, so a fresh server per
test is cheap. Use the `postgres_server` fixture (one server per test module) or
`fresh_postgres_server` (one per test), or `running_postgres()` directly as a context manager.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    """Directory of the newest installed Debian PostgreSQL (`/usr/lib/postgresql/<major>/bin`)."""
    root = Path("/usr/lib/postgresql")
    majors = (
        sorted((p for p in root.glob("*/bin") if (p / "initdb").exists()), key=lambda p: int(p.parent.name))
        if root.exists()
        else []
    )
    if not majors:
        raise RuntimeError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql; "
            "run scripts/install-debian-tools.sh (it installs Debian's postgresql package)"
        )
    return majors[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """Command prefix plus uid/gid that run the server binaries as a non-root user."""
    if os.geteuid() != 0:
        return [], None, None
    nobody = pwd.getpwnam("nobody")
    prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    return prefix, nobody.pw_uid, nobody.pw_gid


@dataclass
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    port: int
    _prefix: list[str]

    @property
    def major_version(self) -> int:
        return int(self.bin_dir.parent.name)

    def psql(
        self,
        sql: str | None = None,
        *,
        file: Path | None = None,
        variables: Mapping[str, str] | None = None,
        user: str = SUPERUSER,
        database: str = "postgres",
        password: str | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a script (psql meta-commands allowed) or a file with psql, unaligned and tuples only,
        stopping at the first error; return the finished process.

        With `password`, connect over TCP so the server's SCRAM authentication is exercised.
        """
        host = "127.0.0.1" if password is not None else str(self.socket_dir)
        cmd = [
            str(self.bin_dir / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            host,
            "-p",
            str(self.port),
            "-U",
            user,
            "-d",
            database,
        ]
        for name, value in (variables or {}).items():
            cmd += ["-v", f"{name}={value}"]
        cmd += ["-f", str(file) if file is not None else "-"]
        env = {**os.environ, "PGPASSWORD": password or "", "PGCONNECT_TIMEOUT": "10"}
        if password is None:
            env.pop("PGPASSWORD")
        result = subprocess.run(
            cmd,
            input=None if file is not None else sql or "",
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"psql failed ({result.returncode}):\n{result.stderr}")
        return result

    def query(self, sql: str, **kwargs: object) -> list[list[str]]:
        """Rows of a query as lists of text fields (NULL is the empty string)."""
        output = self.psql(sql, **kwargs).stdout  # type: ignore[arg-type]
        return [line.split("|") for line in output.splitlines() if line]

    def restart(self) -> None:
        self._pg_ctl("restart")

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [
                *self._prefix,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.data_dir / "server.log"),
                *args,
            ],
            check=True,
            capture_output=True,
            text=True,
        )


_TEMPLATES: dict[Path, Path] = {}


def _template_cluster(bin_dir: Path, prefix: list[str], uid: int | None, gid: int | None) -> Path:
    """An initdb'd data directory made once per test session; every server starts from a copy."""
    if bin_dir not in _TEMPLATES:
        base = Path(tempfile.mkdtemp(prefix="pgtemplate-"))
        atexit.register(shutil.rmtree, base, True)
        if uid is not None and gid is not None:
            os.chown(base, uid, gid)
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(base / "data"),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        _TEMPLATES[bin_dir] = base / "data"
    return _TEMPLATES[bin_dir]


@contextlib.contextmanager
def running_postgres(settings: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """Start a fresh cluster, yield it, then stop it and delete its directory."""
    bin_dir = postgres_bin_dir()
    prefix, uid, gid = _as_server_user()
    base = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data_dir, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if uid is not None and gid is not None:
        for path in (base, socket_dir):
            os.chown(path, uid, gid)
    server = PostgresServer(bin_dir, data_dir, socket_dir, _free_port(), prefix)
    try:
        # `cp -a` keeps the server user's ownership and the 0700 mode PostgreSQL insists on.
        template = _template_cluster(bin_dir, prefix, uid, gid)
        subprocess.run(["cp", "-a", str(template), str(data_dir)], check=True)
        config = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(server.port),
            "unix_socket_directories": f"'{socket_dir}'",
            "fsync": "off",
            "shared_buffers": "32MB",
            **(settings or {}),
        }
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in config.items())
        server._pg_ctl("start")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            server._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for a whole test module."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def fresh_postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL for a single test (for checks that must start from an empty cluster)."""
    with running_postgres() as server:
        yield server
