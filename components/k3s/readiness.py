"""A readiness gate: a dynamic resource whose creation waits, bounded in time, for the API's /readyz.

It stands between the servers and the first Kubernetes object (ADR 0006), so `pulumi up`
reports "the API never became ready after N s" instead of a confusing Kubernetes provider error.

The gate is given every server's API endpoint and opens when any of them answers: a control plane
with server 0 down is still a healthy control plane. Its `endpoint` output is the server that
answered, and the kubeconfig is built from it, so the Kubernetes providers follow a healthy server.
A changed input (a renewed admin certificate, a new server) waits again (`update`); a refresh
(`read`) moves `endpoint` to a server that answers when the recorded one no longer does, and keeps
it when none answers (a refresh from outside `adminCidrs` changes nothing).

The provider is stored in the state by value (see `components/k3s/by_value.py`): `pulumi destroy`
and `pulumi refresh` load it without this project on sys.path.
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
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from .admin_api import INPUTS, AdminApi, AdminApiResource
from .by_value import store_by_value

# What the gate is asked to check are the admin API INPUTS; `endpoint` and `attempts` are what it found.


def client_context(ca_pem: str, cert_pem: str, key_pem: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_text(cert_pem)
        key_file.write_text(key_pem)
        key_file.chmod(0o600)
        context.load_cert_chain(cert_file, key_file)
    return context


def probe(endpoint: str, context: ssl.SSLContext, timeout: float = 10.0) -> str:
    """ "" when `<endpoint>/readyz` answers 200 "ok", otherwise what it answered."""
    try:
        with urllib.request.urlopen(f"{endpoint}/readyz", context=context, timeout=timeout) as answer:
            body = answer.read().decode(errors="replace").strip()
            return "" if answer.status == 200 and body == "ok" else f"HTTP {answer.status}: {body[:200]}"
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}: {err.read().decode(errors='replace')[:200]}"
    except (OSError, ssl.SSLError) as err:
        return f"{type(err).__name__}: {err}"


def first_ready(
    endpoints: list[str], context: ssl.SSLContext, timeout: float = 10.0
) -> tuple[str, dict[str, str]]:
    """One round over `endpoints` in order: the first that is ready ("" if none), and every answer."""
    answers: dict[str, str] = {}
    for endpoint in endpoints:
        answers[endpoint] = probe(endpoint, context, timeout)
        if not answers[endpoint]:
            return endpoint, answers
    return "", answers


def wait_until_ready(
    endpoints: list[str],
    ca_pem: str,
    cert_pem: str,
    key_pem: str,
    timeout_seconds: float,
    interval_seconds: float = 5.0,
) -> tuple[str, int]:
    """Poll every endpoint's /readyz until one answers 200 "ok"; returns it and the number of rounds.

    Raises TimeoutError naming each endpoint's last answer when the deadline passes.
    """
    if not endpoints:
        raise ValueError("the readiness gate needs at least one API endpoint")
    context = client_context(ca_pem, cert_pem, key_pem)
    deadline = time.monotonic() + timeout_seconds
    rounds = 0
    while True:
        rounds += 1
        ready, answers = first_ready(endpoints, context)
        if ready:
            return ready, rounds
        if time.monotonic() + interval_seconds > deadline:
            last = "; ".join(f"{endpoint}: {answer}" for endpoint, answer in answers.items())
            raise TimeoutError(
                f"no Kubernetes API server was ready after {timeout_seconds:.0f} s ({rounds} rounds; "
                f"last answers: {last}). Check that this machine's address is in adminCidrs and look at "
                "`journalctl -u k3s` on the servers."
            )
        time.sleep(interval_seconds)


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in INPUTS}


def _wait(props: dict[str, Any]) -> dict[str, Any]:
    endpoint, attempts = wait_until_ready(
        list(props["endpoints"]),
        props["ca_pem"],
        props["cert_pem"],
        props["key_pem"],
        float(props["timeout_seconds"]),
    )
    return {**_inputs(props), "endpoint": endpoint, "attempts": attempts}


class _ReadinessProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_="api-ready", outs=_wait(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Never a replacement: the gate has nothing to delete. Any changed input is an update, which
        # waits again; what the gate found (endpoint, attempts) is not an input.
        changed = [key for key in INPUTS if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_wait(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        endpoints = list(props.get("endpoints") or [])
        recorded = str(props.get("endpoint") or "")
        if not endpoints or not props.get("ca_pem"):
            return ReadResult(id_=id_, outs=props)
        context = client_context(props["ca_pem"], props["cert_pem"], props["key_pem"])
        if recorded in endpoints and not probe(recorded, context, timeout=5.0):
            return ReadResult(id_=id_, outs=props)
        ready, _answers = first_ready(endpoints, context, timeout=5.0)
        return ReadResult(id_=id_, outs={**props, "endpoint": ready} if ready else props)


class ApiReadiness(AdminApiResource):
    """Exists once one of the API servers answered /readyz with the admin client certificate;
    `endpoint` is the one that did."""

    endpoint: pulumi.Output[str]
    attempts: pulumi.Output[int]

    def __init__(
        self, name: str, api: AdminApi, *, timeout_seconds: int, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _ReadinessProvider(),
            name,
            api,
            timeout_seconds=timeout_seconds,
            outputs={"endpoint": None, "attempts": None},
            opts=opts,
        )


store_by_value(globals())
