"""The config's Duration (components/config/base.py) reads a duration as Prometheus does.

Prometheus and Loki take the retention settings in Prometheus' notation; promtool parses a rule's
`for:` with the same parser, so each example goes through promtool and through the config type.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from components.config.base import Duration, parse_duration

PROMTOOL = shutil.which("promtool")
EXAMPLES = (
    *(
        "30s",
        "90m",
        "26h",
        "1d12h",
        "2w",
        "1y",
        "15d",
        "168h",
        "1h30m",
        "500ms",
        "1s500ms",
        "1y2w3d4h5m6s7ms",
    ),
    *("1d1w", "1.5h", "1H", "h", "-1h", "1m30", "10x", "1 h", "01h", "1hh", "30sec"),
)


def _promtool_accepts(duration: str, folder: Path) -> bool:
    rule = {"alert": "Example", "expr": "vector(1)", "for": duration}
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "example", "rules": [rule]}]}))
    assert PROMTOOL is not None, "promtool missing: run scripts/install-debian-tools.sh"
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    return result.returncode == 0


def _config_accepts(duration: str) -> bool:
    try:
        TypeAdapter(Duration).validate_python(duration)
    except ValidationError:
        return False
    return True


def test_durations_follow_promtool(tmp_path: Path) -> None:
    verdicts = {value: (_promtool_accepts(value, tmp_path), _config_accepts(value)) for value in EXAMPLES}
    assert {value: v for value, v in verdicts.items() if v[0] != v[1]} == {}
    assert sum(promtool for promtool, _ in verdicts.values()) >= 10


@pytest.mark.parametrize(
    ("duration", "seconds"), [("90m", 5400), ("1d12h", 129600), ("2w", 1209600), ("1s500ms", 1.5)]
)
def test_a_duration_in_seconds(duration: str, seconds: float) -> None:
    assert parse_duration(duration) == seconds
