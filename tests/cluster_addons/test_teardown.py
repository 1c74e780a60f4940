"""`pulumi destroy` removes the cluster's own load balancers and volumes before the CCM, the CSI driver
and the servers go: asserted on the dependency graph, and the removal itself run against a fake API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from components.cluster_addons.teardown import KubeApi, remove_cloud_objects
from offline.program import ProgramRun

from ..graph import depends_on, destroyed_before, reachable

TEARDOWN = "k3s-cloud-objects-teardown"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_destroy_order_workloads_teardown_addons_servers(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = dev_run if stack == "dev" else prod_run
    # Every other component's Kubernetes objects use the `k3s-k8s` provider, so they go first.
    assert destroyed_before(run, "k3s-k8s", TEARDOWN)
    for addon in ("k3s-hcloud-ccm", "k3s-hcloud-csi", "k3s-hcloud", "k3s-suc", "k3s-kured"):
        assert destroyed_before(run, TEARDOWN, addon), addon
    k3s_servers = [s for s in run.of_type("hcloud:index/server:Server") if "K3sCluster$" in s.urn]
    assert k3s_servers
    for server in [s.name for s in k3s_servers]:
        assert destroyed_before(run, "k3s-hcloud-ccm", server), server
        assert destroyed_before(run, TEARDOWN, server), server


def test_the_order_check_fails_for_the_wrong_order(prod_run: ProgramRun) -> None:
    assert not destroyed_before(prod_run, TEARDOWN, "k3s-k8s")
    assert not destroyed_before(prod_run, "k3s-cp-0", "k3s-hcloud-ccm")


def test_add_ons_are_not_on_the_provider_other_components_use(prod_run: ProgramRun) -> None:
    public = prod_run.by_name("k3s-k8s").urn
    cluster_own = prod_run.by_name("k3s-k8s-addons").urn
    all_releases = prod_run.of_type("kubernetes:helm.sh/v3:Release")
    releases = [r for r in all_releases if r.provider.startswith(cluster_own + "::")]
    assert {r.name for r in releases} == {"k3s-hcloud-ccm", "k3s-hcloud-csi", "k3s-kured"}
    assert {r.parent.rsplit("::", 1)[0].rsplit("$", 1)[-1] for r in releases} == {
        "platform:index:ClusterAddons",
        "platform:index:Day2",
    }
    others = [r for r in all_releases if r not in releases]
    assert others and all(r.provider.startswith(public + "::") for r in others), "the rest use `provider`"
    graph = depends_on(prod_run)
    assert public not in reachable(graph, prod_run.by_name(TEARDOWN).urn)


def test_prod_protects_the_teardown_servers_and_addresses(prod_run: ProgramRun, dev_run: ProgramRun) -> None:
    protected = {r.name for r in prod_run.resources if r.protect}
    assert {TEARDOWN, "k3s-cp-0", "k3s-cp-1", "k3s-cp-2", "k3s-cp-0-ipv4", "k3s-api"} <= protected
    assert not {r.name for r in dev_run.resources if r.protect}


# -- the removal itself, against a fake Kubernetes API that behaves like the CCM and CSI driver --------


class FakeCluster:
    """Services and volumes; the 'CCM' removes a deleted LoadBalancer Service one call later, the 'CSI'
    removes a PersistentVolume once its claim is gone and its reclaim policy is Delete. The controllers
    act on every call, whatever it asks, so the fake does not follow the teardown's own call order."""

    def __init__(self, claim_in_use: bool = False) -> None:
        self.claim_in_use = claim_in_use
        self.calls: list[str] = []
        self.services = {
            "ingress/traefik": {"type": "LoadBalancer", "deleting": False},
            "default/web": {"type": "ClusterIP", "deleting": False},
        }
        self.volumes = {
            "pvc-1": {
                "driver": "csi.hetzner.cloud",
                "policy": "Retain",
                "claim": ("monitoring", "data-prom-0"),
            },
            "local-1": {"driver": "local.csi", "policy": "Retain", "claim": ("default", "scratch")},
        }
        self.claims = {("monitoring", "data-prom-0"), ("default", "scratch")}

    def step(self) -> None:
        for name in [n for n, s in self.services.items() if s["deleting"]]:
            del self.services[name]
        for name, volume in list(self.volumes.items()):
            claim_gone = volume["claim"] not in self.claims
            if claim_gone and volume["policy"] == "Delete" and volume["driver"] == "csi.hetzner.cloud":
                del self.volumes[name]

    def answer(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        self.calls.append(f"{method} {path}")
        self.step()
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/api/v1/services":
            items = []
            for key, s in self.services.items():
                namespace, name = key.split("/")
                meta: dict[str, Any] = {"namespace": namespace, "name": name}
                if s["deleting"]:
                    meta["deletionTimestamp"] = "2026-11-26T00:00:00Z"
                items.append({"metadata": meta, "spec": {"type": s["type"]}})
            return 200, {"items": items}
        if method == "GET" and path == "/api/v1/persistentvolumes":
            return 200, {
                "items": [
                    {
                        "metadata": {"name": name},
                        "spec": {
                            "csi": {"driver": v["driver"]},
                            "persistentVolumeReclaimPolicy": v["policy"],
                            "claimRef": {"namespace": v["claim"][0], "name": v["claim"][1]}
                            if v["claim"] in self.claims
                            else None,
                        },
                        "status": {"phase": "Bound" if v["claim"] in self.claims else "Released"},
                    }
                    for name, v in self.volumes.items()
                ]
            }
        if method == "DELETE" and parts[-2] == "services":
            self.services[f"{parts[3]}/{parts[5]}"]["deleting"] = True
            return 200, {}
        if method == "PATCH" and parts[-2] == "persistentvolumes":
            assert body == {"spec": {"persistentVolumeReclaimPolicy": "Delete"}}
            self.volumes[parts[-1]]["policy"] = "Delete"
            return 200, {}
        if method == "DELETE" and parts[-2] == "persistentvolumeclaims":
            if not self.claim_in_use:
                self.claims.discard((parts[3], parts[5]))
            return 200, {}
        return 404, {"message": f"unexpected {method} {path}"}


@pytest.fixture
def serve() -> Iterator[Any]:
    servers = []

    def start(cluster: FakeCluster) -> KubeApi:
        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, answer = cluster.answer(self.command, self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_DELETE = do_PATCH = _handle  # noqa: N815 (http.server's method names)

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return KubeApi(f"http://127.0.0.1:{server.server_port}", context=None)  # type: ignore[arg-type]

    yield start
    for server in servers:
        server.shutdown()


def test_teardown_removes_load_balancers_and_hetzner_volumes_only(serve: Any) -> None:
    cluster = FakeCluster()
    report = remove_cloud_objects(serve(cluster), timeout_seconds=30, interval_seconds=0.01)
    assert report.deleted_services == ["ingress/traefik"]
    assert report.released_volumes == ["pvc-1"], "a retained Hetzner volume is switched to Delete first"
    assert report.deleted_claims == ["monitoring/data-prom-0"]
    assert list(cluster.services) == ["default/web"], "ClusterIP services are left alone"
    assert list(cluster.volumes) == ["local-1"], "volumes of other drivers are left alone"
    patch = cluster.calls.index("PATCH /api/v1/persistentvolumes/pvc-1")
    claim = cluster.calls.index("DELETE /api/v1/namespaces/monitoring/persistentvolumeclaims/data-prom-0")
    assert patch < claim, "the reclaim policy changes before the claim goes, or the volume would be kept"


def test_teardown_gives_up_naming_what_is_left(serve: Any) -> None:
    cluster = FakeCluster(claim_in_use=True)
    with pytest.raises(TimeoutError) as failure:
        remove_cloud_objects(serve(cluster), timeout_seconds=0.2, interval_seconds=0.01)
    message = str(failure.value)
    assert "PersistentVolume pvc-1" in message
    assert "pulumi state delete" in message and "hcloud-leftovers" in message
