"""A readiness gate: a dynamic resource whose creation waits, bounded in time, for the API's /readyz.

It stands between the servers and the first Kubernetes object (DESIGN decision 4), so `pulumi up`
reports "the API never became ready after N s" instead of a confusing Kubernetes provider error.
"""

from __future__ import annotations

import ssl
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


def client_context(ca_pem: str, cert_pem: str, key_pem: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_text(cert_pem)
        key_file.write_text(key_pem)
        key_file.chmod(0o600)
        context.load_cert_chain(cert_file, key_file)
    return context


def wait_until_ready(
    endpoint: str,
    ca_pem: str,
    cert_pem: str,
    key_pem: str,
    timeout_seconds: float,
    interval_seconds: float = 5.0,
) -> int:
    """Poll `<endpoint>/readyz` until it answers 200 "ok"; returns the number of attempts.

    Raises TimeoutError naming the last answer when the deadline passes.
    """
    context = client_context(ca_pem, cert_pem, key_pem)
    deadline = time.monotonic() + timeout_seconds
    attempts = 0
    last = "no answer yet"
    while True:
        attempts += 1
        try:
            with urllib.request.urlopen(f"{endpoint}/readyz", context=context, timeout=10) as answer:
                body = answer.read().decode(errors="replace").strip()
                if answer.status == 200 and body == "ok":
                    return attempts
                last = f"HTTP {answer.status}: {body[:200]}"
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code}: {err.read().decode(errors='replace')[:200]}"
        except (OSError, ssl.SSLError) as err:
            last = f"{type(err).__name__}: {err}"
        if time.monotonic() + interval_seconds > deadline:
            raise TimeoutError(
                f"the Kubernetes API at {endpoint} was not ready after {timeout_seconds:.0f} s "
                f"({attempts} attempts; last answer: {last}). Check that this machine's address is in "
                "adminCidrs and look at `journalctl -u k3s` on the first server."
            )
        time.sleep(interval_seconds)


class _ReadinessProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        attempts = wait_until_ready(
            props["endpoint"],
            props["ca_pem"],
            props["cert_pem"],
            props["key_pem"],
            float(props["timeout_seconds"]),
        )
        return CreateResult(id_=f"ready-{props['endpoint']}", outs={**props, "attempts": attempts})


class ApiReadiness(Resource):
    """Exists once the API server at `endpoint` answered /readyz with the admin client certificate."""

    endpoint: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        ca_pem: pulumi.Input[str],
        cert_pem: pulumi.Input[str],
        key_pem: pulumi.Input[str],
        timeout_seconds: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _ReadinessProvider(),
            name,
            {
                "endpoint": endpoint,
                "ca_pem": ca_pem,
                "cert_pem": cert_pem,
                "key_pem": pulumi.Output.secret(key_pem),
                "timeout_seconds": timeout_seconds,
                "attempts": None,
            },
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["key_pem"])),
        )
