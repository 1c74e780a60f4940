"""The program's admin kubeconfig and readiness gate against the real API server of its own CAs."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from offline import fake_tls

from .cluster import BUILD_SCRIPT, Binaries, ControlPlane


def test_readiness_gate_waited_for_readyz_and_returned(control_plane: ControlPlane) -> None:
    # The fixture started the API server and waited with the gate's real code and the gate's inputs.
    assert control_plane.readiness_attempts >= 1
    answer = control_plane.api.get("/readyz")
    assert (answer.status, answer.body) == (200, "ok")


def test_admin_kubeconfig_authenticates_as_the_admin(control_plane: ControlPlane) -> None:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    answer = control_plane.api.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review)
    assert answer.status == 201, answer.message
    user = answer.body["status"]["userInfo"]
    assert user["username"] == "platform-admin"
    assert "system:masters" in user["groups"]
    namespaces = control_plane.api.get("/api/v1/namespaces")
    assert namespaces.status == 200, namespaces.message


def _client_cert_of_another_ca() -> tuple[str, str]:
    ca_key = fake_tls.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})["privateKeyPem"]
    ca_cert = fake_tls.self_signed_cert(
        {
            "privateKeyPem": ca_key,
            "isCaCertificate": True,
            "validityPeriodHours": 1,
            "allowedUses": ["cert_signing", "digital_signature"],
            "subject": {"commonName": "another client CA"},
        }
    )["certPem"]
    key = fake_tls.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})["privateKeyPem"]
    request = fake_tls.cert_request(
        {"privateKeyPem": key, "subject": {"commonName": "platform-admin", "organization": "system:masters"}}
    )
    cert = fake_tls.locally_signed_cert(
        {
            "certRequestPem": request["certRequestPem"],
            "caCertPem": ca_cert,
            "caPrivateKeyPem": ca_key,
            "validityPeriodHours": 1,
            "allowedUses": ["digital_signature", "key_encipherment", "client_auth"],
        }
    )["certPem"]
    return cert, key


def test_client_certificate_from_another_ca_is_refused(control_plane: ControlPlane) -> None:
    cert, key = _client_cert_of_another_ca()
    intruder = replace(control_plane.kubeconfig, cert_pem=cert, key_pem=key).api()
    answer = intruder.get("/api/v1/namespaces")
    assert answer.status == 401, answer.message


def test_a_second_build_reuses_the_cached_programs(controlplane_binaries: Binaries) -> None:
    before = controlplane_binaries.kube_apiserver.stat()
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [
        str(controlplane_binaries.kube_apiserver),
        str(controlplane_binaries.etcd),
    ]
    after = controlplane_binaries.kube_apiserver.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
