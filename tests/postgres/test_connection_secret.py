"""The connection Secret the cluster receives, from a small program that gives PostgresServer a
namespace and a Kubernetes provider through `opts`, the way the App component will."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509

from offline.program import PROJECT_DIR, ProgramRun, run_program
from offline.wire import contains_secret

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

from components.config import load_stack_config
from components.network import Network, NetworkArgs
from components.postgres import PostgresServer, PostgresServerArgs

loaded = load_stack_config()
network = Network("network", NetworkArgs.from_config(loaded.config))
provider = k8s.Provider("k8s", kubeconfig="{}")
PostgresServer(
    "postgres",
    PostgresServerArgs.from_config(loaded.config, loaded.secrets, network, secret_namespace="app"),
    pulumi.ResourceOptions(providers={"kubernetes": provider}),
)
"""


def _run(tmp_path: Path, overrides: dict | None = None) -> ProgramRun:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    (tmp_path / "__main__.py").write_text(PROGRAM)
    return run_program("dev", project_dir=tmp_path, overrides=overrides)


def _secret(run: ProgramRun) -> tuple[dict, dict]:
    (secret,) = run.of_type("kubernetes:core/v1:Secret")
    return secret.plain_inputs, secret.inputs


def test_vm_secret_verifies_the_server_with_the_database_ca(tmp_path: Path) -> None:
    run = _run(tmp_path)
    plain, wire = _secret(run)
    assert plain["metadata"]["namespace"] == "app"
    assert "k8s" in run.by_name("postgres-connection").provider
    data = plain["stringData"]
    url = urlsplit(data["uri"])
    assert (url.hostname, url.port, url.path, url.username) == ("10.0.1.20", 5432, "/app", "app")
    assert parse_qs(url.query) == {"sslmode": ["verify-full"], "sslrootcert": ["/etc/postgres-ca/ca.crt"]}
    assert data["sslmode"] == "verify-full" and data["password"] == url.password
    ca = x509.load_pem_x509_certificate(data["ca.crt"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server_cert = run.by_name("postgres-server-cert").outputs["certPem"]
    x509.load_pem_x509_certificate(server_cert.encode()).verify_directly_issued_by(ca)
    assert contains_secret(wire["stringData"]), "the Secret's data must travel as a Pulumi secret"


def test_managed_secret_is_the_configured_url(tmp_path: Path) -> None:
    run = _run(tmp_path, {"postgres": {"mode": "managed"}})
    plain, wire = _secret(run)
    assert set(plain["stringData"]) == {"uri"}
    assert plain["stringData"]["uri"] == run.settings.config["platform:postgresManagedUrl"]
    assert contains_secret(wire["stringData"])
    assert not run.of_type("hcloud:index/server:Server") or all(
        s.name != "postgres-server" for s in run.of_type("hcloud:index/server:Server")
    )


@pytest.fixture(autouse=True)
def _program_imports_components(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PROJECT_DIR))
