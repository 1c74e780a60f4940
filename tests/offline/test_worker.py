"""The preview's worker (offline/worker.py): the pulumi-tls stand-ins and the policy gate run in a second
interpreter, with the same answers as in this one, and the preview's own interpreter never loads
cryptography, jsonschema or the gate."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from offline.program import PROJECT_DIR
from offline.worker import Worker, WorkerError

CA_INPUTS = {
    "privateKeyPem": "",
    "subject": {"commonName": "k3s-server-ca"},
    "isCaCertificate": True,
    "validityPeriodHours": 24,
    "allowedUses": ["cert_signing", "key_encipherment", "digital_signature"],
}


def _waiting(worker: Worker, bits: int) -> int:
    waiting: int = worker.call("tls.rsa_keys_waiting", bits)
    return waiting


def test_the_worker_makes_the_programs_rsa_key_ahead_and_hands_it_out() -> None:
    with Worker((2048,)) as worker:
        deadline = time.monotonic() + 60
        while _waiting(worker, 2048) != 1:  # promised at start, then made on the worker's thread
            assert time.monotonic() < deadline
            time.sleep(0.01)
        key = worker.tls("private_key", {"algorithm": "RSA", "rsaBits": 2048})
        assert _waiting(worker, 2048) == 0  # taken
    loaded = serialization.load_pem_private_key(key["privateKeyPem"].encode(), password=None)
    assert loaded.key_size == 2048  # type: ignore[union-attr]
    assert key["privateKeyPem"].startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_certificates_made_by_the_worker_are_real() -> None:
    with Worker() as worker:
        key = worker.tls("private_key", {"algorithm": "ECDSA", "ecdsaCurve": "P256"})
        cert = worker.tls("self_signed_cert", {**CA_INPUTS, "privateKeyPem": key["privateKeyPem"]})
    parsed = x509.load_pem_x509_certificate(cert["certPem"].encode())
    assert parsed.subject.rfc4514_string() == "CN=k3s-server-ca"
    assert parsed.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_a_bad_input_raises_the_stand_ins_own_error_here() -> None:
    with Worker() as worker, pytest.raises(ValueError, match="unsupported algorithm 'DSA'"):
        worker.tls("private_key", {"algorithm": "DSA"})


def test_a_worker_that_died_is_reported() -> None:
    with Worker() as worker:
        worker._process.kill()
        worker._process.wait()
        with pytest.raises(WorkerError, match=r"the preview's worker \(offline/worker.py\) exited \(-9\)"):
            worker.call("tls.rsa_keys_waiting", 2048)


def test_the_previews_own_interpreter_never_loads_cryptography_jsonschema_or_the_gate() -> None:
    """What the worker is for: those libraries, and the gate's conversation with the pack, stay in its
    interpreter."""
    probe = (
        "import sys, offline.cli\n"
        "code = offline.cli.main(['preview', 'prod'])\n"
        "loaded = [m in sys.modules for m in ('cryptography', 'jsonschema', 'offline.policy.gate')]\n"
        "print(code, *loaded, file=sys.stderr)\n"
    )
    command = [sys.executable, "-c", probe]
    run = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False)
    assert run.stderr.strip().splitlines()[-1] == "0 False False False", run.stderr[-2000:]
    assert "Policies:\n    ⚠️ platform-security@" in run.stdout  # the pack's config was checked and it ran
