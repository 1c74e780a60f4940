"""The cluster's trust is real: checked with the keys and certificates the program would ship."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.k3s.trust import CA_FILES, TLS_DIR, token_hash
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


def _tls(run: ProgramRun, typ: str, name: str) -> dict:
    (found,) = [r for r in run.of_type(f"tls:index/{typ}") if r.name == name]
    return found.plain_inputs


@pytest.mark.parametrize("name", CA_FILES)
def test_every_ca_is_a_ca_that_may_sign(prod_run: ProgramRun, name: str) -> None:
    """What reaches pulumi-tls (the real provider makes the certificate from these inputs)."""
    resource = f"k3s-{name.replace('/', '-')}"
    cert = _tls(prod_run, "selfSignedCert:SelfSignedCert", resource)
    assert cert["isCaCertificate"] is True
    assert {"cert_signing", "crl_signing", "digital_signature"} <= set(cert["allowedUses"])
    assert cert["validityPeriodHours"] >= 10 * 365 * 24, "k3s's own CAs last ten years"
    key = _tls(prod_run, "privateKey:PrivateKey", resource)
    assert (key["algorithm"], key["ecdsaCurve"]) == ("ECDSA", "P256")
    key_entry = _first_server_files(prod_run)[f"{TLS_DIR}/{name}.key"]
    assert key_entry["permissions"] == "0600"
    assert "PRIVATE KEY" in key_entry["content"]


def test_the_cas_are_distinct(prod_run: ProgramRun) -> None:
    files = _first_server_files(prod_run)
    fingerprints = {files[f"{TLS_DIR}/{n}.crt"]["content"] for n in CA_FILES}
    assert len(fingerprints) == len(CA_FILES)


def test_service_account_key_is_rsa(prod_run: ProgramRun) -> None:
    """kube-apiserver signs service-account tokens with RS256 by default: pulumi-tls is asked for RSA."""
    key = _tls(prod_run, "privateKey:PrivateKey", "k3s-service-account")
    assert key["algorithm"] == "RSA" and key["rsaBits"] >= 2048
    pem = _first_server_files(prod_run)[f"{TLS_DIR}/service.key"]["content"]
    assert "PRIVATE KEY" in pem


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


K3S_TOKEN_VECTOR = (
    Path(__file__).parent / "data" / "server-ca.crt",
    "d88790e0e1815d7ce944d63301edab43c1cfbc57a306b24d02f5360f0751496e",
)
"""A one-certificate CA file and the CA hash k3s puts in its K10 token for it, worked out independently
of the project's code: k3s's `hashCA` (pkg/clientaccess/token.go) hashes the literal bytes of a file
holding one certificate (and the DER of the root for a bundle); the digest is `sha256sum`'s."""


def test_token_hash_matches_the_k3s_vector() -> None:
    path, expected = K3S_TOKEN_VECTOR
    assert token_hash(path.read_text()) == expected


def _ca_hash_as_k3s_computes_it(pem: str, tmp_path: Path) -> str:
    """k3s's rule run with other tools: one certificate -> sha256sum of the file as written to disk."""
    certificates = pem.count("-----BEGIN CERTIFICATE-----")
    assert certificates == 1, "with a bundle k3s would hash the root's DER instead"
    ca_file = tmp_path / "server-ca.crt"
    ca_file.write_bytes(pem.encode())
    return subprocess.run(["sha256sum", str(ca_file)], capture_output=True, text=True, check=True).stdout[:64]


def test_every_join_token_pins_the_server_ca_written_to_disk(prod_run: ProgramRun, tmp_path: Path) -> None:
    pem = _first_server_files(prod_run)[f"{TLS_DIR}/server-ca.crt"]["content"]
    expected = _ca_hash_as_k3s_computes_it(pem, tmp_path)
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
