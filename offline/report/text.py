"""The report as a terminal shows it, laid out like `pulumi preview`."""

from __future__ import annotations

import json
from pathlib import Path

from ..policy.verdict import PolicyReport
from .preview import STACK_TYPE, Artifact, Preview


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def policy_lines(policy: PolicyReport | None, skipped: str) -> list[str]:
    """The `Policies:` block of `pulumi preview --policy-pack`."""
    if policy is None:
        return ["Policies:", f"    (not run: {skipped})"]
    mark = "✅" if policy.passed and not policy.violations else ("⚠️" if policy.passed else "❌")
    lines = ["Policies:", f"    {mark} {policy.pack}@v{policy.version} (local: {policy.directory})"]
    for v in sorted(policy.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
        where = f"  ({v.resource_type}: {v.resource_name})" if v.resource_type else ""
        lines.append(f"        - [{v.level}]  {v.policy}{where}")
        lines.extend(f"          {line}" for line in v.message.splitlines())
    for r in policy.remediations:
        lines.append(f"        - [remediate]  {r.policy}  ({r.resource_type}: {r.resource_name})")
    return lines


def render_text(preview: Preview) -> str:
    mode = " as a new stack (--fresh: provider-computed values unknown)" if preview.fresh else ""
    out = [
        f"Previewing update ({preview.stack}) offline{mode}: the real program under mocks, "
        "nothing is created",
        "",
    ]
    out.append("Resources by component:")
    groups = preview.groups()
    width = max((len(t) for g in groups for t, _ in g.counts), default=0)
    for group in groups:
        title = "(stack)" if group.type == STACK_TYPE else f"{group.type}  {group.name}"
        out.append(f"    + {title}  ({group.total})")
        out.extend(f"        {t:<{width}}  {n:>4}" for t, n in group.counts)
    out += ["", "Outputs:"]
    outputs = preview.masked_outputs()
    width = max((len(k) for k in outputs), default=0)
    out.extend(f"    {k:<{width}}: {_value(v)}" for k, v in outputs.items())
    out += ["", "Resources:", f"    + {len(preview.resources)} to create", ""]
    out += policy_lines(preview.policy, preview.policy_skipped)
    if preview.fresh:
        out += ["", *only_during_up_lines(preview)]
    out += ["", *cost_lines(preview)]
    if preview.change:
        out.append(f"    change {preview.change}")
    if preview.run.settings.stand_ins:
        out += ["", "Stand-ins (offline only; set the real values with `pulumi config set --secret`):"]
        out.extend(f"    {key}: {why}" for key, why in sorted(preview.run.settings.stand_ins.items()))
    if preview.artifacts:
        out += ["", "Artifacts:", *artifact_lines(preview.artifacts)]
    out += ["", f"Duration: {preview.seconds:.1f}s"]
    return "\n".join(out) + "\n"


def only_during_up_lines(preview: Preview) -> list[str]:
    """What a new stack's preview cannot check: the engine checks it during `pulumi up`."""
    out = [
        "Checked only during `pulumi up` (a new stack's preview cannot see it):",
        f"    {preview.unseen} Kubernetes resources reach the policy pack with no properties "
        "(the kubeconfig is unknown until the cluster exists)",
    ]
    out.extend(f"    {policy}: {why}" for policy, why in preview.only_during_up())
    return out


def cost_lines(preview: Preview) -> list[str]:
    cost = preview.cost
    currency = cost.prices.currency
    out = [f"Cost ({currency} per month, VAT excluded; prices {cost.prices.label}):"]
    width = max((len(i.what) for i in cost.items), default=10)
    for item in cost.items:
        out.append(f"    {item.what:<{width}}  {item.kind:<14} {item.monthly:>9.2f}  {item.detail}")
    out.append(f"    {'total':<{width}}  {'':<14} {cost.total:>9.2f}")
    if cost.baseline is not None:
        out.append(f"    {cost.baseline.name}: {cost.baseline.total:.2f} {cost.baseline.currency} per month")
        for managed in cost.baseline.items:
            out.append(f"        {managed.name}: {cost.baseline.monthly(managed):.2f}")
        if cost.saving_percent is not None:
            word = "saving" if cost.saving_percent >= 0 else "extra cost"
            against = f"{abs(cost.saving_percent):.1f} % against {cost.baseline.name}"
            out.append(f"    {word}: {against} ({cost.against_plan})")
    out.extend(f"    note: {w}" for w in cost.warnings)
    return out


def artifact_lines(artifacts: list[Artifact]) -> list[str]:
    """Secret files one by one (each must be handled with care); folders of many plain files as one line."""
    per_folder: dict[Path, list[Artifact]] = {}
    for artifact in artifacts:
        per_folder.setdefault(artifact.path.parent, []).append(artifact)
    lines = []
    for folder, members in per_folder.items():
        plain = [a for a in members if not a.secret]
        if len(plain) > 3:
            lines.append(f"    {folder}/  {len(plain)} files: {plain[0].kind}")
        else:
            lines.extend(f"    {a.path}  {a.what}" for a in plain)
        lines.extend(f"    {a.path}  {a.what}  [secret: contains credentials]" for a in members if a.secret)
    return lines
