"""`--json FILE`: the figures CI compares between a pull request and main."""

from __future__ import annotations

import json
from pathlib import Path

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
