"""Every pin in components/versions.py names a release whose upstream data is vendored, so a bump that
comes without its data (values, schema, CRDs, flags) fails here instead of going unchecked."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components import versions
from tests.contracts.charts import chart_dir
from tests.upstream_data import UpstreamDataError, upstream_dir, upstream_file

CHART_PINS = {
    "HCLOUD_CCM_CHART_VERSION": "hcloud-cloud-controller-manager",
    "HCLOUD_CSI_CHART_VERSION": "hcloud-csi",
    "SEAWEEDFS_CHART_VERSION": "seaweedfs",
    "TRAEFIK_CHART_VERSION": "traefik",
    "CERT_MANAGER_CHART_VERSION": "cert-manager",
    "KUBE_PROMETHEUS_STACK_CHART_VERSION": "kube-prometheus-stack",
    "LOKI_CHART_VERSION": "loki",
    "ALLOY_CHART_VERSION": "alloy",
    "KURED_CHART_VERSION": "kured",
    "CLUSTER_AUTOSCALER_CHART_VERSION": "cluster-autoscaler",
}
"""versions.py constant -> chart name."""

UNVERSIONED_CHART_YAML = {
    "cert-manager": "the chart in git carries a placeholder version; its release tool sets it at packaging",
}


def _pins() -> dict[str, Any]:
    return {name: getattr(versions, name) for name in dir(versions) if name.isupper()}


def _chart_version(chart: str, version: str) -> str | None:
    folder = chart_dir(chart, version)
    if chart in UNVERSIONED_CHART_YAML:
        return None
    meta = yaml.safe_load(upstream_file(f"{folder}/Chart.yaml").read_text())
    return str(meta["version"])


def _bundled_traefik(k3s_version: str) -> str:
    """The Traefik chart the k3s release installs, from its own manifests/traefik.yaml."""
    manifest = upstream_file(f"k3s/{k3s_version}/upstream-files/manifests/traefik.yaml")
    for doc in yaml.safe_load_all(manifest.read_text()):
        if doc and doc["kind"] == "HelmChart" and doc["metadata"]["name"] == "traefik":
            (found,) = re.findall(r"/traefik-([^/]+)\.tgz$", doc["spec"]["chart"])
            return str(found)
    raise AssertionError(f"no traefik HelmChart in {manifest}")


def pin_problems(pins: dict[str, Any]) -> list[str]:
    """What is wrong with a set of pins (the names and values of versions.py)."""
    problems = []
    for name in sorted(n for n in pins if n.endswith("_CHART_VERSION")):
        if name not in CHART_PINS:
            problems.append(f"{name}: unknown chart pin; add it to CHART_PINS with its chart name")
    for name, chart in CHART_PINS.items():
        version = pins[name]
        try:
            found = _chart_version(chart, version)
        except UpstreamDataError as err:
            problems.append(f"{name}={version}: {err}")
            continue
        base = version.split("+up", 1)[-1]
        if found is not None and found not in (version, base):
            problems.append(f"{name}={version}: vendored Chart.yaml says {found}")
    k3s = pins["K3S_VERSION"]
    if not (upstream_dir() / "k3s" / k3s / "server-flags.txt").is_file():
        problems.append(f"K3S_VERSION={k3s}: no vendored k3s/{k3s}/ (flags, bundled components)")
    else:
        bundled = _bundled_traefik(k3s)
        if pins["TRAEFIK_CHART_VERSION"] != bundled:
            problems.append(
                f"TRAEFIK_CHART_VERSION={pins['TRAEFIK_CHART_VERSION']} but k3s {k3s} bundles {bundled}"
            )
    if pins["KUBERNETES_MINOR"] != ".".join(k3s.removeprefix("v").split(".")[:2]):
        problems.append(f"KUBERNETES_MINOR={pins['KUBERNETES_MINOR']} is not the minor of {k3s}")
    kured = yaml.safe_load(
        upstream_file(f"{chart_dir('kured', pins['KURED_CHART_VERSION'])}/Chart.yaml").read_text()
    )
    if pins["KURED_IMAGE_TAG"] != kured["appVersion"]:
        problems.append(f"KURED_IMAGE_TAG={pins['KURED_IMAGE_TAG']}, chart appVersion {kured['appVersion']}")
    suc = pins["SYSTEM_UPGRADE_CONTROLLER_IMAGE"].rsplit(":", 1)[1]
    if not (upstream_dir() / "system-upgrade-controller" / suc).is_dir():
        problems.append(f"SYSTEM_UPGRADE_CONTROLLER_IMAGE: no vendored system-upgrade-controller/{suc}/")
    return problems


def test_every_pin_has_its_vendored_upstream_data() -> None:
    assert pin_problems(_pins()) == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LOKI_CHART_VERSION", "18.12.0", "no vendored data"),
        ("K3S_VERSION", "v1.34.11+k3s1", "no vendored k3s/v1.34.11+k3s1/"),
        ("K3S_VERSION", "v1.34.1+k3s1", "but k3s v1.34.1+k3s1 bundles 34.2.1+up34.2.0"),
        ("TRAEFIK_CHART_VERSION", "37.1.1+up37.1.0", "but k3s v1.34.10+k3s1 bundles 40.1.4+up40.1.0"),
        ("KURED_IMAGE_TAG", "1.22.0", "chart appVersion 1.23.0"),
        ("GRAFANA_CHART_VERSION", "12.11.1", "unknown chart pin"),
    ],
)
def test_a_pin_without_its_data_or_out_of_step_fails(name: str, value: str, expected: str) -> None:
    pins = {**_pins(), name: value}
    if name == "K3S_VERSION":
        pins["KUBERNETES_MINOR"] = "1.34"
    assert any(expected in problem for problem in pin_problems(pins)), pin_problems(pins)
