"""Debian's Prometheus on loopback, holding recorded series backfilled with promtool and loading the
rule files a test names: the real query engine and rules API the acceptance command reads."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

STEP = 300
"""Seconds between samples: the resolution the 5m SLI recording rules have."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openmetrics(series: Mapping[str, float], days: float, now: float) -> str:
    """Each series (`name{labels}`) at a constant value, one sample every STEP seconds for `days` days."""
    lines = []
    for name in sorted({s.split("{")[0] for s in series}):
        lines.append(f"# TYPE {name} gauge")
        for selector, value in series.items():
            if selector.split("{")[0] != name:
                continue
            start = int(now - days * 86400)
            lines += [f"{selector} {value} {t}" for t in range(start, int(now) - STEP, STEP)]
    return "\n".join([*lines, "# EOF", ""])


@contextmanager
def prometheus(
    folder: Path, series: Mapping[str, float], days: float, rule_files: list[Path] | None = None
) -> Iterator[str]:
    """Serve the backfilled series on 127.0.0.1; yields the base URL."""
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: run scripts/install-debian-tools.sh")
    data = folder / "data"
    data.mkdir(parents=True)
    if series:
        source = folder / "series.om"
        source.write_text(openmetrics(series, days, time.time()))
        subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
            check=True,
            capture_output=True,
        )
    config = folder / "prometheus.yml"
    rules = "".join(f"\n  - {path}" for path in rule_files or [])
    config.write_text(f"global:\n  evaluation_interval: 1s\nrule_files:{rules or ' []'}\n")
    port = _free_port()
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=60d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "prometheus.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(
                f"Prometheus did not become ready: {(folder / 'prometheus.log').read_text()[-2000:]}"
            )
        if rule_files:
            _wait_for_rules(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_rules(url: str) -> None:
    """Rules are evaluated after startup; wait until every loaded rule has run once (health known)."""
    import json

    for _ in range(100):
        with urllib.request.urlopen(f"{url}/api/v1/rules", timeout=5) as answer:
            groups = json.loads(answer.read())["data"]["groups"]
        if groups and all(r.get("health") != "unknown" for g in groups for r in g["rules"]):
            return
        time.sleep(0.2)
