"""The offline preview of prod under each CPython of the environment's version found on this machine.

    python -m benchmarks.interpreter [--repeat 5]

scripts/bootstrap-python.sh builds .venv on the distribution's python3 rather than the first python3 on
PATH; this benchmark is the reason, measured. Every interpreter of the same major.minor version as the
environment's (the distribution's, pyenv's builds, any other on PATH) runs the same command, `python -m
offline preview prod` with the policy pack, on the environment's installed packages (its site-packages
on PYTHONPATH, so the pack's process gets them too), in alternating order round by round. It reports
wall and CPU time (the preview and its pack) as medians and as ratios to the environment's own
interpreter, and checks that every interpreter reports the same totals.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from .preview import PROJECT_DIR, Series, timed
from .provenance import LoadMonitor, Provenance

_SEARCH = ("/usr/bin", "/usr/local/bin", str(Path.home() / ".pyenv" / "versions" / "*" / "bin"))


def _identity(python: str) -> tuple[str, str] | None:
    """The interpreter's real executable and version, or None when it is a virtualenv or does not run."""
    probe = "import sys; print(sys.executable, sys.version.split()[0], sys.prefix == sys.base_prefix)"
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    executable, version, plain = out.stdout.split()
    return (os.path.realpath(executable), version) if plain == "True" else None


def base_interpreter() -> str:
    """The real executable of the interpreter this environment (.venv) was built on."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def candidates() -> dict[str, str]:
    """Real executable -> version, of every non-virtualenv CPython of this environment's major.minor."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    places = [*os.environ.get("PATH", "").split(os.pathsep), *_SEARCH]
    found: dict[str, str] = {}
    for place in places:
        for path in sorted(glob.glob(os.path.join(place, name))):
            identity = _identity(path)
            if identity is not None:
                found.setdefault(*identity)
    return found


def measure(interpreters: list[str], repeat: int) -> tuple[dict[str, Series], dict[str, dict[str, object]]]:
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    series = {python: Series() for python in interpreters}
    totals: dict[str, dict[str, object]] = {}
    for round_ in range(repeat):
        order = interpreters if round_ % 2 == 0 else interpreters[::-1]
        for python in order:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "totals.json"
                command = [python, "-s", "-m", "offline", "preview", "prod", "--json", str(out)]
                sample, _ = timed(command, PROJECT_DIR, env=env)
                series[python].samples.append(sample)
                totals[python] = json.loads(out.read_text())
        print(f"round {round_ + 1}/{repeat}", file=sys.stderr)
    return series, totals


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    own = base_interpreter()
    found = candidates()
    found.setdefault(own, sys.version.split()[0])
    interpreters = [own, *sorted(p for p in found if p != own)]
    with LoadMonitor() as monitor:
        series, totals = measure(interpreters, args.repeat)
    if len({json.dumps(t, sort_keys=True) for t in totals.values()}) != 1:
        raise SystemExit(f"the interpreters disagree on the preview's totals: {totals}")
    base = series[own]
    print("| interpreter | version | wall (s) | CPU (s) | wall / .venv's | CPU / .venv's |")
    print("|---|---|---:|---:|---:|---:|")
    for python in interpreters:
        s = series[python]
        label = f"{python} (.venv's)" if python == own else python
        print(
            f"| {label} | {found[python]} | {s.median('wall'):.2f} | {s.median('cpu'):.2f} | "
            f"{s.median('wall') / base.median('wall'):.2f}x | {s.median('cpu') / base.median('cpu'):.2f}x |"
        )
    print(Provenance.of(monitor.result()).text())


if __name__ == "__main__":
    main()
