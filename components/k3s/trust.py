"""Cluster trust made in Python before any server exists (ADR 0003, docs/adr/).

k3s skips generating its own CAs when the files below are in /var/lib/rancher/k3s/server/tls/ at
the first server's first start (k3s docs, "Using Custom CA Certificates"). Because the server CA
exists before the cluster, the full join token `K10<sha256 of server-ca.crt>::server:<secret>` is
known up front, so every node, the first one included, pins the CA when it joins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_tls as tls

CA_VALIDITY_HOURS = 10 * 365 * 24
"""k3s's own CAs last ten years; ours match."""

ADMIN_CERT_VALIDITY_HOURS = 365 * 24
ADMIN_CERT_EARLY_RENEWAL_HOURS = 60 * 24
"""The admin client certificate is re-issued by `pulumi up` once it is within 60 days of expiry."""

CA_FILES = (
    "server-ca",
    "client-ca",
    "request-header-ca",
    "etcd/peer-ca",
    "etcd/server-ca",
)
"""CA certificate/key pairs k3s expects, relative to the server tls directory."""

TLS_DIR = "/var/lib/rancher/k3s/server/tls"


@dataclass(frozen=True)
class CertificateAuthority:
    name: str
    key: tls.PrivateKey
    cert: tls.SelfSignedCert


def _certificate_authority(cluster: str, name: str, opts: pulumi.ResourceOptions) -> CertificateAuthority:
    resource_name = f"{cluster}-{name.replace('/', '-')}"
    key = tls.PrivateKey(resource_name, algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    cert = tls.SelfSignedCert(
        resource_name,
        private_key_pem=key.private_key_pem,
        is_ca_certificate=True,
        validity_period_hours=CA_VALIDITY_HOURS,
        allowed_uses=["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
        subject=tls.SelfSignedCertSubjectArgs(common_name=f"{cluster} {name}", organization="k3s"),
        set_subject_key_id=True,
        opts=opts,
    )
    return CertificateAuthority(name, key, cert)


def token_hash(server_ca_pem: str) -> str:
    """k3s's CA hash for a CA file holding exactly one certificate: sha256 of the file's bytes."""
    return hashlib.sha256(server_ca_pem.encode()).hexdigest()


class ClusterTrust:
    """CAs, the service-account signing key, join tokens and the admin client certificate."""

    def __init__(self, cluster: str, opts: pulumi.ResourceOptions) -> None:
        self.authorities = {name: _certificate_authority(cluster, name, opts) for name in CA_FILES}
        self.service_account_key = tls.PrivateKey(
            f"{cluster}-service-account", algorithm="RSA", rsa_bits=2048, opts=opts
        )
        self.server_secret = random.RandomPassword(
            f"{cluster}-server-token", length=48, special=False, opts=opts
        )
        self.agent_secret = random.RandomPassword(
            f"{cluster}-agent-token", length=48, special=False, opts=opts
        )
        self.server_ca_pem: pulumi.Output[str] = self.authorities["server-ca"].cert.cert_pem
        self.ca_hash: pulumi.Output[str] = self.server_ca_pem.apply(token_hash)
        self.server_token: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.format("K10{0}::server:{1}", self.ca_hash, self.server_secret.result)
        )
        self.agent_token: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.format("K10{0}::node:{1}", self.ca_hash, self.agent_secret.result)
        )
        self.admin_key = tls.PrivateKey(f"{cluster}-admin", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
        admin_request = tls.CertRequest(
            f"{cluster}-admin",
            private_key_pem=self.admin_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name="platform-admin", organization="system:masters"),
            opts=opts,
        )
        client_ca = self.authorities["client-ca"]
        self.admin_cert = tls.LocallySignedCert(
            f"{cluster}-admin",
            cert_request_pem=admin_request.cert_request_pem,
            ca_cert_pem=client_ca.cert.cert_pem,
            ca_private_key_pem=client_ca.key.private_key_pem,
            validity_period_hours=ADMIN_CERT_VALIDITY_HOURS,
            early_renewal_hours=ADMIN_CERT_EARLY_RENEWAL_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "client_auth"],
            opts=opts,
        )

    def bootstrap_files(self) -> list[tuple[str, pulumi.Output[str], str]]:
        """(path, content, mode) of every CA file the first server needs; keys are 0600."""
        files: list[tuple[str, pulumi.Output[str], str]] = []
        for name, authority in self.authorities.items():
            files.append((f"{TLS_DIR}/{name}.crt", authority.cert.cert_pem, "0644"))
            files.append((f"{TLS_DIR}/{name}.key", authority.key.private_key_pem, "0600"))
        files.append((f"{TLS_DIR}/service.key", self.service_account_key.private_key_pem, "0600"))
        return files
