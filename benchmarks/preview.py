"""The offline preview as a user runs it, against a base commit and against Checkov, in one run.

    python -m benchmarks.preview [--repeat 5] [--base main] [--no-checkov] [--publish]

`scripts/preview.sh prod` itself (the acceptance figure) is timed from the working tree. Each other
measurement is a fresh `python -m offline preview STACK` process with the policy pack (what
`scripts/preview.sh STACK` runs: program, pack, cost, text report), for dev, prod and prod with 3 to
100 agents. The same cases run from the working tree and from BASE (default `main`), checked out into
a temporary git worktree, with the same interpreter and installed packages and both trees' sources
compiled to bytecode first, so the ratios measure the code. Runs alternate between the trees, case by
case and round by round, so both see the same machine. CPU time (user + system of the preview and the
pack it starts) is the steadier figure on a shared machine; peak memory is the largest resident set of
the preview's processes added together, sampled every 20 ms.

Checkov (scripts/install-checkov.sh: pinned, from PyPI, in an environment of its own in the tool
cache) scans the Kubernetes objects the working tree's preview writes with `--out`, timed the same
way: `checkov -d OUT/kubernetes --framework kubernetes`.

Every run ends with its provenance (benchmarks/provenance.py); `--publish` writes the figures to
benchmarks/figures/preview.json and the README/docs blocks (refused when other processes loaded the
machine).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import figures
from .figures import Figure
from .provenance import LoadMonitor, Provenance, Spread

PROJECT_DIR = Path(__file__).resolve().parent.parent
AGENTS = (3, 10, 50, 100)
CASES: list[tuple[str, str, list[str]]] = [
    ("dev", "dev", []),
    ("prod", "prod", []),
    *[(f"prod, {n} agents", "prod", ["--set", f"cluster.agentPools[0].count={n}"]) for n in AGENTS],
]
INPUTS = [
    "benchmarks/preview.py",
    "offline/__main__.py",
    "offline/cli.py",
    "offline/preview_run.py",
    "offline/program.py",
    "offline/fake_tls.py",
    "offline/worker.py",
    "offline/mocks.py",
    "offline/lean_imports.py",
    "offline/type_hints.py",
    "offline/dill_globals.py",
    "offline/policy/gate.py",
    "offline/policy/pack.py",
    "offline/policy/config.py",
    "policies/__main__.py",
    "policies/platform_security/conversion.py",
    "policies/platform_security/runtime_settings.py",
    "policies/platform_security/unknown_proxy.py",
    "components/config/cron_gap.py",
    "scripts/preview.sh",
    "scripts/bootstrap-python.sh",
    "uv.lock",
]


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    peak_mib: float


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)
    resources: int = 0

    def spread(self, what: str) -> Spread:
        return Spread.of(getattr(s, what) for s in self.samples)

    def median(self, what: str) -> float:
        return statistics.median(getattr(s, what) for s in self.samples)


def _rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1])


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        try:
            children = Path(f"/proc/{pids[index]}/task/{pids[index]}/children").read_text().split()
        except OSError:
            children = []
        pids += [int(c) for c in children]
        index += 1
    return pids


def timed(
    command: Sequence[str], cwd: Path, ok: tuple[int, ...] = (0, 1), env: Mapping[str, str] | None = None
) -> tuple[Sample, str]:
    """Run a command; its wall time, the CPU time of it and every process it waited for, its peak RSS."""
    peak = 0
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, sum(_rss_kib(p) for p in _tree(process.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode not in ok:
        raise SystemExit(f"{' '.join(command)}: exit {process.returncode}\n{text[-3000:]}")
    peak = max(peak, usage.ru_maxrss)  # a process shorter than one sampling interval
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak / 1024), text


@contextlib.contextmanager
def base_tree(ref: str) -> Iterator[tuple[Path, str]]:
    """BASE checked out into a temporary worktree (removed afterwards) and its commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="preview-base-") as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(tree), commit], cwd=PROJECT_DIR, check=True
        )
        try:
            yield tree, commit
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=PROJECT_DIR, check=False)


def compile_sources(tree: Path) -> None:
    """Both trees start with their sources' bytecode, as scripts/bootstrap-python.sh leaves a checkout."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "-x", r"/(\.venv|\.tools|build)/", str(tree)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def preview_command(stack: str, extra: Sequence[str], totals: Path) -> list[str]:
    return [sys.executable, "-m", "offline", "preview", stack, "--json", str(totals), *extra]


def measure(trees: dict[str, Path], repeat: int) -> dict[tuple[str, str], Series]:
    results: dict[tuple[str, str], Series] = {}
    script = results.setdefault(("tree", "scripts/preview.sh prod"), Series())
    for round_ in range(repeat):
        # the command the acceptance figure is about, bootstrap check included (working tree only: the
        # base's script would build a second environment)
        script.samples.append(timed([str(PROJECT_DIR / "scripts" / "preview.sh"), "prod"], PROJECT_DIR)[0])
        for case, stack, extra in CASES:
            order = list(trees.items())
            if round_ % 2:
                order.reverse()  # ABBA: neither tree always runs first
            for name, tree in order:
                with tempfile.TemporaryDirectory() as tmp:
                    totals = Path(tmp) / "totals.json"
                    sample, _ = timed(preview_command(stack, extra, totals), tree)
                    series = results.setdefault((name, case), Series())
                    series.samples.append(sample)
                    series.resources = json.loads(totals.read_text())["resources"]
            print(f"round {round_ + 1}/{repeat}: {case}", file=sys.stderr)
    return results


def checkov(repeat: int) -> tuple[Series, int]:
    """Checkov over the Kubernetes objects of the working tree's prod preview: times and objects."""
    binary = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "install-checkov.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    series = Series()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        timed([sys.executable, "-m", "offline", "preview", "prod", "--out", str(out)], PROJECT_DIR)
        objects = len(list((out / "kubernetes").glob("*.yaml")))
        for _ in range(repeat):
            command = [
                binary,
                "-d",
                str(out / "kubernetes"),
                "--framework",
                "kubernetes",
                "--quiet",
                "--compact",
            ]
            sample, _ = timed(command, PROJECT_DIR, ok=(0, 1))  # 1: checks failed, a complete scan
            series.samples.append(sample)
    series.resources = objects
    return series, objects


