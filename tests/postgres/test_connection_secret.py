"""The connection Secret the app really receives: `app-postgres-connection`, built by the App from the
database component's `connection_data`, in both stacks and in managed mode."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509

from components.app.component import DATABASE_SECRET, NAMESPACE
from offline.program import ProgramRun, run_program
from offline.wire import MASK, mask


def _every_value_secret(string_data: dict) -> bool:
    return set(mask(string_data, keep_shape=True).values()) == {MASK}


def _secret(run: ProgramRun) -> tuple[dict, dict]:
    secret = run.by_name("app-postgres-connection")
    return secret.plain_inputs, secret.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_vm_secret_verifies_the_server_with_the_database_ca(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = dev_run if stack == "dev" else prod_run
    plain, wire = _secret(run)
    assert (plain["metadata"]["name"], plain["metadata"]["namespace"]) == (DATABASE_SECRET, NAMESPACE)
    data = plain["stringData"]
    url = urlsplit(data["uri"])
    assert (url.hostname, url.port, url.path, url.username) == ("10.0.1.20", 5432, "/app", "app")
    assert parse_qs(url.query) == {"sslmode": ["verify-full"], "sslrootcert": ["/etc/postgres-ca/ca.crt"]}
    assert data["sslmode"] == "verify-full" and data["password"] == url.password
    ca = x509.load_pem_x509_certificate(data["ca.crt"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server_cert = run.by_name("postgres-server-cert").outputs["certPem"]
    x509.load_pem_x509_certificate(server_cert.encode()).verify_directly_issued_by(ca)
    assert _every_value_secret(wire["stringData"]), "every key of the Secret travels as a Pulumi secret"


def test_managed_secret_is_the_configured_url() -> None:
    run = run_program("dev", overrides={"postgres": {"mode": "managed"}})
    plain, wire = _secret(run)
    assert set(plain["stringData"]) == {"uri"}
    assert plain["stringData"]["uri"] == run.settings.config["platform:postgresManagedUrl"]
    assert _every_value_secret(wire["stringData"])
    assert not [s for s in run.of_type("hcloud:index/server:Server") if s.name == "postgres-server"]
