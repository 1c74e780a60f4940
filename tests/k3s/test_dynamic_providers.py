"""Both dynamic providers, serialised as the SDK does (`serialize_provider`), run by the SDK's dynamic
provider plugin in a fresh interpreter started in an empty directory: the state alone must be enough
to refresh, update and destroy (issue 14 items 7 and 8), through any healthy server (issue 13 item 8).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.cluster_addons.teardown import _TeardownProvider
from components.k3s.readiness import _ReadinessProvider
from tests.k3s.test_readiness_gate import FakeApi, Pki, _serve, pki  # noqa: F401 (pki is a fixture)

URN = "urn:pulumi:dev::platform::pulumi-python:dynamic:Resource::gate"


class DynamicProviderPlugin:
    """`python -m pulumi.dynamic` (what the `pulumi-resource-pulumi-python` shim runs), started in an
    empty directory with no PYTHONPATH, and spoken to over gRPC the way the engine does."""

    def __init__(self, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.cwd = cwd

    def close(self) -> None:
        self.channel.close()
        self.process.kill()
        self.process.wait()


def _struct(props: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _plain(answer: Any) -> dict[str, Any]:
    props: dict[str, Any] = rpc.deserialize_properties(answer)
    props.pop("__provider", None)
    return props


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[DynamicProviderPlugin]:
    empty = tmp_path / "empty"
    empty.mkdir()
    started = DynamicProviderPlugin(empty)
    yield started
    started.close()


def _project_importable_from(cwd: Path) -> bool:
    check = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('components') else 1)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", check], cwd=cwd, env=env, check=False).returncode == 0


@pytest.fixture
def refusing_endpoint() -> str:
    """An address on loopback where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}"


@pytest.fixture
def api(pki: Pki, tmp_path: Path) -> Iterator[FakeApi]:  # noqa: F811 (the fixture above)
    yield from _serve(pki, tmp_path, not_ready_answers=0)


def _gate_inputs(pki: Pki, endpoints: list[str]) -> dict[str, Any]:  # noqa: F811
    return {
        "endpoints": endpoints,
        "ca_pem": pki.server_ca,
        "cert_pem": pki.admin_cert,
        "key_pem": pki.admin_key,
        "timeout_seconds": 20,
    }


def test_readiness_gate_loads_from_the_state_alone_and_opens_on_the_healthy_server(
    pki: Pki,  # noqa: F811
    api: FakeApi,
    refusing_endpoint: str,
    plugin: DynamicProviderPlugin,
) -> None:
    assert not _project_importable_from(plugin.cwd)
    provider = {"__provider": serialize_provider(_ReadinessProvider())}
    inputs = {**provider, **_gate_inputs(pki, [refusing_endpoint, api.endpoint])}
    renewed = {**inputs, "cert_pem": pki.admin_cert + "\n"}

    created = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=_struct(inputs)))
    outputs = {**provider, **_plain(created.properties)}
    assert outputs["endpoint"] == api.endpoint  # server 0 refuses, server 1 answers
    assert outputs["attempts"] == 1

    unchanged = plugin.stub.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=URN, olds=_struct(outputs), news=_struct(inputs))
    )
    assert unchanged.changes == provider_pb2.DiffResponse.DIFF_NONE
    changed = plugin.stub.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=URN, olds=_struct(outputs), news=_struct(renewed))
    )
    assert (changed.changes, list(changed.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, [])

    updated = _plain(
        plugin.stub.Update(
            provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=_struct(outputs), news=_struct(renewed))
        ).properties
    )
    assert (updated["endpoint"], updated["attempts"], updated["cert_pem"]) == (
        api.endpoint,
        1,
        renewed["cert_pem"],
    )

    stale = {**outputs, "endpoint": refusing_endpoint}
    refreshed = _plain(
        plugin.stub.Read(
            provider_pb2.ReadRequest(id=created.id, urn=URN, properties=_struct(stale))
        ).properties
    )
    assert refreshed["endpoint"] == api.endpoint  # a refresh moves the kubeconfig off the dead server
    assert api.requests == ["/readyz"] * 3


def test_teardown_loads_from_the_state_alone_and_works_through_the_healthy_server(
    pki: Pki,  # noqa: F811
    api: FakeApi,
    refusing_endpoint: str,
    plugin: DynamicProviderPlugin,
) -> None:
    """The fake answers every GET with "ok" and no items: nothing is left to remove, the delete succeeds."""
    provider = {"__provider": serialize_provider(_TeardownProvider())}
    inputs = {**provider, **_gate_inputs(pki, [refusing_endpoint, api.endpoint])}
    changed = plugin.stub.Diff(
        provider_pb2.DiffRequest(
            id="t", urn=URN, olds=_struct(inputs), news=_struct({**inputs, "cert_pem": "x"})
        )
    )
    assert (changed.changes, list(changed.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, [])
    plugin.stub.Delete(provider_pb2.DeleteRequest(id="t", urn=URN, properties=_struct(inputs)))
    assert api.requests[0] == "/readyz"
    assert "/api/v1/services" in api.requests


def test_teardown_names_every_server_it_tried(
    pki: Pki,  # noqa: F811
    refusing_endpoint: str,
    plugin: DynamicProviderPlugin,
) -> None:
    other = refusing_endpoint.replace("127.0.0.1", "127.0.0.2")
    inputs = {
        "__provider": serialize_provider(_TeardownProvider()),
        **_gate_inputs(pki, [refusing_endpoint, other]),
    }
    with pytest.raises(grpc.RpcError) as failure:
        plugin.stub.Delete(provider_pb2.DeleteRequest(id="t", urn=URN, properties=_struct(inputs)))
    details = failure.value.details()
    assert "no Kubernetes API server answers" in details
    assert refusing_endpoint in details and other in details
