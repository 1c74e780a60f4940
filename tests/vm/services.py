"""Services the tests run on the host's loopback for the guest: an apt mirror, HTTPS downloads, S3.

Each listens on 127.0.0.1 only, on a port the OS picks; the guest reaches it through a `guestfwd` rule
(machine.py). Every request is recorded, so a test can say what the guest fetched.
"""

from __future__ import annotations

import ctypes
import datetime
import http.server
import ipaddress
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]


_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the test process dies, even killed. Only one system
    call between fork and exec (libc loaded beforehand), so safe beside the servers' threads."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServicesCa:
    """A CA made for one test session; the guest trusts it (environment.py), nothing else does."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vm test services CA")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, names: list[str], folder: Path) -> tuple[Path, Path]:
        """A server certificate for `names`; returns (cert file, key file)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        cert_file, key_file = folder / f"{names[0]}.crt", folder / f"{names[0]}.key"
        pem = serialization.Encoding.PEM
        cert_file.write_bytes(cert.public_bytes(pem) + self.cert.public_bytes(pem))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_file, key_file


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: FileServer

    def do_GET(self) -> None:
        self.server.requests.append((self.headers.get("Host", ""), self.path))
        content = self.server.routes.get(self.path)
        if content is None and self.server.fallback is not None:
            try:
                data: bytes | None = self.server.fallback(self.path)
            except KeyError:
                data = None
        else:
            data = content() if content is not None else None
        if data is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.server.folder is None:
            self.send_error(404)
            return
        super().do_GET()

    def translate_path(self, path: str) -> str:
        assert self.server.folder is not None
        relative = urllib.parse.unquote(path.split("?", 1)[0]).lstrip("/")
        target = (self.server.folder / relative).resolve()
        if not target.is_relative_to(self.server.folder.resolve()):
            return str(self.server.folder / "-missing-")
        return str(target)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FileServer(http.server.ThreadingHTTPServer):
    """Serves a folder and/or fixed routes over HTTP, or HTTPS when given a certificate."""

    daemon_threads = True

    def __init__(
        self,
        folder: Path | None = None,
        routes: dict[str, Callable[[], bytes]] | None = None,
        tls: tuple[Path, Path] | None = None,
        fallback: Callable[[str], bytes] | None = None,
    ) -> None:
        """`fallback(path)` answers paths that are neither routes nor files (KeyError: 404)."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.folder = folder
        self.routes = routes or {}
        self.fallback = fallback
        self.requests: list[tuple[str, str]] = []
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*map(str, tls))
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class MotoS3:
    """moto's S3 server over HTTPS on the host's loopback (the off-site repository of pgBackRest)."""

    def __init__(self, tls: tuple[Path, Path], log: Path) -> None:
        self.port = free_port()
        moto = Path(sys.executable).with_name("moto_server")
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port), "-c", str(tls[0]), "-k", str(tls[1])],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 (see die_with_parent)
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start: {log.read_text()}") from None
                time.sleep(0.3)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._log.close()
