"""Gate results, the context the gates measure through, and the registry of gates by phase."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.config import StackConfig
from preflight.hcloud_api import HcloudApi

from .kube import KubeClient
from .prometheus import PrometheusClient

RPO_SECONDS = 24 * 3600
RTO_SECONDS = 2 * 3600
"""The plan's recovery targets: "RPO <= 24h, RTO <= 2h" (seed plan, phase 0)."""


@dataclass(frozen=True)
class GateResult:
    gate: str
    measured: str
    target: str
    passed: bool
    hint: str = ""
    """How to read a failure: what to look at next."""


class NotMeasurableError(Exception):
    """A gate lacks what it needs to measure (an option, a reachable service); it fails with this reason."""


@dataclass
class Context:
    project: str
    stack: str
    outputs: dict[str, Any]
    settings_config: dict[str, str]
    """The stack's config as the engine hands it to a policy pack (`project:key` to string)."""
    config: StackConfig
    """The stack's settings: targets, and the phases switched on."""
    kube: KubeClient | None = None
    prometheus: PrometheusClient | None = None
    hcloud: HcloudApi | None = None
    app_url: str = ""
    s3_endpoint: str = ""
    seaweedfs_master: str = ""
    """HTTP address of the in-cluster store's SeaweedFS master, e.g. through a port-forward."""
    db_shell: list[str] = field(default_factory=list)
    """Command that runs one shell command line on the database server, e.g. ssh root@HOST."""
    db_scripts: str = "/usr/local/lib/platform-postgres"
    window: str = "14d"
    requests: int = 500
    concurrency: int = 10
    inside_admin_cidrs: bool | None = None
    progress: Callable[[str], None] = print

    def need_kube(self) -> KubeClient:
        if self.kube is None:
            raise NotMeasurableError("no Kubernetes API: pass --kubeconfig, or a stack output `kubeconfig`")
        return self.kube

    def need_prometheus(self) -> PrometheusClient:
        if self.prometheus is None:
            raise NotMeasurableError(
                "no Prometheus: pass --prometheus URL (or --kubeconfig to reach it in-cluster)"
            )
        return self.prometheus


Gate = Callable[[Context], list[GateResult]]


@dataclass(frozen=True)
class GateSpec:
    phase: str
    title: str
    measure: Gate
    applies: Callable[[StackConfig], bool]
    """Whether the stack has switched on what this gate checks (from its StackConfig)."""


@dataclass(frozen=True)
class PhaseResult:
    phase: str
    result: GateResult


def run_gate(spec: GateSpec, context: Context) -> list[PhaseResult]:
    """Measure one gate; anything that stops the measurement is a failed result saying why."""
    try:
        results = spec.measure(context)
    except NotMeasurableError as reason:
        results = [GateResult(spec.title, "not measured", "measured", False, str(reason))]
    except Exception as error:  # a gate that cannot measure fails; it never crashes the report
        results = [
            GateResult(spec.title, "not measured", "measured", False, f"{type(error).__name__}: {error}")
        ]
    return [PhaseResult(spec.phase, r) for r in results]
