"""postgres-meta, the real program at the pinned version, against the VM's bootstrapped database.

scripts/install-postgres-meta.sh installs `@supabase/postgres-meta` from npm at the version of the
supabase/postgres-meta image (components/versions.py); the test starts its server on loopback with
the environment the meta Deployment gets (components/supabase/studio.py), only the address, port,
secrets and CA swapped for the test's, and calls it as Studio does: with the connection string in
the encrypted `x-connection-encrypted` header, built from Studio's own environment the way Studio
builds it (supabase/supabase apps/studio/lib/api/self-hosted/util.ts:
`postgresql://${user}:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DATABASE}`,
no sslmode) and encrypted with crypto-js AES under the shared key (query.ts).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components import versions
from components.postgres.component import SUPERUSER
from components.supabase.spec import READ_ONLY_DB_ROLE, Database, DatabaseCaEnv, SecretEnv
from components.supabase.studio import meta, studio
from tests.postgres.pg_host import ADMIN_PASSWORD, _certificates
from tests.supabase.settings import FULL_CONFIG
from tests.supabase.vm_database import PASSWORDS, VmDatabase

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CRYPTO_KEY = "pg-meta-crypto-key-for-the-test-0123"
SECRETS = {
    "dashboard-database-password": PASSWORDS["supabase_postgres"],
    "pg-meta-crypto-key": CRYPTO_KEY,
}


@pytest.fixture(scope="module")
def package_dir() -> Path:
    """The installed package (the install script reuses a finished install)."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "install-postgres-meta.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"scripts/install-postgres-meta.sh failed:\n{result.stderr}"
    return Path(result.stdout.strip())


def test_installed_version_is_the_image_version(package_dir: Path) -> None:
    installed = json.loads((package_dir / "package.json").read_text())["version"]
    assert f"supabase/postgres-meta:v{installed}" == versions.SUPABASE_IMAGES["meta"]


def _free_port_pair() -> int:
    """A port p with p+1 free too: postgres-meta serves its admin app on the next port."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


def resolved_env(env: Mapping[str, object], ca_pem: str) -> dict[str, str]:
    """A rendered env with the Secret and CA references replaced by the test's values."""
    values: dict[str, str] = {}
    for name, value in env.items():
        if isinstance(value, SecretEnv):
            values[name] = SECRETS.get(value.key, f"{value.key} (not used by this test)")
        elif isinstance(value, DatabaseCaEnv):
            values[name] = ca_pem
        else:
            assert isinstance(value, str), f"{name} is not a plain value: {value!r}"
            values[name] = value
    return values


