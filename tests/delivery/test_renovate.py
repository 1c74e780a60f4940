"""Renovate itself reads the repository: its own validator accepts the config, and its extraction
(`renovate --platform=local --dry-run=extract`, no network, no token) finds every annotated pin with the
value the program uses. Renovate is the pinned release from scripts/node-tools/renovate, run through
scripts/renovate.sh (which installs it into the tool cache on first use)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .workflows import ROOT, WORKFLOWS

RENOVATE = ROOT / "scripts" / "renovate.sh"
CONFIG = ROOT / ".github" / "renovate.json"
VERSIONS = "components/versions.py"
TIMEOUT_SECONDS = 600


def renovate(tool: str, *args: str, cwd: Path, scratch: Path) -> subprocess.CompletedProcess[str]:
    """One run of `tool` (renovate or renovate-config-validator) in `cwd`; Renovate's caches go to scratch."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "RENOVATE_BASE_DIR": str(scratch / "base"),
        "RENOVATE_CONFIG_FILE": str(CONFIG),
        "LOG_LEVEL": "info",
    }
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        env["XDG_CACHE_HOME"] = xdg
    done = subprocess.run(
        [str(RENOVATE), tool, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if "usage: scripts/renovate.sh" in done.stderr or "renovate.sh:" in done.stderr:
        pytest.fail(f"scripts/renovate.sh could not run Renovate:\n{done.stderr[-3000:]}")
    return done


def extract(repo: Path, scratch: Path) -> dict[str, list[dict[str, Any]]]:
    """packageFile -> the dependencies Renovate extracts from it (every manager)."""
    report = scratch / "report.json"
    done = renovate(
        "renovate",
        "--platform=local",
        "--dry-run=extract",
        "--report-type=file",
        f"--report-path={report}",
        cwd=repo,
        scratch=scratch,
    )
    assert done.returncode == 0 and report.is_file(), done.stdout[-4000:] + done.stderr[-2000:]
    files: dict[str, list[dict[str, Any]]] = {}
    seen = set()
    for manager_files in json.loads(report.read_text())["repositories"]["local"]["packageFiles"].values():
        for package_file in manager_files:
            # The report lists each custom manager's files twice, identically; count them once.
            key = json.dumps(package_file, sort_keys=True)
            if key not in seen:
                seen.add(key)
                files.setdefault(package_file["packageFile"], []).extend(package_file["deps"])
    return files


@dataclass(frozen=True)
class Pin:
    name: str
    dep_name: str
    value: str
    """What Renovate must read as currentValue: the version, or the tag of an `image:tag` value."""


_ANNOTATION = re.compile(r"^# renovate: (?P<fields>.*)$")


def annotated_pins(source: str) -> list[Pin]:
    """Each module-level `NAME = "literal"` with a `# renovate:` line right above it, and what a reader
    of that line expects Renovate to take from it: depName= names the package, `datasource=docker` alone
    names the image of an "image:tag" value; the version is the literal, or the tag of "image:tag"."""
    lines = source.splitlines()
    pins = []
    for node in ast.parse(source).body:
        if not (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and node.lineno >= 2
            and (match := _ANNOTATION.match(lines[node.lineno - 2]))
        ):
            continue
        # Keys case-blind: a misspelt `depname=` still says which package the writer meant.
        fields = {key.lower(): v for key, _, v in (field.partition("=") for field in match["fields"].split())}
        value = str(node.value.value)
        image, _, tag = value.rpartition(":")
        dep_name = fields.get("depname", image)
        pins.append(Pin(node.targets[0].id, dep_name, tag if image == dep_name else value))
    return pins


def misread_pins(pins: list[Pin], deps: list[dict[str, Any]]) -> dict[str, str]:
    """Pin name -> how Renovate's extraction differs from the pin (nothing for a pin it reads right)."""
    read = {dep["depName"]: dep.get("currentValue") for dep in deps}
    wrong = {}
    for pin in pins:
        if pin.dep_name not in read:
            wrong[pin.name] = f"not extracted (depName {pin.dep_name!r})"
        elif read[pin.dep_name] != pin.value:
            wrong[pin.name] = f"read as {read[pin.dep_name]!r}, the pin is {pin.value!r}"
    return wrong


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("renovate")


@pytest.fixture(scope="module")
def extracted(scratch: Path) -> dict[str, list[dict[str, Any]]]:
    """Renovate's extraction of this repository (the committed and uncommitted tracked files)."""
    return extract(ROOT, scratch / "repo")


def test_renovate_accepts_the_repository_config_without_migration(scratch: Path) -> None:
    done = renovate("renovate-config-validator", "--strict", cwd=ROOT, scratch=scratch)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Validating .github/renovate.json" in done.stdout


def test_renovate_rejects_a_misspelt_option(tmp_path: Path, scratch: Path) -> None:
    config = json.loads(CONFIG.read_text())
    manager = config["customManagers"][0]
    manager["matchStrngs"] = manager.pop("matchStrings")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "renovate.json").write_text(json.dumps(config))
    done = renovate("renovate-config-validator", "--strict", cwd=tmp_path, scratch=scratch)
    assert done.returncode == 1
    assert "Invalid configuration option: customManagers[0].matchStrngs" in done.stdout


Extraction = dict[str, list[dict[str, Any]]]
"""packageFile -> the dependencies Renovate extracted from it."""


def test_renovate_reads_every_annotated_pin_of_versions_py(extracted: Extraction) -> None:
    pins = annotated_pins((ROOT / VERSIONS).read_text())
    assert len(pins) >= 15  # k3s, the charts, the images, pgBackRest
    assert misread_pins(pins, extracted[VERSIONS]) == {}
    assert len(extracted[VERSIONS]) == len(pins), "Renovate extracts a dependency no pin annotates"


def test_renovate_reads_the_node_tools_at_their_pinned_versions(
    extracted: dict[str, list[dict[str, Any]]],
) -> None:
    for manifest in ("scripts/node-tools/package.json", "scripts/node-tools/renovate/package.json"):
        pinned = json.loads((ROOT / manifest).read_text())["devDependencies"]
        deps = extracted[manifest]
        read = {d["depName"]: d["currentValue"] for d in deps if d["depType"] == "devDependencies"}
        assert read == pinned, manifest


def test_renovate_reads_the_pulumi_cli_ci_installs(extracted: dict[str, list[dict[str, Any]]]) -> None:
    (dep,) = extracted[".pulumi-version"]
    cli = (ROOT / ".pulumi-version").read_text().strip()
    assert (dep["depName"], dep["currentValue"]) == ("pulumi/pulumi", cli)


def test_renovate_reads_the_trufflehog_image_version_the_action_pins(
    extracted: dict[str, list[dict[str, Any]]],
) -> None:
    text = (WORKFLOWS / "secret-scan.yml").read_text()
    image = [d for d in extracted[".github/workflows/secret-scan.yml"] if "currentDigest" not in d]
    versions = {d["depName"]: d["currentValue"] for d in image if d.get("datasource") == "github-releases"}
    version = versions["trufflesecurity/trufflehog"]
    assert re.search(rf"trufflehog@[0-9a-f]{{40}} # v{re.escape(version)}\n", text)


def test_a_pin_renovate_would_misread_is_reported(tmp_path: Path, scratch: Path) -> None:
    """A misspelt key, and an "image:tag" value under a depName= line (Renovate then reads the whole
    "image:tag" as the version and can never offer an update), next to a pin it reads right."""
    source = (
        "# renovate: datasource=helm depname=hcloud-csi registryUrl=https://charts.hetzner.cloud\n"
        'HCLOUD_CSI_CHART_VERSION = "2.17.0"\n'
        "# renovate: datasource=docker depName=amazon/aws-cli\n"
        'AWS_CLI_IMAGE = "amazon/aws-cli:2.37.5"\n'
        "# renovate: datasource=helm depName=kured registryUrl=https://kubereboot.github.io/charts\n"
        'KURED_CHART_VERSION = "6.1.0"\n'
    )
    (tmp_path / "components").mkdir()
    (tmp_path / VERSIONS).write_text(source)
    shutil.copytree(ROOT / ".github", tmp_path / ".github", ignore=shutil.ignore_patterns("workflows"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    deps = extract(tmp_path, scratch / "misread").get(VERSIONS, [])
    assert misread_pins(annotated_pins(source), deps) == {
        "HCLOUD_CSI_CHART_VERSION": "not extracted (depName 'hcloud-csi')",
        "AWS_CLI_IMAGE": "read as 'amazon/aws-cli:2.37.5', the pin is '2.37.5'",
    }
