"""Clean teardown: before the CCM, the CSI driver and the servers go, delete what they made in Hetzner.

The cloud controller turns every Service of type LoadBalancer into a Hetzner load balancer, and the
CSI driver turns every PersistentVolume into a Hetzner volume. Pulumi knows neither, so a plain
`pulumi destroy` would delete the CCM and CSI first and leave both behind, billed (kube-hetzner #38,
#962; hetzner-k3s #278). `CloudObjectsTeardown` sits between the add-ons and everything else in the
cluster: it depends on the CCM and CSI releases, and the Kubernetes provider every other component
uses depends on it. So `pulumi destroy` removes the workloads first, then runs this resource's
delete (LoadBalancer Services and PVCs deleted, retained volumes switched to Delete, wait until the
CCM and CSI have removed them in Hetzner), and only then removes the add-ons and the servers.

It is given every server's API endpoint and works through the first that answers /readyz, so a
destroy with server 0 down still cleans up. The provider is stored in the state by value
(`components/k3s/by_value.py`), so `pulumi destroy` loads it without this project on sys.path.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from ..k3s.admin_api import AdminApi, AdminApiResource
from ..k3s.by_value import store_by_value
from ..k3s.readiness import client_context, first_ready

CSI_DRIVER = "csi.hetzner.cloud"


class KubeApi:
    """The few Kubernetes API calls the teardown needs, with the admin client certificate."""

    def __init__(self, endpoint: str, context: ssl.SSLContext) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.context = context

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if method == "PATCH":
            headers["Content-Type"] = "application/merge-patch+json"
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as answer:
                result: dict[str, Any] = json.loads(answer.read() or b"{}")
                return result
        except urllib.error.HTTPError as err:
            if err.code == 404 and method in ("DELETE", "PATCH"):
                return {}  # already gone
            raise

    def list(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._call("GET", path).get("items", [])
        return items

    def delete(self, path: str) -> None:
        self._call("DELETE", path)

    def patch(self, path: str, body: dict[str, Any]) -> None:
        self._call("PATCH", path, body)


def _path(item: dict[str, Any], collection: str) -> str:
    meta = item["metadata"]
    if "namespace" in meta:
        return f"/api/v1/namespaces/{meta['namespace']}/{collection}/{meta['name']}"
    return f"/api/v1/{collection}/{meta['name']}"


def _name(item: dict[str, Any]) -> str:
    meta = item["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if "namespace" in meta else meta["name"]


def load_balancer_services(api: KubeApi) -> list[dict[str, Any]]:
    return [s for s in api.list("/api/v1/services") if s.get("spec", {}).get("type") == "LoadBalancer"]


def hetzner_volumes(api: KubeApi) -> list[dict[str, Any]]:
    return [
        pv
        for pv in api.list("/api/v1/persistentvolumes")
        if pv.get("spec", {}).get("csi", {}).get("driver") == CSI_DRIVER
    ]


@dataclass
class TeardownReport:
    deleted_services: list[str] = field(default_factory=list)
    deleted_claims: list[str] = field(default_factory=list)
    released_volumes: list[str] = field(default_factory=list)
    rounds: int = 0


def remove_cloud_objects(
    api: KubeApi, timeout_seconds: float, interval_seconds: float = 5.0
) -> TeardownReport:
    """Delete LoadBalancer Services and claims on Hetzner volumes; wait until the CCM/CSI removed them.

    Raises TimeoutError naming what is left, and how to clean it up by hand.
    """
    report = TeardownReport()
    deadline = time.monotonic() + timeout_seconds
    while True:
        report.rounds += 1
        services = load_balancer_services(api)
        volumes = hetzner_volumes(api)
        if not services and not volumes:
            return report
        for service in services:
            if not service["metadata"].get("deletionTimestamp"):
                api.delete(_path(service, "services"))
                report.deleted_services.append(_name(service))
        for volume in volumes:
            if volume["spec"].get("persistentVolumeReclaimPolicy") != "Delete":
                api.patch(
                    _path(volume, "persistentvolumes"), {"spec": {"persistentVolumeReclaimPolicy": "Delete"}}
                )
                report.released_volumes.append(_name(volume))
            claim = volume["spec"].get("claimRef")
            if claim:
                claim_path = f"/api/v1/namespaces/{claim['namespace']}/persistentvolumeclaims/{claim['name']}"
                api.delete(claim_path)
                report.deleted_claims.append(f"{claim['namespace']}/{claim['name']}")
            elif volume.get("status", {}).get("phase") in ("Released", "Available", "Failed"):
                api.delete(_path(volume, "persistentvolumes"))
        if time.monotonic() + interval_seconds > deadline:
            left = [f"Service {_name(s)}" for s in services] + [
                f"PersistentVolume {_name(v)}" for v in volumes
            ]
            raise TimeoutError(
                f"after {timeout_seconds:.0f} s these still exist, so their Hetzner load balancers or "
                f"volumes may too: {', '.join(left)}. A pod may still use a volume, or the CCM/CSI may be "
                "down. Fix that and run `pulumi destroy` again, or remove this step with "
                "`pulumi state delete <urn of the cloud-objects teardown>` and clean Hetzner afterwards "
                "with scripts/hcloud-leftovers (docs/day2.md, Teardown)."
            )
        time.sleep(interval_seconds)


class _TeardownProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_="cloud-objects-teardown", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Never a replacement: replacing would run delete, and so remove the load balancers and
        # volumes of a cluster that stays. New inputs (a renewed admin certificate) are an update.
        changed = {k: v for k, v in news.items() if k != "__provider"} != {
            k: v for k, v in olds.items() if k != "__provider"
        }
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        context = client_context(props["ca_pem"], props["cert_pem"], props["key_pem"])
        endpoints = list(props["endpoints"])
        endpoint, answers = first_ready(endpoints, context)
        if not endpoint:
            tried = "; ".join(f"{e}: {answer}" for e, answer in answers.items())
            raise RuntimeError(
                f"no Kubernetes API server answers, so the load balancers and volumes the cluster made "
                f"cannot be removed before it goes ({tried}). If the cluster is already gone, run "
                "`pulumi state delete <urn of the cloud-objects teardown>`, then `pulumi destroy`, then "
                "scripts/hcloud-leftovers (docs/day2.md, Teardown)."
            )
        remove_cloud_objects(KubeApi(endpoint, context), float(props["timeout_seconds"]))


class CloudObjectsTeardown(AdminApiResource):
    """Does nothing on create; on delete removes CCM load balancers and CSI volumes (see module doc)."""

    def __init__(
        self, name: str, api: AdminApi, *, timeout_seconds: int, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(_TeardownProvider(), name, api, timeout_seconds=timeout_seconds, opts=opts)


store_by_value(globals())