def report(
    results: dict[tuple[str, str], Series], base: str, scan: Series | None, objects: int
) -> tuple[str, list[Figure]]:
    lines = [
        f"| case | resources | {base} CPU (s) | tree CPU (s) | tree / {base} CPU | {base} wall (s) | "
        "tree wall (s) | tree CPU ms per resource | tree marginal CPU ms per added resource | "
        f"{base} / tree peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous: Series | None = None
    for case, _, _ in CASES:
        old, new = results[("base", case)], results[("tree", case)]
        marginal = ""
        if previous is not None and new.resources > previous.resources:
            added = new.resources - previous.resources
            marginal = f"{1000 * (new.median('cpu') - previous.median('cpu')) / added:.1f}"
        lines.append(
            f"| {case} | {new.resources} | {old.median('cpu'):.2f} | {new.median('cpu'):.2f} | "
            f"{new.median('cpu') / old.median('cpu'):.2f}x | {old.median('wall'):.2f} | "
            f"{new.median('wall'):.2f} | {1000 * new.median('cpu') / new.resources:.1f} | {marginal} | "
            f"{old.median('peak_mib'):.0f} / {new.median('peak_mib'):.0f} |"
        )
        previous = None if case == "dev" else new  # marginals along prod, 3 agents, ... 100 agents
    prod_old, prod_new = results[("base", "prod")], results[("tree", "prod")]
    few, many = (
        results[("tree", f"prod, {AGENTS[0]} agents")],
        results[("tree", f"prod, {AGENTS[-1]} agents")],
    )
    growth = Spread.of(
        (m.cpu / many.resources) / (f.cpu / few.resources)
        for m, f in zip(many.samples, few.samples, strict=True)
    )
    per_resource = growth.median
    script = results[("tree", "scripts/preview.sh prod")]
    lines += [
        "",
        f"`scripts/preview.sh prod` (tree): wall {script.median('wall'):.2f} s, "
        f"CPU {script.median('cpu'):.2f} s, peak {script.median('peak_mib'):.0f} MiB.",
    ]
    table = [
        Figure("scripts/preview.sh prod, wall (s)", script.spread("wall"), " s"),
        Figure("prod preview, wall (s)", prod_new.spread("wall"), " s"),
        Figure("prod preview, CPU (s)", prod_new.spread("cpu"), " s"),
        Figure("dev preview, wall (s)", results[("tree", "dev")].spread("wall"), " s"),
        Figure(
            f"prod CPU, this tree / {base}",
            Spread.of(n.cpu / o.cpu for n, o in zip(prod_new.samples, prod_old.samples, strict=True)),
            "x",
        ),
        Figure("prod preview, peak memory (MiB)", prod_new.spread("peak_mib"), " MiB", 0),
        Figure(f"CPU per resource, {AGENTS[-1]} agents / {AGENTS[0]} agents", growth, "x"),
    ]
    lines += [
        "",
        f"Time per resource from {AGENTS[0]} to {AGENTS[-1]} agents (tree, CPU): {per_resource:.2f}x "
        "(1.00x or less is flat or falling).",
    ]
    if scan is not None:
        lines += [
            "",
            f"Checkov over the same {objects} Kubernetes objects: wall {scan.median('wall'):.2f} s, "
            f"CPU {scan.median('cpu'):.2f} s, peak {scan.median('peak_mib'):.0f} MiB; prod preview CPU / "
            f"Checkov CPU: tree {prod_new.median('cpu') / scan.median('cpu'):.2f}x, {base} "
            f"{prod_old.median('cpu') / scan.median('cpu'):.2f}x.",
        ]
        table.append(
            Figure(
                "prod preview CPU / Checkov CPU on the same objects",
                Spread.of(n.cpu / c.cpu for n, c in zip(prod_new.samples, scan.samples, strict=False)),
                "x",
            )
        )
    return "\n".join(lines), table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--base", default="main", help="commit to compare with (default: main)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the Checkov comparison")
    parser.add_argument("--publish", action="store_true", help="write benchmarks/figures/ and the doc blocks")
    args = parser.parse_args(argv)
    with LoadMonitor() as monitor, base_tree(args.base) as (base, commit):
        for tree in (PROJECT_DIR, base):
            compile_sources(tree)
        results = measure({"base": base, "tree": PROJECT_DIR}, args.repeat)
        scan, objects = (None, 0) if args.no_checkov else checkov(args.repeat)
    provenance = Provenance.of(monitor.result())
    label = f"{args.base} ({commit[:10]})"
    text, table = report(results, label, scan, objects)
    print(text)
    print()
    for figure in table:
        print(f"{figure.label}: {figure.spread.text(figure.unit, figure.digits)}")
    print(provenance.text())
    if args.publish:
        notes = (
            f"Median of {args.repeat} fresh processes per case, alternating with {label}; the preview "
            "includes the policy pack, as scripts/preview.sh runs it."
        )
        path = figures.save("preview", table, provenance, INPUTS, notes)
        print(f"published: {path.relative_to(PROJECT_DIR)} and the blocks figures:preview")


if __name__ == "__main__":
    main()
