"""`--json FILE`: the figures CI compares between a pull request and main."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .preview import Preview


def totals(preview: Preview) -> dict[str, object]:
    cost = preview.cost
    policy = preview.policy
    return {
        "project": preview.project,
        "stack": preview.stack,
        "resources": len(preview.resources),
        "resourcesByType": dict(sorted(_count_types(preview).items())),
        "cost": {
            "currency": cost.prices.currency,
            "priceTable": cost.prices.table,
            "monthly": cost.total,
            "byKind": {kind: {"count": n, "monthly": m} for kind, (n, m) in sorted(cost.by_kind().items())},
            "baselineMonthly": round(cost.baseline.total, 2) if cost.baseline else None,
            "savingPercent": cost.saving_percent,
            "againstPlan": cost.against_plan,
        },
        "policy": None
        if policy is None
        else {
            "pack": policy.pack,
            "version": policy.version,
            "passed": policy.passed,
            "mandatory": len(policy.mandatory),
            "advisory": len(policy.violations) - len(policy.mandatory),
            "violations": [
                {"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message}
                for v in policy.violations
            ],
        },
        "standIns": sorted(preview.run.settings.stand_ins),
    }


def _count_types(preview: Preview) -> dict[str, int]:
    counts: dict[str, int] = {}
    for resource in preview.resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    return counts


def write_totals(preview: Preview, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(totals(preview), indent=2) + "\n")


def load_totals(path: Path) -> dict[str, Any]:
    """Totals written by an earlier `--json` (CI: the same stack on the main branch)."""
    try:
        data = json.loads(path.read_text())
        float(data["cost"]["monthly"])
        int(data["resources"])
    except FileNotFoundError:
        raise ValueError(f"totals file {path} does not exist") from None
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a totals file written by --json ({err})") from None
    return dict(data)


def change_line(preview: Preview, before: dict[str, Any]) -> str:
    """One line: how resources and monthly cost change against an earlier run."""
    cost_before, cost_now = float(before["cost"]["monthly"]), preview.cost.total
    delta = cost_now - cost_before
    percent = f" ({100 * delta / cost_before:+.1f} %)" if cost_before else ""
    resources = len(preview.resources) - int(before["resources"])
    return (
        f"against {before.get('stack', 'the base')} on the base branch: resources {resources:+d}, "
        f"cost {delta:+.2f} {preview.cost.prices.currency} per month{percent}"
    )
