"""Pins stay pins, and the README tells the truth about CI: every action by commit SHA with its version,
the commands the workflows run are the README's, and every pin in versions.py says whether Renovate
tracks it (test_renovate.py runs Renovate itself on them)."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest

from .workflows import ROOT, readme_commands, workflow_commands, workflow_files

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+#\s+v\d+(\.\d+){0,2}\s*$")


def unpinned_uses(text: str) -> list[str]:
    """Lines using a remote action by anything but a full commit SHA followed by `# vX.Y.Z`."""
    bad = []
    for line in text.splitlines():
        match = USES.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        if not PINNED.match(match["ref"]) or not VERSION_COMMENT.match(match["comment"]):
            bad.append(line.strip())
    return bad


def test_every_action_is_pinned_by_sha_with_its_version() -> None:
    for path in workflow_files():
        assert unpinned_uses(path.read_text()) == [], path.name


def test_the_pin_check_rejects_tags_and_bare_shas() -> None:
    text = (
        "      - uses: actions/checkout@v7\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n"
        "    uses: ./.github/workflows/pulumi.yml\n"
    )
    assert unpinned_uses(text) == [
        "- uses: actions/checkout@v7",
        "- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
    ]


def test_each_action_has_one_pin_across_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for path in workflow_files():
        for line in path.read_text().splitlines():
            match = USES.match(line)
            if match and (pinned := PINNED.match(match["ref"])):
                pins.setdefault(pinned["action"], set()).add(match["ref"] + match["comment"])
    assert pins, "no pinned actions found"
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


# ---- README and workflows -------------------------------------------------------------------------


def test_workflows_run_exactly_the_commands_the_readme_documents() -> None:
    documented = readme_commands((ROOT / "README.md").read_text())
    run = workflow_commands()
    assert {c: sorted(w) for c, w in run.items() if c not in documented} == {}, "undocumented in README"
    assert documented - set(run) == set(), "documented in README but no workflow runs it"
    assert "scripts/test.sh" in documented


def test_a_changed_flag_shows_up_as_a_mismatch() -> None:
    readme = (ROOT / "README.md").read_text().replace("--expect-no-changes ", "")
    documented = readme_commands(readme)
    missing = set(workflow_commands()) - documented
    assert len(missing) == 1
    assert "--refresh --expect-no-changes" in missing.pop()


def test_readme_without_the_marker_is_reported() -> None:
    with pytest.raises(LookupError, match="ci-commands"):
        readme_commands("# a README\n```sh\nmake test\n```\n")


# ---- Renovate ------------------------------------------------------------------------------------

RENOVATE = json.loads((ROOT / ".github" / "renovate.json").read_text())
VERSIONS = ROOT / "components" / "versions.py"


def literal_pins(source: str) -> dict[str, str | int]:
    """Module-level constants assigned a literal string or number, except repository addresses."""
    pins: dict[str, str | int] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str | int)
            and not str(node.value.value).startswith("https://")
        ):
            pins[node.targets[0].id] = node.value.value
    return pins


def annotation(source: str, name: str) -> str:
    """The comment line right above `NAME = ...`."""
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{name} ="))
    return lines[index - 1] if index else ""


def unannotated_pins(source: str) -> list[str]:
    """Literal pins with neither a `# renovate:` nor a `# not-renovated: <why>` line right above."""
    return [
        name
        for name in literal_pins(source)
        if not (
            annotation(source, name).startswith("# renovate: ")
            or re.match(r"# not-renovated: \S", annotation(source, name))
        )
    ]


def test_every_pin_in_versions_py_is_tracked_or_says_why_not() -> None:
    assert unannotated_pins(VERSIONS.read_text()) == []


def test_an_unannotated_pin_is_reported() -> None:
    source = (
        '# renovate: datasource=helm depName=a registryUrl=https://x\nA_VERSION = "1.0.0"\n\n'
        'B_VERSION = "2.0"\n'
    )
    assert unannotated_pins(source) == ["B_VERSION"]


def test_the_k3s_versioning_accepts_k3s_tags_only() -> None:
    (rule,) = [r for r in RENOVATE["packageRules"] if r.get("matchPackageNames") == ["k3s-io/k3s"]]
    pattern = re.compile(rule["versioning"].removeprefix("regex:").replace("(?<", "(?P<"))
    assert pattern.match(str(literal_pins(VERSIONS.read_text())["K3S_VERSION"]))
    assert not pattern.match("v1.34.1-rc1+k3s1")  # release candidates are never proposed


def test_the_pulumi_cli_in_ci_is_the_sdk_version_in_the_lock() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (sdk,) = [p["version"] for p in lock["package"] if p["name"] == "pulumi"]
    cli = (ROOT / ".pulumi-version").read_text().strip()
    assert cli == sdk, "bump .pulumi-version with the pulumi SDK (Renovate groups them)"


def test_workflow_files_exist_for_every_path_the_workflows_run() -> None:
    for path in workflow_files():
        for script in re.findall(r"(?<![\w/.-])(scripts/[\w./-]+\.sh)", path.read_text()):
            assert (ROOT / script).exists(), f"{path.name} runs missing {script}"
            assert Path(ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"
