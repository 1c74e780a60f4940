"""The same report as a pull-request comment."""

from __future__ import annotations

import json

from .preview import STACK_TYPE, Preview


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(preview: Preview) -> str:
    verdict = "❌ policy violations" if preview.failed else "✅ passes"
    command = "`preview --fresh` (as a new stack)" if preview.fresh else "`preview`"
    out = [f"#### :tropical_drink: offline {command} on {preview.project}/{preview.stack}: {verdict}", ""]
    if preview.fresh:
        out.append(f"**{len(preview.resources)} to create**; the resources and their cost are the ones above")
    else:
        monthly = f"{preview.cost.total:.2f} {preview.cost.prices.currency}"
        out.append(f"**{len(preview.resources)} to create** · **{monthly} per month**" + _saving(preview))
    if preview.change:
        out += ["", f"Change {preview.change}."]
    if not preview.fresh:  # a new stack's resources, outputs and cost are the known-values report's
        out += _resources_and_outputs(preview)
    out += ["", "##### Policies", ""]
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
    if preview.fresh:
        out += ["", "##### Checked only during `pulumi up`", ""]
        out.append(
            f"- {preview.unseen} Kubernetes resources reach the policy pack with no properties "
            "(the kubeconfig is unknown until the cluster exists)"
        )
        out.extend(f"- `{policy}`: {_cell(why)}" for policy, why in preview.only_during_up())
        return "\n".join(out) + "\n"
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


def _resources_and_outputs(preview: Preview) -> list[str]:
    out = ["", "| component | type | count |", "|---|---|---:|"]
    for group in preview.groups():
        title = "(stack)" if group.type == STACK_TYPE else f"`{group.name}` ({group.type})"
        for index, (typ, count) in enumerate(group.counts):
            out.append(f"| {title if index == 0 else ''} | `{typ}` | {count} |")
    out += ["", "<details><summary>Outputs</summary>", "", "| output | value |", "|---|---|"]
    for key, value in preview.masked_outputs().items():
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        out.append(f"| `{key}` | {_cell(shown)} |")
    out += ["", "</details>"]
    return out


def _saving(preview: Preview) -> str:
    saving = preview.cost.saving_percent
    if saving is None or preview.cost.baseline is None:
        return ""
    word = "saving" if saving >= 0 else "more than"
    return f" · {word} {abs(saving):.1f} % against {preview.cost.baseline.name} ({preview.cost.against_plan})"