@dataclass
class MetaServer:
    url: str
    process: subprocess.Popen[str]
    studio_env: dict[str, str]
    package_dir: Path

    def encrypt(self, text: str) -> str:
        """crypto-js AES with a passphrase, as Studio encrypts the connection string."""
        script = (
            "const { createRequire } = require('module');"
            "const load = createRequire(process.argv[1] + '/package.json');"
            "process.stdout.write(load('crypto-js').AES.encrypt(process.argv[2], process.argv[3]).toString())"
        )
        return subprocess.run(
            ["node", "-e", script, str(self.package_dir), text, self.studio_env["PG_META_CRYPTO_KEY"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def studio_connection(
        self, user_variable: str = "POSTGRES_USER_READ_WRITE", user: str | None = None
    ) -> str:
        env = self.studio_env
        name = user or env[user_variable]
        return (
            f"postgresql://{name}:{env['POSTGRES_PASSWORD']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
            f"/{env['POSTGRES_DB']}"
        )

    def call(
        self, method: str, path: str, body: Any = None, connection: str | None = None
    ) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if connection is not None:
            headers["x-connection-encrypted"] = self.encrypt(connection)
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def query(self, sql: str, connection: str | None = None) -> tuple[int, Any]:
        return self.call("POST", "/query", {"query": sql}, connection)


def _start(package_dir: Path, database: VmDatabase, ca_pem: str) -> Iterator[MetaServer]:
    target = Database(host="127.0.0.1", port=str(database.port), name=database.database, admin_user=SUPERUSER)
    port = _free_port_pair()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **resolved_env(meta(FULL_CONFIG, target).env, ca_pem),
        # Loopback only, on a free port (the Deployment listens on 0.0.0.0:8080 in its own pod).
        "PG_META_HOST": "127.0.0.1",
        "PG_META_PORT": str(port),
    }
    studio_env = resolved_env(studio(FULL_CONFIG, target, "https://supabase.example.com").env, ca_pem)
    process = subprocess.Popen(
        ["node", "dist/server/server.js"],
        cwd=package_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # up to a minute for Node to load the server on a busy machine
            if process.poll() is not None:
                raise AssertionError(f"postgres-meta exited ({process.returncode}):\n{process.stderr.read()}")  # type: ignore[union-attr]
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("postgres-meta did not listen within a minute")
        yield MetaServer(f"http://127.0.0.1:{port}", process, studio_env, package_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(package_dir: Path, vm_database: VmDatabase) -> Iterator[MetaServer]:
    vm_database.run(
        "dbadmin",
        ADMIN_PASSWORD,
        "SET ROLE app; CREATE TABLE public.todos (id int PRIMARY KEY, title text); "
        "ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY; INSERT INTO public.todos VALUES (1, 'ship it')",
    )
    yield from _start(package_dir, vm_database, vm_database.host.ca_file.read_text())


@pytest.fixture(scope="module")
def server_with_foreign_ca(
    package_dir: Path, vm_database: VmDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MetaServer]:
    """The same server trusting another CA: it must not talk to the database."""
    other = tmp_path_factory.mktemp("other-ca") / "conf"
    other.mkdir()
    foreign_ca = _certificates(other)
    yield from _start(package_dir, vm_database, foreign_ca.read_text())


TLS_SESSION = "SELECT current_user AS who, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def test_default_connection_is_the_dashboard_role_over_tls(server: MetaServer) -> None:
    status, rows = server.query(TLS_SESSION)
    assert status == 200, rows
    assert rows == [{"who": "supabase_postgres", "ssl": True}]


def test_studio_sql_editor_connection_reaches_the_database_over_tls(server: MetaServer) -> None:
    """Studio's connection string has no sslmode; the database accepts only TLS."""
    status, rows = server.query(TLS_SESSION, server.studio_connection())
    assert status == 200, rows
    assert rows == [{"who": "supabase_postgres", "ssl": True}]


def test_studio_table_editor_lists_the_apps_tables(server: MetaServer) -> None:
    status, tables = server.call(
        "GET", "/tables?included_schemas=public", connection=server.studio_connection()
    )
    assert status == 200, tables
    todos = next(table for table in tables if table["name"] == "todos")
    assert todos["schema"] == "public" and todos["rls_enabled"] is True


def test_studio_read_only_queries_work_and_cannot_write(server: MetaServer) -> None:
    read_only = server.studio_connection(user=READ_ONLY_DB_ROLE)
    status, rows = server.query("SELECT title FROM public.todos", read_only)
    assert (status, rows) == (200, [{"title": "ship it"}])
    status, error = server.query("DELETE FROM public.todos", read_only)
    assert status == 400 and "permission denied for table todos" in json.dumps(error)


def test_pg_query_cannot_run_programs_on_the_database_host(server: MetaServer) -> None:
    """What `/pg/query` with the service_role key gets: SQL as a role that is not a superuser."""
    status, error = server.query("COPY (SELECT 1) TO PROGRAM 'true'")
    assert status == 400
    assert "permission denied" in json.dumps(error) or "must be superuser" in json.dumps(error)


def test_a_server_certificate_from_another_ca_is_refused(server_with_foreign_ca: MetaServer) -> None:
    for connection in (None, server_with_foreign_ca.studio_connection()):
        status, error = server_with_foreign_ca.query("SELECT 1", connection)
        assert status != 200
        assert "certificate" in json.dumps(error), error
