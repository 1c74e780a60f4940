"""Prometheus rule files: plain `groups:` YAML that promtool checks, wrapped into PrometheusRule objects.

Any component can contribute alerts: put `<name>.rules.yaml` in its `files/` folder and expose
`alert_rule_files = rule_files_in(that folder)` (an `AlertRuleSource`); `__main__.py` hands the
components to `ObservabilityArgs.from_config(rules_from=...)`. tests/test_prometheus_rules.py checks
every such file with promtool and expects a promtool test (`*.rules.test.yaml`, anywhere under
components/ or tests/) for every alert in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import yaml

RULE_FILE_SUFFIX = ".rules.yaml"
FILES = Path(__file__).resolve().parent / "files"


class AlertRuleSource(Protocol):
    """A component (or component class, when its rules do not depend on an instance) that brings alerts."""

    @property
    def alert_rule_files(self) -> tuple[Path, ...]: ...


def rule_files_in(directory: Path) -> tuple[Path, ...]:
    """Every `*.rules.yaml` in `directory`, sorted so resource names stay stable."""
    return tuple(sorted(directory.glob(f"*{RULE_FILE_SUFFIX}")))


def rule_name(path: Path) -> str:
    """Kubernetes name for a rule file: `slo.rules.yaml` -> `slo`."""
    return path.name.removesuffix(RULE_FILE_SUFFIX).replace("_", "-").lower()


def load_rule_spec(path: Path) -> dict[str, Any]:
    """The PrometheusRule `spec` for a rule file.

    Two forms are accepted: a Prometheus rule file (top-level `groups:`, what promtool reads) or a
    whole PrometheusRule object (its `spec.groups` is used; its metadata is replaced by ours).
    """
    document = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    if isinstance(document, dict) and document.get("kind") == "PrometheusRule":
        document = document.get("spec")
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
        raise ValueError(
            f"{path} is not a Prometheus rule file: it needs a top-level `groups:` list "
            "(or be a PrometheusRule with spec.groups)"
        )
    return {"groups": document["groups"]}


def unique_names(paths: Iterable[Path]) -> dict[str, Path]:
    """Rule files by Kubernetes name; two files with one name would overwrite each other."""
    named: dict[str, Path] = {}
    for path in paths:
        name = rule_name(path)
        if name in named:
            raise ValueError(
                f"rule files {named[name]} and {path} both become PrometheusRule {name!r}; rename one"
            )
        named[name] = path
    return named
