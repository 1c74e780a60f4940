"""Which gate belongs to which phase of the plan, and when a stack has that phase switched on."""

from __future__ import annotations

from components.config import StackConfig

from . import cluster, database, jobs, live_policy, object_store, security, service
from .gates import GateSpec


def _always(_config: StackConfig) -> bool:
    return True


def _app(config: StackConfig) -> bool:
    return config.app is not None


def _cron_jobs(config: StackConfig) -> bool:
    return bool(config.workloads.cron_jobs)


def _object_store(config: StackConfig) -> bool:
    return config.object_store.enabled


def _in_cluster_store(config: StackConfig) -> bool:
    return config.object_store.mode == "in-cluster"


def _self_hosted_supabase(config: StackConfig) -> bool:
    return config.supabase.self_hosted


def _database_vm(config: StackConfig) -> bool:
    return config.postgres.mode == "vm"


GATES: tuple[GateSpec, ...] = (
    GateSpec("1", "every node Ready", cluster.nodes_ready, _always),
    GateSpec("1", "every PVC Bound", cluster.volumes_bound, _always),
    GateSpec("1", "every Certificate Ready", cluster.certificates_ready, _always),
    GateSpec("1", "no pod crash-looping", cluster.no_crash_loops, _always),
    GateSpec("1", "policy pack on the live objects", live_policy.policy_verdict, _always),
    GateSpec("1", "availability (SLO rules)", service.availability, _app),
    GateSpec("1", "p95 < 400 ms (SLO rules)", service.latency, _app),
    GateSpec("1", "load run", service.load_run, _app),
    GateSpec("1", "firewalls", security.firewall_rules, _always),
    GateSpec("1", "API closed from outside", security.api_closed_from_outside, _always),
    GateSpec("2", "cron jobs on time", jobs.cron_jobs_on_time, _cron_jobs),
    GateSpec("2", "job failure alerts", jobs.failure_alerts_loaded, _cron_jobs),
    GateSpec("3", "bucket versioning", object_store.bucket_versioning, _object_store),
    GateSpec("3", "copies per object", object_store.copies_per_object, _in_cluster_store),
    GateSpec("4", "backups fresh", database.backups_fresh, _database_vm),
    GateSpec("4", "restore drill", database.restore_drill, _database_vm),
    GateSpec(
        "5", "Studio closed or allow-listed", security.studio_closed_or_allow_listed, _self_hosted_supabase
    ),
)
"""In the order they run; phase numbers are the plan's (docs/acceptance.md)."""


def gates_for(config: StackConfig, phase: str | None, names: set[str] | None = None) -> list[GateSpec]:
    """The gates of the phases the stack has switched on, up to `phase` (all when None)."""
    return [
        g
        for g in GATES
        if g.applies(config)
        and (phase is None or int(g.phase) <= int(phase))
        and (names is None or g.title in names)
    ]
