"""The same report as a pull-request comment."""

from __future__ import annotations

import json

from .preview import STACK_TYPE, Preview


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(preview: Preview) -> str:
    verdict = "❌ policy violations" if preview.failed else "✅ passes"
    out = [f"#### :tropical_drink: offline `preview` on {preview.project}/{preview.stack}: {verdict}", ""]
    out.append(
        f"**{len(preview.resources)} to create** · **{preview.cost.total:.2f} {preview.cost.prices.currency}"
        " per month**" + _saving(preview)
    )
    if preview.change:
        out += ["", f"Change {preview.change}."]
    out += ["", "| component | type | count |", "|---|---|---:|"]
    for group in preview.groups():
        title = "(stack)" if group.type == STACK_TYPE else f"`{group.name}` ({group.type})"
        for index, (typ, count) in enumerate(group.counts):
            out.append(f"| {title if index == 0 else ''} | `{typ}` | {count} |")
    out += ["", "<details><summary>Outputs</summary>", "", "| output | value |", "|---|---|"]
    for key, value in preview.masked_outputs().items():
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        out.append(f"| `{key}` | {_cell(shown)} |")
    out += ["", "</details>", "", "##### Policies", ""]
    policy = preview.policy
    if policy is None:
        out.append(f"Not run: {preview.policy_skipped}")
    else:
        out.append(
            f"`{policy.pack}@v{policy.version}`: {len(policy.mandatory)} mandatory, "
            f"{len(policy.violations) - len(policy.mandatory)} advisory"
        )
        if policy.violations:
            out += ["", "| level | policy | resource | message |", "|---|---|---|---|"]
            for v in sorted(policy.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
                resource = f"`{v.resource_type}: {v.resource_name}`" if v.resource_type else ""
                out.append(f"| {v.level} | `{v.policy}` | {resource} | {_cell(v.message)} |")
        if policy.remediations:
            out += [
                "",
                "Remediated: "
                + ", ".join(
                    f"`{r.policy}` on `{r.resource_type}: {r.resource_name}`" for r in policy.remediations
                ),
            ]
    cost = preview.cost
    out += [
        "",
        "##### Cost",
        "",
        f"Prices: {cost.prices.label}.",
        "",
        "| item | kind | detail | monthly |",
        "|---|---|---|---:|",
    ]
    out.extend(f"| {i.what} | {i.kind} | {_cell(i.detail)} | {i.monthly:.2f} |" for i in cost.items)
    out.append(f"| **total** | | | **{cost.total:.2f}** |")
    if cost.baseline is not None:
        out += [
            "",
            f"Baseline ({cost.baseline.name}): {cost.baseline.total:.2f} {cost.baseline.currency} per month.",
        ]
    out.extend(f"- note: {w}" for w in cost.warnings)
    if preview.run.settings.stand_ins:
        out += [
            "",
            "Offline stand-ins for secrets: "
            + ", ".join(f"`{k}`" for k in sorted(preview.run.settings.stand_ins)),
        ]
    return "\n".join(out) + "\n"


def _saving(preview: Preview) -> str:
    saving = preview.cost.saving_percent
    if saving is None or preview.cost.baseline is None:
        return ""
    word = "saving" if saving >= 0 else "more than"
    return f" · {word} {abs(saving):.1f} % against {preview.cost.baseline.name} ({preview.cost.against_plan})"
