"""Wall time of `python -m offline preview` as a user runs it, and time per resource as the stack grows.

Each case is a fresh process (interpreter start, imports, the program under mocks, cost, report and
the `--out` artifacts), repeated and reported as the median. Ratios are against dev measured in the
same run, so the figures compare across machines. Run: `python -m benchmarks.preview [--repeat N]
[--policy-pack DIR]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CASES: list[tuple[str, str, list[str]]] = [
    ("dev", "dev", []),
    ("prod", "prod", []),
    *[(f"prod, {n} agents", "prod", ["--set", f"cluster.agentPools[0].count={n}"]) for n in (10, 50, 100)],
]


@dataclass(frozen=True)
class Measurement:
    case: str
    resources: int
    seconds: float
    """Median wall time."""
    cpu_seconds: float
    """Median user+system CPU time of the preview process: steadier than wall time on a shared machine."""

    @property
    def per_resource_ms(self) -> float:
        return 1000 * self.seconds / self.resources


def measure(case: str, stack: str, extra: list[str], repeat: int, policy: list[str]) -> Measurement:
    times, cpu_times, resources = [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            totals = Path(tmp) / "totals.json"
            command = [
                sys.executable,
                "-m",
                "offline",
                "preview",
                stack,
                "--out",
                str(Path(tmp) / "out"),
                "--json",
                str(totals),
                *policy,
                *extra,
            ]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if result.returncode not in (0, 1):  # 1 is a policy verdict, still a complete preview
                raise SystemExit(f"{case}: exit {result.returncode}\n{result.stderr or result.stdout}")
            resources = json.loads(totals.read_text())["resources"]
        times.append(elapsed)
        cpu_times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Measurement(case, resources, statistics.median(times), statistics.median(cpu_times))


def report(measurements: list[Measurement]) -> str:
    base = measurements[0]
    lines = [
        "| case | resources | wall (s) | CPU (s) | wall vs dev | ms per resource | per resource vs dev |"
        " marginal wall / CPU ms per added resource |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous: Measurement | None = None
    for m in measurements:
        marginal = ""
        if previous is not None and m.resources > previous.resources:
            added = m.resources - previous.resources
            wall = 1000 * (m.seconds - previous.seconds) / added
            cpu = 1000 * (m.cpu_seconds - previous.cpu_seconds) / added
            marginal = f"{wall:.1f} / {cpu:.1f}"
        lines.append(
            f"| {m.case} | {m.resources} | {m.seconds:.2f} | {m.cpu_seconds:.2f} | "
            f"{m.seconds / base.seconds:.2f}x | {m.per_resource_ms:.1f} | "
            f"{m.per_resource_ms / base.per_resource_ms:.2f}x | {marginal} |"
        )
        previous = m
    lines += [
        "",
        "A run has a fixed cost (interpreter, imports, mocks, report) that dev shows; the marginal column is",
        "what each added resource costs on top, and stays flat when time per resource does not grow.",
        "CPU time is the preview process's own (user + system), the steadier figure on a shared machine.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--policy-pack", type=Path, help="also run this pack (default: --no-policy)")
    args = parser.parse_args(argv)
    policy = ["--policy-pack", str(args.policy_pack.resolve())] if args.policy_pack else ["--no-policy"]
    measurements = []
    for case, stack, extra in CASES:
        measurements.append(measure(case, stack, extra, args.repeat, policy))
        print(f"{case}: {measurements[-1].seconds:.2f} s", file=sys.stderr)
    print(report(measurements))


if __name__ == "__main__":
    main()
