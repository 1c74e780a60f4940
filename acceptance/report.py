"""The acceptance report: a text table, or markdown for a pull request or an issue."""

from __future__ import annotations

from .gates import GateResult, PhaseResult


def _verdict(result: GateResult) -> str:
    return "pass" if result.passed else "FAIL"


def render_text(stack: str, measured: list[PhaseResult]) -> str:
    results = [m.result for m in measured]
    rows = [("phase", "gate", "measured", "target", "verdict")] + [
        (m.phase, m.result.gate, m.result.measured, m.result.target, _verdict(m.result)) for m in measured
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4] for row in rows
    ]
    out = [f"acceptance of {stack}", "", lines[0], "-" * len(lines[0]), *lines[1:], ""]
    out += [f"- {r.gate}: {r.hint}" for r in results if not r.passed and r.hint]
    out.append(_summary(results))
    return "\n".join(out) + "\n"


def render_markdown(stack: str, measured: list[PhaseResult]) -> str:
    results = [m.result for m in measured]
    out = [
        f"### Acceptance of `{stack}`",
        "",
        "| phase | gate | measured | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for m in measured:
        r = m.result
        cells = (m.phase, r.gate, r.measured, r.target, "✅ pass" if r.passed else "❌ FAIL")
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    failures = [r for r in results if not r.passed and r.hint]
    if failures:
        out += ["", "What to look at:", *[f"- **{r.gate}**: {r.hint}" for r in failures]]
    out += ["", _summary(results)]
    return "\n".join(out) + "\n"


def _summary(results: list[GateResult]) -> str:
    failed = sum(not r.passed for r in results)
    return f"{len(results) - failed} of {len(results)} gates pass" + (
        "" if failed else ": ready for the next phase"
    )
