"""The cluster's trust is real: checked with the keys and certificates the program would ship."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.k3s.trust import CA_FILES, TLS_DIR
from offline.program import ProgramRun

from .user_data import k3s_config, k3s_nodes, written_files


def _cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def _first_server_files(run: ProgramRun) -> dict[str, dict]:
    return written_files(run.by_name("k3s-cp-0"))


def _verify(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", CA_FILES)
def test_every_ca_is_a_ca_that_may_sign(prod_run: ProgramRun, name: str) -> None:
    files = _first_server_files(prod_run)
    cert = _cert(files[f"{TLS_DIR}/{name}.crt"]["content"])
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    key_entry = files[f"{TLS_DIR}/{name}.key"]
    assert key_entry["permissions"] == "0600"
    assert "PRIVATE KEY" in key_entry["content"]


def test_the_cas_are_distinct(prod_run: ProgramRun) -> None:
    files = _first_server_files(prod_run)
    fingerprints = {files[f"{TLS_DIR}/{n}.crt"]["content"] for n in CA_FILES}
    assert len(fingerprints) == len(CA_FILES)


def test_service_account_key_is_rsa(prod_run: ProgramRun) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = _first_server_files(prod_run)[f"{TLS_DIR}/service.key"]["content"]
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert isinstance(serialization.load_pem_private_key(pem.encode(), None), rsa.RSAPrivateKey)


def test_admin_certificate_is_a_system_masters_client_cert_from_client_ca(prod_run: ProgramRun) -> None:
    files = _first_server_files(prod_run)
    client_ca = _cert(files[f"{TLS_DIR}/client-ca.crt"]["content"])
    server_ca = _cert(files[f"{TLS_DIR}/server-ca.crt"]["content"])
    (admin,) = [
        r for r in prod_run.of_type("tls:index/locallySignedCert:LocallySignedCert") if r.name == "k3s-admin"
    ]
    cert = _cert(admin.outputs["certPem"])
    assert _verify(cert, client_ca)
    assert not _verify(cert, server_ca), "the admin cert must not verify against another CA"
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [
        "system:masters"
    ]
    assert (
        ExtendedKeyUsageOID.CLIENT_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)


def test_kubeconfig_pins_server_ca_and_carries_the_admin_cert(prod_run: ProgramRun) -> None:
    import base64

    import yaml

    kubeconfig = yaml.safe_load(prod_run.outputs["kubeconfig"]["value"])
    files = _first_server_files(prod_run)
    ca = base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    assert ca == files[f"{TLS_DIR}/server-ca.crt"]["content"]
    client = base64.b64decode(kubeconfig["users"][0]["user"]["client-certificate-data"]).decode()
    assert _verify(_cert(client), _cert(files[f"{TLS_DIR}/client-ca.crt"]["content"]))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == prod_run.outputs["apiEndpoint"]


def test_token_hash_is_sha256_of_the_exact_server_ca_bytes(prod_run: ProgramRun) -> None:
    ca_bytes = _first_server_files(prod_run)[f"{TLS_DIR}/server-ca.crt"]["content"].encode()
    expected = hashlib.sha256(ca_bytes).hexdigest()
    for server in k3s_nodes(prod_run):
        config = k3s_config(server)
        token = config["token"]
        assert token.startswith(f"K10{expected}::"), server.name
    servers = [s for s in k3s_nodes(prod_run) if "agent-token" in k3s_config(s)]
    agents = [s for s in k3s_nodes(prod_run) if "agent-token" not in k3s_config(s)]
    assert len(servers) == 3 and len(agents) == 2
    assert all(k3s_config(s)["token"].split("::")[1].startswith("server:") for s in servers)
    agent_secret = k3s_config(servers[0])["agent-token"]
    assert all(k3s_config(a)["token"] == f"K10{expected}::node:{agent_secret}" for a in agents)


def test_only_the_first_server_holds_ca_keys(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        keys = [p for p, f in written_files(server).items() if "PRIVATE KEY" in f["content"]]
        if server.name == "k3s-cp-0":
            assert len(keys) == len(CA_FILES) + 1  # five CA keys and service.key
        else:
            assert keys == [], f"{server.name} carries {keys}"
