"""Every alert rule file a component keeps reaches Prometheus through the component itself
(`alert_rule_files`, handed to Observability by `__main__`), and only when that part runs."""

from __future__ import annotations

from pathlib import Path

from components.observability.rules import RULE_FILE_SUFFIX, rule_name
from offline.program import ProgramRun, run_program

COMPONENTS = Path(__file__).resolve().parent.parent / "components"


def _loaded_rules(run: ProgramRun) -> set[str]:
    rules = run.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    return {r.plain_inputs["metadata"]["name"] for r in rules if r.name.startswith("observability-rules-")}


def test_every_rule_file_in_components_is_loaded(dev_run: ProgramRun) -> None:
    on_disk = {rule_name(path) for path in COMPONENTS.glob(f"*/files/*{RULE_FILE_SUFFIX}")}
    assert {"platform", "slo", "postgres-backup", "cron-jobs"} <= on_disk
    assert _loaded_rules(dev_run) == on_disk


def test_a_managed_database_brings_no_backup_alerts() -> None:
    run = run_program("dev", overrides={"postgres.mode": "managed"})
    assert "postgres-backup" not in _loaded_rules(run)
    assert "platform" in _loaded_rules(run)
