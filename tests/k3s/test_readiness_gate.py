"""The readiness gate waits for a real mTLS /readyz and gives up, bounded, with a useful message."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.k3s.readiness import wait_until_ready
from offline import fake_tls


@dataclass
class Pki:
    server_ca: str
    server_cert: str
    server_key: str
    client_ca: str
    admin_cert: str
    admin_key: str


def _ca(name: str) -> tuple[str, str]:
    key = fake_tls.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})["privateKeyPem"]
    cert = fake_tls.self_signed_cert(
        {
            "privateKeyPem": key,
            "isCaCertificate": True,
            "validityPeriodHours": 1,
            "allowedUses": ["cert_signing", "digital_signature"],
            "subject": {"commonName": name},
        }
    )["certPem"]
    return cert, key


def _leaf(
    ca: tuple[str, str], subject: dict, uses: list[str], ips: list[str] | None = None
) -> tuple[str, str]:
    key = fake_tls.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})["privateKeyPem"]
    csr = fake_tls.cert_request({"privateKeyPem": key, "subject": subject, "ipAddresses": ips or []})
    cert = fake_tls.locally_signed_cert(
        {
            "certRequestPem": csr["certRequestPem"],
            "caCertPem": ca[0],
            "caPrivateKeyPem": ca[1],
            "validityPeriodHours": 1,
            "allowedUses": uses,
        }
    )["certPem"]
    return cert, key


@pytest.fixture(scope="module")
def pki() -> Pki:
    server_ca, client_ca = _ca("server-ca"), _ca("client-ca")
    server = _leaf(server_ca, {"commonName": "k3s"}, ["digital_signature", "server_auth"], ["127.0.0.1"])
    admin = _leaf(
        client_ca,
        {"commonName": "admin", "organization": "system:masters"},
        ["digital_signature", "client_auth"],
    )
    return Pki(server_ca[0], server[0], server[1], client_ca[0], admin[0], admin[1])


@dataclass
class FakeApi:
    endpoint: str
    requests: list[str]


def _serve(pki: Pki, tmp: Path, not_ready_answers: int) -> Iterator[FakeApi]:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path.startswith("/api/"):  # an empty cluster, for the teardown
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"items": []}')
                return
            ready = len(requests) > not_ready_answers
            body = b"ok" if ready else b"[-]etcd failed: not ready"
            self.send_response(200 if ready else 503)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    (tmp / "server.crt").write_text(pki.server_cert)
    (tmp / "server.key").write_text(pki.server_key)
    (tmp / "client-ca.crt").write_text(pki.client_ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.crt", tmp / "server.key")
    context.load_verify_locations(tmp / "client-ca.crt")
    context.verify_mode = ssl.CERT_REQUIRED
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeApi(f"https://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api_ready_after_three(pki: Pki, tmp_path: Path) -> Iterator[FakeApi]:
    yield from _serve(pki, tmp_path, not_ready_answers=3)


@pytest.fixture
def api_never_ready(pki: Pki, tmp_path: Path) -> Iterator[FakeApi]:
    yield from _serve(pki, tmp_path, not_ready_answers=10**6)


def test_gate_opens_once_readyz_says_ok(pki: Pki, api_ready_after_three: FakeApi) -> None:
    endpoint, attempts = wait_until_ready(
        [api_ready_after_three.endpoint],
        pki.server_ca,
        pki.admin_cert,
        pki.admin_key,
        30,
        interval_seconds=0.05,
    )
    assert (endpoint, attempts) == (api_ready_after_three.endpoint, 4)
    assert api_ready_after_three.requests == ["/readyz"] * 4


def test_gate_gives_up_with_the_last_answer(pki: Pki, api_never_ready: FakeApi) -> None:
    with pytest.raises(TimeoutError) as failure:
        wait_until_ready([api_never_ready.endpoint], pki.server_ca, pki.admin_cert, pki.admin_key, 0.3, 0.05)
    message = str(failure.value)
    assert "no Kubernetes API server was ready after" in message
    assert api_never_ready.endpoint in message
    assert "HTTP 503" in message and "etcd failed" in message
    assert "adminCidrs" in message


def test_gate_does_not_trust_a_server_outside_the_pinned_ca(pki: Pki, api_ready_after_three: FakeApi) -> None:
    other_ca, _ = _ca("impostor-ca")
    with pytest.raises(TimeoutError) as failure:
        wait_until_ready([api_ready_after_three.endpoint], other_ca, pki.admin_cert, pki.admin_key, 0.3, 0.05)
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.value)
    assert api_ready_after_three.requests == []


def test_gate_is_refused_without_a_client_cert_from_client_ca(
    pki: Pki, api_ready_after_three: FakeApi
) -> None:
    stranger_cert, stranger_key = _leaf(
        _ca("other-client-ca"), {"commonName": "x"}, ["digital_signature", "client_auth"]
    )
    with pytest.raises(TimeoutError):
        wait_until_ready(
            [api_ready_after_three.endpoint], pki.server_ca, stranger_cert, stranger_key, 0.3, 0.05
        )
    assert api_ready_after_three.requests == []


@pytest.fixture
def second_api_ready(pki: Pki, tmp_path: Path) -> Iterator[FakeApi]:
    yield from _serve(pki, tmp_path, not_ready_answers=0)


def test_gate_opens_through_any_healthy_server_when_server_0_refuses(
    pki: Pki, second_api_ready: FakeApi
) -> None:
    """Issue 13 item 8: two local test servers, the first refusing connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refusing = f"https://127.0.0.1:{sock.getsockname()[1]}"
    endpoint, attempts = wait_until_ready(
        [refusing, second_api_ready.endpoint], pki.server_ca, pki.admin_cert, pki.admin_key, 5, 0.05
    )
    assert (endpoint, attempts) == (second_api_ready.endpoint, 1)
    assert second_api_ready.requests == ["/readyz"]
