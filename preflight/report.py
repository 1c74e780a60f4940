"""The preflight's summary table: one row per finding, blockers with their fix."""

from __future__ import annotations

from .checks import Finding


def render_table(findings: list[Finding]) -> str:
    rows = [("check", "subject", "verdict", "detail")]
    for f in findings:
        detail = f"{f.detail}; fix: {f.fix}" if f.blocker else f.detail
        rows.append((f.check, f.subject, "BLOCKER" if f.blocker else "ok", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])
