"""The pull-request comment, end to end: the `preview.yml` steps that build and post it run for real
(the offline preview of dev and prod, then the comment upsert against a stand-in for `gh`), and what
gets posted must match the reviewed snapshot in snapshots/pr-comment.md.

When a change alters the report on purpose, regenerate the snapshot and review its diff:
    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/delivery/test_pr_comment_snapshot.py
A run that rewrites the snapshot fails on purpose (it compared nothing); the next run compares. The
verdict is asserted on its own, so a snapshot regenerated with failing policies still fails the suite.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .fakes import FakeGitHub
from .workflows import ROOT, WORKFLOWS, load

SNAPSHOT = Path(__file__).parent / "snapshots" / "pr-comment.md"
MARKER = "<!-- platform:offline-preview -->"


def step(name: str) -> dict[str, Any]:
    (job,) = [j for j in load(WORKFLOWS / "preview.yml")["jobs"].values() if "steps" in j]
    (found,) = [s for s in job["steps"] if s.get("name") == name]
    return found


def run_step(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs a `run:` step the way GitHub's bash shell does (`bash --noprofile --norc -eo pipefail`)."""
    script = step(name)["run"]
    assert "${{" not in script, "the step's expressions must come in through env, as here"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def posted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, str]]:
    tmp_path = tmp_path_factory.mktemp("pr-comment")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    github = FakeGitHub(tmp_path, bin_dir, {})
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "UV_CACHE_DIR", "XDG_CACHE_HOME")},
        **github.env,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GH_TOKEN": "stand-in",
        "PR_NUMBER": "7",
        "HEAD_SHA": "0123456789abcdef0123456789abcdef01234567",
        "SAME_REPO": "true",
        "RUN_URL": "https://github.com/acme/platform/actions/runs/42",
    }
    # main's totals for dev only: dev's report shows the change against main, prod's (no totals, as
    # before main had the offline preview) shows none. Both branches of the step run.
    base = {"project": "platform", "stack": "dev", "resources": 100, "cost": {"monthly": 20.0}}
    (runner_temp / "base-dev.json").write_text(json.dumps(base))
    reports = run_step("Offline preview of this pull request", env)
    assert reports.returncode == 0, reports.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines())
    post = run_step("Post the report (one comment, updated on every push)", env)
    assert post.returncode == 0, post.stderr
    (comment,) = github.state["comments"]
    return stable(comment["body"]), stable((tmp_path / "summary.md").read_text()), outputs


PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


def stable(text: str) -> str:
    """What differs between runs and machines: certificates made fresh by every run (their keys are
    real), and where the checkout lives."""
    text = PEM.sub(lambda m: f"-----BEGIN {m[1]}-----…-----END {m[1]}-----", text)
    return text.replace(str(ROOT) + "/", "./")


def test_the_posted_comment_matches_the_reviewed_snapshot(posted: tuple[str, str, dict[str, str]]) -> None:
    body, _, _ = posted
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(body)
        pytest.fail("snapshot rewritten: review `git diff` of it, then run again without UPDATE_SNAPSHOTS")
    expected = SNAPSHOT.read_text()
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), body.splitlines(True), "snapshot", "posted")
    )
    assert body == expected, (
        f"the PR comment changed; if on purpose, regenerate (see module docstring):\n{diff}"
    )


def test_the_comment_carries_both_stacks_verdicts_and_costs(posted: tuple[str, str, dict[str, str]]) -> None:
    body, summary, outputs = posted
    assert body.startswith(MARKER + "\n## Offline preview\n")
    for stack in ("dev", "prod"):
        assert f"offline `preview` on platform/{stack}:" in body
    assert body.count(" EUR per month**") == 2
    dev, prod = body.split("offline `preview` on platform/prod:")
    assert "against dev on the base branch: resources " in dev
    assert "on the base branch" not in prod
    # Both real stacks pass the policy pack: the job's verdict is 0 and no report shows a failure.
    assert outputs["verdict"] == "0"
    # Each stack twice: as it is, and as a new stack (DEPLOYED_STACKS is unset here: neither exists yet).
    assert "❌" not in body and body.count(": ✅ passes") == 4
    for stack in ("dev", "prod"):
        assert f"offline `preview --fresh` (as a new stack) on platform/{stack}: ✅ passes" in body
    assert body.removeprefix(MARKER + "\n") == summary  # the run summary has the same report


def test_the_reviewed_snapshot_shows_both_stacks_passing() -> None:
    """The snapshot itself cannot carry a failing report as "expected" (as commit cc63862 once did)."""
    raw = SNAPSHOT.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    text = raw.decode("utf-8", errors="strict")
    assert text.startswith(MARKER)
    assert "| **total** |" in text and "0123456789abcdef" in text
    assert "❌" not in text and text.count(": ✅ passes") == 4  # known values and new stack, per stack
